//! A typed, memory-mapped, zero-copy column: one 1-D array, or one column of a 2-D
//! C-order array, read chunk by chunk as f64.
//!
//! Peak RSS counts mapped file pages, so callers walk a column in bounded chunks and call
//! [`NpyColumn::release`] on what they have read.
//!
//! Reading mapped bytes cannot fail (a file truncated under the mapping raises SIGBUS,
//! which the CLI's handler reports), so the inherent reads return values directly; as a
//! [`Source`] the column wraps them in `Ok`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use memmap2::{Advice, Mmap, UncheckedAdvice};
use rayon::prelude::*;

use crate::data::npy::{DType, NpyHeader};
use crate::data::source::{ColumnSummary, Floats, Source, SUMMARY_CHUNK};
use crate::error::{Error, Field, Problem, Result};

/// Which column of which file: `FILE.npy` (a 1-D array), `FILE.npy:K` (column K of a 2-D
/// array), or a column of a table file (Parquet, Arrow IPC, CSV) by name, `TABLE:NAME`, or
/// by position, `TABLE:K`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The file.
    pub path: PathBuf,
    /// The column of a 2-D array (or the K-th column of a table, counted from 0), if
    /// selected with `:K`.
    pub column: Option<usize>,
    /// The column of a table by name (`TABLE:NAME`); a name of digits that no column has
    /// selects the column at that position.
    pub name: Option<String>,
    /// The field delimiter of a CSV file (default: tab for `.tsv`, else comma).
    pub delimiter: Option<u8>,
}

impl ColumnSpec {
    /// Parses `FILE.npy`, `FILE.npy:K` or `TABLE:NAME`: a trailing `:K` is taken when K is
    /// all digits; `:NAME` after a file name ending in a table extension (`.parquet`,
    /// `.arrow`, `.feather`, `.ipc`, `.arrows`, `.csv`, `.tsv`) names a column (the first
    /// such colon counts, so names may hold colons).
    pub fn parse(text: &str) -> ColumnSpec {
        match text.rsplit_once(':') {
            Some((path, k)) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) => {
                // All digits: only overflow can fail, and such a column never exists.
                let column = k.parse().unwrap_or(usize::MAX);
                ColumnSpec { path: PathBuf::from(path), column: Some(column), ..ColumnSpec::default() }
            }
            _ => {
                let split = text.match_indices(':').map(|(i, _)| i).find(|&i| {
                    crate::data::format::is_table_name(Path::new(&text[..i])) && i + 1 < text.len()
                });
                match split {
                    Some(i) => ColumnSpec::in_table(Path::new(&text[..i]), &text[i + 1..]),
                    None => ColumnSpec { path: PathBuf::from(text), ..ColumnSpec::default() },
                }
            }
        }
    }

    /// Column `name` of the table file `table` (`render TABLE --x NAME`): by name, or by
    /// position when the name is all digits and no column has it.
    pub fn in_table(table: &Path, name: &str) -> ColumnSpec {
        ColumnSpec { path: table.to_path_buf(), name: Some(name.to_string()), ..ColumnSpec::default() }
    }

    /// This spec with a CSV field delimiter.
    pub fn with_delimiter(mut self, delimiter: Option<u8>) -> ColumnSpec {
        self.delimiter = delimiter;
        self
    }

    /// [`ColumnSpec::parse`] for text a user typed: refuses an empty file name and a column
    /// number too large to exist, with a message saying which.
    pub fn try_parse(text: &str) -> std::result::Result<ColumnSpec, String> {
        if text.is_empty() {
            return Err("an empty file name".into());
        }
        if let Some((_, k)) = text.rsplit_once(':') {
            if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) && k.parse::<usize>().is_err() {
                return Err(format!("the column number {k} is too large (at most {})", usize::MAX));
            }
        }
        Ok(ColumnSpec::parse(text))
    }

    /// `FILE.npy`, `FILE.npy:K` or `TABLE:NAME`, for messages.
    pub fn label(&self) -> String {
        match (&self.name, self.column) {
            (Some(name), _) => format!("{}:{name}", self.path.display()),
            (None, Some(k)) => format!("{}:{k}", self.path.display()),
            (None, None) => self.path.display().to_string(),
        }
    }

    /// The column number this spec selects in a `.npy` file: `:K`, or a name of digits.
    /// A non-numeric name is an error naming the file (`.npy` columns have no names).
    pub fn npy_column(&self) -> Result<Option<usize>> {
        match &self.name {
            None => Ok(self.column),
            Some(name) if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Some(name.parse().unwrap_or(usize::MAX)))
            }
            Some(name) => Err(Error::bad_input(
                self.path.display().to_string(),
                format!(
                    "is a .npy array, whose columns have no names; give a column number instead of '{name}'"
                ),
            )),
        }
    }
}

