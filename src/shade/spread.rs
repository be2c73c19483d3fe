//! Spreading of shaded images, band by band: Datashader's `tf.spread` and `tf.dynspread`
//! on an `Image` (compositing operator `over`).
//!
//! Datashader's spread kernel visits the source pixels in row-major order; each one with a
//! non-zero alpha is stamped on every position of the mask around it: where the output is
//! still 0 (all four bytes) it is copied, otherwise composited `over` what is there, in
//! float64 (`datashader.composite.over`). So an output pixel is the fold, in row-major
//! source order, of the sources whose mask covers it, and pixels no source reaches are 0
//! (the RGB of alpha-0 input pixels is dropped). [`Spreader`] computes each output pixel by
//! that gather, which needs only the rows within `px` of it: a band of rows comes out the
//! same whatever the band split, given `px` halo rows above and below.
//!
//! `dynspread` tries `px = 1, 2, ...max_px` and stops before the first whose density
//! (`_rgb_density(img, 2 * px)`: among non-transparent pixels, the fraction with another
//! non-transparent pixel in the `(4 px + 1)`-square around them, clipped to the image)
//! exceeds the threshold. [`DensityStats`] counts those pixels band by band (with
//! `2 * max_px` halo rows) and merges, and [`DensityStats::dynspread_px`] makes Datashader's
//! choice once for the whole canvas; [`super::DensityStream`] counts the same from a
//! canvas streamed row by row.

use std::str::FromStr;

/// The shape of the spreading mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// `sqrt(dx^2 + dy^2) <= px + 0.5` (Datashader's default).
    #[default]
    Circle,
    /// The whole `(2 px + 1)`-square.
    Square,
}

impl FromStr for Shape {
    type Err = String;
    /// Accepts `circle` and `square`.
    fn from_str(text: &str) -> Result<Shape, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "circle" => Ok(Shape::Circle),
            "square" => Ok(Shape::Square),
            _ => Err(format!("unknown spread shape '{text}': expected circle or square")),
        }
    }
}

/// Whether `(dy, dx)` is in the mask of radius `px` (`_circle_mask` / `_square_mask`).
fn in_mask(shape: Shape, px: usize, dy: isize, dx: isize) -> bool {
    match shape {
        Shape::Square => true,
        Shape::Circle => (((dx * dx + dy * dy) as f64).sqrt()) <= px as f64 + 0.5,
    }
}

/// Datashader's `over(src, dst)` on straight-alpha RGBA bytes, in its float64 arithmetic.
pub fn over_ds(src: [u8; 4], dst: [u8; 4]) -> [u8; 4] {
    let scaled = |v: [u8; 4]| v.map(|c| f64::from(c) / 255.0);
    let [sr, sg, sb, sa] = scaled(src);
    let [dr, dg, db, da] = scaled(dst);
    let factor = 1.0 - sa;
    let a = sa + da * factor;
    if a == 0.0 {
        return [0; 4];
    }
    let channel = |s: f64, d: f64| (s * sa + d * da * factor) / a;
    let byte = |v: f64| ((v * 255.0) as u32).min(255) as u8;
    [byte(channel(sr, dr)), byte(channel(sg, dg)), byte(channel(sb, db)), byte(a)]
}

/// Spreads RGBA rows by `px` pixels with a mask shape, as Datashader's `tf.spread(img, px,
/// shape)` does on the whole image.
#[derive(Clone, Debug)]
pub struct Spreader {
    px: usize,
    /// Source offsets `(dy, dx)` of the mask, in row-major order.
    #[cfg_attr(not(test), allow(dead_code))]
    offsets: Vec<(isize, isize)>,
    /// For every mask row `dy` (ascending), the half-width `k` of its run `-k..=k` (both
    /// masks are symmetric and convex along rows).
    extents: Vec<(isize, usize)>,
    /// Rows are in image order (row 0 at the top), so Datashader's row-major order, which
    /// starts from the bottom row of the image, stamps the last rows first.
    image_rows: bool,
}

impl Spreader {
    /// The spreader of radius `px` (0 leaves images unchanged) and `shape`.
    pub fn new(px: usize, shape: Shape) -> Spreader {
        let e = px as isize;
        let mut offsets = Vec::new();
        for dy in -e..=e {
            for dx in -e..=e {
                if in_mask(shape, px, dy, dx) {
                    offsets.push((dy, dx));
                }
            }
        }
        let extents = (-e..=e)
            .filter_map(|dy| {
                let k = offsets.iter().filter(|o| o.0 == dy).map(|o| o.1).max()?;
                Some((dy, k as usize))
            })
            .collect();
        Spreader { px, offsets, extents, image_rows: false }
    }

