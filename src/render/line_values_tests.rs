//! Value reductions along lines against Datashader 0.19.1's own aggregates
//! (`tests/data/datashader/line_value_aggregates.json`): the whole path from the columns through the binners, the
//! partition (5-row bands, 8-pixel tiles, so segments cross band and tile edges) and the
//! band aggregation to the exported rows. Integer aggregates (count_cat) and Datashader's
//! float32 aggregates (`any` and `count_cat` of anti-aliased lines) must be equal; float64 ones within
//! 1e-12 relative (they are in fact bit-identical today).

use std::sync::LazyLock;

use crate::canvas::{Axis, Plan, Scale};
use crate::data::{ColumnSpec, DType, PointColumns};
use crate::glyph::{AaLines, Glyph, GlyphInput, Lines, RecordOf};
use crate::progress::NoProgress;
use crate::reduce::antialiased::{AaAny, AaMax, AaMean, AaSum};
use crate::reduce::value::{First, Last, Max, Mean, Min, Std, Sum, Var};
use crate::reduce::{AaCountCat, AaValues, CountCat, Reducer, ValueUse, Values};
use crate::render::band::{BandCells, BandView};
use crate::shade::{BandValues, Family, How};

/// Canvas width of every case.
const WIDTH: u32 = 37;
/// Canvas height of every case.
const HEIGHT: u32 = 23;
/// Categories of the count_cat cases.
const CATEGORIES: usize = 3;

/// `tests/data/datashader/line_value_aggregates.json`: Datashader's value reductions along
/// one line.
#[derive(serde::Deserialize)]
struct Reference {
    width: u32,
    height: u32,
    categories: usize,
    cases: Vec<Case>,
}

/// One reference drawing.
#[derive(serde::Deserialize)]
struct Case {
    name: String,
    x_range: (f64, f64),
    y_range: (f64, f64),
    #[serde(deserialize_with = "crate::test_data::floats")]
    xs: Vec<f64>,
    #[serde(deserialize_with = "crate::test_data::floats")]
    ys: Vec<f64>,
    /// The value column; the category column is `i % CATEGORIES`.
    #[serde(deserialize_with = "crate::test_data::floats")]
    vs: Vec<f64>,
    /// Datashader's `line_width` (0 = Bresenham, > 0 = anti-aliased).
    line_width: f64,
    /// Datashader's reduction name (`count_cat` of the category column).
    reduction: String,
    /// Datashader's aggregate dtype.
    dtype: String,
    /// Non-empty cells as (image-order index, value); the others are 0 (u32) or NaN.
    #[serde(deserialize_with = "crate::test_data::indexed_floats")]
    expected: Vec<(u32, f64)>,
}

/// `tests/data/datashader/aa_category_shade.json`: Datashader's `tf.shade` of the
/// anti-aliased count_cat drawings.
#[derive(serde::Deserialize)]
struct Shades {
    shades: Vec<Shade>,
}

/// One `tf.shade(agg, how)` of a drawing: its name and line width, how, RGBA hex.
#[derive(serde::Deserialize)]
struct Shade {
    drawing: String,
    line_width: f64,
    how: String,
    rgba: String,
}

/// Every reference drawing, checked to be on the canvas of [`WIDTH`] x [`HEIGHT`].
fn cases() -> &'static [Case] {
    static REFERENCE: LazyLock<Reference> = LazyLock::new(|| {
        let reference: Reference = crate::test_data::load("datashader/line_value_aggregates.json");
        assert_eq!((reference.width, reference.height, reference.categories), (WIDTH, HEIGHT, CATEGORIES));
        reference
    });
    &REFERENCE.cases
}

fn write(path: &std::path::Path, values: &[f64]) {
    crate::test_data::write_f64_npy(path, &[values.len()], false, values);
}

/// A plan of 5-row bands and 8-pixel tiles for the reference canvas.
fn small_bands() -> Plan {
    let mut plan = Plan::new(WIDTH, HEIGHT, 8, 1 << 30, 1, 24).unwrap();
    plan.band_height = 5;
    plan.bands = HEIGHT.div_ceil(5);
    plan
}

