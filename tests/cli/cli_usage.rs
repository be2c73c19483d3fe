//! Command lines that must be refused, and stderr that cannot be written.
//!
//! Each refusal is checked for its exit code, its exact one-line message, an untouched
//! directory (the old `out.png` and every input byte for byte, no new file), and nothing on
//! stdout. A full or hung-up stderr never turns a finished run into a panic.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::*;
use gigaplot::npy::encode_header;
use gigaplot::DType;

/// The inputs every case may use, and an old `out.png` that must survive.
fn setup(dir: &Path) {
    write_f64(&dir.join("x.npy"), &[0.5, 1.5, 2.5, 3.5]);
    write_f64(&dir.join("y.npy"), &[0.5, 0.5, 1.5, 3.5]);
    let mut cat = encode_header(DType::U8, &[4]);
    cat.extend_from_slice(&[0, 1, 0, 1]);
    std::fs::write(dir.join("cat.npy"), cat).unwrap();
    let mut grid = encode_header(DType::F64, &[2, 2]);
    grid.extend([1.0f64, 2.0, 3.0, 4.0].iter().flat_map(|v| v.to_le_bytes()));
    std::fs::write(dir.join("g.npy"), grid).unwrap();
    std::fs::write(dir.join("out.png"), b"the old output").unwrap();
}

/// Two real statistics parts (shards 0/2 and 1/2) of the points of [`setup`].
fn stats_parts(dir: &Path) {
    for (i, part) in ["p0.json", "p1.json"].iter().enumerate() {
        let shard = format!("{i}/2");
        let out = Command::new(bin())
            .args(["stats", "-q", "--x", "x.npy", "--y", "y.npy", "--x-range", "0,4", "--y-range", "0,4"])
            .args(["--width", "64", "--height", "64", "--shard", &shard, "-o", part])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    std::os::unix::fs::symlink("p0.json", dir.join("link.json")).unwrap();
    std::fs::hard_link(dir.join("p1.json"), dir.join("hard.json")).unwrap();
}

/// One refused command line, run in a directory prepared by [`setup`] (and `extra`).
struct Case {
    args: &'static [&'static str],
    code: i32,
    line: &'static str,
    extra: Option<fn(&Path)>,
}

