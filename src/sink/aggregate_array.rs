//! The raw aggregate in memory, for library (and Python) users who want the values, not a
//! file: the same little-endian bytes, dtype and shape as the `.npy` of an
//! [`crate::sink::AggregateSink`] of the same render, row 0 = top.

use crate::data::DType;
use crate::error::{Error, Result};
use crate::sink::memory::{allocate, Finished, IN_MEMORY_LIMIT};
use crate::sink::npy::aggregate_shape;
use crate::sink::{Band, CanvasInfo, Sink};

/// A raw aggregate in memory: C-order values of `dtype`, little-endian, of shape
/// `[height, width]` or `[height, width, channels]` (count-cat), row 0 = top. Hand
/// [`AggregateArray::into_bytes`], [`AggregateArray::shape`] and [`AggregateArray::dtype`]
/// (its NumPy descriptor: [`DType::descr`]) to NumPy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregateArray {
    dtype: DType,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

/// An element type an [`AggregateArray`] can be read as.
pub trait Element: Copy + sealed::Sealed {
    /// The dtype whose values are of this type.
    const DTYPE: DType;
    /// The value in `bytes` (exactly `DTYPE.size()` little-endian bytes).
    fn from_le(bytes: &[u8]) -> Self;
}

mod sealed {
    /// Only gigaplot's element types are [`super::Element`]s.
    pub trait Sealed {}
}

/// Implements [`Element`] for number types.
macro_rules! element {
    ($($t:ty => $dtype:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$dtype;
            fn from_le(bytes: &[u8]) -> Self {
                let mut raw = [0u8; std::mem::size_of::<$t>()];
                raw.copy_from_slice(bytes);
                <$t>::from_le_bytes(raw)
            }
        }
    )*};
}

element!(i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8, u16 => U16, u32 => U32, u64 => U64,
         f32 => F32, f64 => F64);

impl sealed::Sealed for bool {}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
    fn from_le(bytes: &[u8]) -> Self {
        bytes[0] != 0
    }
}

impl AggregateArray {
    /// The array of `dtype` values of `shape` held in `bytes` (little-endian, C order, row
    /// 0 = top), for the aggregates made without a sink (`by`).
    pub(crate) fn from_parts(dtype: DType, shape: Vec<usize>, bytes: Vec<u8>) -> AggregateArray {
        debug_assert_eq!(bytes.len(), shape.iter().product::<usize>() * dtype.size());
        AggregateArray { dtype, shape, bytes }
    }

    /// The element type (`U32` for counts, `Bool` for any, `F64` or `F32` for values).
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// `[height, width]`, or `[height, width, channels]` when a pixel holds several values.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.shape[1]
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.shape[0]
    }

    /// Values per pixel: 1, or the number of categories.
    pub fn channels(&self) -> usize {
        self.shape.get(2).copied().unwrap_or(1)
    }

    /// The values as little-endian bytes, C order (row 0 = top, then columns, then
    /// channels): exactly the data of the `.npy` file.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The byte buffer, without copying.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The values as `T`, in C order; fails when `T` is not of the array's dtype.
    pub fn values<T: Element>(&self) -> Result<Vec<T>> {
        if T::DTYPE != self.dtype {
            return Err(Error::usage(
                "AggregateArray::values",
                format!("the aggregate holds {} values, not {}", self.dtype.descr(), T::DTYPE.descr()),
            ));
        }
        Ok(self.bytes.chunks_exact(self.dtype.size()).map(T::from_le).collect())
    }
}

/// A [`Sink`] keeping the raw aggregate as an [`AggregateArray`], handed back through the
/// [`Finished`] made with it. Aggregates over a limit ([`IN_MEMORY_LIMIT`] bytes by
/// default) are refused when the render begins.
#[derive(Debug)]
pub struct AggregateArraySink {
    limit: u64,
    array: Option<AggregateArray>,
    rows_done: usize,
    finished: Finished<AggregateArray>,
}

impl AggregateArraySink {
    /// A sink refusing aggregates over [`IN_MEMORY_LIMIT`] bytes, and the handle its array
    /// comes through.
    pub fn new() -> (AggregateArraySink, Finished<AggregateArray>) {
        AggregateArraySink::with_limit(IN_MEMORY_LIMIT)
    }

    /// A sink refusing aggregates over `limit` bytes, and the handle its array comes
    /// through.
    pub fn with_limit(limit: u64) -> (AggregateArraySink, Finished<AggregateArray>) {
        let finished = Finished::new();
        (AggregateArraySink { limit, array: None, rows_done: 0, finished: finished.clone() }, finished)
    }
}

