//! Statistics files of one-render pyramids (any reduction, lines, spreading, DZI; format
//! version 3): `render --pyramid DIR --stats-out FILE --shard I/N` parts merged by `stats
//! --merge` hold exactly the statistics of one process, shards given the merged file read
//! only the rows under their tiles and together write exactly the files of one process, and
//! a file of other data or of another pyramid (another reduction, format, range, series) is
//! refused in one line naming it.

use std::path::Path;

use super::pyramid_any_shards::{args, assert_same_listing, listing, ok, write_data};
use crate::common::*;

/// Several bands (so a shard's partition can drop the others' rows) on any machine.
const BANDS: [&str; 4] = ["--threads", "2", "--memory", "84MiB"];

/// The pyramids tested: a mean, count-cat, lines, and a spread max (a halo of 2 pixels),
/// one-round statistics each.
const CASES: &[(&str, &[&str])] = &[
    ("mean", &["--agg", "mean", "--value", "V.NPY", "--how", "linear"]),
    ("count-cat", &["--agg", "count-cat", "--value", "C.NPY"]),
    ("lines", &["--glyph", "lines"]),
    ("spread max", &["--agg", "max", "--value", "V.NPY", "--how", "log", "--spread", "2"]),
];

/// `args` with `extra` and then `more`.
fn with(d: &Path, pyramid: &Path, extra: &[&str], more: &[&str]) -> Vec<String> {
    let mut all = extra.to_vec();
    all.extend(more);
    args(d, pyramid, &all)
}

/// The number of points (or segment records) a render says it aggregated.
fn plotted(args: &[String]) -> u64 {
    let args: Vec<&str> = args.iter().map(String::as_str).filter(|&a| a != "-q").collect();
    let out = run_ok(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary = stderr.lines().last().unwrap_or_default();
    let field = if summary.contains("segment records") {
        summary.split(", ").find(|f| f.ends_with("segment records")).unwrap().split(' ').next()
    } else {
        summary.split(", ").find(|f| f.ends_with("points plotted")).unwrap().split(' ').next()
    };
    field.unwrap().parse().unwrap()
}

/// The `levels` of a statistics file.
fn levels(path: &Path) -> serde_json::Value {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(json["version"], 3, "{}", path.display());
    json["levels"].clone()
}

#[test]
fn shards_with_a_merged_statistics_file_read_their_rows_and_write_the_files_of_one_process() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_data(d);
    let unused = d.join("unused");
    for (name, flags) in CASES {
        for format in ["xyz", "dzi"] {
            let mut extra = flags.to_vec();
            extra.extend(["--pyramid-format", format]);
            extra.extend(BANDS);
            let single = d.join("single");
            let whole_points = plotted(&args(d, &single, &extra));
            let want = listing(&single);
            assert!(want.keys().filter(|k| k.ends_with(".png")).count() > 20, "{name} {format}");
            let whole = d.join("whole.json");
            ok(&with(d, &unused, &extra, &["--stats-out", whole.to_str().unwrap()]));
            assert!(!unused.exists(), "--stats-out writes no tile");
            for n in [2u32, 3] {
                let mut merge = vec!["stats".to_string(), "-q".to_string(), "--merge".to_string()];
                for i in 0..n {
                    let part = d.join(format!("part{i}.json"));
                    let shard = format!("{i}/{n}");
                    ok(&with(
                        d,
                        &unused,
                        &extra,
                        &["--stats-out", part.to_str().unwrap(), "--shard", &shard],
                    ));
                    merge.push(part.to_str().unwrap().to_string());
                }
                let merged = d.join("merged.json");
                merge.extend(["-o".to_string(), merged.to_str().unwrap().to_string()]);
                ok(&merge);
                assert_eq!(levels(&merged), levels(&whole), "{name} {format}: {n} parts merged");
                let sharded = d.join(format!("sharded-{n}"));
                let described = if format == "xyz" { "metadata.json" } else { "pyramid.dzi" };
                for (k, i) in (1..n).chain([0]).enumerate() {
                    let shard = format!("{i}/{n}");
                    let render =
                        with(d, &sharded, &extra, &["--stats", merged.to_str().unwrap(), "--shard", &shard]);
                    let points = plotted(&render);
                    // Shard 0 builds the coarsest levels from every row; the others read their own.
                    match i {
                        0 => assert_eq!(points, whole_points, "{name} {format} shard {shard}"),
                        _ => assert!(points < whole_points, "{name} {format} shard {shard}: {points}"),
                    }
                    assert_eq!(
                        sharded.join(described).exists(),
                        k + 1 == n as usize,
                        "{name} {format} {shard}"
                    );
                }
                assert_same_listing(&sharded, &want, &format!("{name} {format}: {n} shards"));
                std::fs::remove_dir_all(&sharded).unwrap();
            }
            std::fs::remove_dir_all(&single).unwrap();
        }
    }
}

