//! The global shading statistics of a pyramid, as a small mergeable JSON file
//! (`gigaplot stats`), so shards on different machines shade every tile alike.
//!
//! Each level has its own exact [`CountHistogram`] (eq-hist included, shading is global
//! per level). A stats shard records the pixels of the tiles it owns under
//! [`ShardPlan::uniform`], so the parts of all shards merge into exactly the histograms of
//! a single process. The file also keeps the canvas, the data flags and a fingerprint of
//! every input column it was computed for ([`StatsKey`]), checked by a render that uses
//! it, and per-row work estimates that balance the render's shards.
//!
//! A file is checked when it is read ([`PyramidStats::parse`]): its format version, its
//! shape against its canvas, and its totals (every level of complete statistics accounts
//! for exactly the points its rows hold), so a file that was altered or cut short is
//! refused naming it. A render using it then checks every finest tile row's points
//! against the rows it aggregates before writing that row's tiles
//! ([`crate::pyramid::PyramidWriter`]).

use std::path::Path;
use std::sync::Arc;

use crate::canvas::Scale;
use crate::data::projection::Projection;
use crate::data::{ColumnSpec, Fingerprint};
use crate::error::{Error, Field, Result};
use crate::pyramid::{LevelStack, PyramidPlan, ShardPlan, ShardSpec};
use crate::shade::{Color, Colormap, CountHistogram, CountShader, How};

/// The `format` field of a stats file.
pub const STATS_FORMAT: &str = "gigaplot-pyramid-stats";

/// The current version of the stats file format: 2 fingerprints the data (version 1 kept
/// only the inputs' names and sizes, and is refused).
pub const STATS_VERSION: u32 = 2;

/// What every refusal of a stats file tells the user to do.
pub const RECOMPUTE: &str = "recompute it with gigaplot stats";

/// One input column the statistics were computed from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputKey {
    /// The file's base name (the directory may differ between machines).
    pub name: String,
    /// The column of a 2-D array (`FILE.npy:K`), if one was selected.
    pub column: Option<usize>,
    /// The column of a table file selected by name (`TABLE:NAME`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_name: Option<String>,
    /// Size and sampled hash of the whole file.
    pub fingerprint: Fingerprint,
}

impl InputKey {
    /// The key of the column `spec` names, reading its fingerprint (errors name the file).
    pub fn of(spec: &ColumnSpec) -> Result<InputKey> {
        let name = spec.path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        Ok(InputKey {
            name,
            column: spec.column,
            column_name: spec.name.clone(),
            fingerprint: Fingerprint::of_file(&spec.path)?,
        })
    }

    /// The key of data that is not a file (generated in memory): the name alone, with a
    /// zero fingerprint.
    pub fn synthetic(name: &str) -> InputKey {
        InputKey {
            name: name.to_string(),
            column: None,
            column_name: None,
            fingerprint: Fingerprint { size: 0, xxh3: 0 },
        }
    }

    /// `x.npy` or `x.npy:1`.
    pub fn label(&self) -> String {
        match (&self.column_name, self.column) {
            (Some(column), _) => format!("{}:{column}", self.name),
            (None, Some(k)) => format!("{}:{k}", self.name),
            (None, None) => self.name.clone(),
        }
    }
}

/// What the statistics were computed for: a render using them must have the same key.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StatsKey {
    /// Canvas width in pixels.
    pub width: u32,
    /// Canvas height in pixels.
    pub height: u32,
    /// Pyramid tile side.
    pub tile: u32,
    /// The x range used (resolved, not automatic), exact.
    #[serde(with = "exact_pair")]
    pub x_range: (f64, f64),
    /// The y range used, exact.
    #[serde(with = "exact_pair")]
    pub y_range: (f64, f64),
    /// x axis scale.
    pub x_scale: Scale,
    /// y axis scale.
    pub y_scale: Scale,
    /// The x and y columns, fingerprinted.
    pub inputs: Vec<InputKey>,
    /// How x and y were projected (`gigaplot stats --projection`): web-mercator statistics
    /// are of the Mercator ordinates over the world. Not recorded when none.
    #[serde(default, skip_serializing_if = "Projection::is_none")]
    pub projection: Projection,
}

