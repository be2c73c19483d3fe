//! Parquet columns: one column of a `.parquet` file as a [`Source`](crate::data::Source), read row group by
//! row group and page by page with the `parquet` crate's column readers (no Arrow layer),
//! decoding only the pages of the column asked for.
//!
//! Each row group is a block ([`crate::data::blocks`]); partition chunks align to row
//! groups of one length. Every codec the format commonly uses (snappy, zstd, gzip, lz4,
//! brotli, none) and the plain and dictionary encodings decode; null rows read as NaN, so
//! they are dropped like NaN. The column statistics stored for every row group give the
//! automatic data range without a pass over the values (see `known_summary`).
//!
//! String columns (`BYTE_ARRAY` with the string or enum logical type) whose row groups are
//! dictionary-encoded read as category codes, as a dictionary-encoded Arrow string column
//! does: the categories are the strings of the dictionary pages, in the order they first
//! appear (row group by row group, each dictionary in its own order; a file written from
//! an Arrow dictionary or a pandas categorical keeps its categories' order), and name the
//! categories in count-cat's legend. A string no dictionary page lists is refused.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{LogicalType, Type as Physical};
use parquet::column::page::{Page, PageReader};
use parquet::column::reader::{get_column_reader, get_typed_column_reader, ColumnReaderImpl};
use parquet::data_type::{
    BoolType, ByteArrayType, DataType, DoubleType, FixedLenByteArrayType, FloatType, Int32Type, Int64Type,
};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::serialized_reader::SerializedPageReader;
use parquet::file::statistics::Statistics;
use parquet::schema::types::ColumnDescPtr;

use crate::data::blocks::{BlockColumn, BlockDecoder, Blocks};
use crate::data::source::ColumnSummary;
use crate::data::table::{ColumnInfo, Pick};
use crate::data::DType;
use crate::error::{Error, Result};

/// Values decoded per call into the column reader (bounded scratch per reader).
const BATCH: usize = 64 * 1024;

/// The file as the page readers of many threads read it at once: positional reads
/// (`pread`), never a shared file offset (the `parquet` crate's `File` reader seeks a
/// duplicated descriptor, whose offset every thread shares).
#[derive(Debug)]
pub struct PosFile {
    file: Arc<File>,
    len: u64,
}

/// A reader of [`PosFile`] from an offset on.
pub struct PosReader {
    file: Arc<File>,
    at: u64,
}

impl std::io::Read for PosReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

impl parquet::file::reader::Length for PosFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl parquet::file::reader::ChunkReader for PosFile {
    type T = std::io::BufReader<PosReader>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(std::io::BufReader::with_capacity(
            16 * 1024,
            PosReader { file: Arc::clone(&self.file), at: start },
        ))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        use std::os::unix::fs::FileExt;
        let end = start.checked_add(length as u64).filter(|&e| e <= self.len);
        if end.is_none() {
            return Err(parquet::errors::ParquetError::EOF(format!(
                "{length} bytes at {start} lie past the end"
            )));
        }
        let mut buffer = vec![0; length];
        self.file.read_exact_at(&mut buffer, start)?;
        Ok(buffer.into())
    }
}

/// A Parquet file's footer, opened: the file and its metadata.
#[derive(Debug)]
pub struct ParquetFile {
    file: Arc<PosFile>,
    meta: Arc<ParquetMetaData>,
    label: String,
    fs_meta: std::fs::Metadata,
}

impl ParquetFile {
    /// Opens `path` and parses its footer; problems name `label`.
    pub fn open(path: &Path, label: &str) -> Result<ParquetFile> {
        let (file, fs_meta) = crate::io::file_kind::open_input(path, label)?;
        let meta = ParquetMetaDataReader::new().parse_and_finish(&file).map_err(|e| {
            Error::bad_input(label, format!("is not a readable Parquet file ({})", clean(&e)))
        })?;
        check_chunks(&meta, fs_meta.len()).map_err(|problem| {
            Error::bad_input(label, format!("is a corrupt or truncated Parquet file ({problem})"))
        })?;
        let file = Arc::new(PosFile { file: Arc::new(file), len: fs_meta.len() });
        Ok(ParquetFile { file, meta: Arc::new(meta), label: label.to_string(), fs_meta })
    }

