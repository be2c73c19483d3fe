//! NumPy columns borrowed without a copy: a 1-D array of any numeric or bool dtype is read
//! in place, as a [`MemoryColumn`] when contiguous (pandas, Polars and Arrow columns arrive
//! as NumPy views of their buffers), else through its strides by a [`StridedColumn`], chunk
//! by chunk as the render reads it. An `np.memmap` of a whole `.npy` file arrives as its
//! path: the library maps it and releases its pages once read, so a render of columns
//! larger than memory keeps the process's RSS bounded (mapped pages count as RSS).

use gigaplot::{ColumnSpec, DType, MemoryColumn, Source};
use numpy::ndarray::{s, ArrayView1};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use crate::converted::{HalfColumn, NullableColumn, Nulls, SwappedColumn};
use crate::errors::bad;

/// Declares [`Held`] and [`Slice`] for every element type a column may have.
macro_rules! column_types {
    ($($t:ty => $variant:ident),*) => {
        /// A NumPy array kept borrowed (read-only) while a render reads it.
        pub enum Held<'py> {
            /// A file column the library opens itself: a whole 1-D `.npy` file (an
            /// `np.memmap` of it), mapped and read in chunks with the pages it has read
            /// released, or `TABLE:COLUMN` of a Parquet, Arrow IPC or CSV file.
            Npy(String),
            /// The chunks of one column (an Arrow column of several chunks), in order.
            Chunks(Vec<Held<'py>>),
            /// Values with a null mask (true = null), as pandas' nullable dtypes hold them.
            Masked(Box<Held<'py>>, PyReadonlyArray1<'py, bool>),
            /// Values with an Arrow validity bitmap and the bit offset of the first value.
            Validity(Box<Held<'py>>, PyReadonlyArray1<'py, u8>, usize),
            /// Non-native 2-byte values, as uint16, and what they are.
            Swapped16(PyReadonlyArray1<'py, u16>, DType),
            /// Non-native 4-byte values, as uint32, and what they are.
            Swapped32(PyReadonlyArray1<'py, u32>, DType),
            /// Non-native 8-byte values, as uint64, and what they are.
            Swapped64(PyReadonlyArray1<'py, u64>, DType),
            /// float16 values as uint16, and whether their byte order is non-native.
            Half(PyReadonlyArray1<'py, u16>, bool),
            $(#[doc = concat!("An array of ", stringify!($t), ".")] $variant(PyReadonlyArray1<'py, $t>),)*
        }

        /// The values of a [`Held`] array, as a view that can cross into other threads.
        #[derive(Clone)]
        pub enum Slice<'a> {
            /// The path of a `.npy` file or `TABLE:COLUMN`.
            Npy(&'a str),
            /// The chunks of one column, in order.
            Chunks(Vec<Slice<'a>>),
            /// Values and where their nulls are.
            Nullable(Box<Slice<'a>>, Nulls<'a>),
            /// Non-native 2-byte values.
            Swapped16(ArrayView1<'a, u16>, DType),
            /// Non-native 4-byte values.
            Swapped32(ArrayView1<'a, u32>, DType),
            /// Non-native 8-byte values.
            Swapped64(ArrayView1<'a, u64>, DType),
            /// float16 bits, swapped or not.
            Half(ArrayView1<'a, u16>, bool),
            $(#[doc = concat!("Values of ", stringify!($t), ".")] $variant(ArrayView1<'a, $t>),)*
        }

        impl<'py> Held<'py> {
            /// Borrows `array`, a 1-D NumPy array of a supported dtype; `name` is the
            /// keyword in the error when it is not.
            pub fn extract(name: &str, array: &Bound<'py, PyAny>) -> PyResult<Held<'py>> {
                if let Ok(path) = array.extract::<String>() {
                    return Ok(Held::Npy(path));
                }
                if let Ok(list) = array.cast::<pyo3::types::PyList>() {
                    return list.iter().map(|chunk| Held::extract(name, &chunk)).collect::<PyResult<_>>().map(Held::Chunks);
                }
                if let Ok(tuple) = array.cast::<pyo3::types::PyTuple>() {
                    return Held::extract_converted(name, tuple);
                }
                $(if let Ok(a) = array.extract::<PyReadonlyArray1<'py, $t>>() {
                    return Ok(Held::$variant(a));
                })*
                let dtype = array.getattr("dtype").map(|d| d.to_string()).unwrap_or_else(|_| "unknown".into());
                Err(bad(name, format!("columns must be 1-D arrays of numbers or bools, not {dtype}")))
            }

            /// The values in place.
            pub fn slice(&self) -> Slice<'_> {
                match self {
                    Held::Npy(path) => Slice::Npy(path),
                    Held::Chunks(chunks) => Slice::Chunks(chunks.iter().map(Held::slice).collect()),
                    Held::Masked(values, mask) => Slice::Nullable(Box::new(values.slice()), Nulls::Mask(mask.as_array())),
                    Held::Validity(values, bits, offset) => {
                        Slice::Nullable(Box::new(values.slice()), Nulls::Validity(bits.as_array(), *offset))
                    }
                    Held::Swapped16(a, dtype) => Slice::Swapped16(a.as_array(), *dtype),
                    Held::Swapped32(a, dtype) => Slice::Swapped32(a.as_array(), *dtype),
                    Held::Swapped64(a, dtype) => Slice::Swapped64(a.as_array(), *dtype),
                    Held::Half(a, swapped) => Slice::Half(a.as_array(), *swapped),
                    $(Held::$variant(a) => Slice::$variant(a.as_array()),)*
                }
            }
        }

        impl<'a> Slice<'a> {
            /// A library column reading these values in place.
            pub fn column(self, label: &str) -> gigaplot::Result<Box<dyn Source + 'a>> {
                Ok(match self {
                    Slice::Npy(path) => gigaplot::open_column(&ColumnSpec::parse(path))?,
                    Slice::Chunks(chunks) => Box::new(ChunkedColumn::new(
                        label,
                        chunks.into_iter().map(|c| c.column(label)).collect::<gigaplot::Result<_>>()?,
                    )?),
                    Slice::Nullable(values, nulls) => Box::new(NullableColumn::new(values.column(label)?, nulls)?),
                    Slice::Swapped16(bits, dtype) => Box::new(SwappedColumn { label: label.to_string(), bits, dtype }),
                    Slice::Swapped32(bits, dtype) => Box::new(SwappedColumn { label: label.to_string(), bits, dtype }),
                    Slice::Swapped64(bits, dtype) => Box::new(SwappedColumn { label: label.to_string(), bits, dtype }),
                    Slice::Half(bits, swapped) => Box::new(HalfColumn { label: label.to_string(), bits, swapped }),
                    $(Slice::$variant(v) => match v.to_slice() {
                        Some(values) => Box::new(MemoryColumn::new(label, values)),
                        None => Box::new(StridedColumn { label: label.to_string(), values: v }),
                    },)*
                })
            }
        }

    };
}

impl<'py> Held<'py> {
    /// A column converted as it is read, described by a tuple from `gigaplot._sources`:
    /// `("masked", values, mask)`, `("validity", values, bitmap, offset)`,
    /// `("swapped", uint_view, "f8")` (the dtype the bytes hold) or `("half", uint16_view, swapped)`.
    fn extract_converted(name: &str, tuple: &Bound<'py, pyo3::types::PyTuple>) -> PyResult<Held<'py>> {
        let kind: String = tuple.get_item(0)?.extract()?;
        let item = |i: usize| tuple.get_item(i);
        Ok(match kind.as_str() {
            "masked" => Held::Masked(Box::new(Held::extract(name, &item(1)?)?), item(2)?.extract()?),
            "validity" => Held::Validity(
                Box::new(Held::extract(name, &item(1)?)?),
                item(2)?.extract()?,
                item(3)?.extract()?,
            ),
            "swapped" => {
                let dtype = match item(2)?.extract::<String>()?.as_str() {
                    "i2" => DType::I16,
                    "u2" => DType::U16,
                    "i4" => DType::I32,
                    "u4" => DType::U32,
                    "f4" => DType::F32,
                    "i8" => DType::I64,
                    "u8" => DType::U64,
                    "f8" => DType::F64,
                    other => return Err(bad(name, format!("cannot read values of dtype {other}"))),
                };
                match dtype.size() {
                    2 => Held::Swapped16(item(1)?.extract()?, dtype),
                    4 => Held::Swapped32(item(1)?.extract()?, dtype),
                    _ => Held::Swapped64(item(1)?.extract()?, dtype),
                }
            }
            "half" => Held::Half(item(1)?.extract()?, item(2)?.extract()?),
            other => return Err(bad(name, format!("unknown column conversion {other:?}"))),
        })
    }
}

column_types!(f64 => F64, f32 => F32, i64 => I64, i32 => I32, i16 => I16, i8 => I8, u64 => U64,
              u32 => U32, u16 => U16, u8 => U8, bool => Bool);

/// An element type a strided column may hold.
pub trait Element: Copy + Sync + std::fmt::Debug {
    /// Its dtype.
    const DTYPE: DType;
    /// The value as f64, converted as NumPy's `astype(float64)` (as [`MemoryColumn`] does).
    fn to_f64(self) -> f64;
}

/// Implements [`Element`].
macro_rules! element {
    ($($t:ty => $variant:ident),*) => {$(
        impl Element for $t {
            const DTYPE: DType = DType::$variant;
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
element!(f64 => F64, f32 => F32, i64 => I64, i32 => I32, i16 => I16, i8 => I8, u64 => U64, u32 => U32,
         u16 => U16, u8 => U8);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
}

/// A NumPy array that is not contiguous (a strided or reversed view), read in place
/// through its strides: no copy of the column is ever made.
#[derive(Debug)]
pub struct StridedColumn<'a, T> {
    label: String,
    values: ArrayView1<'a, T>,
}

impl<T: Element> Source for StridedColumn<'_, T> {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn len(&self) -> usize {
        self.values.len()
    }
    fn dtype(&self) -> DType {
        T::DTYPE
    }
    fn read_f64(&self, start: usize, out: &mut [f64]) -> gigaplot::Result<()> {
        let part = self.values.slice(s![start..start + out.len()]);
        for (o, v) in out.iter_mut().zip(part.iter()) {
            *o = v.to_f64();
        }
        Ok(())
    }
}

/// One column made of several chunks read one after the other (an Arrow column of several
/// chunks, each borrowed in place): no chunk is copied or joined.
pub struct ChunkedColumn<'a> {
    label: String,
    chunks: Vec<Box<dyn Source + 'a>>,
    /// Index of each chunk's first value, and the total length last.
    starts: Vec<usize>,
}

impl std::fmt::Debug for ChunkedColumn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkedColumn").field("label", &self.label).field("starts", &self.starts).finish()
    }
}

impl<'a> ChunkedColumn<'a> {
    /// The chunks as one column; they must share one dtype.
    fn new(label: &str, chunks: Vec<Box<dyn Source + 'a>>) -> gigaplot::Result<ChunkedColumn<'a>> {
        if let Some(first) = chunks.first() {
            if let Some(other) = chunks.iter().find(|c| c.dtype() != first.dtype()) {
                return Err(gigaplot::Error::usage(
                    label,
                    format!(
                        "the chunks of the column hold {} and {} values",
                        first.dtype().descr(),
                        other.dtype().descr()
                    ),
                ));
            }
        }
        let mut starts = vec![0];
        for chunk in &chunks {
            starts.push(starts[starts.len() - 1] + chunk.len());
        }
        Ok(ChunkedColumn { label: label.to_string(), chunks, starts })
    }
}

impl Source for ChunkedColumn<'_> {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn len(&self) -> usize {
        self.starts[self.starts.len() - 1]
    }
    fn dtype(&self) -> DType {
        self.chunks.first().map_or(DType::F64, |c| c.dtype())
    }
    fn read_f64(&self, start: usize, out: &mut [f64]) -> gigaplot::Result<()> {
        let (mut at, mut done) = (start, 0);
        // the chunk holding `start`: the last whose first value is at or before it
        let mut k = self.starts.partition_point(|&s| s <= start).saturating_sub(1);
        while done < out.len() {
            let in_chunk = at - self.starts[k];
            let n = (self.chunks[k].len() - in_chunk).min(out.len() - done);
            self.chunks[k].read_f64(in_chunk, &mut out[done..done + n])?;
            done += n;
            at += n;
            k += 1;
        }
        Ok(())
    }
}
