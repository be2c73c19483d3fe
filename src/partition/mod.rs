//! O(N) partition: bucket every record by band into a scratch file, in a fixed number of
//! sequential passes over the input, so that each band later reads only its own records.
//!
//! A counting sort in two passes over fixed-size chunks of the input (in parallel):
//! 1. count the records each chunk sends to each band;
//! 2. prefix sums over the (band, chunk) matrix give every chunk a fixed write position in
//!    every band, then each chunk bins its points again and writes its records there.
//!
//! Within a band, records are in input order whatever the thread count or chunking, so
//! order-sensitive reductions (first, last, float sums) are deterministic. The scratch
//! file is written and read with positioned I/O, so it lives in the page cache and never
//! in this process's RSS.

pub mod record;
pub mod scratch;

use std::path::Path;

use rayon::prelude::*;

use crate::error::Result;
use crate::progress::{check_cancelled, Progress};
pub use record::{Record, ValueRecord};
pub use scratch::ScratchFile;

/// Input items are processed in chunks of about this many (fewer chunks when there are
/// very many bands, to bound the count matrix).
const TARGET_CHUNK: usize = 1 << 20;

/// The count matrix (chunks x bands of u32) is kept under this many bytes.
const MAX_MATRIX_BYTES: usize = 16 << 20;

/// Records buffered per worker before positioned writes, in total over all bands.
const SCATTER_BUFFER_RECORDS: usize = 512 << 10;

/// Turns input items into `(band, record)` pairs. Implemented by each glyph.
pub trait Binner: Sync {
    /// What is stored per record (plain bytes: a packed pixel, a segment...).
    type Record: bytemuck::Pod + Send + Sync;
    /// Number of input items (points, vertices...).
    fn items(&self) -> usize;
    /// Number of bands records go to.
    fn bands(&self) -> u32;
    /// Calls `emit(band, record)` for every record of items `start .. start + len`, in item
    /// order. Must emit the same sequence every time it is called for the same range.
    fn bin<E: FnMut(u32, Self::Record)>(&self, start: usize, len: usize, emit: E);
}

/// The records of every band, stored contiguously band after band in a scratch file.
#[derive(Debug)]
pub struct Partition {
    scratch: Option<ScratchFile>,
    band_starts: Vec<u64>,
    record_size: u64,
}

impl Partition {
    /// A partition with no records in any of `bands` bands, for renders that read their
    /// input band by band directly (rasters).
    pub fn empty(bands: u32) -> Partition {
        Partition { scratch: None, band_starts: vec![0; bands as usize + 1], record_size: 1 }
    }

    /// Number of records in `band`.
    pub fn band_len(&self, band: u32) -> u64 {
        let b = band as usize;
        self.band_starts[b + 1] - self.band_starts[b]
    }

    /// Total number of records.
    pub fn total(&self) -> u64 {
        *self.band_starts.last().unwrap_or(&0)
    }

    /// Reads records `start .. start + out.len()` of `band` into `out`. `R` must be the
    /// record type the partition was built with.
    pub fn read<R: bytemuck::Pod>(&self, band: u32, start: u64, out: &mut [R]) -> Result<()> {
        assert_eq!(std::mem::size_of::<R>() as u64, self.record_size, "wrong record type");
        if out.is_empty() {
            return Ok(());
        }
        let scratch = self.scratch.as_ref().expect("records exist, so the scratch file does");
        let offset = (self.band_starts[band as usize] + start) * self.record_size;
        scratch.read_at(offset, bytemuck::cast_slice_mut(out))
    }
}

