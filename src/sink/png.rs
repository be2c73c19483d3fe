//! Streaming PNG output whose compression runs on all cores.
//!
//! Rows are cut into segments at fixed row indices (independent of bands, tiles and
//! threads), each segment filtered and deflated on its own, and the segments are joined into
//! one zlib stream in order, so the file is byte-identical however the render was split.
//!
//! Nothing runs on one core alone: segments are filled, filtered, checksummed (Adler-32 and
//! the IDAT chunk's CRC-32) and compressed in parallel, two per thread, and the file write of
//! one batch of segments runs as one more task beside the compression of the next (and
//! starts the disk's writeback, so the sync at commit finds little left to do).
//!
//! When the band's shader knows every colour of the canvas and they are at most 256
//! ([`Band::palette`]: counts, whose colours follow from the histogram), the image is
//! written with indexed colour (type 3, PLTE, and tRNS for translucent entries) at the
//! smallest bit depth holding the palette; it decodes to the same pixels as the truecolour
//! image (RGBA, or RGB on an opaque canvas, once a decoder expands the palette).
//!
//! The bytes go to any `Write + Send`: a file that appears only complete ([`PngSink::new`],
//! [`PngWriter::create`]: an [`AtomicFile`] renamed into place at commit), or a `Vec<u8>`,
//! a socket, stdout ([`PngSink::to_writer`], [`PngWriter::new`]); the bytes are the same.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use rayon::prelude::*;

use crate::canvas::plan::check_side;
use crate::error::{Error, Field, Result};
use crate::io::AtomicFile;
use crate::sink::deflate::{self, MatchHints};
use crate::sink::destination::Destination;
use crate::sink::{Band, CanvasInfo, Finished, Palette, PixelFormat, Sink};

/// Raw bytes of scanlines per segment (at least one row): the unit of parallel compression.
pub const SEGMENT_TARGET_BYTES: usize = 4 << 20;
/// Most bytes of complete segments held for parallel compression.
pub const MAX_IN_FLIGHT_BYTES: usize = 256 << 20;
/// Largest PNG width or height (and chunk length).
const PNG_MAX: u32 = (1 << 31) - 1;
/// PNG file signature.
const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// How a PNG stores its pixels: the shader's bytes as they are, or indices into a palette.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PngColor {
    /// Truecolour: 8-bit RGBA (type 6) or RGB (type 2), as [`Band::shade_row`] writes them.
    Direct(PixelFormat),
    /// Indexed colour (type 3): rows of packed palette indices at the palette's bit depth.
    Indexed(Arc<Palette>),
}

impl PngColor {
    /// IHDR's bit depth and colour type.
    fn depth_and_type(&self) -> (u8, u8) {
        match self {
            PngColor::Direct(PixelFormat::Rgba) => (8, 6),
            PngColor::Direct(PixelFormat::Rgb) => (8, 2),
            PngColor::Indexed(palette) => (palette.bit_depth(), 3),
        }
    }

    /// Bytes of one unfiltered row of `width` pixels.
    pub fn row_bytes(&self, width: usize) -> usize {
        match self {
            PngColor::Direct(format) => width * format.bytes_per_pixel(),
            PngColor::Indexed(palette) => palette.row_bytes(width),
        }
    }

    /// The filters' byte distance to the previous pixel (1 below 8 bits a pixel).
    fn filter_bpp(&self) -> usize {
        match self {
            PngColor::Direct(format) => format.bytes_per_pixel(),
            PngColor::Indexed(_) => 1,
        }
    }
}

/// Speed against file size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Compression {
    /// Fast (default): level-1 deflate, gigaplot's own encoder (`src/sink/deflate.rs`) on palette
    /// indices and miniz_oxide's level 1 on truecolour rows (chosen by `benches/encoders`).
    #[default]
    Fast,
    /// Small: zlib-style compression (level 6 on truecolour rows; on palette indices the
    /// smaller of the fast encoder and level 9, per segment), several times slower, files
    /// smaller (truecolour) or no larger (indexed) than fast.
    Small,
}

impl FromStr for Compression {
    type Err = String;
    fn from_str(text: &str) -> Result<Compression, String> {
        match text {
            "fast" => Ok(Compression::Fast),
            "small" => Ok(Compression::Small),
            other => Err(format!("unknown compression '{other}'; use 'fast' or 'small'")),
        }
    }
}

