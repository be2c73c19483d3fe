//! Columns of table files (Parquet, Arrow IPC, CSV) by name: which column a spec picks,
//! what a table holds (for `gigaplot info`), and where a table file's column is opened as
//! a [`Source`], one line per format.

use std::path::Path;

use crate::data::format::Format;
use crate::data::npy::ColumnSpec;
use crate::data::source::Source;
use crate::error::{Error, Field, Result};

/// One column of a table, as `gigaplot info` lists it and as messages name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnInfo {
    /// The column's name (dotted for nested Parquet fields).
    pub name: String,
    /// Its type as the file states it (`float32`, `string`, `dictionary<int8, utf8>`).
    pub type_name: String,
    /// How gigaplot reads it, or None when it holds no numbers.
    pub dtype: Option<crate::data::DType>,
    /// Number of rows.
    pub rows: usize,
}

/// Which column of a table a [`ColumnSpec`] picks: by name, or by position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pick {
    /// The column of this name (a name of digits no column has picks by position).
    Name(String),
    /// The column at this position, from 0.
    Position(usize),
}

impl Pick {
    /// The pick of `spec`; a table needs a column named.
    pub fn of(spec: &ColumnSpec) -> Result<Pick> {
        match (&spec.name, spec.column) {
            (Some(name), _) => Ok(Pick::Name(name.clone())),
            (None, Some(k)) => Ok(Pick::Position(k)),
            (None, None) => Err(Error::bad_input(
                spec.path.display().to_string(),
                problem!["is a table; name a column as FILE:COLUMN, or ", Field::Column.usage()],
            )),
        }
    }

    /// The index of the picked column among `columns`; a missing one is an error naming
    /// `file` and listing the columns there are.
    pub fn find(&self, columns: &[ColumnInfo], file: &str) -> Result<usize> {
        let by_position = |k: usize| {
            (k < columns.len()).then_some(k).ok_or_else(|| {
                Error::bad_input(
                    file,
                    format!("has no column {k}: it has {} columns ({})", columns.len(), list(columns)),
                )
            })
        };
        match self {
            Pick::Position(k) => by_position(*k),
            Pick::Name(name) => match columns.iter().position(|c| &c.name == name) {
                Some(i) => Ok(i),
                None if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) => {
                    by_position(name.parse().unwrap_or(usize::MAX))
                }
                None => Err(Error::bad_input(
                    file,
                    format!("has no column '{name}'; its columns are: {}", list(columns)),
                )),
            },
        }
    }
}

/// `a (float32), b (string)`, shortened after 20 columns.
fn list(columns: &[ColumnInfo]) -> String {
    let mut names: Vec<String> =
        columns.iter().take(20).map(|c| format!("{} ({})", c.name, c.type_name)).collect();
    if columns.len() > 20 {
        names.push(format!("and {} more", columns.len() - 20));
    }
    if names.is_empty() {
        return "none".to_string();
    }
    names.join(", ")
}

/// What a table file holds: its format and columns.
#[derive(Clone, Debug)]
pub struct TableInfo {
    /// The file's format.
    pub format: Format,
    /// Its columns.
    pub columns: Vec<ColumnInfo>,
}

impl TableInfo {
    /// The index among [`TableInfo::columns`] of the column `spec` names (by name or
    /// position) in the table file `file`; a missing one is an error listing the columns
    /// there are.
    pub fn column_of(&self, spec: &ColumnSpec, file: &str) -> Result<usize> {
        Pick::of(spec)?.find(&self.columns, file)
    }
}

/// The format of `path` and its columns (for a `.npy`, None: its columns have no names).
#[cfg_attr(
    not(any(feature = "parquet", feature = "arrow", feature = "csv")),
    allow(unreachable_code, unused_variables)
)]
pub fn describe(path: &Path, delimiter: Option<u8>) -> Result<Option<TableInfo>> {
    let label = path.display().to_string();
    let format = crate::data::format::detect(path, &label)?;
    let columns = match format {
        Format::Npy => return Ok(None),
        #[cfg(feature = "parquet")]
        Format::Parquet => crate::data::parquet::ParquetFile::open(path, &label)?.columns(),
        #[cfg(feature = "arrow")]
        Format::ArrowFile | Format::ArrowStream => {
            crate::data::arrow::ArrowFile::open(path, &label, format)?.columns()
        }
        #[cfg(feature = "csv")]
        Format::Csv => crate::data::csv::CsvFile::open(path, &label, delimiter)?.columns()?,
        #[allow(unreachable_patterns)]
        other => return Err(not_built(&label, other)),
    };
    let _ = delimiter;
    Ok(Some(TableInfo { format, columns }))
}

