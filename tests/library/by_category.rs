//! `aggregate_by`: Datashader's `by(category, reduction)` in one pass, against the render
//! of each category on its own (the rows of other categories masked with NaN), byte for byte,
//! for every reduction, points and width-0 lines, with an empty category, NaN values, a
//! NaN category, and a budget that splits the categories into groups (a pass each).

use gigaplot::{aggregate_by, render, AggregateArraySink, Glyph, MemoryColumn, NoProgress, PointColumns};
use gigaplot::{Reduction, RenderOptions, Sink};

/// Categories 0..5 (3 never used), 4,000 rows: x, y, value (NaN every 13th) and category
/// (NaN every 101st: a missing category, counted for none).
fn columns() -> [Vec<f64>; 4] {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut cols: [Vec<f64>; 4] = Default::default();
    for i in 0..4000 {
        cols[0].push(next() * next());
        cols[1].push(next() * 0.6 + 0.2);
        cols[2].push(if i % 13 == 0 { f64::NAN } else { next() * 10.0 - 5.0 });
        let c = [0.0, 1.0, 2.0, 4.0][(next() * 4.0) as usize];
        cols[3].push(if i % 101 == 0 { f64::NAN } else { c });
    }
    cols
}

const CATEGORIES: usize = 5;

fn options(reduction: Reduction, glyph: Glyph) -> RenderOptions {
    RenderOptions {
        width: 37,
        height: 23,
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        reduction,
        glyph,
        threads: Some(2),
        ..RenderOptions::default()
    }
}

fn points(x: Vec<f64>, y: Vec<f64>, value: Option<Vec<f64>>) -> PointColumns<'static> {
    let points =
        PointColumns::from_sources(Box::new(MemoryColumn::new("x", x)), Box::new(MemoryColumn::new("y", y)))
            .unwrap();
    match value {
        Some(v) => points.with_value(Box::new(MemoryColumn::new("v", v))).unwrap(),
        None => points,
    }
}

/// The aggregate of category `k` alone, as the per-category path made it: points masked
/// in x (and, for `count` of a column, where the value is NaN); lines masked in the value.
fn one_category(cols: &[Vec<f64>; 4], k: usize, options: &RenderOptions, with_value: bool) -> Vec<u8> {
    let other = |i: usize| cols[3][i] != k as f64;
    let lines = options.glyph == Glyph::Lines;
    let counting = options.reduction == Reduction::Count;
    let masked = |col: &Vec<f64>, nan_value: bool| -> Vec<f64> {
        (0..col.len())
            .map(|i| match other(i) || (nan_value && cols[2][i].is_nan()) {
                true => f64::NAN,
                false => col[i],
            })
            .collect()
    };
    let (points, options) = match (lines, counting) {
        (false, _) => {
            let value = (with_value && !counting).then(|| cols[2].clone());
            (points(masked(&cols[0], with_value && counting), cols[1].clone(), value), options.clone())
        }
        // lines count as sums of ones where the value is not NaN
        (true, true) => {
            let ones = masked(&vec![1.0; cols[0].len()], with_value);
            (
                points(cols[0].clone(), cols[1].clone(), Some(ones)),
                RenderOptions { reduction: Reduction::Sum, ..options.clone() },
            )
        }
        (true, false) => {
            (points(cols[0].clone(), cols[1].clone(), Some(masked(&cols[2], false))), options.clone())
        }
    };
    let (sink, array) = AggregateArraySink::new();
    render(&points, &options, vec![Box::new(sink) as Box<dyn Sink>], &NoProgress).unwrap();
    let array = array.take().unwrap();
    match (lines, counting) {
        (true, true) => array
            .values::<f64>()
            .unwrap()
            .iter()
            .flat_map(|s| (if s.is_nan() { 0 } else { *s as u32 }).to_le_bytes())
            .collect(),
        _ => array.into_bytes(),
    }
}

