//! A fast deflate encoder for independent segments of PNG scanlines, so bands compress in
//! parallel and join into one valid zlib stream (the technique pigz uses).
//!
//! Each segment becomes a byte-aligned run of dynamic-Huffman blocks (stored blocks when that
//! is smaller) ending with a sync flush, or with a final block for the last segment; segments
//! never refer to each other's bytes, so they can be concatenated in order. The parser is
//! greedy and looks only where image data repeats: the previous byte (runs), the previous
//! pixel and the pixel above, so it runs at memory speed on sparse plots.
//!
//! Where the time goes on dense plots (every pixel coloured, half the bytes literals):
//! the match search compares 32 bytes with each candidate distance at once (two SSE2
//! compares into a bit mask), so a window without a match costs a few instructions per
//! byte, and a short match's length is read from the same masks. On noise, where matches
//! are rare, the search itself is skipped: it probes the first 4 KiB of every 32 KiB of a
//! block and leaves the rest of the chunk to literals when matches cover under 1/16 of the
//! probe (a decision made from the data alone, so the output never depends on threads).
//! Literals are counted into the block histogram once and written four codes per 8-byte
//! store (literal codes are limited to 14 bits for that) from a bit buffer held in
//! registers, into output space reserved from the block's exact size.

use huffman::{canonical_codes, code_lengths};

/// Bytes of input per deflate block: small enough to keep the Huffman tables adapted.
const BLOCK_INPUT: usize = 1 << 20;
/// Shortest match emitted; shorter repeats are cheaper as literals.
const MIN_MATCH: usize = 4;
/// Bytes the match search compares at once (a `u32` mask of equal bytes).
const WINDOW: usize = 32;
/// Positions of a window where a match of `MIN_MATCH` bytes can be seen to start.
const WINDOW_STARTS: usize = WINDOW - MIN_MATCH + 1;
/// How many bytes after the earliest match a later-starting one may begin and still be
/// chosen for reaching farther ([`find_match`]).
const LATE_START: usize = 2;
/// Bits of a distance that cost nothing extra in [`min_length`]: distances up to 15 (the
/// pixel to the left) take matches of `MIN_MATCH` bytes.
const FREE_BITS: usize = 4;
/// Longest match deflate can express.
const MAX_MATCH: usize = 258;
/// Largest distance deflate can express.
const MAX_DISTANCE: usize = 32768;
/// Longest Huffman code of the distance alphabet (deflate's limit).
const MAX_CODE_BITS: u8 = 15;
/// Longest Huffman code of the literal/length alphabet: one bit under deflate's limit, so
/// four literal codes (56 bits) fit the bit buffer next to the 7 bits it may hold.
const MAX_LITERAL_BITS: u8 = 14;
/// Input bytes of a probe: the match search runs on the first `PROBE` bytes of every
/// `CHUNK` of a block, and on the rest of the chunk only if the probe found matches.
const PROBE: usize = 4 << 10;
/// Input bytes judged by one probe.
const CHUNK: usize = 32 << 10;
/// A probe whose matches cover fewer than 1 byte in `SEARCH_RATIO` leaves the rest of its
/// chunk to literals: on dense noise matches are rare, and not looking saves the search
/// and the per-match work.
const SEARCH_RATIO: usize = 16;
/// Longest Huffman code of the code-length alphabet.
const MAX_CLEN_BITS: u8 = 7;
/// End-of-block symbol.
const END_OF_BLOCK: usize = 256;
/// Number of literal/length symbols used (286 and 287 never occur).
const LIT_SYMBOLS: usize = 286;
/// Number of distance symbols.
const DIST_SYMBOLS: usize = 30;

