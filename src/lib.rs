//! gigaplot renders plots of billions of points into gigapixel images in bounded memory.
//!
//! Matplotlib keeps the whole RGBA canvas in memory and Datashader the whole aggregate (and
//! float64 copies of it while shading), so both run out of memory long before a 65536 x 65536
//! figure. gigaplot never holds more than a band of the canvas: peak memory is set by a
//! budget and the canvas width, not by the canvas height or the number of points.
//!
//! # The pipeline
//!
//! A render is a story in six stages, one private module each; the API is the items
//! re-exported at the root, and four namespaces that group items by topic ([`npy`],
//! [`cleanup`], `serve`, [`shading`]):
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
//!    Datashader's anti-aliased forms), first to gather the GLOBAL statistics, then
//!    to shade with them (Datashader's `shade` semantics, [`How`]: eq-hist, linear, log,
//!    cbrt), so there are no seams and eq-hist is consistent across the canvas. A band's
//!    cells are kept between the two (in memory or the scratch file) when that is cheaper
//!    than folding its records again; counts of canvases too large for the budget are
//!    gathered in one compact pass (a byte per pixel and an exact side table).
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
//! it implies `serve`, the pyramid's HTTP server (`gigaplot::serve`, on tokio and hyper).
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
mod error;

// gigaplot's internals, one module per stage of the pipeline: private, so the API is the
// items re-exported below and the few namespaces after them (`npy`, `cleanup`, `serve`),
// which group items a program (such as gigaplot's own command line) reaches for by topic.
mod canvas;
mod data;
mod figure;
mod glyph;
mod huge_pages;
mod io;
mod parallel;
mod partition;
mod progress;
mod pyramid;
mod reduce;
mod render;
mod shade;
mod sink;
#[cfg(test)]
mod test_data;

// Errors.
pub use error::{Error, Field, LibrarySpelling, Problem, Result, Spelling};

// Entry points and their results.
/// The canvas cut into tiles and bands ([`RenderReport::plan`]).
pub use canvas::Plan;
pub use data::generate::{generate, GenerateOptions, GeneratedFiles};
pub use io::preflight::check_render_disk_space;
/// A deep-zoom pyramid of a raster: every level resampled from the raster onto its canvas.
pub use pyramid::render_raster_pyramid;
/// Statistics files of pyramids of any reduction (format version 3): computed per shard,
/// merged, and given to the shards so each reads only its own rows.
pub use pyramid::{compute_level_stats, LevelStatsFile};
/// A deep-zoom pyramid in one call: the option checks, the statistics pass (unless
/// statistics are given) and the render into the tiles (and any other sinks).
pub use pyramid::{compute_stats, render_pyramid, PyramidReport};
/// What a pyramid's `metadata.json` says (levels, extents, colormap), read back.
pub use pyramid::{metadata::Extent as PyramidExtent, PyramidMetadata};
pub use pyramid::{PyramidPlan, PyramidSummary, StatsBuilder, StatsSink};
pub use render::{aggregate_by, render, render_raster, thumbnail_size, RenderReport, Warning};
/// How close (largest channel difference, 0-255) a shaded pixel may come to the
/// background before [`Warning::Invisible`] counts it as unseen.
pub use shade::visibility::FAINT_LEVELS;
pub use shade::Invisible;

// Options, and the parsers of their text forms (shared by the command line and Python).
pub use canvas::{parse_range, parse_size, Scale};
/// The legend entries of a count-cat figure ([`FigureSpec::legend`]).
pub use figure::category_legend;
pub use figure::{AxisSpec, ColorbarPosition, ColorbarSpec, FigureSpec, ImageOutput, ImageSpread};
pub use glyph::raster::parse_extent;
pub use glyph::raster::{Downsample, Origin, RasterPlacement, Upsample};
pub use pyramid::{
    InputKey, PyramidFormat, PyramidOptions, PyramidStats, ShardSpec, StatsKey, TileSpread, ViewerAssets,
    DEFAULT_PYRAMID_TILE,
};
pub use reduce::Reduction;
pub use render::{Glyph, RasterInput, RenderOptions, DEFAULT_MEMORY_BUDGET, DEFAULT_TILE, MAX_CATEGORIES};
pub use shade::category::parse_color_key;
pub use shade::{Color, Colormap, Dynspread, How, Shape as SpreadShape, Spreader};