impl StatsKey {
    /// The key of statistics of the x and y columns `x` and `y` (their files fingerprinted,
    /// errors name them) over a `width` x `height` canvas of `tile`-pixel pyramid tiles and
    /// the given ranges, linear axes: what `gigaplot stats` computes and a render with
    /// [`crate::pyramid::PyramidOptions::use_stats`] of the same columns and options matches.
    pub fn of_inputs(
        (x, y): (&ColumnSpec, &ColumnSpec),
        (width, height, tile): (u32, u32, u32),
        (x_range, y_range): ((f64, f64), (f64, f64)),
    ) -> Result<StatsKey> {
        Ok(StatsKey {
            width,
            height,
            tile,
            x_range,
            y_range,
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            inputs: vec![InputKey::of(x)?, InputKey::of(y)?],
            projection: Projection::None,
        })
    }
}

impl crate::pyramid::PyramidOptions {
    /// Shades with the statistics file `path` (`--stats`, written by `gigaplot stats` or
    /// [`crate::compute_stats`] and merged over shards) instead of a statistics pass, and
    /// records the keys of the x and y files it must have been computed for (read now,
    /// errors name the file), so statistics of other data are refused. Needed by every
    /// shard of a sharded pyramid ([`crate::pyramid::PyramidOptions::shard`]).
    pub fn use_stats(&mut self, path: &Path, (x, y): (&ColumnSpec, &ColumnSpec)) -> Result<()> {
        self.inputs = vec![InputKey::of(x)?, InputKey::of(y)?];
        self.stats = Some(path.to_path_buf());
        Ok(())
    }

    /// Records the keys of the x, y and value columns (the value column's only when given:
    /// pass it when the reduction reads one) that a statistics file of a pyramid of any
    /// reduction is computed for and checked against (`src/pyramid/any_stats.rs`).
    pub fn record_inputs(
        &mut self,
        x: &ColumnSpec,
        y: &ColumnSpec,
        value: Option<&ColumnSpec>,
    ) -> Result<()> {
        let mut inputs = vec![InputKey::of(x)?, InputKey::of(y)?];
        if let Some(value) = value {
            inputs.push(InputKey::of(value)?);
        }
        self.inputs = inputs;
        Ok(())
    }
}

/// Per-level statistics of a pyramid, whole or a part of it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PyramidStats {
    /// Always `STATS_FORMAT`.
    pub format: String,
    /// `STATS_VERSION`.
    pub version: u32,
    /// What the statistics describe.
    pub key: StatsKey,
    /// Number of shards the parts were computed for.
    pub shards: u32,
    /// The shard indices included, ascending (all of `0..shards` when complete).
    pub parts: Vec<u32>,
    /// The histogram of each level, index = zoom.
    pub levels: Vec<CountHistogram>,
    /// Points (sum of counts) per finest tile row.
    pub row_points: Vec<u64>,
    /// Non-empty finest pixels per finest tile row.
    pub row_pixels: Vec<u64>,
}

impl PyramidStats {
    /// Empty statistics of `shard` for `key`.
    pub fn empty(key: StatsKey, shard: ShardSpec) -> Result<PyramidStats> {
        let plan = PyramidPlan::new(key.width, key.height, key.tile)?;
        let rows = plan.finest_tile_rows() as usize;
        Ok(PyramidStats {
            format: STATS_FORMAT.into(),
            version: STATS_VERSION,
            key,
            shards: shard.count,
            parts: vec![shard.index],
            levels: vec![CountHistogram::new(); plan.levels() as usize],
            row_points: vec![0; rows],
            row_pixels: vec![0; rows],
        })
    }

    /// The plan of the pyramid these statistics describe.
    pub fn plan(&self) -> Result<PyramidPlan> {
        PyramidPlan::new(self.key.width, self.key.height, self.key.tile)
    }

    /// True when every shard's part is included.
    pub fn is_complete(&self) -> bool {
        self.parts.len() == self.shards as usize
    }