/// First length of each length symbol 257..=285.
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
    227, 258,
];
/// Extra bits of each length symbol 257..=285.
const LENGTH_EXTRA: [u8; 29] =
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
/// First distance of each distance symbol.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
    4097, 6145, 8193, 12289, 16385, 24577,
];
/// Extra bits of each distance symbol.
const DIST_EXTRA: [u8; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/// Order in which the code-length code lengths are stored in a dynamic block header.
const CLEN_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/// The length symbol index (0..29, i.e. symbol - 257) of every match length 0..=258.
const LENGTH_SYMBOL: [u8; 259] = length_symbol_table();

const fn length_symbol_table() -> [u8; 259] {
    let mut table = [0u8; 259];
    let mut sym = 0;
    let mut len = 3;
    while len <= 258 {
        while sym + 1 < 29 && LENGTH_BASE[sym + 1] as usize <= len {
            sym += 1;
        }
        table[len] = sym as u8;
        len += 1;
    }
    table
}

/// The zlib stream header for a 32 KiB window (CMF 0x78) and a given compression level hint.
pub fn zlib_header(fastest: bool) -> [u8; 2] {
    if fastest {
        [0x78, 0x01]
    } else {
        [0x78, 0x9C]
    }
}

/// The distances at which a segment's parser looks for repeats, besides 1 (runs of a byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatchHints {
    /// Bytes per pixel: repeats of the pixel to the left.
    pub pixel: usize,
    /// Bytes per filtered scanline (filter byte included): repeats of the row above.
    pub row: usize,
}

/// Appends the deflate encoding of `data` to `out`: byte-aligned blocks that refer only to
/// `data` itself, ending with a sync flush (an empty stored block) or, when `last`, with a
/// final block. The result depends only on the arguments.
pub fn compress_segment(data: &[u8], hints: MatchHints, last: bool, out: &mut Vec<u8>) {
    let mut writer = BitWriter::new(out);
    let distances = candidate_distances(hints);
    let mut seqs = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let start = pos;
        let limit = (start + BLOCK_INPUT).min(data.len());
        let mut stats = BlockStats::new();
        seqs.clear();
        pos = parse_block(data, start, limit, &distances, &mut seqs, &mut stats);
        let is_final = last && pos == data.len();
        let block = Block { data: &data[start..pos], seqs: &seqs, stats: &stats };
        write_block(&mut writer, block, &distances, is_final);
    }
    if data.is_empty() && last {
        write_empty_final_block(&mut writer);
    }
    if !last {
        write_sync_flush(&mut writer);
    }
    writer.finish();
}

/// Combines the Adler-32 of two byte strings into the Adler-32 of their concatenation, given
/// the length of the second (zlib's `adler32_combine`).
pub fn adler32_combine(adler1: u32, adler2: u32, len2: u64) -> u32 {
    const BASE: u64 = 65521;
    let rem = len2 % BASE;
    let a1 = u64::from(adler1 & 0xffff);
    let b1 = u64::from(adler1 >> 16);
    let a2 = u64::from(adler2 & 0xffff);
    let b2 = u64::from(adler2 >> 16);
    let a = (a1 + a2 + BASE - 1) % BASE;
    let b = (rem * a1 + b1 + b2 + BASE - rem) % BASE;
    (a | (b << 16)) as u32
}

/// The candidate distances in order of preference (cheapest code first), deduplicated and
/// limited to what deflate can express.
fn candidate_distances(hints: MatchHints) -> Vec<usize> {
    let mut distances = vec![1];
    for d in [hints.pixel, hints.row] {
        if d > 1 && d <= MAX_DISTANCE && !distances.contains(&d) {
            distances.push(d);
        }
    }
    distances
}

/// One parsed sequence: `literals` literal bytes, then a match of `length` bytes (0 = none)
/// at distance `distances[distance]`.
#[derive(Clone, Copy, Debug)]
struct Seq {
    literals: u32,
    length: u16,
    distance: u8,
}

/// Symbol frequencies of one block.
struct BlockStats {
    /// Literal/length frequencies (literals are added from `bytes` by `merge_bytes`).
    lit: [u32; LIT_SYMBOLS],
    /// Literal byte counts by position modulo 8: separate tables avoid the store-to-load
    /// stalls of incrementing the same counter back to back (every 4th byte of RGBA is alpha).
    bytes: [[u32; 256]; 8],
    dist: [u32; 3],
}

impl BlockStats {
    fn new() -> BlockStats {
        BlockStats { lit: [0; LIT_SYMBOLS], bytes: [[0; 256]; 8], dist: [0; 3] }
    }

