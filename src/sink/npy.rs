//! Streaming `.npy` output: the raw aggregate (`--agg-out`), written row by row in image
//! order (row 0 = top = y max), readable with `numpy.load(path, mmap_mode='r')`.

use std::path::Path;

use crate::data::DType;
use crate::error::Result;
use crate::sink::{Band, CanvasInfo, Sink};

/// Writes a C-order `.npy` array of a known shape, streamed, under a temporary name.
#[derive(Debug)]
pub struct NpyWriter {
    _private: (),
}

impl NpyWriter {
    /// Starts `path` with a header for `dtype` and `shape`.
    pub fn create(path: &Path, dtype: DType, shape: &[usize]) -> Result<NpyWriter> {
        let _ = (path, dtype, shape);
        todo!()
    }

    /// Appends raw little-endian element bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let _ = bytes;
        todo!()
    }

    /// Checks that exactly the promised number of bytes was written, then commits.
    pub fn finish(self) -> Result<()> {
        todo!()
    }
}

/// A [`Sink`] writing the raw aggregate of every band to a `.npy` file of shape
/// (height, width) in the aggregate's dtype.
#[derive(Debug)]
pub struct AggregateSink {
    _private: (),
}

impl AggregateSink {
    /// An aggregate sink writing to `path` (created when the render begins).
    pub fn new(path: &Path) -> AggregateSink {
        let _ = path;
        todo!()
    }
}

impl Sink for AggregateSink {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        let _ = canvas;
        todo!()
    }
    fn band(&mut self, band: &dyn Band) -> Result<()> {
        let _ = band;
        todo!()
    }
    fn finish(self: Box<Self>) -> Result<()> {
        todo!()
    }
}
