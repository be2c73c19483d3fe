//! Compact counts (`render/compact.rs`): count and any of a canvas whose u32 aggregate does
//! not fit the budget, in one pass over the input, give the bytes of the same canvas
//! aggregated in one band, for every tile size and thread count; a side table that
//! outgrows its allowance falls back to the partition, with the same bytes. Points off the
//! canvas (more than 255 of them, so their count wraps a byte too) are not plotted.

use std::sync::Mutex;

use crate::common::render_in_memory;
use gigaplot::{Colormap, How, MemoryColumn, PointColumns, Progress, Reduction, RenderOptions};

const MIB: u64 = 1 << 20;
const WIDTH: u32 = 301;
const HEIGHT: u32 = 203;

/// Records the stages a render goes through.
#[derive(Default)]
struct Stages(Mutex<Vec<String>>);

impl Progress for Stages {
    fn stage(&self, name: &str, _total: u64) {
        self.0.lock().unwrap().push(name.to_string());
    }
}

/// 150,000 clustered points, and `hot` pixels that get 300 points each (counts past 255,
/// so the side table holds them), interleaved evenly.
fn columns(hot: usize) -> (Vec<f32>, Vec<f64>) {
    let mut state = 0x853c_49e6_748f_ea9bu64;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let (hot_points, n) = (hot * 300, 150_000 + hot * 300);
    for i in 0..n {
        // Point i is the k-th hot point when k = i * hot_points / n steps up at i.
        let k = i * hot_points / n;
        if (i + 1) * hot_points / n > k {
            // Pixel centres of a hot grid, 1 pixel apart.
            let h = k % hot;
            xs.push(((h % 250) as f32 + 20.5) / WIDTH as f32);
            ys.push(((h / 250) as f64 + 30.5) / f64::from(HEIGHT));
        } else {
            xs.push(((next(1000) + next(1000)) as f32 / 2000.0) * 1.1 - 0.05);
            ys.push((next(1000) * next(1000)) as f64 / 1e6);
        }
    }
    (xs, ys)
}

/// (bands, stages, aggregate bytes, RGBA pixels, points plotted) of one render.
fn render_bytes(
    reduction: Reduction,
    hot: usize,
    tile: u32,
    threads: usize,
    budget: u64,
) -> (u32, Vec<String>, Vec<u8>, Vec<u8>, u64) {
    let (xs, ys) = columns(hot);
    let points = PointColumns::from_sources(
        Box::new(MemoryColumn::new("x", xs)),
        Box::new(MemoryColumn::new("y", ys)),
    )
    .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let options = RenderOptions {
        width: WIDTH,
        height: HEIGHT,
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        how: How::EqHist,
        cmap: Colormap::by_name("viridis").unwrap(),
        reduction,
        tile,
        threads: Some(threads),
        memory_budget: budget,
        scratch_dir: Some(scratch.path().to_path_buf()),
        ..RenderOptions::default()
    };
    let stages = Stages::default();
    let (report, aggregate, pixels) = render_in_memory(&points, &options, &stages);
    assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0, "scratch files left");
    let stages = stages.0.into_inner().unwrap();
    (report.plan.bands, stages, aggregate, pixels, report.plotted)
}

#[test]
fn compact_counts_give_the_bytes_of_one_band_and_fall_back_when_the_side_table_is_full() {
    // 80 hot pixels fit the side table (61,103 pixels in one region, so one worker: a
    // quarter of the 200,000 bytes the budget leaves beside the fixed costs, less the
    // canvas, makes 1,085 entries), and so do 1,000 (a quarter of a byte per pixel, the
    // allowance before session 18, held 477); 3,000 do not.
    for (hot, compact) in [(80, true), (1000, true), (3000, false)] {
        for reduction in [Reduction::Count, Reduction::Any] {
            let (bands, stages, want_aggregate, want_pixels, want_plotted) =
                render_bytes(reduction, hot, 256, 2, 256 * MIB);
            assert_eq!(bands, 1, "the reference is one band");
            let points = 150_000 + hot as u64 * 300;
            assert!(want_plotted + 1000 < points, "{want_plotted} of {points} plotted: some must be dropped");
            assert!(!stages.iter().any(|s| s.starts_with("partition")), "{stages:?}");
            if reduction == Reduction::Count {
                let counts: Vec<u32> = crate::common::values_of(&want_aggregate);
                let over = counts.iter().filter(|&&c| c >= 256).count();
                assert!(over >= hot, "{over} pixels counted 256 times or more");
            }
            for (tile, threads) in [(256, 1), (7, 2), (64, 3)] {
                // The u32 canvas needs several bands; the compact one fits beside two thin bands.
                let budget = 40 * MIB + 20 * MIB * threads as u64 + 200_000;
                let (bands, stages, aggregate, pixels, plotted) =
                    render_bytes(reduction, hot, tile, threads, budget);
                let at = format!("{reduction}, {hot} hot pixels, tile {tile}, {threads} threads");
                assert!(bands > 1, "{at}: {bands} bands");
                assert_eq!(stages[0], "aggregate", "{at}: {stages:?}");
                let partitioned = stages.iter().any(|s| s.starts_with("partition"));
                assert_eq!(partitioned, !compact, "{at}: {stages:?}");
                assert!(aggregate == want_aggregate, "aggregate differs: {at}");
                assert!(pixels == want_pixels, "pixels differ: {at}");
                assert_eq!(plotted, want_plotted, "points plotted: {at}");
            }
        }
    }
}
