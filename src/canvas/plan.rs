//! The canvas plan: tiles, bands and the memory budget that sizes them.
//!
//! The canvas is cut into square tiles of `tile` pixels (the unit of parallel work) and
//! into bands of whole tile rows (the unit of streaming). A band is what is held in memory
//! at once: its aggregate, twice (one band is emitted while the next is aggregated). The
//! band height is the largest number of tile rows whose buffers, plus the fixed costs of a
//! render, fit the budget, unless the canvas takes more than [`BANDS_IN_FLIGHT`] bands of
//! that height anyway: then a band holds at most [`MAX_BAND_BYTES`] (and at least a tile
//! row), since larger bands were measured to buy no speed there, only peak memory (the
//! budget is a ceiling, not a target). On canvases so wide that one tile row does not fit, a band is a
//! slice of a tile row; at least one pixel row must fit, or the plan fails and names the
//! minimum budget. Nothing in the plan depends on the number of points, and the height
//! only changes the number of bands.

use crate::error::{Error, Field, Result};

const MIB: u64 = 1 << 20;

/// Fixed memory of a render that does not depend on the canvas: the program itself,
/// partition windows and the partition's count matrix.
const FIXED_OVERHEAD: u64 = 40 * MIB;

/// Memory per worker thread: column read buffers, scatter buffers, histograms and the
/// PNG encoder's segments in flight.
const PER_THREAD_OVERHEAD: u64 = 20 * MIB;

/// Bands held at once: the one being emitted and the next one being aggregated.
pub(crate) const BANDS_IN_FLIGHT: u64 = 2;

/// The largest band buffer of a canvas that takes more than [`BANDS_IN_FLIGHT`] bands:
/// such bands are folded twice or kept outside memory between passes, so a larger band
/// saves nothing (10^7 points at 16000^2 and 10^8 at 20000^2 took the same CPU time with
/// bands of 256 to 1280 rows) and only raises the peak (issue 14: 204 MB at 16000^2 with
/// 82 MB bands). Canvases of one or two bands keep the budget's size: one band is binned
/// straight from the input, two are kept in memory between the passes.
pub(crate) const MAX_BAND_BYTES: u64 = 32 * MIB;

/// How the canvas is cut and how much memory each part may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Canvas width in pixels.
    pub width: u32,
    /// Canvas height in pixels.
    pub height: u32,
    /// Side of a square tile in pixels.
    pub tile: u32,
    /// Rows per band (the last band may be shorter).
    pub band_height: u32,
    /// Number of bands.
    pub bands: u32,
    /// The memory budget in bytes.
    pub budget: u64,
    /// Worker threads.
    pub threads: usize,
    /// Bytes per aggregate pixel.
    pub aggregate_bytes: u32,
    /// Records pack a pixel as `row_in_band << column_bits | column`.
    pub column_bits: u32,
    /// The canvas rows whose records the partition keeps (a pyramid shard's rows): records
    /// of bands outside them are dropped. None: every row.
    pub kept_rows: Option<std::ops::Range<u32>>,
}

