//! Direct aggregation (a one-band canvas binned straight from the input, no partition) gives
//! the same bytes as the partitioned path, for every reduction of points, tile size and
//! thread count: the aggregate and the shaded pixels. The budgets force each path: a
//! generous one (direct, count-like reductions on parallel partial canvases), one that
//! leaves room for a single worker's small sort buffers (direct, many chunks, one canvas;
//! compact counts for count and any, which then have no room for a tally per thread), and
//! one that cuts the canvas into several bands (partitioned).

use crate::common::render_in_memory;
use gigaplot::{
    Colormap, How, MemoryColumn, MemoryValues, NoProgress, PointColumns, Reduction, RenderOptions,
};

const MIB: u64 = 1 << 20;
const WIDTH: u32 = 301;
const HEIGHT: u32 = 203;
const POINTS: usize = 150_000;

/// Clustered points, many per pixel, with values whose sums depend on the order
/// (magnitudes from 1e-3 to 1e6, both zeros, NaN) and a category column.
fn columns() -> (Vec<f32>, Vec<f64>, Vec<f64>, Vec<u8>) {
    crate::common::clustered_columns(SEED, POINTS)
}

/// The seed of [`columns`].
const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// The aggregate's bytes and the shaded RGBA pixels of one render.
fn render_bytes(reduction: Reduction, tile: u32, threads: usize, budget: u64) -> (u32, Vec<u8>, Vec<u8>) {
    render_sized(reduction, (WIDTH, HEIGHT), tile, threads, budget)
}

/// [`render_bytes`] on a `size` canvas.
fn render_sized(
    reduction: Reduction,
    size: (u32, u32),
    tile: u32,
    threads: usize,
    budget: u64,
) -> (u32, Vec<u8>, Vec<u8>) {
    let options = crate::common::clustered_options(reduction, size, tile, threads, budget);
    crate::common::render_clustered(SEED, POINTS, &options)
}

/// Keeps the first render's (aggregate, pixels) in `reference`, and asserts every later
/// one (`at` says which) equals it.
fn same_as_first(reference: &mut Option<(Vec<u8>, Vec<u8>)>, got: (Vec<u8>, Vec<u8>), at: &str) {
    match reference {
        None => *reference = Some(got),
        Some((a, p)) => {
            assert!(*a == got.0, "aggregate differs: {at}");
            assert!(*p == got.1, "pixels differ: {at}");
        }
    }
}

/// The plan's fixed and per-thread costs (`canvas/plan.rs`).
fn overhead(threads: usize) -> u64 {
    40 * MIB + 20 * MIB * threads as u64
}

#[test]
fn direct_and_partitioned_renders_are_identical_for_every_reduction_tile_and_thread_count() {
    for &reduction in Reduction::ALL {
        // Bytes per pixel the plan budgets (`plan_bytes`), and per point of direct
        // aggregation's sort buffers.
        let (pixel, point) = match reduction {
            Reduction::Count | Reduction::Any => (4, 8),
            Reduction::CountCat => (4 * 5, 24),
            Reduction::Mean => (16, 24),
            Reduction::Var | Reduction::Std => (24, 24),
            _ => (8, 24),
        };
        let canvas = u64::from(WIDTH) * u64::from(HEIGHT) * pixel;
        let mut reference: Option<(Vec<u8>, Vec<u8>)> = None;
        for (tile, threads) in [(256, 1), (7, 2), (64, 3)] {
            // Partial canvases for every thread, each with sort buffers of 40,000 points.
            let t = threads as u64;
            let spare = ((t - 1) * canvas + t * 40_000 * point).max(canvas);
            // Count and any with no room for a tally per thread (5 bytes a pixel) take
            // compact counts instead (`render/compact.rs`), in the bands left beside them.
            let counted = matches!(reduction, Reduction::Count | Reduction::Any);
            let one_canvas = if counted { "compact counts" } else { "direct, one canvas" };
            let budgets = [
                ("direct, a canvas per thread", overhead(threads) + canvas + spare, true),
                (one_canvas, overhead(threads) + 2 * canvas, !counted),
                ("partitioned", overhead(threads) + 2 * 30 * u64::from(WIDTH) * pixel, false),
            ];
            for (path, budget, one_band) in budgets {
                let (bands, aggregate, pixels) = render_bytes(reduction, tile, threads, budget);
                assert_eq!(bands == 1, one_band, "{reduction} {path}: {bands} bands");
                let lit = pixels.chunks(4).filter(|p| p[3] != 0).count();
                assert!(lit > 10_000, "{reduction}: {lit} pixels lit");
                let at = format!("{reduction}, {path}, tile {tile}, {threads} threads");
                same_as_first(&mut reference, (aggregate, pixels), &at);
            }
        }
    }
}

