//! gigaplot renders plots of billions of points into gigapixel images in bounded memory.
//!
//! Matplotlib keeps the whole RGBA canvas in memory and Datashader the whole aggregate (and
//! float64 copies of it while shading), so both run out of memory long before a 65536 x 65536
//! figure. gigaplot never holds more than a band of the canvas: peak memory is set by a
//! budget and the canvas width, not by the canvas height or the number of points.
//!
//! # The pipeline
//!
//! A render is a story in six stages, one module each (the modules are gigaplot's
//! internals; the items below are its API):
//!
//! 1. `data`: every column comes through one abstraction, a [`Source`]: `.npy` files
//!    memory-mapped and read zero-copy in bounded chunks whose pages are released after use
//!    ([`NpyColumn`]; mapped pages count as RSS), or slices and vectors already in memory
//!    ([`MemoryColumn`]). For lines, 2-D arrays hold several series; rasters are 2-D
//!    arrays ([`Grid`]) read row by row.
//! 2. `canvas`: the data ranges map onto pixels with Datashader's exact binning rule, and a
//!    plan cuts the canvas into tiles (the unit of parallel work) and bands (the unit of
//!    streaming) sized by the memory budget.
//! 3. `glyph` and `partition`: a glyph (points, width-0 lines, anti-aliased lines) turns
//!    each item into a record on the GLOBAL pixel grid, and one pass buckets the records by
//!    band into blocks of a scratch file, so each band later reads only its own records:
//!    O(N) in the data, whatever the number of bands. Rasters need no partition: a band
//!    resamples the rows it covers.
//! 4. `reduce` and `shade`: every band's records are routed to their tiles and drawn as
//!    fragments that a reducer folds into per-pixel cells, tiles in parallel (every
//!    [`Reduction`]: count, any, sum, mean, var, std, min, max, first, last, count-cat, and
//!    Datashader's anti-aliased forms), first to gather the GLOBAL statistics, then again
//!    to shade with them (Datashader's `shade` semantics, [`How`]: eq-hist, linear, log,
//!    cbrt), so there are no seams and eq-hist is consistent across the canvas.
//! 5. `figure`: axes, ticks, labels, title, colorbar and legend around the data area
//!    ([`FigureSpec`], [`FigureSink`]), drawn band by band from a display list.
//! 6. `sink`: finished bands stream into a [`Sink`]: a PNG compressed on all cores in fixed
//!    segments joined into one zlib stream ([`PngSink`]), the raw aggregate as `.npy`
//!    ([`AggregateSink`]), a deep-zoom tile pyramid ([`PyramidSink`]); spreading
//!    ([`SpreadSink`]: `spread`, `dynspread` with its one global decision) is a sink adapter
//!    over the shaded rows. Sinks write to any `Write` (a file, a `Vec<u8>`, a socket) or
//!    keep the canvas in memory ([`RgbaImage`], [`AggregateArray`]).
//!
//! Every stage that touches the disk goes through `io`: files are written under temporary
//! names (created safely in shared directories) and renamed together when complete, a
//! pyramid is written under a temporary directory and swapped in, temporaries are removed
//! on signals and faults, and a render that cannot fit on the disk fails before it starts.
//!
//! [`render()`] and [`render_raster`] run the passes ([`render_pyramid`] those of a
//! pyramid, its statistics first): one generic driver for any (glyph,
//! reduction) pair, the pairs declared once in a table (`render/table.rs`). The output is
//! byte-identical whatever the tile size and thread count: records keep input order within
//! a band, tiles are laid out on the global grid, and the PNG is cut into segments at
//! fixed rows. `docs/ARCHITECTURE.md` says which files adding a glyph, a reduction, a
//! source or a sink touches.
//!
//! # Errors
//!
//! Every failure is an [`Error`] naming the file or the option field at fault
//! ([`Field`]: `x_range`, `memory_budget`, `pyramid.dir`); a front end spells fields its
//! own way with [`Error::spelled`] (the command line prints `--x-range`, `--memory`).
//!
//! # Features
//!
//! `cli` (default) builds the `gigaplot` binary and brings clap, indicatif and signal-hook;
//! it implies `serve`, the pyramid's HTTP server (`pyramid::serve`, on tokio and hyper).
//! A library user who needs neither depends on gigaplot with `default-features = false`.
//!
//! # Example
//!
//! ```
//! use gigaplot::{
//!     generate, render, AggregateSink, Colormap, ColumnSpec, Compression, GenerateOptions, NoProgress,
//!     PngSink, PointColumns, RenderOptions, Sink,
//! };
//!
//! # fn main() -> gigaplot::Result<()> {
//! let dir = std::env::temp_dir().join(format!("gigaplot-doc-{}", std::process::id()));
//! let files = generate(&GenerateOptions { points: 100_000, seed: 1, out_dir: dir.clone() }, &NoProgress)?;
//! let points = PointColumns::open(&ColumnSpec::parse(files.x.to_str().unwrap()),
//!                                 &ColumnSpec::parse(files.y.to_str().unwrap()))?;
//! let options = RenderOptions {
//!     width: 800,
//!     height: 600,
//!     x_range: Some((-10.0, 10.0)),
//!     y_range: Some((-10.0, 10.0)),
//!     cmap: Colormap::by_name("inferno").unwrap(),
//!     ..RenderOptions::default()
//! };
//! let sinks: Vec<Box<dyn Sink>> = vec![
//!     Box::new(PngSink::new(&dir.join("plot.png"), Compression::Fast)),
//!     Box::new(AggregateSink::new(&dir.join("counts.npy"))),
//! ];
//! let report = render(&points, &options, sinks, &NoProgress)?;
//! assert!(report.plotted > 90_000);
//! assert!(dir.join("plot.png").exists());
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
//!
//! Columns already in memory render the same way, without files, into an array in memory:
//!
//! ```
//! use gigaplot::{render, AggregateArraySink, MemoryColumn, NoProgress, PointColumns, RenderOptions, Sink};
//!
//! # fn main() -> gigaplot::Result<()> {
//! let xs: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.37).sin()).collect();
//! let ys: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.21).cos()).collect();
//! let points = PointColumns::from_sources(
//!     Box::new(MemoryColumn::new("x", &xs[..])), // borrowed
//!     Box::new(MemoryColumn::new("y", ys)),      // owned
//! )?;
//! let options = RenderOptions { width: 64, height: 48, ..RenderOptions::default() };
//! let (sink, counts) = AggregateArraySink::new();
//! let report = render(&points, &options, vec![Box::new(sink) as Box<dyn Sink>], &NoProgress)?;
//! assert_eq!(report.plotted, 1000);
//! let counts = counts.take().expect("the render finished").values::<u32>()?;
//! assert_eq!(counts.iter().map(|&c| u64::from(c)).sum::<u64>(), 1000);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

