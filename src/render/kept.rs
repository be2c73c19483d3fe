//! Band aggregates kept between the statistics pass and the render pass, so each record
//! is folded once (issue 14 item 3).
//!
//! The statistics pass aggregates every band; the render pass needs every band's cells
//! again. Instead of folding the band's records a second time, the driver keeps them:
//! - in memory, when the canvas has at most [`BANDS_IN_FLIGHT`] bands (a single band, or
//!   two, whose cells are no more than the two band buffers the plan already budgets);
//! - else in an unnamed scratch file (page cache, not RSS; nothing left behind however
//!   the process ends), when the cells take fewer bytes than the records a second fold
//!   reads ([`Fill::refill_bytes`]) and the scratch directory has room for them;
//! - else nowhere: the render pass folds the records again, as sparse canvases (few
//!   points, many pixels) are cheaper to re-fold than to write out.
//!
//! The cells read back are the bytes written, so the output does not change.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::canvas::plan::BANDS_IN_FLIGHT;
use crate::canvas::Plan;
use crate::error::{Error, Result};
use crate::io::free_space::free_space;
use crate::io::scratch::unnamed_file;
use crate::reduce::Reducer;
use crate::render::band::{BandCells, Fill};

/// Room left on the scratch file system beside spilled bands (as the partition leaves).
const DISK_MARGIN: u64 = 64 << 20;

/// Where the bands' cells wait between passes.
pub(crate) enum Kept<R: Reducer> {
    /// Every band's cells, in memory.
    Memory(Vec<BandCells<R>>),
    /// Every band's cells in an unnamed scratch file in `dir`, band `b` at `offsets[b]`.
    Spilled { file: File, dir: PathBuf, offsets: Vec<u64> },
}

impl<R: Reducer> Kept<R> {
    /// Where the bands of `plan` filled by `fill` are kept (see the module doc), or None
    /// when they are cheaper to fold again.
    pub fn choose(reducer: &R, fill: &impl Fill<R>, plan: &Plan, scratch_dir: &Path) -> Option<Kept<R>> {
        if u64::from(plan.bands) <= BANDS_IN_FLIGHT {
            return Some(Kept::Memory(Vec::with_capacity(plan.bands as usize)));
        }
        let cells = aggregate_bytes(reducer, plan);
        let records = fill.refill_bytes()?;
        if cells >= records || free_space(scratch_dir).ok()? < cells.saturating_add(DISK_MARGIN) {
            return None;
        }
        let file = unnamed_file(scratch_dir).ok()?;
        Some(Kept::Spilled { file, dir: scratch_dir.to_path_buf(), offsets: vec![0] })
    }

    /// Aggregates band `band` (the next one, in order) with `fill`, keeps it, and returns
    /// its cells (in `buffer` when spilled).
    pub fn aggregate<'a>(
        &'a mut self,
        reducer: &R,
        fill: &impl Fill<R>,
        plan: &Plan,
        band: u32,
        buffer: &'a mut BandCells<R>,
    ) -> Result<&'a BandCells<R>> {
        match self {
            Kept::Memory(bands) => {
                debug_assert_eq!(bands.len(), band as usize, "bands kept in order");
                let mut cells = BandCells::default();
                cells.aggregate(reducer, fill, plan, band)?;
                bands.push(cells);
                Ok(&bands[band as usize])
            }
            Kept::Spilled { file, dir, offsets } => {
                debug_assert_eq!(offsets.len(), band as usize + 1, "bands kept in order");
                buffer.aggregate(reducer, fill, plan, band)?;
                let bytes: &[u8] = bytemuck::cast_slice(buffer.cells());
                let at = offsets[band as usize];
                file.write_all_at(bytes, at).map_err(|e| Error::io(&*dir, e))?;
                offsets.push(at + bytes.len() as u64);
                Ok(buffer)
            }
        }
    }

    /// The kept cells of band `band` (read into `buffer` when spilled).
    pub fn band<'a>(
        &'a self,
        reducer: &R,
        fill: &impl Fill<R>,
        plan: &Plan,
        band: u32,
        buffer: &'a mut BandCells<R>,
    ) -> Result<&'a BandCells<R>> {
        match self {
            Kept::Memory(bands) => Ok(&bands[band as usize]),
            Kept::Spilled { .. } => {
                self.load(reducer, fill, plan, band, buffer)?;
                Ok(buffer)
            }
        }
    }

    /// Reads the spilled cells of band `band` into `buffer` (nothing for bands in memory).
    pub fn load(
        &self,
        reducer: &R,
        fill: &impl Fill<R>,
        plan: &Plan,
        band: u32,
        buffer: &mut BandCells<R>,
    ) -> Result<()> {
        let Kept::Spilled { file, dir, offsets } = self else { return Ok(()) };
        buffer.restore(reducer, fill, plan, band, |cells| {
            let bytes: &mut [u8] = bytemuck::cast_slice_mut(cells);
            let at = offsets[band as usize];
            debug_assert_eq!(offsets[band as usize + 1] - at, bytes.len() as u64, "band {band}'s size");
            file.read_exact_at(bytes, at).map_err(|e| Error::io(dir, e))
        })
    }
}

