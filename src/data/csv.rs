//! CSV and TSV columns: one column of a delimited text file with a header row, as a
//! [`Source`](crate::data::Source), parsed with the `csv` crate.
//!
//! Opening a file makes one sequential pass over it that counts its records and notes
//! where every [`BLOCK_ROWS`]-th record starts (the parser tracks quotes, so quoted
//! fields may hold delimiters and newlines); ragged rows are found there. The blocks
//! between those records are then parsed in parallel like any other block format
//! ([`crate::data::blocks`]). An empty field is a null (NaN); a field that is not a number
//! is an error naming the file, the line and the column. The index is shared by the
//! columns of one file (x and y are indexed once).
//!
//! CSV has no types: a column reads as int64 when every value is an integer (so count-cat
//! takes it; the indexing pass checks each field), as text (no column of numbers) when
//! none of its first values is a number, else as float64.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use crate::data::blocks::{BlockColumn, BlockDecoder, Blocks};
use crate::data::table::{ColumnInfo, Pick};
use crate::data::DType;
use crate::error::{Error, Result};

/// Records per block (a unit of parallel parsing).
pub const BLOCK_ROWS: usize = 1 << 18;

/// Values looked at to decide whether a column holds numbers or text.
const SAMPLE: usize = 1000;

/// A CSV file's index: header, delimiter, and where its blocks of records start.
#[derive(Debug)]
pub struct CsvFile {
    index: Arc<CsvIndex>,
    label: String,
    path: PathBuf,
    fs_meta: std::fs::Metadata,
}

/// What the first pass learns.
#[derive(Debug)]
struct CsvIndex {
    names: Vec<String>,
    delimiter: u8,
    /// Start position of every block (byte, line, record).
    starts: Vec<csv::Position>,
    rows: usize,
    /// Per column: every non-empty field is an integer.
    integers: Vec<bool>,
}

/// Indexes already made in this process, by file, size, modification time and delimiter.
type Cache = Mutex<HashMap<(PathBuf, u64, Option<SystemTime>, u8), Arc<CsvIndex>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

impl CsvFile {
    /// Indexes `path` (comma-separated, or tab-separated for `.tsv`, unless `delimiter`
    /// says otherwise); problems name `label`.
    pub fn open(path: &Path, label: &str, delimiter: Option<u8>) -> Result<CsvFile> {
        let (file, fs_meta) = crate::io::file_kind::open_input(path, label)?;
        let tsv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
        let delimiter = delimiter.unwrap_or(if tsv { b'\t' } else { b',' });
        let key = (path.to_path_buf(), fs_meta.len(), fs_meta.modified().ok(), delimiter);
        let cached = cache().lock().ok().and_then(|c| c.get(&key).cloned());
        let index = match cached {
            Some(index) => index,
            None => {
                let index = Arc::new(index(file, label, delimiter)?);
                if let Ok(mut c) = cache().lock() {
                    c.insert(key, Arc::clone(&index));
                }
                index
            }
        };
        Ok(CsvFile { index, label: label.to_string(), path: path.to_path_buf(), fs_meta })
    }

    /// The columns: int64 where every value is an integer, text (no dtype) where none of
    /// the first [`SAMPLE`] values is a number, else float64.
    pub fn columns(&self) -> Result<Vec<ColumnInfo>> {
        let numbers = self.sample_numbers()?;
        Ok(self
            .index
            .names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let dtype = match (numbers[i], self.index.integers[i]) {
                    (false, _) => None,
                    (true, true) => Some(DType::I64),
                    (true, false) => Some(DType::F64),
                };
                ColumnInfo {
                    name: name.clone(),
                    type_name: dtype.map_or("text", |d| d.name()).to_string(),
                    dtype,
                    rows: self.index.rows,
                }
            })
            .collect())
    }

    /// Per column: a number among its first [`SAMPLE`] non-empty fields, or none of them
    /// text (a column with a word among numbers is one of numbers, whose word is an error
    /// naming its line when read).
    fn sample_numbers(&self) -> Result<Vec<bool>> {
        let columns = self.index.names.len();
        let (mut number, mut text) = (vec![false; columns], vec![false; columns]);
        let numbers =
            |number: &[bool], text: &[bool]| number.iter().zip(text).map(|(&n, &t)| n || !t).collect();
        let Some(start) = self.index.starts.first().cloned() else { return Ok(numbers(&number, &text)) };
        let mut reader = self.reader_at(start)?;
        let mut record = csv::ByteRecord::new();
        for _ in 0..SAMPLE.min(self.index.rows) {
            if !reader.read_byte_record(&mut record).map_err(|e| self.bad(&e))? {
                break;
            }
            for ((number, text), field) in number.iter_mut().zip(&mut text).zip(record.iter()) {
                match trim(field) {
                    b"" => {}
                    f if std::str::from_utf8(f).is_ok_and(|t| t.parse::<f64>().is_ok()) => *number = true,
                    _ => *text = true,
                }
            }
        }
        Ok(numbers(&number, &text))
    }

    /// A record reader positioned at `start`.
    fn reader_at(&self, start: csv::Position) -> Result<csv::Reader<BufReader<File>>> {
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let mut reader = builder(self.index.delimiter).has_headers(false).from_reader(BufReader::new(file));
        reader.seek_raw(SeekFrom::Start(start.byte()), start).map_err(|e| self.bad(&e))?;
        Ok(reader)
    }

    fn bad(&self, e: &csv::Error) -> Error {
        Error::bad_input(&self.label, describe(e, self.index.names.len()))
    }

    /// The column `pick` selects, as a source (its label is `label`).
    pub fn column(self, path: &Path, pick: &Pick, label: String) -> Result<BlockColumn<CsvBlocks>> {
        let columns = self.columns()?;
        let index = pick.find(&columns, &self.label)?;
        let Some(dtype) = columns[index].dtype else {
            return Err(Error::bad_input(
                &label,
                "is a column of text, not numbers (none of its first values is a number); gigaplot reads \
                 CSV columns of numbers, and categories as integer codes",
            ));
        };
        let rows = self.index.rows;
        let lens: Vec<usize> =
            (0..self.index.starts.len()).map(|b| BLOCK_ROWS.min(rows - b * BLOCK_ROWS)).collect();
        let meta = self.fs_meta.clone();
        let name = columns[index].name.clone();
        Ok(BlockColumn::new(CsvBlocks { file: self, column: index, name }, &lens, label, dtype, path, &meta))
    }
}

