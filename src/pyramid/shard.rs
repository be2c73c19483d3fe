//! Spreading a pyramid over several processes or machines: which shard renders which tile.
//!
//! The finest level's rows of tiles are grouped into aligned units of `2^align` tile rows
//! and every shard gets a contiguous run of units (its block), chosen from per-row work
//! estimates so the shards get about equal work. A tile of a level `d` steps coarser
//! covers `2^d` finest tile rows: for `d <= align` they lie in one unit and the tile
//! belongs to that unit's shard, which computes it from its own rows. The few coarsest
//! levels (`d > align`) cover several units: they belong to shard 0, the "top" shard,
//! which aggregates every row (counts only) to build them. Every tile has exactly one
//! owner and the assignment depends only on its inputs, so every shard computes the same.

use std::ops::Range;

use crate::error::{Error, Field, Result};
use crate::pyramid::PyramidPlan;

/// `--shard I/N`: shard I (0-based) of N.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShardSpec {
    /// This shard, `0..count`.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl ShardSpec {
    /// The whole pyramid in one process: shard 0 of 1.
    pub const WHOLE: ShardSpec = ShardSpec { index: 0, count: 1 };

    /// Parses `I/N` with `0 <= I < N` (a Slurm array index or a Kubernetes completion index).
    pub fn parse(text: &str) -> Result<ShardSpec> {
        let bad = |problem: String| Error::bad_parameter(Field::Shard, problem);
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| bad(format!("'{text}' is not I/N (e.g. 0/8 for the first of 8 shards)")))?;
        let index: u32 =
            i.trim().parse().map_err(|_| bad(format!("'{i}' in '{text}' is not a shard number")))?;
        let count: u32 =
            n.trim().parse().map_err(|_| bad(format!("'{n}' in '{text}' is not a shard count")))?;
        if count == 0 || index >= count {
            return Err(bad(format!("'{text}': the shard index must be 0 to N-1 and N at least 1")));
        }
        Ok(ShardSpec { index, count })
    }
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard that builds the coarsest levels.
pub const TOP_SHARD: u32 = 0;

/// The deterministic assignment of every tile of a pyramid to one of `count` shards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardPlan {
    plan: PyramidPlan,
    count: u32,
    /// Units are `2^align` finest tile rows.
    align: u32,
    /// First unit of each shard, plus the number of units at the end.
    starts: Vec<u32>,
}

impl ShardPlan {
    /// Assigns the tiles of `plan` to `count` shards. `row_work[r]` estimates the work of
    /// finest tile row `r` (its points and non-empty pixels, see
    /// [`crate::pyramid::PyramidStats::row_work`]); `top_work` the extra work of the top
    /// shard (aggregating every row for the coarsest levels).
    pub fn new(plan: &PyramidPlan, count: u32, row_work: &[u64], top_work: u64) -> ShardPlan {
        assert!(count > 0, "at least one shard");
        let rows = plan.finest_tile_rows();
        assert_eq!(row_work.len(), rows as usize, "one work estimate per finest tile row");
        let align = choose_align(plan, rows, count);
        let unit_work: Vec<u64> =
            row_work.chunks(1 << align).map(|c| c.iter().map(|&w| w.max(1)).sum()).collect();
        let top = if align >= plan.max_zoom { 0 } else { top_work };
        let starts = split(&unit_work, count, top);
        ShardPlan { plan: *plan, count, align, starts }
    }

    /// Equal work on every finest tile row (used by `stats --shard`, before any estimate).
    pub fn uniform(plan: &PyramidPlan, count: u32) -> ShardPlan {
        ShardPlan::new(plan, count, &vec![1; plan.finest_tile_rows() as usize], 0)
    }

    /// Number of shards.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The coarsest zoom whose tiles belong to the blocks; coarser zooms belong to
    /// [`TOP_SHARD`].
    pub fn block_min_zoom(&self) -> u32 {
        self.plan.max_zoom.saturating_sub(self.align)
    }

    /// The finest tile rows of shard `shard`'s block.
    pub fn block(&self, shard: u32) -> Range<u32> {
        let unit_rows = 1u32 << self.align;
        let rows = self.plan.finest_tile_rows();
        let s = shard as usize;
        (self.starts[s] * unit_rows).min(rows)..(self.starts[s + 1].saturating_mul(unit_rows)).min(rows)
    }

