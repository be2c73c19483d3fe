//! Table files written by the tests themselves with the Rust parquet, arrow and csv
//! writers (no Python): the same values in every format, and the .npy twins of their
//! columns (NaN where the table has nulls) for same-answer tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use arrow_array::types::Int8Type;
use arrow_array::{
    ArrayRef, DictionaryArray, Float32Array, Float64Array, Int32Array, Int8Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::basic::Compression;
use parquet::data_type::{DoubleType, FloatType, Int32Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

/// One nullable column of a test table.
#[derive(Clone, Debug)]
pub enum Col {
    /// float32
    F32(Vec<Option<f32>>),
    /// float64
    F64(Vec<Option<f64>>),
    /// int32 categories
    I32(Vec<Option<i32>>),
}

impl Col {
    fn len(&self) -> usize {
        match self {
            Col::F32(v) => v.len(),
            Col::F64(v) => v.len(),
            Col::I32(v) => v.len(),
        }
    }

    /// The column as f64 values, NaN for nulls.
    pub fn as_f64(&self) -> Vec<f64> {
        match self {
            Col::F32(v) => v.iter().map(|v| v.map_or(f64::NAN, f64::from)).collect(),
            Col::F64(v) => v.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
            Col::I32(v) => v.iter().map(|v| v.map_or(f64::NAN, f64::from)).collect(),
        }
    }

    /// Writes the .npy twin: float32, float64 or int32 (an int32 column must have no nulls).
    pub fn write_npy(&self, path: &Path) {
        use gigaplot::npy::encode_header;
        use gigaplot::DType;
        let (dtype, data): (DType, Vec<u8>) = match self {
            Col::F32(v) => (DType::F32, v.iter().flat_map(|v| v.unwrap_or(f32::NAN).to_le_bytes()).collect()),
            Col::F64(v) => (DType::F64, v.iter().flat_map(|v| v.unwrap_or(f64::NAN).to_le_bytes()).collect()),
            Col::I32(v) => {
                (DType::I32, v.iter().flat_map(|v| v.expect("no null categories").to_le_bytes()).collect())
            }
        };
        let mut bytes = encode_header(dtype, &[self.len()]);
        bytes.extend_from_slice(&data);
        std::fs::write(path, bytes).unwrap();
    }
}

/// A deterministic test table of `n` rows: x (float32, nulls every 97th), y (float32, nulls
/// every 89th), v (float64, nulls every 101st) and c (int32 categories 0..5).
pub fn sample(n: usize) -> Vec<(&'static str, Col)> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    let mut v = Vec::with_capacity(n);
    let mut c = Vec::with_capacity(n);
    for i in 0..n {
        let (a, b, w) = (next(), next(), next());
        let cat = (i * 7 + (a * 3.0) as usize) % 5;
        x.push((i % 97 != 5).then_some((a * 10.0 - 3.0 + cat as f64) as f32));
        y.push((i % 89 != 7).then_some((b * b * 8.0 - 1.0) as f32));
        v.push((i % 101 != 3).then_some(w * 100.0 - 20.0));
        c.push(Some(cat as i32));
    }
    vec![("x", Col::F32(x)), ("y", Col::F32(y)), ("v", Col::F64(v)), ("c", Col::I32(c))]
}

/// Writes `columns` as Parquet: row groups of `group` rows, pages of at most 1000 rows.
pub fn write_parquet(
    path: &Path,
    columns: &[(&str, Col)],
    group: usize,
    codec: Compression,
    dictionary: bool,
) {
    write_parquet_pages(path, columns, group, codec, dictionary, 1000);
}

/// [`write_parquet`] with pages of at most `page_rows` rows.
pub fn write_parquet_pages(
    path: &Path,
    columns: &[(&str, Col)],
    group: usize,
    codec: Compression,
    dictionary: bool,
    page_rows: usize,
) {
    let fields: Vec<String> = columns
        .iter()
        .map(|(name, col)| {
            let t = match col {
                Col::F32(_) => "float",
                Col::F64(_) => "double",
                Col::I32(_) => "int32",
            };
            format!("optional {t} {name};")
        })
        .collect();
    let schema = Arc::new(parse_message_type(&format!("message m {{ {} }}", fields.join(" "))).unwrap());
    let props = WriterProperties::builder()
        .set_compression(codec)
        .set_dictionary_enabled(dictionary)
        .set_data_page_row_count_limit(page_rows)
        .set_write_batch_size(page_rows.min(1024))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, Arc::new(props)).unwrap();
    let n = columns[0].1.len();
    for start in (0..n).step_by(group.max(1)) {
        let end = (start + group).min(n);
        let mut rg = writer.next_row_group().unwrap();
        for (_, col) in columns {
            let mut cw = rg.next_column().unwrap().unwrap();
            fn split<T: Copy>(v: &[Option<T>]) -> (Vec<T>, Vec<i16>) {
                (v.iter().flatten().copied().collect(), v.iter().map(|v| i16::from(v.is_some())).collect())
            }
            match col {
                Col::F32(v) => {
                    let (vals, defs) = split(&v[start..end]);
                    cw.typed::<FloatType>().write_batch(&vals, Some(&defs), None).unwrap();
                }
                Col::F64(v) => {
                    let (vals, defs) = split(&v[start..end]);
                    cw.typed::<DoubleType>().write_batch(&vals, Some(&defs), None).unwrap();
                }
                Col::I32(v) => {
                    let (vals, defs) = split(&v[start..end]);
                    cw.typed::<Int32Type>().write_batch(&vals, Some(&defs), None).unwrap();
                }
            }
            cw.close().unwrap();
        }
        rg.close().unwrap();
    }
    writer.close().unwrap();
}

/// The Arrow array of rows `start..end` of a column.
fn array(col: &Col, start: usize, end: usize) -> ArrayRef {
    match col {
        Col::F32(v) => Arc::new(Float32Array::from(v[start..end].to_vec())),
        Col::F64(v) => Arc::new(Float64Array::from(v[start..end].to_vec())),
        Col::I32(v) => Arc::new(Int32Array::from(v[start..end].to_vec())),
    }
}

/// Category names of the dictionary column `label` that [`write_arrow`] adds.
pub const LABELS: [&str; 5] = ["apple", "banana", "cherry", "date", "elder"];

/// Writes `columns` (plus `label`, the c column as a dictionary-encoded string column
/// when `c` is there) as an Arrow IPC file, or stream, in batches of `batch` rows,
/// compressed with `codec`.
pub fn write_arrow(
    path: &Path,
    columns: &[(&str, Col)],
    batch: usize,
    codec: Option<arrow_ipc::CompressionType>,
    stream: bool,
) {
    let dict_type = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8));
    let categories = columns.iter().find(|(name, _)| *name == "c").map(|(_, c)| c.clone());
    let mut fields: Vec<Field> = columns
        .iter()
        .map(|(name, col)| {
            let t = match col {
                Col::F32(_) => DataType::Float32,
                Col::F64(_) => DataType::Float64,
                Col::I32(_) => DataType::Int32,
            };
            Field::new(*name, t, true)
        })
        .collect();
    if categories.is_some() {
        fields.push(Field::new("label", dict_type, true));
    }
    let schema = Arc::new(Schema::new(fields));
    let options = arrow_ipc::writer::IpcWriteOptions::default().try_with_compression(codec).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let n = columns[0].1.len();
    let dictionary: ArrayRef = Arc::new(StringArray::from(LABELS.to_vec()));
    let batches = (0..n).step_by(batch.max(1)).map(|start| {
        let end = (start + batch).min(n);
        let mut arrays: Vec<ArrayRef> = columns.iter().map(|(_, c)| array(c, start, end)).collect();
        if let Some(Col::I32(c)) = &categories {
            let keys = Int8Array::from(c[start..end].iter().map(|k| k.map(|k| k as i8)).collect::<Vec<_>>());
            arrays.push(Arc::new(DictionaryArray::<Int8Type>::try_new(keys, dictionary.clone()).unwrap()));
        }
        RecordBatch::try_new(schema.clone(), arrays).unwrap()
    });
    if stream {
        let mut w = arrow_ipc::writer::StreamWriter::try_new_with_options(file, &schema, options).unwrap();
        for b in batches {
            w.write(&b).unwrap();
        }
        w.finish().unwrap();
    } else {
        let mut w = arrow_ipc::writer::FileWriter::try_new_with_options(file, &schema, options).unwrap();
        for b in batches {
            w.write(&b).unwrap();
        }
        w.finish().unwrap();
    }
}

/// Writes `columns` as CSV with a header row (empty fields for nulls), numbers in their
/// shortest round-trip form; with `quoted`, a quoted text column holding commas and
/// newlines comes first.
pub fn write_csv(path: &Path, columns: &[(&str, Col)], quoted: bool, delimiter: u8) {
    let mut w = csv::WriterBuilder::new().delimiter(delimiter).from_path(path).unwrap();
    let mut header: Vec<String> = columns.iter().map(|(n, _)| n.to_string()).collect();
    if quoted {
        header.insert(0, "note".to_string());
    }
    w.write_record(&header).unwrap();
    let n = columns[0].1.len();
    for i in 0..n {
        let mut row: Vec<String> = columns
            .iter()
            .map(|(_, c)| match c {
                Col::F32(v) => v[i].map_or(String::new(), |v| v.to_string()),
                Col::F64(v) => v[i].map_or(String::new(), |v| v.to_string()),
                Col::I32(v) => v[i].map_or(String::new(), |v| v.to_string()),
            })
            .collect();
        if quoted {
            row.insert(0, format!("row {i}, \"quoted\"\nsecond line"));
        }
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}
