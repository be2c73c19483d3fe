//! The one error type of the library.
//!
//! Every variant names the file, the option field or the object at fault and says what was
//! wrong, so a caller can print it as a single line. Nothing a user controls makes the
//! library panic.
//!
//! Options are named by their library field ([`Field`]: `x_range`, `memory_budget`,
//! `pyramid.dir`), never by a command-line flag: [`Error`]'s `Display` spells them as a
//! library (or Python) user writes them. A front end that names them otherwise (the
//! command line's `--x-range`, `--memory`, `--pyramid`) renders the same error with its own
//! [`Spelling`] through [`Error::spelled`]; sentences that mention other fields carry them
//! typed too ([`Problem`]), so the whole line follows the front end's vocabulary.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// Result alias used throughout gigaplot.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a render, each naming its cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error on a named file (open, map, read, write, rename).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file the operation was on.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// An input file exists but is not something gigaplot can read (bad .npy header, wrong
    /// dtype, truncated data, mismatched lengths...).
    #[error("{}: {problem}", path.display())]
    BadInput {
        /// The offending file (with `:K` when a column of a 2-D array was selected).
        path: PathBuf,
        /// One sentence saying what is wrong with it.
        problem: Problem,
    },
    /// An option field has a value that cannot work, alone or with the others: a range that
    /// is empty or not finite, a size beyond what PNG or the address space holds, a thread
    /// count of 0, a combination the render does not support.
    #[error("{field}: {problem}")]
    BadParameter {
        /// The option field, e.g. [`Field::XRange`].
        field: Field,
        /// One sentence saying what is wrong and what would be accepted.
        problem: Problem,
    },
    /// An output path cannot be written as asked: it is not a regular file (a FIFO, a
    /// device, a symbolic link), not a file name, or a directory holding files that are
    /// not gigaplot's to replace.
    #[error("{}: {problem}", path.display())]
    BadOutput {
        /// The output path.
        path: PathBuf,
        /// One sentence saying what is wrong with it.
        problem: Problem,
    },
    /// A library object was used in a way it does not support: a sink fed before `begin` or
    /// with bands out of order, an in-memory sink over its size limit, an array read as the
    /// wrong element type.
    #[error("{what}: {problem}")]
    Usage {
        /// The object, e.g. `RgbaSink`.
        what: String,
        /// One sentence saying what went wrong.
        problem: String,
    },
    /// The memory budget cannot hold even one band of the canvas: a band of one row needs
    /// the row's cells, tile buffers for every thread and the encoders' rows.
    #[error("{}: {}", Field::MemoryBudget, budget_problem(.budget, .width, .threads, .minimum, .minimum_mib))]
    BudgetTooSmall {
        /// The budget given, in bytes.
        budget: u64,
        /// The canvas width in pixels.
        width: u64,
        /// The worker threads planned for (each takes its own buffers).
        threads: usize,
        /// The smallest budget that would work, in bytes.
        minimum: u64,
        /// The same in MiB, rounded up.
        minimum_mib: u64,
    },
    /// Not enough free disk space for the scratch files or the output, estimated from the
    /// records and cells the render writes before it starts.
    #[error(
        "{}: not enough free disk space: about {needed} bytes needed, {available} available",
        path.display()
    )]
    DiskSpace {
        /// The directory that lacks space.
        path: PathBuf,
        /// Estimated bytes needed.
        needed: u64,
        /// Bytes available there.
        available: u64,
    },
    /// An input file changed size or contents while it was being read.
    #[error("{}: the file changed while it was being read; render again", path.display())]
    InputChanged {
        /// The file that changed.
        path: PathBuf,
    },
    /// The render was stopped by a signal (Ctrl-C, SIGTERM) or a cancel request.
    #[error("interrupted; no output was written")]
    Interrupted,
}

/// The sentence of [`Error::BudgetTooSmall`] after the field.
fn budget_problem(budget: &u64, width: &u64, threads: &usize, minimum: &u64, minimum_mib: &u64) -> String {
    let (workers, fewer) = match threads {
        1 => ("1 worker thread".to_string(), ""),
        n => (format!("{n} worker threads"), ", or fewer threads"),
    };
    format!(
        "a budget of {budget} bytes cannot hold one band of a {width}-pixel-wide canvas beside \
         {workers}; at least {minimum} bytes ({minimum_mib} MiB) are needed{fewer}"
    )
}

