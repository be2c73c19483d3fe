//! The command-line interface, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use gigaplot::{
    parse_color_key, parse_extent, parse_range, parse_size, Color, Colormap, ColumnSpec, Compression,
    Downsample, Glyph, How, Origin, Reduction, Scale, SpreadShape as Shape, Upsample,
};

/// Render plots of billions of points to gigapixel PNGs in bounded memory.
#[derive(Debug, Parser)]
#[command(name = "gigaplot", version, about, long_about = None)]
pub struct Cli {
    /// No progress bar and no summary on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render points from .npy columns or a table's columns (Parquet, Arrow, CSV) to a PNG.
    #[command(after_help = RENDER_EXAMPLES)]
    Render(Box<RenderArgs>),
    /// Show dtype, shape, min, max and NaN count of .npy columns, or a table's columns.
    #[command(
        after_help = "Examples:\n  gigaplot info pts/x.npy pts/xy.npy:1\n  gigaplot info trips.parquet"
    )]
    Info(InfoArgs),
    /// Compute a pyramid's global shading statistics (or merge shards' parts) into JSON.
    #[command(
        after_help = "Examples:\n  gigaplot stats --x x.npy --y y.npy --width 65536 --height 65536 --x-range -10,10 --y-range -10,10 --shard 0/4 -o part0.json\n  gigaplot stats --merge part0.json part1.json part2.json part3.json -o stats.json"
    )]
    Stats(Box<StatsArgs>),
    /// Serve a pyramid directory on localhost for the browser viewer.
    #[command(after_help = "Example:\n  gigaplot serve pyr/   # then open http://127.0.0.1:8000/")]
    Serve(ServeArgs),
    /// Write a deterministic synthetic point set (x.npy, y.npy, float32).
    #[command(after_help = "Example:\n  gigaplot generate --points 100000000 --out pts/")]
    Generate(GenerateArgs),
}

const RENDER_EXAMPLES: &str = "Examples:
  gigaplot render trips.parquet --x pickup_lon --y pickup_lat -o trips.png
  gigaplot render --x trips.arrow:lon --y trips.arrow:lat --agg mean --value trips.arrow:fare -o fare.png
  gigaplot render --x pts/x.npy --y pts/y.npy --width 40000 --height 40000 -o big.png
  gigaplot render --x pts/x.npy --y pts/y.npy --width 4000 --height 3000 \\
      --x-range -10,10 --y-range -10,10 --how log --cmap inferno --background black \\
      --tile 256 --threads 2 --memory 256MiB -o small.png --agg-out counts.npy";

