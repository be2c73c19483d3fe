//! What the command line reports when a run fails: a library error with its option fields
//! spelled as flags ([`Flags`]), or a refusal of the flags themselves.

use gigaplot::{Field, Spelling};

/// The command line's spelling of the library's option fields: `x_range` is `--x-range`,
/// `memory_budget` is `--memory`, the parts `PyramidStats::merge_all` merges are
/// `stats --merge`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags;

impl Flags {
    /// The flag that sets `field`.
    pub fn flag(field: Field) -> &'static str {
        match field {
            Field::Width => "--width",
            Field::Height => "--height",
            Field::Size => "--width/--height",
            Field::XRange => "--x-range",
            Field::YRange => "--y-range",
            Field::Tile => "--tile",
            Field::Threads => "--threads",
            Field::MemoryBudget => "--memory",
            Field::ScratchDir => "--scratch-dir",
            Field::Reduction => "--agg",
            Field::Glyph => "--glyph",
            Field::LineWidth => "--line-width",
            Field::ColorKey => "--color-key",
            Field::Dynspread => "--dynspread",
            Field::DynspreadMax => "--dynspread-max",
            Field::DynspreadThreshold => "--dynspread-threshold",
            Field::Value => "--value",
            Field::Series => "--series",
            Field::Spread => "--spread",
            Field::Extent => "--extent",
            Field::FontSize => "--font-size",
            Field::Points => "--points",
            Field::PyramidDir => "--pyramid",
            Field::PyramidTile => "--pyramid-tile",
            Field::SpanFromLevel => "--span-from-level",
            Field::ViewerAssets => "--viewer-assets",
            Field::Shard => "--shard",
            Field::Stats => "--stats",
            Field::StatsOut => "--stats-out",
            Field::StatsParts => "--merge",
            Field::Addr => "--addr",
            Field::Column => "--x",
            Field::MaxZoom => "--max-zoom",
            _ => "",
        }
    }
}

impl Spelling for Flags {
    fn field(&self, field: Field) -> String {
        match Flags::flag(field) {
            "" => field.name().to_string(),
            flag => flag.to_string(),
        }
    }

    fn setting(&self, field: Field, value: &str) -> String {
        format!("{} {value}", self.field(field))
    }

    fn usage(&self, field: Field) -> String {
        match field {
            Field::Value => "--value FILE.npy".to_string(),
            Field::StatsParts => "stats --merge".to_string(),
            Field::Column => "give the table first: gigaplot render TABLE --x COLUMN --y COLUMN".to_string(),
            other => self.field(other),
        }
    }
}

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The library refused or failed.
    Library(gigaplot::Error),
    /// A flag (or a combination of flags) the command line refuses before calling the
    /// library: a flag that the rest makes meaningless, an output that is an input.
    Flag {
        /// The flag, as written: `--x`, `-o`.
        flag: &'static str,
        /// One sentence saying what is wrong.
        problem: String,
    },
}

impl Failure {
    /// A refusal of `flag`.
    pub fn flag(flag: &'static str, problem: impl Into<String>) -> Failure {
        Failure::Flag { flag, problem: problem.into() }
    }

    /// The one line printed after `gigaplot: error: `.
    pub fn line(&self) -> String {
        match self {
            Failure::Library(e) => e.spelled(&Flags),
            Failure::Flag { flag, problem } => format!("{flag}: {problem}"),
        }
    }
}

impl From<gigaplot::Error> for Failure {
    fn from(e: gigaplot::Error) -> Failure {
        Failure::Library(e)
    }
}

/// The result of a command.
pub type Result<T> = std::result::Result<T, Failure>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_flag() {
        for field in Field::ALL {
            assert!(Flags::flag(field).starts_with("--"), "{field} has no flag");
        }
    }

    #[test]
    fn library_errors_name_flags() {
        let e =
            gigaplot::Error::BudgetTooSmall { budget: 1, width: 2, threads: 1, minimum: 3, minimum_mib: 1 };
        assert!(Failure::from(e).line().starts_with("--memory: a budget of 1 bytes"));
        let e = gigaplot::Error::bad_parameter(Field::XRange, "x");
        assert_eq!(Failure::from(e).line(), "--x-range: x");
    }

    #[test]
    fn a_table_without_a_column_is_told_in_library_terms_and_as_a_command() {
        let table = gigaplot::TableInfo { format: gigaplot::Format::Csv, columns: Vec::new() };
        let e = table.column_of(&gigaplot::ColumnSpec::parse("t.csv"), "t.csv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: is a table; name a column as FILE:COLUMN, or name it with ColumnSpec::in_table(TABLE, COLUMN)"
        );
        assert_eq!(
            Failure::from(e).line(),
            "t.csv: is a table; name a column as FILE:COLUMN, or give the table first: \
             gigaplot render TABLE --x COLUMN --y COLUMN"
        );
    }
}
