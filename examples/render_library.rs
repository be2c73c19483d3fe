//! Rendering from Rust: generate a small point set, render it to a PNG and a count
//! aggregate, and print what the render found.
//!
//! Run with `cargo run --release --example render_library -- OUT_DIR`.

use gigaplot::{
    generate, render, AggregateSink, Color, Colormap, ColumnSpec, Compression, GenerateOptions, How,
    NoProgress, PngSink, PointColumns, RenderOptions, Sink,
};

fn main() -> gigaplot::Result<()> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "out".into()));
    std::fs::create_dir_all(&out).map_err(|e| gigaplot::Error::io(&out, e))?;
    let files =
        generate(&GenerateOptions { points: 1_000_000, seed: 7, out_dir: out.join("points") }, &NoProgress)?;
    let points = PointColumns::open(
        &ColumnSpec { path: files.x, ..Default::default() },
        &ColumnSpec { path: files.y, ..Default::default() },
    )?;
    let options = RenderOptions {
        width: 3000,
        height: 2000,
        x_range: Some((-10.0, 10.0)),
        y_range: Some((-10.0, 10.0)),
        how: How::Log,
        cmap: Colormap::by_name("fire").expect("fire is a built-in colormap"),
        background: Color::rgb(0, 0, 0),
        ..RenderOptions::default()
    };
    let sinks: Vec<Box<dyn Sink>> = vec![
        Box::new(PngSink::new(&out.join("plot.png"), Compression::Fast)),
        Box::new(AggregateSink::new(&out.join("counts.npy"))),
    ];
    let report = render(&points, &options, sinks, &NoProgress)?;
    println!(
        "{} of {} points plotted on {} x {} px in {} bands",
        report.plotted, report.points, options.width, options.height, report.plan.bands
    );
    Ok(())
}