/// Arguments of `render`.
///
/// Flags that would be ignored in a combination (a `--shard` without `--pyramid`) are
/// refused by [`super::combos::check_render`], which names them.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A table file (.parquet, .arrow/.feather/.ipc, .arrows, .csv/.tsv) whose columns
    /// --x, --y, --value and --category name.
    #[arg(value_name = "TABLE", conflicts_with = "raster")]
    pub table: Option<PathBuf>,
    /// x column: FILE.npy, FILE.npy:K (column K of a 2-D array), TABLE:COLUMN, or a COLUMN
    /// of the TABLE given first.
    #[arg(long, value_parser = parse_column, required_unless_present = "raster")]
    pub x: Option<ColumnSpec>,
    /// y column: FILE.npy, FILE.npy:K, TABLE:COLUMN or a COLUMN of TABLE.
    #[arg(long, value_parser = parse_column, required_unless_present = "raster")]
    pub y: Option<ColumnSpec>,
    #[command(flatten)]
    pub raster: RasterArgs,
    /// Canvas width in pixels (up to 2147483647).
    #[arg(long, default_value_t = 2000)]
    pub width: u32,
    /// Canvas height in pixels (up to 2147483647).
    #[arg(long, default_value_t = 2000)]
    pub height: u32,
    /// x data range LO,HI; default: min and max of the data.
    #[arg(long, value_parser = parse_range, allow_hyphen_values = true)]
    pub x_range: Option<(f64, f64)>,
    /// y data range LO,HI; default: min and max of the data.
    #[arg(long, value_parser = parse_range, allow_hyphen_values = true)]
    pub y_range: Option<(f64, f64)>,
    /// x axis scale: linear or log (bins equal in log10).
    #[arg(long, default_value = "linear")]
    pub x_scale: Scale,
    /// y axis scale: linear or log.
    #[arg(long, default_value = "linear")]
    pub y_scale: Scale,
    /// What to draw: points, or lines joining consecutive points (NaN breaks a line). For
    /// lines, a 2-D (N, K) --x or --y named without :K draws K lines, one per column (a 1-D
    /// column of N values is shared by all).
    #[arg(long, default_value = "points")]
    pub glyph: Glyph,
    /// For --glyph lines: the 1-D --x and --y hold K series of equal length back to back
    /// (as a Fortran-order (N, K) array); draws K separate lines in one pass.
    #[arg(long, value_name = "K")]
    pub series: Option<usize>,
    /// Line width in pixels for --glyph lines: 0 draws width-0 lines; more draws
    /// Datashader's anti-aliased lines (values weighed by coverage; no var, std).
    #[arg(long, default_value_t = 0.0)]
    pub line_width: f64,
    /// Reduction per pixel: count, any, sum, mean, var, std, min, max, first, last (of
    /// --value), or count-cat (one count per category of an integer --value column).
    #[arg(long = "agg", default_value = "count")]
    pub reduction: Reduction,
    /// Value column the reduction reads: FILE.npy, FILE.npy:K, TABLE:COLUMN or a COLUMN of
    /// TABLE (same length as x and y).
    #[arg(long, value_parser = parse_column)]
    pub value: Option<ColumnSpec>,
    /// Category column for count-cat (implies --agg count-cat): integer codes, or a
    /// dictionary-encoded string column whose strings label the legend.
    #[arg(long, value_parser = parse_column, conflicts_with = "value")]
    pub category: Option<ColumnSpec>,
    /// Field delimiter of CSV inputs, one character (default: tab for .tsv, else comma).
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Category colours for count-cat, comma-separated (default: Datashader's Sets1to3).
    // The path is spelled out so clap takes the parser's whole list as one value (a bare
    // `Vec<Color>` makes clap expect one Color per occurrence and panic when reading it).
    #[arg(long, value_name = "C1,C2,...", value_parser = parse_color_key)]
    pub color_key: Option<::std::vec::Vec<Color>>,
    /// Transfer function: eq-hist, linear, log or cbrt.
    #[arg(long, default_value = "eq-hist")]
    pub how: How,
    /// Colormap: datashader, viridis, inferno, magma, plasma, cividis, fire, gray (add _r to
    /// reverse), or a list of colours '#add8e6,#00008b'; :LO[:HI] keeps part of it, e.g.
    /// fire:0.2 (Datashader's fire[51:]) so the lowest values do not vanish into a black
    /// background.
    #[arg(long, default_value = "datashader", value_parser = Colormap::parse)]
    pub cmap: Colormap,
    /// Colour of empty pixels: transparent, a CSS name or #rrggbb[aa].
    #[arg(long, default_value = "transparent", value_parser = Color::parse)]
    pub background: Color,
    /// Tile side in pixels (the unit of parallel work; does not change the output).
    #[arg(long, default_value_t = gigaplot::DEFAULT_TILE)]
    pub tile: u32,
    /// Worker threads (default: all cores; does not change the output).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Peak memory budget, e.g. 256MiB or 2GiB.
    #[arg(long, default_value = "256MiB", value_parser = parse_size)]
    pub memory: u64,
    /// Output PNG, a name ending in .png (optional with --pyramid).
    #[arg(long, short, value_name = "FILE.png", required_unless_present = "pyramid", value_parser = parse_png_name)]
    pub output: Option<PathBuf>,
    /// Also write the raw aggregate as a .npy: (height, width), or (height, width, C) for
    /// count-cat; row 0 = top.
    #[arg(long, value_name = "FILE.npy", value_parser = parse_npy_name)]
    pub agg_out: Option<PathBuf>,
    /// Also write NAME.thumb.png beside -o: the same render with PX pixels on its longest
    /// side, aggregated from the data (a --bare image even when -o is a figure).
    #[arg(long, value_name = "PX", value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub thumbnail: Option<u32>,
    /// PNG compression: fast (default) or small.
    #[arg(long, default_value = "fast")]
    pub compression: Compression,
    /// Directory for the scratch file (default: the system temporary directory).
    #[arg(long)]
    pub scratch_dir: Option<PathBuf>,
    /// Print how long each stage of the render took.
    #[arg(long)]
    pub timings: bool,
    /// Spread every shaded pixel over a disc (or square) of PX pixels around it, as
    /// Datashader's tf.spread does, to make isolated points visible (the PNG only; 0..=255).
    #[arg(long, value_name = "PX", value_parser = clap::value_parser!(u32).range(0..=255))]
    pub spread: Option<u32>,
    /// Shape of --spread and --dynspread: circle or square.
    #[arg(long, default_value = "circle")]
    pub spread_shape: Shape,
    /// Spread as Datashader's tf.dynspread: by the largest PX up to --dynspread-max whose
    /// density (the share of non-empty pixels with another within 2 PX) stays at or below
    /// --dynspread-threshold, decided once for the whole canvas (the PNG only).
    #[arg(long)]
    pub dynspread: bool,
    /// Largest spread --dynspread considers, in pixels (Datashader's max_px; 0..=255).
    #[arg(long, value_name = "PX", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=255))]
    pub dynspread_max: u32,
    /// Density threshold of --dynspread, in [0, 1]: higher values spread more.
    #[arg(long, value_name = "T", default_value_t = 0.5, value_parser = parse_threshold, allow_hyphen_values = true)]
    pub dynspread_threshold: f64,
    #[command(flatten)]
    pub figure: FigureArgs,
    #[command(flatten)]
    pub pyramid: PyramidArgs,
    /// web-mercator: --x and --y are longitude and latitude in degrees, rendered in
    /// EPSG:3857 (latitudes beyond +-85.0511 dropped); --y-range is then in latitudes.
    #[arg(long, value_name = "PROJECTION", default_value = "none")]
    pub projection: gigaplot::projection::Projection,
}

