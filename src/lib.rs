//! gigaplot renders plots of billions of points into gigapixel images in bounded memory.
//!
//! Matplotlib keeps the whole RGBA canvas in memory and Datashader the whole aggregate (and
//! float64 copies of it while shading), so both run out of memory long before a 65536 x 65536
//! figure. gigaplot never holds more than a band of the canvas: peak memory is set by a
//! budget and the canvas width, not by the canvas height or the number of points.
//!
//! # The pipeline
//!
//! A render is a story in six stages, one module each:
//!
//! 1. [`data`]: every column comes through one abstraction, a [`data::Source`]: `.npy`
//!    files memory-mapped and read zero-copy in bounded chunks whose pages are released
//!    after use ([`data::NpyColumn`]; mapped pages count as RSS), or slices and vectors
//!    already in memory ([`data::MemoryColumn`]). For lines, 2-D arrays hold several series
//!    ([`data::series_layout`]); rasters are 2-D arrays read row by row ([`data::grid`]).
//! 2. [`canvas`]: the data ranges map onto pixels with Datashader's exact binning rule, and
//!    a [`canvas::Plan`] cuts the canvas into tiles (the unit of parallel work) and bands
//!    (the unit of streaming) sized by the memory budget; [`canvas::TileLayout`] says where
//!    each tile of a band lives in its buffer.
//! 3. [`glyph`] and [`partition`]: a [`glyph::Glyph`] (points, width-0 lines, anti-aliased
//!    lines) turns each item into a record on the GLOBAL pixel grid, and one pass buckets
//!    the records by band into blocks of a scratch file, so each band later reads only its
//!    own records: O(N) in the data, whatever the number of bands. Rasters need no
//!    partition: a band resamples the rows it covers.
//! 4. [`reduce`] and [`shade`]: every band's records are routed to their tiles and drawn
//!    as fragments that a [`reduce::Reducer`] folds into per-pixel cells, tiles in
//!    parallel (count, any, sum, mean, var, std, min, max, first, last, count-cat, and
//!    Datashader's anti-aliased forms), first to gather the GLOBAL statistics, then again to
//!    shade with them (Datashader's `shade` semantics: eq-hist, linear, log, cbrt), so there
//!    are no seams and eq-hist is consistent across the canvas. What follows aggregation
//!    depends only on a reduction's [`shade::Family`]: integer counts, float values,
//!    integer or float categories.
//! 5. [`figure`]: axes, ticks, labels, title, colorbar and legend around the data area, drawn
//!    band by band from a display list.
//! 6. [`sink`]: finished bands stream into sinks: a PNG compressed on all cores in fixed
//!    segments joined into one zlib stream, the raw aggregate as `.npy`, a deep-zoom tile
//!    [`pyramid`]; spreading (`spread`, `dynspread` with its one global decision) is a sink
//!    adapter over the shaded rows. Sinks write to any `Write` (a file, a `Vec<u8>`, a
//!    socket) or keep the canvas in memory ([`sink::RgbaImage`], [`sink::AggregateArray`]).
//!
//! Every stage that touches the disk goes through [`io`]: files are written under
//! temporary names (created safely in shared directories) and renamed together when
//! complete, a pyramid is written under a temporary directory and swapped in, temporaries
//! are removed on signals and faults, and a render that cannot fit on the disk fails before
//! it starts.
//!
//! [`render::render`] and [`render::render_raster`] run the passes: one generic driver for
//! any (glyph, reduction) pair, the pairs declared once in a table (`render/table.rs`).
//! The output is byte-identical whatever the tile size and thread count: records keep
//! input order within a band, tiles are laid out on the global grid, and the PNG is cut
//! into segments at fixed rows. `docs/ARCHITECTURE.md` says which files adding a glyph, a
//! reduction, a source or a sink touches.
//!
//! # Example
//!
//! ```
//! use gigaplot::data::{ColumnSpec, PointColumns};
//! use gigaplot::data::generate::{generate, GenerateOptions};
//! use gigaplot::progress::NoProgress;
//! use gigaplot::render::{render, RenderOptions};
//! use gigaplot::shade::Colormap;
//! use gigaplot::sink::{AggregateSink, Compression, PngSink, Sink};
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
//! Columns already in memory render the same way, without files:
//!
//! ```
//! use gigaplot::data::{MemoryColumn, PointColumns};
//! use gigaplot::progress::NoProgress;
//! use gigaplot::render::{render, RenderOptions};
//! use gigaplot::sink::{AggregateSink, Sink};
//!
//! # fn main() -> gigaplot::Result<()> {
//! let xs: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.37).sin()).collect();
//! let ys: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.21).cos()).collect();
//! let points = PointColumns::from_sources(
//!     Box::new(MemoryColumn::new("x", &xs[..])), // borrowed
//!     Box::new(MemoryColumn::new("y", ys)),      // owned
//! )?;
//! let dir = std::env::temp_dir().join(format!("gigaplot-doc-memory-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).map_err(|e| gigaplot::Error::io(&dir, e))?;
//! let options = RenderOptions { width: 64, height: 48, ..RenderOptions::default() };
//! let sinks: Vec<Box<dyn Sink>> = vec![Box::new(AggregateSink::new(&dir.join("counts.npy")))];
//! let report = render(&points, &options, sinks, &NoProgress)?;
//! assert_eq!(report.plotted, 1000);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

#[macro_use]
pub mod error;
pub mod canvas;
pub mod data;
pub mod figure;
pub mod glyph;
pub mod io;
pub mod partition;
pub mod progress;
pub mod pyramid;
pub mod reduce;
pub mod render;
pub mod shade;
pub mod sink;
#[cfg(test)]
mod test_data;

pub use error::{Error, Result};
