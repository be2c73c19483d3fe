//! Band aggregates kept between the statistics and render passes (`render/kept.rs`): a
//! canvas of many bands renders to the same bytes as the same canvas in one band, for
//! every reduction of points, tile size and thread count, whether the bands are kept in
//! memory (two bands), spilled to the scratch file (dense points: the cells are smaller
//! than the records), kept as masks and lit cells (sparse counts) or folded again (sparse
//! points), and the scratch directory is left empty.

use gigaplot::{Reduction, RenderOptions};

const MIB: u64 = 1 << 20;
const POINTS: usize = 120_000;

/// The seed of the clustered points with order-sensitive values (as `direct.rs`) and a
/// category column (`common::clustered_columns`).
const SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// (bands, aggregate bytes, RGBA pixels) of one render, which must leave its scratch
/// directory empty.
fn render_bytes(
    reduction: Reduction,
    size: (u32, u32),
    tile: u32,
    threads: usize,
    budget: u64,
) -> (u32, Vec<u8>, Vec<u8>) {
    let scratch = tempfile::tempdir().unwrap();
    let options = RenderOptions {
        scratch_dir: Some(scratch.path().to_path_buf()),
        ..crate::common::clustered_options(reduction, size, tile, threads, budget)
    };
    let rendered = crate::common::render_clustered(SEED, POINTS, &options);
    let left: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "{reduction}: the render left {left:?} in its scratch directory");
    rendered
}

/// The budget that cuts a canvas `width` wide into bands of `rows` rows (`canvas/plan.rs`:
/// fixed and per-thread costs, two band buffers).
fn budget_for(rows: u64, width: u32, pixel_bytes: u64, threads: usize) -> u64 {
    40 * MIB + 20 * MIB * threads as u64 + 2 * rows * u64::from(width) * pixel_bytes
}

#[test]
fn kept_spilled_and_refolded_bands_give_the_bytes_of_one_band() {
    // Dense: 120,000 points on 61,103 pixels; the cells of count-cat, sum, min, max,
    // first and last take fewer bytes than their records (12 bytes a point), so bands
    // beyond two are spilled; mean, var and std (16- and 24-byte cells) fold again; count and any
    // take compact counts. Sparse: 964,403 pixels, so every reduction of one channel keeps
    // its lit cells and masks (`render/lit_cells.rs`: a bit a pixel, 121 kB, against 480 kB
    // or more of records), count and any gathering their statistics from them, the others
    // restoring their bands from them; count-cat folds again.
    for (case, size) in [("dense", (301, 203)), ("sparse", (1201, 803))] {
        for &reduction in Reduction::ALL {
            let pixel = match reduction {
                Reduction::Count | Reduction::Any => 4,
                Reduction::CountCat => 4 * 5,
                Reduction::Mean => 16,
                Reduction::Var | Reduction::Std => 24,
                _ => 8,
            };
            let (_, want_aggregate, want_pixels) = render_bytes(reduction, size, 256, 2, 256 * MIB);
            let lit = want_pixels.chunks(4).filter(|p| p[3] != 0).count();
            assert!(lit > 10_000, "{case} {reduction}: {lit} pixels lit");
            for (tile, threads) in [(256, 1), (7, 2), (64, 3)] {
                // Bands are whole tile rows when a tile row fits.
                let half = u64::from(size.1).div_ceil(2);
                let half =
                    if u64::from(tile) <= half { half.next_multiple_of(u64::from(tile)) } else { half };
                for (path, rows, bands) in [("two bands, in memory", half, 2), ("many bands", 24, 0)] {
                    let budget = budget_for(rows, size.0, pixel, threads);
                    let (got_bands, aggregate, pixels) = render_bytes(reduction, size, tile, threads, budget);
                    let at = format!("{case} {reduction}, {path}, tile {tile}, {threads} threads");
                    // Dense count and any take compact counts (`compact_counts.rs`), whose
                    // render pass has bands of its own.
                    let compact = case == "dense" && matches!(reduction, Reduction::Count | Reduction::Any);
                    match bands {
                        _ if compact => {}
                        0 => assert!(got_bands > 2, "{at}: {got_bands} bands"),
                        n => assert_eq!(got_bands, n, "{at}"),
                    }
                    assert!(aggregate == want_aggregate, "aggregate differs: {at}");
                    assert!(pixels == want_pixels, "pixels differ: {at}");
                }
            }
        }
    }
}