    /// Adds the literal byte counts into `lit`.
    fn merge_bytes(&mut self) {
        for table in &self.bytes {
            for (total, &n) in self.lit.iter_mut().zip(table) {
                *total += n;
            }
        }
    }
}

/// Reads 8 bytes at `at` as a little-endian word.
#[inline(always)]
fn load(data: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&data[at..at + 8]);
    u64::from_le_bytes(word)
}

/// Length of the common prefix of `data[a..]` and `data[b..]`, at most `max`.
#[inline(always)]
fn common_length(data: &[u8], a: usize, b: usize, max: usize) -> usize {
    let mut n = 0;
    while n + WINDOW <= max {
        let equal = equal_mask(data, a + n, b + n);
        if equal != u32::MAX {
            return n + equal.trailing_ones() as usize;
        }
        n += WINDOW;
    }
    while n + 8 <= max {
        let x = load(data, a + n) ^ load(data, b + n);
        if x != 0 {
            return n + (x.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    while n < max && data[a + n] == data[b + n] {
        n += 1;
    }
    n
}

/// Greedily parses `data[start..]` from `start` until at least `limit` into `seqs`, counting
/// symbols into `stats`. Returns where the block ends (>= `limit`, <= `data.len()`).
///
/// The block is judged in chunks of `CHUNK` bytes: the match search runs over the first
/// `PROBE` bytes of a chunk, and over the rest only if the probe found enough matches;
/// otherwise the rest becomes literals. The decisions depend only on the data.
fn parse_block(
    data: &[u8],
    start: usize,
    limit: usize,
    distances: &[usize],
    seqs: &mut Vec<Seq>,
    stats: &mut BlockStats,
) -> usize {
    let mut parser = Parser { pos: start, literal_start: start, matched: 0 };
    // Only look for matches where a whole window can be read.
    let scan_end = limit.min(data.len().saturating_sub(WINDOW));
    while parser.pos < scan_end {
        let probe_start = parser.pos;
        let matched_before = parser.matched;
        parser.scan(data, (probe_start + PROBE).min(scan_end), distances, seqs, stats);
        let chunk_end = (probe_start + CHUNK).min(scan_end);
        let matched = parser.matched - matched_before;
        if matched * SEARCH_RATIO >= parser.pos - probe_start {
            parser.scan(data, chunk_end, distances, seqs, stats);
        } else {
            parser.pos = parser.pos.max(chunk_end);
        }
    }
    let (pos, literal_start) = (parser.pos, parser.literal_start);
    let end = pos.max(limit);
    if end > literal_start {
        count_literals(&data[literal_start..end], &mut stats.bytes);
        seqs.push(Seq { literals: (end - literal_start) as u32, length: 0, distance: 0 });
    }
    stats.merge_bytes();
    end
}

/// The state of the greedy parse of a block.
struct Parser {
    /// Next byte to parse.
    pos: usize,
    /// First byte of the pending literal run.
    literal_start: usize,
    /// Bytes covered by matches so far.
    matched: usize,
}

impl Parser {
    /// Parses greedily from `pos` until at least `end`, emitting a sequence per match.
    #[inline(always)]
    fn scan(
        &mut self,
        data: &[u8],
        end: usize,
        distances: &[usize],
        seqs: &mut Vec<Seq>,
        stats: &mut BlockStats,
    ) {
        let (mut pos, mut literal_start) = (self.pos, self.literal_start);
        while pos < end {
            let (offset, length, which) = find_match(data, pos, distances);
            pos += offset;
            if length == 0 {
                continue;
            }
            let literals = pos - literal_start;
            count_literals(&data[literal_start..pos], &mut stats.bytes);
            stats.lit[257 + LENGTH_SYMBOL[length] as usize] += 1;
            stats.dist[which] += 1;
            seqs.push(Seq { literals: literals as u32, length: length as u16, distance: which as u8 });
            pos += length;
            self.matched += length;
            literal_start = pos;
        }
        (self.pos, self.literal_start) = (pos, literal_start);
    }
}

/// Looks for a match of at least `MIN_MATCH` bytes starting in the first
/// `WINDOW_STARTS` positions from `pos` (reading `WINDOW` bytes at `pos`). Returns (offset
/// from `pos`, length, distance index); length 0 means none starts in the first `offset`
/// positions.
///
/// Of the matches starting up to [`LATE_START`] bytes after the earliest one, the one that
/// reaches farthest wins, the first listed distance on ties: a long run at distance 1 that
/// starts a byte later beats a shorter match at the row's distance, whose distance code
/// costs more than the literal it saves (on sparse palette rows the difference is 40 %).
#[inline(always)]
fn find_match(data: &[u8], pos: usize, distances: &[usize]) -> (usize, usize, usize) {
    let mut equal = [0u32; 3];
    let mut starts = [0u32; 3];
    for (which, &d) in distances.iter().enumerate() {
        if d <= pos {
            let e = equal_mask(data, pos, pos - d);
            equal[which] = e;
            starts[which] = e & (e >> 1) & (e >> 2) & (e >> 3) & (u32::MAX >> (WINDOW - WINDOW_STARTS));
        }
    }
    let any = starts[0] | starts[1] | starts[2];
    if any == 0 {
        return (WINDOW_STARTS, 0, 0);
    }
    let first = any.trailing_zeros() as usize;
    // (end, start, which) of the best candidate so far.
    let mut best = (0usize, 0usize, 0usize);
    for (which, &d) in distances.iter().enumerate() {
        let late = starts[which] >> first;
        if late == 0 {
            continue;
        }
        let offset = first + late.trailing_zeros() as usize;
        if offset > first + LATE_START {
            continue;
        }
        let max = MAX_MATCH.min(data.len() - (pos + offset));
        // The equal bytes from `offset` on, as far as the window shows them.
        let mut length = (equal[which] >> offset).trailing_ones() as usize;
        if offset + length == WINDOW {
            let end = pos + WINDOW;
            length += common_length(data, end, end - d, max.saturating_sub(length));
        }
        let length = length.min(max);
        if length < min_length(d) {
            continue;
        }
        let end = offset + length;
        if end > best.0 {
            best = (end, offset, which);
        }
    }
    let (end, offset, which) = best;
    if end == 0 {
        // Every match seen was too short for its distance: look again one byte on.
        return (first + 1, 0, 0);
    }
    (offset, end - offset, which)
}

/// The shortest match worth its distance: `MIN_MATCH`, plus a byte for every two extra
/// bits of the distance's code beyond the first few (a literal costs a few bits).
#[inline(always)]
fn min_length(d: usize) -> usize {
    let bits = usize::BITS - d.leading_zeros(); // about the distance's extra bits + 1
    MIN_MATCH + (bits as usize).saturating_sub(FREE_BITS) / 2
}

/// Bit i is set when `data[a + i] == data[b + i]`, for i in 0..WINDOW (two SSE2 compares).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn equal_mask(data: &[u8], a: usize, b: usize) -> u32 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8};
    let x = &data[a..a + WINDOW];
    let y = &data[b..b + WINDOW];
    // SAFETY: `x` and `y` are WINDOW = 32 bytes long (the slicing above checks it), so both
    // unaligned 16-byte loads at offsets 0 and 16 stay inside them; SSE2 is part of the
    // x86_64 baseline, so the instructions exist on every x86_64 CPU.
    let (low, high) = unsafe {
        let (xp, yp) = (x.as_ptr().cast(), y.as_ptr().cast());
        let low = _mm_cmpeq_epi8(_mm_loadu_si128(xp), _mm_loadu_si128(yp));
        let high = _mm_cmpeq_epi8(_mm_loadu_si128(xp.add(1)), _mm_loadu_si128(yp.add(1)));
        (_mm_movemask_epi8(low), _mm_movemask_epi8(high))
    };
    (low as u32 & 0xffff) | ((high as u32) << 16)
}

/// Bit i is set when `data[a + i] == data[b + i]`, for i in 0..WINDOW (portable version).
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn equal_mask(data: &[u8], a: usize, b: usize) -> u32 {
    equal_mask_portable(data, a, b)
}

/// The byte-by-byte definition of `equal_mask`.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn equal_mask_portable(data: &[u8], a: usize, b: usize) -> u32 {
    let (x, y) = (&data[a..a + WINDOW], &data[b..b + WINDOW]);
    x.iter().zip(y).enumerate().fold(0, |mask, (i, (p, q))| mask | (u32::from(p == q) << i))
}

/// Adds the bytes of `literals` to the literal histograms (the i-th byte to table i % 8).
#[inline(always)]
fn count_literals(literals: &[u8], tables: &mut [[u32; 256]; 8]) {
    let mut chunks = literals.chunks_exact(8);
    for c in &mut chunks {
        for (table, &b) in tables.iter_mut().zip(c) {
            table[b as usize] += 1;
        }
    }
    for (table, &b) in tables.iter_mut().zip(chunks.remainder()) {
        table[b as usize] += 1;
    }
}

/// The distance symbol, extra bits value and extra bit count of distance `d`.
fn distance_symbol(d: usize) -> (usize, u32, u8) {
    let sym = DIST_BASE.iter().rposition(|&base| base as usize <= d).unwrap_or(0);
    (sym, (d - DIST_BASE[sym] as usize) as u32, DIST_EXTRA[sym])
}

/// A parsed block: its bytes, their sequences and symbol counts.
struct Block<'a> {
    data: &'a [u8],
    seqs: &'a [Seq],
    stats: &'a BlockStats,
}