    /// The same spread for rows in image order (row 0 at the top, as the render's bands):
    /// Datashader's aggregate (and so its spread) has row 0 at the bottom, and where
    /// spread pixels overlap the order of compositing shows.
    pub fn for_image_rows(mut self) -> Spreader {
        if !self.image_rows {
            self.extents.reverse();
            self.image_rows = true;
        }
        self
    }

    /// Number of rows above and below an output row that it depends on (`px`).
    pub fn halo(&self) -> usize {
        self.px
    }

    /// Spreads one output row. `rows` are consecutive source rows of RGBA bytes (all the
    /// same width), holding every image row within [`Spreader::halo`] of the output row
    /// that exists (fewer at the top and bottom of the image); `center` is the output
    /// row's index in `rows`; `out` gets the row's RGBA bytes.
    pub fn spread_row(&self, rows: &[&[u8]], center: usize, out: &mut [u8]) {
        let width = out.len() / 4;
        if self.px == 0 {
            out.copy_from_slice(&rows[center][..4 * width]);
            return;
        }
        out.fill(0);
        // stamping the sources in row-major order of Datashader's array composites them in
        // its order (extents are reversed for image rows)
        for &(dy, k) in &self.extents {
            let Some(row) = center.checked_add_signed(dy).and_then(|y| rows.get(y)) else {
                continue;
            };
            for (sx, src) in row[..4 * width].chunks_exact(4).enumerate() {
                if src[3] == 0 {
                    continue;
                }
                let src = [src[0], src[1], src[2], src[3]];
                let lo = sx.saturating_sub(k);
                let hi = (sx + k + 1).min(width);
                for dst in out[4 * lo..4 * hi].chunks_exact_mut(4) {
                    let acc = [dst[0], dst[1], dst[2], dst[3]];
                    let result = if acc == [0; 4] { src } else { over_ds(src, acc) };
                    dst.copy_from_slice(&result);
                }
            }
        }
    }

    /// Spreads a whole `width`-pixel-wide RGBA image held in one buffer (for tests and
    /// small images).
    pub fn spread_image(&self, rgba: &[u8], width: usize) -> Vec<u8> {
        let stride = 4 * width;
        let rows: Vec<&[u8]> = rgba.chunks_exact(stride.max(1)).collect();
        let mut out = vec![0u8; rgba.len()];
        for (y, dst) in out.chunks_exact_mut(stride.max(1)).enumerate() {
            let lo = y.saturating_sub(self.px);
            let hi = (y + self.px + 1).min(rows.len());
            self.spread_row(&rows[lo..hi], y - lo, dst);
        }
        out
    }
}

/// The counts behind Datashader's `dynspread` density, for every `px` in `1..=max_px`,
/// gathered band by band and merged.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DensityStats {
    /// Number of non-transparent pixels.
    lit: u64,
    /// For px = 1..=max_px: lit pixels with another lit pixel within `2 px` (square).
    with_neighbours: Vec<u64>,
}

impl DensityStats {
    /// Nothing counted yet, for `dynspread(max_px)`.
    pub fn new(max_px: usize) -> DensityStats {
        DensityStats { lit: 0, with_neighbours: vec![0; max_px] }
    }

    /// Statistics from counts made elsewhere ([`super::DensityStream`]).
    pub(crate) fn from_counts(lit: u64, with_neighbours: Vec<u64>) -> DensityStats {
        DensityStats { lit, with_neighbours }
    }

    /// Rows needed above and below a band: `2 * max_px`.
    pub fn halo(&self) -> usize {
        2 * self.with_neighbours.len()
    }

