//! Reductions: the per-pixel state of an aggregate and how glyph fragments fold into it,
//! with Datashader's semantics. A reduction knows nothing of geometry: a glyph hands it
//! fragments `(pixel, value, aa, prev)` and it folds them into its cells.
//!
//! A [`Reducer`] owns
//! - its cell type and empty value, and how many cells a pixel has (1, or one per
//!   category: the single-channel reductions index `tile[pixel]` directly, so the count
//!   of points compiles to `tile[i] += 1`);
//! - whether it reads the value column ([`ValueUse`]): records then carry the value;
//! - how a fragment folds into a pixel (points and width-0 lines give `aa = 1, prev = 0`;
//!   anti-aliased lines their coverage and Datashader's join correction, or full caps
//!   when the reduction is not additive, [`Reducer::OVERWRITE`]);
//! - how two cells of the same pixel merge ([`Reducer::merge`]: the state of the
//!   fragments of both, those of `into` first), which direct aggregation of several
//!   inputs and coarser pyramid levels build on;
//! - what it hands the shader: one of the [`crate::shade::family`]s, and its cells'
//!   values in that family ([`Reducer::values`]), exported as [`Reducer::dtype`].
//!
//! The reductions: [`count`] (count, any), [`value`] (sum, mean, var, std, min, max,
//! first, last), [`ordered`] (first and last with each pixel's input item, for pyramids),
//! [`category`] (count-cat), [`per_category`] (any of them per category: `by`), [`antialiased`] (Datashader's forms along
//! anti-aliased lines) and [`resampled`] (raster values, which come from resampling
//! rather than from fragments). Adding a reduction with fixed-size state is one file here
//! and one line in `render/table.rs`.
//!
//! Reductions with variable state per pixel (a mode, count-distinct) do not fit a
//! `Copy` cell. Their place is a reducer whose cell is a handle into a side store that the
//! band owns (a per-tile arena of value lists or hash sets, cleared with the band): `fold`
//! appends to it, `merge` unites two, and `values` finishes each pixel into the float or
//! count family. The band buffer and the plan's bytes per pixel would then budget the
//! store as well.

pub mod antialiased;
pub mod category;
pub mod count;
pub mod ordered;
pub mod per_category;
pub mod resampled;
pub mod value;

use std::fmt;
use std::str::FromStr;

pub use antialiased::{AaCount, AaCountCat, AaValues};
pub use category::CountCat;
pub use count::{Any, Count, NotNan};
pub use ordered::InOrder;
pub use resampled::Resampled;
pub use value::{First, Last, Max, Mean, Min, Std, Sum, Values, Var};

use crate::data::DType;
use crate::shade::Family;

/// What a glyph hands a reduction for one pixel it draws: the value of the record
/// (NaN when records carry none), the pixel's coverage `aa` (1 for points and width-0
/// lines) and `prev`, the coverage the previous segment of the same line already gave the
/// pixel (Datashader's join correction; 0 but along anti-aliased lines).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fragment {
    /// The value column's value for the item drawn (a segment's start vertex).
    pub value: f64,
    /// Coverage of the pixel, in (0, 1].
    pub aa: f64,
    /// Coverage the previous segment gave the pixel.
    pub prev: f64,
    /// The input item's index in input order (a point's row, a segment's end vertex item),
    /// when records carry it ([`ReadsValueInOrder`]); 0 otherwise.
    pub item: u64,
}

impl Fragment {
    /// A fully covered pixel: a point or a pixel of a width-0 line.
    #[inline(always)]
    pub fn full(value: f64) -> Fragment {
        Fragment { value, aa: 1.0, prev: 0.0, item: 0 }
    }

    /// A fully covered pixel of input item `item`.
    #[inline(always)]
    pub fn of_item(value: f64, item: u64) -> Fragment {
        Fragment { value, aa: 1.0, prev: 0.0, item }
    }
}

/// Whether a reduction reads the value column: [`NoValue`], [`ReadsValue`] or
/// [`ReadsValueInOrder`].
pub trait ValueUse: Send + Sync + 'static {
    /// True when folds read [`Fragment::value`].
    const READS_VALUE: bool;
    /// True when folds read [`Fragment::item`] too: records then carry each item's index,
    /// and the render partitions (the direct aggregation of one-band canvases gives none).
    const READS_ITEM: bool = false;
}

/// The reduction reads no value column (count, any, anti-aliased coverage).
#[derive(Debug)]
pub struct NoValue;

impl ValueUse for NoValue {
    const READS_VALUE: bool = false;
}

/// The reduction reads the value column (sum, mean, count-cat...): records carry values.
#[derive(Debug)]
pub struct ReadsValue;

impl ValueUse for ReadsValue {
    const READS_VALUE: bool = true;
}

