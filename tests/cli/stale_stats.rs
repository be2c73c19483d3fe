//! Pyramid statistics that do not belong to the data are refused (issue 16, item 7):
//! statistics of another dataset with the same file names and sizes, statistics whose
//! histograms or totals were altered, and files of the old format that did not fingerprint
//! their data. Each refusal is one line naming the statistics file, exit status 1, and no
//! tile written.

use std::path::{Path, PathBuf};

use crate::common::*;

/// `n` points in a blob whose centre depends on `seed`, as x.npy and y.npy in `dir`.
fn dataset(dir: &Path, n: usize, seed: u64) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let centre = (seed % 7) as f64 - 3.0;
    let x: Vec<f64> = (0..n).map(|_| centre + 4.0 * (next() - 0.5)).collect();
    let y: Vec<f64> = (0..n).map(|_| -centre + 4.0 * (next() - 0.5)).collect();
    let (xp, yp) = (dir.join("x.npy"), dir.join("y.npy"));
    write_f64(&xp, &x);
    write_f64(&yp, &y);
    (xp, yp)
}

/// The canvas flags every run here shares (400 x 300, tiles of 64: zoom 0 to 3).
const CANVAS: [&str; 10] =
    ["--width", "400", "--height", "300", "--x-range", "-6,6", "--y-range", "-6,6", "--pyramid-tile", "64"];

fn stats(x: &Path, y: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["stats", "-q", "--x", x.to_str().unwrap(), "--y", y.to_str().unwrap()];
    args.extend(CANVAS);
    args.extend(["-o", out.to_str().unwrap()]);
    args.extend(extra);
    run_ok(&args);
}

fn render_pyramid(x: &Path, y: &Path, dir: &Path, stats: &Path) -> std::process::Output {
    let mut args = vec!["render", "-q", "--x", x.to_str().unwrap(), "--y", y.to_str().unwrap()];
    args.extend(CANVAS);
    args.extend(["--pyramid", dir.to_str().unwrap(), "--stats", stats.to_str().unwrap()]);
    run(&args)
}

/// Every regular file under `dir` (none when it does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Asserts exit 1, exactly the stderr line `gigaplot: error: STATS: problem`, and no file
/// under the pyramid directory.
fn assert_refused(out: &std::process::Output, stats: &Path, problem: &str, pyramid: &Path) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr, format!("gigaplot: error: {}: {problem}\n", stats.display()));
    assert_eq!(files_under(pyramid), Vec::<PathBuf>::new(), "tiles were written");
}

/// Edits the JSON of a statistics file in place.
fn edit_json(path: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut json);
    std::fs::write(path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
}

#[test]
fn stats_of_other_data_with_the_same_names_and_sizes_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Small files (hashed whole) and files over 4 MiB (sampled), each pair the same
    // names and sizes with other values.
    for n in [5_000, 700_000] {
        let (xa, ya) = dataset(&d.join(format!("a{n}")), n, 1);
        let (xb, yb) = dataset(&d.join(format!("b{n}")), n, 2);
        assert_eq!(std::fs::metadata(&xa).unwrap().len(), std::fs::metadata(&xb).unwrap().len());
        let s = d.join(format!("a{n}.json"));
        stats(&xa, &ya, &s, &[]);
        // The statistics serve their own data...
        let own = d.join(format!("own{n}"));
        let out = render_pyramid(&xa, &ya, &own, &s);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(own.join("metadata.json").is_file());
        // ...and not the other dataset.
        let other = d.join(format!("other{n}"));
        let out = render_pyramid(&xb, &yb, &other, &s);
        assert_refused(
            &out,
            &s,
            "was computed for other contents of x.npy (same size, other data); recompute it with gigaplot stats",
            &other,
        );
    }
}