impl Error {
    /// An [`Error::Io`] on `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// An [`Error::BadInput`] on `path`.
    pub fn bad_input(path: impl Into<PathBuf>, problem: impl Into<Problem>) -> Self {
        Error::BadInput { path: path.into(), problem: problem.into() }
    }

    /// An [`Error::BadParameter`] for the option field `field`.
    pub fn bad_parameter(field: Field, problem: impl Into<Problem>) -> Self {
        Error::BadParameter { field, problem: problem.into() }
    }

    /// An [`Error::BadOutput`] on `path`.
    pub fn bad_output(path: impl Into<PathBuf>, problem: impl Into<Problem>) -> Self {
        Error::BadOutput { path: path.into(), problem: problem.into() }
    }

    /// An [`Error::Usage`] of the object `what`.
    pub fn usage(what: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::Usage { what: what.into(), problem: problem.into() }
    }

    /// The error as one line with option fields spelled by `spelling` (the command line's
    /// flags, say); `to_string()` is the same with the library's field names.
    pub fn spelled(&self, spelling: &dyn Spelling) -> String {
        match self {
            Error::BadInput { path, problem } | Error::BadOutput { path, problem } => {
                format!("{}: {}", path.display(), problem.spelled(spelling))
            }
            Error::BadParameter { field, problem } => {
                format!("{}: {}", spelling.field(*field), problem.spelled(spelling))
            }
            Error::BudgetTooSmall { budget, width, threads, minimum, minimum_mib } => format!(
                "{}: {}",
                spelling.field(Field::MemoryBudget),
                budget_problem(budget, width, threads, minimum, minimum_mib)
            ),
            other => other.to_string(),
        }
    }
}

/// An option field that errors name, spelled by the library as [`Field::name`] and by a
/// front end as its [`Spelling`] says. Fields of nested options read `pyramid.dir`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Field {
    /// `RenderOptions::width`: canvas width in pixels.
    Width,
    /// `RenderOptions::height`: canvas height in pixels.
    Height,
    /// Width and height together (a figure's data area).
    Size,
    /// `RenderOptions::x_range`.
    XRange,
    /// `RenderOptions::y_range`.
    YRange,
    /// `RenderOptions::tile`: the tile side.
    Tile,
    /// `RenderOptions::threads`.
    Threads,
    /// `RenderOptions::memory_budget`.
    MemoryBudget,
    /// `RenderOptions::scratch_dir`.
    ScratchDir,
    /// `RenderOptions::reduction`.
    Reduction,
    /// `RenderOptions::glyph`.
    Glyph,
    /// `RenderOptions::line_width`.
    LineWidth,
    /// `RenderOptions::color_key`.
    ColorKey,
    /// `RenderOptions::dynspread`.
    Dynspread,
    /// `Dynspread::max_px`.
    DynspreadMax,
    /// `Dynspread::threshold`.
    DynspreadThreshold,
    /// The value column of `PointColumns` (what value reductions read).
    Value,
    /// The number of series of `PointColumns::open_series` (1-D columns holding K series).
    Series,
    /// The spread of a `SpreadSink` in pixels.
    Spread,
    /// `RasterPlacement::extent`.
    Extent,
    /// `FigureSpec::font_size`.
    FontSize,
    /// `GenerateOptions::points`.
    Points,
    /// `PyramidOptions::dir`.
    PyramidDir,
    /// `PyramidOptions::tile` (the pyramid's tile side).
    PyramidTile,
    /// `PyramidOptions::span_from_level`.
    SpanFromLevel,
    /// `PyramidOptions::viewer`.
    ViewerAssets,
    /// `PyramidOptions::shard`.
    Shard,
    /// `PyramidOptions::stats`: statistics computed beforehand.
    Stats,
    /// The statistics file [`crate::compute_level_stats`] writes (`--stats-out`).
    StatsOut,
    /// The statistics parts `PyramidStats::merge_all` merges.
    StatsParts,
    /// The address `serve` listens on.
    Addr,
    /// The finest zoom of web-mercator tiles ([`crate::projection::Projection::canvas`]).
    MaxZoom,
    /// The column of a table file a [`crate::ColumnSpec`] names (`ColumnSpec::in_table`).
    Column,
}

