//! Statistics files of pyramids of any reduction and glyph (format version 3): every
//! level's shading statistics ([`SavedStats`]), so the shards of a pyramid built in one
//! render ([`crate::pyramid::generic`]) shade alike without gathering them, and so each
//! shard reads only its own rows.
//!
//! `render --pyramid DIR --stats-out FILE [--shard I/N]` ([`compute_level_stats`]) runs the
//! statistics passes of the pyramid's one render and writes, for every level, the
//! statistics of the tile rows the shard owns under [`ShardPlan::uniform`] (a shard other
//! than the top one reads only the rows under them). `stats --merge` adds the parts level
//! by level into exactly the statistics of one process; `render --pyramid DIR --stats FILE
//! --shard I/N` shades with them. The file records what it was computed for: the canvas,
//! ranges, scales and tile ([`StatsKey`], the x, y and value columns fingerprinted) and the
//! render ([`RenderKey`]: reduction, glyph, line width, series, how, spread, tile format); a file of
//! other data or of another pyramid is refused naming it. Statistics gathered in two rounds
//! (eq-hist of float values, count-cat of anti-aliased lines) and `--dynspread` (each
//! level's radius from its whole density) are not saved yet: refused in one line.

use std::ops::Range;
use std::path::Path;

use crate::data::series_layout::{Placement, SeriesLayout};
use crate::data::PointColumns;
use crate::error::{Error, Field, Result};
use crate::progress::Progress;
use crate::pyramid::dzi::PyramidFormat;
use crate::pyramid::stats::{
    check_all_parts, describe_mismatch, newer_version, not_a_stats_file, RECOMPUTE, STATS_FORMAT,
};
use crate::pyramid::{generic, PyramidOptions, PyramidPlan, ShardPlan, ShardSpec, StatsKey, TileSpread};
use crate::reduce::Reduction;
use crate::render::levels::LevelStatsIo;
use crate::render::{render_with_levels, Glyph, RenderOptions};
use crate::shade::{How, SavedStats, Shape};
use crate::sink::memory::Finished;

/// The version of statistics files of any reduction.
pub const LEVEL_STATS_VERSION: u32 = 3;

/// What a pyramid's render does beyond its canvas: what its statistics depend on.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RenderKey {
    /// The reduction (`--agg`).
    pub reduction: String,
    /// `points` or `lines`.
    pub glyph: String,
    /// The line width, exact (`0.0` for width-0 lines and points).
    pub line_width: String,
    /// How the x and y columns hold several series (`--series K`, 2-D arrays), if they do:
    /// the same files read as other series draw other lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// The transfer function.
    pub how: How,
    /// `--spread PX` and its shape, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<String>,
    /// `xyz` or `dzi`.
    pub pyramid_format: String,
}

impl RenderKey {
    /// The key of a pyramid of `pyramid` over a render of `points` with `options`.
    pub fn of(points: &PointColumns<'_>, options: &RenderOptions, pyramid: &PyramidOptions) -> RenderKey {
        let shape = |s: Shape| match s {
            Shape::Circle => "circle",
            Shape::Square => "square",
        };
        RenderKey {
            reduction: options.reduction.to_string(),
            glyph: match options.glyph {
                Glyph::Points => "points".into(),
                Glyph::Lines => "lines".into(),
            },
            line_width: format!("{:?}", options.line_width),
            series: points.series.filter(SeriesLayout::is_multi).map(|s| {
                let at = |p: Placement| match p {
                    Placement::Shared => "shared",
                    Placement::Interleaved => "interleaved",
                    Placement::Consecutive => "back to back",
                };
                format!("{} series of {} vertices (x {}, y {})", s.count, s.rows, at(s.x), at(s.y))
            }),
            how: options.how,
            spread: match pyramid.spread {
                Some(TileSpread::Fixed(px, s)) => Some(format!("{px} {}", shape(s))),
                Some(TileSpread::Dynamic(s)) => Some(format!("dynamic {}", shape(s))),
                None => None,
            },
            pyramid_format: match pyramid.format {
                PyramidFormat::Xyz => "xyz".into(),
                PyramidFormat::Dzi => "dzi".into(),
            },
        }
    }

    /// `mean of points, linear, xyz tiles`.
    fn describe(&self) -> String {
        let width = match self.line_width.as_str() {
            "0.0" => String::new(),
            w => format!(" {w} px wide"),
        };
        let spread = self.spread.as_ref().map_or(String::new(), |s| format!(", spread {s}"));
        let series = self.series.as_ref().map_or(String::new(), |s| format!(" in {s}"));
        format!(
            "{} of {}{width}{series}, {}{spread}, {} tiles",
            self.reduction, self.glyph, self.how, self.pyramid_format
        )
    }
}

