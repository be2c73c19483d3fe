//! Paths someone else prepared, on the real binary: symbolic links planted where gigaplot
//! puts its temporaries or its outputs, and FIFOs, devices and directories where it expects
//! regular files.
//!
//! Temporaries are created exclusively at unpredictable names, so a link at any name the
//! old scheme (`.NAME.gigaplot-PID.tmp`) used is never followed. An output path holding
//! anything but a regular file is refused with one line and left as it was. An input that
//! is not a regular file is refused before it is opened, so a FIFO never hangs the run.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// What the planted links point at; it must never change.
const PRECIOUS: &[u8] = b"precious, not gigaplot's";

/// A directory with 1000 points, an output directory, a scratch directory and a victim file
/// outside them.
struct Scene {
    _tmp: tempfile::TempDir,
    d: PathBuf,
    out: PathBuf,
    scratch: PathBuf,
    victim: PathBuf,
}

impl Scene {
    fn new() -> Scene {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().to_path_buf();
        let (out, scratch) = (d.join("out"), d.join("scratch"));
        for dir in [&out, &scratch, &d.join("outside")] {
            std::fs::create_dir(dir).unwrap();
        }
        let xs: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.618).fract()).collect();
        let ys: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.377).fract()).collect();
        write_f64(&d.join("x.npy"), &xs);
        write_f64(&d.join("y.npy"), &ys);
        let victim = d.join("outside/victim.txt");
        std::fs::write(&victim, PRECIOUS).unwrap();
        Scene { _tmp: tmp, d, out, scratch, victim }
    }

    fn s(path: &Path) -> String {
        path.to_string_lossy().into_owned()
    }

    /// `render` of the points on a 64 x 64 canvas with the scratch file in `scratch/`.
    fn render(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> =
            ["render", "-q", "--width", "64", "--height", "64"].map(String::from).into();
        args.extend(
            ["--x", &Scene::s(&self.d.join("x.npy")), "--y", &Scene::s(&self.d.join("y.npy"))]
                .map(String::from),
        );
        args.extend(
            ["--x-range", "0,1", "--y-range", "0,1", "--scratch-dir", &Scene::s(&self.scratch)]
                .map(String::from),
        );
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    }

    /// `stats` of the points for a 64 x 64 pyramid into `output`.
    fn stats(&self, output: &Path) -> Vec<String> {
        let mut args = self.render(&["-o", &Scene::s(output)]);
        args[0] = "stats".into();
        args
    }

    fn victim_intact(&self) {
        assert_eq!(std::fs::read(&self.victim).unwrap(), PRECIOUS, "the file behind a planted link changed");
    }
}