/// `render` of the points of [`setup`] to out.png, with `more` flags.
macro_rules! render {
    ($($more:expr),*) => {
        &["render", "--x", "x.npy", "--y", "y.npy", "--width", "4", "--height", "4", "-o", "out.png", $($more),*]
    };
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let c = |args, code, line| Case { args, code, line, extra: None };
    let with_parts = |args, line| Case { args, code: 1, line, extra: Some(stats_parts as fn(&Path)) };
    vec![
        // pyramid flags without --pyramid (a whole PNG was rendered instead)
        c(render!("--shard", "0/2", "--stats", "s.json"), 1, "gigaplot: error: --shard: applies to --pyramid only; add --pyramid DIR"),
        c(render!("--stats", "s.json"), 1, "gigaplot: error: --stats: applies to --pyramid only; add --pyramid DIR"),
        c(render!("--span-from-level", "1"), 1, "gigaplot: error: --span-from-level: applies to --pyramid only; add --pyramid DIR"),
        c(render!("--pyramid-tile", "256"), 1, "gigaplot: error: --pyramid-tile: applies to --pyramid only; add --pyramid DIR"),
        c(render!("--viewer-assets", "."), 1, "gigaplot: error: --viewer-assets: applies to --pyramid only; add --pyramid DIR"),
        c(render!("--x-range", "0,4", "--y-range", "0,4", "--pyramid", "pyr", "--shard", "0/2"), 1,
          "gigaplot: error: --shard: needs --stats FILE, the statistics of every shard from gigaplot stats"),
        // stats --merge whose output is one of its inputs, however spelled
        with_parts(&["stats", "--merge", "p0.json", "p1.json", "-o", "p0.json"],
          "gigaplot: error: --output: p0.json is also an input file; choose another output path"),
        with_parts(&["stats", "--merge", "p0.json", "p1.json", "-o", "./p1.json"],
          "gigaplot: error: --output: ./p1.json is also an input file; choose another output path"),
        with_parts(&["stats", "--merge", "p0.json", "p1.json", "-o", "link.json"],
          "gigaplot: error: --output: link.json is also an input file; choose another output path"),
        with_parts(&["stats", "--merge", "p0.json", "p1.json", "-o", "hard.json"],
          "gigaplot: error: --output: hard.json is also an input file; choose another output path"),
        with_parts(&["stats", "--merge", "p0.json", "p1.json", "-o", "m.json", "--width", "32"],
          "gigaplot: error: --width: does not apply to --merge, which reads the canvas from the parts"),
        c(&["stats", "--x", "x.npy", "--y", "y.npy", "--x-range", "0,4", "--y-range", "0,4", "-o", "./y.npy"], 1,
          "gigaplot: error: --output: ./y.npy is also an input file; choose another output path"),
        // papercuts
        c(render!("--xrange", "0,4"), 2,
          "gigaplot: error: unexpected argument '--xrange' found; tip: a similar argument exists: '--x-range'"),
        c(&["render", "--x", "x.npy", "--y", "y.npy", "-o", "out.jpg"], 2,
          "gigaplot: error: invalid value 'out.jpg' for '--output <FILE.png>': gigaplot writes PNG images; give a file name ending in .png"),
        c(&["render", "--x", "x.npy", "--y", "y.npy", "-o", "out.JPEG"], 2,
          "gigaplot: error: invalid value 'out.JPEG' for '--output <FILE.png>': gigaplot writes PNG images; give a file name ending in .png"),
        c(&["render", "--x", "x.npy", "--y", "y.npy", "-o", "out"], 2,
          "gigaplot: error: invalid value 'out' for '--output <FILE.png>': gigaplot writes PNG images; give a file name ending in .png"),
        c(render!("--agg-out", "counts.bin"), 2,
          "gigaplot: error: invalid value 'counts.bin' for '--agg-out <FILE.npy>': the aggregate is written as a NumPy array; give a file name ending in .npy"),
        c(render!("--threads", "100000"), 1, "gigaplot: error: --threads: 100000 threads is more than the 1024 a render can use"),
        c(&["render", "--x", "x.npy:99999999999999999999", "--y", "y.npy", "-o", "out.png"], 2,
          "gigaplot: error: invalid value 'x.npy:99999999999999999999' for '--x <X>': the column number 99999999999999999999 is too large (at most 18446744073709551615)"),
        c(&["info", "x.npy:99999999999999999999"], 2,
          "gigaplot: error: invalid value 'x.npy:99999999999999999999' for '<COLUMNS>...': the column number 99999999999999999999 is too large (at most 18446744073709551615)"),
        // flags that a combination makes meaningless (they were ignored)
        c(render!("--color-key", "red,blue"), 1, "gigaplot: error: --color-key: applies to --agg count-cat only"),
        c(render!("--labels", "a,b"), 1, "gigaplot: error: --labels: applies to --agg count-cat only"),
        c(render!("--glyph", "lines", "--line-width", "1", "--value", "x.npy"), 1,
          "gigaplot: error: --value: count of a value column along anti-aliased lines (--line-width > 0) is not supported; drop the value column or use --line-width 0"),
        c(render!("--agg", "count-cat", "--value", "cat.npy", "--colorbar"), 1,
          "gigaplot: error: --colorbar: count-cat figures get a legend, not a colorbar"),
        c(render!("--bare", "--title", "T"), 1, "gigaplot: error: --title: applies to figures only; drop --bare"),
        c(render!("--bare", "--grid"), 1, "gigaplot: error: --grid: applies to figures only; drop --bare"),
        c(render!("--origin", "lower"), 1, "gigaplot: error: --origin: applies to --raster only"),
        c(render!("--extent", "0,1,0,1"), 1, "gigaplot: error: --extent: applies to --raster only"),
        c(render!("--upsample", "nearest"), 1, "gigaplot: error: --upsample: applies to --raster only"),
        c(render!("--downsample", "max"), 1, "gigaplot: error: --downsample: applies to --raster only"),
        c(render!("--line-width", "0"), 1, "gigaplot: error: --line-width: applies to --glyph lines only"),
        c(render!("--spread-shape", "square"), 1, "gigaplot: error: --spread-shape: applies to --spread and --dynspread only"),
        c(render!("--dynspread-max", "2"), 1, "gigaplot: error: --dynspread-max: applies to --dynspread only"),
        c(render!("--dynspread-threshold", "0.2"), 1, "gigaplot: error: --dynspread-threshold: applies to --dynspread only"),
        c(&["render", "--raster", "g.npy", "-o", "out.png", "--glyph", "lines"], 1,
          "gigaplot: error: --glyph: does not apply to --raster (the raster's cells are the values drawn)"),
        c(&["render", "--raster", "g.npy", "-o", "out.png", "--agg", "max"], 1,
          "gigaplot: error: --agg: does not apply to --raster (the raster's cells are the values drawn)"),
        c(&["render", "--raster", "g.npy", "-o", "out.png", "--scratch-dir", "."], 1,
          "gigaplot: error: --scratch-dir: a raster needs no scratch file (it is read in place)"),
        c(&["render", "--raster", "g.npy", "-o", "out.png", "--projection", "web-mercator"], 1,
          "gigaplot: error: --projection: does not apply to --raster (its cells are placed by --extent; only points are projected)"),
        c(&["render", "--x", "x.npy", "--y", "y.npy", "--x-range", "0,4", "--y-range", "0,4", "--pyramid", "pyr", "--bare"], 1,
          "gigaplot: error: --bare: applies to the PNG image (-o) only; pyramids are not changed by it"),
        c(&["render", "--x", "x.npy", "--y", "y.npy", "--x-range", "0,4", "--y-range", "0,4", "--pyramid", "pyr", "--title", "T"], 1,
          "gigaplot: error: --title: applies to the figure (-o) only; pyramids have no axes"),
    ]
}

