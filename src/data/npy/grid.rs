//! A memory-mapped 2-D array (a raster): one `.npy` file of shape (rows, columns) in C order,
//! read row segment by row segment as f64.
//!
//! Peak RSS counts mapped file pages, so callers read a few rows at a time and call
//! [`Grid::release_rows`] on the rows they are done with.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use memmap2::{Advice, Mmap, UncheckedAdvice};

use crate::data::npy::column::{check_stamp, decode_f64, map_npy, page_size};
use crate::data::npy::{DType, NpyHeader};
use crate::error::{Error, Result};

/// The granularity of [`Grid::release_rows`]: what one page fault of a file mapping may map
/// at most. Linux maps the 64 KiB window around a fault (`fault_around_bytes`), and since
/// 6.18 the whole large folio of the page cache holding it, up to a PMD (2 MiB on x86-64
/// and arm64 with 4 KiB pages): rows released earlier would otherwise be mapped again by a
/// neighbour's fault and stay resident.
const RELEASE_WINDOW: usize = 2 * 1024 * 1024;

/// A memory-mapped 2-D numeric array, checked against its file when opened. Row 0 is the
/// first row in memory; where it lands on the canvas is the placement's business.
#[derive(Debug)]
pub struct Grid {
    path: PathBuf,
    map: Mmap,
    dtype: DType,
    rows: usize,
    cols: usize,
    /// Byte offset of element (0, 0) in the file.
    first: usize,
    file_len: u64,
    mtime: Option<SystemTime>,
}

impl Grid {
    /// Opens, maps and validates a 2-D `.npy` array of any numeric dtype. Errors name the
    /// file; 1-D, 3-D and empty arrays are rejected.
    pub fn open(path: impl AsRef<Path>) -> Result<Grid> {
        let path = path.as_ref();
        let (map, header, meta) = map_npy(path, &path.display().to_string())?;
        // Rows are read in order but not always once each: only a hint.
        let _ = map.advise(Advice::Normal);
        let (rows, cols) = raster_shape(&header).map_err(|p| Error::bad_input(path, p))?;
        Ok(Grid {
            path: path.to_path_buf(),
            map,
            dtype: header.dtype,
            rows,
            cols,
            first: header.data_offset,
            file_len: meta.len(),
            mtime: meta.modified().ok(),
        })
    }

    /// `(rows, columns)`, as numpy's `shape`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Converts the elements of `row` in columns `cols` to f64 into `out` (`cols.len()`
    /// values; bool becomes 0 or 1).
    ///
    /// Panics if the row or columns are outside the array or `out` has the wrong length (a
    /// programming error, never user input).
    pub fn read_row_f64(&self, row: usize, cols: Range<usize>, out: &mut [f64]) {
        assert!(
            row < self.rows && cols.start <= cols.end && cols.end <= self.cols,
            "read_row_f64({row}, {cols:?}) outside a {} x {} grid",
            self.rows,
            self.cols
        );
        assert_eq!(out.len(), cols.len(), "read_row_f64: output length");
        if out.is_empty() {
            return;
        }
        let size = self.dtype.size();
        let begin = self.first + (row * self.cols + cols.start) * size;
        decode_f64(self.dtype, &self.map[begin..begin + cols.len() * size], 1, out);
    }