/// Per-level statistics of a pyramid of any reduction, whole or a part of it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LevelStatsFile {
    /// Always `gigaplot-pyramid-stats`.
    pub format: String,
    /// `LEVEL_STATS_VERSION`.
    pub version: u32,
    /// The canvas, ranges, scales, tile and fingerprinted columns (x, y, then the value
    /// column when the reduction reads one).
    pub key: StatsKey,
    /// The render the statistics are of.
    pub render: RenderKey,
    /// Number of shards the parts were computed for.
    pub shards: u32,
    /// The shard indices included, ascending (all of `0..shards` when complete).
    pub parts: Vec<u32>,
    /// Each level's statistics, index = level (zoom, or DZI level), coarsest first.
    pub levels: Vec<SavedStats>,
}

/// Why the statistics of a render with `options` cannot be saved in a file, if they
/// cannot.
pub fn unsaved(options: &RenderOptions) -> Option<String> {
    let aa = options.line_width > 0.0;
    if options.dynspread.is_some() {
        return Some("--dynspread chooses each level's radius from the whole level".into());
    }
    match (options.reduction, aa) {
        (Reduction::CountCat, true) => {
            Some("count-cat along anti-aliased lines needs two statistics rounds".into())
        }
        (Reduction::Count | Reduction::Any | Reduction::CountCat, false) => None,
        _ if options.how == How::EqHist => Some(
            "eq-hist of float values needs two statistics rounds (give --how linear, log or cbrt)".into(),
        ),
        _ => None,
    }
}

impl LevelStatsFile {
    /// True when every shard's part is included.
    pub fn is_complete(&self) -> bool {
        self.parts.len() == self.shards as usize
    }

    /// Reads a version-3 statistics file, naming it in errors: a count pyramid's file
    /// (version 2, `gigaplot stats`) or anything else is refused in one line.
    pub fn read(path: &Path) -> Result<LevelStatsFile> {
        let text = crate::io::file_kind::read_input_to_string(path)?;
        #[derive(serde::Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u32>,
        }
        let not_stats =
            |e: serde_json::Error| Error::bad_input(path, format!("is not a gigaplot statistics file: {e}"));
        let header: Header = serde_json::from_str(&text).map_err(not_stats)?;
        match (header.format.as_deref(), header.version) {
            (Some(STATS_FORMAT), Some(LEVEL_STATS_VERSION)) => {}
            (Some(STATS_FORMAT), Some(version)) if version < LEVEL_STATS_VERSION => {
                return Err(Error::bad_input(
                    path,
                    format!(
                        "holds the statistics of a count pyramid (format version {version}, gigaplot stats), \
                         not of this pyramid; compute them with render --pyramid DIR --stats-out FILE and \
                         the render's flags"
                    ),
                ))
            }
            (Some(STATS_FORMAT), Some(version)) => {
                return Err(newer_version(path, version, LEVEL_STATS_VERSION))
            }
            _ => return Err(not_a_stats_file(path)),
        }
        let stats: LevelStatsFile = serde_json::from_str(&text).map_err(not_stats)?;
        stats.validate().map_err(|problem| {
            Error::bad_input(path, format!("{problem}: it was altered or cut short; {RECOMPUTE}"))
        })?;
        Ok(stats)
    }

    /// Whether the file at `path` is a version-3 file (what `stats --merge` merges with
    /// [`LevelStatsFile::merge_all`]); errors name it.
    pub fn is_level_stats(path: &Path) -> Result<bool> {
        let text = crate::io::file_kind::read_input_to_string(path)?;
        #[derive(serde::Deserialize)]
        struct Version {
            version: Option<u32>,
        }
        Ok(serde_json::from_str::<Version>(&text).is_ok_and(|v| v.version == Some(LEVEL_STATS_VERSION)))
    }

    /// Checks the shard list, the levels against the canvas and each level's statistics.
    fn validate(&self) -> std::result::Result<(), String> {
        if self.shards == 0
            || self.parts.is_empty()
            || self.parts.windows(2).any(|w| w[0] >= w[1])
            || self.parts.iter().any(|&p| p >= self.shards)
        {
            return Err(format!(
                "the list of shards {:?} is not ascending shards below {}",
                self.parts, self.shards
            ));
        }
        let plan =
            PyramidPlan::new(self.key.width, self.key.height, self.key.tile).map_err(|e| e.to_string())?;
        let levels = match self.render.pyramid_format.as_str() {
            "dzi" => crate::pyramid::dzi::levels(plan.width, plan.height).len(),
            _ => plan.levels() as usize,
        };
        if self.levels.len() != levels {
            return Err(format!("it holds {} levels, the canvas has {levels}", self.levels.len()));
        }
        for (level, stats) in self.levels.iter().enumerate() {
            stats.check().map_err(|problem| format!("the statistics of level {level}: {problem}"))?;
        }
        Ok(())
    }

    /// Merges parts into one (`stats --merge A.json B.json ...`): same canvas, data, render
    /// and shard count, no shard twice.
    pub fn merge_all(parts: &[LevelStatsFile]) -> Result<LevelStatsFile> {
        let bad = |problem: &str| Error::bad_parameter(Field::StatsParts, problem.to_string());
        let (first, rest) = parts.split_first().ok_or_else(|| bad("give at least one statistics file"))?;
        let mut all = first.clone();
        for other in rest {
            if other.key != all.key || other.render != all.render {
                return Err(bad(
                    "the statistics files are for different canvases, ranges, data or reductions",
                ));
            }
            if other.shards != all.shards {
                return Err(bad("the statistics files were computed for different numbers of shards"));
            }
            if let Some(&dup) = other.parts.iter().find(|p| all.parts.contains(p)) {
                return Err(Error::bad_parameter(Field::StatsParts, format!("shard {dup} is given twice")));
            }
            if other.levels.len() != all.levels.len() {
                return Err(bad("the statistics files have different numbers of levels"));
            }
            for (level, (mine, theirs)) in all.levels.iter_mut().zip(&other.levels).enumerate() {
                mine.merge(theirs).map_err(|problem| bad(&format!("level {level}: {problem}")))?;
            }
            all.parts.extend_from_slice(&other.parts);
            all.parts.sort_unstable();
        }
        Ok(all)
    }

    /// Fails unless these are complete statistics for `key` and `render` (`--stats FILE`).
    pub fn check_for(&self, key: &StatsKey, render: &RenderKey, path: &Path) -> Result<()> {
        check_all_parts(&self.parts, self.shards, path)?;
        if &self.render != render {
            return Err(Error::bad_input(
                path,
                format!(
                    "was computed for a pyramid of {}, not {}; compute statistics with the render's flags",
                    self.render.describe(),
                    render.describe()
                ),
            ));
        }
        if &self.key != key {
            return Err(Error::bad_input(path, describe_mismatch(&self.key, key)));
        }
        Ok(())
    }

    /// Writes the file atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::bad_input(path, e.to_string()))?;
        let mut file = crate::io::AtomicFile::create(path)?;
        std::io::Write::write_all(file.file(), text.as_bytes()).map_err(|e| Error::io(path, e))?;
        file.commit()?;
        Ok(())
    }
}