    /// Counts the band `rows[first..first + count]` of RGBA rows; `rows` also holds every
    /// image row within [`DensityStats::halo`] of the band that exists.
    pub fn add_rows(&mut self, rows: &[&[u8]], first: usize, count: usize) {
        let Some(width) = rows.first().map(|r| r.len() / 4) else {
            return;
        };
        let lit = |y: usize, x: usize| u32::from(rows[y][4 * x + 3] != 0);
        for (k, with) in self.with_neighbours.iter_mut().enumerate() {
            let r = 2 * (k + 1);
            // column sums of lit pixels over rows y - r ..= y + r, updated as y moves
            let mut cols = vec![0u32; width];
            let mut prefix = vec![0u32; width + 1];
            for y in first.saturating_sub(r)..(first + r).min(rows.len()) {
                (0..width).for_each(|x| cols[x] += lit(y, x));
            }
            for y in first..first + count {
                if y + r < rows.len() {
                    (0..width).for_each(|x| cols[x] += lit(y + r, x));
                }
                if y > first && y > r {
                    (0..width).for_each(|x| cols[x] -= lit(y - r - 1, x));
                }
                for x in 0..width {
                    prefix[x + 1] = prefix[x] + cols[x];
                }
                for x in (0..width).filter(|&x| lit(y, x) == 1) {
                    let n = prefix[(x + r + 1).min(width)] - prefix[x.saturating_sub(r)];
                    *with += u64::from(n > 1);
                }
            }
        }
        for y in first..first + count {
            self.lit += (0..width).map(|x| u64::from(lit(y, x))).sum::<u64>();
        }
    }

    /// Adds another band's counts (same `max_px`) into these.
    pub fn merge(&mut self, other: &DensityStats) {
        self.lit += other.lit;
        for (mine, theirs) in self.with_neighbours.iter_mut().zip(&other.with_neighbours) {
            *mine += theirs;
        }
    }

    /// Datashader's density at `px` (`_rgb_density(img, 2 * px)`; infinite with no lit
    /// pixel).
    pub fn density(&self, px: usize) -> f64 {
        if self.lit == 0 {
            return f64::INFINITY;
        }
        self.with_neighbours[px - 1] as f64 / self.lit as f64
    }