/// The PNG row filter applied to each scanline (the first row of a segment uses `Sub` when
/// `Up` is chosen, so segments stay independent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RowFilter {
    /// Filter type 0: bytes as they are (default: on plots, figures and palette indices
    /// both encoders matched the row above and runs better unfiltered, `benches/encoders`).
    #[default]
    None,
    /// Filter type 1: difference with the pixel to the left.
    Sub,
    /// Filter type 2: difference with the pixel above.
    Up,
}

/// What errors name when a PNG goes to a writer rather than a file.
const STREAM_NAME: &str = "PNG stream";

/// A PNG written row by row into `W`, compressed in parallel segments.
///
/// Segments are compressed in batches; a batch's compressed bytes are written out while the
/// next batch is filled and compressed, so no core waits for the output. After each batch
/// the output is flushed (for an [`AtomicFile`], that starts the disk's writeback).
pub struct PngWriter<W: Write + Send = AtomicFile> {
    out: W,
    /// What errors name: the file's final path, or [`STREAM_NAME`].
    name: PathBuf,
    width: u32,
    height: u32,
    encoding: Encoding,
    rows_per_segment: usize,
    /// Rows received so far.
    rows_done: u64,
    /// Segments started but not yet compressed, in row order; all complete but the last.
    queue: Vec<Job>,
    /// Compressed segments not yet written, in row order (they precede `queue`).
    ready: Vec<Job>,
    /// Segment buffers kept for reuse.
    spare: Vec<Vec<u8>>,
    /// Compressed-segment buffers kept for reuse (fresh ones cost page faults).
    spare_out: Vec<Vec<u8>>,
    /// Adler-32 of the filtered bytes written so far.
    adler: u32,
}

/// What a worker needs to filter and compress a segment.
#[derive(Clone, Copy, Debug)]
struct Encoding {
    /// The filters' distance to the previous pixel, in bytes.
    bpp: usize,
    /// Palette indices rather than truecolour (they choose the fast encoder).
    indexed: bool,
    compression: Compression,
    filter: RowFilter,
    /// Bytes of one filtered scanline: filter byte + pixels.
    stride: usize,
    /// Index of the last segment (its deflate blocks end the stream).
    last_index: u64,
}

/// One segment: its rows as they are filled, then its compressed bytes.
#[derive(Debug)]
struct Job {
    /// Segment number (row `index * rows_per_segment` is its first).
    index: u64,
    /// Rows in the segment.
    rows: usize,
    /// Rows already filled.
    filled: usize,
    /// Rows to fill in the current call, from row `first_call_row` of the call.
    count: usize,
    first_call_row: usize,
    /// `rows` scanlines of `stride` bytes.
    buffer: Vec<u8>,
    compressed: Vec<u8>,
    /// Adler-32 of the filtered scanlines.
    adler: u32,
    /// CRC-32 of the IDAT chunk holding `compressed`, computed beside the compression
    /// (`None` for the last segment, which gets the stream's Adler-32 appended, and for
    /// segments that need several chunks).
    chunk_crc: Option<u32>,
}

impl Job {
    /// True when every row is filled or is being filled in the current call.
    fn complete(&self) -> bool {
        self.filled + self.count == self.rows
    }
}

impl<W: Write + Send> std::fmt::Debug for PngWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PngWriter")
            .field("name", &self.name)
            .field("height", &self.height)
            .field("rows_done", &self.rows_done)
            .finish_non_exhaustive()
    }
}

impl PngWriter<AtomicFile> {
    /// Starts a PNG file of `width` x `height` pixels at `path`, under a temporary name
    /// until [`AtomicFile::commit`] on what [`PngWriter::finish`] returns. Fails if either
    /// side is 0 or over 2^31 - 1 (before creating anything), or if `path` cannot be created.
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        format: PixelFormat,
        compression: Compression,
    ) -> Result<PngWriter<AtomicFile>> {
        check_sides(width, height)?;
        let file = AtomicFile::create(path)?;
        PngWriter::named(file, path, width, height, format, compression)
    }
}

/// Fails unless both sides fit in a PNG.
fn check_sides(width: u32, height: u32) -> Result<()> {
    check_side(Field::Width, width)?;
    check_side(Field::Height, height)
}

