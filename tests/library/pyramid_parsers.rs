//! Property tests of the pyramid's parsers of outside input: the in-suite twins of the
//! cargo-fuzz targets `stats_json` and `serve_path` in `fuzz/`.
//!
//! A statistics file, altered anyhow, never makes parsing panic; what is accepted is
//! consistent, round-trips, and shades; changing any one total of complete statistics is
//! always refused. A request target never resolves outside the served directory, to a
//! hidden name or through a link out, and an accepted byte range lies inside the file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

// The request and shard parsers are internals the fuzz targets reach through `__bench`;
// these properties are the fuzz targets' in-suite twins.
use gigaplot::__bench::{byte_range, resolve, ByteRange, ShardPlan};
use gigaplot::{Color, Colormap, How};
use gigaplot::{InputKey, PyramidStats, ShardSpec, StatsBuilder, StatsKey};
use proptest::prelude::*;

const STATS: &str = "s.json";

/// Statistics of a random small canvas (tiles of 16) and counts, whole or one shard's part.
fn stats() -> impl Strategy<Value = PyramidStats> {
    (16u32..120, 16u32..120, any::<u64>(), 1u32..4, any::<u32>()).prop_map(|(w, h, seed, n, i)| {
        let key = StatsKey {
            width: w,
            height: h,
            tile: 16,
            x_range: (-1.0, 2.5),
            y_range: (0.0, 1e-3),
            x_scale: Default::default(),
            y_scale: Default::default(),
            inputs: vec![InputKey::synthetic("x.npy"), InputKey::synthetic("y.npy")],
            projection: Default::default(),
        };
        let mut b = StatsBuilder::new(key, ShardSpec { index: i % n, count: n }).unwrap();
        let mut state = seed | 1;
        for _ in b.rows() {
            let row: Vec<u32> = (0..w)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    // Mostly empty, some small counts, a few above the dense limit.
                    match state % 16 {
                        0..=9 => 0,
                        10..=14 => (state >> 8) as u32 % 9,
                        _ => 70_000 + (state >> 8) as u32 % 2000,
                    }
                })
                .collect();
            b.push_row(&row).unwrap();
        }
        b.finish().unwrap()
    })
}