// Sources.
#[cfg(feature = "arrow")]
pub use data::arrow::arrow_column;
pub use data::format::parse_delimiter;
pub use data::grid::Grid;
pub use data::memory::MemoryValues;
pub use data::projection::Projection;
pub use data::series_layout::{Placement, SeriesLayout};
pub use data::source::{ColumnReader, Floats};
pub use data::table::{describe as describe_table, open_column, scan as scan_column, ColumnInfo, TableInfo};
pub use data::{
    summarize, ColumnSpec, ColumnSummary, DType, Format, MemoryColumn, NpyColumn, PointColumns, Source,
};

// Sinks, and the files they write.
pub use figure::FigureSink;
pub use io::AtomicFile;
pub use pyramid::{PyramidSink, PyramidWriter};
/// The pixel layout a sink asks [`Band::shade_row`] for.
pub use shade::PixelFormat;
pub use sink::aggregate_array::Element;
pub use sink::{
    AggregateArray, AggregateArraySink, AggregateSink, AttachedFile, Band, CanvasInfo, Compression, Finished,
    PngSink, RgbaImage, RgbaSink, Sink, SpreadSink, IN_MEMORY_LIMIT,
};

// Progress.
pub use progress::{NoProgress, Progress};

/// The `.npy` format gigaplot reads: the header of a file (to see a 2-D array's shape
/// before opening its columns) and the headers a program writes before its values.
pub mod npy {
    pub use crate::data::npy::{encode_header, encode_header_in_order, ArrayShape, NpyHeader};
}

/// Longitude and latitude on web maps (`--projection web-mercator`): the Mercator ordinate
/// in degree units, the world's range, and the point columns seen through the projection.
pub mod projection {
    pub use crate::data::projection::{
        latitude, mercator_y, web_mercator, Projection, MAX_LATITUDE, MAX_ZOOM, WORLD,
    };
}

/// What a program (not a library) installs so that no temporary file outlives it: fault
/// handlers (`SIGBUS` on a truncated mapped input, `SIGXFSZ`) and an async-signal-safe exit
/// for a second interrupt. The library never installs signal handlers itself.
pub mod cleanup {
    pub use crate::io::cleanup::{emergency_exit, install_fault_handlers, SIGBUS_EXIT_CODE};
}

/// The pyramid's static HTTP server (`gigaplot serve`): serves a pyramid directory on a
/// local address, with byte ranges, and never follows a symlink out of it.
#[cfg(feature = "serve")]
pub mod serve {
    pub use crate::pyramid::serve::{RequestLog, StaticServer, StopHandle, DEFAULT_ADDR};
}

/// Datashader's shading on aggregates and images already in memory (`tf.shade`,
/// `tf.dynspread`'s choice), for front ends that aggregate once and shade several ways
/// (the Python package): the same bytes a render of the same aggregate writes.
pub mod shading {
    pub use crate::shade::array::{shade_categories, shade_counts, shade_values};
    pub use crate::shade::category::default_color_key;
    pub use crate::shade::{DensityStats, ShadeStyle};
}

/// The kernels `benches/kernels.rs` measures and the parsers the fuzz targets (`fuzz/`)
/// feed: not part of the API, hidden from the documentation, changed without notice.
#[doc(hidden)]
pub mod __bench {
    pub use crate::canvas::{Axis, Plan};
    pub use crate::glyph::pixel_index::{Isa, PixelIndex};
    pub use crate::glyph::points::INDEX_RUN;
    pub use crate::glyph::{PointBinner, Points};
    pub use crate::partition::{partition, Binner};
    #[cfg(feature = "serve")]
    pub use crate::pyramid::serve::{byte_range, resolve, ByteRange};
    pub use crate::pyramid::ShardPlan;
    pub use crate::reduce::Count;
    pub use crate::render::BandCells;
    pub use crate::render::Tally;
    pub use crate::shade::Palette;
    pub use crate::shade::{CountHistogram, CountShader, PixelFormat};
    pub use crate::sink::deflate::{compress_segment, MatchHints};
    pub use crate::sink::png::SEGMENT_TARGET_BYTES;
    pub use crate::sink::PngWriter;
}