/// Order-sensitive reductions on a canvas of many cache-sized regions (1201 x 803: 15 to
/// 45 regions by the cell size), binned in a piece per thread and folded region by region
/// in parallel (`render/direct.rs`), give the bytes of one thread and of the partitioned
/// path: float sums whose result depends on the order, first and last, max of both zeros.
#[test]
fn ordered_reductions_folded_in_parallel_regions_are_identical_for_every_thread_count() {
    let size = (1201, 803);
    for (reduction, pixel) in [
        (Reduction::Sum, 8),
        (Reduction::Mean, 16),
        (Reduction::Var, 24),
        (Reduction::Max, 8),
        (Reduction::First, 8),
        (Reduction::Last, 8),
    ] {
        let canvas = u64::from(size.0) * u64::from(size.1) * pixel;
        let mut reference: Option<(Vec<u8>, Vec<u8>)> = None;
        for (tile, threads) in [(256, 1), (7, 2), (64, 3)] {
            let budgets = [
                // Sort buffers of 20,000 to 2^21 points a thread.
                ("direct, small pieces", overhead(threads) + 2 * canvas, true),
                ("direct", overhead(threads) + canvas + 256 * MIB, true),
                ("partitioned", overhead(threads) + 2 * 100 * u64::from(size.0) * pixel, false),
            ];
            for (path, budget, one_band) in budgets {
                let (bands, aggregate, pixels) = render_sized(reduction, size, tile, threads, budget);
                assert_eq!(bands == 1, one_band, "{reduction} {path}: {bands} bands");
                let at = format!("{reduction}, {path}, tile {tile}, {threads} threads");
                same_as_first(&mut reference, (aggregate, pixels), &at);
            }
        }
    }
}

/// Counting in per-worker tallies (count and any, with room for them) reads float32 and
/// float64 columns in place and other types through `read_f64`: every pairing gives the
/// bytes of the partitioned path, and the same number of points plotted, for every tile
/// size and thread count.
#[test]
fn counting_in_tallies_matches_the_partitioned_path_for_every_column_type() {
    let (xs, ys, _, _) = columns();
    // The same numbers in other types: integers on a canvas of 0..1000 (some outside).
    let xi: Vec<i32> = xs.iter().map(|&v| (v * 1000.0) as i32).collect();
    let yi: Vec<u16> = ys.iter().map(|&v| (v * 1100.0) as u16).collect();
    let yf: Vec<f32> = ys.iter().map(|&v| v as f32).collect();
    let xf: Vec<f64> = xs.iter().map(|&v| f64::from(v)).collect();
    type Pair<'a> = (Box<dyn gigaplot::Source + 'a>, Box<dyn gigaplot::Source + 'a>, (f64, f64));
    fn pair<'a>(
        x: impl Into<MemoryValues<'a>>,
        y: impl Into<MemoryValues<'a>>,
        range: (f64, f64),
    ) -> Pair<'a> {
        (Box::new(MemoryColumn::new("x", x)), Box::new(MemoryColumn::new("y", y)), range)
    }
    // Fresh sources for every render (a render takes them), borrowing the columns.
    let make = |types: &str| match types {
        "f32, f32" => pair(&xs[..], &yf[..], (0.0, 1.0)),
        "f64, f64" => pair(&xf[..], &ys[..], (0.0, 1.0)),
        "f64, f32" => pair(&xf[..], &yf[..], (0.0, 1.0)),
        _ => pair(&xi[..], &yi[..], (0.0, 1000.0)),
    };
    let pairs = ["f32, f32", "f64, f64", "f64, f32", "i32, u16"];
    for reduction in [Reduction::Count, Reduction::Any] {
        for types in pairs {
            let mut reference: Option<(u64, Vec<u8>, Vec<u8>)> = None;
            for (tile, threads) in [(256, 1), (7, 2), (64, 3)] {
                let canvas = u64::from(WIDTH) * u64::from(HEIGHT) * 4;
                let budgets = [
                    ("tallies", overhead(threads) + canvas + 5 * threads as u64 * canvas, true),
                    ("partitioned", overhead(threads) + 2 * 30 * u64::from(WIDTH) * 4, false),
                ];
                for (path, budget, one_band) in budgets {
                    let (x, y, range) = make(types);
                    let points = PointColumns::from_sources(x, y).unwrap();
                    let options = RenderOptions {
                        width: WIDTH,
                        height: HEIGHT,
                        x_range: Some(range),
                        y_range: Some(range),
                        how: How::EqHist,
                        cmap: Colormap::by_name("viridis").unwrap(),
                        reduction,
                        tile,
                        threads: Some(threads),
                        memory_budget: budget,
                        ..RenderOptions::default()
                    };
                    let (report, aggregate, pixels) = render_in_memory(&points, &options, &NoProgress);
                    assert_eq!(report.plan.bands == 1, one_band, "{reduction} {types} {path}");
                    let got = (report.plotted, aggregate, pixels);
                    assert!(
                        got.0 > 100_000 && got.0 < POINTS as u64,
                        "{reduction} {types}: {} plotted",
                        got.0
                    );
                    match &reference {
                        None => reference = Some(got),
                        Some(want) => {
                            let at = format!("{reduction}, {types}, {path}, tile {tile}, {threads} threads");
                            assert_eq!(want.0, got.0, "points plotted: {at}");
                            assert!(want.1 == got.1, "aggregate differs: {at}");
                            assert!(want.2 == got.2, "pixels differ: {at}");
                        }
                    }
                }
            }
        }
    }
}

