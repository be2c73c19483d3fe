//! Statistics files and shards of the pyramids beyond plain counts: web-mercator tiles from
//! `stats --projection web-mercator --max-zoom Z` parts, merged, rendered by shards, are the
//! files of one process; statistics of another projection are refused with one line.

use std::path::Path;

use crate::common::*;

/// Deterministic longitudes and latitudes (some beyond the web-mercator world), as files.
fn lon_lat(dir: &Path, n: usize) -> (String, String) {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut lons, mut lats) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        // Half in a cluster around London, half over the whole globe.
        let (u, v) = (next(), next());
        if i % 2 == 0 {
            lons.push(-0.13 + (u - 0.5) * 8.0);
            lats.push(51.5 + (v - 0.5) * 6.0);
        } else {
            lons.push(u * 360.0 - 180.0);
            lats.push(v * 180.0 - 90.0);
        }
    }
    let (x, y) = (dir.join("lon.npy"), dir.join("lat.npy"));
    write_f64(&x, &lons);
    write_f64(&y, &lats);
    (x.to_str().unwrap().to_string(), y.to_str().unwrap().to_string())
}

/// Runs gigaplot with `args`, which must succeed.
fn ok(args: &[String]) {
    run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// `stats --projection web-mercator --max-zoom 3` in 2 and 3 shard parts, merged, then
/// rendered by as many `--shard` runs into one directory: exactly the files (names and
/// bytes) of one process, which also accepts the statistics file itself.
#[test]
fn web_mercator_shards_with_statistics_write_the_files_of_one_process() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (x, y) = lon_lat(d, 40_000);
    let data = strings(&["--x", &x, "--y", &y, "--projection", "web-mercator", "--max-zoom", "3", "-q"]);
    let single = d.join("single");
    ok(&[strings(&["render", "--pyramid", single.to_str().unwrap()]), data.clone()].concat());
    let files = tree(&single);
    assert!(files.contains_key("metadata.json") && files.contains_key("tilejson.json"));
    assert!(files.keys().any(|k| k.starts_with("3/")), "{:?}", files.keys());
    for n in [2, 3] {
        let mut parts = Vec::new();
        for i in 0..n {
            let part = d.join(format!("part{i}-of-{n}.json"));
            let shard = format!("{i}/{n}");
            ok(&[strings(&["stats", "--shard", &shard, "-o", part.to_str().unwrap()]), data.clone()]
                .concat());
            parts.push(part.to_str().unwrap().to_string());
        }
        let stats = d.join(format!("stats-{n}.json"));
        ok(&[strings(&["stats", "-q", "-o", stats.to_str().unwrap(), "--merge"]), parts].concat());
        let sharded = d.join(format!("sharded-{n}"));
        for i in (0..n).rev() {
            let shard = format!("{i}/{n}");
            let stats = stats.to_str().unwrap();
            let pyramid = sharded.to_str().unwrap();
            ok(&[
                strings(&["render", "--pyramid", pyramid, "--stats", stats, "--shard", &shard]),
                data.clone(),
            ]
            .concat());
        }
        let got = tree(&sharded);
        assert_eq!(got.keys().collect::<Vec<_>>(), files.keys().collect::<Vec<_>>(), "{n} shards");
        for (name, bytes) in &files {
            assert!(&got[name] == bytes, "{n} shards: {name} differs");
        }
        // One process with the merged statistics writes the same files too.
        let with_stats = d.join(format!("with-stats-{n}"));
        let (pyramid, stats) = (with_stats.to_str().unwrap(), stats.to_str().unwrap());
        ok(&[strings(&["render", "--pyramid", pyramid, "--stats", stats]), data.clone()].concat());
        assert!(tree(&with_stats) == files, "one process with {n}-shard statistics");
    }
}

/// Statistics of the flat world canvas (the same pixels, x and y unprojected) are refused by
/// a web-mercator render, and web-mercator statistics by a flat one, with one line naming
/// the file; `--max-zoom` without the projection is refused by `stats`.
#[test]
fn statistics_of_another_projection_are_refused_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (x, y) = lon_lat(d, 1000);
    let flat = d.join("flat.json");
    let world = ["--x-range", "-180,180", "--y-range", "-180,180", "--width", "2048", "--height", "2048"];
    let mut args = strings(&["stats", "-q", "--x", &x, "--y", &y, "-o", flat.to_str().unwrap()]);
    args.extend(strings(&world));
    ok(&args);
    let mercator = d.join("mercator.json");
    let projected = ["--projection", "web-mercator", "--max-zoom", "3"];
    let mut args = strings(&["stats", "-q", "--x", &x, "--y", &y, "-o", mercator.to_str().unwrap()]);
    args.extend(strings(&projected));
    ok(&args);
    let pyr = d.join("pyr");
    for (stats, canvas, want) in [
        (&flat, &projected[..], "no projection, not --projection web-mercator"),
        (&mercator, &world[..], "--projection web-mercator, not no projection"),
    ] {
        let mut args = vec!["render", "-q", "--x", &x, "--y", &y, "--pyramid", pyr.to_str().unwrap()];
        args.extend(["--stats", stats.to_str().unwrap()]);
        args.extend(canvas);
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        let line = format!("gigaplot: error: {}: was computed for {want}", stats.display());
        assert!(stderr.starts_with(&line), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(!pyr.exists());
    }
    let out =
        run(&["stats", "--x", &x, "--y", &y, "--max-zoom", "3", "-o", d.join("s.json").to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("gigaplot: error: --max-zoom: applies to --projection web-mercator only"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
