//! The finite set of colours a shader can produce, when it has at most 256: what lets a PNG
//! be written with indexed colour (type 3, PLTE and tRNS) at 1, 2, 4 or 8 bits a pixel
//! instead of 3 or 4 bytes, with the same decoded pixels.
//!
//! A shader whose colour is a function of a value whose distribution the statistics pass
//! knows exactly (counts, through the [`crate::shade::CountHistogram`]) enumerates every
//! colour of the canvas before the first row is shaded. The palette's order is made from
//! those statistics alone, so the file is the same for every tile size and thread count.

/// Most entries of a PNG palette.
pub const MAX_ENTRIES: usize = 256;

/// Slots of the colour-to-index hash table: a power of two, at least twice
/// [`MAX_ENTRIES`], so probes stay short.
const SLOTS: usize = 1024;

/// Up to 256 straight-RGBA colours: translucent ones first (so tRNS stays short), then the
/// opaque ones, each in the order it was first offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Palette {
    colors: Vec<[u8; 4]>,
    /// Open-addressed table: `(rgba as u32, index + 1)`, 0 in the second field for an empty slot.
    slots: Vec<(u32, u16)>,
}

impl Palette {
    /// The palette of `colors` (duplicates removed), or None when they are more than
    /// [`MAX_ENTRIES`] or none at all. Stops reading `colors` as soon as there are too many.
    pub fn from_colors(colors: impl IntoIterator<Item = [u8; 4]>) -> Option<Palette> {
        let mut seen = Vec::new();
        // The colours seen so far, in the open-addressed table `index_of` reads (every pixel
        // of a tile may come through here: no general-purpose hasher).
        let mut known = vec![(0u32, 0u16); SLOTS];
        for rgba in colors {
            let key = u32::from_le_bytes(rgba);
            let mut slot = slot_of(key);
            while known[slot].1 != 0 && known[slot].0 != key {
                slot = (slot + 1) % SLOTS;
            }
            if known[slot].1 == 0 {
                if seen.len() == MAX_ENTRIES {
                    return None;
                }
                known[slot] = (key, 1);
                seen.push(rgba);
            }
        }
        if seen.is_empty() {
            return None;
        }
        // Stable: translucent colours first, each group in first-seen order.
        seen.sort_by_key(|rgba| rgba[3] == 255);
        let mut slots = vec![(0u32, 0u16); SLOTS];
        for (index, rgba) in seen.iter().enumerate() {
            let key = u32::from_le_bytes(*rgba);
            let mut slot = slot_of(key);
            while slots[slot].1 != 0 {
                slot = (slot + 1) % SLOTS;
            }
            slots[slot] = (key, index as u16 + 1);
        }
        Some(Palette { colors: seen, slots })
    }

    /// The colours, index order.
    pub fn colors(&self) -> &[[u8; 4]] {
        &self.colors
    }

    /// Number of entries (1 to 256).
    pub fn len(&self) -> usize {
        self.colors.len()
    }

    /// Never true: a palette has at least one colour.
    pub fn is_empty(&self) -> bool {
        self.colors.is_empty()
    }

    /// The smallest PNG bit depth whose indices reach every entry: 1, 2, 4 or 8.
    pub fn bit_depth(&self) -> u8 {
        match self.colors.len() {
            0..=2 => 1,
            3..=4 => 2,
            5..=16 => 4,
            _ => 8,
        }
    }

    /// The PLTE chunk's data: RGB of every entry.
    pub fn plte(&self) -> Vec<u8> {
        self.colors.iter().flat_map(|c| [c[0], c[1], c[2]]).collect()
    }

    /// The tRNS chunk's data: alpha of the translucent entries (they come first); empty when
    /// every entry is opaque (no tRNS chunk then).
    pub fn trns(&self) -> Vec<u8> {
        self.colors.iter().map(|c| c[3]).take_while(|&a| a != 255).collect()
    }

    /// The index of `rgba`, None when the palette lacks it.
    #[inline]
    pub fn index_of(&self, rgba: [u8; 4]) -> Option<u8> {
        let key = u32::from_le_bytes(rgba);
        let mut slot = slot_of(key);
        loop {
            let (k, i) = self.slots[slot];
            if i == 0 {
                return None;
            }
            if k == key {
                return Some((i - 1) as u8);
            }
            slot = (slot + 1) % SLOTS;
        }
    }

    /// Bytes of one packed row of `width` indices at [`Palette::bit_depth`].
    pub fn row_bytes(&self, width: usize) -> usize {
        (width * usize::from(self.bit_depth())).div_ceil(8)
    }