/// The rows of every level a shard works on, canvas first: the canvas rows of the tile
/// rows it owns (None for every row of one process) and the canvas's rows it must read for
/// them (each level's owned rows, widened by `halo` pixels of that level, under the
/// canvas).
pub(crate) struct ShardRows {
    /// Each level's owned rows, canvas first (an empty range where it owns none).
    pub owned: Vec<Range<u32>>,
    /// The canvas rows to read.
    pub read: Range<u32>,
}

impl ShardRows {
    /// The rows of `shard` of a pyramid whose levels (canvas first) are `heights` rows of
    /// `tile`-pixel tiles, under [`ShardPlan::uniform`] of `plan`; None for one process.
    pub fn of(plan: &PyramidPlan, heights: &[u32], shard: ShardSpec, halo: u32) -> Option<ShardRows> {
        if shard.count == 1 {
            return None;
        }
        let shards = ShardPlan::uniform(plan, shard.count);
        let tile = plan.tile;
        let canvas = u64::from(plan.height);
        let (mut lo, mut hi) = (canvas, 0u64);
        let owned = (0u32..)
            .zip(heights)
            .map(|(steps, &height)| {
                let mine: Vec<u32> = (0..height.div_ceil(tile))
                    .filter(|&r| shards.row_owner(steps, r) == shard.index)
                    .collect();
                let (Some(&first), Some(&last)) = (mine.first(), mine.last()) else { return 0..0 };
                let rows = first * tile..((last + 1) * tile).min(height);
                let shift = |r: u64| r.checked_shl(steps).unwrap_or(u64::MAX).min(canvas);
                lo = lo.min(shift(u64::from(rows.start).saturating_sub(u64::from(halo))));
                hi = hi.max(shift(u64::from(rows.end) + u64::from(halo)));
                rows
            })
            .collect();
        let read = if lo < hi { lo as u32..hi as u32 } else { 0..0 };
        Some(ShardRows { owned, read })
    }
}