    /// Adds another part (same key and shard count, no shard in common).
    pub fn merge(&mut self, other: &PyramidStats) -> Result<()> {
        let bad = |problem: &str| Error::bad_parameter(Field::StatsParts, problem.to_string());
        if other.key != self.key {
            return Err(bad("the statistics files are for different canvases, ranges or data"));
        }
        if other.shards != self.shards {
            return Err(bad("the statistics files were computed for different numbers of shards"));
        }
        if let Some(&dup) = other.parts.iter().find(|p| self.parts.contains(p)) {
            return Err(Error::bad_parameter(Field::StatsParts, format!("shard {dup} is given twice")));
        }
        if other.levels.len() != self.levels.len()
            || other.row_points.len() != self.row_points.len()
            || other.row_pixels.len() != self.row_pixels.len()
        {
            return Err(bad("the statistics files have level or row lists of different lengths"));
        }
        let overflow = || bad("the sums of the statistics files overflow; they cannot come from one dataset");
        let add = |mine: &mut [u64], theirs: &[u64]| -> Result<()> {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m = m.checked_add(*t).ok_or_else(overflow)?;
            }
            Ok(())
        };
        add(&mut self.row_points, &other.row_points)?;
        add(&mut self.row_pixels, &other.row_pixels)?;
        for (mine, theirs) in self.levels.iter_mut().zip(&other.levels) {
            mine.checked_merge(theirs).ok_or_else(overflow)?;
        }
        self.parts.extend_from_slice(&other.parts);
        self.parts.sort_unstable();
        Ok(())
    }

    /// Merges parts into one (`stats --merge A.json B.json ...`).
    pub fn merge_all(parts: &[PyramidStats]) -> Result<PyramidStats> {
        let (first, rest) = parts
            .split_first()
            .ok_or_else(|| Error::bad_parameter(Field::StatsParts, "give at least one statistics file"))?;
        let mut all = first.clone();
        for part in rest {
            all.merge(part)?;
        }
        all.validate().map_err(|problem| {
            Error::bad_parameter(
                Field::StatsParts,
                format!("the merged statistics are inconsistent: {problem}"),
            )
        })?;
        Ok(all)
    }

    /// Fails unless these are complete statistics for `key` (`render --stats FILE`).
    pub fn check_for(&self, key: &StatsKey, path: &Path) -> Result<()> {
        check_all_parts(&self.parts, self.shards, path)?;
        if &self.key != key {
            return Err(Error::bad_input(path, describe_mismatch(&self.key, key)));
        }
        Ok(())
    }

    /// Work estimate of each finest tile row for [`ShardPlan::new`]: points plus 8 per
    /// non-empty pixel (shading and encoding) plus 1.
    pub fn row_work(&self) -> Vec<u64> {
        let work = |p: u64, n: u64| p.saturating_add(n.saturating_mul(8)).saturating_add(1);
        self.row_points.iter().zip(&self.row_pixels).map(|(&p, &n)| work(p, n)).collect()
    }

    /// Extra work of the top shard: aggregating every point once more.
    pub fn top_work(&self) -> u64 {
        self.row_points.iter().fold(0u64, |sum, &p| sum.saturating_add(p))
    }

    /// Points (sum of counts) the statistics hold: on the whole canvas when complete.
    pub fn points(&self) -> u128 {
        self.row_points.iter().map(|&p| u128::from(p)).sum()
    }

    /// The shader of each level, index = zoom: from the level's own histogram, or from
    /// level `span_from_level`'s for every level (`--span-from-level`).
    pub fn shaders(
        &self,
        how: How,
        cmap: &Colormap,
        background: Color,
        span_from_level: Option<u32>,
    ) -> Result<Vec<Arc<CountShader>>> {
        if let Some(level) = span_from_level {
            let hist = self.levels.get(level as usize).ok_or_else(|| {
                Error::bad_parameter(
                    Field::SpanFromLevel,
                    format!(
                        "level {level} does not exist; the pyramid has levels 0 to {}",
                        self.levels.len() - 1
                    ),
                )
            })?;
            let shader = Arc::new(CountShader::new(hist, how, cmap, background));
            return Ok(vec![shader; self.levels.len()]);
        }
        Ok(self.levels.iter().map(|h| Arc::new(CountShader::new(h, how, cmap, background))).collect())
    }

    /// Reads a stats file, naming it in errors (see [`PyramidStats::parse`]).
    pub fn read(path: &Path) -> Result<PyramidStats> {
        let text = crate::io::file_kind::read_input_to_string(path)?;
        PyramidStats::parse(text.as_bytes(), path)
    }

    /// Parses and checks the text of a stats file, naming `path` in errors: the format and
    /// its version (older versions did not fingerprint their data and are refused), the
    /// level and row lists against the canvas, then the totals ([`PyramidStats::validate`]).
    pub fn parse(text: &[u8], path: &Path) -> Result<PyramidStats> {
        /// The fields that say what a file is, read before the rest.
        #[derive(serde::Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u32>,
        }
        let not_stats =
            |e: serde_json::Error| Error::bad_input(path, format!("is not a gigaplot statistics file: {e}"));
        let header: Header = serde_json::from_slice(text).map_err(not_stats)?;
        match (header.format.as_deref(), header.version) {
            (Some(STATS_FORMAT), Some(STATS_VERSION)) => {}
            (Some(STATS_FORMAT), Some(version)) if version < STATS_VERSION => {
                return Err(Error::bad_input(
                    path,
                    format!(
                        "is a statistics file of an older gigaplot (format version {version}), which did not \
                         fingerprint its data; {RECOMPUTE}"
                    ),
                ))
            }
            (Some(STATS_FORMAT), Some(crate::pyramid::any_stats::LEVEL_STATS_VERSION)) => {
                return Err(Error::bad_input(
                    path,
                    "holds the statistics of a render --pyramid (format version 3, render --stats-out), not \
                     of a count pyramid (gigaplot stats); merge and use files of one kind",
                ))
            }
            (Some(STATS_FORMAT), Some(version)) => return Err(newer_version(path, version, STATS_VERSION)),
            _ => return Err(not_a_stats_file(path)),
        }
        let stats: PyramidStats = serde_json::from_slice(text).map_err(not_stats)?;
        stats.validate().map_err(|problem| {
            Error::bad_input(path, format!("{problem}: it was altered or cut short; {RECOMPUTE}"))
        })?;
        Ok(stats)
    }

    /// Checks that the statistics are whole and consistent, or says (as a sentence
    /// fragment starting with what is wrong) why not: the shard list; finite increasing
    /// ranges; one histogram per level and one entry per finest tile row; every histogram
    /// well formed; no row with more non-empty pixels than points or than it has pixels;
    /// the finest level holding exactly the rows' points and pixels; and for complete
    /// statistics, every level holding exactly those points (fewer only when a pixel
    /// saturated at 2^32 - 1) with between a quarter of and as many non-empty pixels as
    /// the level below.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.shards == 0 {
            return Err("the shard count is 0".into());
        }
        if self.parts.is_empty()
            || self.parts.windows(2).any(|w| w[0] >= w[1])
            || self.parts.iter().any(|&p| p >= self.shards)
        {
            return Err(format!(
                "the list of shards {:?} is not ascending shards below {}",
                self.parts, self.shards
            ));
        }
        for (axis, (lo, hi)) in [("x", self.key.x_range), ("y", self.key.y_range)] {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(format!("the {axis} range {lo}, {hi} is not finite and increasing"));
            }
        }
        let plan = self.plan().map_err(|e| e.to_string())?;
        let rows = plan.finest_tile_rows() as usize;
        if self.levels.len() != plan.levels() as usize
            || self.row_points.len() != rows
            || self.row_pixels.len() != rows
        {
            return Err("the level or row lists do not match the canvas".into());
        }
        for (zoom, level) in self.levels.iter().enumerate() {
            level.check().map_err(|problem| format!("the histogram of level {zoom} {problem}"))?;
        }
        for (r, (&points, &pixels)) in self.row_points.iter().zip(&self.row_pixels).enumerate() {
            let height = (plan.height - r as u32 * plan.tile).min(plan.tile);
            if pixels > points || pixels > u64::from(plan.width) * u64::from(height) {
                return Err(format!("finest tile row {r} has {pixels} non-empty pixels for {points} points"));
            }
        }
        let points = self.points();
        let pixels: u128 = self.row_pixels.iter().map(|&p| u128::from(p)).sum();
        let finest = &self.levels[plan.max_zoom as usize];
        if finest.points() != points || finest.pixels_exact() != pixels {
            return Err(format!(
                "the finest level holds {} points on {} pixels but its rows {points} points on {pixels} pixels",
                finest.points(),
                finest.pixels_exact()
            ));
        }
        if self.is_complete() {
            for (zoom, level) in self.levels.iter().enumerate() {
                let held = level.points();
                if held != points && !(held < points && level.is_saturated()) {
                    return Err(format!("level {zoom} holds {held} points but the rows {points}"));
                }
            }
            for (zoom, pair) in self.levels.windows(2).enumerate() {
                let (coarse, fine) = (pair[0].pixels_exact(), pair[1].pixels_exact());
                if coarse > fine || fine > 4 * coarse {
                    return Err(format!(
                        "level {zoom} has {coarse} non-empty pixels, which cannot cover level {}'s {fine}",
                        zoom + 1
                    ));
                }
            }
        }
        Ok(())
    }

    /// Writes the file atomically (pretty JSON).
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::bad_input(path, e.to_string()))?;
        let mut file = crate::io::AtomicFile::create(path)?;
        std::io::Write::write_all(file.file(), text.as_bytes()).map_err(|e| Error::io(path, e))?;
        file.commit()?;
        Ok(())
    }
}