#[test]
fn a_missing_shard_leaves_no_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_data(d);
    let mean = ["--agg", "mean", "--value", "V.NPY", "--how", "cbrt"];
    let stats = d.join("s.json");
    ok(&with(d, &d.join("unused"), &mean, &["--stats-out", stats.to_str().unwrap()]));
    let pyr = d.join("pyr");
    for shard in ["2/3", "0/3"] {
        ok(&with(d, &pyr, &mean, &["--stats", stats.to_str().unwrap(), "--shard", shard]));
    }
    assert!(tree(&pyr).keys().any(|k| k.ends_with(".png")));
    assert!(!pyr.join("metadata.json").exists() && !pyr.join("index.html").exists());
    ok(&with(d, &pyr, &mean, &["--stats", stats.to_str().unwrap(), "--shard", "1/3"]));
    let single = d.join("single");
    ok(&args(d, &single, &mean));
    assert!(tree(&pyr) == tree(&single), "the three shards write the files of one process");
}

#[test]
fn a_statistics_file_of_other_data_or_another_pyramid_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_data(d);
    std::fs::copy(d.join("x.npy"), d.join("w.npy")).unwrap();
    let unused = d.join("unused");
    let file = |name: &str| d.join(name).to_str().unwrap().to_string();
    let mean = ["--agg", "mean", "--value", "V.NPY", "--how", "linear"];
    let (stats, part, counts) = (file("s.json"), file("part.json"), file("counts.json"));
    ok(&with(d, &unused, &mean, &["--stats-out", &stats]));
    // Lines of the same x and y columns read as two series back to back.
    let series = file("series.json");
    ok(&with(d, &unused, &["--glyph", "lines", "--series", "2"], &["--stats-out", &series]));
    ok(&with(d, &unused, &mean, &["--stats-out", &part, "--shard", "0/2"]));
    // A count pyramid's statistics (format version 2), from `gigaplot stats`.
    let mut count = args(d, &unused, &[]);
    let at = count.iter().position(|a| a == "--pyramid").unwrap();
    count.drain(at..at + 2);
    count[0] = "stats".into();
    count.extend(["-o".to_string(), counts.clone()]);
    ok(&count);
    let w = file("w.npy");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--agg", "max", "--value", "V.NPY", "--how", "linear", "--stats", &stats],
            format!(
                "{stats}: was computed for a pyramid of mean of points, linear, xyz tiles, not max of points, \
                 linear, xyz tiles; compute statistics with the render's flags"
            ),
        ),
        (
            [&mean[..], &["--stats", &stats, "--pyramid-format", "dzi"]].concat(),
            format!(
                "{stats}: was computed for a pyramid of mean of points, linear, xyz tiles, not mean of points, \
                 linear, dzi tiles; compute statistics with the render's flags"
            ),
        ),
        (
            [&mean[..], &["--stats", &stats, "--x-range", "0,2"]].concat(),
            format!(
                "{stats}: was computed for ranges (0.0, 1.0) (0.0, 1.0), not (0.0, 2.0) (0.0, 1.0); compute \
                 statistics with the render's flags"
            ),
        ),
        (
            vec!["--agg", "mean", "--value", &w, "--how", "linear", "--stats", &stats],
            format!(
                "{stats}: was computed for inputs x.npy, y.npy, v.npy, not x.npy, y.npy, w.npy; compute \
                 statistics with the render's flags"
            ),
        ),
        (
            [&mean[..], &["--stats", &part, "--shard", "1/2"]].concat(),
            format!("{part}: holds 1 of 2 shards (missing 1); merge all parts with stats --merge"),
        ),
        (
            [&mean[..], &["--stats", &counts, "--shard", "1/2"]].concat(),
            format!(
                "{counts}: holds the statistics of a count pyramid (format version 2, gigaplot stats), not of \
                 this pyramid; compute them with render --pyramid DIR --stats-out FILE and the render's flags"
            ),
        ),
        (
            vec!["--glyph", "lines", "--series", "3", "--stats", &series],
            format!(
                "{series}: was computed for a pyramid of count of lines in 2 series of 3000 vertices (x back \
                 to back, y back to back), eq-hist, xyz tiles, not count of lines in 3 series of 2000 vertices \
                 (x back to back, y back to back), eq-hist, xyz tiles; compute statistics with the render's flags"
            ),
        ),
        (
            vec!["--glyph", "lines", "--stats", &series],
            format!(
                "{series}: was computed for a pyramid of count of lines in 2 series of 3000 vertices (x back \
                 to back, y back to back), eq-hist, xyz tiles, not count of lines, eq-hist, xyz tiles; compute \
                 statistics with the render's flags"
            ),
        ),
        (
            vec!["--agg", "mean", "--value", "V.NPY", "--stats-out", &part],
            "--stats-out: statistics files cannot be made yet: eq-hist of float values needs two statistics \
             rounds (give --how linear, log or cbrt)"
                .to_string(),
        ),
        (
            vec!["--stats-out", &part],
            "--stats-out: XYZ count pyramids of points take their statistics from gigaplot stats".to_string(),
        ),
    ];
    let pyr = d.join("pyr");
    for (extra, want) in cases {
        let a = args(d, &pyr, &extra);
        let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(1 | 2)), "{stderr}");
        assert_eq!(stderr.trim_end(), format!("gigaplot: error: {want}"), "{extra:?}");
        assert!(!pyr.exists(), "{extra:?}");
    }
    // Parts of other pyramids do not merge.
    let other = file("other.json");
    ok(&with(
        d,
        &unused,
        &["--agg", "max", "--value", "V.NPY", "--how", "linear"],
        &["--stats-out", &other, "--shard", "1/2"],
    ));
    let out = run(&["stats", "--merge", &part, &other, "-o", &file("m.json")]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "gigaplot: error: --merge: the statistics files are for different canvases, ranges, data or reductions"
    );
    assert!(!d.join("m.json").exists());
    // Files of the two kinds do not merge, in either order: the one of the other kind is named.
    for (first, second, refused, why) in [
        (
            &counts,
            &part,
            &part,
            "holds the statistics of a render --pyramid (format version 3, render --stats-out), not of a \
             count pyramid (gigaplot stats); merge and use files of one kind",
        ),
        (
            &part,
            &counts,
            &counts,
            "holds the statistics of a count pyramid (format version 2, gigaplot stats), not of this pyramid; \
             compute them with render --pyramid DIR --stats-out FILE and the render's flags",
        ),
    ] {
        let out = run(&["stats", "--merge", first, second, "-o", &file("m.json")]);
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end(), format!("gigaplot: error: {refused}: {why}"));
        assert!(!d.join("m.json").exists());
    }
}
