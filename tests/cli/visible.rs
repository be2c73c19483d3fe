//! Pictures people can see (issue 17): the warning when the lowest values are shaded in the
//! background's colour, through the real binary.

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// Four non-empty pixels on a 4 x 4 canvas covering [0, 4]^2: three with one point, one
/// with five. Under eq-hist the three get the colormap's first colour.
fn sparse_points(dir: &Path) {
    write_f64(&dir.join("x.npy"), &[0.5, 1.5, 3.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
    write_f64(&dir.join("y.npy"), &[0.5, 3.5, 1.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
}

/// Runs `render` of [`sparse_points`] with `flags` in `dir`; requires success and returns
/// the lines of stderr.
fn render_lines(dir: &Path, flags: &[&str]) -> Vec<String> {
    let mut args = vec!["render", "--x", "x.npy", "--y", "y.npy", "--width", "4", "--height", "4"];
    args.extend(["--x-range", "0,4", "--y-range", "0,4"]);
    args.extend(flags);
    let out = Command::new(bin()).args(&args).current_dir(dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    stderr.lines().map(str::to_string).collect()
}

const FIRE_ON_BLACK: &str = "gigaplot: warning: 75.0% of the non-empty pixels (3 of 4) are shaded within 24 \
                             levels of the background #000000, so they cannot be seen; add --cmap fire:0.2 \
                             or choose another --background";

#[test]
fn fire_on_black_warns_once_and_still_writes_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sparse_points(d);
    let lines = render_lines(d, &["--cmap", "fire", "--background", "black", "--bare", "-o", "o.png"]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], FIRE_ON_BLACK);
    assert!(lines[1].starts_with("gigaplot: 4 x 4 px, 8 of 8 points plotted"), "{lines:?}");
    let (_, _, bpp, pixels) = read_png(&d.join("o.png"));
    assert_eq!(&pixels[..bpp], &[0, 0, 0][..], "the picture is Datashader's all the same");
    // spread over black: the spread sink composites over black after spreading; same warning
    let lines = render_lines(d, &["--cmap", "fire", "--background", "black", "--spread", "1", "-o", "s.png"]);
    assert_eq!(lines[0], FIRE_ON_BLACK);
    // gray reversed on white, in a figure
    let lines = render_lines(d, &["--cmap", "gray_r", "--background", "white", "-o", "w.png"]);
    assert_eq!(
        lines[0],
        "gigaplot: warning: 75.0% of the non-empty pixels (3 of 4) are shaded within 24 levels of the \
         background #ffffff, so they cannot be seen; add --cmap gray_r:0.2 or choose another --background"
    );
    // nothing in range helps a colormap of two near-blacks
    let lines = render_lines(d, &["--cmap", "#000000,#101010", "--background", "black", "-o", "n.png"]);
    assert!(lines[0].ends_with("(4 of 4) are shaded within 24 levels of the background #000000, so they cannot be seen; choose another --cmap or --background"), "{lines:?}");
}

#[test]
fn quiet_and_visible_colormaps_have_no_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sparse_points(d);
    let quiet = render_lines(d, &["-q", "--cmap", "fire", "--background", "black", "-o", "q.png"]);
    assert_eq!(quiet, Vec::<String>::new());
    assert!(d.join("q.png").exists());
    for flags in [
        &["--cmap", "fire:0.2", "--background", "black"][..],
        &["--cmap", "fire", "--background", "white"],
        &["--cmap", "fire"], // transparent: not judged
        &["--background", "black"],
        &["--cmap", "inferno:0.25", "--background", "black", "--spread", "1"],
    ] {
        let mut args = flags.to_vec();
        args.extend(["-o", "v.png"]);
        let lines = render_lines(d, &args);
        assert_eq!(lines.len(), 1, "{flags:?}: {lines:?}");
        assert!(lines[0].starts_with("gigaplot: 4 x 4 px"), "{flags:?}: {lines:?}");
    }
}

/// The README's first command, as the README gives it: the arguments after `cargo run
/// --release --`.
fn readme_first_command() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let line = readme.lines().find(|l| l.starts_with("cargo run --release -- render")).unwrap();
    line["cargo run --release -- ".len()..].split_whitespace().map(str::to_string).collect()
}

#[test]
fn the_readme_top_image_is_the_first_command_output_and_shows_the_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut args = readme_first_command();
    assert_eq!(args.iter().filter(|a| *a == "-o").count(), 1, "{args:?}");
    let output = dir.path().join("gigaplot.png");
    let o = args.iter().position(|a| a == "-o").unwrap();
    args[o + 1] = output.to_str().unwrap().to_string();
    let out = Command::new(bin()).args(&args).current_dir(root).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // no warning: the data can be seen
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("gigaplot: 1200 x 900 px, 500000 of 500000 points plotted"), "{stderr}");
    let top = root.join("docs/images/points-fire.png");
    assert!(std::fs::read(&output).unwrap() == std::fs::read(&top).unwrap(), "rerun tools/readme_images.sh");
    // the old first command (fire from black, on black) hides most of the data, and says so
    let old: Vec<String> =
        args.iter().map(|a| if a == "fire:0.2" { "fire".into() } else { a.clone() }).collect();
    let out = Command::new(bin()).args(&old).current_dir(root).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("gigaplot: warning: "), "{stderr}");
}