/// The reader settings of every pass: a header row, equal-length records.
fn builder(delimiter: u8) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.delimiter(delimiter).flexible(false);
    b
}

/// The first pass: header names, the start of every [`BLOCK_ROWS`]-th record, the count.
fn index(file: File, label: &str, delimiter: u8) -> Result<CsvIndex> {
    let mut reader =
        builder(delimiter).has_headers(true).from_reader(BufReader::with_capacity(1 << 20, file));
    let header_err = |e: csv::Error| Error::bad_input(label, describe(&e, 0));
    // A byte-order mark (spreadsheet exports) is not part of the first name.
    let names: Vec<String> = reader
        .headers()
        .map_err(header_err)?
        .iter()
        .enumerate()
        .map(|(i, h)| if i == 0 { h.trim_start_matches('\u{feff}') } else { h }.trim().to_string())
        .collect();
    if names.is_empty() || (names.len() == 1 && names[0].is_empty()) {
        return Err(Error::bad_input(label, "is empty: a CSV file needs a header row naming its columns"));
    }
    let mut starts = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut rows = 0usize;
    let mut integers = vec![true; names.len()];
    loop {
        let position = reader.position().clone();
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| Error::bad_input(label, describe(&e, names.len())))?;
        if !more {
            break;
        }
        if rows.is_multiple_of(BLOCK_ROWS) {
            // The position before reading is where this record's bytes start.
            starts.push(record.position().cloned().unwrap_or(position));
        }
        for (integer, field) in integers.iter_mut().zip(record.iter()).filter(|(integer, _)| **integer) {
            *integer = is_integer(trim(field));
        }
        rows += 1;
    }
    Ok(CsvIndex { names, delimiter, starts, rows, integers })
}

/// An empty field (a null), or an integer an i64 holds: digits after an optional sign.
fn is_integer(field: &[u8]) -> bool {
    let digits = field.strip_prefix(b"-").or_else(|| field.strip_prefix(b"+")).unwrap_or(field);
    field.is_empty()
        || (!digits.is_empty()
            && digits.iter().all(u8::is_ascii_digit)
            && (digits.len() < 19 || std::str::from_utf8(field).is_ok_and(|t| t.parse::<i64>().is_ok())))
}

/// One sentence on a CSV parse error: ragged rows name the line.
fn describe(e: &csv::Error, columns: usize) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => {
            let line = pos.as_ref().map_or(0, |p| p.line());
            format!(
                "line {line} has {len} fields but the header has {}; every row needs one field per column",
                if columns > 0 { columns as u64 } else { *expected_len }
            )
        }
        csv::ErrorKind::Utf8 { pos, .. } => {
            format!("line {} is not valid UTF-8 text", pos.as_ref().map_or(0, |p| p.line()))
        }
        csv::ErrorKind::Io(io) => format!("cannot be read ({io})"),
        _ => format!(
            "is not a readable CSV file ({})",
            e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
        ),
    }
}

/// A field without surrounding spaces.
fn trim(field: &[u8]) -> &[u8] {
    field.trim_ascii()
}

/// One column of a CSV file, in blocks of [`BLOCK_ROWS`] records.
#[derive(Debug)]
pub struct CsvBlocks {
    file: CsvFile,
    column: usize,
    name: String,
}

impl Blocks for CsvBlocks {
    fn open(&self, block: usize) -> Result<Box<dyn BlockDecoder + '_>> {
        let reader = self.file.reader_at(self.file.index.starts[block].clone())?;
        Ok(Box::new(CsvDecoder { blocks: self, reader, record: csv::ByteRecord::new() }))
    }
}

/// Parses the records of one block front to back.
struct CsvDecoder<'a> {
    blocks: &'a CsvBlocks,
    reader: csv::Reader<BufReader<File>>,
    record: csv::ByteRecord,
}

impl CsvDecoder<'_> {
    /// The next record; its end where one should be is a file that changed.
    fn next(&mut self) -> Result<()> {
        let file = &self.blocks.file;
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::InputChanged { path: file.path.clone() }),
            Err(e) => Err(file.bad(&e)),
        }
    }
}

impl BlockDecoder for CsvDecoder<'_> {
    fn skip(&mut self, n: usize) -> Result<()> {
        for _ in 0..n {
            self.next()?;
        }
        Ok(())
    }

    fn read(&mut self, out: &mut [f64]) -> Result<()> {
        for o in out.iter_mut() {
            self.next()?;
            let field = trim(self.record.get(self.blocks.column).unwrap_or_default());
            *o = if field.is_empty() {
                f64::NAN
            } else {
                match std::str::from_utf8(field).ok().and_then(|t| t.parse::<f64>().ok()) {
                    Some(v) => v,
                    None => {
                        let line = self.record.position().map_or(0, |p| p.line());
                        return Err(Error::bad_input(
                            &self.blocks.file.label,
                            format!(
                                "line {line}, column '{}': '{}' is not a number",
                                self.blocks.name,
                                String::from_utf8_lossy(field)
                            ),
                        ));
                    }
                }
            };
        }
        Ok(())
    }
}
