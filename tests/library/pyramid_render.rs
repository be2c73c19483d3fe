//! Pyramids built from real renders through the public API: finest tiles equal the plain
//! PNG, coarser levels equal direct renders at their resolution (dyadic ranges, so binning
//! is exact), empty tiles are skipped, metadata is right, and N shards written into one
//! directory give exactly the files of a single process.

use std::path::{Path, PathBuf};

use crate::common::*;
use gigaplot::NoProgress;
use gigaplot::*;
use gigaplot::{render, RenderOptions};
use gigaplot::{Colormap, How};
use gigaplot::{ColumnSpec, PointColumns};
use gigaplot::{Compression, PngSink, Sink};

const W: u32 = 700;
const H: u32 = 500;
const TILE: u32 = 128;
/// One finest pixel is 1/64 data units on both axes.
const X_RANGE: (f64, f64) = (0.0, 700.0 / 64.0);
const Y_RANGE: (f64, f64) = (-3.0, -3.0 + 500.0 / 64.0);

/// Points on a 1/1024 grid inside the ranges (never on their upper edges), clustered so
/// counts vary, with an empty band on the right so some tiles are empty.
fn points(dir: &Path) -> PointColumns<'static> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for _ in 0..40_000 {
        let kx = (next(300 * 16) + next(300 * 16)) as f64; // triangular over 600 finest px
        let ky = (next(250 * 16) + next(250 * 16)) as f64;
        xs.push(kx / 1024.0);
        ys.push(Y_RANGE.0 + ky / 1024.0);
    }
    let (xp, yp) = (dir.join("x.npy"), dir.join("y.npy"));
    write_f64(&xp, &xs);
    write_f64(&yp, &ys);
    PointColumns::open(&ColumnSpec::parse(xp.to_str().unwrap()), &ColumnSpec::parse(yp.to_str().unwrap()))
        .unwrap()
}

fn options(width: u32, height: u32, x: (f64, f64), y: (f64, f64)) -> RenderOptions {
    RenderOptions {
        width,
        height,
        x_range: Some(x),
        y_range: Some(y),
        how: How::EqHist,
        cmap: Colormap::by_name("viridis").unwrap(),
        ..RenderOptions::default()
    }
}

fn key() -> StatsKey {
    StatsKey {
        width: W,
        height: H,
        tile: TILE,
        x_range: X_RANGE,
        y_range: Y_RANGE,
        x_scale: Default::default(),
        y_scale: Default::default(),
        inputs: vec![InputKey::synthetic("x.npy"), InputKey::synthetic("y.npy")],
        projection: Default::default(),
    }
}

/// `gigaplot stats --shard I/N` through a render with a [`StatsSink`].
fn stats_part(points: &PointColumns, shard: ShardSpec, out: &Path) -> PyramidStats {
    let builder = StatsBuilder::new(key(), shard).unwrap();
    let plan = PyramidPlan::new(W, H, TILE).unwrap();
    let sink: Box<dyn Sink> = Box::new(StatsSink::new(builder, plan, out));
    render(points, &options(W, H, X_RANGE, Y_RANGE), vec![sink], &NoProgress).unwrap();
    PyramidStats::read(out).unwrap()
}

/// `render --pyramid DIR --stats S [--shard I/N]`, plus the plain PNG when asked.
fn pyramid(points: &PointColumns, stats: &PyramidStats, dir: &Path, shard: ShardSpec, png: Option<&Path>) {
    let mut opts = PyramidOptions::new(dir);
    opts.cmap = Colormap::by_name("viridis").unwrap();
    opts.shard = shard;
    let axes = ((X_RANGE, Default::default()), (Y_RANGE, Default::default()));
    let writer = PyramidWriter::new(stats, axes, opts).unwrap();
    let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(PyramidSink::new(writer))];
    if let Some(png) = png {
        sinks.push(Box::new(PngSink::new(png, Compression::Fast)));
    }
    render(points, &options(W, H, X_RANGE, Y_RANGE), sinks, &NoProgress).unwrap();
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    tree(dir).into_keys().collect()
}

/// RGBA pixels of an image, expanding RGB.
fn rgba(path: &Path) -> (u32, u32, Vec<u8>) {
    let (w, h, bpp, px) = read_png(path);
    assert_eq!(bpp, 4, "{}", path.display());
    (w, h, px)
}

/// Checks every tile of zoom `z` against the `lw x lh` image `image` (tiles cut from it,
/// padded transparent), and that exactly the non-empty tiles exist.
fn check_level(dir: &Path, z: u32, (lw, lh): (u32, u32), image: &[u8]) -> usize {
    let mut written = 0;
    for ty in 0..lh.div_ceil(TILE) {
        for tx in 0..lw.div_ceil(TILE) {
            let mut expected = vec![0u8; (TILE * TILE * 4) as usize];
            for y in 0..TILE.min(lh - ty * TILE) {
                let cols = TILE.min(lw - tx * TILE) as usize;
                let src = (((ty * TILE + y) * lw + tx * TILE) * 4) as usize;
                let dst = (y * TILE * 4) as usize;
                expected[dst..dst + cols * 4].copy_from_slice(&image[src..src + cols * 4]);
            }
            let path = tile_path_of(dir, z, tx, ty);
            let empty = expected.chunks(4).all(|p| p[3] == 0);
            assert_eq!(path.exists(), !empty, "{} exists iff not empty", path.display());
            if !empty {
                let (w, h, got) = rgba(&path);
                assert_eq!((w, h), (TILE, TILE));
                assert!(got == expected, "zoom {z} tile {tx},{ty} differs");
                written += 1;
            }
        }
    }
    written
}