/// The refusal of a statistics file of a format `version` newer than `reads`.
pub(crate) fn newer_version(path: &Path, version: u32, reads: u32) -> Error {
    Error::bad_input(
        path,
        format!(
            "is statistics format version {version}, newer than this gigaplot reads ({reads}); {RECOMPUTE}"
        ),
    )
}

/// The refusal of a JSON file that is no gigaplot statistics file.
pub(crate) fn not_a_stats_file(path: &Path) -> Error {
    Error::bad_input(
        path,
        format!("is not a gigaplot statistics file (no \"format\": \"{STATS_FORMAT}\" and version)"),
    )
}

/// Fails, naming `path` and the missing shards, unless `parts` holds every one of `shards`
/// shards: what `render --stats FILE` needs of a statistics file of any version.
pub(crate) fn check_all_parts(parts: &[u32], shards: u32, path: &Path) -> Result<()> {
    if parts.len() == shards as usize {
        return Ok(());
    }
    let missing: Vec<String> = (0..shards).filter(|s| !parts.contains(s)).map(|s| s.to_string()).collect();
    Err(Error::bad_input(
        path,
        problem![
            format!(
                "holds {} of {} shards (missing {}); merge all parts with ",
                parts.len(),
                shards,
                missing.join(", ")
            ),
            Field::StatsParts.usage()
        ],
    ))
}

