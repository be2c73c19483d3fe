//! A level's shading statistics as a statistics file keeps them: one value per family whose
//! statistics are gathered in one pass, exact (floats as strings that parse back to the
//! same bits) and mergeable across the shards that gathered them apart.
//!
//! A pyramid of any reduction shards with such a file (`render --pyramid DIR --stats-out`,
//! [`crate::pyramid::any_stats`]): each shard gathers the statistics of the pixels it owns,
//! the parts merge into exactly the statistics of one process, and a shard shading with them
//! runs no statistics pass.

use crate::shade::{CategoryStats, CountHistogram, FloatStats};

/// One level's statistics, as [`crate::shade::Family::export_stats`] gives them.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SavedStats {
    /// The exact histogram of counts (`count`, `any`).
    Counts(CountHistogram),
    /// The minimum, maximum and number of non-NaN values of a float aggregate, under a
    /// transfer function other than eq-hist.
    Floats(SavedFloats),
    /// The totals' histogram, empty pixels and smallest count of `count-cat`.
    Categories(CategoryStats),
}

/// [`FloatStats`] with its bounds as exact strings (`inf` when there is no value: JSON has
/// no infinities).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedFloats {
    /// `nanmin`, exact.
    pub min: String,
    /// `nanmax`, exact.
    pub max: String,
    /// Non-NaN values.
    pub count: u64,
}

impl SavedFloats {
    /// The saved form of `stats`.
    pub fn of(stats: &FloatStats) -> SavedFloats {
        let (min, max, count) = stats.parts();
        SavedFloats { min: format!("{min:?}"), max: format!("{max:?}"), count }
    }

    /// The statistics back, or why the text is not theirs.
    pub fn stats(&self) -> Result<FloatStats, String> {
        let parse = |t: &str| t.parse::<f64>().map_err(|_| format!("'{t}' is not a number"));
        let (min, max) = (parse(&self.min)?, parse(&self.max)?);
        if min.is_nan() || max.is_nan() || (self.count > 0 && min > max) {
            return Err(format!("the value range {min}, {max} is not a range"));
        }
        Ok(FloatStats::from_parts(min, max, self.count))
    }
}

impl SavedStats {
    /// Adds the statistics of another shard's pixels of the same level.
    pub fn merge(&mut self, other: &SavedStats) -> Result<(), String> {
        match (self, other) {
            (SavedStats::Counts(a), SavedStats::Counts(b)) => {
                a.checked_merge(b).ok_or("the counts overflow")?;
            }
            (SavedStats::Floats(a), SavedStats::Floats(b)) => {
                let mut stats = a.stats()?;
                stats.merge(&b.stats()?);
                *a = SavedFloats::of(&stats);
            }
            (SavedStats::Categories(a), SavedStats::Categories(b)) if a.categories() == b.categories() => {
                a.merge(b)
            }
            _ => return Err("the parts hold statistics of different kinds".into()),
        }
        Ok(())
    }

    /// Checks what a file could have altered: a well-formed histogram, a float range.
    pub fn check(&self) -> Result<(), String> {
        match self {
            SavedStats::Counts(h) => h.check(),
            SavedStats::Floats(f) => f.stats().map(|_| ()),
            SavedStats::Categories(c) => c.totals().check(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_exactly_and_merge() {
        let mut a = FloatStats::new();
        a.add_values(&[0.1, -0.0, 1.0 / 3.0, f64::NAN]);
        let mut b = FloatStats::new();
        b.add_values(&[-1e-300, 7.0]);
        let saved = SavedStats::Floats(SavedFloats::of(&a));
        let json = serde_json::to_string(&saved).unwrap();
        let back: SavedStats = serde_json::from_str(&json).unwrap();
        assert_eq!(back, saved);
        let SavedStats::Floats(f) = &back else { unreachable!() };
        assert_eq!(f.stats().unwrap(), a);
        let mut merged = back;
        merged.merge(&SavedStats::Floats(SavedFloats::of(&b))).unwrap();
        a.merge(&b);
        assert_eq!(merged, SavedStats::Floats(SavedFloats::of(&a)));
        let empty = SavedFloats::of(&FloatStats::new());
        assert_eq!(empty.stats().unwrap(), FloatStats::new());
        let err = merged.merge(&SavedStats::Counts(CountHistogram::new())).unwrap_err();
        assert!(err.contains("different kinds"), "{err}");
    }
}
