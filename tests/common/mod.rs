//! Helpers shared by the integration tests: writing .npy inputs, running the binary,
//! reading PNG and .npy outputs, measuring a child's peak RSS.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gigaplot::data::npy::encode_header;
use gigaplot::data::DType;

/// The gigaplot binary built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gigaplot"))
}

/// Writes a 1-D .npy of f64 values.
pub fn write_f64(path: &Path, values: &[f64]) {
    let mut bytes = encode_header(DType::F64, &[values.len()]);
    bytes.extend_from_slice(bytemuck::cast_slice(values));
    std::fs::write(path, bytes).unwrap();
}

/// Writes a 1-D .npy of f32 values.
pub fn write_f32(path: &Path, values: &[f32]) {
    let mut bytes = encode_header(DType::F32, &[values.len()]);
    bytes.extend_from_slice(bytemuck::cast_slice(values));
    std::fs::write(path, bytes).unwrap();
}

/// Runs the binary with `args`.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().unwrap()
}

/// Runs the binary and panics with its stderr unless it succeeded.
pub fn run_ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(out.status.success(), "gigaplot {:?} failed: {}", args, String::from_utf8_lossy(&out.stderr));
    out
}

/// Decoded PNG: (width, height, bytes per pixel, pixel bytes).
pub fn read_png(path: &Path) -> (u32, u32, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let bpp = info.color_type.samples();
    (info.width, info.height, bpp, buf)
}

/// Reads a (height, width) uint32 .npy written by `--agg-out`.
pub fn read_counts(path: &Path) -> (Vec<usize>, Vec<u32>) {
    let bytes = std::fs::read(path).unwrap();
    let header = gigaplot::data::npy::NpyHeader::parse(&bytes).unwrap();
    assert_eq!(header.dtype, DType::U32);
    let data = &bytes[header.data_offset..];
    (header.shape.clone(), data.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect())
}

/// Runs a command to completion and returns (status, peak RSS in bytes) of that child
/// alone, from wait4's rusage.
pub fn run_measuring_rss(command: &mut Command) -> (std::process::ExitStatus, u64) {
    use std::os::unix::process::ExitStatusExt;
    let child = command.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: plain wait4 on our own child; rusage is a zeroed struct we own.
    let rusage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let r = libc::wait4(pid, &mut status, 0, &mut usage);
        assert_eq!(r, pid, "wait4 failed");
        usage
    };
    std::mem::forget(child);
    (std::process::ExitStatus::from_raw(status), rusage.ru_maxrss as u64 * 1024)
}

/// Names of the files in `dir`.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file under `dir` (recursively) with its bytes, by path relative to `dir`.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}
