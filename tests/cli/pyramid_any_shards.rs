//! Shards of the one-render pyramids (any reduction, lines, spreading, DZI): `--shard I/N`
//! runs into one directory write exactly the files of one process (every name, directory and
//! byte), the metadata appears only with the last part, and what such shards cannot take
//! is refused in one line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;
use gigaplot::npy::encode_header;
use gigaplot::DType;

/// x, y (a random walk, so lines cross many tiles), a float value column with NaN and
/// magnitudes whose sums depend on the order, and a uint8 category column of 4 codes.
pub(super) fn write_data(dir: &Path) {
    let n = 6000;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut xs, mut ys, mut vs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut x, mut y) = (0.5f64, 0.5f64);
    for i in 0..n {
        x = (x + (next() - 0.5) * 0.08).clamp(0.0, 1.0);
        y = (y + (next() - 0.5) * 0.08).clamp(0.0, 1.0);
        xs.push(x);
        ys.push(y);
        vs.push(match i % 11 {
            0 => f64::NAN,
            1 => 1e6 * next(),
            _ => next() * 1e-3 - 2e-4,
        });
    }
    write_f64(&dir.join("x.npy"), &xs);
    write_f64(&dir.join("y.npy"), &ys);
    write_f64(&dir.join("v.npy"), &vs);
    let mut bytes = encode_header(DType::U8, &[n]);
    bytes.extend((0..n).map(|i| (i * 7 % 4) as u8));
    std::fs::write(dir.join("c.npy"), bytes).unwrap();
}

/// The `render` arguments of a pyramid of the data in `dir` into `pyramid`, then `extra`
/// (x range 0,1 unless `extra` gives one).
pub(super) fn args(dir: &Path, pyramid: &Path, extra: &[&str]) -> Vec<String> {
    let file = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let mut args: Vec<String> = ["render", "-q", "--x", &file("x.npy"), "--y", &file("y.npy")]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if !extra.contains(&"--x-range") {
        args.extend(["--x-range".to_string(), "0,1".to_string()]);
    }
    for a in ["--y-range", "0,1", "--width", "1000", "--height", "700"] {
        args.push(a.to_string());
    }
    for a in ["--pyramid-tile", "64", "--pyramid", pyramid.to_str().unwrap()] {
        args.push(a.to_string());
    }
    args.extend(extra.iter().map(|a| a.replace("V.NPY", &file("v.npy")).replace("C.NPY", &file("c.npy"))));
    args
}

/// Runs gigaplot with `args`, which must succeed.
pub(super) fn ok(args: &[String]) {
    run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
}

/// Every directory (as `name/`) and file under `dir` with the file's bytes.
pub(super) fn listing(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = tree(dir);
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(format!("{}/", p.strip_prefix(dir).unwrap().display()), Vec::new());
                stack.push(p);
            }
        }
    }
    out
}

/// Checks that `dir` holds exactly the directories and files of `want` (a [`listing`]), byte
/// for byte, naming `what` and the first path that differs.
pub(super) fn assert_same_listing(dir: &Path, want: &BTreeMap<String, Vec<u8>>, what: &str) {
    let got = listing(dir);
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&got), names(want), "{what}");
    for (path, bytes) in want {
        assert!(&got[path] == bytes, "{what}: {path} differs");
    }
}

/// The pyramids tested: a mean, count-cat, lines, a spread mean, each as XYZ and DZI.
const CASES: &[(&str, &[&str])] = &[
    ("mean", &["--agg", "mean", "--value", "V.NPY"]),
    ("count-cat", &["--agg", "count-cat", "--value", "C.NPY"]),
    ("lines", &["--glyph", "lines"]),
    ("spread max", &["--agg", "max", "--value", "V.NPY", "--spread", "2"]),
];

#[test]
fn shards_of_one_render_pyramids_write_the_files_of_one_process() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_data(d);
    for (name, flags) in CASES {
        for format in ["xyz", "dzi"] {
            let mut extra = flags.to_vec();
            extra.extend(["--pyramid-format", format]);
            let single = d.join("single");
            ok(&args(d, &single, &extra));
            let want = listing(&single);
            let described = if format == "xyz" { "metadata.json" } else { "pyramid.dzi" };
            assert!(want.contains_key(described), "{name} {format}: {:?}", want.keys());
            assert!(want.keys().filter(|k| k.ends_with(".png")).count() > 20, "{name} {format}");
            for n in [2u32, 3] {
                let sharded = d.join(format!("sharded-{n}"));
                // Shards in any order; the metadata appears with the last part only.
                let order: Vec<u32> = if n == 2 { vec![1, 0] } else { vec![1, 2, 0] };
                for (k, &i) in order.iter().enumerate() {
                    let mut extra = extra.clone();
                    let shard = format!("{i}/{n}");
                    extra.extend(["--shard", &shard]);
                    ok(&args(d, &sharded, &extra));
                    let last = k + 1 == order.len();
                    assert_eq!(sharded.join(described).exists(), last, "{name} {format} shard {i}/{n}");
                    assert_eq!(sharded.join("index.html").exists(), last, "{name} {format} shard {i}/{n}");
                }
                assert_same_listing(&sharded, &want, &format!("{name} {format}: {n} shards"));
                std::fs::remove_dir_all(&sharded).unwrap();
            }
            std::fs::remove_dir_all(&single).unwrap();
        }
    }
}