#[test]
fn by_category_equals_each_category_rendered_alone() {
    let cols = columns();
    let reductions = [
        (Reduction::Count, false),
        (Reduction::Count, true),
        (Reduction::Any, false),
        (Reduction::Sum, true),
        (Reduction::Mean, true),
        (Reduction::Var, true),
        (Reduction::Std, true),
        (Reduction::Min, true),
        (Reduction::Max, true),
        (Reduction::First, true),
        (Reduction::Last, true),
    ];
    for glyph in [Glyph::Points, Glyph::Lines] {
        for (reduction, with_value) in reductions {
            if glyph == Glyph::Lines && reduction == Reduction::Any {
                continue;
            }
            let options = options(reduction, glyph);
            let value = with_value.then(|| cols[2].clone());
            let data = points(cols[0].clone(), cols[1].clone(), value);
            let category = MemoryColumn::new("c", cols[3].clone());
            let what = format!("{glyph:?} {reduction} (value: {with_value})");
            let (array, report) = aggregate_by(&data, &category, CATEGORIES, &options, &NoProgress).unwrap();
            assert_eq!(array.shape(), [23, 37, CATEGORIES], "{what}");
            assert_eq!(report.points, 4000);
            let size = array.dtype().size();
            let mut lit = 0;
            for k in 0..CATEGORIES {
                let alone = one_category(&cols, k, &options, with_value);
                let ours: Vec<u8> =
                    array.bytes().chunks_exact(size).skip(k).step_by(CATEGORIES).flatten().copied().collect();
                assert_eq!(ours, alone, "{what}, category {k}");
                lit += alone.chunks_exact(size).filter(|c| c.iter().any(|&b| b != 0)).count();
            }
            assert!(lit > 100, "{what}: only {lit} cells are non-zero");
        }
    }
}

#[test]
fn a_budget_too_small_for_every_category_takes_a_pass_per_group_with_the_same_bytes() {
    let cols = columns();
    let data = points(cols[0].clone(), cols[1].clone(), Some(cols[2].clone()));
    let category = MemoryColumn::new("c", cols[3].clone());
    // var's cells are 24 bytes: 24 MB a category at 1000^2, so 81 MiB holds three of five
    for glyph in [Glyph::Points, Glyph::Lines] {
        let whole = RenderOptions {
            width: 1000,
            height: 1000,
            memory_budget: 1 << 30,
            ..options(Reduction::Var, glyph)
        };
        let (array, _) = aggregate_by(&data, &category, CATEGORIES, &whole, &NoProgress).unwrap();
        let small = RenderOptions { memory_budget: 81 << 20, ..whole.clone() };
        let (grouped, _) = aggregate_by(&data, &category, CATEGORIES, &small, &NoProgress).unwrap();
        assert_eq!(grouped, array, "{glyph:?}");
        let values = array.values::<f64>().unwrap();
        assert!(values.iter().filter(|v| !v.is_nan()).count() > 1000, "{glyph:?}");
        for k in 0..CATEGORIES {
            let alone = one_category(&cols, k, &whole, true);
            let ours: Vec<u8> =
                array.bytes().chunks_exact(8).skip(k).step_by(CATEGORIES).flatten().copied().collect();
            assert_eq!(ours, alone, "{glyph:?}, category {k}");
        }
    }
}

#[test]
fn by_category_refuses_nested_categories_anti_aliased_lines_and_mismatched_columns() {
    let cols = columns();
    let data = points(cols[0].clone(), cols[1].clone(), Some(cols[2].clone()));
    let category = MemoryColumn::new("c", cols[3].clone());
    let refusal = |options: RenderOptions, category: &MemoryColumn| {
        aggregate_by(&data, category, CATEGORIES, &options, &NoProgress).unwrap_err().to_string()
    };
    let nested = refusal(options(Reduction::CountCat, Glyph::Points), &category);
    assert!(nested.contains("nests categories"), "{nested}");
    let wide = RenderOptions { line_width: 1.0, ..options(Reduction::Sum, Glyph::Lines) };
    assert!(refusal(wide, &category).contains("anti-aliased lines is not supported"));
    let short = MemoryColumn::new("c", vec![0.0; 10]);
    let mismatched = refusal(options(Reduction::Sum, Glyph::Points), &short);
    assert!(mismatched.contains("has 10 values but the points have 4000"), "{mismatched}");
}
