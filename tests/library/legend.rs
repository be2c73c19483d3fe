//! The count-cat legend of a figure: [`FigureSink::with_category_legend`] (categories
//! counted by the render's own statistics pass) draws the same PNG bytes as a
//! [`FigureSpec::legend`] from [`category_legend`] (its own pass over the column), with
//! numbered categories, a colour key, and labels.

use gigaplot::{
    category_legend, render, Color, Compression, FigureSink, FigureSpec, MemoryColumn, NoProgress,
    PointColumns, Reduction, RenderOptions, Sink, Source,
};

/// 600 points on a diagonal, categories 0, 1 and 4 (2 and 3 absent: the legend still lists
/// them, as Datashader's aggregate has their planes).
fn points() -> PointColumns<'static> {
    let xs: Vec<f64> = (0..600).map(|i| f64::from(i) / 600.0).collect();
    let cats: Vec<u8> = (0..600).map(|i| [0u8, 1, 4][i % 3]).collect();
    PointColumns::from_sources(
        Box::new(MemoryColumn::new("x", xs.clone())),
        Box::new(MemoryColumn::new("y", xs)),
    )
    .and_then(|p| p.with_value(Box::new(MemoryColumn::new("c", cats))))
    .unwrap()
}

/// The figure PNG of a count-cat render through `sink`.
fn figure(
    points: &PointColumns,
    make: impl FnOnce(FigureSink<Vec<u8>>) -> FigureSink<Vec<u8>>,
    spec: FigureSpec,
) -> Vec<u8> {
    let options =
        RenderOptions { width: 120, height: 90, reduction: Reduction::CountCat, ..RenderOptions::default() };
    let (sink, bytes) = FigureSink::to_writer(Vec::new(), Compression::Fast, spec, None);
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(make(sink))];
    render(points, &options, sinks, &NoProgress).unwrap();
    bytes.take().expect("the render finished")
}

#[test]
fn the_legend_from_the_render_equals_the_legend_from_a_pass_over_the_column() {
    let points = points();
    let value: &dyn Source = points.value_source().unwrap();
    let key = [Color::rgb(255, 0, 0), Color::rgb(0, 128, 0)];
    let labels = ["a".to_string(), "b".to_string(), "c".to_string(), "d".to_string(), "e".to_string()];
    let mut seen = Vec::new();
    for (labels, key) in [(None, None), (None, Some(&key[..])), (Some(&labels[..]), None)] {
        let legend = category_legend(labels, key, value).unwrap();
        assert_eq!(legend.len(), 5, "categories 0 to 4");
        let spec = FigureSpec { legend: Some(legend), ..FigureSpec::default() };
        let want = figure(&points, |s| s, spec);
        let got = figure(&points, |s| s.with_category_legend(labels, key, value), FigureSpec::default());
        assert!(got == want, "labels {labels:?}, key {key:?}: the PNGs differ");
        seen.push(got);
    }
    let bare = figure(&points, |s| s, FigureSpec::default());
    assert!(seen.iter().all(|png| *png != bare), "no legend was drawn");
    assert!(seen[0] != seen[1] && seen[0] != seen[2], "the key and the labels changed nothing");
}
