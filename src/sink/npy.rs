//! Streaming `.npy` output: the raw aggregate (`--agg-out`), written row by row in image
//! order (row 0 = top = y max), readable with `numpy.load(path, mmap_mode='r')`, to a file
//! that appears only complete ([`AggregateSink::new`]) or to any writer
//! ([`AggregateSink::to_writer`]).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::data::npy::encode_header;
use crate::data::DType;
use crate::error::{Error, Result};
use crate::io::AtomicFile;
use crate::sink::destination::Destination;
use crate::sink::{Band, CanvasInfo, Finished, Sink};

/// Bytes buffered before each write to the output.
const WRITE_BUFFER: usize = 1 << 20;

/// What errors name when an array goes to a writer rather than a file.
const STREAM_NAME: &str = "npy stream";

/// Writes a C-order `.npy` array of a known shape, streamed into `W`.
pub struct NpyWriter<W: Write = AtomicFile> {
    /// What errors name: the file's final path, or [`STREAM_NAME`].
    name: PathBuf,
    out: BufWriter<W>,
    /// Data bytes the header promises.
    expected: u64,
    /// Data bytes written so far.
    written: u64,
}

impl<W: Write> std::fmt::Debug for NpyWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NpyWriter")
            .field("name", &self.name)
            .field("expected", &self.expected)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl NpyWriter<AtomicFile> {
    /// Starts the file `path` (under a temporary name until [`AtomicFile::commit`] on what
    /// [`NpyWriter::finish`] returns) with a header for `dtype` and `shape`.
    #[cfg(test)]
    pub fn create(path: &Path, dtype: DType, shape: &[usize]) -> Result<NpyWriter<AtomicFile>> {
        let expected = data_bytes(path, dtype, shape)?;
        let file = AtomicFile::create(path)?;
        NpyWriter::named(file, path, dtype, shape, expected)
    }
}

impl<W: Write> NpyWriter<W> {
    /// Starts an array of `dtype` and `shape` written into `out` (errors name it "npy
    /// stream").
    #[cfg(test)]
    pub fn new(out: W, dtype: DType, shape: &[usize]) -> Result<NpyWriter<W>> {
        let name = Path::new(STREAM_NAME);
        let expected = data_bytes(name, dtype, shape)?;
        NpyWriter::named(out, name, dtype, shape, expected)
    }

    /// Writes the header; errors name `name`.
    fn named(out: W, name: &Path, dtype: DType, shape: &[usize], expected: u64) -> Result<NpyWriter<W>> {
        let mut out = BufWriter::with_capacity(WRITE_BUFFER, out);
        out.write_all(&encode_header(dtype, shape)).map_err(|e| Error::io(name, e))?;
        Ok(NpyWriter { name: name.to_path_buf(), out, expected, written: 0 })
    }

    /// Appends raw little-endian element bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let after = self.written + bytes.len() as u64;
        if after > self.expected {
            return Err(self.wrong_size(after));
        }
        self.out.write_all(bytes).map_err(|e| Error::io(&self.name, e))?;
        self.written = after;
        Ok(())
    }

    /// Checks that exactly the promised number of bytes was written, flushes, and returns
    /// the output (an [`AtomicFile`] still to be committed).
    pub fn finish(self) -> Result<W> {
        if self.written != self.expected {
            return Err(self.wrong_size(self.written));
        }
        let name = self.name;
        let mut out = self.out.into_inner().map_err(|e| Error::io(&name, e.into_error()))?;
        out.flush().map_err(|e| Error::io(&name, e))?;
        Ok(out)
    }

    /// The error for a data size that does not match the header.
    fn wrong_size(&self, bytes: u64) -> Error {
        Error::usage(
            self.name.display().to_string(),
            format!("{bytes} bytes of array data were written but the header promises {}", self.expected),
        )
    }
}

/// Data bytes of an array of `dtype` and `shape`; fails naming `name` when that overflows.
fn data_bytes(name: &Path, dtype: DType, shape: &[usize]) -> Result<u64> {
    shape.iter().try_fold(dtype.size() as u64, |acc, &d| acc.checked_mul(d as u64)).ok_or_else(|| {
        Error::usage(name.display().to_string(), format!("an array of shape {shape:?} is too large"))
    })
}