/// Runs gigaplot with `args` after planting, in the child between fork and exec (so with
/// the pid gigaplot will have), a symbolic link to `victim` at every template path, with
/// `{pid}` replaced by that pid.
fn run_planting(args: &[String], templates: &[PathBuf], victim: &Path) -> Output {
    let target = CString::new(victim.as_os_str().as_bytes()).unwrap();
    // Split in the parent: the child must not allocate.
    let parts: Vec<Vec<Vec<u8>>> = templates
        .iter()
        .map(|t| t.to_str().unwrap().split("{pid}").map(|p| p.as_bytes().to_vec()).collect())
        .collect();
    let mut command = Command::new(bin());
    command.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    // SAFETY: the closure only formats into stack buffers and calls getpid and symlink,
    // both async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            let pid = libc::getpid() as u32;
            let mut digits = [0u8; 10];
            let mut n = 0;
            let mut p = pid;
            loop {
                digits[n] = b'0' + (p % 10) as u8;
                n += 1;
                p /= 10;
                if p == 0 {
                    break;
                }
            }
            for pieces in &parts {
                let mut path = [0u8; 4096];
                let mut len = 0;
                for (i, piece) in pieces.iter().enumerate() {
                    if i > 0 {
                        for k in (0..n).rev() {
                            path[len] = digits[k];
                            len += 1;
                        }
                    }
                    path[len..len + piece.len()].copy_from_slice(piece);
                    len += piece.len();
                }
                path[len] = 0;
                if libc::symlink(target.as_ptr(), path.as_ptr().cast()) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    command.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn is_regular(path: &Path) -> bool {
    std::fs::symlink_metadata(path).map(|m| m.file_type().is_file()).unwrap_or(false)
}

#[test]
fn symlinks_at_every_old_temporary_name_are_never_followed() {
    let scene = Scene::new();
    let (out, scratch) = (&scene.out, &scene.scratch);
    let o = |name: &str| out.join(name);
    // The PNG, the aggregate and the scratch file.
    let args = scene.render(&["--bare", "-o", &Scene::s(&o("a.png")), "--agg-out", &Scene::s(&o("a.npy"))]);
    let plants = [
        o(".a.png.gigaplot-{pid}.tmp"),
        o(".a.npy.gigaplot-{pid}.tmp"),
        scratch.join("gigaplot-scratch-{pid}-0.bin"),
    ];
    let run = run_planting(&args, &plants, &scene.victim);
    assert!(run.status.success(), "{}", stderr(&run));
    scene.victim_intact();
    assert!(is_regular(&o("a.png")) && is_regular(&o("a.npy")));
    assert_eq!(read_png(&o("a.png")).0, 64);
    let names = files_in(out);
    assert_eq!(names.len(), 4, "the outputs and the planted links: {names:?}");
    assert_eq!(names.iter().filter(|n| is_link(&out.join(n))).count(), 2, "the links stay links: {names:?}");

    // A figure.
    let args = scene.render(&["-o", &Scene::s(&o("fig.png"))]);
    let run = run_planting(&args, &[o(".fig.png.gigaplot-{pid}.tmp")], &scene.victim);
    assert!(run.status.success(), "{}", stderr(&run));
    scene.victim_intact();
    assert!(is_regular(&o("fig.png")));

    // A pyramid: its tiles, metadata and page, and the statistics file of the first pass.
    let pyr = o("pyr");
    std::fs::create_dir_all(pyr.join("0/0")).unwrap();
    let args = scene.render(&["--pyramid", &Scene::s(&pyr)]);
    let plants = [
        pyr.join("0/0/.0.png.gigaplot-{pid}.tmp"),
        pyr.join(".metadata.json.gigaplot-{pid}.tmp"),
        pyr.join(".index.html.gigaplot-{pid}.tmp"),
        scratch.join("gigaplot-stats-{pid}.json"),
        scratch.join(".gigaplot-stats-{pid}.json.gigaplot-{pid}.tmp"),
    ];
    let run = run_planting(&args, &plants, &scene.victim);
    assert!(run.status.success(), "{}", stderr(&run));
    scene.victim_intact();
    for file in ["0/0/0.png", "metadata.json", "index.html"] {
        assert!(is_regular(&pyr.join(file)), "{file}");
    }

    // generate's columns and a statistics file.
    let gen = o("gen");
    std::fs::create_dir(&gen).unwrap();
    let args: Vec<String> =
        ["generate", "-q", "--points", "1000", "--out", &Scene::s(&gen)].map(String::from).into();
    let run = run_planting(
        &args,
        &[gen.join(".x.npy.gigaplot-{pid}.tmp"), gen.join(".y.npy.gigaplot-{pid}.tmp")],
        &scene.victim,
    );
    assert!(run.status.success(), "{}", stderr(&run));
    scene.victim_intact();
    assert!(is_regular(&gen.join("x.npy")) && is_regular(&gen.join("y.npy")));
    let run = run_planting(&scene.stats(&o("s.json")), &[o(".s.json.gigaplot-{pid}.tmp")], &scene.victim);
    assert!(run.status.success(), "{}", stderr(&run));
    scene.victim_intact();
    assert!(is_regular(&o("s.json")));
    // Nothing but the planted links is left in the scratch directory.
    let left: Vec<String> = files_in(scratch).into_iter().filter(|n| !is_link(&scratch.join(n))).collect();
    assert_eq!(left, Vec::<String>::new());
}

/// Every entry under `dir` (not following links) with what it is, and the bytes of
/// regular files: a FIFO is never opened.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            let what = if kind.is_dir() {
                stack.push(path.clone());
                "dir".to_string()
            } else if kind.is_file() {
                format!("{:?}", std::fs::read(&path).unwrap())
            } else if kind.is_symlink() {
                format!("link to {:?}", std::fs::read_link(&path).unwrap())
            } else {
                format!("{kind:?}")
            };
            out.insert(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned(), what);
        }
    }
    out
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).map(|m| m.file_type().is_symlink()).unwrap_or(false)
}