/// Runs the binary in `dir` with `args`, returning (exit code, stderr).
fn gp(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(bin()).args(args).current_dir(dir).env("TMPDIR", dir).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_thumbnail_equals_a_bare_render_at_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_ok(&["generate", "-q", "--points", "20000", "-o", d.to_str().unwrap()]);
    let data =
        ["render", "-q", "--x", "x.npy", "--y", "y.npy", "--cmap", "fire:0.2", "--background", "black"];
    for (main, extra, thumb) in [
        // a figure, automatic ranges (the thumbnail's range pass serves the main render)
        (["--width", "400", "--height", "300"], &["--title", "t"][..], ["--width", "40", "--height", "30"]),
        // portrait, spread alike, explicit ranges, several bands for the main image
        (
            ["--width", "120", "--height", "360"],
            &["--spread", "1", "--bare", "--x-range", "-5,5", "--y-range", "-9,9", "--memory", "83950000"],
            ["--width", "17", "--height", "50"],
        ),
    ] {
        let px = thumb[1].max(thumb[3]);
        let with: Vec<&str> = data
            .iter()
            .chain(&main)
            .chain(extra)
            .copied()
            .chain(["--thumbnail", px, "-o", "m.png"])
            .collect();
        assert_eq!(gp(d, &with).0, Some(0), "{with:?}");
        let plain: Vec<&str> =
            data.iter().chain(&main).chain(extra).copied().chain(["-o", "plain.png"]).collect();
        assert_eq!(gp(d, &plain).0, Some(0));
        assert!(
            std::fs::read(d.join("m.png")).unwrap() == std::fs::read(d.join("plain.png")).unwrap(),
            "the main image is unchanged"
        );
        // the reference: --bare at the thumbnail's size with the same data and shading flags
        let bare_extra: Vec<&str> = extra
            .iter()
            .copied()
            .filter(|f| !matches!(*f, "--title" | "t" | "--bare" | "--memory" | "83950000"))
            .collect();
        let reference: Vec<&str> =
            data.iter().chain(&thumb).copied().chain(bare_extra).chain(["--bare", "-o", "ref.png"]).collect();
        assert_eq!(gp(d, &reference).0, Some(0), "{reference:?}");
        let png = read_png(&d.join("m.thumb.png"));
        assert_eq!((png.0.to_string(), png.1.to_string()), (thumb[1].to_string(), thumb[3].to_string()));
        assert!(
            std::fs::read(d.join("m.thumb.png")).unwrap() == std::fs::read(d.join("ref.png")).unwrap(),
            "{with:?}"
        );
    }
}