/// Partitions `input` into `glyph`'s records for `reducer`, aggregates every band and
/// returns the exported aggregate (image order, `channels` values per pixel) as f64.
fn aggregate<G: Glyph, R: Reducer>(glyph: G, reducer: R, input: GlyphInput<'_>, plan: &Plan) -> Vec<f64>
where
    R::Input: RecordOf<G::Shape>,
{
    let dir = tempfile::tempdir().unwrap();
    let value = if R::Input::READS_VALUE { input.value } else { None };
    let input = GlyphInput { value, overwrite: R::OVERWRITE, ..input };
    let partition = glyph
        .partition::<<R::Input as RecordOf<G::Shape>>::Record>(&input, plan, dir.path(), &NoProgress)
        .unwrap();
    let (dtype, channels) = (reducer.dtype(), reducer.channels());
    let row_bytes = WIDTH as usize * channels * dtype.size();
    let mut out = Vec::new();
    let mut band = BandCells::default();
    for b in 0..plan.bands {
        band.aggregate_records(&glyph, &reducer, plan, &partition, b).unwrap();
        let view = BandView { reducer: &reducer, cells: &band };
        for row in 0..band.rows() {
            let mut bytes = vec![0u8; row_bytes];
            view.for_each_piece(row, |x0, values| {
                let start = x0 as usize * channels * dtype.size();
                R::Family::write(values, dtype, &mut bytes[start..start + values.len() * dtype.size()]);
            });
            out.extend(bytes.chunks_exact(dtype.size()).map(|c| match dtype {
                DType::U32 => f64::from(u32::from_le_bytes(c.try_into().unwrap())),
                DType::F32 => f64::from(f32::from_le_bytes(c.try_into().unwrap())),
                _ => f64::from_le_bytes(c.try_into().unwrap()),
            }));
        }
    }
    out
}

/// gigaplot's aggregate of a reference case.
fn gigaplot(case: &Case) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    write(&path("x.npy"), &case.xs);
    write(&path("y.npy"), &case.ys);
    let value: Vec<f64> = match case.reduction.as_str() {
        "count_cat" => (0..case.xs.len()).map(|i| (i % CATEGORIES) as f64).collect(),
        _ => case.vs.to_vec(),
    };
    write(&path("v.npy"), &value);
    let spec = |name: &str| ColumnSpec::parse(path(name).to_str().unwrap());
    let points = PointColumns::open_with_value(&spec("x.npy"), &spec("y.npy"), &spec("v.npy")).unwrap();
    let plan = small_bands();
    let x = Axis::new(crate::error::Field::XRange, case.x_range, WIDTH, Scale::Linear).unwrap();
    let y = Axis::new(crate::error::Field::YRange, case.y_range, HEIGHT, Scale::Linear).unwrap();
    let input = GlyphInput { points: &points, value: points.value_source(), x, y, overwrite: false };
    let (aa, f64_) = (AaLines::new(case.line_width), DType::F64);
    match (case.line_width > 0.0, case.reduction.as_str()) {
        (false, "sum") => aggregate(Lines, Values::<Sum>::new(f64_), input, &plan),
        (false, "mean") => aggregate(Lines, Values::<Mean>::new(f64_), input, &plan),
        (false, "var") => aggregate(Lines, Values::<Var>::new(f64_), input, &plan),
        (false, "std") => aggregate(Lines, Values::<Std>::new(f64_), input, &plan),
        (false, "min") => aggregate(Lines, Values::<Min>::new(f64_), input, &plan),
        (false, "max") => aggregate(Lines, Values::<Max>::new(f64_), input, &plan),
        (false, "first") => aggregate(Lines, Values::<First>::new(f64_), input, &plan),
        (false, "last") => aggregate(Lines, Values::<Last>::new(f64_), input, &plan),
        (false, "count_cat") => aggregate(Lines, CountCat::new(CATEGORIES), input, &plan),
        (true, "sum") => aggregate(aa, AaValues::<AaSum>::new(), input, &plan),
        (true, "mean") => aggregate(aa, AaValues::<AaMean>::new(), input, &plan),
        (true, "min" | "max" | "first" | "last") => aggregate(aa, AaValues::<AaMax>::new(), input, &plan),
        (true, "any") => aggregate(aa, AaValues::<AaAny>::new(), input, &plan),
        (true, "count_cat") => aggregate(aa, AaCountCat::new(CATEGORIES), input, &plan),
        other => panic!("no reduction for {other:?}"),
    }
}

/// The reference as a dense aggregate.
fn expected(case: &Case) -> Vec<f64> {
    let integer = case.dtype == "uint32";
    let channels = if case.reduction == "count_cat" { CATEGORIES } else { 1 };
    let mut out = vec![if integer { 0.0 } else { f64::NAN }; (WIDTH * HEIGHT) as usize * channels];
    for &(i, v) in &case.expected {
        out[i as usize] = v;
    }
    out
}