    /// The shard that renders tile (x, y) of zoom `zoom`.
    pub fn owner(&self, zoom: u32, _x: u32, y: u32) -> u32 {
        self.row_owner(self.plan.max_zoom.saturating_sub(zoom), y)
    }

    /// The shard that renders tile row `y` of the level `steps` halvings coarser than the
    /// finest (an XYZ zoom `max_zoom - steps`, or a DZI level as many steps below its
    /// finest, which may be coarser than zoom 0): the owner of the unit holding its first
    /// finest tile row, or [`TOP_SHARD`] when the row spans several units.
    pub fn row_owner(&self, steps: u32, y: u32) -> u32 {
        if steps > self.align {
            return TOP_SHARD;
        }
        let unit = (u64::from(y) << steps) >> self.align;
        // The last shard whose first unit is at or before `unit` (empty blocks skipped).
        let after = self.starts[..self.count as usize].partition_point(|&s| u64::from(s) <= unit);
        after.saturating_sub(1) as u32
    }

    /// True when `shard` renders tile (x, y) of `zoom`.
    pub fn owns(&self, shard: u32, zoom: u32, x: u32, y: u32) -> bool {
        self.owner(zoom, x, y) == shard
    }

    /// The finest pixel rows shard `shard` must aggregate and feed, in order: every row
    /// for the top shard when there are top levels, else its block's rows.
    pub fn finest_rows(&self, shard: u32) -> Range<u32> {
        if shard == TOP_SHARD && self.block_min_zoom() > 0 {
            return 0..self.plan.height;
        }
        let block = self.block(shard);
        let tile = self.plan.tile;
        (block.start * tile).min(self.plan.height)..(block.end.saturating_mul(tile)).min(self.plan.height)
    }

    /// The zooms shard `shard` must compute from its rows: all of them for the top shard,
    /// the block levels for the others.
    pub fn min_zoom(&self, shard: u32) -> u32 {
        if shard == TOP_SHARD {
            0
        } else {
            self.block_min_zoom()
        }
    }
}

/// The alignment exponent: the largest one leaving at least 4 units per shard (or one unit
/// per tile row when there are few rows); everything in one unit for a single shard.
fn choose_align(plan: &PyramidPlan, rows: u32, count: u32) -> u32 {
    if count == 1 {
        return plan.max_zoom;
    }
    let wanted = u64::from(rows).min(4 * u64::from(count));
    let mut align = 0;
    while align < plan.max_zoom && u64::from(rows).div_ceil(1 << (align + 1)) >= wanted {
        align += 1;
    }
    align
}