/// Writes one parsed block: dynamic Huffman, or stored if smaller.
fn write_block(w: &mut BitWriter, block: Block, distances: &[usize], is_final: bool) {
    let Block { data: block, seqs, stats } = block;
    let mut lit_freq = stats.lit;
    lit_freq[END_OF_BLOCK] = 1;
    let mut dist_freq = [0u32; DIST_SYMBOLS];
    for (which, &d) in distances.iter().enumerate() {
        dist_freq[distance_symbol(d).0] += stats.dist[which];
    }
    let lit_lengths = code_lengths(&lit_freq, MAX_LITERAL_BITS);
    let dist_lengths = code_lengths(&dist_freq, MAX_CODE_BITS);
    let header = DynamicHeader::new(&lit_lengths, &dist_lengths);
    let huffman_bits = header.bits() + payload_bits(&lit_freq, &lit_lengths, &dist_freq, &dist_lengths);
    if huffman_bits > stored_bits(block.len()) {
        write_stored(w, block, is_final);
        return;
    }
    w.put(u64::from(is_final) | (2 << 1), 3);
    header.write(w);
    let lit_codes = canonical_codes(&lit_lengths);
    let dist_codes = canonical_codes(&dist_lengths);
    let tables = EmitTables::new(&lit_codes, &lit_lengths, &dist_codes, &dist_lengths, distances);
    // The payload's exact size is known: reserve it once, then write without growth checks.
    w.with_room(huffman_bits.div_ceil(8) as usize, |bits| emit_sequences(bits, block, seqs, &tables));
    w.put(u64::from(lit_codes[END_OF_BLOCK]), u32::from(lit_lengths[END_OF_BLOCK]));
    w.flush();
}