impl Sink for AggregateArraySink {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        let dtype = canvas.aggregate_dtype;
        let shape = aggregate_shape(canvas);
        let bytes = shape.iter().fold(dtype.size() as u64, |acc, &d| acc.saturating_mul(d as u64));
        let what = format!("a {} aggregate of shape {shape:?}", dtype.descr());
        let bytes = allocate("AggregateArraySink", &what, bytes, self.limit)?;
        self.array = Some(AggregateArray { dtype, shape, bytes });
        self.rows_done = 0;
        Ok(())
    }

    fn band(&mut self, band: &dyn Band) -> Result<()> {
        let Some(array) = self.array.as_mut() else { return Err(not_begun()) };
        let (y0, rows) = (band.y0() as usize, band.height() as usize);
        if y0 != self.rows_done || y0 + rows > array.height() {
            return Err(Error::usage(
                "AggregateArraySink",
                format!("band of rows {y0}..{} given after {} rows", y0 + rows, self.rows_done),
            ));
        }
        let stride = array.bytes.len() / array.height().max(1);
        let out = &mut array.bytes[y0 * stride..(y0 + rows) * stride];
        for (row, out) in out.chunks_exact_mut(stride).enumerate() {
            band.aggregate_row(row as u32, out);
        }
        self.rows_done += rows;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        let array = self.array.take().ok_or_else(not_begun)?;
        if self.rows_done != array.height() {
            return Err(Error::usage(
                "AggregateArraySink",
                format!("the aggregate has {} rows but only {} were given", array.height(), self.rows_done),
            ));
        }
        self.finished.put(array);
        Ok(())
    }
}

/// The error for a sink used before `begin`.
fn not_begun() -> Error {
    Error::usage("AggregateArraySink", "the aggregate array sink was used before begin()")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::{AggregateSink, PixelFormat};

    /// A band of count-cat-like values: pixel (x, y), channel c holds `100 y + 10 x + c`.
    struct Categories {
        y0: u32,
        height: u32,
    }

    impl Band for Categories {
        fn y0(&self) -> u32 {
            self.y0
        }
        fn height(&self) -> u32 {
            self.height
        }
        fn shade_row(&self, _row: u32, _format: PixelFormat, _out: &mut [u8]) {}
        fn aggregate_row(&self, row: u32, out: &mut [u8]) {
            for (i, v) in out.chunks_exact_mut(4).enumerate() {
                let (x, c) = (i as u32 / 3, i as u32 % 3);
                v.copy_from_slice(&(100 * (self.y0 + row) + 10 * x + c).to_le_bytes());
            }
        }
    }

    fn canvas(width: u32, height: u32, channels: u32) -> CanvasInfo {
        CanvasInfo {
            width,
            height,
            opaque: false,
            aggregate_dtype: DType::U32,
            aggregate_channels: channels,
            axes: Default::default(),
        }
    }

    fn run(sinks: Vec<Box<dyn Sink>>, canvas: &CanvasInfo) {
        for mut sink in sinks {
            sink.begin(canvas).unwrap();
            sink.band(&Categories { y0: 0, height: 2 }).unwrap();
            sink.band(&Categories { y0: 2, height: 2 }).unwrap();
            sink.finish().unwrap();
        }
    }

    #[test]
    fn the_array_is_the_npy_data_with_its_shape_and_dtype() {
        let canvas = canvas(4, 4, 3);
        let (sink, array) = AggregateArraySink::new();
        let (npy, bytes) = AggregateSink::to_writer(Vec::new());
        run(vec![Box::new(sink), Box::new(npy)], &canvas);
        let array = array.take().unwrap();
        let npy = bytes.take().unwrap();
        assert_eq!((array.shape(), array.dtype()), (&[4, 4, 3][..], DType::U32));
        assert_eq!((array.height(), array.width(), array.channels()), (4, 4, 3));
        // The .npy file is its header (of this shape and dtype) and then exactly these bytes.
        let header = crate::data::npy::encode_header(array.dtype(), array.shape());
        assert_eq!(npy, [&header[..], array.bytes()].concat());
        let values = array.values::<u32>().unwrap();
        assert_eq!(values[(2 * 4 + 1) * 3 + 2], 212);
        let err = array.values::<f64>().unwrap_err();
        assert_eq!(err.to_string(), "AggregateArray::values: the aggregate holds <u4 values, not <f8");
    }

    #[test]
    fn aggregates_over_the_limit_are_refused() {
        let (mut sink, finished) = AggregateArraySink::with_limit(47);
        let err = sink.begin(&canvas(4, 3, 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "AggregateArraySink: a <u4 aggregate of shape [3, 4] takes 48 bytes in memory, over the \
             limit of 47 bytes (raise it with AggregateArraySink::with_limit); write a PNG, an .npy \
             file or a tile pyramid instead"
        );
        assert!(finished.take().is_none());
    }
}
