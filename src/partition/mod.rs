//! O(N) partition: bucket every record by band into a scratch file, in one sequential pass
//! over the input, so that each band later reads only its own records.
//!
//! The input is cut into chunks whose bounds depend only on the number of items and bands
//! (never on the thread count). Chunks are binned in parallel; each worker keeps one buffer
//! per band, and a full buffer is appended to the worker's own scratch file as a *block*
//! (each worker has a lane of the scratch space, so workers never wait for one another; see
//! [`crate::io::scratch`]). At the end of a chunk, the partly filled buffers are appended
//! too, band after band, followed by the chunk's *directory*: the scratch positions of its
//! blocks, band after band, each band's blocks in the order they were filled. Every block
//! but the last of a (chunk, band) holds exactly `block` records, so record `k` of chunk `c`
//! in band `b` is in block `k / block` of that run, and memory holds only, per band and
//! chunk, how many records precede the chunk in the band and where the run starts in the
//! chunk's directory.
//!
//! Reading a band walks its chunks in input order, so records within a band are in input
//! order whatever the thread count, and order-sensitive reductions (first, last, float
//! sums) are deterministic. The scratch file is written and read with positioned I/O, so it
//! lives in the page cache and never in this process's RSS.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::error::Result;
use crate::huge_pages::HugePageCells;
use crate::io::ScratchFile;
use crate::parallel;
use crate::progress::{check_cancelled, Progress};

/// Input items are processed in chunks of about this many (fewer chunks when there are
/// very many bands, to bound the chunk index).
const TARGET_CHUNK: usize = 1 << 20;

/// The chunk index (chunks x bands entries of [`INDEX_ENTRY_BYTES`]) is kept under this
/// many bytes.
const MAX_INDEX_BYTES: usize = 16 << 20;

/// Bytes per (band, chunk) entry of the index: records before the chunk (u64) and the
/// run's first block in the chunk's directory (u32), plus the chunk's counts and first
/// blocks (u32 each) while the index is being built.
const INDEX_ENTRY_BYTES: usize = 20;

/// Bytes of records buffered per worker before they are appended, in total over all bands
/// (2 Mi pixel records; fewer of the larger segment records, so every record type stays
/// within the plan's per-thread allowance). Each band's block is a `pwrite` when full and a
/// `pread` when read back: at 2 MiB, 10^8 points at 20000^2 (79 bands) made blocks of 8 KiB,
/// and 8 MiB took the partition from 0.27-0.41 s to 0.25-0.28 s and the system time from
/// 0.66-0.69 s to 0.54-0.61 s (32 MiB: the same as 8), the 65536^2 figure's partition from
/// 3.5-4.2 s to 3.2-3.6 s (session 17).
const SCATTER_BUFFER_BYTES: usize = 8 << 20;

/// Turns input items into `(band, record)` pairs. Implemented by each glyph.
pub trait Binner: Sync {
    /// What is stored per record (plain bytes: a packed pixel, a segment...).
    type Record: bytemuck::Pod + Send + Sync;
    /// Number of input items (points, vertices...).
    fn items(&self) -> usize;
    /// Number of bands records go to.
    fn bands(&self) -> u32;
    /// Calls `emit(band, record)` for every record of items `start .. start + len`, in item
    /// order. Must emit the same sequence every time it is called for the same range. A
    /// source that cannot be read (a decode error) stops the partition with its error.
    fn bin<E: FnMut(u32, Self::Record)>(&self, start: usize, len: usize, emit: E) -> Result<()>;
    /// A chunk length the input prefers (formats that decode in blocks): chunks are then a
    /// multiple of it, so no block is decoded by two chunks.
    fn preferred_chunk(&self) -> Option<usize> {
        None
    }
}

/// The records of every band, in blocks of a scratch file, and the index that finds them.
#[derive(Debug)]
pub struct Partition {
    scratch: Option<ScratchFile>,
    /// `before[b * (chunks + 1) + c]`: records of band `b` in chunks `0 .. c` (band-major).
    before: Vec<u64>,
    /// `first_block[b * chunks + c]`: where the blocks of band `b` start in the directory
    /// of chunk `c`.
    first_block: Vec<u32>,
    /// Scratch position of each chunk's directory.
    directories: Vec<u64>,
    chunks: usize,
    /// Records per full block.
    block: u64,
    record_size: u64,
}

impl Partition {
    /// A partition with no records in any of `bands` bands, for renders that read their
    /// input band by band directly (rasters).
    pub fn empty(bands: u32) -> Partition {
        Partition {
            scratch: None,
            before: vec![0; bands as usize],
            first_block: Vec::new(),
            directories: Vec::new(),
            chunks: 0,
            block: 1,
            record_size: 1,
        }
    }

