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
            $(#[doc = concat!("An array of ", stringify!($t), ".")] $variant(PyReadonlyArray1<'py, $t>),)*
        }

        /// The values of a [`Held`] array, as a view that can cross into other threads.
        #[derive(Clone)]
        pub enum Slice<'a> {
            /// The path of a `.npy` file or `TABLE:COLUMN`.
            Npy(&'a str),
            /// The chunks of one column, in order.
            Chunks(Vec<Slice<'a>>),
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
                    $(Slice::$variant(v) => match v.to_slice() {
                        Some(values) => Box::new(MemoryColumn::new(label, values)),
                        None => Box::new(StridedColumn { label: label.to_string(), values: v }),
                    },)*
                })
            }
        }

    };
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