    /// Tells the OS that the pages holding rows `rows` are no longer needed, so they stop
    /// counting towards this process's RSS. The span is widened to whole 2 MiB windows
    /// (the most one fault maps, `RELEASE_WINDOW`), which may release pages of neighbouring rows:
    /// whoever touches them again re-reads them from the page cache and releases them after
    /// use, so every page mapped is released by its last reader and none stays resident.
    pub fn release_rows(&self, rows: Range<usize>) {
        let rows = rows.start..rows.end.min(self.rows);
        if rows.is_empty() {
            return;
        }
        let row_bytes = self.cols * self.dtype.size();
        let span = self.first + rows.start * row_bytes..self.first + rows.end * row_bytes;
        // On a fault Linux maps every cached page of the aligned window around it
        // ("fault-around", or the whole large folio), which may include pages of rows
        // released earlier: release whole windows so that whatever reading these rows
        // mapped is unmapped again.
        let window = RELEASE_WINDOW.max(page_size());
        let lo = span.start / window * window;
        let hi = span.end.div_ceil(window).saturating_mul(window).min(self.map.len());
        if hi > lo {
            // SAFETY: the mapping is a read-only shared mapping of a file: MADV_DONTNEED only
            // drops this process's page-table entries, and any later access re-reads the
            // pages from the file (or the page cache), so no value the grid hands out can
            // change. No reference into the mapping outlives a call to `read_row_f64`.
            let advice = UncheckedAdvice::DontNeed;
            let _ = unsafe { self.map.unchecked_advise_range(advice, lo, hi - lo) };
        }
    }

    /// Fails with [`crate::Error::InputChanged`] if the file's size or modification time
    /// differs from when it was opened.
    pub fn check_unchanged(&self) -> Result<()> {
        check_stamp(&self.path, self.file_len, self.mtime)
    }