    /// Frees the scratch space of the records, which must not be read again
    /// ([`ScratchFile::release`]); the counts stay.
    pub fn release(&self) {
        if let Some(scratch) = &self.scratch {
            scratch.release();
        }
    }

    /// Number of records in `band`.
    pub fn band_len(&self, band: u32) -> u64 {
        self.band_before(band)[self.chunks]
    }

    /// Total number of records.
    pub fn total(&self) -> u64 {
        let stride = self.chunks + 1;
        self.before.iter().skip(self.chunks).step_by(stride).sum()
    }

    /// Bytes of all the records (what aggregating every band again reads), or of band
    /// `band`'s.
    pub fn record_bytes(&self, band: Option<u32>) -> u64 {
        band.map_or_else(|| self.total(), |band| self.band_len(band)) * self.record_size
    }

    /// Reads records `start .. start + out.len()` of `band` into `out`. `R` must be the
    /// record type the partition was built with. A large read is split into parts read in
    /// parallel ([`parallel::read_in_parts`]).
    pub fn read<R: bytemuck::Pod>(&self, band: u32, start: u64, out: &mut [R]) -> Result<()> {
        assert_eq!(std::mem::size_of::<R>() as u64, self.record_size, "wrong record type");
        let size = self.record_size as usize;
        parallel::read_in_parts(bytemuck::cast_slice_mut(out), size, &|offset, part| {
            self.read_serial(band, start + (offset / size) as u64, part)
        })
    }

    /// [`Partition::read`] by the calling thread alone, into the records' bytes.
    fn read_serial(&self, band: u32, start: u64, out: &mut [u8]) -> Result<()> {
        if out.is_empty() {
            return Ok(());
        }
        let scratch = self.scratch.as_ref().expect("records exist, so the scratch file does");
        let before = self.band_before(band);
        let end = start + out.len() as u64 / self.record_size;
        assert!(end <= before[self.chunks], "read past the end of band {band}");
        // The last chunk whose records start at or before `start`.
        let mut c = before.partition_point(|&n| n <= start) - 1;
        let mut out = out;
        let mut at = start;
        while at < end {
            let run_end = before[c + 1].min(end);
            if run_end > at {
                let first = self.first_block[band as usize * self.chunks + c];
                let (head, rest) = out.split_at_mut(((run_end - at) * self.record_size) as usize);
                self.read_run(scratch, c, first, at - before[c], head)?;
                out = rest;
                at = run_end;
            }
            c += 1;
        }
        Ok(())
    }

    /// Counts of records before each chunk of `band`, and the band's total last.
    fn band_before(&self, band: u32) -> &[u64] {
        let b = band as usize;
        &self.before[b * (self.chunks + 1)..(b + 1) * (self.chunks + 1)]
    }

    /// Reads `out.len()` bytes of records from record `skip` on of the run of chunk `c`
    /// whose blocks start at `first` in the chunk's directory.
    fn read_run(&self, scratch: &ScratchFile, c: usize, first: u32, skip: u64, out: &mut [u8]) -> Result<()> {
        let records = out.len() as u64 / self.record_size;
        let (j0, j1) = (skip / self.block, (skip + records - 1) / self.block);
        let mut offsets = vec![0u64; (j1 - j0 + 1) as usize];
        let entry = self.directories[c] + (u64::from(first) + j0) * 8;
        scratch.read_at(entry, bytemuck::cast_slice_mut(&mut offsets))?;
        let mut at = skip;
        let mut out = out;
        for (j, &offset) in (j0..).zip(&offsets) {
            let in_block = at - j * self.block;
            let n = (self.block - in_block).min(records - (at - skip));
            let (head, rest) = out.split_at_mut((n * self.record_size) as usize);
            scratch.read_at(u64::from_le(offset) + in_block * self.record_size, head)?;
            out = rest;
            at += n;
        }
        Ok(())
    }
}

/// [`partition`] keeping only the records of the bands `kept` (None: every band), as a
/// pyramid shard reads only its own rows ([`crate::canvas::Plan::kept_bands`]).
pub fn partition_kept<B: Binner>(
    binner: &B,
    kept: Option<std::ops::Range<u32>>,
    scratch_dir: &Path,
    progress: &dyn Progress,
) -> Result<Partition> {
    match kept {
        None => partition(binner, scratch_dir, progress),
        Some(kept) => partition(&Kept { binner, kept }, scratch_dir, progress),
    }
}