fn tile_path_of(dir: &Path, z: u32, x: u32, y: u32) -> PathBuf {
    dir.join(format!("{z}/{x}/{y}.png"))
}

#[test]
fn levels_equal_direct_renders_and_finest_tiles_equal_the_png() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = points(tmp.path());
    let stats = stats_part(&pts, ShardSpec::WHOLE, &tmp.path().join("stats.json"));
    let dir = tmp.path().join("pyr");
    let bare = tmp.path().join("bare.png");
    pyramid(&pts, &stats, &dir, ShardSpec::WHOLE, Some(&bare));

    let plan = PyramidPlan::new(W, H, TILE).unwrap();
    assert_eq!(plan.max_zoom, 3);
    let (_, _, image) = rgba(&bare);
    let mut tiles = check_level(&dir, 3, (W, H), &image);
    for z in 0..3 {
        // A direct render of the level's own canvas, whose ranges extend the original by
        // the missing finest pixels (right and bottom).
        let level = plan.level(z);
        let f = level.factor as f64;
        let x = (X_RANGE.0, X_RANGE.0 + f64::from(level.width) * f / 64.0);
        let y = (Y_RANGE.1 - f64::from(level.height) * f / 64.0, Y_RANGE.1);
        let direct = tmp.path().join(format!("direct{z}.png"));
        let sink: Box<dyn Sink> = Box::new(PngSink::new(&direct, Compression::Fast));
        render(&pts, &options(level.width, level.height, x, y), vec![sink], &NoProgress).unwrap();
        let (w, h, image) = rgba(&direct);
        assert_eq!((w, h), (level.width, level.height));
        tiles += check_level(&dir, z, (w, h), &image);
    }
    // Empty tiles were skipped: the right column of the finest level has no points.
    assert!(tiles < plan.tile_count() as usize);
    let mut expected: Vec<String> = (0..=3u32)
        .flat_map(|z| {
            let l = plan.level(z);
            (0..l.tiles_x).flat_map(move |x| (0..l.tiles_y).map(move |y| (z, x, y)))
        })
        .filter(|&(z, x, y)| tile_path_of(&dir, z, x, y).exists())
        .map(|(z, x, y)| format!("{z}/{x}/{y}.png"))
        .collect();
    expected.extend(["index.html".to_string(), "metadata.json".to_string()]);
    expected.sort();
    assert_eq!(files(&dir), expected, "only tiles, metadata and the page");
    assert_eq!(tiles, expected.len() - 2);

    let meta = PyramidMetadata::read(&dir).unwrap();
    assert_eq!((meta.width, meta.height, meta.tile, meta.min_zoom, meta.max_zoom), (W, H, TILE, 0, 3));
    assert_eq!((meta.colormap.as_str(), meta.how), ("viridis", How::EqHist));
    assert_eq!(meta.x_range, X_RANGE);
    assert_eq!(meta.extent, PyramidExtent { x: (0.0, 16.0), y: (Y_RANGE.1 - 16.0, Y_RANGE.1) });
    assert_eq!(meta.levels[0].extent, PyramidExtent { x: (0.0, 11.0), y: (-3.0625, Y_RANGE.1) });
    assert!(meta.levels[0].count_range.unwrap().1 > meta.levels[3].count_range.unwrap().1);
    assert_eq!((meta.levels[2].width, meta.levels[2].height, meta.levels[2].tiles_x), (350, 250, 3));
    // Counts stay counts: every level holds every point.
    for level in &stats.levels {
        let total: u64 = level.iter().map(|(c, n)| u64::from(c) * n).sum();
        assert_eq!(total, 40_000);
    }
}

#[test]
fn shards_in_one_directory_give_exactly_the_single_process_files() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = points(tmp.path());
    let whole = stats_part(&pts, ShardSpec::WHOLE, &tmp.path().join("stats.json"));
    let single = tmp.path().join("single");
    pyramid(&pts, &whole, &single, ShardSpec::WHOLE, None);
    let single_files = files(&single);
    assert!(single_files.len() > 10);

    for n in [2u32, 3, 5] {
        // stats --shard I/N for every I, then stats --merge.
        let parts: Vec<PyramidStats> = (0..n)
            .map(|i| {
                stats_part(&pts, ShardSpec { index: i, count: n }, &tmp.path().join(format!("s{n}-{i}.json")))
            })
            .collect();
        let merged = PyramidStats::merge_all(&parts).unwrap();
        assert_eq!(merged.levels, whole.levels, "{n} stats shards merge into the whole");
        assert_eq!(merged.row_points, whole.row_points);
        let sharded = tmp.path().join(format!("sharded{n}"));
        // Shards in reverse order, as a scheduler may run them.
        for i in (0..n).rev() {
            pyramid(&pts, &merged, &sharded, ShardSpec { index: i, count: n }, None);
        }
        assert_eq!(files(&sharded), single_files, "{n} shards");
        for name in &single_files {
            let (a, b) =
                (std::fs::read(single.join(name)).unwrap(), std::fs::read(sharded.join(name)).unwrap());
            assert!(a == b, "{name} differs with {n} shards");
        }
    }
}

#[test]
fn a_render_refuses_incomplete_or_mismatched_stats() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = points(tmp.path());
    let part = stats_part(&pts, ShardSpec { index: 1, count: 2 }, &tmp.path().join("s.json"));
    let axes = ((X_RANGE, Default::default()), (Y_RANGE, Default::default()));
    let err = PyramidWriter::new(&part, axes, PyramidOptions::new(&tmp.path().join("p"))).err().unwrap();
    assert!(err.to_string().starts_with("pyramid.stats: "), "{err}");
    let err = part.check_for(&key(), Path::new("s.json")).unwrap_err().to_string();
    assert!(err.contains("missing 0"), "{err}");
}