impl<W: Write + Send> PngWriter<W> {
    /// Starts a PNG of `width` x `height` pixels written into `out` (errors name it "PNG
    /// stream"). Fails if either side is 0 or over 2^31 - 1, or if `out` fails.
    pub fn new(
        out: W,
        width: u32,
        height: u32,
        format: PixelFormat,
        compression: Compression,
    ) -> Result<Self> {
        PngWriter::named(out, Path::new(STREAM_NAME), width, height, format, compression)
    }

    /// [`PngWriter::new`] with errors naming `name`; checks the sides and writes the
    /// signature and header.
    pub(crate) fn named(
        out: W,
        name: &Path,
        width: u32,
        height: u32,
        format: PixelFormat,
        compression: Compression,
    ) -> Result<Self> {
        PngWriter::start(out, name, width, height, &PngColor::Direct(format), compression)
    }

    /// A PNG of `width` x `height` pixels with indexed colour, written into `out` (errors
    /// name it "PNG stream"): each row given to [`PngWriter::write_rows`] is
    /// [`Palette::row_bytes`] bytes of packed indices ([`Palette::pack_row`]).
    pub fn indexed(
        out: W,
        width: u32,
        height: u32,
        palette: Arc<Palette>,
        compression: Compression,
    ) -> Result<Self> {
        let color = PngColor::Indexed(palette);
        PngWriter::start(out, Path::new(STREAM_NAME), width, height, &color, compression)
    }

    /// Checks the sides and writes the signature and the header chunks of `color`.
    pub(crate) fn start(
        mut out: W,
        name: &Path,
        width: u32,
        height: u32,
        color: &PngColor,
        compression: Compression,
    ) -> Result<Self> {
        check_sides(width, height)?;
        let row_bytes = color.row_bytes(width as usize);
        let stride = row_bytes + 1;
        let rows_per_segment = (SEGMENT_TARGET_BYTES / row_bytes).max(1);
        let mut header = SIGNATURE.to_vec();
        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        let (depth, color_type) = color.depth_and_type();
        ihdr.extend_from_slice(&[depth, color_type, 0, 0, 0]);
        append_chunk(&mut header, b"IHDR", &ihdr);
        if let PngColor::Indexed(palette) = color {
            append_chunk(&mut header, b"PLTE", &palette.plte());
            let trns = palette.trns();
            if !trns.is_empty() {
                append_chunk(&mut header, b"tRNS", &trns);
            }
        }
        write_bytes(&mut out, name, &header)?;
        let last_index = (u64::from(height) - 1) / rows_per_segment as u64;
        let indexed = matches!(color, PngColor::Indexed(_));
        let filter = RowFilter::default();
        let encoding = Encoding { bpp: color.filter_bpp(), indexed, compression, filter, stride, last_index };
        Ok(PngWriter {
            out,
            name: name.to_path_buf(),
            width,
            height,
            encoding,
            rows_per_segment,
            rows_done: 0,
            queue: Vec::new(),
            ready: Vec::new(),
            spare: Vec::new(),
            spare_out: Vec::new(),
            adler: 1,
        })
    }

    /// Chooses the row filter (before the first row; default [`RowFilter::Up`]).
    pub fn with_filter(mut self, filter: RowFilter) -> Self {
        debug_assert_eq!(self.rows_done, 0);
        self.encoding.filter = filter;
        self
    }

    /// Rows per compression segment for this image (depends only on width and format).
    pub fn rows_per_segment(&self) -> usize {
        self.rows_per_segment
    }

    /// Appends the next `rows` rows; `fill_row(i, out)` writes the pixels of row i of this
    /// call (0-based) into `out` (`width * bytes_per_pixel` bytes). It is called exactly once
    /// per row, from several threads. The bytes written do not depend on how rows are split
    /// into calls or on the thread count.
    ///
    /// Complete segments wait (filled, at most [`PngWriter::segments_in_flight`] of them)
    /// until enough are ready to compress in parallel, so small calls still use every core.
    pub fn write_rows(&mut self, rows: usize, fill_row: &(dyn Fn(usize, &mut [u8]) + Sync)) -> Result<()> {
        let left = u64::from(self.height) - self.rows_done;
        if rows as u64 > left {
            return Err(Error::usage(
                self.name.display().to_string(),
                format!("{} rows were given but only {left} of the image's {} remain", rows, self.height),
            ));
        }
        let in_flight = self.segments_in_flight();
        let mut next = 0;
        while next < rows {
            while next < rows && self.complete_jobs() < in_flight {
                next += self.assign_rows(next, rows - next)?;
            }
            let flush = self.complete_jobs() >= in_flight || self.rows_done == u64::from(self.height);
            self.run_queue(fill_row, flush)?;
            if flush {
                self.move_compressed();
            }
        }
        Ok(())
    }