/// The shape of the raw aggregate of `canvas`: (height, width), or (height, width,
/// channels) when a pixel holds several values (count-cat).
pub fn aggregate_shape(canvas: &CanvasInfo) -> Vec<usize> {
    let (width, height) = (canvas.width as usize, canvas.height as usize);
    match canvas.aggregate_channels.max(1) as usize {
        1 => vec![height, width],
        channels => vec![height, width, channels],
    }
}

/// A [`Sink`] writing the raw aggregate of every band as a `.npy` array of
/// `aggregate_shape` in the aggregate's dtype, to a file or any writer.
pub struct AggregateSink<W: Write + Send = AtomicFile> {
    destination: Destination<W>,
    writer: Option<NpyWriter<W>>,
    /// Bytes of one aggregate row.
    row_bytes: usize,
    /// Rows written so far.
    rows_done: u64,
    /// Reused buffer for one row.
    row: Vec<u8>,
}

impl<W: Write + Send> std::fmt::Debug for AggregateSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregateSink")
            .field("destination", &self.destination)
            .field("writer", &self.writer)
            .field("rows_done", &self.rows_done)
            .finish_non_exhaustive()
    }
}

impl AggregateSink<AtomicFile> {
    /// An aggregate sink writing to the file `path` (created when the render begins,
    /// renamed into place with the render's other outputs when it finishes).
    pub fn new(path: &Path) -> AggregateSink<AtomicFile> {
        AggregateSink::with_destination(Destination::file(path))
    }
}

impl<W: Write + Send + 'static> AggregateSink<W> {
    /// An aggregate sink writing the `.npy` bytes into `writer`, which comes back through
    /// the [`Finished`] once the render has finished. The bytes are the same as
    /// [`AggregateSink::new`]'s file.
    pub fn to_writer(writer: W) -> (AggregateSink<W>, Finished<W>) {
        let (destination, finished) = Destination::writer(writer, STREAM_NAME);
        (AggregateSink::with_destination(destination), finished)
    }
}

impl<W: Write + Send> AggregateSink<W> {
    fn with_destination(destination: Destination<W>) -> AggregateSink<W> {
        AggregateSink { destination, writer: None, row_bytes: 0, rows_done: 0, row: Vec::new() }
    }

    /// The error for a sink used before `begin`.
    fn not_begun(&self) -> Error {
        Error::usage(
            self.destination.name().display().to_string(),
            "the aggregate sink was used before begin()",
        )
    }
}

impl<W: Write + Send> Sink for AggregateSink<W> {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        let dtype = canvas.aggregate_dtype;
        let shape = aggregate_shape(canvas);
        let name = self.destination.name().to_path_buf();
        let expected = data_bytes(&name, dtype, &shape)?;
        let out = self.destination.open()?;
        self.writer = Some(NpyWriter::named(out, &name, dtype, &shape, expected)?);
        self.row_bytes = shape[1..].iter().product::<usize>() * dtype.size();
        self.row = vec![0; self.row_bytes];
        self.rows_done = 0;
        Ok(())
    }

    fn band(&mut self, band: &dyn Band) -> Result<()> {
        if u64::from(band.y0()) != self.rows_done {
            return Err(Error::usage(
                self.destination.name().display().to_string(),
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
            Some(writer) => {
                let out = writer.finish()?;
                self.destination.close(out)
            }
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
    fn writers_get_the_bytes_of_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("agg.npy");
        let (to_writer, bytes) = AggregateSink::to_writer(Vec::new());
        let sinks: Vec<Box<dyn Sink>> = vec![Box::new(AggregateSink::new(&path)), Box::new(to_writer)];
        for mut sink in sinks {
            sink.begin(&canvas(3, 5)).expect("begin");
            sink.band(&FakeBand { y0: 0, height: 4 }).expect("band");
            sink.band(&FakeBand { y0: 4, height: 1 }).expect("band");
            sink.finish().expect("finish");
        }
        let file = std::fs::read(&path).expect("read");
        assert_eq!(file.len(), 128 + 5 * 3 * 4);
        assert_eq!(bytes.take().expect("finished"), file);
        let mut writer = NpyWriter::new(Vec::new(), DType::U32, &[5, 3]).expect("new");
        writer.write(&file[128..]).expect("write");
        assert_eq!(writer.finish().expect("finish"), file);
        let err = NpyWriter::new(Vec::new(), DType::F64, &[usize::MAX, 2]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("npy stream: an array of shape [{}, 2] is too large", usize::MAX)
        );
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
