//! Arrow IPC columns: one column of an Arrow IPC file (Feather v2: `.arrow`, `.feather`,
//! `.ipc`) or of an Arrow IPC stream (`.arrows`) as a [`Source`](crate::data::Source).
//!
//! The file is memory-mapped; each record batch is a block ([`crate::data::blocks`]).
//! Uncompressed batches are read zero-copy from the map (their pages are released after
//! reading, like a `.npy`); LZ4- and ZSTD-compressed batches are decoded batch by batch,
//! only the column asked for. A stream has no footer: one scan of its message headers
//! indexes the batches (bodies are skipped). Dictionary-encoded columns read as their
//! values, or, for strings, as category codes whose names come from the dictionary.

use std::path::Path;
use std::ptr::NonNull;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowDictionaryKeyType, ArrowPrimitiveType, Float16Type, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_buffer::Buffer;
use arrow_ipc::reader::FileDecoder;
use arrow_ipc::{Block, MessageHeader, MetadataVersion};
use arrow_schema::{ArrowError, DataType, SchemaRef};
use memmap2::{Advice, Mmap, UncheckedAdvice};

use crate::data::blocks::{BlockColumn, BlockDecoder, Blocks};
use crate::data::format::Format;
use crate::data::table::{ColumnInfo, Pick};
use crate::data::DType;
use crate::error::{Error, Result};

/// An Arrow IPC file or stream, mapped, with its schema and the blocks of its batches.
pub struct ArrowFile {
    map: Arc<Mmap>,
    buffer: Buffer,
    schema: SchemaRef,
    version: MetadataVersion,
    dictionaries: Vec<Block>,
    batches: Vec<Block>,
    rows: Vec<usize>,
    label: String,
    fs_meta: std::fs::Metadata,
}

impl std::fmt::Debug for ArrowFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrowFile").field("label", &self.label).field("batches", &self.batches.len()).finish()
    }
}

impl ArrowFile {
    /// Maps `path` (an IPC file, or a stream when `format` says so) and reads its schema
    /// and batch index; problems name `label`.
    pub fn open(path: &Path, label: &str, format: Format) -> Result<ArrowFile> {
        let (file, fs_meta) = crate::io::file_kind::open_input(path, label)?;
        // SAFETY: a read-only shared mapping of a file gigaplot never writes; a change by
        // another process during the render is detected by `check_unchanged` (size and
        // modification time), the caveat every file mapping has (see `NpyColumn`).
        let map = Arc::new(unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?);
        let _ = map.advise(Advice::Sequential);
        let ptr = NonNull::new(map.as_ptr().cast_mut()).unwrap_or(NonNull::dangling());
        // SAFETY: `ptr` and `map.len()` describe the mapping, which the Arc keeps alive
        // (and unchanged in place) as long as the buffer or any slice of it exists.
        let buffer = unsafe { Buffer::from_custom_allocation(ptr, map.len(), map.clone()) };
        let bad = |problem: String| Error::bad_input(label, problem);
        let index = match format {
            Format::ArrowStream => index_stream(&map),
            _ => index_file(&map),
        }
        .map_err(|p| {
            bad(format!("is a corrupt or truncated {} ({p})", format.name().trim_start_matches("an ")))
        })?;
        let mut rows = Vec::with_capacity(index.batches.len());
        for block in &index.batches {
            let message =
                message_at(&map, block).map_err(|p| bad(format!("is a corrupt Arrow IPC file ({p})")))?;
            let length = message.header_as_record_batch().map(|b| b.length()).unwrap_or(-1);
            rows.push(
                usize::try_from(length)
                    .map_err(|_| bad("is a corrupt Arrow IPC file (a batch has no length)".into()))?,
            );
        }
        Ok(ArrowFile {
            map,
            buffer,
            schema: index.schema,
            version: index.version,
            dictionaries: index.dictionaries,
            batches: index.batches,
            rows,
            label: label.to_string(),
            fs_meta,
        })
    }

    /// The columns: name, type (or why gigaplot cannot read it) and row count.
    pub fn columns(&self) -> Vec<ColumnInfo> {
        let rows = self.rows.iter().sum();
        self.schema
            .fields()
            .iter()
            .map(|f| ColumnInfo {
                name: f.name().clone(),
                type_name: type_name(f.data_type()),
                dtype: dtype_of(f.data_type()).ok(),
                rows,
            })
            .collect()
    }

