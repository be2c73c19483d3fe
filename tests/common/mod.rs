//! Helpers shared by the integration tests: writing .npy inputs, running the binary,
//! reading PNG and .npy outputs, measuring a child's peak RSS.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gigaplot::npy::encode_header;
use gigaplot::DType;

/// The gigaplot binary built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gigaplot"))
}

/// The path of `tests/data/<name>`: fixtures written by the tools in `tools/`.
pub fn test_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// Copies the fixtures `tests/data/<from>` to `dir/<to>` for each `(from, to)`.
pub fn copy_test_data(dir: &Path, files: &[(&str, &str)]) {
    for (from, to) in files {
        std::fs::copy(test_data(from), dir.join(to)).unwrap_or_else(|e| panic!("tests/data/{from}: {e}"));
    }
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

/// Decoded PNG: (width, height, bytes per pixel, pixel bytes); indexed colour is expanded
/// (to RGBA when the palette has transparency, RGB otherwise).
pub fn read_png(path: &Path) -> (u32, u32, usize, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let bpp = info.color_type.samples();
    (info.width, info.height, bpp, buf)
}

/// Reads a PNG as straight RGBA whatever its colour type (indexed, RGB, RGBA): its width,
/// height, the colour type the file stores, and the pixels.
pub fn read_png_rgba(path: &Path) -> (u32, u32, png::ColorType, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().unwrap();
    let stored = reader.info().color_type;
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, stored, buf)
}

/// Reads a (height, width) uint32 .npy written by `--agg-out`.
pub fn read_counts(path: &Path) -> (Vec<usize>, Vec<u32>) {
    let bytes = std::fs::read(path).unwrap();
    let header = gigaplot::npy::NpyHeader::parse(&bytes).unwrap();
    assert_eq!(header.dtype, DType::U32);
    let data = &bytes[header.data_offset..];
    (header.shape.clone(), data.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect())
}

/// Runs a command to completion and returns (status, peak RSS in bytes) of that child
/// alone, from wait4's rusage.
///
/// The command is started by a fresh copy of this test binary (see [`rss_spawner`]), not by
/// the test process itself: Linux carries the high-water RSS of the process that spawns a
/// child into the child's `ru_maxrss` at exec, and the test process holds every concurrent
/// test's data.
pub fn run_measuring_rss(command: &mut Command) -> (std::process::ExitStatus, u64) {
    use std::os::unix::process::ExitStatusExt;
    let text = |s: &std::ffi::OsStr| s.to_string_lossy().into_owned();
    let spec = serde_json::json!({
        "program": text(command.get_program()),
        "args": command.get_args().map(text).collect::<Vec<_>>(),
        "env": command
            .get_envs()
            .filter_map(|(k, v)| v.map(|v| (text(k), text(v))))
            .collect::<Vec<_>>(),
        "dir": command.get_current_dir().map(|d| text(d.as_os_str())),
    });
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "common::rss_spawner", "--nocapture", "--test-threads=1", "-q"])
        .env(RSS_SPAWN, spec.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("rss-spawner: ")).unwrap_or_else(|| {
        panic!("the RSS spawner failed: {stdout} {}", String::from_utf8_lossy(&out.stderr))
    });
    let (status, peak) = line.split_once(' ').unwrap();
    (std::process::ExitStatus::from_raw(status.parse().unwrap()), peak.parse().unwrap())
}

/// Environment variable that turns [`rss_spawner`] into the spawner of a measured command.
const RSS_SPAWN: &str = "GIGAPLOT_TEST_RSS_SPAWN";

/// Not a test on its own: run by [`run_measuring_rss`] in a fresh process, whose own memory
/// is small. Spawns the command it is given, waits for it with wait4 and prints
/// `rss-spawner: STATUS PEAK_BYTES`.
#[test]
fn rss_spawner() {
    let Ok(spec) = std::env::var(RSS_SPAWN) else { return };
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
    };
    let mut command = Command::new(spec["program"].as_str().unwrap());
    command.args(strings(&spec["args"]));
    for pair in spec["env"].as_array().unwrap() {
        let pair = strings(pair);
        command.env(&pair[0], &pair[1]);
    }
    if let Some(dir) = spec["dir"].as_str() {
        command.current_dir(dir);
    }
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
    println!("rss-spawner: {status} {}", rusage.ru_maxrss as u64 * 1024);
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
pub mod tables;

/// The aggregate the library renders (public API, in memory) for `points` and `options`:
/// the reference a run of the binary must equal byte for byte (the library's own unit
/// tests check it against whole-canvas drawings and Datashader).
pub fn library_aggregate(points: &gigaplot::PointColumns, options: &gigaplot::RenderOptions) -> Vec<u8> {
    let (sink, array) = gigaplot::AggregateArraySink::new();
    let sinks: Vec<Box<dyn gigaplot::Sink>> = vec![Box::new(sink)];
    gigaplot::render(points, options, sinks, &gigaplot::NoProgress).unwrap();
    array.take().expect("the render finished").into_bytes()
}

/// Renders `points` with `options` in memory and returns the report, the aggregate's
/// `.npy` bytes and the RGBA pixels: what the tests comparing aggregation paths compare.
pub fn render_in_memory(
    points: &gigaplot::PointColumns,
    options: &gigaplot::RenderOptions,
    progress: &dyn gigaplot::Progress,
) -> (gigaplot::RenderReport, Vec<u8>, Vec<u8>) {
    let (aggregate, array) = gigaplot::AggregateArraySink::new();
    let (rgba, image) = gigaplot::RgbaSink::new();
    let sinks: Vec<Box<dyn gigaplot::Sink>> = vec![Box::new(aggregate), Box::new(rgba)];
    let report = gigaplot::render(points, options, sinks, progress).unwrap();
    (report, array.take().unwrap().bytes().to_vec(), image.take().unwrap().into_pixels())
}