/// The canvas heights of a pyramid's levels, canvas first: `levels` of them, each half the
/// one before (rounding up).
pub(crate) fn level_heights(height: u32, levels: u32) -> Vec<u32> {
    std::iter::successors(Some(height), |h| Some(h.div_ceil(2))).take(levels as usize).collect()
}

/// Computes the statistics file of a pyramid of any reduction built in one render (or of
/// its shard [`PyramidOptions::shard`]) and writes it to `out`: the statistics passes of
/// the pyramid's render, no tile. A shard gathers the statistics of the tile rows it owns
/// and reads only the rows under them (all of them for the top shard, which owns the
/// coarsest levels). `pyramid.inputs` must hold the x and y columns' keys (and the value
/// column's when the reduction reads one; [`PyramidOptions::use_stats`]).
pub fn compute_level_stats(
    points: &PointColumns<'_>,
    options: &RenderOptions,
    pyramid: &PyramidOptions,
    out: &Path,
    progress: &dyn Progress,
) -> Result<LevelStatsFile> {
    let ranges = pyramid.check_render(options)?;
    if generic::plain_counts(options, pyramid) {
        return Err(Error::bad_parameter(
            Field::StatsOut,
            "XYZ count pyramids of points take their statistics from gigaplot stats",
        ));
    }
    if let Some(why) = unsaved(options) {
        return Err(Error::bad_parameter(
            Field::StatsOut,
            format!("statistics files cannot be made yet: {why}"),
        ));
    }
    let plan = PyramidPlan::new(options.width, options.height, pyramid.tile)?;
    let levels = generic::level_count(&plan, pyramid.format);
    let heights = level_heights(options.height, levels);
    let rows = ShardRows::of(&plan, &heights, pyramid.shard, 0);
    let capture = Finished::new();
    let io = LevelStatsIo {
        gather_rows: rows.as_ref().map(|r| r.owned.clone()),
        rows: rows.map(|r| r.read),
        capture: Some(capture.clone()),
        given: None,
    };
    let sinks = (1..levels).map(|_| Vec::new()).collect();
    render_with_levels(points, options, Vec::new(), sinks, io, progress)?;
    let saved: Vec<Option<SavedStats>> =
        capture.take().ok_or_else(|| Error::usage("compute_level_stats", "no statistics"))?;
    let levels = saved.into_iter().rev().collect::<Option<Vec<_>>>().ok_or_else(|| {
        Error::bad_parameter(
            Field::StatsOut,
            "the statistics of this reduction cannot be saved in a file yet",
        )
    })?;
    let file = LevelStatsFile {
        format: STATS_FORMAT.into(),
        version: LEVEL_STATS_VERSION,
        key: pyramid.stats_key(options, ranges),
        render: RenderKey::of(points, options, pyramid),
        shards: pyramid.shard.count,
        parts: vec![pyramid.shard.index],
        levels,
    };
    file.write(out)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every level's rows are owned by exactly one shard, and each shard reads the canvas
    /// rows under its owned rows (widened by the halo at that level's scale).
    #[test]
    fn shards_own_every_row_once_and_read_the_rows_under_them() {
        for (width, height, tile) in [(1000, 700, 64), (300, 5000, 32), (64, 64, 64)] {
            let plan = PyramidPlan::new(width, height, tile).unwrap();
            let heights = level_heights(height, plan.max_zoom + 3);
            for count in [2, 3, 7] {
                for halo in [0, 2] {
                    let parts: Vec<ShardRows> = (0..count)
                        .map(|index| {
                            ShardRows::of(&plan, &heights, ShardSpec { index, count }, halo).unwrap()
                        })
                        .collect();
                    for (steps, &h) in heights.iter().enumerate() {
                        let mut covered = vec![0u32; h as usize];
                        for part in &parts {
                            let rows = &part.owned[steps];
                            covered[rows.start as usize..rows.end as usize].iter_mut().for_each(|c| *c += 1);
                            if !rows.is_empty() {
                                let below = |r: u32| (u64::from(r) << steps).min(u64::from(height)) as u32;
                                let want = below(rows.start.saturating_sub(halo))..below(rows.end + halo);
                                assert!(part.read.start <= want.start && part.read.end >= want.end);
                            }
                        }
                        assert!(covered.iter().all(|&c| c == 1), "{width}x{height} {count} level {steps}");
                    }
                    // Shard 0 owns the coarsest levels: it reads every row; another reads fewer.
                    assert_eq!(parts[0].read, 0..height, "{width}x{height} {count}");
                }
            }
            assert!(ShardRows::of(&plan, &heights, ShardSpec::WHOLE, 0).is_none());
        }
    }
}
