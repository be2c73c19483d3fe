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

/// Known places (lon, lat) and the pixel of the world at zoom `z` they are in, by the
/// standard slippy-map formula (independent of gigaplot's).
fn places() -> Vec<(f64, f64)> {
    vec![
        (-0.1278, 51.5074),   // London
        (151.2093, -33.8688), // Sydney
        (-74.006, 40.7128),   // New York
        (0.3, 0.2),
        (179.9, -85.0),
        (-179.95, 84.9),
    ]
}

fn world_pixel(lon: f64, lat: f64, z: u32) -> (u64, u64) {
    let n = 256.0 * f64::from(1u32 << z);
    let lat = lat.to_radians();
    let x = ((lon + 180.0) / 360.0 * n).floor() as u64;
    let y = ((1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor() as u64;
    (x, y)
}

/// `--projection web-mercator`: longitudes and latitudes land in the XYZ pixel the
/// slippy-map formula gives, in a flat render (`--agg-out`) and in the tiles of every zoom
/// (`{z}/{x}/{y}.png` exist exactly where a place is); latitudes beyond +-85.0511 are
/// dropped; `tilejson.json` describes the tiles; the basemap goes to the viewer's metadata.
#[test]
fn web_mercator_tiles_put_places_in_their_slippy_map_pixels() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut lons: Vec<f64> = places().iter().map(|p| p.0).collect();
    let mut lats: Vec<f64> = places().iter().map(|p| p.1).collect();
    lons.extend([10.0, -20.0]);
    lats.extend([85.06, -89.0]); // beyond the square world: dropped
    let (x, y) = (d.join("lon.npy"), d.join("lat.npy"));
    write_f64(&x, &lons);
    write_f64(&y, &lats);
    let (xs, ys) = (x.to_str().unwrap(), y.to_str().unwrap());
    let agg = d.join("world.npy");
    let png = d.join("world.png");
    let out = run_ok(&[
        "render",
        "--x",
        xs,
        "--y",
        ys,
        "--projection",
        "web-mercator",
        "--width",
        "1024",
        "--height",
        "1024",
        "--agg-out",
        agg.to_str().unwrap(),
        "-o",
        png.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("6 of 8 points"), "{stderr}");
    let (shape, counts) = read_counts(&agg);
    assert_eq!(shape, [1024, 1024]);
    for &(lon, lat) in &places() {
        let (px, py) = world_pixel(lon, lat, 2);
        assert_eq!(counts[(py * 1024 + px) as usize], 1, "({lon}, {lat}) not at pixel ({px}, {py})");
    }
    assert_eq!(counts.iter().map(|&c| u64::from(c)).sum::<u64>(), 6);

    let pyr = d.join("web");
    let template = "https://tile.example.org/{z}/{x}/{y}.png";
    run_ok(&[
        "render",
        "-q",
        "--x",
        xs,
        "--y",
        ys,
        "--projection",
        "web-mercator",
        "--max-zoom",
        "3",
        "--pyramid",
        pyr.to_str().unwrap(),
        "--basemap",
        template,
    ]);
    let files = tree(&pyr);
    for z in 0..=3u32 {
        let mut expected: Vec<String> = places()
            .iter()
            .map(|&(lon, lat)| {
                let (px, py) = world_pixel(lon, lat, z);
                format!("{z}/{}/{}.png", px / 256, py / 256)
            })
            .collect();
        expected.sort();
        expected.dedup();
        let found: Vec<&String> = files.keys().filter(|k| k.starts_with(&format!("{z}/"))).collect();
        assert_eq!(found, expected.iter().collect::<Vec<_>>(), "zoom {z}");
    }
    let tilejson: serde_json::Value = serde_json::from_slice(&files["tilejson.json"]).unwrap();
    assert_eq!(tilejson["tilejson"], "3.0.0");
    assert_eq!(tilejson["tiles"][0], "{z}/{x}/{y}.png");
    assert_eq!((tilejson["minzoom"].as_u64(), tilejson["maxzoom"].as_u64()), (Some(0), Some(3)));
    let meta: serde_json::Value = serde_json::from_slice(&files["metadata.json"]).unwrap();
    assert_eq!(
        (meta["projection"].as_str(), meta["basemap"].as_str()),
        (Some("web-mercator"), Some(template))
    );
    assert_eq!((meta["width"].as_u64(), meta["tile"].as_u64()), (Some(2048), Some(256)));

    // Ranges, canvas sizes and a missing zoom are refused with one line.
    for (extra, message) in [
        (&["--max-zoom", "3", "--x-range", "0,10"][..], "--x-range: web-mercator tiles cover the world"),
        (&["--max-zoom", "3", "--width", "512"][..], "--width: web-mercator tiles are --pyramid-tile x 2^Z"),
        (&[][..], "--max-zoom: web-mercator tiles need --max-zoom Z"),
    ] {
        let mut args = vec!["render", "--x", xs, "--y", ys, "--projection", "web-mercator", "--pyramid"];
        let bad = d.join("bad");
        args.push(bad.to_str().unwrap());
        args.extend(extra);
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {stderr}");
        assert!(stderr.starts_with(&format!("gigaplot: error: {message}")), "{extra:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(!bad.exists());
    }
}