/// Bits of the symbols of a block (without header), from its histograms.
fn payload_bits(lit_freq: &[u32], lit_lengths: &[u8], dist_freq: &[u32], dist_lengths: &[u8]) -> u64 {
    let mut bits = 0u64;
    for sym in 0..LIT_SYMBOLS {
        let extra = if sym > 256 { LENGTH_EXTRA[sym - 257] } else { 0 };
        bits += u64::from(lit_freq[sym]) * u64::from(lit_lengths[sym] + extra);
    }
    for sym in 0..DIST_SYMBOLS {
        bits += u64::from(dist_freq[sym]) * u64::from(dist_lengths[sym] + DIST_EXTRA[sym]);
    }
    bits
}

/// Upper bound of the bits stored blocks take for `len` bytes (headers, padding, lengths).
fn stored_bits(len: usize) -> u64 {
    let blocks = len.div_ceil(65535).max(1) as u64;
    len as u64 * 8 + blocks * (3 + 7 + 32)
}

/// Writes `block` as stored blocks of at most 65535 bytes.
fn write_stored(w: &mut BitWriter, block: &[u8], is_final: bool) {
    let mut chunks = block.chunks(65535).peekable();
    if block.is_empty() {
        w.put(u64::from(is_final), 3);
        w.align_bytes(&[0, 0, 0xff, 0xff]);
        return;
    }
    while let Some(chunk) = chunks.next() {
        let final_chunk = is_final && chunks.peek().is_none();
        w.put(u64::from(final_chunk), 3);
        let len = chunk.len() as u16;
        let [l0, l1] = len.to_le_bytes();
        let [n0, n1] = (!len).to_le_bytes();
        w.align_bytes(&[l0, l1, n0, n1]);
        w.bytes(chunk);
    }
}