    /// The leaf columns: name, type (or why gigaplot cannot read it) and row count.
    pub fn columns(&self) -> Vec<ColumnInfo> {
        let rows = self.rows();
        self.meta
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| ColumnInfo {
                name: c.path().string(),
                type_name: type_name(c),
                dtype: dtype_of(c).ok(),
                rows,
            })
            .collect()
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.meta.row_groups().iter().map(|g| g.num_rows().max(0) as usize).sum()
    }

    /// The column `pick` selects, as a source (its label is `label`).
    pub fn column(&self, path: &Path, pick: &Pick, label: String) -> Result<BlockColumn<ParquetBlocks>> {
        let columns = self.columns();
        let index = pick.find(&columns, &self.label)?;
        let descr = self.meta.file_metadata().schema_descr().column(index);
        if descr.max_rep_level() > 0 {
            return Err(Error::bad_input(
                &label,
                "is a repeated (list) column; gigaplot reads columns of one number per row",
            ));
        }
        let dtype = dtype_of(&descr).map_err(|problem| Error::bad_input(&label, problem))?;
        let lens: Vec<usize> = self.meta.row_groups().iter().map(|g| g.num_rows().max(0) as usize).collect();
        let known = known_summary(&self.meta, index, dtype, self.rows());
        let categories = match is_text(&descr) {
            true => Some(self.categories(index, &label)?),
            false => None,
        };
        let labels = categories.as_ref().map(|c| c.labels.clone());
        let blocks = ParquetBlocks {
            file: Arc::clone(&self.file),
            meta: Arc::clone(&self.meta),
            index,
            descr,
            label: label.clone(),
            categories,
        };
        Ok(BlockColumn::new(blocks, &lens, label, dtype, path, &self.fs_meta)
            .with_known_summary(known)
            .with_category_labels(labels))
    }

    /// The categories of string column `index`: the strings of every row group's
    /// dictionary page, in the order they first appear. Refuses a row group without one.
    fn categories(&self, index: usize, label: &str) -> Result<Categories> {
        let corrupt = |problem: String| {
            Error::bad_input(label, format!("is a corrupt or truncated Parquet file ({problem})"))
        };
        let mut categories = Categories { labels: Vec::new(), codes: HashMap::new() };
        for (g, group) in self.meta.row_groups().iter().enumerate() {
            let chunk = group.column(index);
            let rows = group.num_rows().max(0) as usize;
            let page = match chunk.dictionary_page_offset() {
                Some(_) => SerializedPageReader::new(Arc::clone(&self.file), chunk, rows, None)
                    .and_then(|mut pages| pages.get_next_page())
                    .map_err(|e| corrupt(clean(&e)))?,
                None => None,
            };
            let Some(Page::DictionaryPage { buf, num_values, .. }) = page else {
                return Err(Error::bad_input(
                    label,
                    format!(
                        "is a string column without a dictionary in row group {g}; gigaplot reads string \
                         columns as categories when they are dictionary-encoded"
                    ),
                ));
            };
            let mut rest: &[u8] = &buf;
            for _ in 0..num_values {
                let value = plain_byte_array(&mut rest)
                    .ok_or_else(|| corrupt(format!("row group {g}'s dictionary page ends early")))?;
                if !categories.codes.contains_key(value) {
                    let code = categories.labels.len() as u32;
                    categories.codes.insert(value.to_vec(), code);
                    categories.labels.push(String::from_utf8_lossy(value).into_owned());
                }
            }
        }
        Ok(categories)
    }
}

/// The categories of a string column: their names, and the code of each string.
#[derive(Debug)]
struct Categories {
    labels: Vec<String>,
    codes: HashMap<Vec<u8>, u32>,
}

/// The next value of a PLAIN-encoded `BYTE_ARRAY` page (a little-endian u32 length, then
/// the bytes), None when the page ends before it does.
fn plain_byte_array<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, tail) = rest.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    let value = tail.get(..len)?;
    *rest = &tail[len..];
    Some(value)
}