/// What [`NpyColumn::open_array`] opened: one column, or a whole 2-D array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrayShape {
    /// A 1-D array, or one column of a 2-D array selected with `:K`.
    Column,
    /// A whole 2-D array, numpy shape `(rows, cols)`, its values read flat in memory order.
    Matrix {
        /// First dimension (vertices per series, for lines).
        rows: usize,
        /// Second dimension (series, for lines).
        cols: usize,
        /// Fortran order: the columns lie one after the other (else C order: the rows do).
        fortran: bool,
    },
}

/// A memory-mapped column, checked against its file when opened.
#[derive(Debug)]
pub struct NpyColumn {
    spec: ColumnSpec,
    /// Names the file in the CLI's SIGBUS message while mapped; declared before `map` so it
    /// is dropped before the mapping goes away.
    _mapped: crate::io::cleanup::Registration,
    map: Mmap,
    dtype: DType,
    len: usize,
    /// Byte offset of value 0 in the file.
    first: usize,
    /// Values per row: 1 for a 1-D array, C for a column of an (N, C) array.
    step: usize,
    file_len: u64,
    mtime: Option<SystemTime>,
}

impl NpyColumn {
    /// Opens, maps and validates a column. Errors name the file (and `:K`).
    pub fn open(spec: &ColumnSpec) -> Result<NpyColumn> {
        NpyColumn::open_as(spec, false).map(|(column, _)| column)
    }

    /// Opens a column as [`NpyColumn::open`] does, except that a 2-D array named without `:K`
    /// opens whole: every value, in the file's memory order (C or Fortran), with its shape.
    /// Lines read such arrays as one series per column.
    pub fn open_array(spec: &ColumnSpec) -> Result<(NpyColumn, ArrayShape)> {
        NpyColumn::open_as(spec, true)
    }

    /// [`NpyColumn::open`], or [`NpyColumn::open_array`] when `whole`.
    fn open_as(spec: &ColumnSpec, whole: bool) -> Result<(NpyColumn, ArrayShape)> {
        let path = &spec.path;
        // Problems with the contents name `FILE.npy:K`; OS errors name the file itself.
        let bad = |problem: Problem| Error::bad_input(spec.label(), problem);
        let (map, header, meta) = map_npy(path, &spec.label())?;
        let selected = spec.npy_column()?;
        // Only a hint: a failure changes nothing but speed.
        let _ = map.advise(Advice::Sequential);
        let (shape, (len, first, step)) = match (header.shape.as_slice(), selected) {
            (&[rows, cols], None) if whole => {
                let fortran = header.fortran_order;
                (ArrayShape::Matrix { rows, cols, fortran }, (rows * cols, header.data_offset, 1))
            }
            _ => (ArrayShape::Column, select_column(&header, selected).map_err(bad)?),
        };
        let column = NpyColumn {
            spec: spec.clone(),
            _mapped: crate::io::cleanup::register_input(path, &map),
            map,
            dtype: header.dtype,
            len,
            first,
            step,
            file_len: meta.len(),
            mtime: meta.modified().ok(),
        };
        Ok((column, shape))
    }