/// The data bytes after the header of a `.npy` file's bytes (any dimension).
pub fn npy_data(bytes: &[u8]) -> &[u8] {
    let offset = match bytes[6] {
        1 => 10 + usize::from(u16::from_le_bytes([bytes[8], bytes[9]])),
        _ => 12 + u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize,
    };
    &bytes[offset..]
}

/// Little-endian bytes of an aggregate as values of `T`.
pub fn values_of<T: bytemuck::Pod>(bytes: &[u8]) -> Vec<T> {
    bytes.chunks_exact(std::mem::size_of::<T>()).map(bytemuck::pod_read_unaligned).collect()
}

/// `points` clustered points (x float32, y float64), many per pixel of a small canvas, with
/// values whose sums depend on the order (magnitudes from 1e-3 to 1e6, both zeros, NaN)
/// and a category column of 5 codes: the input of the tests that compare aggregation paths.
pub fn clustered_columns(seed: u64, points: usize) -> (Vec<f32>, Vec<f64>, Vec<f64>, Vec<u8>) {
    let mut state = seed;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let (mut xs, mut ys, mut vs, mut cs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..points {
        xs.push(((next(1000) + next(1000)) as f32 / 2000.0) * 1.1 - 0.05);
        ys.push((next(1000) * next(1000)) as f64 / 1e6);
        vs.push(match i % 7 {
            0 => 0.0,
            1 => -0.0,
            2 => f64::NAN,
            3 => next(1000) as f64 * 1e3,
            _ => (next(1_000_000) as f64 - 500_000.0) * 1e-3,
        });
        cs.push(next(5) as u8);
    }
    (xs, ys, vs, cs)
}

/// The options the clustered-point tests render with: `reduction` on a `width x height`
/// canvas of the unit square, eq-hist on viridis, `tile`, `threads` and `budget`.
pub fn clustered_options(
    reduction: gigaplot::Reduction,
    (width, height): (u32, u32),
    tile: u32,
    threads: usize,
    budget: u64,
) -> gigaplot::RenderOptions {
    gigaplot::RenderOptions {
        width,
        height,
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        how: gigaplot::How::EqHist,
        cmap: gigaplot::Colormap::by_name("viridis").unwrap(),
        reduction,
        tile,
        threads: Some(threads),
        memory_budget: budget,
        ..gigaplot::RenderOptions::default()
    }
}

/// Renders [`clustered_columns`]`(seed, points)` with `options`: the category column is the
/// value of count-cat, the values column that of a reduction reading one. Returns the
/// plan's bands, the aggregate's bytes and the RGBA pixels.
pub fn render_clustered(
    seed: u64,
    points: usize,
    options: &gigaplot::RenderOptions,
) -> (u32, Vec<u8>, Vec<u8>) {
    use gigaplot::{MemoryColumn, PointColumns, Reduction};
    let (xs, ys, vs, cs) = clustered_columns(seed, points);
    let columns = PointColumns::from_sources(
        Box::new(MemoryColumn::new("x", xs)),
        Box::new(MemoryColumn::new("y", ys)),
    )
    .unwrap();
    let columns = match options.reduction {
        Reduction::CountCat => columns.with_value(Box::new(MemoryColumn::new("c", cs))).unwrap(),
        r if r.needs_value() => columns.with_value(Box::new(MemoryColumn::new("v", vs))).unwrap(),
        _ => columns,
    };
    let (report, aggregate, pixels) = render_in_memory(&columns, options, &gigaplot::NoProgress);
    (report.plan.bands, aggregate, pixels)
}

/// Checks level `level`'s tiles under `dir` (XYZ `{z}/{x}/{y}.png` padded to `tile`, or DZI
/// `pyramid_files/{level}/{col}_{row}.png` cut) against the `lw x lh` RGBA `image` (a flat
/// render of that level's canvas): exactly the tiles not all `background` exist, and decode
/// to its pixels. Returns those written.
pub fn check_pyramid_level(
    dir: &Path,
    (format, tile, level): (gigaplot::PyramidFormat, u32, u32),
    (lw, lh): (u32, u32),
    image: &[u8],
    background: [u8; 4],
    what: &str,
) -> u64 {
    let mut written = 0;
    for ty in 0..lh.div_ceil(tile) {
        for tx in 0..lw.div_ceil(tile) {
            let (cols, rows) = (tile.min(lw - tx * tile), tile.min(lh - ty * tile));
            let (tw, th) = match format {
                gigaplot::PyramidFormat::Xyz => (tile, tile),
                gigaplot::PyramidFormat::Dzi => (cols, rows),
            };
            let mut expected = vec![0u8; (tw * th * 4) as usize];
            let mut blank = true;
            for y in 0..rows {
                let src = (((ty * tile + y) * lw + tx * tile) * 4) as usize;
                let row = &image[src..src + cols as usize * 4];
                blank &= row.chunks(4).all(|p| p == background);
                let dst = (y * tw * 4) as usize;
                expected[dst..dst + cols as usize * 4].copy_from_slice(row);
            }
            let path = match format {
                gigaplot::PyramidFormat::Xyz => dir.join(format!("{level}/{tx}/{ty}.png")),
                gigaplot::PyramidFormat::Dzi => dir.join(format!("pyramid_files/{level}/{tx}_{ty}.png")),
            };
            assert_eq!(path.exists(), !blank, "{what}: {} exists iff not all background", path.display());
            if !blank {
                let (w, h, _, px) = read_png_rgba(&path);
                assert_eq!((w, h), (tw, th), "{what}: {}", path.display());
                assert!(px == expected, "{what}: {} differs from the render", path.display());
                written += 1;
            }
        }
    }
    written
}
