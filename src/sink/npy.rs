//! Streaming `.npy` output: the raw aggregate (`--agg-out`), written row by row in image
//! order (row 0 = top = y max), readable with `numpy.load(path, mmap_mode='r')`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::data::npy::encode_header;
use crate::data::DType;
use crate::error::{Error, Result};
use crate::io::AtomicFile;
use crate::sink::{Band, CanvasInfo, Sink};

/// Bytes buffered before each write to the file.
const WRITE_BUFFER: usize = 1 << 20;

/// Writes a C-order `.npy` array of a known shape, streamed, under a temporary name.
#[derive(Debug)]
pub struct NpyWriter {
    path: PathBuf,
    out: BufWriter<TempFile>,
    /// Data bytes the header promises.
    expected: u64,
    /// Data bytes written so far.
    written: u64,
}

/// The temporary file as an `io::Write`, so a `BufWriter` can write straight into it.
#[derive(Debug)]
struct TempFile(AtomicFile);

impl Write for TempFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.file().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.file().flush()
    }
}

impl NpyWriter {
    /// Starts `path` with a header for `dtype` and `shape`.
    pub fn create(path: &Path, dtype: DType, shape: &[usize]) -> Result<NpyWriter> {
        let expected = shape
            .iter()
            .try_fold(dtype.size() as u64, |acc, &d| acc.checked_mul(d as u64))
            .ok_or_else(|| {
                Error::bad_parameter(
                    path.display().to_string(),
                    format!("an array of shape {shape:?} is too large"),
                )
            })?;
        let file = AtomicFile::create(path)?;
        let mut out = BufWriter::with_capacity(WRITE_BUFFER, TempFile(file));
        out.write_all(&encode_header(dtype, shape)).map_err(|e| Error::io(path, e))?;
        Ok(NpyWriter { path: path.to_path_buf(), out, expected, written: 0 })
    }

    /// Appends raw little-endian element bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let after = self.written + bytes.len() as u64;
        if after > self.expected {
            return Err(self.wrong_size(after));
        }
        self.out.write_all(bytes).map_err(|e| Error::io(&self.path, e))?;
        self.written = after;
        Ok(())
    }

    /// Checks that exactly the promised number of bytes was written, then commits.
    pub fn finish(self) -> Result<()> {
        if self.written != self.expected {
            return Err(self.wrong_size(self.written));
        }
        let file = self.out.into_inner().map_err(|e| Error::io(&self.path, e.into_error()))?;
        file.0.commit()?;
        Ok(())
    }

    /// The error for a data size that does not match the header.
    fn wrong_size(&self, bytes: u64) -> Error {
        Error::bad_parameter(
            self.path.display().to_string(),
            format!("{bytes} bytes of array data were written but the header promises {}", self.expected),
        )
    }
}

/// A [`Sink`] writing the raw aggregate of every band to a `.npy` file of shape
/// (height, width) in the aggregate's dtype.
#[derive(Debug)]
pub struct AggregateSink {
    path: PathBuf,
    writer: Option<NpyWriter>,
    /// Bytes of one aggregate row.
    row_bytes: usize,
    /// Rows written so far.
    rows_done: u64,
    /// Reused buffer for one row.
    row: Vec<u8>,
}

impl AggregateSink {
    /// An aggregate sink writing to `path` (created when the render begins).
    pub fn new(path: &Path) -> AggregateSink {
        AggregateSink { path: path.to_path_buf(), writer: None, row_bytes: 0, rows_done: 0, row: Vec::new() }
    }

    /// The error for a sink used before `begin`.
    fn not_begun(&self) -> Error {
        Error::bad_parameter(self.path.display().to_string(), "the aggregate sink was used before begin()")
    }
}

