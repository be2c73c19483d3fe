//! A tile's non-empty cells as a bitmap and their values: how a sparse band is kept
//! between the statistics pass and the render pass (`kept.rs`).
//!
//! A count of 10^8 points at 20000^2 lights a tenth of its pixels: its u32 cells are 1.6
//! GB, its partition records 400 MB, but one bit per pixel (50 MB) and the lit pixels'
//! counts (160 MB) say the same. The mask has one bit per cell of the tile, in the tile's
//! own order (row by row within the tile), 64 to a word; the values are the cells whose
//! bit is set, in that order. A cell is empty when its bytes are [`Reducer::EMPTY`]'s, so
//! decoding gives back every cell's exact bytes.
//!
//! [`Reducer::EMPTY`]: crate::reduce::Reducer::EMPTY

use bytemuck::Pod;

/// Mask words of a tile of `cells` cells.
pub(crate) fn mask_words(cells: usize) -> usize {
    cells.div_ceil(64)
}

/// Appends the mask of `cells` to `mask` ([`mask_words`] words) and their non-empty cells
/// (bytes other than `empty`'s) to `values`, in order.
pub(crate) fn encode<C: Pod>(cells: &[C], empty: &C, mask: &mut Vec<u64>, values: &mut Vec<C>) {
    // Cells of 4 bytes (counts) are compared 16 at a time: 0.8 ns a cell one at a time made
    // the mask cost a third of a sparse canvas's statistics pass.
    let four = (std::mem::size_of::<C>() == 4)
        .then(|| {
            bytemuck::try_cast_slice::<C, u32>(cells).ok().zip(bytemuck::try_cast::<C, u32>(*empty).ok())
        })
        .flatten();
    for (i, chunk) in cells.chunks(64).enumerate() {
        let word = match (four, <&[C; 64]>::try_from(chunk)) {
            (Some((cells, empty)), Ok(_)) => {
                mask_of_64(cells[i * 64..][..64].try_into().expect("64 cells"), empty)
            }
            _ => chunk
                .iter()
                .enumerate()
                .fold(0u64, |word, (k, cell)| word | (u64::from(!same(cell, empty)) << k)),
        };
        mask.push(word);
        each_bit(word, |k| values.push(chunk[k]));
    }
}

/// The mask of 64 cells of 4 bytes: a bit for each cell that is not `empty`.
#[inline(always)]
fn mask_of_64(cells: &[u32; 64], empty: u32) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is in every x86-64 CPU; the 16 unaligned loads of 16 bytes read the
        // 256 bytes of `cells`.
        unsafe {
            let empty = _mm_set1_epi32(empty as i32);
            let at = cells.as_ptr().cast::<__m128i>();
            let eq = |k: usize| _mm_cmpeq_epi32(_mm_loadu_si128(at.add(k)), empty);
            (0..4).fold(0u64, |word, g| {
                // Four compares packed to 16 bytes of 0 or 0xff, cell order kept.
                let (a, b, c, d) = (eq(4 * g), eq(4 * g + 1), eq(4 * g + 2), eq(4 * g + 3));
                let bytes = _mm_packs_epi16(_mm_packs_epi32(a, b), _mm_packs_epi32(c, d));
                let equal = _mm_movemask_epi8(bytes) as u32;
                word | (u64::from(!equal & 0xffff) << (16 * g))
            })
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    cells.iter().enumerate().fold(0u64, |word, (k, &cell)| word | (u64::from(cell != empty) << k))
}

/// Sets the cells `mask` marks back to `empty`, the others being so already: a tile buffer
/// made ready for the next tile at the cost of its lit cells, not of its size.
pub(crate) fn clear<C: Pod>(cells: &mut [C], mask: &[u64], empty: C) {
    for (chunk, &word) in cells.chunks_mut(64).zip(mask) {
        each_bit(word, |k| chunk[k] = empty);
    }
}