/// The reduction reads the value column and each item's index in input order (`first` and
/// `last` of a pyramid, whose coarser levels keep the earliest / latest item): records
/// carry both.
#[derive(Debug)]
pub struct ReadsValueInOrder;

impl ValueUse for ReadsValueInOrder {
    const READS_VALUE: bool = true;
    const READS_ITEM: bool = true;
}

/// The finished value type a reducer hands its shading family.
pub type FamilyValue<R> = <<R as Reducer>::Family as Family>::Value;

/// A reduction: per-pixel state, how fragments fold into it, how states merge, and what
/// the shader gets. See the module doc.
pub trait Reducer: Send + Sync + 'static {
    /// The state of one pixel (of one channel): plain bytes, so a band's cells can be
    /// kept in a scratch file between the statistics and render passes.
    type Cell: bytemuck::Pod + Send + Sync;
    /// How the finished values are shaded.
    type Family: Family;
    /// Whether folds read the value column.
    type Input: ValueUse;
    /// Datashader's `overwrite` for anti-aliased lines: true when the reduction is not
    /// additive, so each segment draws its full caps and reports `prev = 0`.
    const OVERWRITE: bool = false;
    /// The state of a pixel no fragment reached.
    const EMPTY: Self::Cell;
    /// True when folding the fragments into partial cells, split anyhow, and merging those
    /// in any order gives exactly the cells of folding them all in input order (integer
    /// counts and marks): direct aggregation then folds chunks of the input in parallel into
    /// partial canvases. False (float sums, min, max, first, last) keeps one pass in order.
    const MERGES_IN_ANY_ORDER: bool = false;

    /// Cells per pixel: 1, or the number of categories.
    fn channels(&self) -> usize {
        1
    }
    /// Element type of the exported aggregate.
    fn dtype(&self) -> DType;
    /// Bytes per pixel the plan budgets for one band buffer of this reduction.
    fn plan_bytes(&self) -> u32;
    /// Folds `fragment` into pixel `pixel` of `tile` (`channels` cells per pixel).
    fn fold(&self, tile: &mut [Self::Cell], pixel: usize, fragment: Fragment);
    /// Merges `other` into `into`: the state of the fragments of both, `into`'s first.
    fn merge(&self, into: &mut Self::Cell, other: &Self::Cell);
    /// For reductions that only count fragments without values (count, any): the cell of a
    /// pixel that `n` fragments reached. Direct aggregation then counts points per pixel
    /// and makes the cells from the counts, and canvases too large for the budget count
    /// points in one compact pass (`render/compact.rs`). None (the default) for the others.
    fn counted(&self, _n: u32) -> Option<Self::Cell> {
        None
    }
    /// The finished values of `cells` in the family's type: `cells` itself when they are
    /// the values, else finished into `scratch`.
    fn values<'v>(
        &self,
        cells: &'v [Self::Cell],
        scratch: &'v mut Vec<FamilyValue<Self>>,
    ) -> &'v [FamilyValue<Self>];
}

/// Declares [`Reduction`], one line per reduction: variant, name, whether it reads the
/// value column, and its doc.
macro_rules! reductions {
    ($($(#[$attr:meta])* $variant:ident = $name:literal, value: $value:literal, $doc:literal;)*) => {
        /// What each pixel's aggregate is (`--agg`), as in Datashader's reductions.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
        pub enum Reduction {
            $(#[doc = $doc] $(#[$attr])* $variant,)*
        }

        impl Reduction {
            /// Every reduction, in the order the help text lists them.
            pub const ALL: &'static [Reduction] = &[$(Reduction::$variant),*];

            /// The name used on the command line.
            pub fn name(self) -> &'static str {
                match self {
                    $(Reduction::$variant => $name,)*
                }
            }

            /// True when the reduction reads a `--value` column.
            pub fn needs_value(self) -> bool {
                match self {
                    $(Reduction::$variant => $value,)*
                }
            }
        }
    };
}

reductions! {
    #[default]
    Count = "count", value: false, "Number of points (u32).";
    Any = "any", value: false, "Whether any point fell in the pixel (bool).";
    Sum = "sum", value: true, "Sum of the value column (f64).";
    Mean = "mean", value: true, "Mean of the value column (f64).";
    Var = "var", value: true, "Population variance of the value column (f64).";
    Std = "std", value: true, "Population standard deviation of the value column (f64).";
    Min = "min", value: true, "Smallest value.";
    Max = "max", value: true, "Largest value.";
    First = "first", value: true, "First value in input order.";
    Last = "last", value: true, "Last value in input order.";
    CountCat = "count-cat", value: true, "One count per category of an integer or bool category column.";
}

impl FromStr for Reduction {
    type Err = String;
    fn from_str(text: &str) -> Result<Reduction, String> {
        let wanted = text.replace('_', "-");
        Reduction::ALL.iter().copied().find(|r| r.name() == wanted).ok_or_else(|| {
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