impl Field {
    /// The library's name of the field, as a Rust or Python user writes it.
    pub fn name(self) -> &'static str {
        match self {
            Field::Width => "width",
            Field::Height => "height",
            Field::Size => "width/height",
            Field::XRange => "x_range",
            Field::YRange => "y_range",
            Field::Tile => "tile",
            Field::Threads => "threads",
            Field::MemoryBudget => "memory_budget",
            Field::ScratchDir => "scratch_dir",
            Field::Reduction => "reduction",
            Field::Glyph => "glyph",
            Field::LineWidth => "line_width",
            Field::ColorKey => "color_key",
            Field::Dynspread => "dynspread",
            Field::DynspreadMax => "dynspread.max_px",
            Field::DynspreadThreshold => "dynspread.threshold",
            Field::Value => "value",
            Field::Series => "series",
            Field::Spread => "spread",
            Field::Extent => "extent",
            Field::FontSize => "figure.font_size",
            Field::Points => "points",
            Field::PyramidDir => "pyramid.dir",
            Field::PyramidTile => "pyramid.tile",
            Field::SpanFromLevel => "pyramid.span_from_level",
            Field::ViewerAssets => "pyramid.viewer",
            Field::Shard => "pyramid.shard",
            Field::Stats => "pyramid.stats",
            Field::StatsOut => "stats_out",
            Field::StatsParts => "parts",
            Field::Addr => "addr",
            Field::MaxZoom => "max_zoom",
            Field::Column => "column",
        }
    }

    /// Every field, for front ends that check their spelling covers them all.
    pub const ALL: [Field; 33] = [
        Field::Width,
        Field::Height,
        Field::Size,
        Field::XRange,
        Field::YRange,
        Field::Tile,
        Field::Threads,
        Field::MemoryBudget,
        Field::ScratchDir,
        Field::Reduction,
        Field::Glyph,
        Field::LineWidth,
        Field::ColorKey,
        Field::Dynspread,
        Field::DynspreadMax,
        Field::DynspreadThreshold,
        Field::Value,
        Field::Series,
        Field::Spread,
        Field::Extent,
        Field::FontSize,
        Field::Points,
        Field::PyramidDir,
        Field::PyramidTile,
        Field::SpanFromLevel,
        Field::ViewerAssets,
        Field::Shard,
        Field::Stats,
        Field::StatsOut,
        Field::StatsParts,
        Field::Addr,
        Field::Column,
        Field::MaxZoom,
    ];

    /// The piece "`field` set to `value`" of a sentence (`glyph=lines`; `--glyph lines` on
    /// the command line).
    pub fn set(self, value: impl fmt::Display) -> Piece {
        Piece::Setting(self, value.to_string())
    }

    /// The piece "how to give this field" of a sentence: its name for the library,
    /// the flag with its value (`--value FILE.npy`) or command for a front end.
    pub fn usage(self) -> Piece {
        Piece::Usage(self)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a front end spells the fields of an error (the library's own spelling is
/// [`LibrarySpelling`]).
pub trait Spelling {
    /// The field alone: `x_range`, `--x-range`.
    fn field(&self, field: Field) -> String;
    /// The field set to a value: `glyph=lines`, `--glyph lines`.
    fn setting(&self, field: Field, value: &str) -> String;
    /// How the field is given: `value`, `--value FILE.npy`.
    fn usage(&self, field: Field) -> String;
}

/// The library's spelling: field names, `name=value`, and `PyramidStats::merge_all` for
/// the parts it merges.
#[derive(Clone, Copy, Debug, Default)]
pub struct LibrarySpelling;

impl Spelling for LibrarySpelling {
    fn field(&self, field: Field) -> String {
        field.name().to_string()
    }

    fn setting(&self, field: Field, value: &str) -> String {
        format!("{}={value}", field.name())
    }

    fn usage(&self, field: Field) -> String {
        match field {
            Field::StatsParts => "PyramidStats::merge_all".to_string(),
            Field::Column => "name it with ColumnSpec::in_table(TABLE, COLUMN)".to_string(),
            other => other.name().to_string(),
        }
    }
}

/// One sentence of an error, whose mentions of option fields are typed so that each front
/// end spells them its own way. Built from pieces with [`Problem::new`] or from text with `From<String>`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Problem(Vec<Piece>);

/// A piece of a [`Problem`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Plain text.
    Text(Cow<'static, str>),
    /// A field named alone.
    Field(Field),
    /// A field set to a value.
    Setting(Field, String),
    /// How a field is given.
    Usage(Field),
}

impl Problem {
    /// A sentence of `pieces`.
    pub fn new(pieces: Vec<Piece>) -> Problem {
        Problem(pieces)
    }

    /// The sentence with fields spelled by `spelling`.
    pub fn spelled(&self, spelling: &dyn Spelling) -> String {
        let mut text = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => text.push_str(t),
                Piece::Field(f) => text.push_str(&spelling.field(*f)),
                Piece::Setting(f, v) => text.push_str(&spelling.setting(*f, v)),
                Piece::Usage(f) => text.push_str(&spelling.usage(*f)),
            }
        }
        text
    }

    /// The sentence followed by `pieces`.
    pub fn then(mut self, pieces: &[Piece]) -> Problem {
        self.0.extend_from_slice(pieces);
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spelled(&LibrarySpelling))
    }
}