    /// The `px` Datashader's `dynspread(img, threshold, max_px)` spreads the whole image by
    /// (0: no spreading).
    pub fn dynspread_px(&self, threshold: f64) -> usize {
        let mut chosen = 0;
        for px in 1..=self.with_neighbours.len() {
            chosen = px;
            if self.density(px) > threshold {
                chosen -= 1;
                break;
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;
    use crate::test_data::unhex;

    /// `tests/data/datashader/spread_dynspread.json`: Datashader's `tf.spread` and
    /// `tf.dynspread` of RGBA images.
    #[derive(serde::Deserialize)]
    struct Reference {
        images: Vec<Image>,
        spread_cases: Vec<SpreadCase>,
        density_images: Vec<DensityImage>,
        densities: Vec<Densities>,
        dynspread_cases: Vec<DynCase>,
    }

    /// An RGBA image: name, width, RGBA hex.
    #[derive(serde::Deserialize)]
    struct Image {
        name: String,
        width: usize,
        rgba: String,
    }

    /// One `tf.spread` call: image, px, shape, RGBA hex.
    #[derive(serde::Deserialize)]
    struct SpreadCase {
        image: String,
        px: usize,
        shape: String,
        rgba: String,
    }

    /// A larger sparse image: lit pixels (y, x, alpha); RGB is (3x, 5y, x + y) mod 256.
    #[derive(serde::Deserialize)]
    struct DensityImage {
        name: String,
        height: usize,
        width: usize,
        lit: Vec<(u16, u16, u8)>,
    }

    /// `_rgb_density(img, 2 * px)` of an image for px = 1..=4.
    #[derive(serde::Deserialize)]
    struct Densities {
        image: String,
        #[serde(deserialize_with = "crate::test_data::floats")]
        densities: Vec<f64>,
    }

    /// One `tf.dynspread` call: image, threshold, max_px, shape, and the px whose
    /// `tf.spread` output equals the dynspread output (the smallest if several do).
    #[derive(serde::Deserialize)]
    struct DynCase {
        image: String,
        threshold: f64,
        max_px: usize,
        shape: String,
        px: usize,
    }

    static REFERENCE: LazyLock<Reference> =
        LazyLock::new(|| crate::test_data::load("datashader/spread_dynspread.json"));

    /// Every reference image as (name, width, RGBA bytes).
    fn images() -> Vec<(&'static str, usize, Vec<u8>)> {
        let mut all: Vec<_> =
            REFERENCE.images.iter().map(|i| (i.name.as_str(), i.width, unhex(&i.rgba))).collect();
        for DensityImage { name, height: h, width: w, lit } in &REFERENCE.density_images {
            let (h, w) = (*h, *w);
            let mut rgba = vec![0u8; 4 * w * h];
            for &(y, x, a) in lit {
                let (y, x) = (usize::from(y), usize::from(x));
                let p = 4 * (y * w + x);
                rgba[p..p + 4].copy_from_slice(&[
                    (3 * x % 256) as u8,
                    (5 * y % 256) as u8,
                    ((x + y) % 256) as u8,
                    a,
                ]);
            }
            all.push((name.as_str(), w, rgba));
        }
        all
    }

    /// Spreads `rgba` band by band, `band` rows at a time, from windows with halo rows.
    fn spread_in_bands(spreader: &Spreader, rgba: &[u8], width: usize, band: usize) -> Vec<u8> {
        let rows: Vec<&[u8]> = rgba.chunks_exact(4 * width).collect();
        let mut out = Vec::new();
        for y0 in (0..rows.len()).step_by(band) {
            let y1 = (y0 + band).min(rows.len());
            let lo = y0.saturating_sub(spreader.halo());
            let hi = (y1 + spreader.halo()).min(rows.len());
            for y in y0..y1 {
                let mut row = vec![0u8; 4 * width];
                spreader.spread_row(&rows[lo..hi], y - lo, &mut row);
                out.extend(row);
            }
        }
        out
    }

    /// Density statistics of `rgba` gathered in bands of `band` rows with halos.
    fn density_in_bands(max_px: usize, rgba: &[u8], width: usize, band: usize) -> DensityStats {
        let rows: Vec<&[u8]> = rgba.chunks_exact(4 * width).collect();
        let mut stats = DensityStats::new(max_px);
        for y0 in (0..rows.len()).step_by(band) {
            let mut s = DensityStats::new(max_px);
            let y1 = (y0 + band).min(rows.len());
            let lo = y0.saturating_sub(s.halo());
            let hi = (y1 + s.halo()).min(rows.len());
            s.add_rows(&rows[lo..hi], y0 - lo, y1 - y0);
            stats.merge(&s);
        }
        stats
    }

    #[test]
    fn masks_match_datashader() {
        // [int(_circle_mask(r).sum()) for r in (1, 2, 3)] == [9, 21, 37]
        assert_eq!(Spreader::new(1, Shape::Circle).offsets.len(), 9);
        assert_eq!(Spreader::new(2, Shape::Circle).offsets.len(), 21);
        assert_eq!(Spreader::new(3, Shape::Circle).offsets.len(), 37);
        assert_eq!(Spreader::new(2, Shape::Square).offsets.len(), 25);
        assert_eq!("Square".parse::<Shape>(), Ok(Shape::Square));
        assert!("star".parse::<Shape>().unwrap_err().contains("'star'"));
    }

    #[test]
    fn spread_matches_datashader_byte_for_byte() {
        assert_eq!(REFERENCE.images.len(), 4);
        assert_eq!(REFERENCE.spread_cases.len(), 4 * 3 * 2);
        let all = images();
        for SpreadCase { image: name, px, shape, rgba } in &REFERENCE.spread_cases {
            let px = *px;
            let (_, width, image) = all.iter().find(|i| i.0 == name).unwrap();
            let spreader = Spreader::new(px, shape.parse().unwrap());
            let expected = unhex(rgba);
            assert_eq!(spreader.spread_image(image, *width), expected, "{name} {px} {shape}");
            for band in 1..=5 {
                assert_eq!(
                    spread_in_bands(&spreader, image, *width, band),
                    expected,
                    "{name} {px} {shape} {band}"
                );
            }
        }
    }

    #[test]
    fn image_rows_spread_the_flipped_image() {
        let all = images();
        let flip = |rgba: &[u8], width: usize| -> Vec<u8> {
            rgba.chunks_exact(4 * width).rev().flatten().copied().collect()
        };
        for SpreadCase { image: name, px, shape, rgba } in &REFERENCE.spread_cases {
            let (_, width, image) = all.iter().find(|i| i.0 == name).unwrap();
            let spreader = Spreader::new(*px, shape.parse().unwrap()).for_image_rows();
            let expected = flip(&unhex(rgba), *width);
            let flipped = flip(image, *width);
            assert_eq!(spreader.spread_image(&flipped, *width), expected, "{name} {px} {shape}");
            assert_eq!(spread_in_bands(&spreader, &flipped, *width, 3), expected, "{name} {px} {shape}");
        }
    }

    #[test]
    fn zero_px_is_identity() {
        let (_, width, image) = &images()[0];
        assert_eq!(&Spreader::new(0, Shape::Circle).spread_image(image, *width), image);
    }

    #[test]
    fn over_matches_datashader_operator() {
        // datashader.composite.over on the same colours, as uint32
        assert_eq!(over_ds([0, 0, 255, 128], [255, 0, 0, 255]), [127, 0, 128, 255]);
        assert_eq!(over_ds([1, 2, 3, 200], [9, 9, 9, 255]), [2, 3, 4, 255]);
        assert_eq!(over_ds([1, 2, 3, 1], [0, 0, 0, 0]), [1, 2, 3, 1]);
        assert_eq!(over_ds([0, 0, 0, 0], [0, 0, 0, 0]), [0, 0, 0, 0]);
    }

    #[test]
    fn densities_match_datashader_for_any_band_split() {
        let all = images();
        assert_eq!(REFERENCE.densities.len(), 4 + 5);
        for Densities { image: name, densities } in &REFERENCE.densities {
            let bits: Vec<u64> = densities.iter().map(|d| d.to_bits()).collect();
            let (_, width, image) = all.iter().find(|i| i.0 == name).unwrap();
            for band in [1, 2, 3, 7, 100] {
                let stats = density_in_bands(4, image, *width, band);
                let got: Vec<u64> = (1..=4).map(|px| stats.density(px).to_bits()).collect();
                assert_eq!(got, bits, "{name} band {band}");
            }
        }
    }

    #[test]
    fn dynspread_chooses_datashaders_px() {
        let all = images();
        assert_eq!(REFERENCE.dynspread_cases.len(), (4 + 5) * 5 * 4 * 2);
        for DynCase { image: name, threshold, max_px, shape, px: chosen } in &REFERENCE.dynspread_cases {
            let (threshold, max_px, chosen) = (*threshold, *max_px, *chosen);
            let (_, width, image) = all.iter().find(|i| i.0 == name).unwrap();
            for band in [2, 5, 100] {
                let px = density_in_bands(max_px, image, *width, band).dynspread_px(threshold);
                let shape: Shape = shape.parse().unwrap();
                // several px may give the same image; compare the images
                let ours = Spreader::new(px, shape).spread_image(image, *width);
                let theirs = Spreader::new(chosen, shape).spread_image(image, *width);
                assert!(
                    ours == theirs,
                    "{name} {threshold} {max_px} {shape:?} band {band}: {px} vs {chosen}"
                );
            }
        }
    }

    #[test]
    fn empty_image_never_spreads() {
        let stats = density_in_bands(3, &[0u8; 4 * 20], 5, 2);
        assert_eq!(stats.density(1), f64::INFINITY);
        assert_eq!(stats.dynspread_px(1.0), 0);
        assert_eq!(DensityStats::new(0).dynspread_px(0.5), 0);
    }

    /// Run with `cargo test --release --lib shade::spread::tests::throughput -- --ignored
    /// --nocapture` to measure pixels per second.
    #[test]
    #[ignore]
    fn throughput() {
        let (w, h) = (2000usize, 500usize);
        let hash = |i: usize| (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_right(29);
        for lit in [100u64, 10, 2] {
            let rgba: Vec<u8> = (0..w * h)
                .flat_map(|i| if hash(i) % lit == 0 { [hash(i) as u8, 50, 90, 200] } else { [0; 4] })
                .collect();
            for px in [1, 3] {
                let s = Spreader::new(px, Shape::Circle);
                let t0 = std::time::Instant::now();
                let out = s.spread_image(std::hint::black_box(&rgba), w);
                let rate = (w * h) as f64 / t0.elapsed().as_secs_f64() / 1e6;
                let t0 = std::time::Instant::now();
                let d = density_in_bands(3, &rgba, w, 64);
                let drate = (w * h) as f64 / t0.elapsed().as_secs_f64() / 1e6;
                println!(
                    "1/{lit} lit, px {px}: spread {rate:.0} Mpx/s; density(max_px 3) {drate:.0} Mpx/s {}",
                    out.len() + d.halo()
                );
            }
        }
    }
}