fn same(case: &Case, got: f64, want: f64) -> bool {
    if got.is_nan() || want.is_nan() {
        return got.is_nan() && want.is_nan();
    }
    match case.dtype.as_str() {
        "float64" => got == want || (got - want).abs() <= 1e-12 * want.abs(),
        _ => got == want,
    }
}

#[test]
fn datashader_reference_aggregates_of_values_along_lines() {
    let mut failures = Vec::new();
    for case in cases() {
        let (got, want) = (gigaplot(case), expected(case));
        assert_eq!(got.len(), want.len(), "{}", case.name);
        let bad: Vec<usize> = (0..got.len()).filter(|&i| !same(case, got[i], want[i])).collect();
        if let Some(&i) = bad.first() {
            failures.push(format!(
                "{} width {} {}: {} cells differ, first {i}: got {} want {}",
                case.name,
                case.line_width,
                case.reduction,
                bad.len(),
                got[i],
                want[i]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases().len(),
        failures.join("\n")
    );
}

#[test]
fn reference_cases_cover_nan_values_edges_and_empty_drawings() {
    let cases = cases();
    assert!(cases.len() >= 100);
    assert_eq!(cases.len(), 121);
    let lit = |c: &Case| c.expected.len();
    assert!(cases.iter().filter(|c| lit(c) == 0).count() >= 10, "empty drawings and all-NaN values");
    assert!(cases.iter().filter(|c| c.line_width == 0.0 && lit(c) > 100).count() >= 10);
    assert!(cases.iter().any(|c| c.vs.iter().any(|v| v.is_nan()) && lit(c) > 0));
    // The reference distinguishes the reductions: first and last differ somewhere.
    let of = |name: &str, r: &str| {
        cases.iter().find(|c| c.name == name && c.reduction == r && c.line_width == 0.0)
    };
    let (first, last) = (of("random_polyline", "first").unwrap(), of("random_polyline", "last").unwrap());
    assert_ne!(first.expected, last.expected);
}

/// The shading of every anti-aliased count_cat reference aggregate, gathered in 5-row
/// bands, as RGBA hex, for `how`.
fn shade_aa_categories(case: &Case, how: How) -> String {
    use crate::shade::{FloatCategoryShader, FloatCategoryStats};
    let values: Vec<f32> = expected(case).iter().map(|&v| v as f32).collect();
    let row_len = WIDTH as usize * CATEGORIES;
    let bands: Vec<&[f32]> = values.chunks(row_len * 5).collect();
    let mut stats = FloatCategoryStats::new(CATEGORIES);
    for pass in 0..FloatCategoryStats::passes(how) {
        for band in &bands {
            for row in band.chunks(row_len) {
                stats.add_values(pass, row);
            }
        }
        stats.end_pass(pass, how);
    }
    let key = crate::shade::category::default_color_key(CATEGORIES);
    let shader = FloatCategoryShader::new(&key, how, 255, 40, &stats, crate::shade::Color::TRANSPARENT);
    let mut out = vec![0u8; (WIDTH * HEIGHT) as usize * 4];
    for (row, dst) in values.chunks(row_len).zip(out.chunks_mut(WIDTH as usize * 4)) {
        shader.shade_rgba(row, dst);
    }
    out.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn anti_aliased_count_cat_shades_as_datashader() {
    let shades: Shades = crate::test_data::load("datashader/aa_category_shade.json");
    let mut failures = Vec::new();
    for Shade { drawing: name, line_width: lw, how, rgba: want } in &shades.shades {
        let lw = *lw;
        let case = cases()
            .iter()
            .find(|c| c.name == *name && c.line_width == lw && c.reduction == "count_cat")
            .unwrap();
        let got = shade_aa_categories(case, how.parse().unwrap());
        let (got, want) = (got.as_bytes(), want.as_bytes());
        let differ: Vec<usize> =
            (0..got.len() / 8).filter(|&p| got[p * 8..p * 8 + 8] != want[p * 8..p * 8 + 8]).collect();
        if let Some(&p) = differ.first() {
            let show = |h: &[u8]| String::from_utf8_lossy(&h[p * 8..p * 8 + 8]).to_string();
            failures.push(format!(
                "{name} {lw} {how}: {} pixels, first {p}: got {} want {}",
                differ.len(),
                show(got),
                show(want)
            ));
        }
    }
    assert!(shades.shades.len() >= 28);
    assert_eq!(shades.shades.len(), 32);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