/// Asserts that `out` failed with exactly `gigaplot: error: PATH: is KIND, not ...` (one
/// line).
fn assert_refused(out: &Output, path: &Path, kind: &str, not: &str) {
    let text = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{path:?}: {text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    let expected = format!("gigaplot: error: {}: is {kind}, not {not}", path.display());
    assert!(text.starts_with(&expected), "expected {expected:?}, got {text:?}");
}

#[test]
fn an_output_that_is_a_symlink_is_refused_and_left_alone() {
    let scene = Scene::new();
    let o = |name: &str| scene.out.join(name);
    let link = |name: &str| {
        std::os::unix::fs::symlink(&scene.victim, o(name)).unwrap();
        o(name)
    };
    let (png, agg, json) = (link("link.png"), link("link.npy"), link("link.json"));
    let gen = o("gen");
    std::fs::create_dir(&gen).unwrap();
    std::os::unix::fs::symlink(&scene.victim, gen.join("y.npy")).unwrap();
    let elsewhere = scene.d.join("outside/pyr");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, o("pyr")).unwrap();
    let before = snapshot(&scene.d);
    let cases: Vec<(Vec<String>, PathBuf, &str)> = vec![
        (scene.render(&["--bare", "-o", &Scene::s(&png)]), png.clone(), "a regular file"),
        (scene.render(&["-o", &Scene::s(&png)]), png.clone(), "a regular file"),
        (
            scene.render(&["-o", &Scene::s(&o("ok.png")), "--agg-out", &Scene::s(&agg)]),
            agg.clone(),
            "a regular file",
        ),
        (
            ["generate", "-q", "--points", "100", "--out", &Scene::s(&gen)].map(String::from).into(),
            gen.join("y.npy"),
            "a regular file",
        ),
        (scene.stats(&json), json.clone(), "a regular file"),
        (scene.render(&["--pyramid", &Scene::s(&o("pyr"))]), o("pyr"), "a directory"),
    ];
    for (args, path, not) in cases {
        let out = Command::new(bin()).args(&args).output().unwrap();
        assert_refused(&out, &path, "a symbolic link", not);
        assert!(is_link(&path), "{path:?} was replaced");
    }
    scene.victim_intact();
    assert_eq!(snapshot(&scene.d), before, "nothing written, nothing left");
}

/// A character device to write to, named like a PNG (`-o` takes only `.png` names): a node
/// of /dev/null's device in `dir`, which only root can make (None for other users, whose
/// only character devices are named by the system, not `*.png`).
fn device(dir: &Path) -> Option<PathBuf> {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        return None;
    }
    let path = dir.join("null.png");
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path; makedev(1, 3) is /dev/null's device number.
    assert_eq!(unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) }, 0);
    Some(path)
}

fn mkfifo(path: &Path) -> PathBuf {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    path.to_path_buf()
}