#[test]
fn refused_command_lines_leave_everything_as_it_was() {
    let mut failures = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        setup(dir.path());
        if let Some(extra) = case.extra {
            extra(dir.path());
        }
        let before = tree(dir.path());
        let out = Command::new(bin())
            .args(case.args)
            .current_dir(dir.path())
            .env("TMPDIR", dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() != Some(case.code) {
            problems.push(format!("exit {:?}, expected {}", out.status.code(), case.code));
        }
        if stderr != format!("{}\n", case.line) {
            problems.push(format!("stderr {stderr:?}"));
        }
        if !out.stdout.is_empty() {
            problems.push("wrote to stdout".into());
        }
        let after = tree(dir.path());
        if after != before {
            let changed: Vec<_> =
                after.keys().chain(before.keys()).filter(|k| after.get(*k) != before.get(*k)).collect();
            problems.push(format!("files changed: {changed:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!("{:?}: {}", case.args, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn a_bare_gigaplot_prints_the_usage_on_stderr() {
    let out = Command::new(bin()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("\nUsage: gigaplot [OPTIONS] <COMMAND>\n"), "{stderr}");
    for command in ["render", "info", "stats", "serve", "generate"] {
        assert!(stderr.contains(&format!("\n  {command} ")), "{command}: {stderr}");
    }
}

/// `/dev/full` opened for writing: every write fails with ENOSPC.
fn dev_full() -> Stdio {
    Stdio::from(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap())
}

#[test]
fn a_full_stderr_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let run =
        |args: &[&str]| Command::new(bin()).args(args).current_dir(d).stderr(dev_full()).status().unwrap();
    // a render that succeeds, with its summary, a warning and timings to write
    let status = run(&[
        "render",
        "--x",
        "x.npy",
        "--y",
        "y.npy",
        "--width",
        "1000001",
        "--height",
        "1",
        "--timings",
        "--bare",
        "-o",
        "new.png",
    ]);
    assert_eq!(status.code(), Some(0));
    assert_eq!(read_png(&d.join("new.png")).0, 1_000_001);
    assert_eq!(run(&["generate", "--points", "10", "-o", "g"]).code(), Some(0));
    assert_eq!(
        run(&[
            "stats",
            "--x",
            "x.npy",
            "--y",
            "y.npy",
            "--x-range",
            "0,4",
            "--y-range",
            "0,4",
            "-o",
            "s.json"
        ])
        .code(),
        Some(0)
    );
    assert!(d.join("s.json").is_file());
    // failures keep their exit codes: an error, a usage error, a bare gigaplot
    assert_eq!(run(&["render", "--x", "missing.npy", "--y", "y.npy", "-o", "out.png"]).code(), Some(1));
    assert_eq!(run(&["render", "--bogus"]).code(), Some(2));
    assert_eq!(run(&[]).code(), Some(2));
    assert_eq!(std::fs::read(d.join("out.png")).unwrap(), b"the old output");
}

#[test]
fn a_terminal_that_hangs_up_mid_run_never_panics() {
    use std::os::fd::{FromRawFd, OwnedFd};
    let dir = tempfile::tempdir().unwrap();
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors into the integers given; the others may be null.
    let r = unsafe {
        libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null())
    };
    assert_eq!(r, 0, "openpty failed");
    // SAFETY: openpty returned two fresh descriptors that nothing else owns.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut child = Command::new(bin())
        .args(["generate", "--points", "3000000", "-o", "g"])
        .current_dir(dir.path())
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    // the progress bar draws on the terminal, then the terminal goes away: every later
    // write to stderr fails (EIO), the bar's and the summary's
    std::thread::sleep(std::time::Duration::from_millis(150));
    drop(master);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(dir.path().join("g/x.npy").is_file());
}