    /// Writes the end of the stream after checking every row was given, flushes, and
    /// returns the output (an [`AtomicFile`] still to be committed).
    pub fn finish(mut self) -> Result<W> {
        if self.rows_done != u64::from(self.height) {
            return Err(Error::usage(
                self.name.display().to_string(),
                format!("the image has {} rows but only {} were written", self.height, self.rows_done),
            ));
        }
        debug_assert!(self.queue.is_empty());
        let ready = std::mem::take(&mut self.ready);
        write_jobs(&mut self.out, &self.name, &mut self.adler, ready, self.encoding)?;
        self.spare_out.clear();
        let mut tail = Vec::new();
        append_chunk(&mut tail, b"IEND", &[]);
        write_bytes(&mut self.out, &self.name, &tail)?;
        self.out.flush().map_err(|e| Error::io(&self.name, e))?;
        Ok(self.out)
    }

    /// How many complete segments are compressed together: two per thread, within
    /// [`MAX_IN_FLIGHT_BYTES`] (at least one).
    pub fn segments_in_flight(&self) -> usize {
        let segment_bytes = self.rows_per_segment * self.encoding.stride;
        (MAX_IN_FLIGHT_BYTES / segment_bytes).clamp(1, 2 * rayon::current_num_threads())
    }

    /// Number of queued segments that are complete (or will be after the current fill).
    fn complete_jobs(&self) -> usize {
        self.queue.iter().filter(|job| job.complete()).count()
    }

    /// Gives up to `available` rows of the call, from row `first_call_row`, to the last
    /// queued segment (or a new one). Returns how many rows it took.
    fn assign_rows(&mut self, first_call_row: usize, available: usize) -> Result<usize> {
        if !matches!(self.queue.last(), Some(job) if !job.complete()) {
            let rps = self.rows_per_segment as u64;
            let index = self.rows_done / rps;
            let rows = (u64::from(self.height) - index * rps).min(rps) as usize;
            let buffer = self.segment_buffer(rows)?;
            self.queue.push(Job {
                index,
                rows,
                filled: 0,
                count: 0,
                first_call_row: 0,
                buffer,
                compressed: self.spare_out.pop().unwrap_or_default(),
                adler: 1,
                chunk_crc: None,
            });
        }
        let job = self.queue.last_mut().expect("a job was just queued");
        job.count = (job.rows - job.filled).min(available);
        job.first_call_row = first_call_row;
        self.rows_done += job.count as u64;
        Ok(job.count)
    }

    /// A buffer for a segment of `rows` rows, reused when possible.
    fn segment_buffer(&mut self, rows: usize) -> Result<Vec<u8>> {
        let mut buffer = self.spare.pop().unwrap_or_default();
        let len = rows * self.encoding.stride;
        if buffer.len() < len {
            buffer.try_reserve_exact(len - buffer.len()).map_err(|_| {
                Error::bad_parameter(
                    Field::Width,
                    format!("a segment of {len} bytes of rows does not fit in memory"),
                )
            })?;
            buffer.resize(len, 0);
        }
        Ok(buffer)
    }

    /// Fills the rows given to each queued segment in parallel and, when `compress`, filters
    /// and compresses the complete ones; meanwhile writes the segments compressed before.
    fn run_queue(&mut self, fill_row: &(dyn Fn(usize, &mut [u8]) + Sync), compress: bool) -> Result<()> {
        let encoding = self.encoding;
        let mut queue = std::mem::take(&mut self.queue);
        let ready = std::mem::take(&mut self.ready);
        let (out, name, adler) = (&mut self.out, &self.name, &mut self.adler);
        let (written, ()) = rayon::join(
            || write_jobs(out, name, adler, ready, encoding),
            || {
                queue.par_iter_mut().for_each(|job| {
                    let stride = encoding.stride;
                    let rows = &mut job.buffer[job.filled * stride..(job.filled + job.count) * stride];
                    rows.par_chunks_mut(stride).enumerate().for_each(|(k, row)| {
                        fill_row(job.first_call_row + k, &mut row[1..]);
                    });
                    job.filled += job.count;
                    job.count = 0;
                    if compress && job.filled == job.rows {
                        compress_job(job, encoding);
                    }
                })
            },
        );
        self.queue = queue;
        self.spare_out.extend(written?);
        Ok(())
    }

