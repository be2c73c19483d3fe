//! The one abstraction every column of values comes through: a [`Source`].
//!
//! A render never asks where values live. It asks a source for its length and element
//! type, and for values `start .. start + n` converted to f64, chunk by chunk; it releases
//! what it has read and checks, at the end, that the input did not change meanwhile. A
//! memory-mapped `.npy` column ([`crate::data::NpyColumn`]) and an in-memory slice or
//! vector ([`crate::data::MemoryColumn`]) are sources today.
//!
//! Formats that decode in blocks (Parquet pages, Arrow record batches, CSV) fit the same
//! trait: the partition walks its input in chunks, one thread per chunk, reading each
//! chunk front to back, so a source only needs random access at chunk granularity. Such a
//! source returns a stateful [`ColumnReader`] from [`Source::reader`] (which keeps the
//! block it decoded last and serves the following reads from it), may say which chunk
//! length suits its blocks ([`Source::chunk_len`]), and may hand over the statistics its
//! file stores ([`Source::known_summary`]) so that no pass is spent computing them. Decode
//! errors are ordinary [`crate::Error`]s: every read returns a `Result`, and the partition
//! stops at the first one.

use std::fmt;

use rayon::prelude::*;

use crate::data::DType;
use crate::error::Result;

/// Values per chunk of a summary pass (8 MiB of f64 per thread).
pub const SUMMARY_CHUNK: usize = 1 << 20;

/// A column of numbers: its length, element type, and values converted to f64 on request.
///
/// Implementations are shared by the worker threads of a render (`Send + Sync`); reads
/// take `&self`. Nulls, where a format has them, read as NaN.
pub trait Source: Send + Sync + fmt::Debug {
    /// What error messages call the column: `FILE.npy`, `FILE.npy:K`, or a name the
    /// library user chose.
    fn label(&self) -> String;

    /// Number of values.
    fn len(&self) -> usize;

    /// True when the column holds no values.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type (float columns keep float32 exports float32; count-cat needs an
    /// integer or bool type).
    fn dtype(&self) -> DType;

    /// Converts values `start .. start + out.len()` to f64 into `out` (NaN for nulls).
    ///
    /// Panics if the range is outside the column (a programming error, never user input).
    fn read_f64(&self, start: usize, out: &mut [f64]) -> Result<()>;

    /// A reader for the reads of one chunk of work, which go front to back. The default
    /// reads through [`Source::read_f64`]; block formats return a reader that keeps the
    /// block it decoded last.
    fn reader(&self) -> Box<dyn ColumnReader + '_> {
        Box::new(DirectReader(self))
    }

    /// Says that values `start .. start + len` have been read and are not needed again
    /// soon (a memory-mapped column drops their pages from the process's RSS). Only a
    /// hint: reading them again later must still work.
    fn release(&self, _start: usize, _len: usize) {}

    /// Fails with [`crate::Error::InputChanged`] if the data changed since the source was
    /// opened (checked after a render, so an output never mixes two versions of a file).
    fn check_unchanged(&self) -> Result<()> {
        Ok(())
    }

    /// The summary the format stores (Parquet statistics, say), when it has one: a render
    /// then skips its summary pass over this column. Its min, max and infinity count are
    /// exact; its NaN count may count only the nulls when the file does not count NaN
    /// values (`gigaplot info` reads the values instead).
    fn known_summary(&self) -> Option<ColumnSummary> {
        None
    }

    /// Values `start .. start + len` as they lie in memory, when the column holds float32
    /// or float64 values side by side (a mapped `.npy` column, a slice): the binning kernel
    /// of direct counting reads them in place, widening as it bins, instead of converting
    /// them to f64 first. None (the default) when they are not so.
    fn floats(&self, _start: usize, _len: usize) -> Option<Floats<'_>> {
        None
    }

    /// The chunk length that suits the format's blocks, if it has any (None: any length).
    fn chunk_len(&self) -> Option<usize> {
        None
    }

    /// Names of the category codes 0, 1, 2... when the column holds categories with names
    /// (a dictionary-encoded string column): count-cat's legend shows them.
    fn category_labels(&self) -> Option<Vec<String>> {
        None
    }
}

/// Float values in place, see [`Source::floats`].
#[derive(Clone, Copy, Debug)]
pub enum Floats<'a> {
    /// float32 values.
    F32(&'a [f32]),
    /// float64 values.
    F64(&'a [f64]),
}

/// Sequential reads within one chunk of work, see [`Source::reader`].
pub trait ColumnReader {
    /// Converts values `start .. start + out.len()` to f64 into `out`, like
    /// [`Source::read_f64`].
    fn read_f64(&mut self, start: usize, out: &mut [f64]) -> Result<()>;
}

/// The reader of sources that read any range directly.
struct DirectReader<'a, S: ?Sized>(&'a S);

impl<S: Source + ?Sized> ColumnReader for DirectReader<'_, S> {
    #[inline]
    fn read_f64(&mut self, start: usize, out: &mut [f64]) -> Result<()> {
        self.0.read_f64(start, out)
    }
}

/// A source as one chunk of work reads it: reads go through the source's
/// [`ColumnReader`], releases to the source.
pub struct Cursor<'s> {
    source: &'s dyn Source,
    reader: Box<dyn ColumnReader + 's>,
}