    /// Packs a row of straight-RGBA pixels into indices at [`Palette::bit_depth`], most
    /// significant bits first, the last byte's unused bits 0 (`out.len()` is
    /// [`Palette::row_bytes`]). Returns false (and leaves index 0 there) if a pixel's colour
    /// is not in the palette, which a shader's palette rules out.
    pub fn pack_row(&self, rgba: &[u8], out: &mut [u8]) -> bool {
        let bits = usize::from(self.bit_depth());
        let per_byte = 8 / bits;
        let mut all_found = true;
        // Consecutive pixels of one colour (the background, mostly) skip the hash table.
        let mut last: Option<([u8; 4], u8)> = None;
        let mut index = |px: &[u8]| {
            let rgba = [px[0], px[1], px[2], px[3]];
            match last {
                Some((colour, i)) if colour == rgba => i,
                _ => {
                    let i = self.index_of(rgba).unwrap_or_else(|| {
                        all_found = false;
                        0
                    });
                    last = Some((rgba, i));
                    i
                }
            }
        };
        for (byte, pixels) in out.iter_mut().zip(rgba.chunks(4 * per_byte)) {
            let mut packed = 0u8;
            for (k, px) in pixels.chunks_exact(4).enumerate() {
                packed |= index(px) << (8 - bits * (k + 1));
            }
            *byte = packed;
        }
        all_found
    }
}

/// Packs a row of palette indices (a byte each, all below `1 << bits`) at `bits` bits a
/// pixel (1, 2, 4 or 8), most significant bits first, the last byte's unused bits 0
/// (`out.len()` is the packed row's length).
pub fn pack_indices(indices: &[u8], bits: u8, out: &mut [u8]) {
    if bits == 8 {
        out.copy_from_slice(indices);
        return;
    }
    let bits = usize::from(bits);
    let per_byte = 8 / bits;
    for (byte, group) in out.iter_mut().zip(indices.chunks(per_byte)) {
        let mut packed = 0u8;
        for (k, &i) in group.iter().enumerate() {
            packed |= i << (8 - bits * (k + 1));
        }
        *byte = packed;
    }
}

/// The first hash-table slot of a colour.
#[inline]
fn slot_of(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> 22) as usize % SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_order_and_chunks() {
        let opaque = [10, 20, 30, 255];
        let clear = [0, 0, 0, 0];
        let half = [1, 2, 3, 128];
        let p = Palette::from_colors([opaque, clear, opaque, half]).unwrap();
        assert_eq!(p.colors(), &[clear, half, opaque]);
        assert_eq!(p.bit_depth(), 2);
        assert_eq!(p.plte(), vec![0, 0, 0, 1, 2, 3, 10, 20, 30]);
        assert_eq!(p.trns(), vec![0, 128]);
        assert_eq!(Palette::from_colors([opaque]).unwrap().trns(), Vec::<u8>::new());
        assert_eq!(Palette::from_colors([opaque]).unwrap().bit_depth(), 1);
        assert!(Palette::from_colors([]).is_none());
        let many = |n: u32| Palette::from_colors((0..n).map(|i| [i as u8, (i >> 8) as u8, 0, 255]));
        assert_eq!(many(16).unwrap().bit_depth(), 4);
        assert_eq!(many(17).unwrap().bit_depth(), 8);
        assert_eq!(many(256).unwrap().len(), 256);
        assert!(many(257).is_none());
        let p = many(256).unwrap();
        for i in 0..256u32 {
            assert_eq!(p.index_of([i as u8, (i >> 8) as u8, 0, 255]), Some(i as u8));
        }
        assert_eq!(p.index_of([0, 0, 1, 255]), None);
    }

    #[test]
    fn rows_pack_most_significant_bits_first() {
        let colors: Vec<[u8; 4]> = (0..5).map(|i| [i, 0, 0, 255]).collect();
        let two = Palette::from_colors(colors[..2].iter().copied()).unwrap();
        let row: Vec<u8> = [0, 1, 1, 0, 1, 1, 1, 1, 1, 0].iter().flat_map(|&i| colors[i]).collect();
        let mut out = vec![0xAA; two.row_bytes(10)];
        assert!(two.pack_row(&row, &mut out));
        assert_eq!(out, vec![0b0110_1111, 0b1000_0000]);
        let five = Palette::from_colors(colors.iter().copied()).unwrap();
        let row: Vec<u8> = [4, 3, 2].iter().flat_map(|&i| colors[i]).collect();
        let mut out = vec![0; five.row_bytes(3)];
        assert!(five.pack_row(&row, &mut out));
        assert_eq!(out, vec![0x43, 0x20]);
        assert!(!five.pack_row(&[9, 9, 9, 9, 0, 0, 0, 255, 0, 0, 0, 255], &mut out));
    }

    #[test]
    fn packed_indices_equal_packed_colours() {
        for n in [2usize, 4, 16, 17] {
            let colors: Vec<[u8; 4]> = (0..n).map(|i| [i as u8, 7, 0, 255]).collect();
            let palette = Palette::from_colors(colors.iter().copied()).unwrap();
            for width in [1usize, 7, 8, 9, 33] {
                let indices: Vec<u8> = (0..width).map(|x| ((x * 5 + 3) % n) as u8).collect();
                let rgba: Vec<u8> = indices.iter().flat_map(|&i| colors[usize::from(i)]).collect();
                let (mut a, mut b) =
                    (vec![0xAA; palette.row_bytes(width)], vec![0x55; palette.row_bytes(width)]);
                assert!(palette.pack_row(&rgba, &mut a));
                pack_indices(&indices, palette.bit_depth(), &mut b);
                assert_eq!(a, b, "{n} colours, width {width}");
            }
        }
    }
}