#[macro_use]
pub mod error;

// gigaplot's internals: public only for its own binary, tests, benchmarks and fuzz
// targets, hidden from the documentation and not part of the API (they change without
// notice). Users go through the items re-exported below.
#[doc(hidden)]
pub mod canvas;
#[doc(hidden)]
pub mod data;
#[doc(hidden)]
pub mod figure;
#[doc(hidden)]
pub mod glyph;
#[doc(hidden)]
pub mod io;
#[doc(hidden)]
pub mod partition;
#[doc(hidden)]
pub mod progress;
#[doc(hidden)]
pub mod pyramid;
#[doc(hidden)]
pub mod reduce;
#[doc(hidden)]
pub mod render;
#[doc(hidden)]
pub mod shade;
#[doc(hidden)]
pub mod sink;
#[cfg(test)]
mod test_data;

// Errors.
pub use error::{Error, Field, Problem, Result, Spelling};

// Entry points and their results.
pub use data::generate::{generate, GenerateOptions, GeneratedFiles};
pub use io::preflight::check_render_disk_space;
/// A deep-zoom pyramid in one call: the option checks, the statistics pass (unless
/// statistics are given) and the render into the tiles (and any other sinks).
pub use pyramid::{compute_stats, render_pyramid, PyramidReport};
pub use pyramid::{PyramidSummary, StatsBuilder, StatsSink};
pub use render::{render, render_raster, RenderReport};

// Options.
pub use canvas::Scale;
/// The legend entries of a count-cat figure ([`FigureSpec::legend`]).
pub use figure::category_legend;
pub use figure::{AxisSpec, ColorbarPosition, ColorbarSpec, FigureSpec};
pub use glyph::raster::{Downsample, Origin, RasterPlacement, Upsample};
pub use pyramid::{
    InputKey, PyramidFormat, PyramidOptions, PyramidStats, ShardSpec, StatsKey, TileSpread, ViewerAssets,
    DEFAULT_PYRAMID_TILE,
};
pub use reduce::Reduction;
pub use render::{Glyph, RasterInput, RenderOptions, DEFAULT_MEMORY_BUDGET, DEFAULT_TILE, MAX_CATEGORIES};
pub use shade::{Color, Colormap, Dynspread, How, Shape as SpreadShape, Spreader};

// Sources.
#[cfg(feature = "arrow")]
pub use data::arrow::arrow_column;
pub use data::grid::Grid;
pub use data::projection::Projection;
pub use data::table::{describe as describe_table, open_column, ColumnInfo, TableInfo};
pub use data::{
    summarize, ColumnSpec, ColumnSummary, DType, Format, MemoryColumn, NpyColumn, PointColumns, Source,
};

// Sinks.
pub use figure::FigureSink;
pub use pyramid::{PyramidSink, PyramidWriter};
pub use sink::aggregate_array::Element;
pub use sink::{
    AggregateArray, AggregateArraySink, AggregateSink, Band, CanvasInfo, Compression, Finished, PngSink,
    RgbaImage, RgbaSink, Sink, SpreadSink, IN_MEMORY_LIMIT,
};

// Progress.
pub use progress::{NoProgress, Progress};