/// Raster flags of `render`: a 2-D array instead of points.
#[derive(Debug, Args)]
pub struct RasterArgs {
    /// A 2-D .npy array (any numeric dtype) to render instead of points.
    #[arg(long, value_name = "GRID.npy", conflicts_with_all = ["x", "y", "value"])]
    pub raster: Option<PathBuf>,
    /// Data extent of the raster X0,X1,Y0,Y1 (default: 0,columns,0,rows).
    #[arg(long, value_parser = parse_extent, allow_hyphen_values = true)]
    pub extent: Option<(f64, f64, f64, f64)>,
    /// Which raster row is on top: upper (row 0 at Y1, like imshow) or lower.
    #[arg(long, default_value = "upper")]
    pub origin: Origin,
    /// How cells combine when several fall in a pixel: mean, min, max, first, last, mode.
    #[arg(long, default_value = "mean")]
    pub downsample: Downsample,
    /// How pixels smaller than a cell are filled: nearest or linear.
    #[arg(long, default_value = "linear")]
    pub upsample: Upsample,
}

/// Figure flags of `render`: axes and labels around the data area.
#[derive(Debug, Args)]
pub struct FigureArgs {
    /// The plain data image, without axes (what --agg-out always matches).
    #[arg(long)]
    pub bare: bool,
    /// Title above the plot.
    #[arg(long)]
    pub title: Option<String>,
    /// Label of the x axis.
    #[arg(long)]
    pub xlabel: Option<String>,
    /// Label of the y axis.
    #[arg(long)]
    pub ylabel: Option<String>,
    /// Text size in pixels (default: grows with the figure, readable at 1:1 zoom).
    #[arg(long)]
    pub font_size: Option<f32>,
    /// Grid lines at the major ticks.
    #[arg(long)]
    pub grid: bool,
    /// A colorbar of the shading, its ticks at data values (also under eq-hist and log).
    #[arg(long)]
    pub colorbar: bool,
    /// Names of the count-cat categories for the legend, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub labels: Option<Vec<String>>,
}

/// Deep-zoom pyramid flags of `render`.
#[derive(Debug, Args)]
pub struct PyramidArgs {
    /// Also write a slippy-map tile pyramid DIR/{z}/{x}/{y}.png with metadata.json and an
    /// index.html viewer (any reduction and glyph).
    #[arg(long, value_name = "DIR")]
    pub pyramid: Option<PathBuf>,
    /// Pyramid tile size in pixels.
    #[arg(long, value_name = "PX", default_value_t = gigaplot::DEFAULT_PYRAMID_TILE)]
    pub pyramid_tile: u32,
    /// Shade every zoom level with the statistics of this level.
    #[arg(long, value_name = "LEVEL")]
    pub span_from_level: Option<u32>,
    /// A local Leaflet (node_modules/leaflet/dist or above; node_modules/openseadragon for
    /// --pyramid-format dzi) to copy into the pyramid, so the viewer works offline.
    #[arg(long, value_name = "DIR")]
    pub viewer_assets: Option<PathBuf>,
    /// Global statistics from `gigaplot stats` (required with --shard).
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
    /// Write the statistics of the pyramid (of shard --shard I/N) to FILE instead of
    /// rendering it, for its shards' --stats (after stats --merge); any reduction but plain
    /// XYZ counts of points (gigaplot stats).
    #[arg(long, value_name = "FILE")]
    pub stats_out: Option<PathBuf>,
    /// Render only the tiles of shard I of N (0-based), e.g. 3/16.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Tile layout: xyz (DIR/{z}/{x}/{y}.png, Leaflet viewer) or dzi (DIR/pyramid.dzi and
    /// DIR/pyramid_files/, OpenSeadragon viewer).
    #[arg(long, value_name = "FORMAT", default_value = "xyz")]
    pub pyramid_format: gigaplot::PyramidFormat,
    /// Finest zoom of web-mercator tiles (--projection web-mercator): the canvas is then
    /// the world at 256 x 2^Z pixels square.
    #[arg(long, value_name = "Z", value_parser = clap::value_parser!(u32).range(0..=22))]
    pub max_zoom: Option<u32>,
    /// Basemap tile URL template ({z}/{x}/{y}) the viewer of web-mercator tiles shows under
    /// them, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png.
    #[arg(long, value_name = "URL-TEMPLATE")]
    pub basemap: Option<String>,
}