impl Plan {
    /// Plans a `width` x `height` canvas in `tile`-pixel tiles whose aggregate takes
    /// `aggregate_bytes` per pixel, with `threads` workers, within `budget` bytes.
    pub fn new(
        width: u32,
        height: u32,
        tile: u32,
        budget: u64,
        threads: usize,
        aggregate_bytes: u32,
    ) -> Result<Plan> {
        check_side(Field::Width, width)?;
        check_side(Field::Height, height)?;
        if tile == 0 {
            return Err(Error::bad_parameter(Field::Tile, "the tile size must be at least 1 pixel"));
        }
        let threads = threads.max(1);
        let overhead = FIXED_OVERHEAD + PER_THREAD_OVERHEAD * threads as u64;
        let row_cost = BANDS_IN_FLIGHT * u64::from(width) * u64::from(aggregate_bytes);
        let rows_that_fit = budget.saturating_sub(overhead) / row_cost;
        if rows_that_fit == 0 {
            let minimum = overhead + row_cost;
            return Err(Error::BudgetTooSmall {
                budget,
                width: u64::from(width),
                threads,
                minimum,
                minimum_mib: minimum.div_ceil(MIB),
            });
        }
        let column_bits = 32 - (width - 1).leading_zeros();
        // A record is a u32, so a band may not have more rows than the column bits leave.
        let max_rows_by_record = 1u64 << (32 - column_bits).min(31);
        let mut rows = rows_that_fit.min(max_rows_by_record);
        if rows >= u64::from(height) {
            // The whole canvas is one band.
            rows = u64::from(height);
        } else {
            rows = whole_tile_rows(rows, tile);
            if u64::from(height).div_ceil(rows) > BANDS_IN_FLIGHT {
                rows = whole_tile_rows(rows.min(useful_rows(width, tile, aggregate_bytes)), tile);
            }
        }
        let band_height = rows.max(1) as u32;
        let bands = height.div_ceil(band_height);
        Ok(Plan {
            width,
            height,
            tile,
            band_height,
            bands,
            budget,
            threads,
            aggregate_bytes,
            column_bits,
            kept_rows: None,
        })
    }

    /// The most worker threads whose buffers fit `budget` beside the fixed costs and one
    /// pixel row of a `width`-pixel-wide canvas of 4-byte cells (both bands in flight), at
    /// least 1: a render's default, so that a machine of many cores does not need a larger
    /// budget than one of few (at 256 MiB, 10 threads for canvases up to about 1.3 million
    /// pixels wide).
    pub fn threads_within(width: u32, budget: u64) -> usize {
        let row = BANDS_IN_FLIGHT * u64::from(width) * 4;
        let spare = budget.saturating_sub(FIXED_OVERHEAD + row) / PER_THREAD_OVERHEAD;
        usize::try_from(spare).unwrap_or(usize::MAX).max(1)
    }

    /// This plan cut into bands of at most [`MAX_BAND_BYTES`] (and at least a tile row, or
    /// what fits), as a canvas that takes more than [`BANDS_IN_FLIGHT`] bands is, whatever
    /// the budget: for a canvas the budget holds as one band, but which is faster in bands
    /// (counts on a canvas too large for direct counting's tallies to stay in the caches).
    pub(crate) fn in_bands(&self) -> Plan {
        let useful = useful_rows(self.width, self.tile, self.aggregate_bytes);
        let rows = whole_tile_rows(u64::from(self.band_height).min(useful), self.tile);
        let band_height = rows.max(1) as u32;
        Plan { band_height, bands: self.height.div_ceil(band_height), ..self.clone() }
    }

    /// Bytes of the budget left beside the render's fixed and per-thread costs and one
    /// band's aggregate: what direct aggregation of a one-band canvas may spend on partial
    /// canvases and sort buffers.
    pub fn spare_bytes(&self) -> u64 {
        self.beside_fixed_costs().saturating_sub(self.band_bytes())
    }

    /// Bytes of the budget beside the render's fixed and per-thread costs.
    pub(crate) fn beside_fixed_costs(&self) -> u64 {
        self.budget.saturating_sub(FIXED_OVERHEAD + PER_THREAD_OVERHEAD * self.threads as u64)
    }

    /// Bytes of one band's aggregate.
    pub(crate) fn band_bytes(&self) -> u64 {
        u64::from(self.band_height) * u64::from(self.width) * u64::from(self.aggregate_bytes)
    }

    /// Bytes of each record buffer of a band folded into its cells while another band is
    /// emitted, and of the window kept bands are read back in (the three may be held at
    /// once in the render pass): a quarter of a band at most, within the budget.
    pub(crate) fn fold_window_bytes(&self) -> u64 {
        self.window_share(BANDS_IN_FLIGHT * self.band_bytes(), 3, self.band_bytes() / 4)
    }

    /// One of `windows` equal shares of what the budget leaves beside `held` bytes (band
    /// buffers, masks) and the render's fixed costs, at most `cap`. The fixed overhead
    /// already counts windows of 4 MiB, so a window never needs to be smaller.
    fn window_share(&self, held: u64, windows: u64, cap: u64) -> u64 {
        let left = self.beside_fixed_costs().saturating_sub(held) / windows;
        left.min(cap).max(4 * MIB)
    }

