//! The command-line interface, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use gigaplot::canvas::{parse_range, parse_size, Scale};
use gigaplot::data::ColumnSpec;
use gigaplot::reduce::Reduction;
use gigaplot::shade::category::parse_color_key;
use gigaplot::shade::{Color, Colormap, How};
use gigaplot::sink::Compression;

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
    /// Render points from .npy columns to a PNG (and optionally the raw aggregate).
    #[command(after_help = RENDER_EXAMPLES)]
    Render(RenderArgs),
    /// Show dtype, shape, min, max and NaN count of .npy columns.
    #[command(after_help = "Example:\n  gigaplot info pts/x.npy pts/xy.npy:1")]
    Info(InfoArgs),
    /// Write a deterministic synthetic point set (x.npy, y.npy, float32).
    #[command(after_help = "Example:\n  gigaplot generate --points 100000000 --out pts/")]
    Generate(GenerateArgs),
}

const RENDER_EXAMPLES: &str = "Examples:
  gigaplot render --x pts/x.npy --y pts/y.npy --width 40000 --height 40000 -o big.png
  gigaplot render --x pts/x.npy --y pts/y.npy --width 4000 --height 3000 \\
      --x-range -10,10 --y-range -10,10 --how log --cmap inferno --background black \\
      --tile 256 --threads 2 --memory 256MiB -o small.png --agg-out counts.npy";

/// Arguments of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// x column: FILE.npy, or FILE.npy:K for column K of a 2-D array.
    #[arg(long, value_parser = parse_column)]
    pub x: ColumnSpec,
    /// y column: FILE.npy or FILE.npy:K.
    #[arg(long, value_parser = parse_column)]
    pub y: ColumnSpec,
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
    /// Reduction per pixel: count, any, sum, mean, var, std, min, max, first, last (of
    /// --value), or count-cat (one count per category of an integer --value column).
    #[arg(long = "agg", default_value = "count")]
    pub reduction: Reduction,
    /// Value column the reduction reads: FILE.npy or FILE.npy:K (same length as x and y).
    #[arg(long, value_parser = parse_column)]
    pub value: Option<ColumnSpec>,
    /// Category colours for count-cat, comma-separated (default: Datashader's Sets1to3).
    #[arg(long, value_parser = parse_color_key)]
    pub color_key: Option<Vec<Color>>,
    /// Transfer function: eq-hist, linear, log or cbrt.
    #[arg(long, default_value = "eq-hist")]
    pub how: How,
    /// Colormap: datashader, viridis, inferno, magma, plasma, cividis, fire, gray; add _r
    /// to reverse.
    #[arg(long, default_value = "datashader", value_parser = Colormap::by_name)]
    pub cmap: Colormap,
    /// Colour of empty pixels: transparent, a CSS name or #rrggbb[aa].
    #[arg(long, default_value = "transparent", value_parser = Color::parse)]
    pub background: Color,
    /// Tile side in pixels (the unit of parallel work; does not change the output).
    #[arg(long, default_value_t = gigaplot::render::DEFAULT_TILE)]
    pub tile: u32,
    /// Worker threads (default: all cores; does not change the output).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Peak memory budget, e.g. 256MiB or 2GiB.
    #[arg(long, default_value = "256MiB", value_parser = parse_size)]
    pub memory: u64,
    /// Output PNG.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Also write the raw count aggregate as a (height, width) uint32 .npy, row 0 = top.
    #[arg(long)]
    pub agg_out: Option<PathBuf>,
    /// PNG compression: fast (default) or small.
    #[arg(long, default_value = "fast")]
    pub compression: Compression,
    /// Directory for the scratch file (default: the system temporary directory).
    #[arg(long)]
    pub scratch_dir: Option<PathBuf>,
    /// Print how long each stage of the render took.
    #[arg(long)]
    pub timings: bool,
}

/// Arguments of `info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Columns: FILE.npy or FILE.npy:K (a 2-D file without :K shows every column).
    #[arg(required = true, value_parser = parse_column)]
    pub columns: Vec<ColumnSpec>,
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of points.
    #[arg(long, default_value_t = 1_000_000)]
    pub points: u64,
    /// Output directory (receives x.npy and y.npy).
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed; the same seed gives the same files on every machine.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

fn parse_column(text: &str) -> Result<ColumnSpec, String> {
    if text.is_empty() {
        return Err("an empty file name".into());
    }
    Ok(ColumnSpec::parse(text))
}