impl Sink for AggregateSink {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        let (width, height) = (canvas.width as usize, canvas.height as usize);
        let dtype = canvas.aggregate_dtype;
        let channels = canvas.aggregate_channels.max(1) as usize;
        let shape: Vec<usize> =
            if channels == 1 { vec![height, width] } else { vec![height, width, channels] };
        self.writer = Some(NpyWriter::create(&self.path, dtype, &shape)?);
        self.row_bytes = width * channels * dtype.size();
        self.row = vec![0; self.row_bytes];
        self.rows_done = 0;
        Ok(())
    }

    fn band(&mut self, band: &dyn Band) -> Result<()> {
        if u64::from(band.y0()) != self.rows_done {
            return Err(Error::bad_parameter(
                self.path.display().to_string(),
                format!("band starting at row {} given after {} rows", band.y0(), self.rows_done),
            ));
        }
        let writer = match self.writer.as_mut() {
            Some(w) => w,
            None => return Err(self.not_begun()),
        };
        for row in 0..band.height() {
            band.aggregate_row(row, &mut self.row);
            writer.write(&self.row)?;
        }
        self.rows_done += u64::from(band.height());
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        match self.writer.take() {
            Some(writer) => writer.finish(),
            None => Err(self.not_begun()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::PixelFormat;

    /// A band whose aggregate value at (x, y) is `y * 1000 + x` as u32.
    struct FakeBand {
        y0: u32,
        height: u32,
    }

    impl Band for FakeBand {
        fn y0(&self) -> u32 {
            self.y0
        }
        fn height(&self) -> u32 {
            self.height
        }
        fn shade_row(&self, _row: u32, _format: PixelFormat, _out: &mut [u8]) {}
        fn aggregate_row(&self, row: u32, out: &mut [u8]) {
            for (x, v) in out.chunks_exact_mut(4).enumerate() {
                v.copy_from_slice(&((self.y0 + row) * 1000 + x as u32).to_le_bytes());
            }
        }
    }

    fn canvas(width: u32, height: u32) -> CanvasInfo {
        CanvasInfo {
            width,
            height,
            opaque: false,
            aggregate_dtype: DType::U32,
            aggregate_channels: 1,
            axes: Default::default(),
        }
    }

    #[test]
    fn aggregate_file_is_header_then_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("agg.npy");
        let mut sink: Box<dyn Sink> = Box::new(AggregateSink::new(&path));
        sink.begin(&canvas(3, 5)).expect("begin");
        sink.band(&FakeBand { y0: 0, height: 2 }).expect("band");
        sink.band(&FakeBand { y0: 2, height: 3 }).expect("band");
        sink.finish().expect("finish");
        let bytes = std::fs::read(&path).expect("read");
        let mut dict = b"{'descr': '<u4', 'fortran_order': False, 'shape': (5, 3), }".to_vec();
        // 10 bytes of prefix + 60 of dictionary: padded so the data starts at byte 128.
        dict.resize(128 - 10 - 1, b' ');
        dict.push(b'\n');
        let mut expected = b"\x93NUMPY\x01\x00".to_vec();
        expected.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        expected.extend_from_slice(&dict);
        for y in 0..5u32 {
            for x in 0..3u32 {
                expected.extend_from_slice(&(y * 1000 + x).to_le_bytes());
            }
        }
        assert_eq!(bytes, expected);
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }

    #[test]
    fn wrong_byte_counts_are_errors_and_leave_no_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.npy");
        let mut writer = NpyWriter::create(&path, DType::F64, &[2, 2]).expect("create");
        writer.write(&[0; 24]).expect("write");
        let err = writer.write(&[0; 9]).unwrap_err();
        assert!(
            err.to_string().ends_with("33 bytes of array data were written but the header promises 32"),
            "{err}"
        );
        let err = writer.finish().unwrap_err();
        assert!(
            err.to_string().ends_with("24 bytes of array data were written but the header promises 32"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }

    #[test]
    fn unfinished_sink_leaves_no_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.npy");
        let mut sink = AggregateSink::new(&path);
        sink.begin(&canvas(4, 4)).expect("begin");
        sink.band(&FakeBand { y0: 0, height: 2 }).expect("band");
        let err = sink.band(&FakeBand { y0: 3, height: 1 }).unwrap_err();
        assert!(err.to_string().ends_with("band starting at row 3 given after 2 rows"), "{err}");
        drop(sink);
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