/// One sentence on the first difference between two keys.
pub(crate) fn describe_mismatch(have: &StatsKey, want: &StatsKey) -> String {
    let what = if (have.width, have.height) != (want.width, want.height) {
        format!("canvas {}x{}, not {}x{}", have.width, have.height, want.width, want.height)
    } else if have.tile != want.tile {
        format!("tile {}, not {}", have.tile, want.tile)
    } else if have.x_range != want.x_range || have.y_range != want.y_range {
        format!("ranges {:?} {:?}, not {:?} {:?}", have.x_range, have.y_range, want.x_range, want.y_range)
    } else if (have.x_scale, have.y_scale) != (want.x_scale, want.y_scale) {
        "other axis scales".to_string()
    } else if have.projection != want.projection {
        let name = |p: Projection| match p {
            Projection::None => "no projection",
            Projection::WebMercator => "--projection web-mercator",
        };
        format!("{}, not {}", name(have.projection), name(want.projection))
    } else {
        return describe_input_mismatch(&have.inputs, &want.inputs);
    };
    format!("was computed for {what}; compute statistics with the render's flags")
}

/// One sentence on the first input that differs.
fn describe_input_mismatch(have: &[InputKey], want: &[InputKey]) -> String {
    let labels = |keys: &[InputKey]| keys.iter().map(InputKey::label).collect::<Vec<_>>().join(", ");
    let names = |keys: &[InputKey]| keys.iter().map(InputKey::label).collect::<Vec<_>>();
    if names(have) != names(want) {
        return format!(
            "was computed for inputs {}, not {}; compute statistics with the render's flags",
            labels(have),
            labels(want)
        );
    }
    let Some((h, w)) = have.iter().zip(want).find(|(h, w)| h != w) else {
        return "was computed for other inputs; compute statistics with the render's flags".to_string();
    };
    if h.fingerprint.size != w.fingerprint.size {
        format!(
            "was computed for a {} of {} bytes, not {} bytes: other data; {RECOMPUTE}",
            h.label(),
            h.fingerprint.size,
            w.fingerprint.size
        )
    } else {
        format!("was computed for other contents of {} (same size, other data); {RECOMPUTE}", h.label())
    }
}

/// Gathers a stats shard's part from the finest count rows it is fed.
pub struct StatsBuilder {
    stats: PyramidStats,
    shards: ShardPlan,
    shard: u32,
    tile: u32,
    stack: LevelStack,
    rows: std::ops::Range<u32>,
}

