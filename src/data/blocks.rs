//! Columns stored in blocks that decode front to back: Parquet row groups, Arrow record
//! batches, chunks of CSV records. [`BlockColumn`] turns such a column into a
//! [`Source`]: it knows where each block starts, and its [`ColumnReader`] keeps the block
//! decoder it used last, so that the sequential reads of one chunk of work decode each
//! block once. A read that starts inside a block opens a decoder there and skips to it
//! (cheap when the format can skip whole pages); a read that goes backwards reopens it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::data::npy::column::check_stamp;
use crate::data::source::{ColumnReader, ColumnSummary, Source};
use crate::data::DType;
use crate::error::Result;

/// Decodes one block of one column, front to back.
pub trait BlockDecoder {
    /// Skips the next `n` values (all inside the block).
    fn skip(&mut self, n: usize) -> Result<()>;
    /// Converts the next `out.len()` values (all inside the block) to f64 into `out`,
    /// NaN for nulls.
    fn read(&mut self, out: &mut [f64]) -> Result<()>;
}

/// A column in blocks, as one format stores it.
pub trait Blocks: Send + Sync + fmt::Debug {
    /// Opens a decoder at the start of block `block`.
    fn open(&self, block: usize) -> Result<Box<dyn BlockDecoder + '_>>;
    /// Says that the values of block `block` have been read (a memory-mapped format
    /// releases their pages). Only a hint.
    fn release(&self, _block: usize) {}
}

/// A [`Source`] over a column in blocks: the format's [`Blocks`], where each block starts,
/// and what the file was when it was opened.
#[derive(Debug)]
pub struct BlockColumn<B> {
    blocks: B,
    /// `starts[b]` is the first row of block b; `starts[blocks]` is the length.
    starts: Vec<usize>,
    label: String,
    dtype: DType,
    /// The file read and its size and modification time when opened (None in memory).
    file: Option<(PathBuf, u64, Option<SystemTime>)>,
    known: Option<ColumnSummary>,
    labels: Option<Vec<String>>,
}

impl<B: Blocks> BlockColumn<B> {
    /// A column of `lens[b]` values in block b, named `label` in messages, read from
    /// `path` (whose size and modification time `meta` gives, for
    /// [`Source::check_unchanged`]).
    pub fn new(
        blocks: B,
        lens: &[usize],
        label: String,
        dtype: DType,
        path: &Path,
        meta: &std::fs::Metadata,
    ) -> Self {
        let mut starts = Vec::with_capacity(lens.len() + 1);
        let mut at = 0usize;
        starts.push(0);
        for &n in lens {
            at += n;
            starts.push(at);
        }
        BlockColumn {
            blocks,
            starts,
            label,
            dtype,
            file: Some((path.to_path_buf(), meta.len(), meta.modified().ok())),
            known: None,
            labels: None,
        }
    }

    /// A column of `lens[b]` values in block b held in memory (nothing to check for
    /// changes), named `label` in messages.
    pub fn in_memory(blocks: B, lens: &[usize], label: String, dtype: DType) -> Self {
        let starts = std::iter::once(0)
            .chain(lens.iter().scan(0usize, |at, &n| {
                *at += n;
                Some(*at)
            }))
            .collect();
        BlockColumn { blocks, starts, label, dtype, file: None, known: None, labels: None }
    }

    /// This column with the summary its file stores (see [`Source::known_summary`]).
    pub fn with_known_summary(mut self, known: Option<ColumnSummary>) -> Self {
        self.known = known;
        self
    }

    /// This column with names for its category codes (a dictionary's values).
    pub fn with_category_labels(mut self, labels: Option<Vec<String>>) -> Self {
        self.labels = labels;
        self
    }

    /// The format's blocks.
    pub fn blocks(&self) -> &B {
        &self.blocks
    }

    /// Number of blocks.
    pub fn block_count(&self) -> usize {
        self.starts.len() - 1
    }

    /// The block holding row `row` (< len).
    fn block_of(&self, row: usize) -> usize {
        self.starts.partition_point(|&s| s <= row) - 1
    }
}

impl<B: Blocks> Source for BlockColumn<B> {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn len(&self) -> usize {
        self.starts[self.starts.len() - 1]
    }

    fn dtype(&self) -> DType {
        self.dtype
    }

    fn read_f64(&self, start: usize, out: &mut [f64]) -> Result<()> {
        BlockReader { column: self, at: None }.read_f64(start, out)
    }

    fn reader(&self) -> Box<dyn ColumnReader + '_> {
        Box::new(BlockReader { column: self, at: None })
    }

    fn release(&self, start: usize, len: usize) {
        if len == 0 || start >= self.len() {
            return;
        }
        // Reads go front to back, so a block whose last row this range reaches has been
        // read (a block another chunk still reads is only re-read: release is a hint).
        let end = (start + len).min(self.len());
        for b in self.block_of(start)..self.block_count() {
            let block_end = self.starts[b + 1];
            if block_end > end {
                break;
            }
            if block_end > start {
                self.blocks.release(b);
            }
        }
    }

    fn check_unchanged(&self) -> Result<()> {
        match &self.file {
            Some((path, len, modified)) => check_stamp(path, *len, *modified),
            None => Ok(()),
        }
    }

    fn known_summary(&self) -> Option<ColumnSummary> {
        self.known.clone()
    }

    fn chunk_len(&self) -> Option<usize> {
        // Blocks of one length (but the last): chunks of whole blocks.
        let lens: Vec<usize> = self.starts.windows(2).map(|w| w[1] - w[0]).collect();
        let first = *lens.first()?;
        (first > 0 && lens[..lens.len() - 1].iter().all(|&n| n == first)).then_some(first)
    }

    fn category_labels(&self) -> Option<Vec<String>> {
        self.labels.clone()
    }
}

/// The reads of one chunk of work: the decoder of the block it read last and the row
/// that decoder reads next.
struct BlockReader<'a, B> {
    column: &'a BlockColumn<B>,
    at: Option<(usize, usize, Box<dyn BlockDecoder + 'a>)>,
}

impl<B: Blocks> ColumnReader for BlockReader<'_, B> {
    fn read_f64(&mut self, start: usize, out: &mut [f64]) -> Result<()> {
        let column = self.column;
        assert!(start + out.len() <= column.len(), "read past the end of {}", column.label);
        let mut filled = 0;
        while filled < out.len() {
            let row = start + filled;
            let block = column.block_of(row);
            let reusable = matches!(&self.at, Some((b, next, _)) if *b == block && *next <= row);
            if !reusable {
                self.at = Some((block, column.starts[block], column.blocks.open(block)?));
            }
            let Some((_, next, decoder)) = &mut self.at else { unreachable!("a decoder was just opened") };
            if *next < row {
                decoder.skip(row - *next)?;
                *next = row;
            }
            let n = (out.len() - filled).min(column.starts[block + 1] - row);
            decoder.read(&mut out[filled..filled + n])?;
            *next += n;
            filled += n;
        }
        Ok(())
    }
}