    /// Moves the compressed segments at the front of the queue to `ready`, keeping an
    /// incomplete last one, and their row buffers to `spare`.
    fn move_compressed(&mut self) {
        let keep = match self.queue.last() {
            Some(job) if job.filled < job.rows => self.queue.pop(),
            _ => None,
        };
        for mut job in std::mem::take(&mut self.queue) {
            self.spare.push(std::mem::take(&mut job.buffer));
            self.ready.push(job);
        }
        self.queue.extend(keep);
    }
}

/// Filters a complete segment in place, checksums it and compresses it.
fn compress_job(job: &mut Job, encoding: Encoding) {
    let data = &mut job.buffer[..job.rows * encoding.stride];
    filter_rows(data, encoding.stride, encoding.bpp, encoding.filter);
    let mut adler = simd_adler32::Adler32::new();
    adler.write(data);
    job.adler = adler.finish();
    let out = &mut job.compressed;
    out.clear();
    if job.index == 0 {
        out.extend_from_slice(&deflate::zlib_header(encoding.compression == Compression::Fast));
    }
    let last = job.index == encoding.last_index;
    // Measured in benches/encoders: the hand-written encoder wins on palette indices;
    // on truecolour rows miniz_oxide's level 1 is as fast with much smaller output.
    match (encoding.compression, encoding.indexed) {
        (Compression::Fast, true) => {
            let hints = MatchHints { pixel: encoding.bpp, row: encoding.stride };
            deflate::compress_segment(data, hints, last, out);
        }
        (Compression::Fast, false) => zlib_deflate_segment(data, 1, last, out),
        (Compression::Small, false) => zlib_deflate_segment(data, 6, last, out),
        (Compression::Small, true) => {
            // On palette indices the fast encoder is about as small as zlib's level 9
            // (and smaller than its 6): keep whichever is smaller, segment by segment
            // (either ends byte-aligned, so they join alike). Never larger than fast.
            let start = out.len();
            let hints = MatchHints { pixel: encoding.bpp, row: encoding.stride };
            deflate::compress_segment(data, hints, last, out);
            let mut level9 = Vec::new();
            zlib_deflate_segment(data, 9, last, &mut level9);
            if level9.len() < out.len() - start {
                out.truncate(start);
                out.extend_from_slice(&level9);
            }
        }
    }
    job.chunk_crc = (!last && out.len() <= PNG_MAX as usize).then(|| chunk_crc(b"IDAT", out));
}

/// Writes compressed segments to `out` in order as IDAT chunks, folding their Adler-32
/// into `adler` and adding the stream's checksum after the last segment, then flushes
/// `out` (for a file, starting the disk's writeback). Returns the emptied buffers for reuse.
fn write_jobs<W: Write>(
    out: &mut W,
    name: &Path,
    adler: &mut u32,
    jobs: Vec<Job>,
    encoding: Encoding,
) -> Result<Vec<Vec<u8>>> {
    let mut buffers = Vec::with_capacity(jobs.len());
    for mut job in jobs {
        let len = (job.rows * encoding.stride) as u64;
        *adler = deflate::adler32_combine(*adler, job.adler, len);
        if job.index == encoding.last_index {
            job.compressed.extend_from_slice(&adler.to_be_bytes());
        }
        match job.chunk_crc {
            Some(crc) => write_chunk(out, name, b"IDAT", &job.compressed, crc)?,
            None => {
                for part in job.compressed.chunks(PNG_MAX as usize) {
                    write_chunk(out, name, b"IDAT", part, chunk_crc(b"IDAT", part))?;
                }
            }
        }
        out.flush().map_err(|e| Error::io(name, e))?;
        job.compressed.clear();
        buffers.push(job.compressed);
    }
    Ok(buffers)
}

/// Writes one chunk whose CRC is known, without copying its data.
fn write_chunk<W: Write>(out: &mut W, name: &Path, kind: &[u8; 4], data: &[u8], crc: u32) -> Result<()> {
    let mut head = [0u8; 8];
    head[..4].copy_from_slice(&(data.len() as u32).to_be_bytes());
    head[4..].copy_from_slice(kind);
    write_bytes(out, name, &head)?;
    write_bytes(out, name, data)?;
    write_bytes(out, name, &crc.to_be_bytes())
}