impl StatsBuilder {
    /// A builder for `shard` of `key`'s pyramid, under [`ShardPlan::uniform`].
    pub fn new(key: StatsKey, shard: ShardSpec) -> Result<StatsBuilder> {
        let stats = PyramidStats::empty(key, shard)?;
        let plan = stats.plan()?;
        let shards = ShardPlan::uniform(&plan, shard.count);
        let rows = shards.finest_rows(shard.index);
        let stack =
            LevelStack::for_rows(plan.width, plan.max_zoom, shards.min_zoom(shard.index), rows.clone());
        Ok(StatsBuilder { stats, shards, shard: shard.index, tile: plan.tile, stack, rows })
    }

    /// The finest rows to feed, in order ([`StatsBuilder::push_row`] once each).
    pub fn rows(&self) -> std::ops::Range<u32> {
        self.rows.clone()
    }

    /// Feeds the next finest row of counts.
    pub fn push_row(&mut self, counts: &[u32]) -> Result<()> {
        let StatsBuilder { stats, shards, shard, tile, stack, .. } = self;
        let max_zoom = stats.levels.len() as u32 - 1;
        stack.push_row(counts, &mut |zoom, row, data| {
            record(stats, shards, *shard, *tile, max_zoom, (zoom, row, data));
            Ok(())
        })
    }

    /// The part, after every row was fed.
    pub fn finish(mut self) -> Result<PyramidStats> {
        let StatsBuilder { stats, shards, shard, tile, stack, .. } = &mut self;
        let max_zoom = stats.levels.len() as u32 - 1;
        stack.finish(&mut |zoom, row, data| {
            record(stats, shards, *shard, *tile, max_zoom, (zoom, row, data));
            Ok(())
        })?;
        Ok(self.stats)
    }
}

/// Records a level row into the part when `shard` owns its tiles.
fn record(
    stats: &mut PyramidStats,
    shards: &ShardPlan,
    shard: u32,
    tile: u32,
    max_zoom: u32,
    (zoom, row, data): (u32, u32, &[u32]),
) {
    if !shards.owns(shard, zoom, 0, row / tile) {
        return;
    }
    stats.levels[zoom as usize].add_counts(data);
    if zoom == max_zoom {
        let r = (row / tile) as usize;
        stats.row_points[r] += data.iter().map(|&c| u64::from(c)).sum::<u64>();
        stats.row_pixels[r] += data.iter().filter(|&&c| c != 0).count() as u64;
    }
}