    /// Bytes of each of the two record buffers (as read, and sorted by tile) of a band
    /// whose statistics are gathered from the pixels its records reach ([`Fill::fold_lit`]):
    /// a third of what the budget leaves beside the render's fixed costs, one band buffer
    /// (held if a band took the full path) and the band's masks, at most a band's bytes;
    /// the third third is for the band's lit cells, no more than its records (a cell per
    /// record, and a cell takes no more bytes than a record).
    ///
    /// [`Fill::fold_lit`]: crate::render::band::Fill::fold_lit
    pub(crate) fn lit_window_bytes(&self) -> u64 {
        let band = self.band_bytes();
        self.window_share(band + self.band_masks_bytes(), 3, band)
    }

    /// Bytes of a band's lit cells and masks the statistics pass may hold while it folds
    /// the next band (written behind it): what the budget leaves beside the render's fixed
    /// costs, one band buffer, the fold's two record windows and the next band's own lit
    /// cells and masks ([`Plan::lit_window_bytes`]). Larger ones are written first.
    pub(crate) fn write_behind_bytes(&self) -> u64 {
        let window = self.lit_window_bytes();
        let next_lit = window + self.band_masks_bytes();
        self.beside_fixed_costs().saturating_sub(self.band_bytes() + 2 * window + next_lit)
    }

    /// Bytes of the masks of a band's lit cells: a bit per pixel, and at most a partial
    /// word per tile.
    fn band_masks_bytes(&self) -> u64 {
        let pixels = u64::from(self.width) * u64::from(self.band_height);
        pixels / 8 + 8 * u64::from(self.width.div_ceil(self.tile))
    }

    /// The canvas rows of band `band`, counted from the top: `start .. end`.
    pub fn band_rows(&self, band: u32) -> std::ops::Range<u32> {
        let start = band * self.band_height;
        start..(start + self.band_height).min(self.height)
    }

    /// The bands holding [`Plan::kept_rows`] (None: every band is kept).
    pub fn kept_bands(&self) -> Option<std::ops::Range<u32>> {
        let rows = self.kept_rows.as_ref()?;
        if rows.start >= rows.end {
            return Some(0..0);
        }
        Some(rows.start / self.band_height..(rows.end - 1) / self.band_height + 1)
    }
}

/// `rows` rounded down to whole rows of `tile`-pixel tiles, when at least one fits.
fn whole_tile_rows(rows: u64, tile: u32) -> u64 {
    let tile_rows = u64::from(tile);
    if rows >= tile_rows {
        rows - rows % tile_rows
    } else {
        rows
    }
}

/// Rows of a band of at most [`MAX_BAND_BYTES`] of a `width`-pixel canvas of
/// `aggregate_bytes` a pixel, at least a row of `tile`-pixel tiles.
fn useful_rows(width: u32, tile: u32, aggregate_bytes: u32) -> u64 {
    (MAX_BAND_BYTES / (u64::from(width) * u64::from(aggregate_bytes))).max(u64::from(tile))
}

/// Checks one side of an image: 1 to 2^31 - 1 pixels, what a PNG can hold. `field` is the
/// option reported in the error.
pub fn check_side(field: Field, pixels: u32) -> Result<()> {
    if pixels == 0 || pixels > i32::MAX as u32 {
        return Err(Error::bad_parameter(
            field,
            format!("{pixels} pixels is outside what a PNG can hold (1 to 2147483647)"),
        ));
    }
    Ok(())
}