    /// The column `pick` selects, as a source (its label is `label`).
    pub fn column(self, path: &Path, pick: &Pick, label: String) -> Result<BlockColumn<ArrowBlocks>> {
        let index = pick.find(&self.columns(), &self.label)?;
        let data_type = self.schema.field(index).data_type().clone();
        let dtype = dtype_of(&data_type).map_err(|p| Error::bad_input(&label, p))?;
        let corrupt = |e: ArrowError| {
            Error::bad_input(
                &self.label,
                format!("is a corrupt Arrow IPC file ({})", one_line(&e.to_string())),
            )
        };
        let mut decoder = FileDecoder::new(self.schema.clone(), self.version).with_projection(vec![index]);
        let mut seen = std::collections::HashSet::new();
        for block in &self.dictionaries {
            let message = message_at(&self.map, block).map_err(|p| corrupt(ArrowError::ParseError(p)))?;
            if let Some(dict) = message.header_as_dictionary_batch() {
                if !dict.isDelta() && !seen.insert(dict.id()) {
                    return Err(Error::bad_input(
                        &self.label,
                        "replaces a dictionary part way through the stream; gigaplot reads streams whose \
                         dictionaries only grow",
                    ));
                }
            }
            decoder.read_dictionary(block, &self.slice(block)).map_err(corrupt)?;
        }
        let blocks = ArrowBlocks { file: self, decoder, label: label.clone() };
        // Names of string categories, from the dictionary the first batch uses.
        let labels = match (&data_type, blocks.file.batches.is_empty()) {
            (DataType::Dictionary(_, values), false) if is_text(values) => {
                let batch = blocks.decode(0)?;
                let dict = batch.as_any_dictionary();
                Some(text_values(dict.values()))
            }
            _ => None,
        };
        let rows = blocks.file.rows.clone();
        let (path, meta) = (path.to_path_buf(), blocks.file.fs_meta.clone());
        Ok(BlockColumn::new(blocks, &rows, label, dtype, &path, &meta).with_category_labels(labels))
    }

    /// The bytes of `block` (validated when indexed) as a zero-copy buffer.
    fn slice(&self, block: &Block) -> Buffer {
        self.buffer.slice_with_length(block.offset() as usize, block_len(block))
    }
}

/// One column of an Arrow IPC file, in record batches.
pub struct ArrowBlocks {
    file: ArrowFile,
    decoder: FileDecoder,
    label: String,
}

impl std::fmt::Debug for ArrowBlocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrowBlocks").field("label", &self.label).finish()
    }
}

impl ArrowBlocks {
    /// The column's array in batch `block`.
    fn decode(&self, block: usize) -> Result<ArrayRef> {
        let b = &self.file.batches[block];
        let corrupt = |e: String| {
            Error::bad_input(&self.label, format!("is a corrupt Arrow IPC file ({})", one_line(&e)))
        };
        let batch = self
            .decoder
            .read_record_batch(b, &self.file.slice(b))
            .map_err(|e| corrupt(e.to_string()))?
            .ok_or_else(|| corrupt("a record batch is missing".to_string()))?;
        if batch.num_rows() != self.file.rows[block] || batch.num_columns() != 1 {
            return Err(corrupt("a record batch has the wrong length".to_string()));
        }
        Ok(batch.column(0).clone())
    }
}