/// True for the string columns read as categories: `BYTE_ARRAY` with the string, enum or
/// (older writers) UTF8 type.
fn is_text(descr: &ColumnDescPtr) -> bool {
    descr.physical_type() == Physical::BYTE_ARRAY
        && (matches!(descr.logical_type_ref(), Some(LogicalType::String | LogicalType::Enum))
            || matches!(
                descr.converted_type(),
                parquet::basic::ConvertedType::UTF8 | parquet::basic::ConvertedType::ENUM
            ))
}

/// Checks that every column chunk the footer lists lies inside the file (`file_len` bytes):
/// the parquet crate's page reader panics on a negative offset or size, and a chunk past the
/// end can only be a truncated or corrupt file.
fn check_chunks(meta: &ParquetMetaData, file_len: u64) -> std::result::Result<(), String> {
    for (g, group) in meta.row_groups().iter().enumerate() {
        for chunk in group.columns() {
            let start = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset());
            let len = chunk.compressed_size();
            let inside = u64::try_from(start)
                .ok()
                .zip(u64::try_from(len).ok())
                .and_then(|(start, len)| start.checked_add(len))
                .is_some_and(|end| end <= file_len);
            if !inside {
                return Err(format!(
                    "row group {g}, column {}: bytes {start}..+{len} are not inside the file's {file_len}",
                    chunk.column_path().string()
                ));
            }
        }
    }
    Ok(())
}

/// One column of a Parquet file, in row groups.
pub struct ParquetBlocks {
    file: Arc<PosFile>,
    meta: Arc<ParquetMetaData>,
    index: usize,
    descr: ColumnDescPtr,
    label: String,
    /// The categories of a string column (None for numbers).
    categories: Option<Categories>,
}

impl std::fmt::Debug for ParquetBlocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetBlocks").field("column", &self.index).field("label", &self.label).finish()
    }
}

impl Blocks for ParquetBlocks {
    fn open(&self, block: usize) -> Result<Box<dyn BlockDecoder + '_>> {
        let group = &self.meta.row_groups()[block];
        let chunk = group.column(self.index);
        let rows = group.num_rows().max(0) as usize;
        let pages =
            SerializedPageReader::new(Arc::clone(&self.file), chunk, rows, None).map_err(|e| self.bad(&e))?;
        let reader = get_column_reader(Arc::clone(&self.descr), Box::new(pages));
        let max_def = self.descr.max_def_level();
        let label = &self.label;
        if let Some(categories) = &self.categories {
            return Ok(decoder::<ByteArrayType>(reader, max_def, label, |v| {
                categories.codes.get(v.data()).map(|&code| f64::from(code))
            }));
        }
        Ok(match self.descr.physical_type() {
            Physical::BOOLEAN => {
                decoder::<BoolType>(reader, max_def, label, |&b| Some(f64::from(u8::from(b))))
            }
            Physical::INT32 if is_unsigned(&self.descr) => {
                decoder::<Int32Type>(reader, max_def, label, |&v| Some(f64::from(v as u32)))
            }
            Physical::INT32 => decoder::<Int32Type>(reader, max_def, label, |&v| Some(f64::from(v))),
            Physical::INT64 if is_unsigned(&self.descr) => {
                decoder::<Int64Type>(reader, max_def, label, |&v| Some(v as u64 as f64))
            }
            Physical::INT64 => decoder::<Int64Type>(reader, max_def, label, |&v| Some(v as f64)),
            Physical::FLOAT => decoder::<FloatType>(reader, max_def, label, |&v| Some(f64::from(v))),
            Physical::DOUBLE => decoder::<DoubleType>(reader, max_def, label, |&v| Some(v)),
            // Float16 (checked when the column was opened): two little-endian bytes.
            _ => decoder::<FixedLenByteArrayType>(reader, max_def, label, |v| match v.data() {
                &[lo, hi] => Some(f64::from(half::f16::from_le_bytes([lo, hi]))),
                _ => Some(f64::NAN),
            }),
        })
    }
}

impl ParquetBlocks {
    fn bad(&self, e: &parquet::errors::ParquetError) -> Error {
        Error::bad_input(&self.label, format!("is a corrupt or truncated Parquet file ({})", clean(e)))
    }
}