/// A binner emitting only the records of some bands.
struct Kept<'a, B> {
    binner: &'a B,
    kept: std::ops::Range<u32>,
}

impl<B: Binner> Binner for Kept<'_, B> {
    type Record = B::Record;
    fn items(&self) -> usize {
        self.binner.items()
    }
    fn bands(&self) -> u32 {
        self.binner.bands()
    }
    fn bin<E: FnMut(u32, Self::Record)>(&self, start: usize, len: usize, mut emit: E) -> Result<()> {
        self.binner.bin(start, len, |band, record| {
            if self.kept.contains(&band) {
                emit(band, record);
            }
        })
    }
    fn preferred_chunk(&self) -> Option<usize> {
        self.binner.preferred_chunk()
    }
}

/// Partitions everything `binner` emits by band into a scratch file in `scratch_dir`.
pub fn partition<B: Binner>(binner: &B, scratch_dir: &Path, progress: &dyn Progress) -> Result<Partition> {
    let records = SCATTER_BUFFER_BYTES / std::mem::size_of::<B::Record>().max(1);
    let per_band = (records / (binner.bands() as usize).max(1)).max(16);
    // A power of two, so a buffer is found full with a mask.
    let block = 1 << per_band.ilog2();
    partition_in_blocks(binner, scratch_dir, progress, block)
}