#[test]
fn stats_with_emptied_histograms_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (x, y) = dataset(&d.join("data"), 20_000, 3);
    let s = d.join("stats.json");
    stats(&x, &y, &s, &[]);
    let points: u64 = {
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&s).unwrap()).unwrap();
        json["row_points"].as_array().unwrap().iter().map(|p| p.as_u64().unwrap()).sum()
    };
    assert_eq!(points, 20_000, "every point lies on the canvas");
    edit_json(&s, |j| {
        for level in j["levels"].as_array_mut().unwrap() {
            *level = serde_json::json!({"dense": [], "sparse": {}});
        }
    });
    let pyramid = d.join("pyr");
    let out = render_pyramid(&x, &y, &pyramid, &s);
    let pixels = {
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&s).unwrap()).unwrap();
        json["row_pixels"].as_array().unwrap().iter().map(|p| p.as_u64().unwrap()).sum::<u64>()
    };
    assert_refused(
        &out,
        &s,
        &format!(
            "the finest level holds 0 points on 0 pixels but its rows {points} points on {pixels} pixels: it \
             was altered or cut short; recompute it with gigaplot stats"
        ),
        &pyramid,
    );
}

#[test]
fn stats_emptied_throughout_are_refused_by_the_data() {
    // Histograms and row totals all emptied: consistent in itself, so only the render's
    // own rows show that the statistics are not those of the data.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (x, y) = dataset(&d.join("data"), 20_000, 3);
    let s = d.join("stats.json");
    stats(&x, &y, &s, &[]);
    edit_json(&s, |j| {
        for level in j["levels"].as_array_mut().unwrap() {
            *level = serde_json::json!({"dense": [], "sparse": {}});
        }
        for list in ["row_points", "row_pixels"] {
            for v in j[list].as_array_mut().unwrap() {
                *v = 0.into();
            }
        }
    });
    let pyramid = d.join("pyr");
    let out = render_pyramid(&x, &y, &pyramid, &s);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let prefix = format!("gigaplot: error: {}: does not match the data: pixel rows ", s.display());
    assert!(stderr.starts_with(&prefix), "{stderr}");
    assert!(stderr.ends_with(", the statistics say 0; recompute it with gigaplot stats\n"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let tiles: Vec<_> =
        files_under(&pyramid).into_iter().filter(|p| p.extension().is_some_and(|e| e == "png")).collect();
    assert_eq!(tiles, Vec::<PathBuf>::new(), "tiles were shaded with the emptied statistics");
}

#[test]
fn stats_of_the_old_format_are_refused() {
    // Version 1 recorded only "NAME (SIZE bytes)" per input, which the same name and size
    // of other data matched.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (x, y) = dataset(&d.join("data"), 5_000, 4);
    let s = d.join("stats.json");
    stats(&x, &y, &s, &[]);
    let size = std::fs::metadata(&x).unwrap().len();
    edit_json(&s, |j| {
        j["version"] = 1.into();
        j["key"]["inputs"] =
            serde_json::json!([format!("x.npy ({size} bytes)"), format!("y.npy ({size} bytes)")]);
    });
    let pyramid = d.join("pyr");
    let out = render_pyramid(&x, &y, &pyramid, &s);
    assert_refused(
        &out,
        &s,
        "is a statistics file of an older gigaplot (format version 1), which did not fingerprint its data; \
         recompute it with gigaplot stats",
        &pyramid,
    );
    // Merging old parts is refused the same way.
    let merged = d.join("merged.json");
    let out = run(&["stats", "-q", "--merge", s.to_str().unwrap(), "-o", merged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("recompute it with gigaplot stats"));
    assert!(!merged.exists());
}

#[test]
fn merged_shard_stats_of_the_same_data_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (x, y) = dataset(&d.join("data"), 20_000, 5);
    let parts: Vec<PathBuf> = (0..3).map(|i| d.join(format!("part{i}.json"))).collect();
    for (i, part) in parts.iter().enumerate() {
        stats(&x, &y, part, &["--shard", &format!("{i}/3")]);
    }
    let s = d.join("stats.json");
    let mut args = vec!["stats", "-q", "-o", s.to_str().unwrap(), "--merge"];
    args.extend(parts.iter().map(|p| p.to_str().unwrap()));
    run_ok(&args);
    let whole = d.join("whole.json");
    stats(&x, &y, &whole, &[]);
    let strip = |p: &Path| {
        let mut j: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        j["shards"] = 0.into();
        j["parts"] = serde_json::json!([]);
        j
    };
    assert_eq!(strip(&s), strip(&whole), "merged parts equal the whole statistics");
    let pyramid = d.join("pyr");
    let out = render_pyramid(&x, &y, &pyramid, &s);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(pyramid.join("metadata.json").is_file() && pyramid.join("0/0/0.png").is_file());
}