impl From<&'static str> for Piece {
    fn from(text: &'static str) -> Piece {
        Piece::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Piece {
    fn from(text: String) -> Piece {
        Piece::Text(Cow::Owned(text))
    }
}

impl From<Field> for Piece {
    fn from(field: Field) -> Piece {
        Piece::Field(field)
    }
}

impl From<&'static str> for Problem {
    fn from(text: &'static str) -> Problem {
        Problem(vec![text.into()])
    }
}

impl From<String> for Problem {
    fn from(text: String) -> Problem {
        Problem(vec![text.into()])
    }
}

/// A [`Problem`] from pieces: text (`&str`, `String`), fields ([`Field`]), settings
/// ([`Field::set`]) and usages ([`Field::usage`]), e.g.
/// `problem!["applies to ", Field::Glyph.set("lines"), " only"]`.
macro_rules! problem {
    ($($piece:expr),* $(,)?) => {
        $crate::error::Problem::new(vec![$($crate::error::Piece::from($piece)),*])
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A front end's spelling, as the command line's.
    struct Flags;

    impl Spelling for Flags {
        fn field(&self, field: Field) -> String {
            format!("--{}", field.name().replace(['_', '.'], "-"))
        }
        fn setting(&self, field: Field, value: &str) -> String {
            format!("{} {value}", self.field(field))
        }
        fn usage(&self, field: Field) -> String {
            format!("{} FILE", self.field(field))
        }
    }

    #[test]
    fn fields_are_spelled_by_the_library_or_by_a_front_end() {
        let e = Error::bad_parameter(
            Field::LineWidth,
            problem!["applies to ", Field::Glyph.set("lines"), " only; see ", Field::Value.usage()],
        );
        assert_eq!(e.to_string(), "line_width: applies to glyph=lines only; see value");
        assert_eq!(e.spelled(&Flags), "--line-width: applies to --glyph lines only; see --value FILE");
        let e = Error::BudgetTooSmall { budget: 1, width: 2, threads: 1, minimum: 3, minimum_mib: 1 };
        assert_eq!(
            e.to_string(),
            "memory_budget: a budget of 1 bytes cannot hold one band of a 2-pixel-wide canvas beside 1 worker \
             thread; at least 3 bytes (1 MiB) are needed"
        );
        let e = Error::BudgetTooSmall { budget: 1, width: 2, threads: 12, minimum: 3, minimum_mib: 1 };
        assert!(
            e.to_string()
                .ends_with("beside 12 worker threads; at least 3 bytes (1 MiB) are needed, or fewer threads"),
            "{e}"
        );
        assert!(e.spelled(&Flags).starts_with("--memory-budget: a budget of 1 bytes"));
        let e = Error::bad_input("x.npy", problem!["give ", Field::XRange]);
        assert_eq!(
            (e.to_string(), e.spelled(&Flags)),
            ("x.npy: give x_range".into(), "x.npy: give --x-range".into())
        );
        let e = Error::Interrupted;
        assert_eq!(e.spelled(&Flags), e.to_string());
    }

    #[test]
    fn every_field_has_a_distinct_name() {
        let mut names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Field::ALL.len());
    }
}