/// Partitions everything `binner` emits by band into a scratch file in `scratch_dir`.
pub fn partition<B: Binner>(binner: &B, scratch_dir: &Path, progress: &dyn Progress) -> Result<Partition> {
    let items = binner.items();
    let bands = binner.bands() as usize;
    let chunk = chunk_len(items, bands);
    let chunks = items.div_ceil(chunk);

    progress.stage("partition: count", items as u64);
    let counts: Vec<Vec<u32>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            check_cancelled(progress)?;
            let (start, len) = chunk_range(c, chunk, items);
            let mut per_band = vec![0u32; bands];
            binner.bin(start, len, |band, _| per_band[band as usize] += 1);
            progress.advance(len as u64);
            Ok(per_band)
        })
        .collect::<Result<_>>()?;

    // band_starts[b] = first record of band b; offsets[c][b] = first record of chunk c in b.
    let mut band_starts = vec![0u64; bands + 1];
    for b in 0..bands {
        let total: u64 = counts.iter().map(|per_band| u64::from(per_band[b])).sum();
        band_starts[b + 1] = band_starts[b] + total;
    }
    let mut running = band_starts[..bands].to_vec();
    let offsets: Vec<Vec<u64>> = counts
        .iter()
        .map(|per_band| {
            let start = running.clone();
            for (r, &n) in running.iter_mut().zip(per_band) {
                *r += u64::from(n);
            }
            start
        })
        .collect();
    drop(counts);

    let total = band_starts[bands];
    let record_size = std::mem::size_of::<B::Record>() as u64;
    if total == 0 {
        return Ok(Partition { scratch: None, band_starts, record_size });
    }
    let scratch = ScratchFile::create(scratch_dir, total * record_size)?;
    let per_band_buffer = (SCATTER_BUFFER_RECORDS / bands).max(16);

    progress.stage("partition: scatter", items as u64);
    (0..chunks).into_par_iter().try_for_each(|c| -> Result<()> {
        check_cancelled(progress)?;
        let (start, len) = chunk_range(c, chunk, items);
        let mut writer = ScatterWriter::<B::Record>::new(&scratch, &offsets[c], per_band_buffer);
        let mut failed = None;
        binner.bin(start, len, |band, record| {
            if failed.is_none() {
                if let Err(e) = writer.push(band, record) {
                    failed = Some(e);
                }
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        writer.flush_all()?;
        progress.advance(len as u64);
        Ok(())
    })?;
    Ok(Partition { scratch: Some(scratch), band_starts, record_size })
}

/// Chunk length: about [`TARGET_CHUNK`], larger when needed to keep the count matrix small.
fn chunk_len(items: usize, bands: usize) -> usize {
    let max_chunks = (MAX_MATRIX_BYTES / (4 * bands.max(1))).max(1);
    TARGET_CHUNK.max(items.div_ceil(max_chunks)).max(1)
}

fn chunk_range(c: usize, chunk: usize, items: usize) -> (usize, usize) {
    let start = c * chunk;
    (start, chunk.min(items - start))
}

/// Per-chunk buffers, one per band, flushed with positioned writes when full.
struct ScatterWriter<'a, R> {
    scratch: &'a ScratchFile,
    cursor: Vec<u64>,
    buffer: Vec<R>,
    filled: Vec<usize>,
    capacity: usize,
}

impl<'a, R: bytemuck::Pod> ScatterWriter<'a, R> {
    fn new(scratch: &'a ScratchFile, offsets: &[u64], capacity: usize) -> Self {
        ScatterWriter {
            scratch,
            cursor: offsets.to_vec(),
            buffer: vec![R::zeroed(); offsets.len() * capacity],
            filled: vec![0; offsets.len()],
            capacity,
        }
    }

    #[inline(always)]
    fn push(&mut self, band: u32, record: R) -> Result<()> {
        let b = band as usize;
        let n = self.filled[b];
        self.buffer[b * self.capacity + n] = record;
        self.filled[b] = n + 1;
        if n + 1 == self.capacity {
            self.flush(b)?;
        }
        Ok(())
    }

    fn flush(&mut self, b: usize) -> Result<()> {
        let n = self.filled[b];
        if n == 0 {
            return Ok(());
        }
        let records = &self.buffer[b * self.capacity..b * self.capacity + n];
        let size = std::mem::size_of::<R>() as u64;
        self.scratch.write_at(self.cursor[b] * size, bytemuck::cast_slice(records))?;
        self.cursor[b] += n as u64;
        self.filled[b] = 0;
        Ok(())
    }

    fn flush_all(&mut self) -> Result<()> {
        (0..self.filled.len()).try_for_each(|b| self.flush(b))
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
        fn bin<E: FnMut(u32, u32)>(&self, start: usize, len: usize, mut emit: E) {
            for i in start..start + len {
                let band = ((i * 7) % self.bands as usize) as u32;
                emit(band, i as u32);
                if i % 5 == 0 && band + 1 < self.bands {
                    emit(band + 1, i as u32);
                }
            }
        }
    }

    fn expected(toy: &Toy) -> Vec<Vec<u32>> {
        let mut out = vec![Vec::new(); toy.bands as usize];
        toy.bin(0, toy.items, |b, r| out[b as usize].push(r));
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
    fn scratch_file_is_removed_with_the_partition() {
        let dir = tempfile::tempdir().unwrap();
        let p = partition(&Toy { items: 1000, bands: 3 }, dir.path(), &NoProgress).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        drop(p);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn many_bands_keep_the_matrix_bounded() {
        assert!(chunk_len(10_000_000_000, 100_000) >= 10_000_000_000 / (MAX_MATRIX_BYTES / 400_000));
        assert_eq!(chunk_len(1000, 4), TARGET_CHUNK);
    }
}