/// A decoder of one row group of a column of physical type `T`; `convert` gives a value's
/// number, None for a string no dictionary lists.
fn decoder<'a, T: DataType>(
    reader: parquet::column::reader::ColumnReader,
    max_def: i16,
    label: &'a str,
    convert: impl Fn(&T::T) -> Option<f64> + 'a,
) -> Box<dyn BlockDecoder + 'a> {
    Box::new(Decoder::<T, _> {
        reader: get_typed_column_reader::<T>(reader),
        values: Vec::new(),
        defs: Vec::new(),
        max_def,
        label,
        convert,
    })
}

/// Reads values of physical type `T`, with definition levels when the column is nullable.
struct Decoder<'a, T: DataType, F> {
    reader: ColumnReaderImpl<T>,
    values: Vec<T::T>,
    defs: Vec<i16>,
    max_def: i16,
    label: &'a str,
    convert: F,
}

impl<T: DataType, F: Fn(&T::T) -> Option<f64>> Decoder<'_, T, F> {
    fn corrupt(&self, problem: String) -> Error {
        Error::bad_input(self.label, format!("is a corrupt or truncated Parquet file ({problem})"))
    }

    /// `convert`, or the error of a string no dictionary page lists.
    fn number(&self, v: &T::T) -> Result<f64> {
        (self.convert)(v).ok_or_else(|| {
            Error::bad_input(
                self.label,
                "holds a string that no dictionary page lists (a row group fell back to plain \
                 encoding); gigaplot reads string columns as categories when they are dictionary-encoded",
            )
        })
    }
}

impl<T: DataType, F: Fn(&T::T) -> Option<f64>> BlockDecoder for Decoder<'_, T, F> {
    fn skip(&mut self, n: usize) -> Result<()> {
        let skipped = self.reader.skip_records(n).map_err(|e| self.corrupt(clean(&e)))?;
        if skipped < n {
            return Err(self.corrupt("a row group holds fewer rows than its metadata says".to_string()));
        }
        Ok(())
    }

    fn read(&mut self, out: &mut [f64]) -> Result<()> {
        let mut filled = 0;
        while filled < out.len() {
            let want = (out.len() - filled).min(BATCH);
            self.values.clear();
            self.defs.clear();
            let defs = (self.max_def > 0).then_some(&mut self.defs);
            let (records, values, _) = self
                .reader
                .read_records(want, defs, None, &mut self.values)
                .map_err(|e| self.corrupt(clean(&e)))?;
            if records == 0 {
                return Err(self.corrupt("a row group holds fewer rows than its metadata says".to_string()));
            }
            let dest = &mut out[filled..filled + records];
            if self.max_def == 0 {
                for (o, v) in dest.iter_mut().zip(&self.values[..values]) {
                    *o = self.number(v)?;
                }
            } else {
                let mut next = self.values[..values].iter();
                for (o, &d) in dest.iter_mut().zip(&self.defs) {
                    *o = match (d == self.max_def).then(|| next.next()).flatten() {
                        Some(v) => self.number(v)?,
                        None => f64::NAN,
                    };
                }
            }
            filled += records;
        }
        Ok(())
    }
}

/// True for the unsigned integer logical types.
fn is_unsigned(descr: &ColumnDescPtr) -> bool {
    matches!(descr.logical_type_ref(), Some(LogicalType::Integer(int)) if !int.is_signed)
        || matches!(
            descr.converted_type(),
            parquet::basic::ConvertedType::UINT_8
                | parquet::basic::ConvertedType::UINT_16
                | parquet::basic::ConvertedType::UINT_32
                | parquet::basic::ConvertedType::UINT_64
        )
}

/// The element type gigaplot reads a column as, or why it cannot.
fn dtype_of(descr: &ColumnDescPtr) -> std::result::Result<DType, String> {
    let bits = match descr.logical_type_ref() {
        Some(LogicalType::Integer(int)) => Some(int.bit_width),
        _ => None,
    };
    let unsigned = is_unsigned(descr);
    Ok(match descr.physical_type() {
        Physical::BOOLEAN => DType::Bool,
        Physical::INT32 => match (bits, unsigned) {
            (Some(8), false) => DType::I8,
            (Some(16), false) => DType::I16,
            (Some(8), true) => DType::U8,
            (Some(16), true) => DType::U16,
            (_, true) => DType::U32,
            (_, false) => DType::I32,
        },
        Physical::INT64 if unsigned => DType::U64,
        Physical::INT64 => DType::I64,
        Physical::FLOAT => DType::F32,
        Physical::DOUBLE => DType::F64,
        // float16 widens to float32 exactly.
        Physical::FIXED_LEN_BYTE_ARRAY
            if descr.logical_type_ref() == Some(&LogicalType::Float16) && descr.type_length() == 2 =>
        {
            DType::F32
        }
        // category codes of a dictionary-encoded string column
        Physical::BYTE_ARRAY if is_text(descr) => DType::U32,
        _ => {
            return Err(format!(
                "is a column of {}, not numbers; gigaplot reads integer, float, bool and string (category) \
                 columns",
                type_name(descr)
            ))
        }
    })
}