/// An empty fixed-Huffman block with BFINAL set: the end of a stream.
fn write_empty_final_block(w: &mut BitWriter) {
    w.put(0b011, 3);
    w.put(0, 7);
    w.flush();
}

/// An empty stored block (a sync flush): leaves the stream byte-aligned.
fn write_sync_flush(w: &mut BitWriter) {
    w.put(0, 3);
    w.align_bytes(&[0, 0, 0xff, 0xff]);
}

/// Code lengths of a dynamic block, run-length coded with the code-length alphabet.
struct DynamicHeader {
    lit_count: usize,
    dist_count: usize,
    clen_count: usize,
    clen_lengths: Vec<u8>,
    clen_codes: Vec<u16>,
    /// (symbol 0..=18, extra bits value).
    symbols: Vec<(u8, u8)>,
}

impl DynamicHeader {
    fn new(lit_lengths: &[u8], dist_lengths: &[u8]) -> DynamicHeader {
        let lit_count = 257.max(lit_lengths.iter().rposition(|&l| l > 0).map_or(0, |p| p + 1));
        let dist_count = 1.max(dist_lengths.iter().rposition(|&l| l > 0).map_or(0, |p| p + 1));
        let mut all = lit_lengths[..lit_count].to_vec();
        all.extend_from_slice(&dist_lengths[..dist_count]);
        let symbols = run_length_code(&all);
        let mut freq = [0u32; 19];
        for &(sym, _) in &symbols {
            freq[sym as usize] += 1;
        }
        let clen_lengths = code_lengths(&freq, MAX_CLEN_BITS);
        let clen_codes = canonical_codes(&clen_lengths);
        let clen_count = 4.max(CLEN_ORDER.iter().rposition(|&s| clen_lengths[s] > 0).map_or(0, |p| p + 1));
        DynamicHeader { lit_count, dist_count, clen_count, clen_lengths, clen_codes, symbols }
    }

    /// Size of the header in bits (after the 3 block-type bits).
    fn bits(&self) -> u64 {
        let mut bits = 14 + 3 * self.clen_count as u64;
        for &(sym, _) in &self.symbols {
            bits += u64::from(self.clen_lengths[sym as usize]) + u64::from(clen_extra_bits(sym));
        }
        bits
    }

    fn write(&self, w: &mut BitWriter) {
        w.put((self.lit_count - 257) as u64, 5);
        w.put((self.dist_count - 1) as u64, 5);
        w.put((self.clen_count - 4) as u64, 4);
        for &sym in &CLEN_ORDER[..self.clen_count] {
            w.put(u64::from(self.clen_lengths[sym]), 3);
            w.flush();
        }
        for &(sym, extra) in &self.symbols {
            let s = sym as usize;
            w.put(u64::from(self.clen_codes[s]), u32::from(self.clen_lengths[s]));
            w.put(u64::from(extra), u32::from(clen_extra_bits(sym)));
            w.flush();
        }
    }
}

/// Extra bits after a code-length symbol: 16 repeats 3-6, 17 zeros 3-10, 18 zeros 11-138.
fn clen_extra_bits(sym: u8) -> u8 {
    match sym {
        16 => 2,
        17 => 3,
        18 => 7,
        _ => 0,
    }
}