#[test]
fn an_output_that_is_a_fifo_a_device_or_a_directory_is_refused_and_left_alone() {
    let scene = Scene::new();
    let o = |name: &str| scene.out.join(name);
    let fifo = mkfifo(&o("fifo.png"));
    let fifo_npy = mkfifo(&o("fifo.npy"));
    let dir = o("dir.png");
    std::fs::create_dir(&dir).unwrap();
    let dev = device(&scene.d.join("outside"));
    let before = snapshot(&scene.d);
    let mut cases: Vec<(Vec<String>, &Path, &str)> = vec![
        (scene.render(&["--bare", "-o", &Scene::s(&fifo)]), &fifo, "a named pipe (FIFO)"),
        (
            scene.render(&["-o", &Scene::s(&o("ok.png")), "--agg-out", &Scene::s(&fifo_npy)]),
            &fifo_npy,
            "a named pipe (FIFO)",
        ),
        (scene.stats(&fifo), &fifo, "a named pipe (FIFO)"),
        (scene.render(&["-o", &Scene::s(&dir)]), &dir, "a directory"),
    ];
    if let Some(dev) = &dev {
        cases.push((scene.render(&["--bare", "-o", &Scene::s(dev)]), dev, "a character device"));
    }
    for (args, path, kind) in cases {
        let mut child = Command::new(bin()).args(&args).stderr(Stdio::piped()).spawn().unwrap();
        let out = wait_or_kill(&mut child, Duration::from_secs(20));
        assert_refused(&out, path, kind, "a regular file");
    }
    for fifo in [&fifo, &fifo_npy] {
        assert!(std::fs::symlink_metadata(fifo).unwrap().file_type().is_fifo(), "{fifo:?} was replaced");
    }
    if let Some(dev) = &dev {
        assert!(std::fs::symlink_metadata(dev).unwrap().file_type().is_char_device());
    }
    assert!(dir.is_dir());
    assert_eq!(snapshot(&scene.d), before, "nothing written, nothing left");
}

/// Waits for `child` for at most `limit`; a child still running then is killed and the
/// test fails (it hung).
fn wait_or_kill(child: &mut std::process::Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gigaplot hung for {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut stderr = Vec::new();
    if let Some(mut pipe) = child.stderr.take() {
        std::io::Read::read_to_end(&mut pipe, &mut stderr).unwrap();
    }
    Output { status: child.wait().unwrap(), stdout: Vec::new(), stderr }
}

#[test]
fn inputs_that_are_fifos_or_devices_are_refused_without_hanging() {
    let scene = Scene::new();
    let fifo = mkfifo(&scene.d.join("fifo.npy"));
    let stats_fifo = mkfifo(&scene.d.join("stats.json"));
    let (x, y) = (Scene::s(&scene.d.join("x.npy")), Scene::s(&scene.d.join("y.npy")));
    let png = Scene::s(&scene.out.join("out.png"));
    let f = Scene::s(&fifo);
    let zero = Path::new("/dev/zero");
    let render = |args: &[&str]| -> Vec<String> {
        let mut all: Vec<String> =
            ["render", "-q", "--width", "32", "--height", "32", "-o", &png].map(String::from).into();
        all.extend(args.iter().map(|a| a.to_string()));
        all
    };
    let fifo_kind = "a named pipe (FIFO)";
    let cases: Vec<(Vec<String>, &Path, &str)> = vec![
        (["info".to_string(), f.clone()].into(), &fifo, fifo_kind),
        (["info".to_string(), "/dev/zero".into()].into(), zero, "a character device"),
        (render(&["--x", &f, "--y", &y]), &fifo, fifo_kind),
        (render(&["--x", &x, "--y", &f]), &fifo, fifo_kind),
        (render(&["--x", &x, "--y", &y, "--agg", "sum", "--value", &f]), &fifo, fifo_kind),
        (render(&["--raster", &f]), &fifo, fifo_kind),
        (render(&["--x", "/dev/zero", "--y", &y]), zero, "a character device"),
        (render(&["--raster", "/dev/zero"]), zero, "a character device"),
        (
            scene.render(&[
                "--pyramid",
                &Scene::s(&scene.out.join("pyr")),
                "--stats",
                &Scene::s(&stats_fifo),
            ]),
            &stats_fifo,
            fifo_kind,
        ),
    ];
    for (args, path, kind) in cases {
        let mut child =
            Command::new(bin()).args(&args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let out = wait_or_kill(&mut child, Duration::from_secs(10));
        assert_refused(&out, path, kind, "a regular file");
    }
    assert_eq!(files_in(&scene.out), Vec::<String>::new());
    assert_eq!(files_in(&scene.scratch), Vec::<String>::new());

    // A symbolic link to a regular input still works.
    let link = scene.d.join("link.npy");
    std::os::unix::fs::symlink(scene.d.join("x.npy"), &link).unwrap();
    run_ok(&render(&["--x", &Scene::s(&link), "--y", &y]).iter().map(String::as_str).collect::<Vec<_>>());
    run_ok(&["info", &Scene::s(&link)]);
    assert_eq!(files_in(&scene.out), ["out.png"]);
}
