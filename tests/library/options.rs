//! Bad options are refused by the library itself, through the public API only, with the
//! option field named as a library user writes it; a front end gets the same error spelled
//! its own way. Nothing is rendered and no sink receives anything.

use gigaplot::{
    render, AggregateArraySink, Error, Field, Glyph, MemoryColumn, NoProgress, PointColumns, RenderOptions,
    Sink, Spelling,
};

/// A front end that writes fields in capitals.
struct Shouting;

impl Spelling for Shouting {
    fn field(&self, field: Field) -> String {
        field.name().to_uppercase()
    }
    fn setting(&self, field: Field, value: &str) -> String {
        format!("{}:{value}", self.field(field))
    }
    fn usage(&self, field: Field) -> String {
        self.field(field)
    }
}

/// The error `render` gives for `options` over a few in-memory points, after checking that
/// `validate` gives the same one and the sink received nothing.
fn refusal(options: RenderOptions) -> Error {
    let points = PointColumns::from_sources(
        Box::new(MemoryColumn::new("x", vec![0.0f64, 0.5, 1.0])),
        Box::new(MemoryColumn::new("y", vec![0.0f64, 0.5, 1.0])),
    )
    .unwrap();
    let validated = options.validate().unwrap_err().to_string();
    let (sink, array) = AggregateArraySink::new();
    let err = render(&points, &options, vec![Box::new(sink) as Box<dyn Sink>], &NoProgress).unwrap_err();
    assert_eq!(err.to_string(), validated);
    assert!(array.take().is_none(), "a refused render produced an aggregate");
    err
}

#[test]
fn bad_options_are_refused_naming_their_field() {
    let base = RenderOptions { width: 64, height: 48, ..RenderOptions::default() };
    let err = refusal(RenderOptions { threads: Some(0), ..base.clone() });
    assert_eq!(err.to_string(), "threads: at least one thread is needed");
    assert!(matches!(err, Error::BadParameter { field: Field::Threads, .. }), "{err:?}");

    let err = refusal(RenderOptions { line_width: 2.0, glyph: Glyph::Points, ..base.clone() });
    assert_eq!(err.to_string(), "line_width: applies to glyph=lines only");
    assert_eq!(err.spelled(&Shouting), "LINE_WIDTH: applies to GLYPH:lines only");

    let err = refusal(RenderOptions { memory_budget: 1000, ..base.clone() });
    assert!(err.to_string().starts_with("memory_budget: a budget of 1000 bytes cannot hold"), "{err}");

    let err = refusal(RenderOptions { width: 0, ..base.clone() });
    assert_eq!(err.to_string(), "width: 0 pixels is outside what a PNG can hold (1 to 2147483647)");

    let missing = std::env::temp_dir().join("gigaplot-no-such-scratch-dir");
    let err = refusal(RenderOptions { scratch_dir: Some(missing.clone()), ..base.clone() });
    assert_eq!(err.to_string(), format!("scratch_dir: {} is not a directory", missing.display()));

    base.validate().unwrap();
}
