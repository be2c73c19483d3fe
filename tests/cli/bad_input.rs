//! The bad-input matrix: every malformed input, flag or path exits with the expected code
//! and exactly one line on stderr naming the file or flag and the problem, never panics,
//! and leaves no file behind (no output, no temporary, no scratch file).
//!
//! Exit codes: 2 for a command line clap rejects (a flag value that does not parse, an
//! unknown name), 1 for everything found while running (bad files, bad combinations).
//! Each case runs in its own directory; all cases run, and the test lists every failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use parquet::basic::Compression;

use crate::common::tables::{sample, write_arrow, write_parquet, Col};
use crate::common::*;

/// A .npy version 1.0 file with a hand-written header dictionary and `data` after it.
fn npy_bytes(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

/// A header dictionary for `descr`, `fortran` and `shape` (a Python tuple, e.g. `(4,)`).
fn dict(descr: &str, fortran: bool, shape: &str) -> String {
    let fortran = if fortran { "True" } else { "False" };
    format!("{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}")
}

/// The files and flags of one case, in its own directory.
struct Setup {
    dir: PathBuf,
    /// The table of `render TABLE --x COLUMN --y COLUMN` (None: `--x` and `--y` are files).
    table: Option<String>,
    x: String,
    y: String,
    output: String,
    agg_out: Option<String>,
    extra: Vec<String>,
    /// Run the binary as an unprivileged user (for permission cases when tests run as root).
    unprivileged: bool,
}

impl Setup {
    /// A directory with good 4-point x.npy and y.npy, rendering to out.png and agg.npy.
    fn new(dir: &Path) -> Setup {
        write_f64(&dir.join("x.npy"), &[1.0, 2.0, 3.0, 4.0]);
        write_f64(&dir.join("y.npy"), &[0.5, 0.5, 0.25, 1.0]);
        let s = |name: &str| dir.join(name).to_string_lossy().into_owned();
        Setup {
            dir: dir.to_path_buf(),
            table: None,
            x: s("x.npy"),
            y: s("y.npy"),
            output: s("out.png"),
            agg_out: Some(s("agg.npy")),
            extra: vec!["--width".into(), "50".into(), "--height".into(), "40".into()],
            unprivileged: false,
        }
    }

    /// Replaces x.npy with `bytes`.
    fn x_bytes(&mut self, bytes: &[u8]) {
        std::fs::write(&self.x, bytes).unwrap();
    }

    /// Adds flags the default command line does not set.
    fn flags(&mut self, flags: &[&str]) {
        self.extra.extend(flags.iter().map(|f| f.to_string()));
    }

    /// Sets the canvas size (as text, so invalid numbers can be given).
    fn size(&mut self, width: &str, height: &str) {
        self.extra[1] = width.into();
        self.extra[3] = height.into();
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    fn command(&self) -> Command {
        let mut command = Command::new(bin());
        command.arg("render");
        command.args(&self.table);
        command.args(["--x", &self.x, "--y", &self.y, "-o", &self.output]);
        if let Some(agg) = &self.agg_out {
            command.args(["--agg-out", agg]);
        }
        command.args(&self.extra);
        command.env("TMPDIR", &self.dir);
        if self.unprivileged {
            drop_privileges(&mut command);
        }
        command
    }
}

/// Makes the child run as `nobody` when the tests run as root (root ignores permissions).
fn drop_privileges(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    // SAFETY: setgid/setuid are async-signal-safe and touch no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::setgid(65534) != 0 || libc::setuid(65534) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// One row of the matrix.
struct Case {
    name: &'static str,
    setup: fn(&mut Setup),
    code: i32,
    /// Words stderr must contain (the file or flag, and the problem).
    mention: &'static [&'static str],
}

#[rustfmt::skip] // One case per line reads as a table.
fn cases() -> Vec<Case> {
    vec![
        // --- Input files ---
        Case { name: "empty file", code: 1, mention: &["x.npy", "empty"], setup: |s| s.x_bytes(b"") },
        Case { name: "wrong magic", code: 1, mention: &["x.npy", "magic"], setup: |s| s.x_bytes(b"PK\x03\x04 not numpy at all") },
        Case { name: "truncated header", code: 1, mention: &["x.npy", "truncated"], setup: |s| {
            let bytes = npy_bytes(&dict("'<f8'", false, "(4,)"), &[0; 32]);
            s.x_bytes(&bytes[..40]);
        }},
        Case { name: "truncated preamble", code: 1, mention: &["x.npy", "truncated"], setup: |s| s.x_bytes(b"\x93NUMPY\x01") },
        Case { name: "truncated data", code: 1, mention: &["x.npy", "truncated"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<f8'", false, "(4,)"), &[0; 20]));
        }},
        Case { name: "header claims more data than the file holds", code: 1, mention: &["x.npy", "promises 8000000000 bytes"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<f8'", false, "(1000000000,)"), &[0; 32]));
        }},
        Case { name: "shape too large to address", code: 1, mention: &["x.npy", "too large"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<f8'", false, "(4611686018427387904, 4611686018427387904)"), &[0; 32]));
            s.x = format!("{}:0", s.x);
        }},
        Case { name: "malformed header dictionary", code: 1, mention: &["x.npy", "malformed"], setup: |s| {
            s.x_bytes(&npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4,", &[0; 32]));
        }},
        Case { name: "unknown format version", code: 1, mention: &["x.npy", "version 9.0"], setup: |s| {
            let mut bytes = npy_bytes(&dict("'<f8'", false, "(4,)"), &[0; 32]);
            bytes[6] = 9;
            s.x_bytes(&bytes);
        }},
        Case { name: "big-endian", code: 1, mention: &["x.npy", "big-endian"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'>f8'", false, "(4,)"), &[0; 32]));
        }},
        Case { name: "object dtype", code: 1, mention: &["x.npy", "object"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'|O'", false, "(4,)"), &[0; 32]));
        }},
        Case { name: "unicode string dtype", code: 1, mention: &["x.npy", "string"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<U2'", false, "(4,)"), &[0; 32]));
        }},
        Case { name: "byte string dtype", code: 1, mention: &["x.npy", "string"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'|S8'", false, "(4,)"), &[0; 32]));
        }},
        Case { name: "complex dtype", code: 1, mention: &["x.npy", "complex"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<c16'", false, "(4,)"), &[0; 64]));
        }},
        Case { name: "structured dtype", code: 1, mention: &["x.npy", "structured"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("[('a', '<f8'), ('b', '<f8')]", false, "(4,)"), &[0; 64]));
        }},
        Case { name: "float16 dtype", code: 1, mention: &["x.npy", "float16"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<f2'", false, "(4,)"), &[0; 8]));
        }},
        Case { name: "0-D array", code: 1, mention: &["x.npy", "0-D"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<f8'", false, "()"), &[0; 8]));
        }},
        Case { name: "3-D array", code: 1, mention: &["x.npy", "3-D"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<f8'", false, "(2, 2, 1)"), &[0; 32]));
        }},
        Case { name: "2-D array without a column", code: 1, mention: &["x.npy", "FILE.npy:K", "--glyph lines"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<f8'", false, "(4, 2)"), &[0; 64]));
        }},
        Case { name: "2-D x and y of different shapes", code: 1, mention: &["y.npy", "(2, 4)", "x.npy", "(4, 2)", "same shape"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<f8'", false, "(4, 2)"), &[0; 64]));
            std::fs::write(&s.y, npy_bytes(&dict("'<f8'", false, "(2, 4)"), &[0; 64])).unwrap();
            s.flags(&["--glyph", "lines"]);
        }},
        Case { name: "shared x of the wrong length", code: 1, mention: &["y.npy", "(3, 2)", "x.npy", "(4,)", "needs 3 values"], setup: |s| {
            std::fs::write(&s.y, npy_bytes(&dict("'<f8'", true, "(3, 2)"), &[0; 48])).unwrap();
            s.flags(&["--glyph", "lines"]);
        }},
        Case { name: "--series that does not divide", code: 1, mention: &["x.npy", "4 values", "--series 3"], setup: |s| {
            s.flags(&["--glyph", "lines", "--series", "3"]);
        }},
        Case { name: "--series 0", code: 1, mention: &["--series", "at least 1"], setup: |s| {
            s.flags(&["--glyph", "lines", "--series", "0"]);
        }},
        Case { name: "--series for points", code: 1, mention: &["--series", "--glyph lines"], setup: |s| {
            s.flags(&["--series", "2"]);
        }},
        Case { name: "--series with a 2-D array", code: 1, mention: &["x.npy", "(4, 2)", "1-D columns"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<f8'", false, "(4, 2)"), &[0; 64]));
            s.flags(&["--glyph", "lines", "--series", "2"]);
        }},
        Case { name: "value of several series of another shape", code: 1, mention: &["v.npy", "(3,)", "--value along 2 series"], setup: |s| {
            let v = s.y.replace("y.npy", "v.npy");
            write_f64(Path::new(&v), &[1.0, 2.0, 3.0]);
            s.flags(&["--glyph", "lines", "--series", "2", "--agg", "sum", "--value", &v]);
        }},
        Case { name: "column index out of range", code: 1, mention: &["x.npy:2", "column 2"], setup: |s| {
            s.x_bytes(&npy_bytes(&dict("'<f8'", false, "(4, 2)"), &[0; 64]));
            s.x = format!("{}:2", s.x);
        }},
        Case { name: "columns of different lengths", code: 1, mention: &["y.npy", "x.npy", "same length"], setup: |s| {
            write_f64(Path::new(&s.y), &[1.0, 2.0, 3.0]);
        }},
        Case { name: "all-NaN column", code: 1, mention: &["x.npy", "NaN"], setup: |s| {
            write_f64(Path::new(&s.x), &[f64::NAN; 4]);
        }},
        Case { name: "zero points", code: 1, mention: &["x.npy", "no points"], setup: |s| {
            write_f64(Path::new(&s.x), &[]);
            write_f64(Path::new(&s.y), &[]);
        }},
        Case { name: "infinities without a range", code: 1, mention: &["x.npy", "infinite", "--x-range"], setup: |s| {
            write_f64(Path::new(&s.x), &[1.0, f64::INFINITY, 2.0, f64::NEG_INFINITY]);
        }},
        Case { name: "missing input file", code: 1, mention: &["nope.npy", "No such file"], setup: |s| s.x = s.path("nope.npy") },
        Case { name: "input is a directory", code: 1, mention: &["x.npy", "directory"], setup: |s| {
            std::fs::remove_file(&s.x).unwrap();
            std::fs::create_dir(&s.x).unwrap();
        }},
        Case { name: "empty input name", code: 2, mention: &["--x", "empty file name"], setup: |s| s.x = String::new() },
        // --- Flags ---
        Case { name: "range with x0 = x1", code: 2, mention: &["--x-range", "LO must be below HI"], setup: |s| s.flags(&["--x-range", "5,5"]) },
        Case { name: "range with x0 > x1", code: 2, mention: &["--y-range", "LO must be below HI"], setup: |s| s.flags(&["--y-range", "1,-1"]) },
        Case { name: "range with NaN", code: 2, mention: &["--x-range", "NaN"], setup: |s| s.flags(&["--x-range", "nan,1"]) },
        Case { name: "infinite range", code: 2, mention: &["--x-range", "finite"], setup: |s| s.flags(&["--x-range", "0,inf"]) },
        Case { name: "range that is not a range", code: 2, mention: &["--x-range", "LO,HI"], setup: |s| s.flags(&["--x-range", "7"]) },
        Case { name: "width 0", code: 1, mention: &["--width", "0 pixels"], setup: |s| s.size("0", "40") },
        Case { name: "height 0", code: 1, mention: &["--height", "0 pixels"], setup: |s| s.size("50", "0") },
        Case { name: "width 2^31", code: 1, mention: &["--width", "2147483647"], setup: |s| s.size("2147483648", "40") },
        Case { name: "height 2^31", code: 1, mention: &["--height", "2147483647"], setup: |s| s.size("50", "2147483648") },
        Case { name: "width over 2^32", code: 2, mention: &["--width", "4294967296"], setup: |s| s.size("4294967296", "40") },
        Case { name: "negative height", code: 2, mention: &["'-3'"], setup: |s| s.size("50", "-3") },
        Case { name: "tile size 0", code: 1, mention: &["--tile", "at least 1"], setup: |s| s.flags(&["--tile", "0"]) },
        Case { name: "memory budget too small for one band", code: 1, mention: &["--memory", "at least"], setup: |s| s.flags(&["--memory", "1MiB"]) },
        Case { name: "memory that is not a size", code: 2, mention: &["--memory", "not a size"], setup: |s| s.flags(&["--memory", "lots"]) },
        Case { name: "memory with an unknown unit", code: 2, mention: &["--memory", "unknown unit"], setup: |s| s.flags(&["--memory", "5parsecs"]) },
        Case { name: "zero threads", code: 1, mention: &["--threads", "at least one"], setup: |s| s.flags(&["--threads", "0"]) },
        Case { name: "unknown colormap", code: 2, mention: &["--cmap", "unknown colormap 'rainbowz'"], setup: |s| s.flags(&["--cmap", "rainbowz"]) },
        // The count is the only reduction so far: --how names the transfer function.
        Case { name: "unknown shading (--how)", code: 2, mention: &["--how", "'sqrtish'"], setup: |s| s.flags(&["--how", "sqrtish"]) },
        Case { name: "unknown background colour", code: 2, mention: &["--background", "'blurple'"], setup: |s| s.flags(&["--background", "blurple"]) },
        Case { name: "unknown compression", code: 2, mention: &["--compression"], setup: |s| s.flags(&["--compression", "tiny"]) },
        Case { name: "unknown flag", code: 2, mention: &["--colour"], setup: |s| s.flags(&["--colour", "red"]) },
        // --- Output paths ---
        Case { name: "output in a missing directory", code: 1, mention: &["missing/dir/out.png", "does not exist"], setup: |s| {
            s.output = s.path("missing/dir/out.png");
        }},
        Case { name: "aggregate in a missing directory", code: 1, mention: &["missing/agg.npy", "does not exist"], setup: |s| {
            s.agg_out = Some(s.path("missing/agg.npy"));
        }},
        Case { name: "output in a read-only directory", code: 1, mention: &["ro/out.png", "Permission denied"], setup: |s| {
            read_only_dir(s);
            s.output = s.path("ro/out.png");
            s.agg_out = None;
        }},
        Case { name: "output that is the input", code: 1, mention: &["--output", "input"], setup: |s| {
            // an input named like a PNG, so the name passes and the same-file check refuses it
            let x = s.path("x.png");
            std::fs::rename(&s.x, &x).unwrap();
            s.x = x.clone();
            s.output = x;
        }},
        Case { name: "aggregate that is the input", code: 1, mention: &["--agg-out", "input"], setup: |s| s.agg_out = Some(s.y.clone()) },
        Case { name: "aggregate that is the output", code: 2, mention: &["--agg-out", ".npy"], setup: |s| s.agg_out = Some(s.output.clone()) },
        Case { name: "output is a directory", code: 1, mention: &["sub", "directory"], setup: |s| {
            std::fs::create_dir(s.path("sub.png")).unwrap();
            s.output = s.path("sub.png");
        }},
        Case { name: "aggregate is a directory", code: 1, mention: &["sub", "directory"], setup: |s| {
            std::fs::create_dir(s.path("sub.npy")).unwrap();
            s.agg_out = Some(s.path("sub.npy"));
        }},
        Case { name: "scratch directory is a file", code: 1, mention: &["--scratch-dir", "not a directory"], setup: |s| {
            std::fs::write(s.path("file"), b"x").unwrap();
            let file = s.path("file");
            s.flags(&["--scratch-dir", &file]);
        }},
        Case { name: "scratch directory is missing", code: 1, mention: &["--scratch-dir", "not a directory"], setup: |s| {
            let missing = s.path("nowhere");
            s.flags(&["--scratch-dir", &missing]);
        }},
        // --- Limits ---
        Case { name: "aggregate larger than the disk", code: 1, mention: &["not enough free disk space", "4000000000144 bytes needed"], setup: |s| {
            // 10^12 pixels of u32 + the header, plus 4 points x 4 bytes of scratch.
            s.size("1000000", "1000000");
        }},
    ]
}

/// A read-only subdirectory `ro` (files inside readable by the unprivileged user).
fn read_only_dir(s: &mut Setup) {
    use std::os::unix::fs::PermissionsExt;
    let ro = s.dir.join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(&s.dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    s.unprivileged = true;
}

/// Every file under `dir`, recursively, as relative paths.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Runs one case; returns what is wrong with its outcome, if anything.
fn check(case: &Case) -> Option<String> {
    run_case(case.name, case.setup, case.code, |stderr, _| {
        case.mention
            .iter()
            .filter(|word| !stderr.contains(*word))
            .map(|word| format!("does not mention {word:?}"))
            .collect()
    })
}

/// Runs a case set up by `prepare`, expecting exit `code`, one error line, no stdout and no
/// file changed, and whatever `verify(stderr, directory)` checks; returns what is wrong.
fn run_case(
    name: &str,
    prepare: fn(&mut Setup),
    code: i32,
    verify: impl Fn(&str, &Path) -> Vec<String>,
) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut setup = Setup::new(dir.path());
    prepare(&mut setup);
    let before = tree(dir.path());
    let out = setup.command().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(code) {
        problems.push(format!("exit {:?}, expected {}", out.status.code(), code));
    }
    if stderr.lines().count() != 1 || !stderr.ends_with('\n') {
        problems.push("stderr is not exactly one line".to_string());
    }
    if !stderr.starts_with("gigaplot: error: ") {
        problems.push("stderr does not start with 'gigaplot: error: '".to_string());
    }
    if stderr.contains("panick") || stderr.contains("RUST_BACKTRACE") {
        problems.push("panicked".to_string());
    }
    problems.extend(verify(&stderr, dir.path()));
    if !out.stdout.is_empty() {
        problems.push("wrote to stdout".to_string());
    }
    let after = tree(dir.path());
    if after != before {
        problems.push(format!("files changed: {before:?} -> {after:?}"));
    }
    (!problems.is_empty())
        .then(|| format!("{name}: {}\n    stderr: {}", problems.join("; "), stderr.trim_end()))
}

/// One table row of the matrix: its exact line, `{dir}` standing for the case's directory.
struct TableCase {
    name: &'static str,
    setup: fn(&mut Setup),
    code: i32,
    line: &'static str,
}

/// The sample table's columns (x, y: float32, v: float64, c: int32), 3000 rows.
fn columns() -> Vec<(&'static str, Col)> {
    sample(3000)
}

/// `render DIR/NAME --x x --y y` (the table form) with nothing written yet.
fn table(s: &mut Setup, name: &str) -> String {
    let path = s.path(name);
    s.table = Some(path.clone());
    (s.x, s.y) = ("x".into(), "y".into());
    path
}

/// `render DIR/t.parquet --x x --y y` on the sample table in row groups of 1000 rows.
fn parquet_table(s: &mut Setup) -> String {
    let path = table(s, "t.parquet");
    write_parquet(Path::new(&path), &columns(), 1000, Compression::SNAPPY, true);
    path
}

/// `render DIR/NAME --x x --y y` on a CSV file holding `text`.
fn csv_table(s: &mut Setup, text: &str) {
    let path = table(s, "t.csv");
    std::fs::write(path, text).unwrap();
}

/// A Parquet file with one column `b` of raw bytes (binary: no string type).
fn write_binary_parquet(path: &Path) {
    use parquet::data_type::{ByteArray, ByteArrayType};
    let schema = std::sync::Arc::new(
        parquet::schema::parser::parse_message_type("message m { required binary b; }").unwrap(),
    );
    let props = std::sync::Arc::new(parquet::file::properties::WriterProperties::builder().build());
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::file::writer::SerializedFileWriter::new(file, schema, props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    let values: Vec<ByteArray> = vec![b"ab".to_vec().into(), b"cd".to_vec().into()];
    column.typed::<ByteArrayType>().write_batch(&values, None, None).unwrap();
    column.close().unwrap();
    group.close().unwrap();
    writer.close().unwrap();
}

#[rustfmt::skip] // One case per line reads as a table.
fn table_cases() -> Vec<TableCase> {
    vec![
        TableCase { name: "Parquet footer cut off", code: 1, line: "gigaplot: error: {dir}/t.parquet: is not a readable Parquet file (Invalid Parquet file. Corrupt footer)", setup: |s| {
            let path = parquet_table(s);
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        }},
        TableCase { name: "Parquet page header overwritten", code: 1, line: "gigaplot: error: {dir}/t.parquet:x: is a corrupt or truncated Parquet file (Unexpected struct field type 15)", setup: |s| {
            let path = parquet_table(s);
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[4..40].fill(0xff);
            std::fs::write(&path, &bytes).unwrap();
            s.flags(&["--x-range", "0,1", "--y-range", "0,1"]);
        }},
        TableCase { name: "Parquet of 0 bytes", code: 1, line: "gigaplot: error: {dir}/t.parquet:x: is empty (0 bytes), not a Parquet file", setup: |s| {
            let path = table(s, "t.parquet");
            std::fs::write(path, b"").unwrap();
        }},
        TableCase { name: "Parquet without rows", code: 1, line: "gigaplot: error: {dir}/t.parquet:x: has no points; there is nothing to plot", setup: |s| {
            let path = table(s, "t.parquet");
            write_parquet(Path::new(&path), &[("x", Col::F32(vec![])), ("y", Col::F32(vec![]))], 10, Compression::SNAPPY, true);
        }},
        TableCase { name: "Parquet column of nulls only", code: 1, line: "gigaplot: error: {dir}/t.parquet:x: every value is NaN; there is nothing to plot", setup: |s| {
            let path = table(s, "t.parquet");
            let columns = [("x", Col::F32(vec![None; 4])), ("y", Col::F32(vec![Some(1.0); 4]))];
            write_parquet(Path::new(&path), &columns, 10, Compression::SNAPPY, true);
        }},
        TableCase { name: "Parquet column of bytes", code: 1, line: "gigaplot: error: {dir}/t.parquet:b: is a column of byte_array, not numbers; gigaplot reads integer, float, bool and string (category) columns", setup: |s| {
            let path = table(s, "t.parquet");
            write_binary_parquet(Path::new(&path));
            s.x = "b".into();
        }},
        TableCase { name: "Parquet strings without a dictionary as categories", code: 1, line: "gigaplot: error: {dir}/t.parquet:label: is a string column without a dictionary in row group 0; gigaplot reads string columns as categories when they are dictionary-encoded", setup: |s| {
            let path = table(s, "t.parquet");
            std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tables/plain_strings.parquet"), path).unwrap();
            s.flags(&["--agg", "count-cat", "--value", "label"]);
        }},
        TableCase { name: "missing column", code: 1, line: "gigaplot: error: {dir}/t.parquet: has no column 'nope'; its columns are: x (float32), y (float32), v (float64), c (int32)", setup: |s| {
            parquet_table(s);
            s.y = "nope".into();
        }},
        TableCase { name: "FILE:COLUMN with a missing column", code: 1, line: "gigaplot: error: {dir}/t.parquet: has no column 'nope'; its columns are: x (float32), y (float32), v (float64), c (int32)", setup: |s| {
            let path = parquet_table(s);
            s.table = None;
            (s.x, s.y) = (format!("{path}:x"), format!("{path}:nope"));
        }},
        TableCase { name: "a table named without a column", code: 1, line: "gigaplot: error: {dir}/t.parquet: is a table; name a column as FILE:COLUMN, or give the table first: gigaplot render TABLE --x COLUMN --y COLUMN", setup: |s| {
            let path = parquet_table(s);
            s.table = None;
            (s.x, s.y) = (path.clone(), path);
        }},
        TableCase { name: "table columns of different lengths", code: 1, line: "gigaplot: error: {dir}/s.parquet:y: has 10 values but the x column {dir}/t.parquet:x has 3000; x and y must have the same length", setup: |s| {
            let path = parquet_table(s);
            let short = s.path("s.parquet");
            write_parquet(Path::new(&short), &sample(10), 5, Compression::SNAPPY, true);
            s.table = None;
            (s.x, s.y) = (format!("{path}:x"), format!("{short}:y"));
        }},
        TableCase { name: "Arrow IPC file cut off", code: 1, line: "gigaplot: error: {dir}/t.arrow: is a corrupt or truncated Arrow IPC (Feather) file (the footer's ARROW1 magic is missing)", setup: |s| {
            let path = table(s, "t.arrow");
            write_arrow(Path::new(&path), &columns(), 1000, None, false);
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
        }},
        TableCase { name: "Arrow IPC file of text", code: 1, line: "gigaplot: error: {dir}/t.arrow:x: is named like an Arrow IPC (Feather) file (.arrow/.feather/.ipc) but holds text; a CSV file must be named .csv or .tsv", setup: |s| {
            let path = table(s, "t.arrow");
            std::fs::write(path, "x,y\n1,2\n").unwrap();
        }},
        TableCase { name: "CSV ragged line", code: 1, line: "gigaplot: error: {dir}/t.csv: line 3 has 3 fields but the header has 2; every row needs one field per column", setup: |s| csv_table(s, "x,y\n1,2\n3,4,5\n") },
        TableCase { name: "CSV word in a number column", code: 1, line: "gigaplot: error: {dir}/t.csv: line 3, column 'y': 'four' is not a number", setup: |s| csv_table(s, "x,y\n1,2\n3,four\n") },
        TableCase { name: "CSV quote left open", code: 1, line: "gigaplot: error: {dir}/t.csv: line 3 has 1 fields but the header has 2; every row needs one field per column", setup: |s| csv_table(s, "x,y\n1,2\n\"3,4\n5,6\n") },
        TableCase { name: "CSV of 0 bytes", code: 1, line: "gigaplot: error: {dir}/t.csv: is empty: a CSV file needs a header row naming its columns", setup: |s| csv_table(s, "") },
        TableCase { name: "CSV header without rows", code: 1, line: "gigaplot: error: {dir}/t.csv:x: has no points; there is nothing to plot", setup: |s| csv_table(s, "x,y\n") },
        TableCase { name: "CSV named .npy", code: 1, line: "gigaplot: error: {dir}/x.npy: is named like a .npy array (.npy) but holds text; a CSV file must be named .csv or .tsv", setup: |s| {
            std::fs::write(&s.x, "x,y\n1,2\n").unwrap();
        }},
        TableCase { name: "a directory given as a table", code: 1, line: "gigaplot: error: {dir}/t.parquet:x: is a directory, not a regular file", setup: |s| {
            let path = table(s, "t.parquet");
            std::fs::create_dir(path).unwrap();
        }},
        TableCase { name: "a symbolic link to a directory given as a table", code: 1, line: "gigaplot: error: {dir}/t.parquet:x: is a directory, not a regular file", setup: |s| {
            let path = table(s, "t.parquet");
            std::fs::create_dir(s.path("d")).unwrap();
            std::os::unix::fs::symlink(s.path("d"), path).unwrap();
        }},
        TableCase { name: "a dangling symbolic link given as a table", code: 1, line: "gigaplot: error: {dir}/t.parquet: No such file or directory (os error 2)", setup: |s| {
            let path = table(s, "t.parquet");
            std::os::unix::fs::symlink(s.path("gone.parquet"), path).unwrap();
        }},
    ]
}

#[test]
fn every_bad_table_fails_cleanly_with_its_line() {
    let cases = table_cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            run_case(case.name, case.setup, case.code, |stderr, dir| {
                let line = case.line.replace("{dir}", &dir.display().to_string());
                (stderr.trim_end() != line).then(|| format!("expected {line:?}")).into_iter().collect()
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_bad_input_fails_cleanly_with_one_line() {
    let cases = cases();
    let failures: Vec<String> = cases.iter().filter_map(check).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn infinities_and_nans_are_skipped_when_a_range_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_f64(&d.join("x.npy"), &[1.0, f64::INFINITY, f64::NAN, f64::NEG_INFINITY, 2.0]);
    write_f64(&d.join("y.npy"), &[1.0, 1.0, 1.0, 1.0, f64::NAN]);
    let s = |n: &str| d.join(n).to_string_lossy().into_owned();
    let out = run_ok(&[
        "render",
        "--x",
        &s("x.npy"),
        "--y",
        &s("y.npy"),
        "--x-range",
        "0,4",
        "--y-range",
        "0,2",
        "--width",
        "4",
        "--height",
        "2",
        "-o",
        &s("out.png"),
        "--agg-out",
        &s("agg.npy"),
        "-q",
    ]);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let (shape, counts) = read_counts(&d.join("agg.npy"));
    assert_eq!(shape, [2, 4]);
    // Only (1, 1) is finite in both coordinates: x bin 1 of 4, y bin 1 of 2 counted from the
    // bottom, which is row 0 from the top.
    assert_eq!(counts, [0, 1, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn help_and_version_still_print_normally() {
    let out = run(&["render", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--x-range"));
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
}

/// The command line refuses an empty input for statistics as for a render (the library
/// renders an empty canvas; `tests/library/memory_sinks.rs`), with no output file.
#[test]
fn statistics_of_no_points_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("e.npy");
    write_f64(&empty, &[]);
    let (e, out) = (empty.to_str().unwrap(), dir.path().join("s.json"));
    let o = out.to_str().unwrap();
    let result = run(&["stats", "-q", "--x", e, "--y", e, "--x-range", "0,1", "--y-range", "0,1", "-o", o]);
    assert_eq!(result.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&result.stderr),
        format!("gigaplot: error: {e}: has no points; there is nothing to plot\n")
    );
    assert!(!out.exists());
}