/// Sets every cell: `values` into the cells `mask` marks, in order, `empty` into the
/// others (one pass over the cells, not a fill and then a scatter). Returns how many
/// values it took.
pub(crate) fn decode<C: Pod>(mask: &[u64], values: &[C], empty: C, cells: &mut [C]) -> usize {
    let mut next = values.iter();
    for (chunk, &word) in cells.chunks_mut(64).zip(mask) {
        chunk.fill(empty);
        each_bit(word, |k| chunk[k] = *next.next().expect("a value for every bit of the mask"));
    }
    values.len() - next.len()
}

/// Values a mask marks.
#[cfg(test)]
pub(crate) fn lit(mask: &[u64]) -> usize {
    mask.iter().map(|w| w.count_ones() as usize).sum()
}

/// Values a mask marks, the mask given as its bytes (as read back from a file, not
/// necessarily aligned for `u64`).
pub(crate) fn lit_in_bytes(mask: &[u8]) -> usize {
    mask.chunks_exact(8).map(|word| bytemuck::pod_read_unaligned::<u64>(word).count_ones() as usize).sum()
}

/// Calls `each(k)` for every set bit `k` of `word`, lowest first.
#[inline(always)]
fn each_bit(mut word: u64, mut each: impl FnMut(usize)) {
    while word != 0 {
        each(word.trailing_zeros() as usize);
        word &= word - 1;
    }
}

/// Whether two cells hold the same bytes (NaN-safe, unlike `==` on floats).
#[inline(always)]
fn same<C: Pod>(a: &C, b: &C) -> bool {
    bytemuck::bytes_of(a) == bytemuck::bytes_of(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip_through_mask_and_values() {
        // 150 cells: two whole words and a partial one; lit cells at both ends of words.
        let mut cells = vec![0u32; 150];
        for (i, v) in [(0, 7), (63, 1), (64, 300), (100, 2), (149, 9)] {
            cells[i] = v;
        }
        let (mut mask, mut values) = (Vec::new(), Vec::new());
        encode(&cells, &0, &mut mask, &mut values);
        assert_eq!(mask.len(), mask_words(150));
        assert_eq!(mask, vec![1 | 1 << 63, 1 | 1 << 36, 1 << 21]);
        assert_eq!(values, vec![7, 1, 300, 2, 9]);
        assert_eq!(lit(&mask), 5);
        let mut back = vec![5u32; 150];
        assert_eq!(decode(&mask, &values, 0, &mut back), 5);
        assert_eq!(back, cells);
        clear(&mut cells, &mask, 0);
        assert!(cells.iter().all(|&c| c == 0));
    }

    #[test]
    fn the_mask_of_64_counts_is_one_bit_per_count_not_empty() {
        // Against the one-at-a-time mask, for every cell alone and random mixes, with an
        // empty value other than 0 and values that differ from it in one bit (sign too).
        let empty = 0x8000_0001u32;
        let one_at_a_time = |cells: &[u32; 64]| {
            cells.iter().enumerate().fold(0u64, |w, (k, &c)| w | (u64::from(c != empty) << k))
        };
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for case in 0..200 {
            let mut cells = [empty; 64];
            if case < 64 {
                cells[case] = empty ^ 1;
            } else {
                for cell in &mut cells {
                    state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    if state >> 62 == 0 {
                        *cell = empty ^ (1 << ((state >> 32) % 32));
                    }
                }
            }
            assert_eq!(mask_of_64(&cells, empty), one_at_a_time(&cells), "case {case}");
        }
    }

    #[test]
    fn empty_is_by_bytes_so_nan_cells_round_trip() {
        // A float reduction's empty cell is NaN; 0.0 and -0.0 are values.
        let cells = [f64::NAN, 0.0, -0.0, f64::NAN, 2.5];
        let (mut mask, mut values) = (Vec::new(), Vec::new());
        encode(&cells, &f64::NAN, &mut mask, &mut values);
        assert_eq!(mask, vec![0b10110]);
        let mut back = [1.0; 5];
        decode(&mask, &values, f64::NAN, &mut back);
        assert_eq!(bytemuck::cast_slice::<f64, u64>(&back), bytemuck::cast_slice::<f64, u64>(&cells));
    }
}