impl Blocks for ArrowBlocks {
    fn open(&self, block: usize) -> Result<Box<dyn BlockDecoder + '_>> {
        Ok(Box::new(ArrayDecoder { array: self.decode(block)?, at: 0 }))
    }

    fn release(&self, block: usize) {
        let b = &self.file.batches[block];
        let page = 4096;
        let start = (b.offset() as usize).div_ceil(page) * page;
        let end = ((b.offset() as usize + block_len(b)) / page) * page;
        if end > start {
            // SAFETY: a read-only shared file mapping: MADV_DONTNEED drops this process's
            // page-table entries only, and a later access re-reads the file, so no array
            // handed out changes (zero-copy arrays of this batch are dropped after use).
            let _ = unsafe {
                self.file.map.unchecked_advise_range(UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }
}

/// The chunks of an Arrow column held in memory (one `ArrayRef`, or the arrays of a
/// chunked column), each a block read in place.
#[derive(Debug)]
pub struct ArrowArrays(Vec<ArrayRef>);

impl Blocks for ArrowArrays {
    fn open(&self, block: usize) -> Result<Box<dyn BlockDecoder + '_>> {
        Ok(Box::new(ArrayDecoder { array: self.0[block].clone(), at: 0 }))
    }
}

/// An in-memory Arrow column as a [`Source`](crate::data::Source): the arrays of one
/// column (a chunked column's chunks, in order) read in place, never concatenated or
/// copied whole. Every numeric type, booleans and dictionary-encoded numbers are read
/// (nulls as NaN, dropped like NaN); a dictionary of strings gives category codes whose
/// names label a count-cat legend. The chunks must share one type.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{ArrayRef, Float32Array};
/// use gigaplot::{arrow_column, PointColumns, Source};
///
/// let x: ArrayRef = Arc::new(Float32Array::from(vec![Some(0.0), None, Some(2.0)]));
/// let y: ArrayRef = Arc::new(Float32Array::from(vec![1.0, 2.0, 3.0]));
/// let x = arrow_column("x", vec![x])?;
/// assert_eq!(x.len(), 3);
/// let mut values = [0.0; 3];
/// x.read_f64(0, &mut values)?;
/// assert!(values[1].is_nan());
/// let points = PointColumns::from_sources(Box::new(x), Box::new(arrow_column("y", vec![y])?))?;
/// assert_eq!(points.len(), 3);
/// # Ok::<(), gigaplot::Error>(())
/// ```
pub fn arrow_column(label: impl Into<String>, arrays: Vec<ArrayRef>) -> Result<BlockColumn<ArrowArrays>> {
    let label = label.into();
    let data_type = arrays.first().map_or(DataType::Float64, |a| a.data_type().clone());
    if let Some(other) = arrays.iter().find(|a| a.data_type() != &data_type) {
        return Err(Error::bad_input(
            &label,
            format!(
                "has chunks of two types, {} and {}",
                type_name(&data_type),
                type_name(other.data_type())
            ),
        ));
    }
    let dtype = dtype_of(&data_type).map_err(|p| Error::bad_input(&label, p))?;
    let labels = match (&data_type, arrays.first()) {
        (DataType::Dictionary(_, values), Some(first)) if is_text(values) => {
            Some(text_values(first.as_any_dictionary().values()))
        }
        _ => None,
    };
    let lens: Vec<usize> = arrays.iter().map(|a| a.len()).collect();
    Ok(BlockColumn::in_memory(ArrowArrays(arrays), &lens, label, dtype).with_category_labels(labels))
}

/// Reads one batch's array front to back.
struct ArrayDecoder {
    array: ArrayRef,
    at: usize,
}

impl BlockDecoder for ArrayDecoder {
    fn skip(&mut self, n: usize) -> Result<()> {
        self.at += n;
        Ok(())
    }

    fn read(&mut self, out: &mut [f64]) -> Result<()> {
        convert(&*self.array, self.at, out);
        self.at += out.len();
        Ok(())
    }
}

/// Converts `out.len()` values of `array` from `at` to f64 (nulls to NaN); dictionary
/// arrays give their values, or for text their keys.
fn convert(array: &dyn Array, at: usize, out: &mut [f64]) {
    match array.data_type() {
        DataType::Boolean => {
            let a = array.as_boolean();
            for (i, o) in out.iter_mut().enumerate() {
                *o = f64::from(u8::from(a.value(at + i)));
            }
        }
        DataType::Int8 => primitive::<Int8Type>(array, at, out, f64::from),
        DataType::Int16 => primitive::<Int16Type>(array, at, out, f64::from),
        DataType::Int32 => primitive::<Int32Type>(array, at, out, f64::from),
        DataType::Int64 => primitive::<Int64Type>(array, at, out, |v| v as f64),
        DataType::UInt8 => primitive::<UInt8Type>(array, at, out, f64::from),
        DataType::UInt16 => primitive::<UInt16Type>(array, at, out, f64::from),
        DataType::UInt32 => primitive::<UInt32Type>(array, at, out, f64::from),
        DataType::UInt64 => primitive::<UInt64Type>(array, at, out, |v| v as f64),
        DataType::Float16 => primitive::<Float16Type>(array, at, out, f64::from),
        DataType::Float32 => primitive::<Float32Type>(array, at, out, f64::from),
        DataType::Float64 => primitive::<Float64Type>(array, at, out, |v| v),
        DataType::Dictionary(key, _) => match key.as_ref() {
            DataType::Int8 => dictionary::<Int8Type>(array, at, out),
            DataType::Int16 => dictionary::<Int16Type>(array, at, out),
            DataType::Int32 => dictionary::<Int32Type>(array, at, out),
            DataType::Int64 => dictionary::<Int64Type>(array, at, out),
            DataType::UInt8 => dictionary::<UInt8Type>(array, at, out),
            DataType::UInt16 => dictionary::<UInt16Type>(array, at, out),
            DataType::UInt32 => dictionary::<UInt32Type>(array, at, out),
            _ => dictionary::<UInt64Type>(array, at, out),
        },
        // Types are checked when a column is opened.
        _ => out.fill(f64::NAN),
    }
    if let Some(nulls) = array.logical_nulls() {
        for (i, o) in out.iter_mut().enumerate() {
            if nulls.is_null(at + i) {
                *o = f64::NAN;
            }
        }
    }
}

/// [`convert`] for a primitive array.
fn primitive<T: ArrowPrimitiveType>(array: &dyn Array, at: usize, out: &mut [f64], f: fn(T::Native) -> f64) {
    let values = &array.as_primitive::<T>().values()[at..at + out.len()];
    for (o, &v) in out.iter_mut().zip(values) {
        *o = f(v);
    }
}

/// [`convert`] for a dictionary array: text gives its keys, numbers their values.
fn dictionary<K: ArrowDictionaryKeyType>(array: &dyn Array, at: usize, out: &mut [f64]) {
    let dict = array.as_dictionary::<K>();
    let keys = &dict.keys().values()[at..at + out.len()];
    let key = |k: K::Native| k.as_usize();
    use arrow_buffer::ArrowNativeType;
    if is_text(dict.values().data_type()) {
        for (o, &k) in out.iter_mut().zip(keys) {
            *o = key(k) as f64;
        }
        return;
    }
    let values = dict.values();
    let mut decoded = vec![0.0; values.len()];
    convert(&**values, 0, &mut decoded);
    for (o, &k) in out.iter_mut().zip(keys) {
        *o = decoded.get(key(k)).copied().unwrap_or(f64::NAN);
    }
}

/// True for string types.
fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// The strings of a text array (null as empty).
fn text_values(values: &ArrayRef) -> Vec<String> {
    let text = |i: usize| -> String {
        if values.is_null(i) {
            return String::new();
        }
        match values.data_type() {
            DataType::Utf8 => values.as_string::<i32>().value(i).to_string(),
            DataType::LargeUtf8 => values.as_string::<i64>().value(i).to_string(),
            _ => values.as_string_view().value(i).to_string(),
        }
    };
    (0..values.len()).map(text).collect()
}

/// The element type gigaplot reads a column of `t` as, or why it cannot.
fn dtype_of(t: &DataType) -> std::result::Result<DType, String> {
    numeric(t).ok_or_else(|| {
        format!(
            "is a column of {}, not numbers; gigaplot reads integer, float, bool and dictionary-encoded columns",
            type_name(t)
        )
    })
}

/// The element type gigaplot reads a column of `t` as, if any.
fn numeric(t: &DataType) -> Option<DType> {
    Some(match t {
        DataType::Boolean => DType::Bool,
        DataType::Int8 => DType::I8,
        DataType::Int16 => DType::I16,
        DataType::Int32 => DType::I32,
        DataType::Int64 => DType::I64,
        DataType::UInt8 => DType::U8,
        DataType::UInt16 => DType::U16,
        DataType::UInt32 => DType::U32,
        DataType::UInt64 => DType::U64,
        // float16 widens to float32 exactly.
        DataType::Float16 | DataType::Float32 => DType::F32,
        DataType::Float64 => DType::F64,
        DataType::Dictionary(key, values) if is_text(values) => numeric(key)?,
        DataType::Dictionary(key, values) if numeric(key).is_some() => numeric(values)?,
        _ => return None,
    })
}

/// How `info` and messages name a type: numpy's names for numbers.
fn type_name(t: &DataType) -> String {
    match t {
        DataType::Float16 => "float16".to_string(),
        DataType::Dictionary(k, v) => format!("dictionary<{}, {}>", type_name(k), type_name(v)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".to_string(),
        other => match numeric(other) {
            Some(d) => d.name().to_string(),
            None => other.to_string().to_lowercase(),
        },
    }
}

/// The schema and blocks of a file or stream.
struct Index {
    schema: SchemaRef,
    version: MetadataVersion,
    dictionaries: Vec<Block>,
    batches: Vec<Block>,
}

/// Bytes of a block: its metadata (with prefix) and body.
fn block_len(block: &Block) -> usize {
    block.metaDataLength() as usize + block.bodyLength() as usize
}

/// The message at the start of `block`, after checking the block lies in the file.
fn message_at<'a>(map: &'a [u8], block: &Block) -> std::result::Result<arrow_ipc::Message<'a>, String> {
    let (offset, meta) = (usize::try_from(block.offset()), usize::try_from(block.metaDataLength()));
    let body = usize::try_from(block.bodyLength());
    let (Ok(offset), Ok(meta), Ok(body)) = (offset, meta, body) else {
        return Err("a block has a negative offset or length".to_string());
    };
    let end = offset.checked_add(meta).and_then(|e| e.checked_add(body));
    if meta < 8 || end.is_none_or(|end| end > map.len()) {
        return Err("a block lies outside the file".to_string());
    }
    let head = &map[offset..offset + meta];
    let skip = if head[..4] == [0xff; 4] { 8 } else { 4 };
    arrow_ipc::root_as_message(&head[skip..])
        .map_err(|e| format!("unreadable message: {}", one_line(&e.to_string())))
}