/// A shard run again with other flags removes the metadata, and its part no longer matches
/// the others': the pyramid has no metadata until every shard rendered the same pyramid,
/// and then the directory holds exactly that pyramid's files (the tiles of the first render
/// that are blank in the second are gone; their emptied column directories stay).
#[test]
fn a_shard_of_another_render_leaves_no_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_data(d);
    let pyr = d.join("pyr");
    let mean = ["--agg", "mean", "--value", "V.NPY"];
    for shard in ["0/2", "1/2"] {
        let mut extra = mean.to_vec();
        extra.extend(["--shard", shard]);
        ok(&args(d, &pyr, &extra));
    }
    assert!(pyr.join("metadata.json").exists());
    assert!(!pyr.join("shards").exists(), "the part markers are removed");
    let mut extra = mean.to_vec();
    extra.extend(["--x-range", "0.7,1.7", "--shard", "0/2"]);
    ok(&args(d, &pyr, &extra));
    assert!(!pyr.join("metadata.json").exists());
    assert!(pyr.join("shards").join("0-of-2.json").exists());
    let mut extra = mean.to_vec();
    extra.extend(["--x-range", "0.7,1.7", "--shard", "1/2"]);
    ok(&args(d, &pyr, &extra));
    let single = d.join("single");
    let mut extra = mean.to_vec();
    extra.extend(["--x-range", "0.7,1.7"]);
    ok(&args(d, &single, &extra));
    // (Files only: a column directory of the first render that is now empty stays.)
    let (got, want) = (tree(&pyr), tree(&single));
    assert!(got.keys().any(|k| k.ends_with(".png")));
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    assert!(got == want, "the tiles differ");
}

/// A statistics file of statistics that cannot be saved yet (eq-hist of float values) is
/// refused naming the flag, in one line, and nothing is written; plain count shards still
/// need one.
#[test]
fn one_render_shards_refuse_a_statistics_file_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_data(d);
    let pyr = d.join("pyr");
    let stats = d.join("s.json").to_str().unwrap().to_string();
    let cases: [(Vec<&str>, &str); 2] = [
        (
            vec!["--agg", "mean", "--value", "V.NPY", "--stats", &stats, "--shard", "0/2"],
            "gigaplot: error: --stats: pyramids of mean take no statistics file yet: eq-hist of float values \
             needs two statistics rounds (give --how linear, log or cbrt); give none",
        ),
        (
            vec!["--shard", "0/2"],
            "gigaplot: error: --shard: needs --stats FILE, the statistics of every shard from gigaplot stats",
        ),
    ];
    for (extra, want) in cases {
        let a = args(d, &pyr, &extra);
        let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(1 | 2)), "{stderr}");
        assert_eq!(stderr.trim_end(), want);
        assert!(!pyr.exists(), "{extra:?}");
    }
}

/// Plain count shards (the two-render path, with a statistics file) run again over other
/// ranges remove their earlier tiles that are now empty: the directory ends with exactly the
/// files of one process over the new ranges.
#[test]
fn rerun_count_shards_remove_their_tiles_now_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_data(d);
    let pyr = d.join("pyr");
    for (range, stats) in [("0,1", "s1.json"), ("0.7,1.7", "s2.json")] {
        let stats = d.join(stats).to_str().unwrap().to_string();
        let mut cmd = args(d, &pyr, &["--x-range", range]);
        // the same canvas flags for `stats`, without --pyramid DIR
        let at = cmd.iter().position(|a| a == "--pyramid").unwrap();
        let mut stats_args = vec!["stats".to_string()];
        stats_args.extend(cmd[1..at].iter().chain(&cmd[at + 2..]).cloned());
        stats_args.extend(["-o".to_string(), stats.clone()]);
        ok(&stats_args);
        cmd.extend(["--stats".to_string(), stats]);
        for shard in ["1/2", "0/2"] {
            let mut sharded = cmd.clone();
            sharded.extend(["--shard".to_string(), shard.to_string()]);
            ok(&sharded);
        }
    }
    let single = d.join("single");
    ok(&args(d, &single, &["--x-range", "0.7,1.7"]));
    let (got, want) = (tree(&pyr), tree(&single));
    assert!(got.keys().any(|k| k.ends_with(".png")));
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    assert!(got == want, "the tiles differ");
}