/// Writes `bytes` to `out`, naming the output on failure.
fn write_bytes<W: Write>(out: &mut W, name: &Path, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes).map_err(|e| Error::io(name, e))
}

/// CRC-32 of a chunk's type and data.
fn chunk_crc(kind: &[u8; 4], data: &[u8]) -> u32 {
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    crc.finalize()
}

/// Appends a PNG chunk (length, type, data, CRC-32 of type and data) to `out`.
fn append_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&chunk_crc(kind, data).to_be_bytes());
}

/// Filters raw scanlines in place (`stride` bytes each, the first byte reserved for the
/// filter type), bottom row first so `Up` still sees the raw row above.
fn filter_rows(data: &mut [u8], stride: usize, bpp: usize, filter: RowFilter) {
    let rows = data.len() / stride;
    for r in (0..rows).rev() {
        let (above, rest) = data.split_at_mut(r * stride);
        let row = &mut rest[..stride];
        match filter {
            RowFilter::None => row[0] = 0,
            RowFilter::Up if r > 0 => {
                row[0] = 2;
                let prev = &above[(r - 1) * stride + 1..];
                for (b, &p) in row[1..].iter_mut().zip(prev) {
                    *b = b.wrapping_sub(p);
                }
            }
            RowFilter::Sub | RowFilter::Up => {
                row[0] = 1;
                filter_sub(&mut row[1..], bpp);
            }
        }
    }
}

/// Sub filter in place: each byte minus the byte one pixel to the left.
fn filter_sub(row: &mut [u8], bpp: usize) {
    // Work on pixels with the previous raw pixel kept aside, so the loop has no
    // dependency through memory and vectorises.
    match bpp {
        4 => filter_sub_fixed::<4>(row),
        3 => filter_sub_fixed::<3>(row),
        _ => {
            for x in (bpp..row.len()).rev() {
                row[x] = row[x].wrapping_sub(row[x - bpp]);
            }
        }
    }
}

/// [`filter_sub`] for `N` bytes per pixel.
fn filter_sub_fixed<const N: usize>(row: &mut [u8]) {
    let mut prev = [0u8; N];
    for px in row.chunks_exact_mut(N) {
        let mut cur = [0u8; N];
        cur.copy_from_slice(px);
        for c in 0..N {
            px[c] = cur[c].wrapping_sub(prev[c]);
        }
        prev = cur;
    }
}

/// Compresses a segment with flate2 (miniz_oxide at `level`) as raw deflate ending with a
/// sync flush, or a final block when `last`.
fn zlib_deflate_segment(data: &[u8], level: u32, last: bool, out: &mut Vec<u8>) {
    let mut compress = flate2::Compress::new(flate2::Compression::new(level), false);
    let flush = if last { flate2::FlushCompress::Finish } else { flate2::FlushCompress::Sync };
    out.reserve(data.len() / 2 + 1024);
    loop {
        let consumed = compress.total_in() as usize;
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(4096));
        }
        let status = compress
            .compress_vec(&data[consumed..], out, flush)
            .expect("raw deflate into a Vec cannot fail: no dictionary, valid parameters");
        let all_in = compress.total_in() as usize == data.len();
        let done = match status {
            flate2::Status::StreamEnd => true,
            _ => !last && all_in && out.len() < out.capacity(),
        };
        if done {
            break;
        }
    }
}

/// A [`Sink`] writing the shaded canvas as a PNG (RGB when the canvas is opaque) to a file
/// ([`PngSink::new`]) or any writer ([`PngSink::to_writer`]).
pub struct PngSink<W: Write + Send = AtomicFile> {
    destination: Destination<W>,
    compression: Compression,
    /// The canvas and the opened output, from `begin` until the first band decides the
    /// colour type (the palette comes with the bands).
    opened: Option<(CanvasInfo, W)>,
    /// Truecolour or indexed, decided at the first band.
    color: PngColor,
    writer: Option<PngWriter<W>>,
}

impl<W: Write + Send> std::fmt::Debug for PngSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PngSink")
            .field("destination", &self.destination)
            .field("compression", &self.compression)
            .field("writer", &self.writer)
            .finish_non_exhaustive()
    }
}

impl PngSink<AtomicFile> {
    /// A PNG sink writing to the file `path` (created when the render begins, renamed into
    /// place with the render's other outputs when it finishes).
    pub fn new(path: &Path, compression: Compression) -> PngSink<AtomicFile> {
        PngSink::with_destination(Destination::file(path), compression)
    }
}