#[test]
fn a_thumbnail_appears_only_with_the_other_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sparse_points(d);
    let base = ["render", "-q", "--x", "x.npy", "--y", "y.npy", "--width", "40", "--height", "40"];
    std::fs::write(d.join("o.png"), "old picture").unwrap();
    std::fs::write(d.join("o.thumb.png"), "old thumbnail").unwrap();
    let before = files_in(d);
    // the main render fails after the thumbnail was rendered: neither replaces its old file
    let args: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--thumbnail", "8", "--agg-out", "missing/a.npy", "-o", "o.png"])
        .collect();
    let (code, stderr) = gp(d, &args);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("missing/a.npy"), "{stderr}");
    assert_eq!(std::fs::read_to_string(d.join("o.thumb.png")).unwrap(), "old thumbnail");
    assert_eq!(std::fs::read_to_string(d.join("o.png")).unwrap(), "old picture");
    assert_eq!(files_in(d), before, "no temporary file is left");
    // the thumbnail cannot be written: nothing is
    std::fs::remove_file(d.join("o.thumb.png")).unwrap();
    std::fs::create_dir(d.join("o.thumb.png")).unwrap();
    let args: Vec<&str> = base.iter().copied().chain(["--thumbnail", "8", "-o", "o.png"]).collect();
    let (code, stderr) = gp(d, &args);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.starts_with("gigaplot: error: ") && stderr.contains("o.thumb.png"), "{stderr}");
    assert_eq!(std::fs::read_to_string(d.join("o.png")).unwrap(), "old picture");
    std::fs::remove_dir(d.join("o.thumb.png")).unwrap();
    // both succeed together
    let args: Vec<&str> = base.iter().copied().chain(["--thumbnail", "8", "-o", "o.png"]).collect();
    assert_eq!(gp(d, &args).0, Some(0));
    assert_eq!(read_png(&d.join("o.thumb.png")).0, 8);
    assert_eq!(files_in(d), ["o.png", "o.thumb.png", "x.npy", "y.npy"]);
    // without -o there is nothing to make a thumbnail of
    let (code, stderr) = gp(
        d,
        &[
            "render",
            "--x",
            "x.npy",
            "--y",
            "y.npy",
            "--x-range",
            "0,4",
            "--y-range",
            "0,4",
            "--thumbnail",
            "8",
            "--pyramid",
            "pyr",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "gigaplot: error: --thumbnail: writes NAME.thumb.png beside the PNG; add -o NAME.png"
    );
}

/// [`sparse_points`] with a value per point: the three lone pixels hold 1, the pixel of
/// five points holds 10 (every reduction of the value agrees).
fn sparse_values(dir: &Path, values: &[f64; 8]) {
    sparse_points(dir);
    write_f64(&dir.join("v.npy"), values);
}

const LOW_VALUES: [f64; 8] = [1.0, 1.0, 1.0, 10.0, 10.0, 10.0, 10.0, 10.0];

#[test]
fn value_reductions_warn_when_their_lowest_values_vanish() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sparse_values(d, &LOW_VALUES);
    // eq-hist: the three pixels of 1 get fire's black, counted from the histogram of values
    for agg in ["mean", "max", "first"] {
        let lines = render_lines(
            d,
            &["--agg", agg, "--value", "v.npy", "--cmap", "fire", "--background", "black", "-o", "m.png"],
        );
        assert_eq!(lines.len(), 2, "{agg}: {lines:?}");
        assert_eq!(lines[0], FIRE_ON_BLACK, "{agg}");
    }
    // linear: a colormap range all of whose colours are the background's hides every pixel
    let lines = render_lines(
        d,
        &[
            "--agg",
            "sum",
            "--value",
            "v.npy",
            "--how",
            "linear",
            "--cmap",
            "fire:0:0.02",
            "--background",
            "black",
            "-o",
            "s.png",
        ],
    );
    assert_eq!(
        lines[0],
        "gigaplot: warning: 100.0% of the non-empty pixels (4 of 4) are shaded within 24 levels of the background \
         #000000, so they cannot be seen; add --cmap fire:0.2 or choose another --background"
    );
    // one value everywhere, shaded in the background's colour
    sparse_values(d, &[3.0; 8]);
    let lines = render_lines(
        d,
        &[
            "--agg",
            "mean",
            "--value",
            "v.npy",
            "--how",
            "linear",
            "--cmap",
            "#ffffff,#fafafa",
            "--background",
            "white",
            "-o",
            "w.png",
        ],
    );
    assert!(lines[0].contains("(4 of 4) are shaded within 24 levels of the background #ffffff"), "{lines:?}");
    // a visible colormap: no warning
    sparse_values(d, &LOW_VALUES);
    for flags in [
        &["--cmap", "fire:0.2", "--background", "black"][..],
        &["--cmap", "fire", "--background", "white"],
        &["--how", "linear", "--cmap", "fire"],
    ] {
        let args = [&["--agg", "mean", "--value", "v.npy"][..], flags, &["-o", "v.png"]].concat();
        let lines = render_lines(d, &args);
        assert_eq!(lines.len(), 1, "{flags:?}: {lines:?}");
        assert!(lines[0].starts_with("gigaplot: 4 x 4 px"), "{flags:?}: {lines:?}");
    }
}