/// Parses a byte size: a number with an optional unit, `B`, `K`/`KiB`, `M`/`MiB`,
/// `G`/`GiB`, `T`/`TiB` (powers of 1024) or `KB`, `MB`, `GB`, `TB` (powers of 1000),
/// e.g. `256MiB`, `1.5G`, `100000`.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a size; write e.g. 256MiB, 2GiB or 100000000"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        other => return Err(format!("unknown unit '{other}' in '{text}'; use KiB, MiB, GiB or MB, GB")),
    };
    let bytes = value * multiplier as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(format!("'{text}' is not a usable size"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_threads_are_those_whose_buffers_the_budget_holds() {
        // 256 MiB: 40 MiB fixed, a 1000-pixel row of two 4-byte bands, 20 MiB a thread.
        assert_eq!(Plan::threads_within(1000, 256 * MIB), 10);
        assert!(Plan::new(1000, 1000, 256, 256 * MIB, 10, 4).is_ok());
        assert!(Plan::new(1000, 1000, 256, 256 * MIB, 11, 4).is_err());
        assert_eq!(Plan::threads_within(1000, 60 * MIB + 8000), 1);
        assert_eq!(Plan::threads_within(1000, 60 * MIB + 7999), 1, "at least one");
        assert_eq!(Plan::threads_within(1000, 80 * MIB + 8000), 2);
        assert_eq!(Plan::threads_within(u32::MAX, 256 * MIB), 1);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("100MB"), Ok(100_000_000));
        assert_eq!(parse_size("12345"), Ok(12345));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn bands_are_whole_tile_rows_and_cover_the_canvas() {
        let p = Plan::new(40_000, 40_000, 256, 256 << 20, 2, 4).unwrap();
        assert_eq!(p.band_height % 256, 0);
        assert!(p.band_height >= 256);
        assert_eq!(p.bands, 40_000u32.div_ceil(p.band_height));
        assert_eq!(p.band_rows(p.bands - 1).end, 40_000);
        assert_eq!(p.column_bits, 16);
    }

    #[test]
    fn band_height_does_not_depend_on_canvas_height_beyond_it() {
        let a = Plan::new(10_000, 100_000, 256, 256 << 20, 2, 4).unwrap();
        let b = Plan::new(10_000, 1_000_000, 256, 256 << 20, 2, 4).unwrap();
        assert_eq!(a.band_height, b.band_height);
    }

    #[test]
    fn bands_of_canvases_of_many_bands_are_capped_to_what_buys_speed() {
        // 16000 wide: the budget leaves room for 1280-row bands (82 MB each), but the
        // canvas takes 13 of them, so they are cut to 512 rows (33 MB).
        let p = Plan::new(16_000, 16_000, 256, 256 << 20, 2, 4).unwrap();
        assert_eq!((p.band_height, p.bands), (512, 32));
        assert!(u64::from(p.band_height) * 16_000 * 4 <= MAX_BAND_BYTES);
        // Two bands at the budget's size stay two (kept in memory between the passes).
        let p = Plan::new(16_000, 2_560, 256, 256 << 20, 2, 4).unwrap();
        assert_eq!((p.band_height, p.bands), (1280, 2));
        // One tile row at least, even when it is larger than the cap (65536 wide).
        let p = Plan::new(65_536, 65_536, 256, 256 << 20, 2, 4).unwrap();
        assert_eq!(p.band_height, 256);
        // The cap never raises a band beyond what the budget holds.
        let p = Plan::new(65_536, 65_536, 256, 160 << 20, 2, 4).unwrap();
        assert!(p.band_height < 256 && u64::from(p.band_height) * 65_536 * 4 * 2 <= (160 - 80) << 20);
    }

    #[test]
    fn a_one_band_plan_in_bands_is_cut_as_a_canvas_of_many_bands() {
        // 20000^2 counts under 4 GiB: one band of 1.6 GB; in bands, the default budget's
        // 79 bands of 256 rows.
        let one = Plan::new(20_000, 20_000, 256, 4 << 30, 2, 4).unwrap();
        assert_eq!(one.bands, 1);
        let banded = one.in_bands();
        let default = Plan::new(20_000, 20_000, 256, 256 << 20, 2, 4).unwrap();
        assert_eq!((banded.band_height, banded.bands), (default.band_height, default.bands));
        assert_eq!((banded.band_height, banded.bands), (256, 79));
        assert_eq!((banded.budget, banded.width, banded.aggregate_bytes), (4 << 30, 20_000, 4));
        // 8000 wide: 1024-row bands (32 MB), whole tile rows.
        let banded = Plan::new(8_000, 8_000, 256, 1 << 30, 2, 4).unwrap().in_bands();
        assert_eq!((banded.band_height, banded.bands), (1024, 8));
        // At least a tile row, even beyond the cap.
        let banded = Plan::new(65_536, 300, 256, 8 << 30, 2, 4).unwrap().in_bands();
        assert_eq!((banded.band_height, banded.bands), (256, 2));
    }

    #[test]
    fn windows_and_lit_cells_written_behind_fit_the_budget_beside_the_bands() {
        let overhead = |p: &Plan| FIXED_OVERHEAD + PER_THREAD_OVERHEAD * p.threads as u64;
        for (width, budget) in [(20_000, 256u64), (20_000, 128), (65_536, 256), (65_536, 200), (5_000, 100)] {
            let p = Plan::new(width, 100_000, 256, budget << 20, 2, 4).unwrap();
            let at = format!("{width} wide, {budget} MiB");
            let band = p.band_bytes();
            // The render pass: two bands, a band's two record windows folded again, and
            // the window kept bands are read in.
            let fold = p.fold_window_bytes();
            assert!(fold <= (band / 4).max(4 * MIB), "{at}");
            if fold > 4 * MIB {
                assert!(overhead(&p) + 2 * band + 3 * fold <= p.budget, "{at}");
            }
            // The statistics pass: a band buffer, two record windows, the lit cells of the
            // band being folded (a cell per record of its window, a bit per pixel) and
            // those of the one before it, written behind.
            let window = p.lit_window_bytes();
            let masks = u64::from(width) * u64::from(p.band_height) / 8 + 8 * u64::from(width.div_ceil(256));
            if window > 4 * MIB {
                assert!(window <= band && overhead(&p) + band + 3 * window + masks <= p.budget, "{at}");
            }
            let behind = p.write_behind_bytes();
            if behind > 0 {
                assert_eq!(overhead(&p) + band + 2 * window + (window + masks) + behind, p.budget, "{at}");
            }
        }
        // 10^8 points at 20000^2: bands of 256 rows (20 MB), a quarter-band window, and
        // about 97 MiB for the lit cells written behind (a band's are about 3 MB).
        let p = Plan::new(20_000, 20_000, 256, 256 << 20, 2, 4).unwrap();
        assert_eq!((p.band_height, p.fold_window_bytes()), (256, 20_000 * 256));
        assert!(p.write_behind_bytes() > 90 * MIB, "{}", p.write_behind_bytes());
        // A budget of two bands and the fixed costs leaves nothing to write behind.
        let p = Plan::new(1203, 997, 256, (80 << 20) + 2 * 64 * 1203 * 4, 2, 4).unwrap();
        assert_eq!((p.band_height, p.write_behind_bytes()), (64, 0));
    }

    #[test]
    fn a_canvas_that_fits_is_one_band() {
        let p = Plan::new(800, 600, 256, 256 << 20, 2, 4).unwrap();
        assert_eq!((p.bands, p.band_height), (1, 600));
    }

    #[test]
    fn very_wide_canvases_get_thin_bands() {
        let p = Plan::new(1_000_000, 1000, 256, 256 << 20, 2, 4).unwrap();
        assert!(p.band_height < 256 && p.band_height >= 1);
    }

    #[test]
    fn too_small_budgets_name_the_minimum() {
        let err = Plan::new(40_000, 40_000, 256, 10 << 20, 2, 4).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("memory_budget: ") && text.contains("at least"), "{text}");
        match err {
            Error::BudgetTooSmall { minimum, .. } => {
                assert!(Plan::new(40_000, 40_000, 256, minimum, 2, 4).is_ok());
                assert!(Plan::new(40_000, 40_000, 256, minimum - 1, 2, 4).is_err());
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(Plan::new(0, 10, 256, 256 << 20, 2, 4).is_err());
        assert!(Plan::new(10, 1 << 31, 256, 256 << 20, 2, 4).is_err());
        assert!(Plan::new(10, 10, 0, 256 << 20, 2, 4).is_err());
    }
}