    /// Number of values in the column.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.spec.path
    }

    /// `FILE.npy` or `FILE.npy:K`, for messages.
    pub fn label(&self) -> String {
        self.spec.label()
    }

    /// Converts values `start .. start + out.len()` to f64 into `out`.
    ///
    /// Panics if the range is outside the column (a programming error, never user input).
    pub fn read_f64(&self, start: usize, out: &mut [f64]) {
        let end = start.checked_add(out.len());
        assert!(
            end.is_some_and(|end| end <= self.len),
            "read_f64({start}, {}) outside a column of {} values",
            out.len(),
            self.len
        );
        if out.is_empty() {
            return;
        }
        let bytes = &self.map[self.byte_span(start, out.len())];
        decode_f64(self.dtype, bytes, self.step, out);
    }

    /// Tells the OS that the pages holding values `start .. start + len` are no longer needed,
    /// so they stop counting towards this process's RSS. The page shared with the next values
    /// is released with them, so a walk over consecutive spans releases every page. Releasing
    /// a page another thread still reads only costs it a re-read from the page cache.
    pub fn release(&self, start: usize, len: usize) {
        if len == 0 || start >= self.len {
            return;
        }
        let len = len.min(self.len - start);
        if let Some(pages) = pages_to_release(self.byte_span(start, len), page_size(), self.map.len()) {
            // SAFETY: the mapping is a read-only shared mapping of a file: MADV_DONTNEED only
            // drops this process's page-table entries, and any later access re-reads the
            // pages from the file (or the page cache), so no value the column hands out can
            // change. No reference into the mapping outlives a call to `read_f64`.
            let advice = UncheckedAdvice::DontNeed;
            let _ = unsafe { self.map.unchecked_advise_range(advice, pages.start, pages.len()) };
        }
    }

    /// Fails with [`crate::Error::InputChanged`] if the file's size or modification time
    /// differs from when it was opened.
    pub fn check_unchanged(&self) -> Result<()> {
        check_stamp(self.path(), self.file_len, self.mtime)
    }

    /// min, max, NaN and infinity counts in one parallel pass over bounded chunks.
    pub fn summary(&self) -> ColumnSummary {
        let chunks = self.len.div_ceil(SUMMARY_CHUNK);
        (0..chunks)
            .into_par_iter()
            .map_init(Vec::new, |buffer: &mut Vec<f64>, chunk| {
                let start = chunk * SUMMARY_CHUNK;
                let len = SUMMARY_CHUNK.min(self.len - start);
                buffer.resize(len, 0.0);
                self.read_f64(start, buffer);
                self.release(start, len);
                ColumnSummary::of_values(self.dtype, buffer)
            })
            .reduce(|| ColumnSummary::empty(self.dtype), ColumnSummary::merge)
    }

    /// The bytes holding values `start .. start + len` (len > 0) and everything between them.
    fn byte_span(&self, start: usize, len: usize) -> std::ops::Range<usize> {
        let size = self.dtype.size();
        let row = self.step * size;
        let begin = self.first + start * row;
        begin..begin + (len - 1) * row + size
    }
}

impl Source for NpyColumn {
    fn label(&self) -> String {
        self.spec.label()
    }

    fn len(&self) -> usize {
        self.len
    }

    fn dtype(&self) -> DType {
        self.dtype
    }

    #[inline]
    fn read_f64(&self, start: usize, out: &mut [f64]) -> Result<()> {
        NpyColumn::read_f64(self, start, out);
        Ok(())
    }

    fn release(&self, start: usize, len: usize) {
        NpyColumn::release(self, start, len);
    }

    fn floats(&self, start: usize, len: usize) -> Option<Floats<'_>> {
        if self.step != 1 || len == 0 || start.checked_add(len)? > self.len {
            return None;
        }
        let bytes = &self.map[self.byte_span(start, len)];
        // The mapping is page-aligned and numpy pads headers to 64 bytes, so the casts
        // succeed; an odd offset would only fall back to `read_f64`.
        match self.dtype {
            DType::F32 => bytemuck::try_cast_slice(bytes).ok().map(Floats::F32),
            DType::F64 => bytemuck::try_cast_slice(bytes).ok().map(Floats::F64),
            _ => None,
        }
    }

    fn check_unchanged(&self) -> Result<()> {
        NpyColumn::check_unchanged(self)
    }
}

/// Maps `path` read-only, parses its `.npy` header and checks that the data fits the file.
/// Problems with the contents are [`Error::BadInput`] naming `label`; OS errors name the file.
pub(crate) fn map_npy(path: &Path, label: &str) -> Result<(Mmap, NpyHeader, std::fs::Metadata)> {
    let bad = |problem: String| Error::bad_input(label, problem);
    // A FIFO or device is refused before it is opened (opening a FIFO would block).
    let (file, meta) = crate::io::file_kind::open_input(path, label)?;
    if meta.len() == 0 {
        return Err(bad("is empty (0 bytes), not a .npy file".into()));
    }
    // SAFETY: a read-only shared file mapping owned by the caller; gigaplot never writes
    // to its inputs. Another process could still truncate or rewrite the file while it
    // is mapped (the usual caveat of file mappings); `check_stamp` detects changes
    // of size and modification time so a render does not silently mix two versions.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    let header = NpyHeader::parse(&map).map_err(bad)?;
    check_data_fits(&header, map.len()).map_err(bad)?;
    Ok((map, header, meta))
}

/// Fails with [`Error::InputChanged`] if `path`'s size or modification time is no longer
/// `len` and `mtime` (as recorded when it was opened).
pub(crate) fn check_stamp(path: &Path, len: u64, mtime: Option<SystemTime>) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() != len || meta.modified().ok() != mtime {
        return Err(Error::InputChanged { path: path.to_path_buf() });
    }
    Ok(())
}