impl<'s> Cursor<'s> {
    /// Starts reading `source`.
    pub fn new(source: &'s dyn Source) -> Cursor<'s> {
        Cursor { source, reader: source.reader() }
    }

    /// Converts values `start .. start + out.len()` to f64 into `out`.
    #[inline]
    pub fn read(&mut self, start: usize, out: &mut [f64]) -> Result<()> {
        self.reader.read_f64(start, out)
    }

    /// [`Source::release`].
    #[inline]
    pub fn release(&self, start: usize, len: usize) {
        self.source.release(start, len);
    }
}

/// min, max and NaN count of a column, as `gigaplot info` shows them and as automatic
/// ranges and count-cat's number of categories need them.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSummary {
    /// Number of values.
    pub len: usize,
    /// Element type.
    pub dtype: DType,
    /// Smallest non-NaN value (possibly -inf, as Datashader's bounds), or None if there is
    /// none.
    pub min: Option<f64>,
    /// Largest non-NaN value (possibly +inf, as Datashader's bounds), or None if there is
    /// none.
    pub max: Option<f64>,
    /// Number of NaN values.
    pub nan_count: u64,
    /// Number of +-infinite values.
    pub inf_count: u64,
}

impl ColumnSummary {
    /// The summary of `values` alone (a building block of [`summarize`]).
    pub fn of_values(dtype: DType, values: &[f64]) -> ColumnSummary {
        let mut s = ColumnSummary::empty(dtype);
        s.len = values.len();
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in values {
            if v.is_nan() {
                s.nan_count += 1;
                continue;
            }
            s.inf_count += u64::from(v.is_infinite());
            min = min.min(v);
            max = max.max(v);
        }
        if s.nan_count < values.len() as u64 {
            (s.min, s.max) = (Some(min), Some(max));
        }
        s
    }

    /// The summary of no values.
    pub fn empty(dtype: DType) -> ColumnSummary {
        ColumnSummary { len: 0, dtype, min: None, max: None, nan_count: 0, inf_count: 0 }
    }

    /// The summary of the values of `self` and `other` together.
    pub fn merge(self, other: ColumnSummary) -> ColumnSummary {
        let pick = |a: Option<f64>, b: Option<f64>, f: fn(f64, f64) -> f64| match (a, b) {
            (Some(a), Some(b)) => Some(f(a, b)),
            (a, b) => a.or(b),
        };
        ColumnSummary {
            len: self.len + other.len,
            dtype: self.dtype,
            min: pick(self.min, other.min, f64::min),
            max: pick(self.max, other.max, f64::max),
            nan_count: self.nan_count + other.nan_count,
            inf_count: self.inf_count + other.inf_count,
        }
    }
}

/// The summaries of `sources`, in ONE parallel pass that reads them side by side in
/// chunks of `SUMMARY_CHUNK` values (releasing what it read); a source with a
/// [`Source::known_summary`] is not read at all.
pub fn summarize(sources: &[&dyn Source]) -> Result<Vec<ColumnSummary>> {
    let known: Vec<Option<ColumnSummary>> = sources.iter().map(|s| s.known_summary()).collect();
    let len = sources.iter().zip(&known).filter(|(_, k)| k.is_none()).map(|(s, _)| s.len()).max();
    let chunks = len.unwrap_or(0).div_ceil(SUMMARY_CHUNK);
    let empty = || sources.iter().map(|s| ColumnSummary::empty(s.dtype())).collect::<Vec<_>>();
    let read = (0..chunks)
        .into_par_iter()
        .map_init(Vec::new, |buffer: &mut Vec<f64>, chunk| -> Result<Vec<ColumnSummary>> {
            let start = chunk * SUMMARY_CHUNK;
            let mut out = empty();
            for ((source, known), summary) in sources.iter().zip(&known).zip(&mut out) {
                if known.is_some() || start >= source.len() {
                    continue;
                }
                let n = SUMMARY_CHUNK.min(source.len() - start);
                buffer.resize(n, 0.0);
                source.read_f64(start, buffer)?;
                source.release(start, n);
                *summary = ColumnSummary::of_values(source.dtype(), buffer);
            }
            Ok(out)
        })
        .try_reduce(empty, |a, b| Ok(a.into_iter().zip(b).map(|(a, b)| a.merge(b)).collect()))?;
    Ok(read.into_iter().zip(known).map(|(read, known)| known.unwrap_or(read)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::MemoryColumn;

    #[test]
    fn one_pass_summarizes_columns_of_different_lengths() {
        let n = 2 * SUMMARY_CHUNK + 7;
        let long: Vec<f64> = (0..n).map(|i| if i % 10 == 3 { f64::NAN } else { i as f64 - 5.0 }).collect();
        let short: Vec<u8> = vec![7, 2, 9];
        let (a, b) = (MemoryColumn::new("long", long.clone()), MemoryColumn::new("short", short));
        let got = summarize(&[&a, &b]).unwrap();
        let want_a = ColumnSummary::of_values(DType::F64, &long);
        assert_eq!(got[0], want_a);
        assert_eq!((got[1].len, got[1].min, got[1].max, got[1].dtype), (3, Some(2.0), Some(9.0), DType::U8));
        assert_eq!(summarize(&[]).unwrap(), vec![]);
    }
}