/// Splits `work` into `count` contiguous runs of about equal total, the first run also
/// carrying `top`; returns the first unit of each run and `work.len()`.
fn split(work: &[u64], count: u32, top: u64) -> Vec<u32> {
    let total: u128 = work.iter().map(|&w| u128::from(w)).sum::<u128>() + u128::from(top);
    let mut starts = vec![0u32];
    let mut prefix = u128::from(top);
    let mut unit = 0usize;
    for s in 1..count {
        let target = total * u128::from(s) / u128::from(count);
        // Take units while that brings the prefix closer to (or not past) the target.
        while unit < work.len() {
            let next = prefix + u128::from(work[unit]);
            if next > target && next - target >= target.saturating_sub(prefix) {
                break;
            }
            prefix = next;
            unit += 1;
        }
        starts.push(unit as u32);
    }
    starts.push(work.len() as u32);
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_i_of_n() {
        assert_eq!(ShardSpec::parse("2/8").unwrap(), ShardSpec { index: 2, count: 8 });
        for bad in ["8/8", "1", "a/2", "0/0", "-1/3"] {
            let err = ShardSpec::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("pyramid.shard: "), "{err}");
        }
        assert_eq!(ShardSpec::parse(" 0 / 1").unwrap().to_string(), "0/1");
    }

    /// Every tile of every level has exactly one owner and the owners' blocks tile the rows.
    fn check_cover(plan: &PyramidPlan, shards: &ShardPlan) {
        let n = shards.count();
        let mut next = 0;
        for s in 0..n {
            let b = shards.block(s);
            assert_eq!(b.start, next, "blocks are contiguous");
            next = b.end;
        }
        assert_eq!(next, plan.finest_tile_rows());
        for level in plan.all_levels() {
            for y in 0..level.tiles_y {
                let owner = shards.owner(level.zoom, 0, y);
                assert_eq!((0..n).filter(|&s| shards.owns(s, level.zoom, 0, y)).count(), 1);
                // The owner is fed every finest row the tile covers.
                let rows = shards.finest_rows(owner);
                let first = u64::from(y) * u64::from(plan.tile) * level.factor;
                assert!(
                    u64::from(rows.start) <= first && first < u64::from(rows.end),
                    "zoom {} y {y}",
                    level.zoom
                );
                assert!(level.zoom >= shards.min_zoom(owner));
            }
        }
    }

    #[test]
    fn every_tile_has_one_owner_for_many_shapes() {
        for (w, h, n) in
            [(100_000, 70_000, 7), (5000, 5000, 3), (300, 300, 5), (256, 256, 2), (1 << 20, 3000, 16)]
        {
            let plan = PyramidPlan::new(w, h, 256).unwrap();
            check_cover(&plan, &ShardPlan::uniform(&plan, n));
            let work: Vec<u64> = (0..plan.finest_tile_rows()).map(|r| u64::from(r % 17) * 1000).collect();
            check_cover(&plan, &ShardPlan::new(&plan, n, &work, 5000));
        }
    }

    #[test]
    fn one_shard_owns_everything_with_no_top() {
        let plan = PyramidPlan::new(5000, 3000, 256).unwrap();
        let one = ShardPlan::uniform(&plan, 1);
        assert_eq!(one.block_min_zoom(), 0);
        assert_eq!(one.finest_rows(0), 0..3000);
        assert_eq!(one.block(0), 0..12);
    }

    #[test]
    fn uniform_work_gives_equal_blocks() {
        let plan = PyramidPlan::new(4096, 65536, 256).unwrap(); // 256 tile rows, zoom 8
        let shards = ShardPlan::uniform(&plan, 4);
        // 16 units of 16 rows: four of them per shard.
        assert_eq!(shards.block_min_zoom(), 4);
        let blocks: Vec<_> = (0..4).map(|s| shards.block(s)).collect();
        assert_eq!(blocks, [0..64, 64..128, 128..192, 192..256]);
        assert_eq!(shards.finest_rows(0), 0..65536);
        assert_eq!(shards.finest_rows(2), 32768..49152);
        assert_eq!(shards.owner(3, 0, 0), TOP_SHARD);
        assert_eq!(shards.owner(4, 0, 15), 3);
        assert_eq!(shards.owner(8, 0, 64), 1);
    }

    #[test]
    fn skewed_work_moves_the_boundaries() {
        let plan = PyramidPlan::new(256, 256 * 16, 256).unwrap(); // 16 tile rows
        let mut work = vec![1u64; 16];
        work[0] = 1000;
        let shards = ShardPlan::new(&plan, 2, &work, 0);
        // Units of 2 rows (8 units, 4 per shard): the heavy row's unit alone.
        assert_eq!(shards.block(0), 0..2);
        assert_eq!(shards.block(1), 2..16);
    }

    #[test]
    fn row_owner_agrees_with_owner_and_gives_deeper_levels_to_the_top() {
        let plan = PyramidPlan::new(4096, 65536, 256).unwrap();
        let shards = ShardPlan::uniform(&plan, 4);
        for zoom in 0..=plan.max_zoom {
            for y in 0..(256u32 >> (plan.max_zoom - zoom)) {
                assert_eq!(shards.row_owner(plan.max_zoom - zoom, y), shards.owner(zoom, 0, y));
            }
        }
        // A DZI level finer than zoom 0's steps still belongs to the top shard.
        assert_eq!(shards.row_owner(plan.max_zoom + 3, 0), TOP_SHARD);
    }

    #[test]
    fn split_balances_and_counts_the_top() {
        assert_eq!(split(&[1, 1, 1, 1], 2, 0), [0, 2, 4]);
        assert_eq!(split(&[1, 1, 1, 1], 2, 2), [0, 1, 4]);
        assert_eq!(split(&[5], 3, 0), [0, 0, 1, 1]);
    }
}