/// Converts every `step`-th element of `bytes` (little-endian `dtype` values, starting at an
/// element and ending right after one) to f64 into `out`; bool becomes 0 or 1.
pub(crate) fn decode_f64(dtype: DType, bytes: &[u8], step: usize, out: &mut [f64]) {
    match dtype {
        DType::Bool => convert::<u8>(bytes, step, out, |b| f64::from(u8::from(b != 0))),
        DType::I8 => convert::<i8>(bytes, step, out, f64::from),
        DType::I16 => convert::<i16>(bytes, step, out, f64::from),
        DType::I32 => convert::<i32>(bytes, step, out, f64::from),
        DType::I64 => convert::<i64>(bytes, step, out, |v| v as f64),
        DType::U8 => convert::<u8>(bytes, step, out, f64::from),
        DType::U16 => convert::<u16>(bytes, step, out, f64::from),
        DType::U32 => convert::<u32>(bytes, step, out, f64::from),
        DType::U64 => convert::<u64>(bytes, step, out, |v| v as f64),
        DType::F32 => convert::<f32>(bytes, step, out, f64::from),
        DType::F64 => convert::<f64>(bytes, step, out, |v| v),
    }
}

/// Fails unless the file (of `file_len` bytes) holds all the data its header promises.
fn check_data_fits(header: &NpyHeader, file_len: usize) -> Result<(), String> {
    let available = file_len - header.data_offset;
    match header.data_bytes() {
        Some(needed) if needed <= available => Ok(()),
        Some(needed) => Err(format!(
            "is truncated: the header promises {needed} bytes of data but only {available} follow it"
        )),
        None => Err(format!("has a shape {:?} too large to address on this machine", header.shape)),
    }
}

/// Length, byte offset of the first value and values per row of column `k` (or of the
/// whole 1-D array when `k` is None). A column of a Fortran-order array is contiguous.
fn select_column(header: &NpyHeader, k: Option<usize>) -> Result<(usize, usize, usize), Problem> {
    let offset = header.data_offset;
    match (header.shape.as_slice(), k) {
        (&[n], None) => Ok((n, offset, 1)),
        (&[n], Some(k)) => {
            Err(format!("is 1-D with shape ({n},), so it has no column {k}; give it without ':{k}'").into())
        }
        (&[n, c], None) => Err(problem![
            format!("is 2-D with shape ({n}, {c}); select a column as FILE.npy:K ("),
            Field::Glyph.set("lines"),
            " draws one line per column)"
        ]),
        (&[_, c], Some(k)) if k >= c => Err(format!("has {c} columns; column {k} does not exist").into()),
        // k < c and the data fits, so k * size (k * n * size) is within the file.
        (&[n, _], Some(k)) if header.fortran_order => Ok((n, offset + k * n * header.dtype.size(), 1)),
        (&[n, c], Some(k)) => Ok((n, offset + k * header.dtype.size(), c)),
        (shape, _) => Err(format!("has an unexpected shape {shape:?}").into()),
    }
}

/// The pages (as a byte range) lying wholly inside `span`, if any.
fn pages_to_release(
    span: std::ops::Range<usize>,
    page: usize,
    map_len: usize,
) -> Option<std::ops::Range<usize>> {
    // Every page that starts before the span's end, from the page holding its start: the
    // page shared with the next span is left for that span's release (so walking a column
    // in consecutive spans releases every page exactly when its last value has been read),
    // except at the end of the file, where nothing follows.
    let lo = span.start / page * page;
    let hi = if span.end >= map_len { map_len } else { span.end / page * page };
    (hi > lo).then_some(lo..hi)
}

/// The system's page size (4 KiB if it cannot be queried).
pub(crate) fn page_size() -> usize {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions; it returns -1 on error.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size).ok().filter(|&s| s.is_power_of_two()).unwrap_or(4096)
    })
}

/// A little-endian numpy element type.
trait Element: bytemuck::Pod {
    /// Reads one element from exactly `size_of::<Self>()` little-endian bytes.
    fn from_le(bytes: &[u8]) -> Self;
}

macro_rules! element {
    ($($t:ty),*) => {$(
        impl Element for $t {
            fn from_le(bytes: &[u8]) -> Self {
                let mut raw = [0u8; std::mem::size_of::<$t>()];
                raw.copy_from_slice(bytes);
                <$t>::from_le_bytes(raw)
            }
        }
    )*};
}
element!(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64);