/// Reads the footer of an IPC file.
fn index_file(map: &[u8]) -> std::result::Result<Index, String> {
    let n = map.len();
    if n < 16 || &map[n - 6..] != b"ARROW1" {
        return Err("the footer's ARROW1 magic is missing".to_string());
    }
    let tail: [u8; 10] = map[n - 10..].try_into().map_err(|_| "short file".to_string())?;
    let footer_len = arrow_ipc::reader::read_footer_length(tail).map_err(|e| e.to_string())?;
    let footer_start =
        (n - 10).checked_sub(footer_len).filter(|&s| s >= 8).ok_or("the footer length is wrong")?;
    let footer = arrow_ipc::root_as_footer(&map[footer_start..n - 10])
        .map_err(|e| format!("unreadable footer: {}", one_line(&e.to_string())))?;
    let fb_schema = footer.schema().ok_or("the footer has no schema")?;
    if !fb_schema.endianness().equals_to_target_endianness() {
        return Err("it is big-endian".to_string());
    }
    let schema = Arc::new(arrow_ipc::convert::try_fb_to_schema(fb_schema).map_err(|e| e.to_string())?);
    let dictionaries: Vec<Block> =
        footer.dictionaries().map(|l| l.iter().copied().collect()).unwrap_or_default();
    let batches: Vec<Block> = footer.recordBatches().map(|l| l.iter().copied().collect()).unwrap_or_default();
    for b in dictionaries.iter().chain(&batches) {
        message_at(map, b)?;
    }
    Ok(Index { schema, version: footer.version(), dictionaries, batches })
}