/// [`partition`] with blocks of `block` records (a power of two).
fn partition_in_blocks<B: Binner>(
    binner: &B,
    scratch_dir: &Path,
    progress: &dyn Progress,
    block: usize,
) -> Result<Partition> {
    let items = binner.items();
    let bands = binner.bands() as usize;
    let chunk = aligned(chunk_len(items, bands), binner.preferred_chunk());
    let chunks = items.div_ceil(chunk);
    let record_size = std::mem::size_of::<B::Record>();
    // The free-space check assumes one record per item (exact for points, whose records
    // are at most one per point); the file grows as blocks are appended.
    let scratch =
        ScratchFile::create(scratch_dir, (items * record_size) as u64, rayon::current_num_threads())?;

    progress.stage("partition: bin and write", items as u64);
    // Writers (their buffers are large) are reused from chunk to chunk: one per worker, each
    // with a lane of the scratch space of its own.
    let writers = Mutex::new(Vec::new());
    let lanes = AtomicUsize::new(0);
    let written: Vec<ChunkRuns> = parallel::try_map_indices(chunks, |c| -> Result<ChunkRuns> {
        check_cancelled(progress)?;
        let reuse = writers.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut writer = reuse.unwrap_or_else(|| {
            let lane = lanes.fetch_add(1, Ordering::Relaxed);
            ScatterWriter::<B::Record>::new(&scratch, lane, bands, block)
        });
        let (start, len) = chunk_range(c, chunk, items);
        let mut failed = None;
        binner.bin(start, len, |band, record| {
            if let Err(e) = writer.push(band, record) {
                failed.get_or_insert(e);
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        let runs = writer.finish_chunk()?;
        // Only a writer that finished its chunk is clean enough to reuse.
        writers.lock().unwrap_or_else(PoisonError::into_inner).push(writer);
        progress.advance(len as u64);
        Ok(runs)
    })?;
    drop(writers);

    let mut before = vec![0u64; bands * (chunks + 1)];
    let mut first_block = vec![0u32; bands * chunks];
    for (c, runs) in written.iter().enumerate() {
        for b in 0..bands {
            let row = b * (chunks + 1);
            before[row + c + 1] = before[row + c] + u64::from(runs.counts[b]);
            first_block[b * chunks + c] = runs.first_block[b];
        }
    }
    let directories = written.iter().map(|runs| runs.directory).collect();
    let total: u64 = (0..bands).map(|b| before[b * (chunks + 1) + chunks]).sum();
    Ok(Partition {
        scratch: (total > 0).then_some(scratch),
        before,
        first_block,
        directories,
        chunks,
        block: block as u64,
        record_size: record_size as u64,
    })
}

/// Chunk length: about [`TARGET_CHUNK`], larger when needed to keep the index small.
fn chunk_len(items: usize, bands: usize) -> usize {
    let max_chunks = (MAX_INDEX_BYTES / (INDEX_ENTRY_BYTES * bands.max(1))).max(1);
    TARGET_CHUNK.max(items.div_ceil(max_chunks)).max(1)
}

/// `chunk` rounded up to a multiple of the input's preferred chunk, if it has one.
fn aligned(chunk: usize, preferred: Option<usize>) -> usize {
    match preferred {
        Some(p) if p > 0 => chunk.div_ceil(p).saturating_mul(p),
        _ => chunk,
    }
}

fn chunk_range(c: usize, chunk: usize, items: usize) -> (usize, usize) {
    let start = c * chunk;
    (start, chunk.min(items - start))
}

/// What one chunk wrote: records and first directory entry per band, and where its
/// directory is.
struct ChunkRuns {
    counts: Vec<u32>,
    first_block: Vec<u32>,
    directory: u64,
}

/// A worker's buffers, one per band, appended to the scratch file as blocks when full.
struct ScatterWriter<'a, R: bytemuck::Pod> {
    scratch: &'a ScratchFile,
    /// The lane of the scratch space this writer appends to.
    lane: usize,
    /// Band `b` buffers its records in `buffer[b * block .. (b + 1) * block]`: an anonymous
    /// mapping (on 2 MiB pages where the system gives them), so the memory goes back to the
    /// system when the partition ends (from the heap, 8 MiB per worker stayed in the
    /// process: 20 MB more peak RSS for the 65536^2 figure).
    buffer: HugePageCells<R>,
    /// Where band `b`'s next record goes in `buffer`.
    next: Vec<usize>,
    /// Records of the current chunk per band, in blocks already written.
    written: Vec<u32>,
    /// (band, scratch position) of every block of the current chunk, in write order.
    blocks: Vec<(u32, u64)>,
    /// Records per block, a power of two.
    block: usize,
}

impl<'a, R: bytemuck::Pod> ScatterWriter<'a, R> {
    fn new(scratch: &'a ScratchFile, lane: usize, bands: usize, block: usize) -> Self {
        assert!(block.is_power_of_two(), "blocks of {block} records");
        ScatterWriter {
            scratch,
            lane,
            buffer: HugePageCells::zeroed(bands * block),
            next: (0..bands).map(|b| b * block).collect(),
            written: vec![0; bands],
            blocks: Vec::new(),
            block,
        }
    }

    #[inline(always)]
    fn push(&mut self, band: u32, record: R) -> Result<()> {
        let b = band as usize;
        let i = self.next[b];
        // SAFETY: `next[b]` exists, so `b < bands`, and it stays within band `b`'s part of
        // the buffer, `b * block .. (b + 1) * block`, below its length `bands * block`:
        // it is flushed (and reset) as soon as it reaches the end.
        unsafe { *self.buffer.get_unchecked_mut(i) = record };
        self.next[b] = i + 1;
        if (i + 1) & (self.block - 1) == 0 {
            self.flush(b)?;
        }
        Ok(())
    }

    /// Appends band `b`'s buffered records as a block.
    #[cold]
    fn flush(&mut self, b: usize) -> Result<()> {
        let first = b * self.block;
        let end = self.next[b];
        if end == first {
            return Ok(());
        }
        // Emptied first, so `push` stays in bounds even after a failed write.
        self.next[b] = first;
        let records = &self.buffer[first..end];
        let offset = self.scratch.append(self.lane, bytemuck::cast_slice(records))?;
        self.blocks.push((b as u32, offset));
        // A chunk's records in one band fit a u32 (the index counts them so).
        self.written[b] += (end - first) as u32;
        Ok(())
    }

    /// Appends the partly filled buffers and the chunk's directory, and starts a new chunk.
    fn finish_chunk(&mut self) -> Result<ChunkRuns> {
        (0..self.next.len()).try_for_each(|b| self.flush(b))?;
        // Stable: each band's blocks stay in the order they were filled.
        self.blocks.sort_by_key(|&(band, _)| band);
        let mut first_block = vec![0u32; self.next.len()];
        let mut seen = 0u32;
        let mut next = self.blocks.iter().peekable();
        for (b, first) in first_block.iter_mut().enumerate() {
            *first = seen;
            while next.next_if(|&&(band, _)| band as usize == b).is_some() {
                seen += 1;
            }
        }
        let directory: Vec<u64> = self.blocks.iter().map(|&(_, offset)| offset.to_le()).collect();
        let directory = self.scratch.append(self.lane, bytemuck::cast_slice(&directory))?;
        self.blocks.clear();
        let counts = std::mem::replace(&mut self.written, vec![0; self.next.len()]);
        Ok(ChunkRuns { counts, first_block, directory })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    /// Items are numbers; item i goes to band (i * 7) % bands, record i, and every fifth
    /// item also to the next band (like a line crossing two bands).
    struct Toy {
        items: usize,
        bands: u32,
    }

    impl Binner for Toy {
        type Record = u32;
        fn items(&self) -> usize {
            self.items
        }
        fn bands(&self) -> u32 {
            self.bands
        }
        fn bin<E: FnMut(u32, u32)>(&self, start: usize, len: usize, mut emit: E) -> Result<()> {
            for i in start..start + len {
                let band = ((i * 7) % self.bands as usize) as u32;
                emit(band, i as u32);
                if i % 5 == 0 && band + 1 < self.bands {
                    emit(band + 1, i as u32);
                }
            }
            Ok(())
        }
    }

    fn expected(toy: &Toy) -> Vec<Vec<u32>> {
        let mut out = vec![Vec::new(); toy.bands as usize];
        toy.bin(0, toy.items, |b, r| out[b as usize].push(r)).unwrap();
        out
    }

    fn read_all(p: &Partition, bands: u32) -> Vec<Vec<u32>> {
        (0..bands)
            .map(|b| {
                let mut v = vec![0u32; p.band_len(b) as usize];
                p.read(b, 0, &mut v).unwrap();
                v
            })
            .collect()
    }

    #[test]
    fn records_land_in_their_band_in_input_order() {
        let dir = tempfile::tempdir().unwrap();
        for (items, bands) in [(0, 3), (1, 1), (10, 4), (3_000_017, 13), (2_500_000, 1)] {
            let toy = Toy { items, bands };
            let p = partition(&toy, dir.path(), &NoProgress).unwrap();
            assert_eq!(read_all(&p, bands), expected(&toy), "{items} items, {bands} bands");
        }
    }

    #[test]
    fn reads_at_any_offset_cross_blocks_and_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let toy = Toy { items: 2_500_000, bands: 3 };
        let want = expected(&toy);
        for block in [16, 1024, 8192] {
            let p = partition_in_blocks(&toy, dir.path(), &NoProgress, block).unwrap();
            assert_eq!(read_all(&p, 3), want, "block {block}");
            for (band, start, len) in
                [(0, 0, 1), (1, 15, 2), (2, 999, 3000), (0, 349_000, 2000), (1, 5, 600_000)]
            {
                let mut out = vec![0u32; len];
                p.read(band, start as u64, &mut out).unwrap();
                assert_eq!(
                    out,
                    want[band as usize][start..start + len],
                    "block {block} band {band} at {start}"
                );
            }
        }
    }

    #[test]
    fn result_does_not_depend_on_threads() {
        let dir = tempfile::tempdir().unwrap();
        let toy = Toy { items: 2_345_678, bands: 9 };
        let runs: Vec<_> = [1, 2, 4]
            .iter()
            .map(|&t| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
                pool.install(|| read_all(&partition(&toy, dir.path(), &NoProgress).unwrap(), 9))
            })
            .collect();
        assert_eq!(runs[0], runs[1]);
        assert_eq!(runs[0], runs[2]);
    }

    #[test]
    fn scratch_files_one_per_thread_are_removed_with_the_partition() {
        let dir = tempfile::tempdir().unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let p = pool.install(|| partition(&Toy { items: 1000, bands: 3 }, dir.path(), &NoProgress).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
        drop(p);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// A source that cannot decode its chunk starting at `bad`.
    struct Failing {
        bad: usize,
    }

    impl Binner for Failing {
        type Record = u32;
        fn items(&self) -> usize {
            3 * TARGET_CHUNK
        }
        fn bands(&self) -> u32 {
            2
        }
        fn bin<E: FnMut(u32, u32)>(&self, start: usize, len: usize, mut emit: E) -> Result<()> {
            for i in start..start + len {
                if i == self.bad {
                    return Err(crate::Error::bad_input("col.parquet", "page 7 is corrupt"));
                }
                emit((i % 2) as u32, i as u32);
            }
            Ok(())
        }
    }

    #[test]
    fn a_decode_error_stops_the_partition_with_its_message_and_no_scratch_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = partition(&Failing { bad: TARGET_CHUNK + 5 }, dir.path(), &NoProgress).unwrap_err();
        assert_eq!(err.to_string(), "col.parquet: page 7 is corrupt");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn many_bands_keep_the_index_bounded() {
        let chunks = 10_000_000_000usize.div_ceil(chunk_len(10_000_000_000, 100_000));
        assert!(chunks * 100_000 * INDEX_ENTRY_BYTES <= MAX_INDEX_BYTES);
        assert_eq!(chunk_len(1000, 4), TARGET_CHUNK);
        assert_eq!(aligned(TARGET_CHUNK, Some(1000)), TARGET_CHUNK.div_ceil(1000) * 1000);
        assert_eq!(aligned(TARGET_CHUNK, None), TARGET_CHUNK);
    }
}