/// Converts every `step`-th element of `bytes` (which starts at an element and ends right
/// after one) into `out` with `f`: zero-copy when `bytes` is aligned for `T` on a
/// little-endian machine, through `from_le_bytes` otherwise.
#[inline]
fn convert<T: Element>(bytes: &[u8], step: usize, out: &mut [f64], f: impl Fn(T) -> f64) {
    let size = std::mem::size_of::<T>();
    let cast = match cfg!(target_endian = "little") {
        true => bytemuck::try_cast_slice::<u8, T>(bytes).ok(),
        false => None,
    };
    match (cast, step) {
        (Some(values), 1) => {
            for (o, &v) in out.iter_mut().zip(values) {
                *o = f(v);
            }
        }
        (Some(values), _) => {
            for (o, &v) in out.iter_mut().zip(values.iter().step_by(step)) {
                *o = f(v);
            }
        }
        (None, _) => {
            for (o, chunk) in out.iter_mut().zip(bytes.chunks(size).step_by(step)) {
                *o = f(T::from_le(chunk));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::npy::encode_header;
    use std::fs::File;
    use std::io::Write;

    /// Writes `header` followed by `data` to `name` in `dir` and returns the path.
    fn write_file(dir: &tempfile::TempDir, name: &str, header: &[u8], data: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        let mut f = File::create(&path).unwrap();
        f.write_all(header).unwrap();
        f.write_all(data).unwrap();
        path
    }

    /// A v1 header for `descr`/`shape` padded so that its total length is `total` bytes.
    fn header_of_length(descr: &str, shape: &str, total: usize) -> Vec<u8> {
        let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        dict.push_str(&" ".repeat(total - 10 - dict.len() - 1));
        dict.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out
    }

    fn open(path: &Path, column: Option<usize>) -> Result<NpyColumn> {
        NpyColumn::open(&ColumnSpec { path: path.to_path_buf(), column, ..ColumnSpec::default() })
    }

    fn read_all(c: &NpyColumn) -> Vec<f64> {
        let mut out = vec![f64::NAN; c.len()];
        c.read_f64(0, &mut out);
        out
    }

    /// Little-endian bytes and expected f64 values of a sample array of each dtype.
    fn sample(dtype: DType) -> (Vec<u8>, Vec<f64>) {
        macro_rules! of {
            ($($v:expr),*) => {{
                let vals = [$($v),*];
                (vals.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
                 vals.iter().map(|&v| v as f64).collect::<Vec<f64>>())
            }};
        }
        match dtype {
            DType::Bool => (vec![0, 1, 0, 2, 255], vec![0.0, 1.0, 0.0, 1.0, 1.0]),
            DType::I8 => of!(-128i8, -1, 0, 1, 127),
            DType::I16 => of!(i16::MIN, -2, 0, 3, i16::MAX),
            DType::I32 => of!(i32::MIN, -5, 0, 7, i32::MAX),
            DType::I64 => of!(i64::MIN, -9, 0, 1i64 << 53, i64::MAX),
            DType::U8 => of!(0u8, 1, 2, 200, 255),
            DType::U16 => of!(0u16, 1, 2, 40000, u16::MAX),
            DType::U32 => of!(0u32, 1, 2, 4_000_000_000, u32::MAX),
            DType::U64 => of!(0u64, 1, 2, 1u64 << 60, u64::MAX),
            DType::F32 => of!(-1.5f32, 0.1, f32::MAX, f32::NEG_INFINITY, 1e-45),
            DType::F64 => of!(-1.5f64, 0.1, f64::MAX, f64::INFINITY, -0.0),
        }
    }

    const ALL: [DType; 11] = DType::ALL;

    #[test]
    fn parses_specs() {
        let spec = |p: &str, c| ColumnSpec { path: PathBuf::from(p), column: c, ..ColumnSpec::default() };
        assert_eq!(ColumnSpec::parse("a.npy"), spec("a.npy", None));
        assert_eq!(ColumnSpec::parse("a.npy:3"), spec("a.npy", Some(3)));
        assert_eq!(ColumnSpec::parse("a:b.npy"), spec("a:b.npy", None));
        assert_eq!(ColumnSpec::parse("d:/x.npy:12"), spec("d:/x.npy", Some(12)));
        assert_eq!(ColumnSpec::parse("a.npy:"), spec("a.npy:", None));
        assert_eq!(ColumnSpec::parse("a.npy:1x"), spec("a.npy:1x", None));
        assert_eq!(ColumnSpec::parse("a.npy:99999999999999999999999"), spec("a.npy", Some(usize::MAX)));
        assert_eq!(ColumnSpec::parse("a.npy:3").label(), "a.npy:3");
        assert_eq!(ColumnSpec::try_parse("a.npy:3"), Ok(spec("a.npy", Some(3))));
        assert_eq!(ColumnSpec::try_parse("a.npy:x"), Ok(spec("a.npy:x", None)));
        assert_eq!(ColumnSpec::try_parse(""), Err("an empty file name".to_string()));
        assert_eq!(
            ColumnSpec::try_parse("a.npy:99999999999999999999"),
            Err(format!("the column number 99999999999999999999 is too large (at most {})", usize::MAX))
        );
    }

    #[test]
    fn reads_every_dtype() {
        let dir = tempfile::tempdir().unwrap();
        for dtype in ALL {
            let (data, want) = sample(dtype);
            let path = write_file(&dir, "a.npy", &encode_header(dtype, &[want.len()]), &data);
            let c = open(&path, None).unwrap();
            assert_eq!((c.len(), c.dtype(), c.label()), (5, dtype, path.display().to_string()));
            assert_eq!(read_all(&c), want, "{dtype:?}");
            let mut part = [0.0; 2];
            c.read_f64(2, &mut part);
            assert_eq!(part, want[2..4], "{dtype:?}");
        }
    }

    #[test]
    fn reads_unaligned_data() {
        let dir = tempfile::tempdir().unwrap();
        for dtype in ALL {
            let (data, want) = sample(dtype);
            // Old numpy padded to 16 bytes; 83 and 85 bytes put the data off any alignment.
            for total in [80, 83, 85] {
                let header = header_of_length(dtype.descr(), "(5,)", total);
                let path = write_file(&dir, "u.npy", &header, &data);
                let c = open(&path, None).unwrap();
                assert_eq!(c.first, total);
                assert_eq!(read_all(&c), want, "{dtype:?} at offset {total}");
            }
        }
    }

    #[test]
    fn unaligned_bytes_take_the_fallback() {
        let raw: Vec<u8> =
            [0u8].into_iter().chain(2.5f64.to_le_bytes()).chain((-1.0f64).to_le_bytes()).collect();
        assert!(bytemuck::try_cast_slice::<u8, f64>(&raw[1..]).is_err());
        let mut out = [0.0; 2];
        convert::<f64>(&raw[1..], 1, &mut out, |v| v);
        assert_eq!(out, [2.5, -1.0]);
        let mut one = [0.0; 1];
        convert::<f64>(&raw[1..], 2, &mut one, |v| v);
        assert_eq!(one, [2.5]);
    }

    #[test]
    fn reads_columns_of_2_d_arrays() {
        let dir = tempfile::tempdir().unwrap();
        let values: Vec<i32> = (0..15).map(|i| i * 10 - 3).collect();
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        for total in [80, 83] {
            let header = header_of_length("<i4", "(5, 3)", total);
            let path = write_file(&dir, "m.npy", &header, &data);
            for k in 0..3 {
                let c = open(&path, Some(k)).unwrap();
                assert_eq!(c.len(), 5);
                assert_eq!(c.label(), format!("{}:{k}", path.display()));
                let want: Vec<f64> = (0..5).map(|r| f64::from(values[r * 3 + k])).collect();
                assert_eq!(read_all(&c), want);
                let mut part = [0.0; 3];
                c.read_f64(1, &mut part);
                assert_eq!(part, want[1..4]);
            }
        }
    }

    #[test]
    fn reads_columns_of_fortran_arrays_and_whole_arrays() {
        let dir = tempfile::tempdir().unwrap();
        // A (5, 3) array in Fortran order: column k is values 5k .. 5k + 5.
        let values: Vec<f64> = (0..15).map(|i| f64::from(i) * 1.5).collect();
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let header = crate::data::npy::encode_header_in_order(DType::F64, &[5, 3], true);
        let path = write_file(&dir, "f.npy", &header, &data);
        for k in 0..3 {
            let c = open(&path, Some(k)).unwrap();
            assert_eq!((c.len(), c.step), (5, 1));
            assert_eq!(read_all(&c), values[5 * k..5 * k + 5]);
        }
        let spec = ColumnSpec { path: path.clone(), ..ColumnSpec::default() };
        let (whole, shape) = NpyColumn::open_array(&spec).unwrap();
        assert_eq!(shape, ArrayShape::Matrix { rows: 5, cols: 3, fortran: true });
        assert_eq!((read_all(&whole), whole.label()), (values.clone(), path.display().to_string()));
        let c_path = write_file(&dir, "c.npy", &encode_header(DType::F64, &[5, 3]), &data);
        let (whole, shape) =
            NpyColumn::open_array(&ColumnSpec { path: c_path, ..ColumnSpec::default() }).unwrap();
        assert_eq!(shape, ArrayShape::Matrix { rows: 5, cols: 3, fortran: false });
        assert_eq!(read_all(&whole), values);
        // A 1-D array, or a selected column, opens as a column.
        let (one, shape) =
            NpyColumn::open_array(&ColumnSpec { path, column: Some(2), ..ColumnSpec::default() }).unwrap();
        assert_eq!((shape, read_all(&one)), (ArrayShape::Column, values[10..].to_vec()));
    }

    #[test]
    fn empty_arrays_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "e.npy", &encode_header(DType::F64, &[0]), &[]);
        let c = open(&path, None).unwrap();
        assert!(c.is_empty());
        c.read_f64(0, &mut []);
        c.release(0, 10);
        let s = c.summary();
        assert_eq!((s.len, s.min, s.max, s.nan_count), (0, None, None, 0));
        let path = write_file(&dir, "e2.npy", &encode_header(DType::F64, &[0, 3]), &[]);
        assert_eq!(open(&path, Some(2)).unwrap().len(), 0);
    }

    /// Asserts that `err`'s message contains `label` and every one of `words`.
    fn assert_error(err: Error, label: &str, words: &[&str]) {
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("{label}: ")), "{msg:?} does not start with {label:?}");
        for w in words {
            assert!(msg.contains(w), "{msg:?} lacks {w:?}");
        }
    }

    #[test]
    fn open_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str| dir.path().join(name);
        let label = |path: &Path| path.display().to_string();

        let missing = p("missing.npy");
        let err = open(&missing, None).unwrap_err();
        assert!(matches!(err, Error::Io { ref path, .. } if *path == missing));
        assert_error(err, &label(&missing), &["No such file"]);

        assert_error(
            open(dir.path(), None).unwrap_err(),
            &label(dir.path()),
            &["is a directory, not a regular file"],
        );
        assert_error(
            open(Path::new("/dev/zero"), None).unwrap_err(),
            "/dev/zero",
            &["is a character device, not a regular file"],
        );

        let empty = write_file(&dir, "empty.npy", &[], &[]);
        assert_error(
            open(&empty, None).unwrap_err(),
            &label(&empty),
            &["is empty (0 bytes), not a .npy file"],
        );

        let text = write_file(&dir, "text.npy", b"hello, world", &[]);
        assert_error(
            open(&text, None).unwrap_err(),
            &label(&text),
            &["is not a .npy file (bad magic bytes)"],
        );

        let short = write_file(&dir, "short.npy", b"\x93NUMPY\x01", &[]);
        assert_error(open(&short, None).unwrap_err(), &label(&short), &["truncated .npy header"]);

        let big = write_file(&dir, "big.npy", &header_of_length(">f8", "(1,)", 80), &[0; 8]);
        assert_error(open(&big, None).unwrap_err(), &label(&big), &["big-endian (>f8)", "astype('<f8')"]);

        assert_error(open(&big, Some(2)).unwrap_err(), &format!("{}:2", label(&big)), &["big-endian (>f8)"]);

        let cut = write_file(&dir, "cut.npy", &encode_header(DType::F32, &[10]), &[0; 39]);
        assert_error(
            open(&cut, None).unwrap_err(),
            &label(&cut),
            &["is truncated: the header promises 40 bytes of data but only 39 follow it"],
        );

        let huge = write_file(
            &dir,
            "huge.npy",
            &header_of_length("<f8", &format!("({}, 2)", usize::MAX / 2), 128),
            &[],
        );
        assert_error(open(&huge, None).unwrap_err(), &label(&huge), &["too large"]);

        let one = write_file(&dir, "one.npy", &encode_header(DType::F32, &[2]), &[0; 8]);
        assert_error(
            open(&one, Some(1)).unwrap_err(),
            &format!("{}:1", label(&one)),
            &["1-D", "no column 1"],
        );

        let two = write_file(&dir, "two.npy", &encode_header(DType::U8, &[4, 3]), &[0; 12]);
        assert_error(
            open(&two, None).unwrap_err(),
            &label(&two),
            &["is 2-D with shape (4, 3); select a column as FILE.npy:K (glyph=lines draws one line per column)"],
        );
        assert_error(
            open(&two, Some(3)).unwrap_err(),
            &format!("{}:3", label(&two)),
            &["has 3 columns; column 3 does not exist"],
        );
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_file_is_an_io_error() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "locked.npy", &encode_header(DType::U8, &[1]), &[0]);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
        // Root can read anything; the check only means something for other users.
        if File::open(&path).is_err() {
            let err = open(&path, None).unwrap_err();
            assert!(matches!(err, Error::Io { .. }));
            assert_error(err, &path.display().to_string(), &["Permission denied"]);
        }
    }

    #[test]
    fn release_keeps_values() {
        let dir = tempfile::tempdir().unwrap();
        let n = 100_000;
        let values: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = write_file(&dir, "r.npy", &header_of_length("<f8", &format!("({n},)"), 83), &data);
        let c = open(&path, None).unwrap();
        assert_eq!(read_all(&c), values);
        c.release(0, n);
        c.release(1000, 30_000);
        c.release(n - 1, 5);
        assert_eq!(read_all(&c), values);
        let matrix = write_file(&dir, "m.npy", &encode_header(DType::F64, &[n / 2, 2]), &data);
        let col = open(&matrix, Some(1)).unwrap();
        col.release(0, n / 2);
        let want: Vec<f64> = values.iter().skip(1).step_by(2).copied().collect();
        assert_eq!(read_all(&col), want);
    }

    #[test]
    fn release_covers_pages_up_to_the_next_span() {
        assert_eq!(pages_to_release(0..4096, 4096, 100_000), Some(0..4096));
        assert_eq!(pages_to_release(1..8192, 4096, 100_000), Some(0..8192));
        assert_eq!(pages_to_release(1..8191, 4096, 100_000), Some(0..4096));
        assert_eq!(pages_to_release(100..13000, 4096, 100_000), Some(0..12288));
        assert_eq!(pages_to_release(5000..6000, 4096, 100_000), None);
        assert_eq!(pages_to_release(98_000..100_000, 4096, 100_000), Some(94_208..100_000));
        let dir = tempfile::tempdir().unwrap();
        let page = page_size();
        let path = write_file(&dir, "s.npy", &encode_header(DType::U8, &[4 * page, 2]), &vec![0; 8 * page]);
        let c = open(&path, Some(1)).unwrap();
        // Row r of column 1 is at byte 128 + 2r + 1.
        assert_eq!(c.first, 129);
        assert_eq!(c.byte_span(0, 3), 129..134);
        assert_eq!(c.byte_span(10, 1), 149..150);
    }

    /// Resident KiB of the mapping starting at `addr`, from /proc/self/smaps.
    #[cfg(target_os = "linux")]
    fn resident_kib(addr: usize) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let head = format!("{addr:x}-");
        let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&head));
        let rss = lines.find(|l| l.starts_with("Rss:")).unwrap();
        rss.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn release_drops_resident_pages() {
        let dir = tempfile::tempdir().unwrap();
        let n = 1 << 18; // 2 MiB of f64
        let data: Vec<u8> = (0..n).flat_map(|i| (i as f64).to_le_bytes()).collect();
        let path = write_file(&dir, "rss.npy", &encode_header(DType::F64, &[n]), &data);
        let c = open(&path, None).unwrap();
        let before = read_all(&c);
        let addr = c.map.as_ptr() as usize;
        assert!(resident_kib(addr) >= 2048, "{} KiB", resident_kib(addr));
        c.release(0, n);
        // Only the page holding the header and the first values stays.
        assert!(resident_kib(addr) <= 8, "{} KiB", resident_kib(addr));
        assert_eq!(read_all(&c), before);
    }

    #[test]
    fn summary_counts_nan_and_inf() {
        let dir = tempfile::tempdir().unwrap();
        let values = [3.0f32, f32::NAN, -2.0, f32::INFINITY, 7.5, f32::NAN];
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = write_file(&dir, "s.npy", &encode_header(DType::F32, &[6]), &data);
        let s = open(&path, None).unwrap().summary();
        assert_eq!(
            s,
            ColumnSummary {
                len: 6,
                dtype: DType::F32,
                min: Some(-2.0),
                max: Some(f64::INFINITY),
                nan_count: 2,
                inf_count: 1
            }
        );
        let nans: Vec<u8> = [f64::NAN; 3].iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = write_file(&dir, "n.npy", &encode_header(DType::F64, &[3]), &nans);
        let s = open(&path, None).unwrap().summary();
        assert_eq!((s.min, s.max, s.nan_count, s.inf_count), (None, None, 3, 0));
    }

    #[test]
    fn summary_spans_many_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let n = 2 * SUMMARY_CHUNK + 12_345;
        let values: Vec<i32> = (0..n as i32).map(|i| (i % 1000) - 500 + i / 100_000).collect();
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = write_file(&dir, "big.npy", &encode_header(DType::I32, &[n / 3, 3]), &data);
        let s = open(&path, Some(2)).unwrap().summary();
        let col: Vec<i32> = values.iter().skip(2).step_by(3).copied().collect();
        let want_min = f64::from(*col.iter().min().unwrap());
        let want_max = f64::from(*col.iter().max().unwrap());
        assert_eq!((s.len, s.min, s.max, s.nan_count), (n / 3, Some(want_min), Some(want_max), 0));
        let path = write_file(&dir, "big1.npy", &encode_header(DType::I32, &[n]), &data);
        let s = open(&path, None).unwrap().summary();
        assert_eq!((s.len, s.min, s.max), (n, Some(-500.0), Some(499.0 + 21.0)));
    }

    #[test]
    fn detects_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "c.npy", &encode_header(DType::U8, &[2]), &[1, 2]);
        let c = open(&path, None).unwrap();
        c.check_unchanged().unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&[3]).unwrap();
        let err = c.check_unchanged().unwrap_err();
        assert!(matches!(err, Error::InputChanged { ref path } if *path == c.path()));
    }
}