/// Run-length codes a list of code lengths into code-length symbols with extra values.
fn run_length_code(lengths: &[u8]) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lengths.len() {
        let len = lengths[i];
        let mut run = lengths[i..].iter().take_while(|&&l| l == len).count();
        i += run;
        if len == 0 {
            while run >= 11 {
                let r = run.min(138);
                out.push((18, (r - 11) as u8));
                run -= r;
            }
            if run >= 3 {
                out.push((17, (run - 3) as u8));
                run = 0;
            }
        } else {
            out.push((len, 0));
            run -= 1;
            while run >= 3 {
                let r = run.min(6);
                out.push((16, (r - 3) as u8));
                run -= r;
            }
        }
        for _ in 0..run {
            out.push((len, 0));
        }
    }
    out
}

/// Precomputed bit patterns of one block: literal codes, and length and distance codes
/// joined with their extra bits.
struct EmitTables {
    /// Code per literal byte.
    literal_code: [u16; 256],
    /// Code length per literal byte.
    literal_bits: [u8; 256],
    /// (code + extra bits, bit count), per match length 0..=258.
    length: [(u32, u8); 259],
    /// (code + extra bits, bit count), per candidate distance.
    distance: [(u32, u8); 3],
}

impl EmitTables {
    fn new(
        lit_codes: &[u16],
        lit_lengths: &[u8],
        dist_codes: &[u16],
        dist_lengths: &[u8],
        distances: &[usize],
    ) -> EmitTables {
        let mut literal_code = [0u16; 256];
        literal_code.copy_from_slice(&lit_codes[..256]);
        let mut literal_bits = [0u8; 256];
        literal_bits.copy_from_slice(&lit_lengths[..256]);
        let mut length = [(0u32, 0u8); 259];
        for (len, entry) in length.iter_mut().enumerate().skip(3) {
            let idx = LENGTH_SYMBOL[len] as usize;
            let sym = 257 + idx;
            let bits = u32::from(lit_lengths[sym]);
            let extra = (len - LENGTH_BASE[idx] as usize) as u32;
            *entry = (u32::from(lit_codes[sym]) | (extra << bits), lit_lengths[sym] + LENGTH_EXTRA[idx]);
        }
        let mut distance = [(0u32, 0u8); 3];
        for (which, &d) in distances.iter().enumerate() {
            let (sym, extra, extra_bits) = distance_symbol(d);
            let bits = u32::from(dist_lengths[sym]);
            distance[which] = (u32::from(dist_codes[sym]) | (extra << bits), dist_lengths[sym] + extra_bits);
        }
        EmitTables { literal_code, literal_bits, length, distance }
    }

    /// Adds the code of literal `byte` to `w`.
    #[inline(always)]
    fn put_literal(&self, w: &mut SliceBits, byte: u8) {
        let b = byte as usize;
        w.put(u64::from(self.literal_code[b]), u32::from(self.literal_bits[b]));
    }
}

/// Writes the Huffman codes of every sequence of a block.
fn emit_sequences(w: &mut SliceBits, block: &[u8], seqs: &[Seq], tables: &EmitTables) {
    let mut pos = 0;
    for seq in seqs {
        let literals = &block[pos..pos + seq.literals as usize];
        emit_literals(w, literals, tables);
        pos += seq.literals as usize;
        if seq.length > 0 {
            let (lbits, lcount) = tables.length[seq.length as usize];
            let (dbits, dcount) = tables.distance[seq.distance as usize];
            w.put(u64::from(lbits), u32::from(lcount));
            w.put(u64::from(dbits), u32::from(dcount));
            w.flush();
            pos += seq.length as usize;
        }
    }
}

/// Writes literal codes, four per flush (4 x `MAX_LITERAL_BITS` fit the bit buffer).
#[inline(always)]
fn emit_literals(w: &mut SliceBits, literals: &[u8], tables: &EmitTables) {
    let mut quads = literals.chunks_exact(4);
    for q in &mut quads {
        for &byte in q {
            tables.put_literal(w, byte);
        }
        w.flush();
    }
    for &byte in quads.remainder() {
        tables.put_literal(w, byte);
    }
    w.flush();
}

