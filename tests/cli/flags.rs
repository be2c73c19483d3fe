//! Every flag of every `--help`, run through the real binary at least once.
//!
//! [`cases`] is a table: each row names the command and the flags it exercises, and runs the
//! binary in a fresh directory with an assertion that fails when the flag does nothing or
//! the wrong thing (pixel bytes, aggregate values, image sizes, files, messages). A second
//! test reads `gigaplot --help` and `gigaplot COMMAND --help` and fails when a listed flag,
//! argument or command has no row, so a new flag cannot arrive without a test.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use gigaplot::npy::{encode_header, NpyHeader};
use gigaplot::Colormap;
use gigaplot::DType;

/// Runs the binary in `dir` with `args`.
fn gp(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin()).args(args).current_dir(dir).env("TMPDIR", dir).output().unwrap()
}

/// Runs the binary in `dir`, requires success, returns stderr.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = gp(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "gigaplot {args:?}: {stderr}");
    stderr
}

/// Runs the binary in `dir`, requires exit `code` and one line on stderr; returns the line.
fn fails(dir: &Path, args: &[&str], code: i32) -> String {
    let out = gp(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "gigaplot {args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "gigaplot {args:?}: {stderr}");
    stderr.trim_end().to_string()
}

/// Writes an .npy of `dtype` and `shape` holding `data` (little-endian bytes).
fn write_npy(path: &Path, dtype: DType, shape: &[usize], data: &[u8]) {
    let mut bytes = encode_header(dtype, shape);
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

/// The 7 base points on the 4 x 4 canvas of [`BASE`]: 1 point in pixel (col 0, row 3), 2 in
/// (1, 3), 4 in (2, 2) (rows from the top).
fn base_points(dir: &Path) {
    write_f64(&dir.join("x.npy"), &[0.5, 1.5, 1.5, 2.5, 2.5, 2.5, 2.5]);
    write_f64(&dir.join("y.npy"), &[0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 1.5]);
}

/// Flags that render [`base_points`] on a 4 x 4 canvas covering [0, 4]^2.
const BASE: [&str; 13] = [
    "render",
    "-q",
    "--x",
    "x.npy",
    "--y",
    "y.npy",
    "--x-range",
    "0,4",
    "--y-range",
    "0,4",
    "--width",
    "4",
    "--height",
];

/// [`BASE`] with height 4 and `extra` after it.
fn base(extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = BASE.to_vec();
    args.push("4");
    args.extend_from_slice(extra);
    args
}

/// The counts of the base points, row-major, row 0 at the top.
fn base_counts() -> Vec<u32> {
    let mut c = vec![0; 16];
    c[12] = 1;
    c[13] = 2;
    c[10] = 4;
    c
}

/// The f64 values of an .npy (any shape), as bits so NaN compares equal.
fn read_f64_bits(path: &Path) -> (Vec<usize>, Vec<u64>) {
    let bytes = std::fs::read(path).unwrap();
    let h = NpyHeader::parse(&bytes).unwrap();
    assert_eq!(h.dtype, DType::F64, "{}", path.display());
    let values = bytes[h.data_offset..].chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap()));
    (h.shape.clone(), values.collect())
}

/// f64 values as bits (NaN for None).
fn bits(values: &[Option<f64>]) -> Vec<u64> {
    values.iter().map(|v| v.unwrap_or(f64::NAN).to_bits()).collect()
}

/// PNG size (width, height).
fn dims(path: &Path) -> (u32, u32) {
    let (w, h, _, _) = read_png(path);
    (w, h)
}

/// The RGBA (or RGB) bytes of pixel `i` of a decoded PNG.
fn pixel(png: &(u32, u32, usize, Vec<u8>), i: usize) -> Vec<u8> {
    png.3[i * png.2..(i + 1) * png.2].to_vec()
}

/// Number of pixels of an RGBA PNG that are not fully transparent.
fn lit(path: &Path) -> usize {
    let (_, _, bpp, px) = read_png(path);
    assert_eq!(bpp, 4);
    px.chunks_exact(4).filter(|p| p[3] != 0).count()
}

/// A 2 x 2 float64 raster [[1, 2], [3, 4]] as g.npy.
fn small_raster(dir: &Path) {
    let data: Vec<u8> = [1.0f64, 2.0, 3.0, 4.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    write_npy(&dir.join("g.npy"), DType::F64, &[2, 2], &data);
}

/// The render flags of a small pyramid of the base points.
fn pyramid(dir_name: &'static str, extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = BASE.to_vec();
    args[11] = "64";
    args.extend_from_slice(&["64", "--pyramid", dir_name]);
    args.extend_from_slice(extra);
    args
}

/// The flags of `stats` for the pyramid of [`pyramid`].
fn stats_args(out: &'static str, extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = vec![
        "stats",
        "-q",
        "--x",
        "x.npy",
        "--y",
        "y.npy",
        "--x-range",
        "0,4",
        "--y-range",
        "0,4",
        "--width",
        "64",
        "--height",
        "64",
        "-o",
        out,
    ];
    args.extend_from_slice(extra);
    args
}