/// Bytes of the cells of every band of `plan`.
fn aggregate_bytes<R: Reducer>(reducer: &R, plan: &Plan) -> u64 {
    let pixels = u64::from(plan.width) * u64::from(plan.height);
    pixels * reducer.channels() as u64 * std::mem::size_of::<R::Cell>() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::TileLayout;
    use crate::reduce::Count;

    /// Fills pixel i of band b with `b * 1000 + i`; a second fold reads `records` bytes.
    struct Numbered {
        records: Option<u64>,
    }

    impl Fill<Count> for Numbered {
        fn fill(&self, _: &Count, _: &Plan, _: &TileLayout, band: u32, cells: &mut [u32]) -> Result<()> {
            (0..).zip(cells.iter_mut()).for_each(|(i, c)| *c = band * 1000 + i);
            Ok(())
        }
        fn refill_bytes(&self) -> Option<u64> {
            self.records
        }
    }

    fn plan(bands: u32) -> Plan {
        // 10 x 4 rows per band (a 40 MiB + 2 x 20 MiB overhead, two bands of 160 bytes).
        let plan = Plan::new(10, 4 * bands, 4, (80 << 20) + 2 * 4 * 10 * 4, 2, 4).unwrap();
        assert_eq!(plan.bands, bands);
        plan
    }

    #[test]
    fn the_choice_weighs_the_cells_against_the_records() {
        let dir = tempfile::tempdir().unwrap();
        let (many, cells) = (plan(5), 5 * 40 * 4);
        let choose = |records, plan: &Plan| Kept::choose(&Count, &Numbered { records }, plan, dir.path());
        assert!(matches!(choose(None, &plan(2)), Some(Kept::Memory(_))));
        assert!(matches!(choose(Some(0), &plan(1)), Some(Kept::Memory(_))));
        assert!(matches!(choose(Some(cells + 1), &many), Some(Kept::Spilled { .. })));
        assert!(choose(Some(cells), &many).is_none());
        assert!(choose(None, &many).is_none());
        // The spilled file has no name: nothing in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn spilled_bands_read_back_as_aggregated() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan(5);
        let fill = Numbered { records: Some(u64::MAX) };
        let mut kept = Kept::choose(&Count, &fill, &plan, dir.path()).unwrap();
        let mut buffer = BandCells::default();
        for b in 0..5 {
            let cells = kept.aggregate(&Count, &fill, &plan, b, &mut buffer).unwrap();
            assert_eq!(cells.cells()[1], b * 1000 + 1);
        }
        for b in [3, 0, 4, 1, 2] {
            let cells = kept.band(&Count, &fill, &plan, b, &mut buffer).unwrap();
            let want: Vec<u32> = (0..40).map(|i| b * 1000 + i).collect();
            assert_eq!(cells.cells(), &want[..], "band {b}");
            assert_eq!(cells.rows(), 4);
        }
    }
}