/// The error for a format this build of gigaplot leaves out.
fn not_built(label: &str, format: Format) -> Error {
    Error::bad_input(
        label,
        format!(
            "is {}, which this build of gigaplot does not read (it was built without that feature)",
            format.name()
        ),
    )
}

/// Where paths are opened: the column `spec` names, as a source, whatever its format.
#[cfg_attr(
    not(any(feature = "parquet", feature = "arrow", feature = "csv")),
    allow(unreachable_code, unused_variables)
)]
pub fn open_column(spec: &ColumnSpec) -> Result<Box<dyn Source>> {
    let path = spec.path.as_path();
    let file = path.display().to_string();
    let format = crate::data::format::detect(path, &spec.label())?;
    if format == Format::Npy {
        return Ok(Box::new(crate::data::NpyColumn::open(spec)?));
    }
    let pick = Pick::of(spec)?;
    let label = spec.label();
    let _ = (&pick, &label, &file);
    Ok(match format {
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            Box::new(crate::data::parquet::ParquetFile::open(path, &file)?.column(path, &pick, label)?)
        }
        #[cfg(feature = "arrow")]
        Format::ArrowFile | Format::ArrowStream => {
            Box::new(crate::data::arrow::ArrowFile::open(path, &file, format)?.column(path, &pick, label)?)
        }
        #[cfg(feature = "csv")]
        Format::Csv => Box::new(
            crate::data::csv::CsvFile::open(path, &file, spec.delimiter)?.column(path, &pick, label)?,
        ),
        #[allow(unreachable_patterns)]
        other => return Err(not_built(&file, other)),
    })
}

/// min, max and null (or NaN) count of `source` from its values, ignoring any stored
/// summary: one parallel pass over chunks of whole blocks, each read front to back in
/// pieces of bounded size (for `gigaplot info`, which shows exact null counts).
pub fn scan(source: &dyn Source) -> Result<crate::data::ColumnSummary> {
    use crate::data::ColumnSummary;
    use rayon::prelude::*;
    const PIECE: usize = 1 << 16;
    let len = source.len();
    let chunk = source.chunk_len().unwrap_or(crate::data::source::SUMMARY_CHUNK).max(1);
    (0..len.div_ceil(chunk))
        .into_par_iter()
        .map(|c| -> Result<ColumnSummary> {
            let (start, end) = (c * chunk, ((c + 1) * chunk).min(len));
            let mut reader = source.reader();
            let mut buffer = vec![0.0; PIECE];
            let mut summary = ColumnSummary::empty(source.dtype());
            let mut at = start;
            while at < end {
                let n = PIECE.min(end - at);
                reader.read_f64(at, &mut buffer[..n])?;
                summary = summary.merge(ColumnSummary::of_values(source.dtype(), &buffer[..n]));
                at += n;
            }
            source.release(start, end - start);
            Ok(summary)
        })
        .try_reduce(|| ColumnSummary::empty(source.dtype()), |a, b| Ok(a.merge(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str) -> ColumnInfo {
        ColumnInfo { name: name.into(), type_name: "float32".into(), dtype: None, rows: 3 }
    }

    #[test]
    fn picks_by_name_then_position() {
        let columns = [info("x"), info("y"), info("7")];
        assert_eq!(Pick::Name("y".into()).find(&columns, "t.parquet").unwrap(), 1);
        assert_eq!(Pick::Name("7".into()).find(&columns, "t.parquet").unwrap(), 2);
        assert_eq!(Pick::Name("0".into()).find(&columns, "t.parquet").unwrap(), 0);
        assert_eq!(
            Pick::Name("z".into()).find(&columns, "t.parquet").unwrap_err().to_string(),
            "t.parquet: has no column 'z'; its columns are: x (float32), y (float32), 7 (float32)"
        );
        assert_eq!(
            Pick::Position(5).find(&columns, "t.csv").unwrap_err().to_string(),
            "t.csv: has no column 5: it has 3 columns (x (float32), y (float32), 7 (float32))"
        );
    }
}