/// `gigaplot COMMAND --help` (or the top-level help for "gigaplot").
fn help_text(cmd: &str) -> String {
    let args: Vec<&str> = if cmd == "gigaplot" { vec!["--help"] } else { vec![cmd, "--help"] };
    let out = Command::new(bin()).args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

/// A free local port (bound and released; the server binds it again at once).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `gigaplot serve` on `port` with `extra` flags, GETs `path` once it answers, stops
/// it and returns the response.
fn serve_and_get(dir: &Path, port: u16, extra: &[&str], path: &str) -> String {
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(bin())
        .args(["serve", "site", "--addr", &addr])
        .args(extra)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let response = loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(&addr) {
            stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
            let mut response = Vec::new();
            let _ = stream.read_to_end(&mut response);
            break String::from_utf8_lossy(&response).into_owned();
        }
        if started.elapsed() > Duration::from_secs(10) || child.try_wait().unwrap().is_some() {
            break String::new();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = child.kill();
    let _ = child.wait();
    response
}

/// One row: `cmd` (or "gigaplot" for the top level) and the flags (long names) or
/// `<ARGUMENTS>` its check exercises.
struct Case {
    cmd: &'static str,
    flags: &'static [&'static str],
    check: fn(&Path),
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    vec![
        // ---- render: data and canvas ----
        Case { cmd: "render", flags: &["--x", "--y", "--agg-out"], check: |d| {
            base_points(d);
            ok(d, &base(&["--bare", "-o", "o.png", "--agg-out", "a.npy"]));
            assert_eq!(read_counts(&d.join("a.npy")), (vec![4, 4], base_counts()));
        }},
        Case { cmd: "render", flags: &["--x-range", "--y-range"], check: |d| {
            base_points(d);
            // only x < 2 and y < 1: the points of pixels (0, 3) and (1, 3)
            let log = ok(d, &["render", "--x", "x.npy", "--y", "y.npy", "--x-range", "0,2", "--y-range", "0,1",
                              "--width", "4", "--height", "4", "--bare", "-o", "o.png", "--agg-out", "a.npy"]);
            assert!(log.contains("3 of 7 points plotted"), "{log}");
            let (shape, counts) = read_counts(&d.join("a.npy"));
            assert_eq!(shape, [4, 4]);
            // x bins of 0.5: 0.5 -> column 1, 1.5 -> column 3; y bins of 0.25: 0.5 -> row 1 from the top
            assert_eq!(counts[4 + 1], 1);
            assert_eq!(counts[4 + 3], 2);
            assert_eq!(counts.iter().sum::<u32>(), 3);
        }},
        Case { cmd: "render", flags: &["--width", "--height", "--bare"], check: |d| {
            base_points(d);
            let mut args = BASE.to_vec();
            args.extend(["3", "--bare", "-o", "o.png", "--agg-out", "a.npy"]);
            args[11] = "7";
            ok(d, &args);
            assert_eq!(dims(&d.join("o.png")), (7, 3));
            assert_eq!(read_counts(&d.join("a.npy")).0, [3, 7]);
        }},
        Case { cmd: "render", flags: &["--output"], check: |d| {
            base_points(d);
            // a figure: the 4 x 4 data area framed by axes, so larger
            ok(d, &base(&["--output", "fig.png"]));
            let (w, h) = dims(&d.join("fig.png"));
            assert!(w > 40 && h > 40, "{w} x {h}");
            ok(d, &base(&["-o", "FIG2.PNG"]));
            assert_eq!(std::fs::read(d.join("fig.png")).unwrap(), std::fs::read(d.join("FIG2.PNG")).unwrap());
        }},
        Case { cmd: "render", flags: &["--x-scale", "--y-scale"], check: |d| {
            write_f64(&d.join("x.npy"), &[1.0, 10.0, 100.0, 1000.0]);
            write_f64(&d.join("y.npy"), &[1.0, 10.0, 100.0, 1000.0]);
            let args = |xs: &'static str, ys: &'static str, out: &'static str| vec![
                "render", "-q", "--x", "x.npy", "--y", "y.npy", "--x-range", "1,10000", "--y-range", "1,10000",
                "--width", "4", "--height", "4", "--x-scale", xs, "--y-scale", ys, "--bare", "-o", "o.png",
                "--agg-out", out,
            ];
            // log10 puts 1, 10, 100, 1000 in bins 0, 1, 2, 3: the diagonal
            ok(d, &args("log", "log", "log.npy"));
            let mut diagonal = vec![0u32; 16];
            for i in 0..4 {
                diagonal[(3 - i) * 4 + i] = 1;
            }
            assert_eq!(read_counts(&d.join("log.npy")).1, diagonal);
            // linear x: bins of 2500 put all four in column 0
            ok(d, &args("linear", "log", "lin.npy"));
            let mut column = vec![0u32; 16];
            for row in 0..4 {
                column[row * 4] = 1;
            }
            assert_eq!(read_counts(&d.join("lin.npy")).1, column);
        }},
        Case { cmd: "render", flags: &["--glyph"], check: |d| {
            write_f64(&d.join("x.npy"), &[0.5, 3.5]);
            write_f64(&d.join("y.npy"), &[0.5, 0.5]);
            ok(d, &base(&["--glyph", "lines", "--bare", "-o", "o.png", "--agg-out", "a.npy"]));
            let mut want = vec![0u32; 16];
            want[12..16].copy_from_slice(&[1, 1, 1, 1]);
            assert_eq!(read_counts(&d.join("a.npy")).1, want);
        }},
        Case { cmd: "render", flags: &["--series"], check: |d| {
            write_f64(&d.join("x.npy"), &[0.5, 3.5, 0.5, 3.5]);
            write_f64(&d.join("y.npy"), &[0.5, 0.5, 3.5, 3.5]);
            // two separate horizontal lines, not joined by a diagonal
            ok(d, &base(&["--glyph", "lines", "--series", "2", "--bare", "-o", "o.png", "--agg-out", "a.npy"]));
            let mut want = vec![0u32; 16];
            want[..4].copy_from_slice(&[1, 1, 1, 1]);
            want[12..].copy_from_slice(&[1, 1, 1, 1]);
            assert_eq!(read_counts(&d.join("a.npy")).1, want);
        }},
        Case { cmd: "render", flags: &["--line-width"], check: |d| {
            write_f64(&d.join("x.npy"), &[0.5, 3.5]);
            write_f64(&d.join("y.npy"), &[0.5, 0.5]);
            ok(d, &base(&["--glyph", "lines", "--line-width", "1", "--bare", "-o", "o.png", "--agg-out", "a.npy"]));
            // anti-aliased: float32 coverage, NaN where no line passed
            let bytes = std::fs::read(d.join("a.npy")).unwrap();
            let h = NpyHeader::parse(&bytes).unwrap();
            assert_eq!((h.dtype, h.shape.clone()), (DType::F32, vec![4, 4]));
            let v: Vec<f32> =
                bytes[h.data_offset..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
            assert!(v[12..].iter().all(|&c| c > 0.0), "{v:?}");
            assert!(v[..4].iter().all(|c| c.is_nan()), "{v:?}");
        }},
        Case { cmd: "render", flags: &["--agg", "--value"], check: |d| {
            base_points(d);
            write_f64(&d.join("v.npy"), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
            ok(d, &base(&["--agg", "sum", "--value", "v.npy", "--bare", "-o", "o.png", "--agg-out", "a.npy"]));
            let mut want = vec![None; 16];
            want[12] = Some(1.0);
            want[13] = Some(5.0);
            want[10] = Some(22.0);
            assert_eq!(read_f64_bits(&d.join("a.npy")), (vec![4, 4], bits(&want)));
        }},
        Case { cmd: "render", flags: &["--color-key"], check: |d| {
            write_f64(&d.join("x.npy"), &[0.5, 1.5]);
            write_f64(&d.join("y.npy"), &[0.5, 0.5]);
            write_npy(&d.join("c.npy"), DType::U8, &[2], &[0, 1]);
            let args = |key: &'static str, out: &'static str| {
                base(&["--agg", "count-cat", "--value", "c.npy", "--color-key", key, "--bare", "-o", out])
            };
            ok(d, &args("red,blue", "o.png"));
            let png = read_png(&d.join("o.png"));
            assert_eq!(pixel(&png, 12), [255, 0, 0, 255]);
            assert_eq!(pixel(&png, 13), [0, 0, 255, 255]);
            assert_eq!((0..16).filter(|&i| pixel(&png, i)[3] != 0).count(), 2);
            // hex codes; the alpha of a key colour is ignored
            ok(d, &args("#00ff00,#0000ff80", "hex.png"));
            let png = read_png(&d.join("hex.png"));
            assert_eq!(pixel(&png, 12), [0, 255, 0, 255]);
            assert_eq!(pixel(&png, 13), [0, 0, 255, 255]);
        }},
        Case { cmd: "render", flags: &["--labels"], check: |d| {
            write_f64(&d.join("x.npy"), &[0.5, 1.5]);
            write_f64(&d.join("y.npy"), &[0.5, 0.5]);
            write_npy(&d.join("c.npy"), DType::U8, &[2], &[0, 1]);
            ok(d, &base(&["--agg", "count-cat", "--value", "c.npy", "-o", "plain.png"]));
            ok(d, &base(&["--agg", "count-cat", "--value", "c.npy", "--labels", "a much longer category name,b", "-o", "named.png"]));
            // the legend holds the names: longer names, a wider figure
            let (plain, named) = (dims(&d.join("plain.png")), dims(&d.join("named.png")));
            assert!(named.0 > plain.0 + 50, "{plain:?} {named:?}");
        }},
        // ---- render: shading ----
        Case { cmd: "render", flags: &["--how"], check: |d| {
            base_points(d);
            // counts 1, 2, 4 on black..white, as Datashader: the minimum is subtracted, then f(2 - 1) /
            // f(4 - 1) of the way up: linear 1/3 (85), log ln 2 / ln 4 = 1/2 (127), cbrt 1 / 3^(1/3) (176)
            let gray = |how: &'static str, out: &'static str| {
                ok(d, &base(&["--cmap", "gray", "--how", how, "--bare", "-o", out]));
                let png = read_png(&d.join(out));
                [pixel(&png, 12), pixel(&png, 13), pixel(&png, 10)]
            };
            assert_eq!(gray("linear", "lin.png"), [vec![0, 0, 0, 255], vec![85, 85, 85, 255], vec![255, 255, 255, 255]]);
            assert_eq!(gray("log", "log.png")[1], [127, 127, 127, 255]);
            assert_eq!(gray("cbrt", "cbrt.png")[1], [176, 176, 176, 255]);
        }},
        Case { cmd: "render", flags: &["--cmap"], check: |d| {
            base_points(d);
            ok(d, &base(&["--cmap", "viridis", "--how", "linear", "--bare", "-o", "o.png"]));
            let png = read_png(&d.join("o.png"));
            let viridis = Colormap::by_name("viridis").unwrap();
            let (first, last) = (viridis.colors()[0], *viridis.colors().last().unwrap());
            assert_eq!(pixel(&png, 12)[..3], first);
            assert_eq!(pixel(&png, 10)[..3], last);
            ok(d, &base(&["--cmap", "viridis_r", "--how", "linear", "--bare", "-o", "r.png"]));
            assert_eq!(pixel(&read_png(&d.join("r.png")), 10)[..3], first);
            // a range: the lowest count gets fire[51] (Datashader's fire[51:]), the highest fire[255]
            ok(d, &base(&["--cmap", "fire:0.2", "--how", "linear", "--bare", "-o", "part.png"]));
            let fire = Colormap::by_name("fire").unwrap();
            let part = read_png(&d.join("part.png"));
            assert_eq!(pixel(&part, 12)[..3], fire.colors()[51]);
            assert_eq!(pixel(&part, 10)[..3], fire.colors()[255]);
            ok(d, &base(&["--cmap", "fire:0.2:0.6", "--how", "linear", "--bare", "-o", "mid.png"]));
            assert_eq!(pixel(&read_png(&d.join("mid.png")), 10)[..3], fire.colors()[152]);
            // a list of colours, as Datashader's cmap=['#ff0000', 'blue']
            ok(d, &base(&["--cmap", "#ff0000,blue", "--how", "linear", "--bare", "-o", "list.png"]));
            let list = read_png(&d.join("list.png"));
            assert_eq!([pixel(&list, 12), pixel(&list, 10)], [vec![255, 0, 0, 255], vec![0, 0, 255, 255]]);
            let line = fails(d, &base(&["--cmap", "fire:0.6:0.2", "-o", "bad.png"]), 2);
            assert!(line.ends_with("colormap range 'fire:0.6:0.2': LO and HI must be fractions with 0 <= LO < HI <= 1"), "{line}");
            assert!(!d.join("bad.png").exists());
        }},
        Case { cmd: "render", flags: &["--background"], check: |d| {
            base_points(d);
            ok(d, &base(&["--background", "#102030", "--bare", "-o", "o.png"]));
            let png = read_png(&d.join("o.png"));
            assert_eq!(png.2, 3, "an opaque background gives an RGB PNG");
            assert_eq!(pixel(&png, 0), [0x10, 0x20, 0x30]);
            ok(d, &base(&["--bare", "-o", "t.png"]));
            assert_eq!(pixel(&read_png(&d.join("t.png")), 0), [0, 0, 0, 0]);
        }},
        Case { cmd: "render", flags: &["--tile"], check: |d| {
            run_ok(&["generate", "-q", "--points", "20000", "-o", d.to_str().unwrap()]);
            let big = |extra: &[&'static str], out: &'static str| {
                let mut args = vec!["render", "-q", "--x", "x.npy", "--y", "y.npy", "--width", "300", "--height", "200", "--bare", "-o", out];
                args.extend_from_slice(extra);
                ok(d, &args);
                std::fs::read(d.join(out)).unwrap()
            };
            assert!(big(&[], "a.png") == big(&["--tile", "7"], "b.png"), "--tile changed the output");
            let line = fails(d, &base(&["--tile", "0", "-o", "z.png"]), 1);
            assert!(line.starts_with("gigaplot: error: --tile: "), "{line}");
        }},
        Case { cmd: "render", flags: &["--threads"], check: |d| {
            run_ok(&["generate", "-q", "--points", "20000", "-o", d.to_str().unwrap()]);
            let big = |extra: &[&'static str], out: &'static str| {
                let mut args = vec!["render", "-q", "--x", "x.npy", "--y", "y.npy", "--width", "300", "--height", "200", "--bare", "-o", out];
                args.extend_from_slice(extra);
                ok(d, &args);
                std::fs::read(d.join(out)).unwrap()
            };
            assert!(big(&["--threads", "1"], "a.png") == big(&["--threads", "3"], "b.png"), "--threads changed the output");
            // On a machine of 16 cores the default budget holds the buffers of 10 threads:
            // the default takes that many; 16 asked for are refused, naming the threads.
            let many = std::process::Command::new(bin())
                .current_dir(d)
                .env("RAYON_NUM_THREADS", "16")
                .args(["render", "-q", "--x", "x.npy", "--y", "y.npy", "--width", "300", "--height", "200", "--bare", "-o", "c.png"])
                .output()
                .unwrap();
            assert!(many.status.success(), "{}", String::from_utf8_lossy(&many.stderr));
            assert!(std::fs::read(d.join("c.png")).unwrap() == std::fs::read(d.join("a.png")).unwrap(), "16 cores changed the output");
            let line = fails(d, &base(&["--threads", "16", "-o", "z.png"]), 1);
            assert_eq!(
                line,
                "gigaplot: error: --memory: a budget of 268435456 bytes cannot hold one band of a 4-pixel-wide canvas \
                 beside 16 worker threads; at least 377487392 bytes (361 MiB) are needed, or fewer threads"
            );
            let line = fails(d, &base(&["--threads", "100000", "-o", "z.png"]), 1);
            assert_eq!(line, "gigaplot: error: --threads: 100000 threads is more than the 1024 a render can use");
        }},
        Case { cmd: "render", flags: &["--memory"], check: |d| {
            base_points(d);
            ok(d, &base(&["--memory", "1GiB", "--bare", "-o", "o.png"]));
            let line = fails(d, &base(&["--memory", "1MiB", "-o", "z.png"]), 1);
            assert!(line.starts_with("gigaplot: error: --memory: a budget of 1048576 bytes"), "{line}");
        }},
        Case { cmd: "render", flags: &["--compression"], check: |d| {
            run_ok(&["generate", "-q", "--points", "20000", "-o", d.to_str().unwrap()]);
            let png = |c: &'static str, out: &'static str| {
                ok(d, &["render", "-q", "--x", "x.npy", "--y", "y.npy", "--width", "400", "--height", "300", "--bare", "--compression", c, "-o", out]);
                (std::fs::metadata(d.join(out)).unwrap().len(), read_png(&d.join(out)).3)
            };
            let (fast, small) = (png("fast", "f.png"), png("small", "s.png"));
            assert_eq!(fast.1, small.1, "the pixels are the same");
            // A count plot is indexed: the fast encoder is about zlib's level 9 there, and
            // small keeps the smaller of the two per segment.
            assert!(small.0 <= fast.0, "indexed: small {} bytes, fast {}", small.0, fast.0);
            // Truecolour (a spread plot): level 6 against level 1, strictly smaller.
            let rgba = |c: &'static str, out: &'static str| {
                ok(d, &["render", "-q", "--x", "x.npy", "--y", "y.npy", "--width", "400", "--height", "300", "--bare", "--spread", "1", "--compression", c, "-o", out]);
                (std::fs::metadata(d.join(out)).unwrap().len(), read_png(&d.join(out)).3)
            };
            let (fast, small) = (rgba("fast", "rf.png"), rgba("small", "rs.png"));
            assert_eq!(fast.1, small.1, "the pixels are the same");
            assert!(small.0 < fast.0, "truecolour: small {} bytes, fast {}", small.0, fast.0);
        }},
        Case { cmd: "render", flags: &["--thumbnail"], check: |d| {
            base_points(d);
            // a 4 x 4 figure with a 2 x 2 thumbnail: the bare render at 2 x 2
            ok(d, &base(&["--cmap", "fire:0.2", "--thumbnail", "2", "-o", "o.png"]));
            let thumb = read_png(&d.join("o.thumb.png"));
            assert_eq!((thumb.0, thumb.1), (2, 2));
            ok(d, &BASE[..BASE.len() - 3].iter().copied().chain(["--width", "2", "--height", "2", "--cmap", "fire:0.2", "--bare", "-o", "t.png"]).collect::<Vec<_>>());
            assert_eq!(std::fs::read(d.join("o.thumb.png")).unwrap(), std::fs::read(d.join("t.png")).unwrap());
            let line = fails(d, &base(&["--thumbnail", "0", "-o", "z.png"]), 2);
            assert!(line.contains("--thumbnail"), "{line}");
        }},
        Case { cmd: "render", flags: &["--scratch-dir"], check: |d| {
            base_points(d);
            std::fs::create_dir(d.join("scratch")).unwrap();
            ok(d, &base(&["--scratch-dir", "scratch", "-o", "o.png"]));
            assert!(files_in(&d.join("scratch")).is_empty(), "the scratch file is removed");
            let line = fails(d, &base(&["--scratch-dir", "missing", "-o", "z.png"]), 1);
            assert_eq!(line, "gigaplot: error: --scratch-dir: missing is not a directory");
        }},
        Case { cmd: "render", flags: &["--timings"], check: |d| {
            base_points(d);
            let log = ok(d, &base(&["--timings", "-o", "o.png"]));
            let stages: Vec<&str> = log.lines().collect();
            assert!(stages.iter().any(|l| l.contains("statistics:")), "{log}");
            assert!(stages.iter().all(|l| l.starts_with("gigaplot: ") && l.ends_with(" s")), "{log}");
            assert_eq!(ok(d, &base(&["-o", "o.png"])), "", "no timings without the flag");
            // with --thumbnail each render reports its own stages, the thumbnail's named so
            let log = ok(d, &base(&["--timings", "--thumbnail", "2", "-o", "o.png"]));
            let (thumb, main): (Vec<&str>, Vec<&str>) = log.lines().partition(|l| l.contains(" thumbnail "));
            assert_eq!(main.iter().filter(|l| l.contains(" statistics:")).count(), 1, "{log}");
            assert_eq!(thumb.iter().filter(|l| l.contains(" thumbnail statistics:")).count(), 1, "{log}");
            assert!(thumb.iter().any(|l| l.contains(" thumbnail render:")) && main.iter().any(|l| l.contains(" render:")), "{log}");
            assert!(log.lines().all(|l| l.starts_with("gigaplot: ") && l.ends_with(" s")), "{log}");
            // rasters too
            small_raster(d);
            let log = ok(d, &["render", "-q", "--raster", "g.npy", "--width", "2", "--height", "2", "--timings", "-o", "r.png"]);
            assert!(log.lines().any(|l| l.contains("render:")) && log.lines().all(|l| l.ends_with(" s")), "{log}");
        }},
        // ---- render: spreading ----
        Case { cmd: "render", flags: &["--spread", "--spread-shape"], check: |d| {
            write_f64(&d.join("x.npy"), &[3.5]);
            write_f64(&d.join("y.npy"), &[3.5]);
            let spread = |shape: &'static str, out: &'static str| {
                ok(d, &["render", "-q", "--x", "x.npy", "--y", "y.npy", "--x-range", "0,7", "--y-range", "0,7",
                        "--width", "7", "--height", "7", "--bare", "--spread", "2", "--spread-shape", shape, "-o", out]);
                lit(&d.join(out))
            };
            // radius 2.5: the 5 x 5 square without its 4 corners; a square keeps them
            assert_eq!(spread("circle", "c.png"), 21);
            assert_eq!(spread("square", "s.png"), 25);
        }},
        Case { cmd: "render", flags: &["--dynspread", "--dynspread-max"], check: |d| {
            write_f64(&d.join("x.npy"), &[3.5]);
            write_f64(&d.join("y.npy"), &[3.5]);
            let log = ok(d, &["render", "--x", "x.npy", "--y", "y.npy", "--x-range", "0,7", "--y-range", "0,7",
                              "--width", "7", "--height", "7", "--bare", "--dynspread", "--dynspread-max", "1", "-o", "o.png"]);
            // one point has no neighbour: spread by the maximum, 1 px (a 3 x 3 disc)
            assert!(log.contains(", dynspread 1 px,"), "{log}");
            assert_eq!(lit(&d.join("o.png")), 9);
        }},
        Case { cmd: "render", flags: &["--dynspread-threshold"], check: |d| {
            write_f64(&d.join("x.npy"), &[1.5, 2.5]);
            write_f64(&d.join("y.npy"), &[1.5, 1.5]);
            let px = |t: &'static str| {
                let log = ok(d, &["render", "--x", "x.npy", "--y", "y.npy", "--x-range", "0,8", "--y-range", "0,4",
                                  "--width", "8", "--height", "4", "--bare", "--dynspread", "--dynspread-threshold", t, "-o", "o.png"]);
                log.split(", dynspread ").nth(1).and_then(|s| s.split(' ').next()).unwrap().to_string()
            };
            // two touching points: every pixel has a neighbour (density 1)
            assert_eq!(px("0"), "0");
            assert_eq!(px("1"), "3");
        }},
        // ---- render: figure ----
        Case { cmd: "render", flags: &["--title", "--xlabel", "--ylabel"], check: |d| {
            base_points(d);
            let size = |extra: &[&'static str], out: &'static str| {
                let mut args = base(&["-o", out]);
                args.extend_from_slice(extra);
                ok(d, &args);
                dims(&d.join(out))
            };
            let plain = size(&[], "p.png");
            let title = size(&["--title", "Title"], "t.png");
            let xlabel = size(&["--xlabel", "x label"], "x.png");
            let ylabel = size(&["--ylabel", "y label"], "y.png");
            assert!(title.1 > plain.1, "--title: {plain:?} {title:?}");
            assert!(xlabel.1 > plain.1, "--xlabel: {plain:?} {xlabel:?}");
            assert!(ylabel.0 > plain.0 && ylabel.1 == plain.1, "--ylabel: {plain:?} {ylabel:?}");
        }},
        Case { cmd: "render", flags: &["--font-size"], check: |d| {
            base_points(d);
            ok(d, &base(&["--font-size", "10", "-o", "small.png"]));
            ok(d, &base(&["--font-size", "30", "-o", "big.png"]));
            let (small, big) = (dims(&d.join("small.png")), dims(&d.join("big.png")));
            assert!(big.0 > small.0 && big.1 > small.1, "{small:?} {big:?}");
        }},
        Case { cmd: "render", flags: &["--grid"], check: |d| {
            base_points(d);
            let mut args = BASE.to_vec();
            args[11] = "400";
            args.extend(["400", "--background", "white", "-o", "plain.png"]);
            ok(d, &args);
            *args.last_mut().unwrap() = "grid.png";
            args.push("--grid");
            ok(d, &args);
            let (plain, grid) = (read_png(&d.join("plain.png")), read_png(&d.join("grid.png")));
            assert_eq!((plain.0, plain.1), (grid.0, grid.1));
            assert_ne!(plain.3, grid.3, "--grid drew nothing");
        }},
        Case { cmd: "render", flags: &["--colorbar"], check: |d| {
            base_points(d);
            ok(d, &base(&["-o", "plain.png"]));
            ok(d, &base(&["--colorbar", "-o", "bar.png"]));
            let (plain, bar) = (dims(&d.join("plain.png")), dims(&d.join("bar.png")));
            assert!(bar.0 > plain.0, "{plain:?} {bar:?}");
        }},
        // ---- render: pyramids ----
        Case { cmd: "render", flags: &["--pyramid"], check: |d| {
            base_points(d);
            ok(d, &pyramid("pyr", &[]));
            let files = tree(&d.join("pyr"));
            assert!(files.contains_key("metadata.json") && files.contains_key("index.html"), "{:?}", files.keys());
            assert_eq!(dims(&d.join("pyr/0/0/0.png")), (256, 256));
        }},
        Case { cmd: "render", flags: &["--pyramid-tile", "--span-from-level"], check: |d| {
            base_points(d);
            ok(d, &pyramid("pyr", &["--pyramid-tile", "16", "--span-from-level", "1"]));
            let meta: serde_json::Value =
                serde_json::from_slice(&std::fs::read(d.join("pyr/metadata.json")).unwrap()).unwrap();
            assert_eq!((meta["tile"].as_u64(), meta["max_zoom"].as_u64()), (Some(16), Some(2)));
            assert_eq!(meta["span_from_level"].as_u64(), Some(1));
            assert_eq!(dims(&d.join("pyr/0/0/0.png")), (16, 16));
        }},
        Case { cmd: "render", flags: &["--pyramid-format"], check: |d| {
            base_points(d);
            ok(d, &pyramid("pyr", &["--pyramid-format", "dzi"]));
            let dzi = std::fs::read_to_string(d.join("pyr/pyramid.dzi")).unwrap();
            assert!(dzi.contains("<Size Width=\"64\" Height=\"64\"/>"), "{dzi}");
            assert!(d.join("pyr/pyramid_files/6/0_0.png").is_file() && d.join("pyr/pyramid_files/0/0_0.png").is_file());
        }},
        Case { cmd: "render", flags: &["--projection", "--max-zoom", "--basemap"], check: |d| {
            write_f64(&d.join("x.npy"), &[-0.1278, 151.2093]);
            write_f64(&d.join("y.npy"), &[51.5074, -33.8688]);
            let args = ["render", "-q", "--x", "x.npy", "--y", "y.npy", "--projection", "web-mercator"];
            let mut pyr = args.to_vec();
            pyr.extend(["--max-zoom", "1", "--pyramid", "pyr", "--basemap", "https://t.example/{z}/{x}/{y}.png"]);
            ok(d, &pyr);
            assert!(d.join("pyr/tilejson.json").is_file());
            assert!(d.join("pyr/1/0/0.png").is_file() && d.join("pyr/1/1/1.png").is_file());
            assert!(!d.join("pyr/1/0/1.png").exists() && !d.join("pyr/1/1/0.png").exists());
            let meta = std::fs::read_to_string(d.join("pyr/metadata.json")).unwrap();
            assert!(meta.contains("\"basemap\": \"https://t.example/{z}/{x}/{y}.png\""), "{meta}");
        }},
        Case { cmd: "render", flags: &["--viewer-assets"], check: |d| {
            base_points(d);
            std::fs::create_dir_all(d.join("node_modules/leaflet/dist")).unwrap();
            std::fs::write(d.join("node_modules/leaflet/dist/leaflet.js"), b"// leaflet js").unwrap();
            std::fs::write(d.join("node_modules/leaflet/dist/leaflet.css"), b"/* leaflet css */").unwrap();
            ok(d, &pyramid("pyr", &["--viewer-assets", "."]));
            assert_eq!(std::fs::read(d.join("pyr/leaflet/leaflet.js")).unwrap(), b"// leaflet js");
            assert_eq!(std::fs::read(d.join("pyr/leaflet/leaflet.css")).unwrap(), b"/* leaflet css */");
        }},
        Case { cmd: "render", flags: &["--stats", "--shard"], check: |d| {
            base_points(d);
            ok(d, &pyramid("whole", &[]));
            ok(d, &stats_args("s.json", &[]));
            ok(d, &pyramid("with-stats", &["--stats", "s.json"]));
            assert!(tree(&d.join("whole")) == tree(&d.join("with-stats")), "--stats changed the pyramid");
            ok(d, &pyramid("sharded", &["--stats", "s.json", "--shard", "0/2"]));
            let half = tree(&d.join("sharded")).len();
            ok(d, &pyramid("sharded", &["--stats", "s.json", "--shard", "1/2"]));
            assert!(half < tree(&d.join("whole")).len(), "shard 0/2 wrote every tile");
            assert!(tree(&d.join("whole")) == tree(&d.join("sharded")), "the shards do not add up");
        }},
        Case { cmd: "render", flags: &["--stats-out"], check: |d| {
            // a spread count pyramid (built in one render): statistics parts, merged, then shards
            base_points(d);
            ok(d, &pyramid("whole", &["--spread", "1"]));
            ok(d, &pyramid("unused", &["--spread", "1", "--stats-out", "p0.json", "--shard", "0/2"]));
            ok(d, &pyramid("unused", &["--spread", "1", "--stats-out", "p1.json", "--shard", "1/2"]));
            assert!(!d.join("unused").exists(), "--stats-out wrote tiles");
            ok(d, &["stats", "-q", "--merge", "p0.json", "p1.json", "-o", "s.json"]);
            ok(d, &pyramid("sharded", &["--spread", "1", "--stats", "s.json", "--shard", "1/2"]));
            assert!(!d.join("sharded/metadata.json").exists());
            ok(d, &pyramid("sharded", &["--spread", "1", "--stats", "s.json", "--shard", "0/2"]));
            assert!(tree(&d.join("whole")) == tree(&d.join("sharded")), "the shards do not add up");
        }},
        // ---- render: rasters ----
        Case { cmd: "render", flags: &["--raster"], check: |d| {
            small_raster(d);
            ok(d, &["render", "-q", "--raster", "g.npy", "--width", "2", "--height", "2", "--bare", "-o", "o.png", "--agg-out", "a.npy"]);
            let want = bits(&[Some(1.0), Some(2.0), Some(3.0), Some(4.0)]);
            assert_eq!(read_f64_bits(&d.join("a.npy")), (vec![2, 2], want));
        }},
        Case { cmd: "render", flags: &["--extent"], check: |d| {
            small_raster(d);
            // the raster in the bottom-left quadrant of a [0, 4]^2 canvas
            ok(d, &["render", "-q", "--raster", "g.npy", "--extent", "0,2,0,2", "--x-range", "0,4", "--y-range", "0,4",
                    "--width", "4", "--height", "4", "--bare", "-o", "o.png", "--agg-out", "a.npy"]);
            let mut want = vec![None; 16];
            want[8] = Some(1.0);
            want[9] = Some(2.0);
            want[12] = Some(3.0);
            want[13] = Some(4.0);
            assert_eq!(read_f64_bits(&d.join("a.npy")).1, bits(&want));
        }},
        Case { cmd: "render", flags: &["--origin"], check: |d| {
            small_raster(d);
            ok(d, &["render", "-q", "--raster", "g.npy", "--origin", "lower", "--width", "2", "--height", "2", "--bare", "-o", "o.png", "--agg-out", "a.npy"]);
            assert_eq!(read_f64_bits(&d.join("a.npy")).1, bits(&[Some(3.0), Some(4.0), Some(1.0), Some(2.0)]));
        }},
        Case { cmd: "render", flags: &["--downsample"], check: |d| {
            let data: Vec<u8> = (0..16).flat_map(|v| f64::from(v).to_le_bytes()).collect();
            write_npy(&d.join("g.npy"), DType::F64, &[4, 4], &data);
            let run = |how: &'static str, out: &'static str| {
                ok(d, &["render", "-q", "--raster", "g.npy", "--downsample", how, "--width", "2", "--height", "2", "--bare", "-o", "o.png", "--agg-out", out]);
                read_f64_bits(&d.join(out)).1
            };
            assert_eq!(run("max", "max.npy"), bits(&[Some(5.0), Some(7.0), Some(13.0), Some(15.0)]));
            assert_eq!(run("min", "min.npy"), bits(&[Some(0.0), Some(2.0), Some(8.0), Some(10.0)]));
        }},
        Case { cmd: "render", flags: &["--upsample"], check: |d| {
            small_raster(d);
            ok(d, &["render", "-q", "--raster", "g.npy", "--upsample", "nearest", "--width", "4", "--height", "4", "--bare", "-o", "o.png", "--agg-out", "a.npy"]);
            let row = |a: f64, b: f64| [Some(a), Some(a), Some(b), Some(b)];
            let want: Vec<Option<f64>> = [row(1.0, 2.0), row(1.0, 2.0), row(3.0, 4.0), row(3.0, 4.0)].concat();
            assert_eq!(read_f64_bits(&d.join("a.npy")).1, bits(&want));
        }},
        // ---- render: reporting ----
        Case { cmd: "render", flags: &["--quiet"], check: |d| {
            base_points(d);
            let mut args = base(&["-o", "o.png"]);
            args.retain(|a| *a != "-q");
            let log = ok(d, &args);
            assert!(log.starts_with("gigaplot: 4 x 4 px, 7 of 7 points plotted") && log.lines().count() == 1, "{log}");
            // the summary names every output the render wrote, and a raster's too
            assert!(log.ends_with(" s -> o.png\n"), "{log}");
            let both: Vec<&str> = args.iter().copied().chain(["--agg-out", "a.npy"]).collect();
            assert!(ok(d, &both).ends_with(" s -> o.png and a.npy\n"));
            small_raster(d);
            let log = ok(d, &["render", "--raster", "g.npy", "--width", "2", "--height", "2", "-o", "r.png", "--pyramid", "rp"]);
            assert!(log.starts_with("gigaplot: 2 x 2 raster -> 2 x 2 px") && log.ends_with(" s -> r.png and rp\n"), "{log}");
            args.push("--quiet");
            assert_eq!(ok(d, &args), "");
        }},
        Case { cmd: "render", flags: &["--help"], check: |d| {
            let out = gp(d, &["render", "--help"]);
            assert_eq!(out.status.code(), Some(0));
            assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: gigaplot render [OPTIONS]"));
            assert_eq!(gp(d, &["render", "-h"]).status.code(), Some(0));
        }},
        // ---- stats ----
        Case { cmd: "stats", flags: &["--x", "--y", "--width", "--height", "--x-range", "--y-range", "--output"], check: |d| {
            base_points(d);
            // statistics are accepted by the render they were computed for ...
            ok(d, &stats_args("s.json", &[]));
            ok(d, &pyramid("p", &["--stats", "s.json"]));
            // ... and refused, naming the file, by a render of another canvas or data
            write_f64(&d.join("x2.npy"), &[0.5, 1.5, 1.5, 2.5, 2.5, 2.5, 2.5, 3.0]);
            write_f64(&d.join("y2.npy"), &[0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 1.5, 3.0]);
            let others: [&[(&str, &'static str)]; 5] = [
                &[("--width", "32")], &[("--height", "32")], &[("--x-range", "0,5")], &[("--y-range", "0,5")],
                &[("--x", "x2.npy"), ("--y", "y2.npy")],
            ];
            for other in others {
                let mut args = stats_args("other.json", &[]);
                for &(flag, value) in other {
                    let at = args.iter().position(|a| *a == flag).unwrap();
                    args[at + 1] = value;
                }
                let flag = other[0].0;
                ok(d, &args);
                let line = fails(d, &pyramid("q", &["--stats", "other.json"]), 1);
                assert!(line.starts_with("gigaplot: error: other.json: "), "{flag}: {line}");
                assert!(!d.join("q").exists(), "{flag}");
            }
        }},
        Case { cmd: "stats", flags: &["--pyramid-tile"], check: |d| {
            base_points(d);
            ok(d, &stats_args("s16.json", &["--pyramid-tile", "16"]));
            ok(d, &pyramid("p", &["--stats", "s16.json", "--pyramid-tile", "16"]));
            let line = fails(d, &pyramid("q", &["--stats", "s16.json"]), 1);
            assert_eq!(line, "gigaplot: error: s16.json: was computed for tile 16, not 256; compute statistics with the render's flags");
        }},
        Case { cmd: "stats", flags: &["--shard", "--merge"], check: |d| {
            base_points(d);
            ok(d, &stats_args("p0.json", &["--shard", "0/2"]));
            ok(d, &stats_args("p1.json", &["--shard", "1/2"]));
            let line = fails(d, &pyramid("q", &["--stats", "p0.json"]), 1);
            assert!(line.contains("p0.json: holds 1 of 2 shards (missing 1)"), "{line}");
            ok(d, &["stats", "-q", "--merge", "p0.json", "p1.json", "-o", "merged.json"]);
            ok(d, &stats_args("whole.json", &[]));
            ok(d, &pyramid("a", &["--stats", "merged.json"]));
            ok(d, &pyramid("b", &["--stats", "whole.json"]));
            assert!(tree(&d.join("a")) == tree(&d.join("b")), "merged statistics differ from the whole");
        }},
        Case { cmd: "stats", flags: &["--projection", "--max-zoom"], check: |d| {
            base_points(d);
            let web = ["--x", "x.npy", "--y", "y.npy", "--projection", "web-mercator", "--max-zoom", "1"];
            ok(d, &[&["stats", "-q", "-o", "m.json"][..], &web].concat());
            ok(d, &[&["render", "-q", "--pyramid", "a", "--stats", "m.json"][..], &web].concat());
            ok(d, &[&["render", "-q", "--pyramid", "b"][..], &web].concat());
            assert!(tree(&d.join("a")) == tree(&d.join("b")), "the statistics file changed the pyramid");
            let line = fails(d, &["stats", "--x", "x.npy", "--y", "y.npy", "--max-zoom", "1", "-o", "n.json"], 1);
            assert_eq!(line, "gigaplot: error: --max-zoom: applies to --projection web-mercator only");
            let line = fails(d, &[&["stats", "--width", "512", "-o", "n.json"][..], &web].concat(), 1);
            assert!(line.starts_with("gigaplot: error: --width: web-mercator tiles are"), "{line}");
            assert!(!d.join("n.json").exists());
        }},
        Case { cmd: "stats", flags: &["--threads", "--memory", "--scratch-dir"], check: |d| {
            base_points(d);
            std::fs::create_dir(d.join("scratch")).unwrap();
            ok(d, &stats_args("a.json", &["--threads", "1", "--memory", "1GiB", "--scratch-dir", "scratch"]));
            ok(d, &stats_args("b.json", &[]));
            assert_eq!(std::fs::read(d.join("a.json")).unwrap(), std::fs::read(d.join("b.json")).unwrap());
            assert!(files_in(&d.join("scratch")).is_empty());
            let line = fails(d, &stats_args("c.json", &["--threads", "0"]), 1);
            assert_eq!(line, "gigaplot: error: --threads: at least one thread is needed");
            let line = fails(d, &stats_args("c.json", &["--memory", "1MiB"]), 1);
            assert!(line.starts_with("gigaplot: error: --memory: "), "{line}");
            let line = fails(d, &stats_args("c.json", &["--scratch-dir", "missing"]), 1);
            assert_eq!(line, "gigaplot: error: --scratch-dir: missing is not a directory");
            assert!(!d.join("c.json").exists());
        }},
        Case { cmd: "stats", flags: &["--quiet", "--help"], check: |d| {
            base_points(d);
            let mut args = stats_args("s.json", &[]);
            args.retain(|a| *a != "-q");
            assert_eq!(ok(d, &args).trim_end(), "gigaplot: statistics of shard 0/1 -> s.json");
            args.push("--quiet");
            assert_eq!(ok(d, &args), "");
            let out = gp(d, &["stats", "--help"]);
            assert_eq!(out.status.code(), Some(0));
            assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: gigaplot stats"));
        }},
        // ---- serve ----
        Case { cmd: "serve", flags: &["<DIR>", "--addr", "--quiet"], check: |d| {
            std::fs::create_dir(d.join("site")).unwrap();
            std::fs::write(d.join("site/index.html"), b"<p>a pyramid viewer</p>").unwrap();
            for extra in [&[][..], &["--quiet"][..]] {
                let response = serve_and_get(d, free_port(), extra, "/index.html");
                assert!(response.starts_with("HTTP/1.") && response.contains(" 200 "), "{extra:?}: {response}");
                assert!(response.ends_with("<p>a pyramid viewer</p>"), "{extra:?}: {response}");
            }
            let line = fails(d, &["serve", "site", "--addr", "localhost"], 2);
            assert!(line.contains("--addr"), "{line}");
            let line = fails(d, &["serve", "."], 1);
            assert!(line.contains("has no index.html"), "{line}");
        }},
        Case { cmd: "serve", flags: &["--help"], check: |d| {
            let out = gp(d, &["serve", "--help"]);
            assert_eq!(out.status.code(), Some(0));
            assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: gigaplot serve [OPTIONS] <DIR>"));
        }},
        // ---- info ----
        Case { cmd: "info", flags: &["<COLUMNS>", "--quiet"], check: |d| {
            write_f64(&d.join("x.npy"), &[0.5, f64::NAN, 3.5, f64::INFINITY]);
            let data: Vec<u8> = [1.0f64, 2.0, 3.0, 4.0].iter().flat_map(|v| v.to_le_bytes()).collect();
            write_npy(&d.join("m.npy"), DType::F64, &[2, 2], &data);
            for quiet in [&[][..], &["--quiet"][..]] {
                let mut args = vec!["info", "x.npy", "m.npy:1"];
                args.extend_from_slice(quiet);
                let out = gp(d, &args);
                assert_eq!(out.status.code(), Some(0));
                assert!(out.stderr.is_empty());
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout),
                    "x.npy: dtype float64, 4 values, min 0.5, max inf, 1 NaN, 1 infinite\n\
                     m.npy:1: dtype float64, 2 values, min 2, max 4, 0 NaN, 0 infinite\n"
                );
            }
        }},
        Case { cmd: "render", flags: &["TABLE", "--category", "--delimiter"], check: |d| {
            std::fs::write(d.join("t.csv"), "x;y;c\n0.5;0.5;0\n1.5;0.5;1\n1.5;0.5;1\n").unwrap();
            let args = ["render", "t.csv", "--delimiter", ";", "--x", "x", "--y", "y", "--category", "c"];
            let size = ["--width", "4", "--height", "4", "--x-range", "0,4", "--y-range", "0,4"];
            ok(d, &[&args[..], &size, &["--bare", "-o", "o.png", "--agg-out", "a.npy"]].concat());
            // (4, 4, 2) uint32 counts: the last 128 bytes of the file.
            let bytes = std::fs::read(d.join("a.npy")).unwrap();
            assert!(String::from_utf8_lossy(&bytes[..128]).contains("(4, 4, 2)"));
            let v: Vec<u32> = bytes[bytes.len() - 128..]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
                .collect();
            // bottom row: category 0 once at column 0, category 1 twice at column 1
            assert_eq!(&v[24..28], &[1, 0, 0, 2]);
        }},
        Case { cmd: "info", flags: &["--delimiter"], check: |d| {
            std::fs::write(d.join("t.csv"), "x;y\n0.5;0.5\n1.5;\n").unwrap();
            let out = gp(d, &["info", "t.csv:y", "--delimiter", ";"]);
            assert_eq!(out.status.code(), Some(0));
            assert_eq!(String::from_utf8_lossy(&out.stdout), "t.csv:y: float64, 2 rows, 1 nulls, min 0.5, max 0.5\n");
        }},
        Case { cmd: "info", flags: &["--help"], check: |d| {
            let out = gp(d, &["info", "--help"]);
            assert_eq!(out.status.code(), Some(0));
            assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: gigaplot info"));
        }},
        // ---- generate ----
        Case { cmd: "generate", flags: &["--points", "--output"], check: |d| {
            ok(d, &["generate", "-q", "--points", "1000", "--output", "a"]);
            ok(d, &["generate", "-q", "--points", "1000", "-o", "b"]);
            ok(d, &["generate", "-q", "--points", "1000", "--out", "c"]);
            for dir in ["a", "b", "c"] {
                let bytes = std::fs::read(d.join(dir).join("x.npy")).unwrap();
                let h = NpyHeader::parse(&bytes).unwrap();
                assert_eq!((h.dtype, h.shape.clone()), (DType::F32, vec![1000]));
                assert_eq!(tree(&d.join(dir)), tree(&d.join("a")));
            }
        }},
        Case { cmd: "generate", flags: &["--seed"], check: |d| {
            ok(d, &["generate", "-q", "--points", "1000", "-o", "a", "--seed", "7"]);
            ok(d, &["generate", "-q", "--points", "1000", "-o", "b", "--seed", "7"]);
            ok(d, &["generate", "-q", "--points", "1000", "-o", "c", "--seed", "8"]);
            assert!(tree(&d.join("a")) == tree(&d.join("b")));
            assert!(tree(&d.join("a")) != tree(&d.join("c")));
        }},
        Case { cmd: "generate", flags: &["--quiet", "--help"], check: |d| {
            let log = ok(d, &["generate", "--points", "10", "-o", "a"]);
            assert!(log.starts_with("gigaplot: 10 points -> a/x.npy a/y.npy in "), "{log}");
            assert_eq!(ok(d, &["generate", "--quiet", "--points", "10", "-o", "b"]), "");
            let out = gp(d, &["generate", "--help"]);
            assert_eq!(out.status.code(), Some(0));
            assert!(String::from_utf8_lossy(&out.stdout).contains("[alias: --out]"));
        }},
        // ---- the top level ----
        Case { cmd: "gigaplot", flags: &["--quiet"], check: |d| {
            base_points(d);
            let mut args = base(&["-o", "o.png"]);
            args.retain(|a| *a != "-q");
            args.insert(0, "--quiet");
            assert_eq!(ok(d, &args), "");
        }},
        Case { cmd: "gigaplot", flags: &["--help", "--version"], check: |d| {
            let out = gp(d, &["--help"]);
            assert_eq!(out.status.code(), Some(0));
            assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: gigaplot [OPTIONS] <COMMAND>"));
            let out = gp(d, &["--version"]);
            assert_eq!(out.status.code(), Some(0));
            assert_eq!(String::from_utf8_lossy(&out.stdout), format!("gigaplot {}\n", env!("CARGO_PKG_VERSION")));
        }},
        Case { cmd: "help", flags: &[], check: |d| {
            let out = gp(d, &["help", "render"]);
            assert_eq!(out.status.code(), Some(0));
            assert_eq!(String::from_utf8_lossy(&out.stdout), help_text("render"));
        }},
    ]
}

#[test]
fn every_flag_works_through_the_binary() {
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        let outcome = std::panic::catch_unwind(|| (case.check)(dir.path()));
        if outcome.is_err() {
            failures.push(format!("{} {:?}", case.cmd, case.flags));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed (messages above): {failures:#?}",
        failures.len(),
        cases.len()
    );
}

/// The long flags (`--name`) and arguments (`<NAME>`) of one `--help` text, and its commands.
fn listed(help: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut flags, mut commands) = (BTreeSet::new(), BTreeSet::new());
    let mut section = "";
    for line in help.lines() {
        if !line.starts_with(' ') {
            section = line.trim_end_matches(':');
            continue;
        }
        // an entry starts 2 spaces in (6 for a flag without a short form); deeper lines
        // continue a description
        let entry = line.trim_start();
        let indent = line.len() - entry.len();
        let first = entry.split_whitespace().next().unwrap_or("");
        match section {
            "Options" if indent <= 6 && entry.starts_with('-') => {
                let long = entry.split([',', ' ']).find(|w| w.starts_with("--"));
                flags.insert(long.unwrap_or(first).to_string());
            }
            "Arguments" if indent == 2 => {
                flags.insert(
                    first.trim_start_matches('[').trim_end_matches("...").trim_end_matches(']').to_string(),
                );
            }
            "Commands" if indent == 2 => {
                commands.insert(first.to_string());
            }
            _ => {}
        }
    }
    (flags, commands)
}

#[test]
fn every_help_flag_has_a_case() {
    let cases = cases();
    let covered: BTreeSet<(String, String)> =
        cases.iter().flat_map(|c| c.flags.iter().map(|f| (c.cmd.to_string(), f.to_string()))).collect();
    let (top, commands) = listed(&help_text("gigaplot"));
    assert!(commands.len() >= 6, "{commands:?}");
    let mut listed_pairs: BTreeSet<(String, String)> =
        top.into_iter().map(|f| ("gigaplot".to_string(), f)).collect();
    let mut missing = Vec::new();
    for cmd in &commands {
        if !cases.iter().any(|c| c.cmd == cmd) {
            missing.push(format!("command {cmd}"));
        }
        if cmd != "help" {
            let (flags, _) = listed(&help_text(cmd));
            assert!(flags.contains("--help"), "{cmd}: {flags:?}");
            listed_pairs.extend(flags.into_iter().map(|f| (cmd.clone(), f)));
        }
    }
    missing.extend(listed_pairs.difference(&covered).map(|(cmd, flag)| format!("{cmd} {flag}")));
    let stale: Vec<_> = covered.difference(&listed_pairs).collect();
    assert!(missing.is_empty(), "flags of --help without a case in tests/cli/flags.rs: {missing:?}");
    assert!(stale.is_empty(), "cases for flags --help does not list: {stale:?}");
}