    /// Resident KiB of this grid's mapping (Linux only), for tests of release.
    #[cfg(all(test, target_os = "linux"))]
    pub(crate) fn resident_kib(&self) -> u64 {
        let addr = self.map.as_ptr() as usize;
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        let head = format!("{addr:x}-");
        let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&head));
        lines
            .find(|l| l.starts_with("Rss:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    }
}

/// `(rows, columns)` of a header that describes a non-empty 2-D array.
fn raster_shape(header: &NpyHeader) -> Result<(usize, usize), String> {
    if header.fortran_order {
        return Err(
            "is Fortran-ordered; a raster is read row by row: save it with np.ascontiguousarray".into()
        );
    }
    match header.shape.as_slice() {
        &[rows, cols] if rows > 0 && cols > 0 => Ok((rows, cols)),
        &[rows, cols] => {
            Err(format!("has shape ({rows}, {cols}); a raster needs at least one row and one column"))
        }
        shape => {
            Err(format!("has {} dimensions (shape {shape:?}); a raster must be a 2-D array", shape.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::npy::encode_header;
    use std::io::Write;

    /// Writes a `.npy` file of `dtype` and `shape` holding `data` and returns its path.
    fn write_npy(dir: &Path, name: &str, dtype: DType, shape: &[usize], data: &[u8]) -> PathBuf {
        let path = dir.join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(&encode_header(dtype, shape)).unwrap();
        f.write_all(data).unwrap();
        path
    }

    #[test]
    fn reads_row_segments_of_every_width() {
        let dir = tempfile::tempdir().unwrap();
        let values: Vec<i16> = (0..12).map(|i| i * 100 - 600).collect();
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = write_npy(dir.path(), "g.npy", DType::I16, &[3, 4], &data);
        let g = Grid::open(&path).unwrap();
        assert_eq!((g.shape(), g.dtype(), g.path()), ((3, 4), DType::I16, path.as_path()));
        let mut row = [0.0; 4];
        g.read_row_f64(1, 0..4, &mut row);
        assert_eq!(row, [-200.0, -100.0, 0.0, 100.0]);
        let mut part = [0.0; 2];
        g.read_row_f64(2, 1..3, &mut part);
        assert_eq!(part, [300.0, 400.0]);
        g.read_row_f64(0, 2..2, &mut []);
        g.check_unchanged().unwrap();
    }

    #[test]
    fn reads_bool_and_float_grids() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_npy(dir.path(), "b.npy", DType::Bool, &[2, 2], &[0, 1, 7, 0]);
        let mut out = [9.0; 2];
        Grid::open(&path).unwrap().read_row_f64(1, 0..2, &mut out);
        assert_eq!(out, [1.0, 0.0]);
        let data: Vec<u8> = [1.5f32, f32::NAN].iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = write_npy(dir.path(), "f.npy", DType::F32, &[1, 2], &data);
        Grid::open(&path).unwrap().read_row_f64(0, 0..2, &mut out);
        assert_eq!(out[0], 1.5);
        assert!(out[1].is_nan());
    }

    #[test]
    fn rejects_non_rasters_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&[usize], &str); 4] = [
            (&[4], "2-D"),
            (&[2, 2, 1], "2-D"),
            (&[0, 3], "at least one row"),
            (&[3, 0], "at least one row"),
        ];
        for (shape, words) in cases {
            let n: usize = shape.iter().product();
            let path = write_npy(dir.path(), "bad.npy", DType::U8, shape, &vec![0; n]);
            let message = Grid::open(&path).unwrap_err().to_string();
            assert!(message.starts_with(&path.display().to_string()), "{message}");
            assert!(message.contains(words), "{message}");
        }
        let path = write_npy(dir.path(), "short.npy", DType::U8, &[3, 3], &[0; 8]);
        assert!(Grid::open(&path).unwrap_err().to_string().contains("truncated"));
        let mut fortran = crate::data::npy::encode_header_in_order(DType::U8, &[2, 2], true);
        fortran.extend_from_slice(&[0; 4]);
        let path = dir.path().join("f.npy");
        std::fs::write(&path, fortran).unwrap();
        let message = Grid::open(&path).unwrap_err().to_string();
        assert!(message.contains("Fortran-ordered") && message.contains("np.ascontiguousarray"), "{message}");
        let missing = dir.path().join("missing.npy");
        assert!(matches!(Grid::open(&missing), Err(Error::Io { .. })));
    }

    #[test]
    fn detects_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_npy(dir.path(), "c.npy", DType::U8, &[2, 2], &[1, 2, 3, 4]);
        let g = Grid::open(&path).unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&[0]).unwrap();
        assert!(matches!(g.check_unchanged(), Err(Error::InputChanged { .. })));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn release_rows_drops_every_resident_page() {
        let dir = tempfile::tempdir().unwrap();
        let (rows, cols) = (64, 5000); // 2.4 MiB of f64, rows not page-aligned
        let data: Vec<u8> = (0..rows * cols).flat_map(|i| (i as f64).to_le_bytes()).collect();
        let path = write_npy(dir.path(), "r.npy", DType::F64, &[rows, cols], &data);
        let g = Grid::open(&path).unwrap();
        let mut row = vec![0.0; cols];
        for r in 0..rows {
            g.read_row_f64(r, 0..cols, &mut row);
        }
        assert!(g.resident_kib() >= 2400, "{} KiB", g.resident_kib());
        // Released in odd pieces and out of order: nothing stays.
        g.release_rows(10..33);
        g.release_rows(0..10);
        g.release_rows(33..1000);
        assert_eq!(g.resident_kib(), 0);
        g.read_row_f64(63, 0..cols, &mut row);
        assert_eq!(row[cols - 1], (rows * cols - 1) as f64);
    }

    /// Rows read bottom to top (a raster whose origin is at the bottom), each released once
    /// read: a fault that maps a whole large folio of the page cache maps rows released
    /// before, which must not stay resident (they did with 64 KiB windows on Linux 6.18).
    #[cfg(target_os = "linux")]
    #[test]
    fn rows_read_backwards_and_released_leave_few_pages() {
        let dir = tempfile::tempdir().unwrap();
        let (rows, cols) = (2048, 2048); // 32 MiB of f64, 16 KiB rows
        let data: Vec<u8> = (0..rows * cols).flat_map(|i| (i as f64).to_le_bytes()).collect();
        let path = write_npy(dir.path(), "b.npy", DType::F64, &[rows, cols], &data);
        let g = Grid::open(&path).unwrap();
        let mut row = vec![0.0; cols];
        let mut peak = 0;
        for r in (0..rows).rev() {
            g.read_row_f64(r, 0..cols, &mut row);
            assert_eq!(row[0], (r * cols) as f64);
            g.release_rows(r..r + 1);
            peak = peak.max(g.resident_kib());
        }
        assert!(peak <= 2 * RELEASE_WINDOW as u64 / 1024, "{peak} KiB resident at most");
        assert_eq!(g.resident_kib(), 0);
    }
}