/// Scans the message headers of an IPC stream (bodies skipped) into an index.
fn index_stream(map: &[u8]) -> std::result::Result<Index, String> {
    let mut at = 0usize;
    let mut schema = None;
    let mut version = MetadataVersion::V5;
    let (mut dictionaries, mut batches) = (Vec::new(), Vec::new());
    loop {
        let Some(word) = map.get(at..at + 4) else {
            // A stream may end without its end-of-stream marker.
            if at == map.len() {
                break;
            }
            return Err("it ends inside a message".to_string());
        };
        let (prefix, len) = if word == [0xff; 4] {
            let len = map.get(at + 4..at + 8).ok_or("it ends inside a message")?;
            (8, i32::from_le_bytes([len[0], len[1], len[2], len[3]]))
        } else {
            (4, i32::from_le_bytes([word[0], word[1], word[2], word[3]]))
        };
        let len = usize::try_from(len).map_err(|_| "a message has a negative length".to_string())?;
        if len == 0 {
            break;
        }
        let meta_len = i32::try_from(prefix + len).map_err(|_| "a message is too long")?;
        let head = map.get(at + prefix..at + prefix + len).ok_or("it ends inside a message")?;
        let message = arrow_ipc::root_as_message(head)
            .map_err(|e| format!("unreadable message: {}", one_line(&e.to_string())))?;
        let body = message.bodyLength();
        let block = Block::new(at as i64, meta_len, body);
        message_at(map, &block)?;
        match message.header_type() {
            MessageHeader::Schema if schema.is_none() => {
                let fb = message.header_as_schema().ok_or("unreadable schema")?;
                if !fb.endianness().equals_to_target_endianness() {
                    return Err("it is big-endian".to_string());
                }
                version = message.version();
                schema = Some(Arc::new(arrow_ipc::convert::try_fb_to_schema(fb).map_err(|e| e.to_string())?));
            }
            MessageHeader::DictionaryBatch => dictionaries.push(block),
            MessageHeader::RecordBatch => batches.push(block),
            other => return Err(format!("unexpected message {other:?}")),
        }
        if schema.is_none() {
            return Err("it does not start with a schema".to_string());
        }
        at += block_len(&block);
    }
    let schema = schema.ok_or("it holds no schema")?;
    Ok(Index { schema, version, dictionaries, batches })
}

/// A decoder's message on one line (flatbuffer errors span several).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