/// Arguments of `stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Statistics files of shards to merge into -o (instead of computing).
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with_all = ["x", "y"])]
    pub merge: Vec<PathBuf>,
    /// x column, as for render.
    #[arg(long, value_parser = parse_column, required_unless_present = "merge")]
    pub x: Option<ColumnSpec>,
    /// y column, as for render.
    #[arg(long, value_parser = parse_column, required_unless_present = "merge")]
    pub y: Option<ColumnSpec>,
    /// Canvas width, as for render.
    #[arg(long, default_value_t = 2000)]
    pub width: u32,
    /// Canvas height, as for render.
    #[arg(long, default_value_t = 2000)]
    pub height: u32,
    /// x data range LO,HI (required: every shard must use the same).
    #[arg(long, value_parser = parse_range, allow_hyphen_values = true, required_unless_present_any = ["merge", "max_zoom"])]
    pub x_range: Option<(f64, f64)>,
    /// y data range LO,HI.
    #[arg(long, value_parser = parse_range, allow_hyphen_values = true, required_unless_present_any = ["merge", "max_zoom"])]
    pub y_range: Option<(f64, f64)>,
    /// web-mercator: --x and --y are longitude and latitude, as for render; the canvas is
    /// then the world at --pyramid-tile x 2^Z pixels square (--max-zoom Z).
    #[arg(long, value_name = "PROJECTION", default_value = "none")]
    pub projection: gigaplot::projection::Projection,
    /// Finest zoom of web-mercator tiles, as for render (with --projection web-mercator).
    #[arg(long, value_name = "Z", value_parser = clap::value_parser!(u32).range(0..=22))]
    pub max_zoom: Option<u32>,
    /// Pyramid tile size in pixels.
    #[arg(long, value_name = "PX", default_value_t = gigaplot::DEFAULT_PYRAMID_TILE)]
    pub pyramid_tile: u32,
    /// Compute only shard I of N (0-based).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Worker threads.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Peak memory budget.
    #[arg(long, default_value = "256MiB", value_parser = parse_size)]
    pub memory: u64,
    /// Directory for the scratch file.
    #[arg(long)]
    pub scratch_dir: Option<PathBuf>,
    /// Output JSON.
    #[arg(long, short)]
    pub output: PathBuf,
}

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The pyramid directory.
    pub dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = gigaplot::serve::DEFAULT_ADDR)]
    pub addr: std::net::SocketAddr,
}

/// Arguments of `info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Columns: FILE.npy or FILE.npy:K (a 2-D file without :K shows every column), a table
    /// file (every column: name, type, rows, nulls, min, max) or TABLE:COLUMN.
    #[arg(required = true, value_parser = parse_column)]
    pub columns: Vec<ColumnSpec>,
    /// Field delimiter of CSV inputs, one character (default: tab for .tsv, else comma).
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of points.
    #[arg(long, default_value_t = 1_000_000)]
    pub points: u64,
    /// Output directory (receives x.npy and y.npy).
    #[arg(long, short, visible_alias = "out", value_name = "DIR")]
    pub output: PathBuf,
    /// Random seed; the same seed gives the same files on every machine.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// A `--dynspread-threshold`: a number in [0, 1].
fn parse_threshold(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(t) if (0.0..=1.0).contains(&t) => Ok(t),
        _ => Err("must be a number in [0, 1]".into()),
    }
}

/// A `--delimiter`: one ASCII character, or `tab` / `\\t`.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    gigaplot::parse_delimiter(text)
}

/// A column flag, `FILE.npy`, `FILE.npy:K` or `TABLE:COLUMN` (or a bare column name).
fn parse_column(text: &str) -> Result<ColumnSpec, String> {
    ColumnSpec::try_parse(text)
}

/// True when `path` ends in `.EXT` (any case).
fn has_extension(path: &std::path::Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// A `render -o` name: gigaplot writes PNG, so the name must say so.
fn parse_png_name(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if has_extension(&path, "png") {
        Ok(path)
    } else {
        Err("gigaplot writes PNG images; give a file name ending in .png".into())
    }
}

/// An `--agg-out` name: the aggregate is a NumPy array, so the name must end in `.npy`.
fn parse_npy_name(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if has_extension(&path, "npy") {
        Ok(path)
    } else {
        Err("the aggregate is written as a NumPy array; give a file name ending in .npy".into())
    }
}
