//! The registration table: every (glyph, reduction) pair a render supports, declared once,
//! one line per pair. A new reduction with fixed-size state is one file in `reduce/` and
//! a line here per glyph that supports it; a new glyph is its module in `glyph/` and its
//! lines here.

use crate::data::DType;
use crate::error::{Error, Field, Result};
use crate::glyph::{AaLines, Lines, Points};
use crate::reduce::antialiased::{AaAny, AaMax, AaMean, AaSum};
use crate::reduce::{
    AaCount, AaCountCat, AaValues, Any, Count, CountCat, InOrder, NotNan, Reduction as R, Values,
};
use crate::reduce::{First, Last, Max, Mean, Min, Std, Sum, Var};
use crate::render::driver::PointRender;
use crate::render::{Glyph, RenderReport};

/// Runs `render` with the glyph and reduction its options ask for.
pub(crate) fn run(render: PointRender<'_>) -> Result<RenderReport> {
    let options = render.options;
    // Min, max, first and last of a float32 column stay float32.
    let v = render.points.value_source().map_or(DType::F64, |column| column.dtype());
    let categories = render.inputs.categories;
    let aa = AaLines::new(options.line_width);
    // A pyramid's coarser levels of first and last keep the earliest / latest input item of
    // their finest pixels: its cells and records carry the item (`reduce/ordered.rs`).
    let in_order = render.levels.is_some();
    // count and any of a value column count only the items whose value is not NaN.
    let valued = render.points.value_source().is_some();
    match (options.glyph, options.line_width > 0.0, options.reduction) {
        (Glyph::Points, _, R::Count) if valued => render.run(Points, NotNan(Count)),
        (Glyph::Points, _, R::Any) if valued => render.run(Points, NotNan(Any)),
        (Glyph::Lines, false, R::Count) if valued => render.run(Lines, NotNan(Count)),
        (Glyph::Lines, false, R::Any) if valued => render.run(Lines, NotNan(Any)),
        (Glyph::Lines, true, other @ (R::Count | R::Any)) if valued => Err(Error::bad_parameter(
            Field::Value,
            problem![
                format!("{other} of a value column along anti-aliased lines ("),
                Field::LineWidth,
                " > 0) is not supported; drop the value column or use ",
                Field::LineWidth.set(0)
            ],
        )),
        (Glyph::Points, _, R::First) if in_order => render.run(Points, InOrder::<false>::new(v)),
        (Glyph::Points, _, R::Last) if in_order => render.run(Points, InOrder::<true>::new(v)),
        (Glyph::Lines, false, R::First) if in_order => render.run(Lines, InOrder::<false>::new(v)),
        (Glyph::Lines, false, R::Last) if in_order => render.run(Lines, InOrder::<true>::new(v)),
        (Glyph::Points, _, R::Count) => render.run(Points, Count),
        (Glyph::Points, _, R::Any) => render.run(Points, Any),
        (Glyph::Points, _, R::Sum) => render.run(Points, Values::<Sum>::new(v)),
        (Glyph::Points, _, R::Mean) => render.run(Points, Values::<Mean>::new(v)),
        (Glyph::Points, _, R::Var) => render.run(Points, Values::<Var>::new(v)),
        (Glyph::Points, _, R::Std) => render.run(Points, Values::<Std>::new(v)),
        (Glyph::Points, _, R::Min) => render.run(Points, Values::<Min>::new(v)),
        (Glyph::Points, _, R::Max) => render.run(Points, Values::<Max>::new(v)),
        (Glyph::Points, _, R::First) => render.run(Points, Values::<First>::new(v)),
        (Glyph::Points, _, R::Last) => render.run(Points, Values::<Last>::new(v)),
        (Glyph::Points, _, R::CountCat) => render.run(Points, CountCat::new(categories)),
        (Glyph::Lines, false, R::Count) => render.run(Lines, Count),
        (Glyph::Lines, false, R::Any) => render.run(Lines, Any),
        (Glyph::Lines, false, R::Sum) => render.run(Lines, Values::<Sum>::new(v)),
        (Glyph::Lines, false, R::Mean) => render.run(Lines, Values::<Mean>::new(v)),
        (Glyph::Lines, false, R::Var) => render.run(Lines, Values::<Var>::new(v)),
        (Glyph::Lines, false, R::Std) => render.run(Lines, Values::<Std>::new(v)),
        (Glyph::Lines, false, R::Min) => render.run(Lines, Values::<Min>::new(v)),
        (Glyph::Lines, false, R::Max) => render.run(Lines, Values::<Max>::new(v)),
        (Glyph::Lines, false, R::First) => render.run(Lines, Values::<First>::new(v)),
        (Glyph::Lines, false, R::Last) => render.run(Lines, Values::<Last>::new(v)),
        (Glyph::Lines, false, R::CountCat) => render.run(Lines, CountCat::new(categories)),
        // Datashader's antialiased forms: count is float32 coverage, and min, first and
        // last are its antialiased max.
        (Glyph::Lines, true, R::Count) => render.run(aa, AaCount),
        (Glyph::Lines, true, R::Any) => render.run(aa, AaValues::<AaAny>::new()),
        (Glyph::Lines, true, R::Sum) => render.run(aa, AaValues::<AaSum>::new()),
        (Glyph::Lines, true, R::Mean) => render.run(aa, AaValues::<AaMean>::new()),
        (Glyph::Lines, true, R::Min | R::Max | R::First | R::Last) => {
            render.run(aa, AaValues::<AaMax>::new())
        }
        (Glyph::Lines, true, R::CountCat) => render.run(aa, AaCountCat::new(categories)),
        (Glyph::Lines, true, other @ (R::Var | R::Std)) => Err(unsupported_with_width(other)),
    }
}

/// Fails, before any pass over the data, for the pairs the table refuses.
pub(crate) fn check_supported(options: &crate::render::RenderOptions) -> Result<()> {
    match (options.glyph, options.line_width > 0.0, options.reduction) {
        (Glyph::Lines, true, other @ (R::Var | R::Std)) => Err(unsupported_with_width(other)),
        _ => Ok(()),
    }
}

/// The error for a reduction anti-aliased lines do not support, naming both flags.
fn unsupported_with_width(reduction: R) -> Error {
    let why = "has no anti-aliased form (Datashader raises NotImplementedError too)";
    Error::bad_parameter(
        Field::Reduction,
        problem![
            format!("{reduction} along anti-aliased lines ("),
            Field::LineWidth,
            format!(" > 0) {why}; use "),
            Field::LineWidth.set(0)
        ],
    )
}