#[test]
fn an_empty_picture_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // every value NaN: the points land, but no pixel has a value
    sparse_values(d, &[f64::NAN; 8]);
    let lines = render_lines(
        d,
        &["--agg", "mean", "--value", "v.npy", "--background", "black", "--bare", "-o", "n.png"],
    );
    assert_eq!(
        lines[0],
        "gigaplot: warning: every pixel is empty: the 8 points on the canvas have no value (every --value is NaN), \
         so the picture shows only the background"
    );
    assert_eq!(lines.len(), 2, "{lines:?}");
    // no point on the canvas, on a transparent background: every pixel's alpha is 0
    write_f64(&d.join("x.npy"), &[10.0; 8]);
    let lines = render_lines(d, &["--bare", "-o", "e.png"]);
    assert_eq!(
        lines[0],
        "gigaplot: warning: every pixel is empty: no point landed on the canvas (see --x-range and --y-range), so \
         the picture shows only the background"
    );
    let (_, _, bpp, pixels) = read_png(&d.join("e.png"));
    assert!(bpp == 4 && pixels.chunks(4).all(|p| p[3] == 0));
    // --quiet silences it
    assert_eq!(render_lines(d, &["-q", "-o", "q.png"]), Vec::<String>::new());
}

#[test]
fn count_cat_warns_when_its_colours_vanish() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sparse_points(d);
    let categories = [0, 1, 0, 1, 1, 0, 0, 1].map(Some).to_vec();
    crate::common::tables::Col::I32(categories).write_npy(&d.join("c.npy"));
    let base = ["--agg", "count-cat", "--value", "c.npy", "--background", "black"];
    // the lone pixels (alpha 40) are hidden; the pixel of five points is opaque, so it
    // counts as visible since #202020 is, though its mix (#131313) is not
    let lines = render_lines(d, &[&base[..], &["--color-key", "#000000,#202020", "-o", "k.png"]].concat());
    assert_eq!(
        lines[0],
        "gigaplot: warning: 75.0% of the non-empty pixels (3 of 4) are shaded within 24 levels of the background \
         #000000, so they cannot be seen; choose other --color-key colours or another --background"
    );
    // the default colours, and the same key on white, can be seen
    for flags in [
        &base[..],
        &[
            "--agg",
            "count-cat",
            "--value",
            "c.npy",
            "--background",
            "white",
            "--color-key",
            "#000000,#202020",
        ],
    ] {
        let lines = render_lines(d, &[flags, &["-o", "v.png"]].concat());
        assert_eq!(lines.len(), 1, "{flags:?}: {lines:?}");
    }
}

#[test]
fn a_pyramid_warns_like_its_tiles_are_shaded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sparse_points(d);
    let pyramid = |flags: &[&str]| {
        let args = [&["--pyramid", "p", "--pyramid-tile", "16"][..], flags].concat();
        render_lines(d, &args)
    };
    let lines = pyramid(&["--cmap", "fire", "--background", "black"]);
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("gigaplot: warning: ")).collect::<Vec<_>>(),
        [FIRE_ON_BLACK],
        "{lines:?}"
    );
    let lines = pyramid(&["--cmap", "fire:0.2", "--background", "black"]);
    assert!(!lines.iter().any(|l| l.contains("warning")), "{lines:?}");
}
