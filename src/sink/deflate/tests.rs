//! Tests of the segment deflate encoder: every stream is decoded with flate2.

use std::io::Read;

use super::huffman::{canonical_codes, code_lengths};
use super::*;

/// A small deterministic generator (xorshift64*), so tests need no RNG crate API.
pub(crate) struct XorShift(pub u64);

impl XorShift {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const RGBA_ROW: MatchHints = MatchHints { pixel: 4, row: 4 * 37 + 1 };

fn inflate_raw(stream: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(stream).read_to_end(&mut out).expect("valid deflate");
    out
}

fn compress(data: &[u8], hints: MatchHints, last: bool) -> Vec<u8> {
    let mut out = Vec::new();
    compress_segment(data, hints, last, &mut out);
    out
}

fn roundtrip(data: &[u8], hints: MatchHints) -> Vec<u8> {
    let stream = compress(data, hints, true);
    assert_eq!(inflate_raw(&stream), data, "len {} hints {hints:?}", data.len());
    stream
}

/// Image-like bytes: mostly zero, some runs of repeated pixels, some noise.
fn sparse_image(rng: &mut XorShift, len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    let mut i = 0;
    while i < len {
        match rng.below(10) {
            0 => {
                let run = rng.below(40) as usize * 4;
                let px = rng.next().to_le_bytes();
                for k in 0..run.min(len - i) {
                    data[i + k] = px[k % 4];
                }
                i += run.max(1);
            }
            1 => {
                data[i] = rng.next() as u8;
                i += 1;
            }
            _ => i += rng.below(200) as usize + 1,
        }
    }
    data
}

#[test]
fn empty_segments_have_exact_bytes() {
    assert_eq!(compress(&[], RGBA_ROW, true), [0x03, 0x00]);
    assert_eq!(compress(&[], RGBA_ROW, false), [0x00, 0x00, 0x00, 0xff, 0xff]);
    assert_eq!(inflate_raw(&[0x03, 0x00]), b"");
}

#[test]
fn non_final_segment_ends_with_sync_flush() {
    let data = vec![7u8; 1000];
    let stream = compress(&data, RGBA_ROW, false);
    assert_eq!(&stream[stream.len() - 4..], &[0x00, 0x00, 0xff, 0xff]);
    // Followed by a final empty block, it is a complete stream.
    let mut full = stream.clone();
    full.extend_from_slice(&[0x03, 0x00]);
    assert_eq!(inflate_raw(&full), data);
}

#[test]
fn small_inputs_roundtrip() {
    let mut rng = XorShift(1);
    for len in 0..80 {
        for _ in 0..4 {
            let data: Vec<u8> = (0..len).map(|_| (rng.below(3) * 100) as u8).collect();
            roundtrip(&data, RGBA_ROW);
            roundtrip(&data, MatchHints { pixel: 3, row: 4 });
            roundtrip(&data, MatchHints { pixel: 1, row: 1 });
        }
    }
}

#[test]
fn zeros_compress_to_almost_nothing() {
    let data = vec![0u8; 3 << 20];
    let stream = roundtrip(&data, RGBA_ROW);
    // About 2 bits per 258-byte match: 3 MiB / 258 * 2 / 8 = 3048 bytes.
    assert!(stream.len() < 3200, "{} bytes", stream.len());
}

#[test]
fn random_bytes_fall_back_to_stored_blocks() {
    let mut rng = XorShift(7);
    let data: Vec<u8> = (0..200_000).map(|_| rng.next() as u8).collect();
    let stream = roundtrip(&data, RGBA_ROW);
    // Stored: 5 bytes per 64 KiB block plus the final padding, never more.
    assert!(stream.len() <= data.len() + 5 * 4 + 1, "{} bytes", stream.len());
}

#[test]
fn structured_inputs_roundtrip_across_blocks() {
    let mut rng = XorShift(3);
    for &len in &[1usize, 9, 4096, 100_000, (1 << 20) - 3, (1 << 20) + 77, 2_500_000] {
        let data = sparse_image(&mut rng, len);
        roundtrip(&data, RGBA_ROW);
        roundtrip(&data, MatchHints { pixel: 3, row: 3 * 1000 + 1 });
        // Rows too long for a deflate distance: the row hint is ignored.
        roundtrip(&data, MatchHints { pixel: 4, row: 40_001 });
    }
}

#[test]
fn repeated_rows_and_pixels_are_found() {
    // Rows of 100 distinct-ish pixels, each row equal to the one above.
    let row: Vec<u8> = (0..401u32).map(|i| (i * 7 % 251) as u8).collect();
    let data: Vec<u8> = row.iter().copied().cycle().take(401 * 300).collect();
    let stream = roundtrip(&data, MatchHints { pixel: 4, row: 401 });
    assert!(stream.len() < 2000, "{} bytes", stream.len());
    // A repeated 4-byte pixel.
    let data: Vec<u8> = [9u8, 200, 31, 255].iter().copied().cycle().take(100_000).collect();
    let stream = roundtrip(&data, RGBA_ROW);
    assert!(stream.len() < 600, "{} bytes", stream.len());
}

#[test]
fn sparse_indices_do_not_pay_for_the_row_distance() {
    // Palette indices of a sparse plot: isolated dots (1 in 25 pixels) on index 0, one byte
    // a pixel. The row above is mostly 0 where a zero run starts, so a match at the row's
    // distance often starts a byte before the run at distance 1, and reaches less far; taking
    // it cost 13+ bits of distance each time (74 % more output on a 16000^2 plot).
    let mut rng = XorShift(3);
    let width = 4000;
    let stride = width + 1;
    let data: Vec<u8> = (0..stride * 200)
        .map(|i| if i % stride == 0 || rng.below(25) != 0 { 0 } else { 1 + rng.below(30) as u8 })
        .collect();
    let with_row = roundtrip(&data, MatchHints { pixel: 1, row: stride }).len();
    let runs_only = roundtrip(&data, MatchHints { pixel: 1, row: 1 }).len();
    assert!(with_row * 100 <= runs_only * 102, "{with_row} bytes with the row hint, {runs_only} without");
}

#[test]
fn segments_concatenate_into_one_zlib_stream() {
    let mut rng = XorShift(11);
    let parts: Vec<Vec<u8>> =
        [0usize, 5000, 0, 123_457, 1, 70_000].iter().map(|&n| sparse_image(&mut rng, n)).collect();
    let mut stream = zlib_header(true).to_vec();
    let mut adler = 1u32;
    for (i, part) in parts.iter().enumerate() {
        compress_segment(part, RGBA_ROW, i + 1 == parts.len(), &mut stream);
        let mut a = simd_adler32::Adler32::new();
        a.write(part);
        adler = adler32_combine(adler, a.finish(), part.len() as u64);
    }
    stream.extend_from_slice(&adler.to_be_bytes());
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(&stream[..]).read_to_end(&mut out).expect("valid zlib");
    assert_eq!(out, parts.concat());
}

#[test]
fn adler32_combine_matches_whole() {
    let mut rng = XorShift(5);
    let data: Vec<u8> = (0..300_000).map(|_| rng.next() as u8).collect();
    let whole = {
        let mut a = simd_adler32::Adler32::new();
        a.write(&data);
        a.finish()
    };
    for split in [0usize, 1, 65520, 65521, 65522, 131_042, 299_999, 300_000] {
        let (left, right) = data.split_at(split);
        let mut a = simd_adler32::Adler32::new();
        a.write(left);
        let mut b = simd_adler32::Adler32::new();
        b.write(right);
        assert_eq!(adler32_combine(a.finish(), b.finish(), right.len() as u64), whole, "{split}");
    }
    // Known values: Adler-32 of "" is 1, of "a" is 0x00620062.
    assert_eq!(adler32_combine(1, 0x0062_0062, 1), 0x0062_0062);
    assert_eq!(adler32_combine(0x0062_0062, 1, 0), 0x0062_0062);
}

fn kraft_is_one(lengths: &[u8], max: u8) {
    let sum: u64 = lengths.iter().filter(|&&l| l > 0).map(|&l| 1u64 << (max - l)).sum();
    assert_eq!(sum, 1u64 << max, "{lengths:?}");
    assert!(lengths.iter().all(|&l| l <= max));
}

#[test]
fn code_lengths_are_limited_and_complete() {
    // Fibonacci frequencies make an unlimited Huffman tree 30 deep.
    let mut freq = vec![0u32; 286];
    let (mut a, mut b) = (1u32, 1u32);
    for f in freq.iter_mut().take(30) {
        *f = a;
        (a, b) = (b, a + b);
    }
    let lengths = code_lengths(&freq, 15);
    kraft_is_one(&lengths, 15);
    assert_eq!(lengths[29], 1);
    assert_eq!(lengths[40], 0);
    let lengths = code_lengths(&freq[..19], 7);
    kraft_is_one(&lengths, 7);
    // Equal frequencies: a balanced tree.
    assert_eq!(code_lengths(&[5, 5, 5, 5], 15), [2, 2, 2, 2]);
    assert_eq!(code_lengths(&[1, 1, 2], 15), [2, 2, 1]);
    // One or no used symbol still gives a complete two-code tree.
    assert_eq!(code_lengths(&[0, 0, 9], 15), [1, 0, 1]);
    assert_eq!(code_lengths(&[9, 0, 0], 15), [1, 1, 0]);
    assert_eq!(code_lengths(&[0, 0, 0], 15), [1, 1, 0]);
    let mut rng = XorShift(9);
    for _ in 0..200 {
        let freq: Vec<u32> = (0..286).map(|_| (rng.next() >> (rng.below(64))) as u32 % 100_000).collect();
        kraft_is_one(&code_lengths(&freq, 15), 15);
    }
}

#[test]
fn canonical_codes_follow_rfc1951_example() {
    // RFC 1951 3.2.2: lengths (3,3,3,3,3,2,4,4) give codes 010,011,100,101,110,00,1110,1111.
    let codes = canonical_codes(&[3, 3, 3, 3, 3, 2, 4, 4]);
    let expected = [0b010u16, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111];
    let lengths = [3u32, 3, 3, 3, 3, 2, 4, 4];
    for i in 0..8 {
        assert_eq!(codes[i], expected[i].reverse_bits() >> (16 - lengths[i]), "{i}");
    }
}

#[test]
fn run_length_code_uses_repeat_symbols() {
    let mut lengths = vec![8u8; 10];
    lengths.extend([0u8; 150]);
    lengths.extend([5u8, 0, 0, 7, 7, 7]);
    assert_eq!(
        run_length_code(&lengths),
        [(8, 0), (16, 3), (16, 0), (18, 127), (18, 1), (5, 0), (0, 0), (0, 0), (7, 0), (7, 0), (7, 0)]
    );
}

#[test]
fn length_and_distance_symbols() {
    assert_eq!(LENGTH_SYMBOL[3], 0);
    assert_eq!(LENGTH_SYMBOL[10], 7);
    assert_eq!(LENGTH_SYMBOL[11], 8);
    assert_eq!(LENGTH_SYMBOL[12], 8);
    assert_eq!(LENGTH_SYMBOL[257], 27);
    assert_eq!(LENGTH_SYMBOL[258], 28);
    assert_eq!(distance_symbol(1), (0, 0, 0));
    assert_eq!(distance_symbol(4), (3, 0, 0));
    assert_eq!(distance_symbol(6), (4, 1, 1));
    assert_eq!(distance_symbol(32768), (29, 8191, 13));
    assert_eq!(distance_symbol(24577), (29, 0, 13));
}

/// Encoder speed on one 4 MiB segment, best of 7; run by hand:
/// `cargo test --release --lib sink::deflate::tests::speed -- --ignored --nocapture`.
#[test]
#[ignore]
fn speed() {
    let mut rng = XorShift(13);
    let stride = 80_001;
    let rows = 52;
    // Up-filtered dense plot: small residuals around 0, alpha residual 0.
    let dense: Vec<u8> = (0..stride * rows)
        .map(|i| {
            if i % stride == 0 {
                2
            } else if (i % stride) % 4 == 0 {
                0
            } else {
                (rng.below(9) as u8).wrapping_sub(4)
            }
        })
        .collect();
    let sparse = sparse_image(&mut rng, stride * rows);
    for (name, data) in [("dense", &dense), ("sparse", &sparse)] {
        let mut best = f64::MAX;
        let mut size = 0;
        for _ in 0..7 {
            let mut out = Vec::new();
            let start = std::time::Instant::now();
            compress_segment(data, MatchHints { pixel: 4, row: stride }, false, &mut out);
            best = best.min(start.elapsed().as_secs_f64());
            size = out.len();
        }
        println!("{name}: {:.2} GB/s, {size} bytes of {}", data.len() as f64 / best / 1e9, data.len());
    }
}

#[test]
fn equal_mask_matches_its_definition() {
    let mut rng = XorShift(5);
    let data: Vec<u8> = (0..4096).map(|_| rng.below(3) as u8).collect();
    for _ in 0..2000 {
        let a = rng.below(4000) as usize;
        let b = rng.below(4000) as usize;
        let expected: u32 = (0..32).filter(|&i| data[a + i] == data[b + i]).map(|i| 1u32 << i).sum();
        assert_eq!(equal_mask(&data, a, b), expected, "a {a} b {b}");
        assert_eq!(equal_mask_portable(&data, a, b), expected, "a {a} b {b}");
    }
}

/// Literal frequencies that need codes longer than 15 bits unlimited, with the rarest
/// literals side by side: four literal codes per flush must still fit the bit buffer
/// (literal codes are limited to `MAX_LITERAL_BITS`).
#[test]
fn skewed_literals_roundtrip() {
    let mut rng = XorShift(21);
    // Symbol k (k < 12) with frequency 2^(17 - k), shuffled, then 100 distinct rare bytes.
    let mut data: Vec<u8> = (0..12u8).flat_map(|k| std::iter::repeat_n(k * 3 + 1, 1 << (17 - k))).collect();
    for i in (1..data.len()).rev() {
        data.swap(i, rng.below(i as u64 + 1) as usize);
    }
    data.extend(100..200u8);
    let mut freq = [0u32; 256];
    data.iter().for_each(|&b| freq[b as usize] += 1);
    assert_eq!(code_lengths(&freq, 15)[150], 15, "the rare literals get the longest codes");
    roundtrip(&data, RGBA_ROW);
    roundtrip(&data, MatchHints { pixel: 3, row: 1 << 20 });
}

/// A chunk whose probe finds no matches codes the rest of the chunk as literals, even where
/// it repeats; the next chunk's probe finds the repeats and searches again.
#[test]
fn probes_without_matches_leave_their_chunk_to_literals() {
    let mut rng = XorShift(8);
    let noise: Vec<u8> = (0..PROBE).map(|_| rng.next() as u8).collect();
    let mut one_chunk = noise.clone();
    one_chunk.resize(CHUNK, 0);
    let mut two_chunks = one_chunk.clone();
    two_chunks.resize(2 * CHUNK, 0);
    let first = roundtrip(&one_chunk, RGBA_ROW).len();
    let second = roundtrip(&two_chunks, RGBA_ROW).len();
    // The zeros after the probe cost at least one bit each as literals ...
    assert!(first >= PROBE + (CHUNK - PROBE) / 8, "{first}");
    // ... and the zeros of the second chunk are a few matches.
    assert!(second - first < 512, "{first} {second}");
}
