//! The pyramid through the command line: `render --pyramid`, then the same pyramid from
//! `stats --shard I/N`, `stats --merge` and N `render --stats --shard I/N` runs into one
//! directory, which must hold exactly the same files, byte for byte.

use crate::common::*;

#[test]
fn sharded_pyramid_equals_the_single_process_one() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let pts = d.join("pts");
    run_ok(&["generate", "-q", "--points", "200000", "--out", pts.to_str().unwrap()]);
    let (x, y) = (pts.join("x.npy"), pts.join("y.npy"));
    let canvas = |args: &mut Vec<String>| {
        for a in [
            "--x",
            x.to_str().unwrap(),
            "--y",
            y.to_str().unwrap(),
            "--width",
            "1500",
            "--height",
            "900",
            "--x-range",
            "-10,10",
            "--y-range",
            "-8,8",
            "--pyramid-tile",
            "128",
            "-q",
        ] {
            args.push(a.to_string());
        }
    };
    let single = d.join("single");
    let mut args = vec!["render".to_string(), "--pyramid".into(), single.to_str().unwrap().into()];
    canvas(&mut args);
    run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let files = tree(&single);
    // Zoom 0..=4 (1500 px / 128 -> 4 levels above the single tile), only non-empty tiles.
    assert!(files.contains_key("metadata.json") && files.contains_key("index.html"));
    assert!(files.contains_key("0/0/0.png"));
    assert!(files.keys().any(|k| k.starts_with("4/")));
    assert!(!files.keys().any(|k| k.starts_with("5/")));

    let n = 3;
    let mut parts = Vec::new();
    for i in 0..n {
        let part = d.join(format!("part{i}.json"));
        let mut args = vec![
            "stats".to_string(),
            "--shard".into(),
            format!("{i}/{n}"),
            "-o".into(),
            part.to_str().unwrap().into(),
        ];
        canvas(&mut args);
        run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        parts.push(part);
    }
    let stats = d.join("stats.json");
    let mut args =
        vec!["stats".to_string(), "-q".into(), "-o".into(), stats.to_str().unwrap().into(), "--merge".into()];
    args.extend(parts.iter().map(|p| p.to_str().unwrap().to_string()));
    run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let sharded = d.join("sharded");
    for i in (0..n).rev() {
        let mut args = vec![
            "render".to_string(),
            "--pyramid".into(),
            sharded.to_str().unwrap().into(),
            "--stats".into(),
            stats.to_str().unwrap().into(),
            "--shard".into(),
            format!("{i}/{n}"),
        ];
        canvas(&mut args);
        run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let sharded_files = tree(&sharded);
    assert_eq!(sharded_files.keys().collect::<Vec<_>>(), files.keys().collect::<Vec<_>>());
    for (name, bytes) in &files {
        assert!(&sharded_files[name] == bytes, "{name} differs");
    }
}

#[test]
fn pyramids_need_explicit_ranges_and_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let x = tmp.path().join("x.npy");
    write_f64(&x, &[1.0, 2.0, 3.0]);
    let out = run(&[
        "render",
        "--x",
        x.to_str().unwrap(),
        "--y",
        x.to_str().unwrap(),
        "--pyramid",
        tmp.path().join("p").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--x-range"));
}
