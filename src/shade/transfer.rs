//! Transfer functions (`how`): how aggregate values map to positions along the colormap.

use std::fmt;
use std::str::FromStr;

/// Datashader's `how`: the transform applied to (value - minimum) before colour mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    /// Histogram equalisation over the whole canvas (Datashader's default).
    #[default]
    EqHist,
    /// Linear.
    Linear,
    /// log1p.
    Log,
    /// Cube root.
    Cbrt,
}

impl FromStr for How {
    type Err = String;
    /// Accepts `eq-hist` (or `eq_hist`), `linear`, `log`, `cbrt`.
    fn from_str(text: &str) -> Result<How, String> {
        let _ = text;
        todo!()
    }
}

impl fmt::Display for How {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!()
    }
}