/// The bit buffer of a [`BitWriter`] moved into locals over a byte slice with room reserved,
/// so the hot loops keep it in registers and never check for growth.
struct SliceBits<'a> {
    out: &'a mut [u8],
    pos: usize,
    bits: u64,
    count: u32,
}

impl SliceBits<'_> {
    /// Adds `count` bits (the caller keeps the buffer under 64 bits between flushes).
    #[inline(always)]
    fn put(&mut self, value: u64, count: u32) {
        debug_assert!(self.count + count < 64);
        self.bits |= value << self.count;
        self.count += count;
    }

    /// Moves whole bytes of the buffer into `out`, leaving at most 7 bits.
    #[inline(always)]
    fn flush(&mut self) {
        self.out[self.pos..self.pos + 8].copy_from_slice(&self.bits.to_le_bytes());
        let bytes = self.count / 8;
        self.pos += bytes as usize;
        // bytes <= 7: the buffer never holds 64 bits.
        self.bits >>= bytes * 8;
        self.count &= 7;
    }
}

/// LSB-first bit output into a growing byte vector.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Bytes of `out` written so far (the rest is scratch space).
    pos: usize,
    bits: u64,
    count: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> BitWriter<'a> {
        let pos = out.len();
        BitWriter { out, pos, bits: 0, count: 0 }
    }

    /// Adds `count` bits (the caller keeps the buffer under 64 bits between flushes).
    #[inline(always)]
    fn put(&mut self, value: u64, count: u32) {
        debug_assert!(self.count + count < 64);
        self.bits |= value << self.count;
        self.count += count;
    }

    /// Moves whole bytes of the buffer into `out`, leaving at most 7 bits.
    #[inline(always)]
    fn flush(&mut self) {
        match self.out.get_mut(self.pos..self.pos + 8) {
            Some(dst) => dst.copy_from_slice(&self.bits.to_le_bytes()),
            None => self.grow_and_store(),
        }
        let bytes = self.count / 8;
        self.pos += bytes as usize;
        // bytes <= 7: the buffer never holds 64 bits.
        self.bits >>= bytes * 8;
        self.count &= 7;
    }

    /// Runs `write` on the bit buffer with at least `bytes` bytes (plus slack for the last
    /// 8-byte store) reserved after `pos`.
    fn with_room(&mut self, bytes: usize, write: impl FnOnce(&mut SliceBits)) {
        let need = self.pos + bytes + 16;
        if self.out.len() < need {
            self.out.resize(need.max(self.out.len() * 2), 0);
        }
        let mut bits =
            SliceBits { out: &mut self.out[..], pos: self.pos, bits: self.bits, count: self.count };
        write(&mut bits);
        (self.pos, self.bits, self.count) = (bits.pos, bits.bits, bits.count);
    }

    /// Makes room in `out` and stores the bit buffer at `pos`.
    #[cold]
    #[inline(never)]
    fn grow_and_store(&mut self) {
        let len = (self.out.len() * 2).max(self.pos + 4096);
        self.out.resize(len, 0);
        self.out[self.pos..self.pos + 8].copy_from_slice(&self.bits.to_le_bytes());
    }

    /// Pads to a byte boundary with zero bits, then writes `bytes`.
    fn align_bytes(&mut self, bytes: &[u8]) {
        self.count = self.count.div_ceil(8) * 8;
        self.flush();
        self.bytes(bytes);
    }

    /// Writes raw bytes; the stream must be byte-aligned.
    fn bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.count, 0);
        self.out.truncate(self.pos);
        self.out.extend_from_slice(bytes);
        self.pos = self.out.len();
    }

    /// Pads the last byte with zero bits and trims the scratch space.
    fn finish(mut self) {
        self.count = self.count.div_ceil(8) * 8;
        self.flush();
        self.out.truncate(self.pos);
    }
}

mod huffman;
#[cfg(test)]
pub(crate) mod tests;
