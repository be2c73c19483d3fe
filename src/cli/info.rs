//! `gigaplot info`: what is in a .npy column or a table file.

use gigaplot::npy::NpyHeader;
use gigaplot::{describe_table, open_column, scan_column, ColumnSpec, Error, NpyColumn, Result, TableInfo};

use super::failure::Result as CliResult;

use super::args::InfoArgs;

/// Prints one line per column: dtype, shape, min, max, NaN and infinity counts; a 2-D
/// file named without `:K` first gets a line with its shape and order; a table file gets
/// a line with its format, then one line per column (name, type, rows, nulls, min, max).
/// A closed stdout (`gigaplot info ... | head`) ends the listing quietly.
pub fn run(args: &InfoArgs) -> CliResult<()> {
    match list(args) {
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Writes one line to stdout.
fn say(line: String) -> Result<()> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{line}").map_err(|e| Error::io(std::path::Path::new("<stdout>"), e))
}

/// A number for the listing, `-` for none.
fn number(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| v.to_string())
}

/// The listing of [`run`].
fn list(args: &InfoArgs) -> Result<()> {
    for spec in &args.columns {
        let spec = ColumnSpec { delimiter: args.delimiter, ..spec.clone() };
        if let Some(table) = describe_table(&spec.path, spec.delimiter)? {
            table_listing(&spec, &table)?;
            continue;
        }
        for spec in expand(&spec)? {
            let column = NpyColumn::open(&spec)?;
            let s = column.summary();
            say(format!(
                "{}: dtype {}, {} values, min {}, max {}, {} NaN, {} infinite",
                column.label(),
                s.dtype.name(),
                s.len,
                number(s.min),
                number(s.max),
                s.nan_count,
                s.inf_count
            ))?;
        }
    }
    Ok(())
}

/// A table's columns (all of them, or the one the spec names): name, type, rows, nulls
/// (nulls and NaN values), min, max.
fn table_listing(spec: &ColumnSpec, table: &TableInfo) -> Result<()> {
    let file = spec.path.display().to_string();
    let named = spec.name.is_some() || spec.column.is_some();
    if !named {
        let rows = table.columns.first().map_or(0, |c| c.rows);
        say(format!("{file}: {}, {rows} rows, {} columns", table.format.name(), table.columns.len()))?;
    }
    let wanted: Vec<usize> =
        if named { vec![table.column_of(spec, &file)?] } else { (0..table.columns.len()).collect() };
    for i in wanted {
        let info = &table.columns[i];
        let prefix = format!("{file}:{}: {}, {} rows", info.name, info.type_name, info.rows);
        if info.dtype.is_none() {
            say(format!("{prefix}, not numeric"))?;
            continue;
        }
        let column =
            open_column(&ColumnSpec::in_table(&spec.path, &info.name).with_delimiter(spec.delimiter))?;
        let s = scan_column(&*column)?;
        say(format!("{prefix}, {} nulls, min {}, max {}", s.nan_count, number(s.min), number(s.max)))?;
    }
    Ok(())
}

/// A 2-D file named without `:K` stands for all its columns.
fn expand(spec: &ColumnSpec) -> Result<Vec<ColumnSpec>> {
    if spec.column.is_some() || spec.name.is_some() {
        return Ok(vec![spec.clone()]);
    }
    match NpyHeader::read(spec)? {
        Some(h) if h.shape.len() == 2 => {
            let (rows, cols) = (h.shape[0], h.shape[1]);
            let order = if h.fortran_order { "Fortran" } else { "C" };
            say(format!(
                "{}: 2-D {} array of shape ({rows}, {cols}), {order} order: {cols} columns of {rows} values \
                 (--glyph lines draws one line per column)",
                spec.path.display(),
                h.dtype.name()
            ))?;
            Ok((0..cols)
                .map(|k| ColumnSpec { path: spec.path.clone(), column: Some(k), ..ColumnSpec::default() })
                .collect())
        }
        _ => Ok(vec![spec.clone()]),
    }
}