/// The JSON text of `stats` with some bytes overwritten, inserted, removed or cut off.
fn mutated_json() -> impl Strategy<Value = Vec<u8>> {
    let edits = proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 0..4);
    (stats(), edits).prop_map(|(stats, edits)| {
        let mut bytes = serde_json::to_vec(&stats).unwrap();
        for (at, byte, op) in edits {
            let at = at % (bytes.len() + 1);
            match op {
                0 if at < bytes.len() => bytes[at] = byte,
                // Digits more often than anything: they keep the JSON valid.
                1 => bytes.insert(at, b'0' + byte % 10),
                2 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
        bytes
    })
}

/// What any accepted statistics must satisfy, and any refusal look like.
fn check_parse(bytes: &[u8]) -> Result<(), TestCaseError> {
    match PyramidStats::parse(bytes, Path::new(STATS)) {
        Ok(stats) => {
            prop_assert_eq!(stats.validate(), Ok(()));
            let text = serde_json::to_vec(&stats).unwrap();
            prop_assert_eq!(&PyramidStats::parse(&text, Path::new(STATS)).unwrap(), &stats);
            // Eq-hist: the transfer that reads the whole histogram (each shader tabulates
            // 65,536 counts, so one is enough here; the fuzz target tries every one).
            let shaders = stats.shaders(How::EqHist, &Colormap::default(), Color::TRANSPARENT, None).unwrap();
            prop_assert_eq!(shaders.len(), stats.levels.len());
            let plan = stats.plan().unwrap();
            let _ = ShardPlan::new(&plan, stats.shards.min(64), &stats.row_work(), stats.top_work());
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(message.starts_with("s.json: "), "{}", message);
            prop_assert!(!message.contains('\n'), "{}", message);
        }
    }
    Ok(())
}

/// Every number of the JSON value at `pointer`'s subtree, as pointers, for editing.
fn number_pointers(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Number(_) => out.push(at),
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                number_pointers(v, format!("{at}/{i}"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                number_pointers(v, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

/// `TMP/.../{root,outside}` made once: root holds index.html, 0/0/0.png, a hidden
/// temporary tile, links to outside/secret and to outside/; returns the canonical root.
fn site() -> &'static Path {
    static ROOT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &ROOT
        .get_or_init(|| {
            let base = tempfile::tempdir().unwrap();
            let (root, outside) = (base.path().join("root"), base.path().join("outside"));
            std::fs::create_dir_all(root.join("0/0")).unwrap();
            std::fs::create_dir_all(&outside).unwrap();
            std::fs::write(root.join("index.html"), "i").unwrap();
            std::fs::write(root.join("0/0/0.png"), "p").unwrap();
            std::fs::write(root.join(".0.png.gigaplot-1.tmp"), "t").unwrap();
            std::fs::write(outside.join("secret"), "s").unwrap();
            std::os::unix::fs::symlink(outside.join("secret"), root.join("link")).unwrap();
            std::os::unix::fs::symlink(&outside, root.join("out")).unwrap();
            let root = root.canonicalize().unwrap();
            (base, root)
        })
        .1
}

/// Request targets built from the pieces traversal attempts use, or anything.
fn target() -> impl Strategy<Value = String> {
    let pieces = [
        "/",
        "/",
        "..",
        ".",
        "%2e",
        "%2E",
        "%2f",
        "%5c",
        "\\",
        "%00",
        "%",
        "%zz",
        "0",
        "index.html",
        "0.png",
        "link",
        "out",
        "secret",
        "outside",
        "root",
        ".0.png.gigaplot-1.tmp",
        "?",
        "#",
        "a",
        "//",
    ];
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(prop::sample::select(pieces.to_vec()), 0..10).prop_map(|p| p.concat()),
    ]
}

/// `Range` headers: well-formed, nearly so, or anything.
fn range_header() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop::sample::select("bytes=-, 0123456789".chars().collect::<Vec<_>>()),
            0..20
        )
        .prop_map(|c| c.into_iter().collect()),
        (any::<u64>(), any::<u64>()).prop_map(|(a, b)| format!("bytes={}-{}", a % 2000, b % 2000)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn stats_as_written_are_accepted(stats in stats()) {
        let text = serde_json::to_vec_pretty(&stats).unwrap();
        prop_assert_eq!(&PyramidStats::parse(&text, Path::new(STATS)).unwrap(), &stats);
        check_parse(&text)?;
    }

    #[test]
    fn altered_stats_never_panic(bytes in mutated_json()) {
        check_parse(&bytes)?;
    }

    #[test]
    fn changing_any_total_of_complete_stats_is_refused(stats in stats(), pick in any::<usize>(), delta in 1u64..1000) {
        prop_assume!(stats.is_complete());
        let mut json = serde_json::to_value(&stats).unwrap();
        let mut numbers = Vec::new();
        for list in ["levels", "row_points", "row_pixels"] {
            number_pointers(&json[list], format!("/{list}"), &mut numbers);
        }
        // Pixel counts and totals only: not the zero at a dense part's index 0.
        numbers.retain(|p| !p.ends_with("/dense/0"));
        prop_assume!(!numbers.is_empty());
        let pointer = &numbers[pick % numbers.len()];
        let slot = json.pointer_mut(pointer).unwrap();
        *slot = (slot.as_u64().unwrap() + delta).into();
        let text = serde_json::to_vec(&json).unwrap();
        let err = PyramidStats::parse(&text, Path::new(STATS)).map(|_| ()).unwrap_err().to_string();
        prop_assert!(err.ends_with("recompute it with gigaplot stats"), "{} -> {}", pointer, err);
    }

    #[test]
    fn targets_resolve_only_to_files_inside_the_root(text in target()) {
        let root = site();
        if let Some(path) = resolve(root, &text) {
            let inside = path.strip_prefix(root);
            prop_assert!(inside.is_ok(), "{:?} -> {:?}", text, path);
            prop_assert!(path.is_file(), "{:?} -> {:?}", text, path);
            prop_assert!(
                inside.unwrap().components().all(|c| !c.as_os_str().to_string_lossy().starts_with('.')),
                "{:?} -> {:?}", text, path
            );
        }
    }

    #[test]
    fn byte_ranges_lie_inside_the_file(header in range_header(), len in prop_oneof![0u64..3000, any::<u64>()]) {
        match byte_range(&header, len) {
            ByteRange::Part { start, end } => prop_assert!(start <= end && end < len, "{:?} of {}", header, len),
            ByteRange::Unsatisfiable | ByteRange::Whole => {}
        }
        if let Some((a, b)) = header.strip_prefix("bytes=").and_then(|r| r.split_once('-')) {
            if let (Ok(a), Ok(b)) = (a.parse::<u64>(), b.parse::<u64>()) {
                if header == format!("bytes={a}-{b}") && a <= b && b < len {
                    prop_assert_eq!(byte_range(&header, len), ByteRange::Part { start: a, end: b });
                }
            }
        }
    }
}

#[test]
fn known_traversals_are_refused() {
    let root = site();
    for bad in [
        "/../outside/secret",
        "/%2e%2e/outside/secret",
        "/..%2foutside%2fsecret",
        "/link",
        "/out/secret",
        "/.0.png.gigaplot-1.tmp",
        "/0/..%5c..%5coutside%5csecret",
        "/%00",
        "index.html",
        "/%zz",
    ] {
        assert_eq!(resolve(root, bad), None, "{bad}");
    }
    assert_eq!(resolve(root, "/"), Some(root.join("index.html")));
    assert_eq!(resolve(root, "/0/./0/0.png?x#y"), Some(root.join("0/0/0.png")));
}