/// Direct counting over many chunks (more than a worker takes at once, in runs of several
/// thousand points, with hundreds of points per pixel so byte cells carry into u32 ones)
/// gives the partitioned path's aggregate for 1 to 3 threads and any tile size: the
/// workers' tallies add up to the same counts whatever chunks each one took.
#[test]
fn counting_many_chunks_in_tallies_is_identical_for_every_thread_count() {
    let (xs, ys, _, _) = crate::common::clustered_columns(0x51u64, 2_600_000);
    let (width, height) = (97, 61);
    let canvas = u64::from(width) * u64::from(height) * 4;
    let mut reference: Option<(u64, Vec<u8>, Vec<u8>)> = None;
    for (tile, threads) in [(256, 1), (13, 2), (64, 3)] {
        let budgets = [
            ("tallies", overhead(threads) + canvas + 5 * threads as u64 * canvas, true),
            ("partitioned", overhead(threads) + 2 * 20 * u64::from(width) * 4, false),
        ];
        for (path, budget, one_band) in budgets {
            let points = PointColumns::from_sources(
                Box::new(MemoryColumn::new("x", &xs[..])),
                Box::new(MemoryColumn::new("y", &ys[..])),
            )
            .unwrap();
            let options = RenderOptions {
                width,
                height,
                x_range: Some((0.0, 1.0)),
                y_range: Some((0.0, 1.0)),
                how: How::EqHist,
                cmap: Colormap::by_name("viridis").unwrap(),
                tile,
                threads: Some(threads),
                memory_budget: budget,
                ..RenderOptions::default()
            };
            let (report, aggregate, pixels) = render_in_memory(&points, &options, &NoProgress);
            let at = format!("{path}, tile {tile}, {threads} threads");
            assert_eq!(report.plan.bands == 1, one_band, "{at}");
            let most = aggregate.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).max();
            assert!(most > Some(1000), "{at}: busiest pixel {most:?}");
            let got = (report.plotted, aggregate, pixels);
            match &reference {
                None => reference = Some(got),
                Some(want) => {
                    assert_eq!(want.0, got.0, "points plotted: {at}");
                    assert!(want.1 == got.1, "aggregate differs: {at}");
                    assert!(want.2 == got.2, "pixels differ: {at}");
                }
            }
        }
    }
}
