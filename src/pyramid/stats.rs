//! The global shading statistics of a pyramid, as a small mergeable JSON file
//! (`gigaplot stats`), so shards on different machines shade every tile alike.
//!
//! Each level has its own exact [`CountHistogram`] (eq-hist included, shading is global
//! per level). A stats shard records the pixels of the tiles it owns under
//! [`ShardPlan::uniform`], so the parts of all shards merge into exactly the histograms of
//! a single process. The file also keeps the canvas and data flags it was computed for
//! ([`StatsKey`]), checked by a render that uses it, and per-row work estimates that
//! balance the render's shards.

use std::path::Path;
use std::sync::Arc;

use crate::canvas::Scale;
use crate::error::{Error, Result};
use crate::pyramid::{LevelStack, PyramidPlan, ShardPlan, ShardSpec};
use crate::shade::{Color, Colormap, CountHistogram, CountShader, How};

/// The `format` field of a stats file.
pub const STATS_FORMAT: &str = "gigaplot-pyramid-stats";

/// The current version of the stats file format.
pub const STATS_VERSION: u32 = 1;

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
    /// The data inputs as the caller describes them (file names, columns, sizes...).
    pub inputs: Vec<String>,
}

/// Per-level statistics of a pyramid, whole or a part of it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PyramidStats {
    /// Always [`STATS_FORMAT`].
    pub format: String,
    /// [`STATS_VERSION`].
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
        let bad = |problem: &str| Error::bad_parameter("--merge", problem.to_string());
        if other.key != self.key {
            return Err(bad("the statistics files are for different canvases, ranges or data"));
        }
        if other.shards != self.shards {
            return Err(bad("the statistics files were computed for different numbers of shards"));
        }
        if let Some(&dup) = other.parts.iter().find(|p| self.parts.contains(p)) {
            return Err(Error::bad_parameter("--merge", format!("shard {dup} is given twice")));
        }
        for (mine, theirs) in self.levels.iter_mut().zip(&other.levels) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.row_points.iter_mut().zip(&other.row_points) {
            *mine += theirs;
        }
        for (mine, theirs) in self.row_pixels.iter_mut().zip(&other.row_pixels) {
            *mine += theirs;
        }
        self.parts.extend_from_slice(&other.parts);
        self.parts.sort_unstable();
        Ok(())
    }

    /// Merges parts into one (`stats --merge A.json B.json ...`).
    pub fn merge_all(parts: &[PyramidStats]) -> Result<PyramidStats> {
        let (first, rest) = parts
            .split_first()
            .ok_or_else(|| Error::bad_parameter("--merge", "give at least one statistics file"))?;
        let mut all = first.clone();
        for part in rest {
            all.merge(part)?;
        }
        Ok(all)
    }

    /// Fails unless these are complete statistics for `key` (`render --stats FILE`).
    pub fn check_for(&self, key: &StatsKey, path: &Path) -> Result<()> {
        if !self.is_complete() {
            let missing: Vec<String> =
                (0..self.shards).filter(|s| !self.parts.contains(s)).map(|s| s.to_string()).collect();
            return Err(Error::bad_input(
                path,
                format!(
                    "holds {} of {} shards (missing {}); merge all parts with stats --merge",
                    self.parts.len(),
                    self.shards,
                    missing.join(", ")
                ),
            ));
        }
        if &self.key != key {
            return Err(Error::bad_input(path, describe_mismatch(&self.key, key)));
        }
        Ok(())
    }

    /// Work estimate of each finest tile row for [`ShardPlan::new`]: points plus 8 per
    /// non-empty pixel (shading and encoding) plus 1.
    pub fn row_work(&self) -> Vec<u64> {
        self.row_points.iter().zip(&self.row_pixels).map(|(&p, &n)| p + 8 * n + 1).collect()
    }

    /// Extra work of the top shard: aggregating every point once more.
    pub fn top_work(&self) -> u64 {
        self.row_points.iter().sum()
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
                    "--span-from-level",
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

    /// Reads a stats file, naming it in errors.
    pub fn read(path: &Path) -> Result<PyramidStats> {
        let text = crate::io::file_kind::read_input_to_string(path)?;
        let stats: PyramidStats = serde_json::from_str(&text)
            .map_err(|e| Error::bad_input(path, format!("is not a gigaplot statistics file: {e}")))?;
        if stats.format != STATS_FORMAT || stats.version != STATS_VERSION {
            return Err(Error::bad_input(
                path,
                format!(
                    "is format {} version {}; this gigaplot reads {STATS_FORMAT} version {STATS_VERSION}",
                    stats.format, stats.version
                ),
            ));
        }
        let plan = stats.plan().map_err(|e| Error::bad_input(path, e.to_string()))?;
        let rows = plan.finest_tile_rows() as usize;
        if stats.levels.len() != plan.levels() as usize
            || stats.row_points.len() != rows
            || stats.row_pixels.len() != rows
        {
            return Err(Error::bad_input(path, "has level or row lists that do not match its canvas"));
        }
        Ok(stats)
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

/// One sentence on the first difference between two keys.
fn describe_mismatch(have: &StatsKey, want: &StatsKey) -> String {
    let what = if (have.width, have.height) != (want.width, want.height) {
        format!("canvas {}x{}, not {}x{}", have.width, have.height, want.width, want.height)
    } else if have.tile != want.tile {
        format!("tile {}, not {}", have.tile, want.tile)
    } else if have.x_range != want.x_range || have.y_range != want.y_range {
        format!("ranges {:?} {:?}, not {:?} {:?}", have.x_range, have.y_range, want.x_range, want.y_range)
    } else if (have.x_scale, have.y_scale) != (want.x_scale, want.y_scale) {
        "other axis scales".to_string()
    } else {
        format!("inputs {:?}, not {:?}", have.inputs, want.inputs)
    };
    format!("was computed for {what}; compute statistics with the render's flags")
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
            inputs: vec!["x.npy".into(), "y.npy".into()],
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
        assert_eq!(err, "--merge: shard 0 is given twice");
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
