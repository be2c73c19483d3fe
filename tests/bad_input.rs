//! Bad input: every malformed case exits non-zero with one line on stderr naming the file
//! (or flag) and the problem, never panics, and leaves no output file behind.

mod common;

use std::path::Path;

use common::*;

/// A .npy file with a hand-written header dictionary and `data` after it.
fn raw_npy(path: &Path, dict: &str, data: &[u8]) {
    let mut header = dict.to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

/// Renders with `x` as the x column (and a good y column) and checks the failure.
fn assert_fails(dir: &Path, x: &Path, y: &Path, extra: &[&str], must_mention: &[&str]) {
    let out_png = dir.join("out.png");
    let agg = dir.join("agg.npy");
    let mut args = vec![
        "render", "--x", x.to_str().unwrap(), "--y", y.to_str().unwrap(), "--width", "100",
        "--height", "100", "-o", out_png.to_str().unwrap(), "--agg-out", agg.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let before = files_in(dir);
    let out = run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "expected exit 1 for {must_mention:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected: {stderr}");
    assert!(!stderr.contains("panick"), "{stderr}");
    for word in must_mention {
        assert!(stderr.contains(word), "stderr should mention {word:?}: {stderr}");
    }
    assert_eq!(files_in(dir), before, "no file may appear: {stderr}");
}

fn good_y(dir: &Path, n: usize) -> std::path::PathBuf {
    let y = dir.join("y.npy");
    write_f64(&y, &vec![0.5; n]);
    y
}

#[test]
fn malformed_npy_files_are_rejected_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let y = good_y(d, 4);
    let eight = [0u8; 32];
    let cases: Vec<(&str, Box<dyn Fn(&Path)>, &str)> = vec![
        ("truncated.npy", Box::new(|p| raw_npy(p, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", &eight[..20])), "truncated"),
        ("bigendian.npy", Box::new(|p| raw_npy(p, "{'descr': '>f8', 'fortran_order': False, 'shape': (4,), }", &eight)), "big-endian"),
        ("fortran.npy", Box::new(|p| raw_npy(p, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", &eight)), "Fortran"),
        ("object.npy", Box::new(|p| raw_npy(p, "{'descr': '|O', 'fortran_order': False, 'shape': (4,), }", &eight)), "object"),
        ("empty.npy", Box::new(|p| std::fs::write(p, b"").unwrap()), "empty"),
        ("magic.npy", Box::new(|p| std::fs::write(p, b"PK\x03\x04 not numpy at all").unwrap()), "magic"),
    ];
    for (name, make, word) in cases {
        let x = d.join(name);
        make(&x);
        assert_fails(d, &x, &y, &[], &[name, word]);
        std::fs::remove_file(&x).unwrap();
    }
}

#[test]
fn columns_of_different_lengths_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let y = good_y(d, 5);
    let x = d.join("x.npy");
    write_f64(&x, &[1.0, 2.0, 3.0]);
    assert_fails(d, &x, &y, &[], &["y.npy", "x.npy", "same length"]);
}

#[test]
fn missing_files_and_bad_flags_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let y = good_y(d, 3);
    let x = d.join("x.npy");
    write_f64(&x, &[1.0, 2.0, 3.0]);
    assert_fails(d, &d.join("nope.npy"), &y, &[], &["nope.npy"]);
    assert_fails(d, &x, &y, &["--tile", "0"], &["--tile"]);
    assert_fails(d, &x, &y, &["--memory", "1MiB"], &["--memory", "at least"]);
    // Output into a directory that does not exist.
    let out = run(&[
        "render", "--x", x.to_str().unwrap(), "--y", y.to_str().unwrap(), "-o",
        d.join("missing/dir/out.png").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing/dir"));
    // The output is an input.
    let out = run(&["render", "--x", x.to_str().unwrap(), "--y", y.to_str().unwrap(), "-o", x.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("input"));
    assert_eq!(std::fs::read(&x).unwrap().len(), 128 + 24, "the input is untouched");
}

#[test]
fn nothing_to_plot_is_an_error_not_an_empty_picture() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let x = d.join("x.npy");
    let y0 = d.join("y0.npy");
    write_f64(&x, &[]);
    write_f64(&y0, &[]);
    assert_fails(d, &x, &y0, &[], &["x.npy", "no points"]);
    write_f64(&x, &[f64::NAN, f64::NAN]);
    let y = good_y(d, 2);
    assert_fails(d, &x, &y, &[], &["x.npy", "NaN"]);
    write_f64(&x, &[1.0, f64::INFINITY]);
    assert_fails(d, &x, &y, &[], &["x.npy", "infinite", "--x-range"]);
}
