//! Reductions: how the records of a band accumulate into per-pixel aggregate values.
//!
//! A band's aggregate is stored tile by tile (each tile's rows contiguous), so tiles are
//! accumulated in parallel with no shared state; records reach each tile in input order,
//! so the result is the same for any tile size and thread count.

pub mod aa_category;
pub mod aa_value;
pub mod category;
pub mod count;
pub mod coverage;
pub mod line_value;
pub mod tiles;
pub mod value;

use std::fmt;
use std::str::FromStr;

pub use aa_category::AaCategoryBand;
pub use aa_value::{AaAccumulator, AaValueBand};
pub use category::CategoryBand;
pub use count::CountBand;
pub use coverage::CoverageBand;
pub use tiles::TileLayout;
pub use value::{Accumulator, ValueBand};

/// What each pixel's aggregate is (`--agg`), as in Datashader's reductions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reduction {
    /// Number of points (u32).
    #[default]
    Count,
    /// Whether any point fell in the pixel (bool).
    Any,
    /// Sum of the value column (f64).
    Sum,
    /// Mean of the value column (f64).
    Mean,
    /// Population variance of the value column (f64).
    Var,
    /// Population standard deviation of the value column (f64).
    Std,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// First value in input order.
    First,
    /// Last value in input order.
    Last,
    /// One count per category of an integer or bool category column.
    CountCat,
}

impl Reduction {
    /// Every reduction, in the order the help text lists them.
    pub const ALL: [Reduction; 11] = [
        Reduction::Count,
        Reduction::Any,
        Reduction::Sum,
        Reduction::Mean,
        Reduction::Var,
        Reduction::Std,
        Reduction::Min,
        Reduction::Max,
        Reduction::First,
        Reduction::Last,
        Reduction::CountCat,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Reduction::Count => "count",
            Reduction::Any => "any",
            Reduction::Sum => "sum",
            Reduction::Mean => "mean",
            Reduction::Var => "var",
            Reduction::Std => "std",
            Reduction::Min => "min",
            Reduction::Max => "max",
            Reduction::First => "first",
            Reduction::Last => "last",
            Reduction::CountCat => "count-cat",
        }
    }

    /// True when the reduction reads a `--value` column.
    pub fn needs_value(self) -> bool {
        !matches!(self, Reduction::Count | Reduction::Any)
    }
}

impl FromStr for Reduction {
    type Err = String;
    fn from_str(text: &str) -> Result<Reduction, String> {
        let wanted = text.replace('_', "-");
        Reduction::ALL.into_iter().find(|r| r.name() == wanted).ok_or_else(|| {
            let names: Vec<&str> = Reduction::ALL.iter().map(|r| r.name()).collect();
            format!("unknown reduction '{text}'; use one of {}", names.join(", "))
        })
    }
}

impl fmt::Display for Reduction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
