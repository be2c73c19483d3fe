//! A render's report warns when the lowest values are shaded in the background's colour
//! (so a Python caller can `warnings.warn` it), and says nothing when all can be seen.

use crate::common::*;
use gigaplot::NoProgress;
use gigaplot::{render, RenderOptions, Warning};
use gigaplot::{Color, Colormap, Invisible, Spreader};
use gigaplot::{ColumnSpec, PointColumns};
use gigaplot::{RgbaSink, Sink, SpreadSink};

#[test]
fn the_report_names_the_invisible_share_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    // 4 x 4 canvas: three pixels with one point, one with five
    write_f64(&x, &[0.5, 1.5, 3.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
    write_f64(&y, &[0.5, 3.5, 1.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
    let spec = |p: &std::path::Path| ColumnSpec::parse(p.to_str().unwrap());
    let points = PointColumns::open(&spec(&x), &spec(&y)).unwrap();
    let black = Color::rgb(0, 0, 0);
    let options = |cmap: &str, background: Color| RenderOptions {
        width: 4,
        height: 4,
        x_range: Some((0.0, 4.0)),
        y_range: Some((0.0, 4.0)),
        cmap: cmap.parse::<Colormap>().unwrap(),
        background,
        ..RenderOptions::default()
    };
    let warnings = |options: &RenderOptions, sink: Box<dyn Sink>| {
        render(&points, options, vec![sink], &NoProgress).unwrap().warnings
    };
    let expected = Warning::Invisible(Invisible {
        pixels: 3,
        non_empty: 4,
        lowest: black,
        background: black,
        suggestion: Some("fire:0.2".into()),
        categories: false,
    });
    let (sink, image) = RgbaSink::new();
    assert_eq!(warnings(&options("fire", black), Box::new(sink)), vec![expected.clone()]);
    assert_eq!(image.take().unwrap().pixel(0, 3), black.to_array(), "the picture is written as shaded");
    assert_eq!(
        expected.to_string(),
        "75.0% of the non-empty pixels (3 of 4) are shaded within 24 levels of the background #000000 and \
         cannot be seen; use part of the colormap (cmap fire:0.2) or another background"
    );
    // shaded over transparent for a sink that spreads and then composites over black
    let spread = SpreadSink::new(Box::new(RgbaSink::new().0), Spreader::new(1, Default::default()), black);
    assert_eq!(warnings(&options("fire", Color::TRANSPARENT), Box::new(spread)), vec![expected]);
    // visible: a range, another background, the default colormap, a transparent picture
    for (cmap, background) in [
        ("fire:0.2", black),
        ("fire", Color::rgb(255, 255, 255)),
        ("datashader", black),
        ("fire", Color::TRANSPARENT),
    ] {
        assert_eq!(warnings(&options(cmap, background), Box::new(RgbaSink::new().0)), vec![], "{cmap}");
    }
}