/// Serialises an f64 pair as strings that parse back to the same bits.
mod exact_pair {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(pair: &(f64, f64), s: S) -> Result<S::Ok, S::Error> {
        [format!("{:?}", pair.0), format!("{:?}", pair.1)].serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<(f64, f64), D::Error> {
        let [a, b] = <[String; 2]>::deserialize(d)?;
        let parse = |t: &str| t.parse::<f64>().map_err(serde::de::Error::custom);
        Ok((parse(&a)?, parse(&b)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(width: u32, height: u32) -> StatsKey {
        StatsKey {
            width,
            height,
            tile: 16,
            x_range: (-0.1, 1.0 / 3.0),
            y_range: (1e-300, 7.0),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            inputs: ["x.npy", "y.npy"]
                .iter()
                .enumerate()
                .map(|(i, name)| InputKey {
                    name: name.to_string(),
                    column: None,
                    column_name: None,
                    fingerprint: Fingerprint { size: 800, xxh3: i as u64 },
                })
                .collect(),
            projection: Projection::None,
        }
    }

    fn counts(width: u32, height: u32) -> Vec<u32> {
        (0..width * height).map(|i| i.wrapping_mul(2_654_435_761) >> 29).collect()
    }

    fn part(width: u32, height: u32, shard: ShardSpec) -> PyramidStats {
        let all = counts(width, height);
        let mut b = StatsBuilder::new(key(width, height), shard).unwrap();
        for row in b.rows() {
            let r = row as usize * width as usize;
            b.push_row(&all[r..r + width as usize]).unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn parts_merge_into_the_whole() {
        let (w, h) = (70, 300); // 19 tile rows of 16, zoom 5
        let whole = part(w, h, ShardSpec::WHOLE);
        assert!(whole.is_complete());
        assert_eq!(
            whole.levels[whole.levels.len() - 1].pixels(),
            counts(w, h).iter().filter(|&&c| c > 0).count() as u64
        );
        // Zoom 0 is 3 x 10 pixels of 32 x 32 finest pixels each, none empty.
        assert_eq!(whole.levels[0].pixels(), 30);
        for n in [2, 3, 7] {
            let parts: Vec<_> = (0..n).map(|i| part(w, h, ShardSpec { index: i, count: n })).collect();
            let mut merged = PyramidStats::merge_all(&parts).unwrap();
            assert!(merged.is_complete());
            merged.shards = 1;
            merged.parts = vec![0];
            assert_eq!(merged, whole, "{n} shards");
        }
    }

    #[test]
    fn merge_refuses_duplicates_and_other_canvases() {
        let a = part(40, 40, ShardSpec { index: 0, count: 2 });
        let err = PyramidStats::merge_all(&[a.clone(), a.clone()]).unwrap_err().to_string();
        assert_eq!(err, "parts: shard 0 is given twice");
        let other = part(41, 40, ShardSpec { index: 1, count: 2 });
        assert!(PyramidStats::merge_all(&[a.clone(), other]).is_err());
        let err = a.check_for(&key(40, 40), Path::new("s.json")).unwrap_err().to_string();
        assert!(err.contains("missing 1"), "{err}");
    }

    #[test]
    fn json_round_trips_ranges_exactly_and_checks_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.json");
        let whole = part(33, 20, ShardSpec::WHOLE);
        whole.write(&path).unwrap();
        let back = PyramidStats::read(&path).unwrap();
        assert_eq!(back, whole);
        back.check_for(&key(33, 20), &path).unwrap();
        let mut other = key(33, 20);
        other.x_range.1 = f64::from_bits((1.0f64 / 3.0).to_bits() + 1);
        let err = back.check_for(&other, &path).unwrap_err().to_string();
        assert!(err.contains("was computed for ranges"), "{err}");
        std::fs::write(&path, "{}").unwrap();
        assert!(PyramidStats::read(&path)
            .unwrap_err()
            .to_string()
            .contains("not a gigaplot statistics file"));
    }

    /// The error of parsing `stats` after `edit`, or None when it is accepted.
    fn parse_after(stats: &PyramidStats, edit: impl Fn(&mut serde_json::Value)) -> Option<String> {
        let mut json = serde_json::to_value(stats).unwrap();
        edit(&mut json);
        let text = serde_json::to_vec(&json).unwrap();
        PyramidStats::parse(&text, Path::new("s.json")).err().map(|e| e.to_string())
    }

    #[test]
    fn parsing_refuses_altered_totals_and_old_versions() {
        let whole = part(70, 300, ShardSpec::WHOLE);
        assert_eq!(parse_after(&whole, |_| {}), None);
        let tail = "it was altered or cut short; recompute it with gigaplot stats";
        type Edit = Box<dyn Fn(&mut serde_json::Value)>;
        let cases: Vec<(&str, Edit)> = vec![
            (
                "the finest level holds 0 points",
                Box::new(|j| {
                    for level in j["levels"].as_array_mut().unwrap() {
                        *level = serde_json::json!({"dense": [], "sparse": {}});
                    }
                }),
            ),
            (
                "level 0 holds",
                Box::new(|j| j["levels"][0] = serde_json::json!({"dense": [0, 1], "sparse": {}})),
            ),
            ("the finest level holds", Box::new(|j| j["row_points"][3] = serde_json::json!(1u64 << 40))),
            (
                "finest tile row 2 has 1099511627776 non-empty pixels",
                Box::new(|j| j["row_pixels"][2] = serde_json::json!(1u64 << 40)),
            ),
            (
                "the level or row lists",
                Box::new(|j| {
                    j["row_points"].as_array_mut().unwrap().pop();
                }),
            ),
            ("the list of shards", Box::new(|j| j["parts"] = serde_json::json!([0, 0]))),
            (
                "the histogram of level 1 has sparse entries",
                Box::new(|j| {
                    j["levels"][1]["sparse"] = serde_json::json!({"3": 1});
                }),
            ),
        ];
        for (problem, edit) in cases {
            let err = parse_after(&whole, edit).unwrap_or_else(|| panic!("accepted: {problem}"));
            assert!(err.starts_with(&format!("s.json: {problem}")) && err.ends_with(tail), "{err}");
        }
        let err = parse_after(&whole, |j| j["version"] = 1.into()).unwrap();
        assert_eq!(
            err,
            "s.json: is a statistics file of an older gigaplot (format version 1), which did not fingerprint \
             its data; recompute it with gigaplot stats"
        );
        // version 3 is a render's file (`render --stats-out`): named as such
        let err = parse_after(&whole, |j| j["version"] = 3.into()).unwrap();
        assert!(
            err.starts_with("s.json: holds the statistics of a render --pyramid (format version 3"),
            "{err}"
        );
        let err = parse_after(&whole, |j| j["version"] = 4.into()).unwrap();
        assert!(
            err.contains("version 4, newer") && err.ends_with("recompute it with gigaplot stats"),
            "{err}"
        );
        let err = parse_after(&whole, |j| j["format"] = "x".into()).unwrap();
        assert!(err.starts_with("s.json: is not a gigaplot statistics file"), "{err}");
        let text = serde_json::to_string(&whole).unwrap();
        let err = PyramidStats::parse(&text.as_bytes()[..text.len() / 2], Path::new("s.json")).unwrap_err();
        assert!(err.to_string().starts_with("s.json: is not a gigaplot statistics file: EOF"), "{err}");
    }

    #[test]
    fn parts_and_saturated_levels_are_accepted() {
        let (w, h) = (70, 300);
        for n in [2, 3] {
            let parts: Vec<_> = (0..n).map(|i| part(w, h, ShardSpec { index: i, count: n })).collect();
            for p in &parts {
                assert_eq!(parse_after(p, |_| {}), None, "part {:?}", p.parts);
            }
            let merged = PyramidStats::merge_all(&parts).unwrap();
            assert_eq!(parse_after(&merged, |_| {}), None);
        }
        // Coarse sums of 2^31 per finest pixel saturate at 2^32 - 1.
        let mut b = StatsBuilder::new(key(40, 40), ShardSpec::WHOLE).unwrap();
        for _ in b.rows() {
            b.push_row(&[1 << 31; 40]).unwrap();
        }
        let saturated = b.finish().unwrap();
        assert!(saturated.levels[0].is_saturated());
        assert_eq!(parse_after(&saturated, |_| {}), None);
    }

    #[test]
    fn merging_overflowing_parts_is_refused() {
        let a = part(40, 40, ShardSpec { index: 0, count: 2 });
        let mut b = part(40, 40, ShardSpec { index: 1, count: 2 });
        let r = a.row_points.iter().position(|&p| p > 0).unwrap();
        b.row_points[r] = u64::MAX;
        let err = PyramidStats::merge_all(&[a.clone(), b]).unwrap_err().to_string();
        assert!(err.starts_with("parts: the sums"), "{err}");
        let mut c = part(40, 40, ShardSpec { index: 1, count: 2 });
        c.levels[0].add_count_n(7, 1);
        let err = PyramidStats::merge_all(&[a, c]).unwrap_err().to_string();
        assert!(err.starts_with("parts: the merged statistics are inconsistent: level 0 holds"), "{err}");
    }

    #[test]
    fn a_key_of_other_contents_is_described() {
        let whole = part(33, 20, ShardSpec::WHOLE);
        let mut other = key(33, 20);
        other.inputs[1].fingerprint.xxh3 ^= 1;
        let err = whole.check_for(&other, Path::new("s.json")).unwrap_err().to_string();
        assert_eq!(
            err,
            "s.json: was computed for other contents of y.npy (same size, other data); recompute it with \
             gigaplot stats"
        );
        other.inputs[1].fingerprint.size += 8;
        let err = whole.check_for(&other, Path::new("s.json")).unwrap_err().to_string();
        assert!(err.contains("for a y.npy of 800 bytes, not 808 bytes"), "{err}");
        other.inputs[1].name = "z.npy".into();
        let err = whole.check_for(&other, Path::new("s.json")).unwrap_err().to_string();
        assert!(err.contains("for inputs x.npy, y.npy, not x.npy, z.npy"), "{err}");
    }

    #[test]
    fn span_from_level_uses_one_histogram_for_all() {
        let whole = part(40, 40, ShardSpec::WHOLE);
        let cmap = Colormap::default();
        let own = whole.shaders(How::Linear, &cmap, Color::TRANSPARENT, None).unwrap();
        let fixed = whole.shaders(How::Linear, &cmap, Color::TRANSPARENT, Some(2)).unwrap();
        assert_eq!(own.len(), 3);
        let max2 = whole.levels[2].min_max().unwrap().1;
        assert_eq!(fixed[0].shade(max2), own[2].shade(max2));
        assert_ne!(own[0].shade(max2), own[2].shade(max2));
        assert!(whole.shaders(How::Linear, &cmap, Color::TRANSPARENT, Some(3)).is_err());
    }
}