impl<W: Write + Send + 'static> PngSink<W> {
    /// A PNG sink writing into `writer` (a `Vec<u8>`, a socket, stdout); the writer comes
    /// back through the [`Finished`] once the render has finished. The bytes are the same as
    /// [`PngSink::new`]'s file.
    pub fn to_writer(writer: W, compression: Compression) -> (PngSink<W>, Finished<W>) {
        PngSink::to_named_writer(writer, STREAM_NAME, compression)
    }

    /// [`PngSink::to_writer`] whose errors name `name` (the file an uncommitted
    /// [`AtomicFile`] will become, for a `--thumbnail` written before its render).
    pub fn to_named_writer(writer: W, name: &str, compression: Compression) -> (PngSink<W>, Finished<W>) {
        let (destination, finished) = Destination::writer(writer, name);
        (PngSink::with_destination(destination, compression), finished)
    }
}

impl<W: Write + Send> PngSink<W> {
    fn with_destination(destination: Destination<W>, compression: Compression) -> PngSink<W> {
        PngSink {
            destination,
            compression,
            opened: None,
            color: PngColor::Direct(PixelFormat::Rgba),
            writer: None,
        }
    }

    /// The error for a sink used before `begin`.
    fn not_begun(&self) -> Error {
        Error::usage(self.destination.name().display().to_string(), "the PNG sink was used before begin()")
    }
}

impl<W: Write + Send> Sink for PngSink<W> {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        check_sides(canvas.width, canvas.height)?;
        self.writer = None;
        let out = self.destination.open()?;
        self.opened = Some((*canvas, out));
        Ok(())
    }

    fn band(&mut self, band: &dyn Band) -> Result<()> {
        if let Some((canvas, out)) = self.opened.take() {
            // Every band gives the same palette: the first one decides.
            self.color = match band.palette() {
                Some(palette) => PngColor::Indexed(palette),
                None => PngColor::Direct(PixelFormat::for_canvas(canvas.opaque)),
            };
            let name = self.destination.name();
            let (width, height) = (canvas.width, canvas.height);
            self.writer = Some(PngWriter::start(out, name, width, height, &self.color, self.compression)?);
        }
        let color = &self.color;
        let Some(writer) = self.writer.as_mut() else { return Err(self.not_begun()) };
        if u64::from(band.y0()) != writer.rows_done {
            return Err(Error::usage(
                self.destination.name().display().to_string(),
                format!("band starting at row {} given after {} rows", band.y0(), writer.rows_done),
            ));
        }
        let rows = band.height() as usize;
        match color {
            PngColor::Direct(format) => {
                let format = *format;
                writer.write_rows(rows, &|row, out| band.shade_row(row as u32, format, out))
            }
            PngColor::Indexed(palette) => {
                let width = writer.width as usize;
                writer.write_rows(rows, &|row, out| shade_indexed(band, palette, width, row as u32, out))
            }
        }
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        let Some(writer) = self.writer.take() else { return Err(self.not_begun()) };
        let out = writer.finish()?;
        self.destination.close(out)
    }

    /// Written from the band's indices, or its RGBA when a row has none.
    fn reads_shaded_only(&self) -> bool {
        true
    }
}

thread_local! {
    /// One row per thread: a byte per pixel of palette indices, or RGBA, before packing.
    static ROW: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Writes band row `row` (`width` pixels) as `palette`'s indices packed at its bit depth:
/// the band's indices when it gives them ([`Band::index_row`], a table lookup per pixel),
/// else its RGBA pixels looked up in the palette.
pub(crate) fn shade_indexed(band: &dyn Band, palette: &Palette, width: usize, row: u32, out: &mut [u8]) {
    let bits = palette.bit_depth();
    if bits == 8 && band.index_row(row, &mut out[..width]) {
        return;
    }
    ROW.with_borrow_mut(|buffer| {
        buffer.resize(width, 0);
        if bits < 8 && band.index_row(row, buffer) {
            crate::shade::palette::pack_indices(buffer, bits, out);
            return;
        }
        buffer.resize(width * 4, 0);
        band.shade_row(row, PixelFormat::Rgba, buffer);
        let complete = palette.pack_row(buffer, out);
        debug_assert!(complete, "a colour of row {row} is missing from the band's palette");
    });
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod indexed_tests;