/// How `info` and messages name a column's type.
fn type_name(descr: &ColumnDescPtr) -> String {
    if let Ok(d) = dtype_for_name(descr) {
        return d.to_string();
    }
    match descr.logical_type_ref() {
        Some(LogicalType::String) => "string".to_string(),
        Some(other) => format!("{other:?}").to_lowercase(),
        None => descr.physical_type().to_string().to_lowercase(),
    }
}

/// [`dtype_of`]'s name for the readable types (float16 shown as such).
fn dtype_for_name(descr: &ColumnDescPtr) -> std::result::Result<&'static str, ()> {
    if descr.physical_type() == Physical::FIXED_LEN_BYTE_ARRAY {
        return if descr.logical_type_ref() == Some(&LogicalType::Float16) { Ok("float16") } else { Err(()) };
    }
    match descr.physical_type() {
        Physical::INT96 | Physical::BYTE_ARRAY => Err(()),
        _ => dtype_of(descr).map(DType::name).map_err(|_| ()),
    }
}

/// The summary the statistics of every row group give, when they are present for all of
/// them: min and max exact (non-NaN, as writers store them), nulls counted as NaN. For
/// float columns the NaN values are counted only when the file stores NaN counts; without
/// them `nan_count` counts the nulls alone (the automatic range needs only min and max). An
/// infinite bound, or a group without statistics, means no summary (a pass computes it).
fn known_summary(meta: &ParquetMetaData, index: usize, dtype: DType, rows: usize) -> Option<ColumnSummary> {
    let mut summary = ColumnSummary { len: rows, ..ColumnSummary::empty(dtype) };
    let unsigned = matches!(dtype, DType::U8 | DType::U16 | DType::U32 | DType::U64);
    for group in meta.row_groups() {
        let stats = group.column(index).statistics()?;
        let nulls = stats.null_count_opt()?;
        let group_rows = group.num_rows().max(0) as u64;
        let nans = stats.nan_count_opt().unwrap_or(0);
        summary.nan_count += nulls + nans;
        if nulls + nans >= group_rows {
            continue;
        }
        if unsigned && stats.is_min_max_deprecated() {
            return None;
        }
        let (min, max) = match stats {
            Statistics::Boolean(s) => {
                (f64::from(u8::from(*s.min_opt()?)), f64::from(u8::from(*s.max_opt()?)))
            }
            Statistics::Int32(s) if unsigned => {
                (f64::from(*s.min_opt()? as u32), f64::from(*s.max_opt()? as u32))
            }
            Statistics::Int32(s) => (f64::from(*s.min_opt()?), f64::from(*s.max_opt()?)),
            Statistics::Int64(s) if unsigned => (*s.min_opt()? as u64 as f64, *s.max_opt()? as u64 as f64),
            Statistics::Int64(s) => (*s.min_opt()? as f64, *s.max_opt()? as f64),
            Statistics::Float(s) => (f64::from(*s.min_opt()?), f64::from(*s.max_opt()?)),
            Statistics::Double(s) => (*s.min_opt()?, *s.max_opt()?),
            _ => return None,
        };
        if !(min.is_finite() && max.is_finite()) || min > max {
            return None;
        }
        summary.min = Some(summary.min.map_or(min, |m| m.min(min)));
        summary.max = Some(summary.max.map_or(max, |m| m.max(max)));
    }
    Some(summary)
}

/// A Parquet error's text without the crate's "Parquet error: " prefix.
fn clean(e: &parquet::errors::ParquetError) -> String {
    let text = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
    text.strip_prefix("Parquet error: ").map(str::to_string).unwrap_or(text)
}
