//! Turns counts into colours with Datashader's `shade` semantics, from global statistics.
//!
//! Datashader's `_interpolate` (transfer_functions/__init__.py) does, for a uint32 aggregate
//! and a list colormap of `n` colours:
//!
//! 1. `mask = count == 0`; if everything is masked the image is all transparent;
//! 2. `data = count - min(unmasked counts)`;
//! 3. `data = how(data)` (linear, log1p, cube root or eq_hist), NaN where masked;
//! 4. `span = (min, max)` of the transformed unmasked values;
//! 5. per channel `np.interp(data, np.linspace(span0, span1, n), channel, left=255)`,
//!    NaN to 0, truncated to u8; alpha 255 where unmasked, 0 (and RGB 0) where masked.
//!
//! Every step depends on the pixels only through the distribution of counts, which the
//! [`CountHistogram`] holds exactly, so [`CountShader`] reproduces the same bytes for the
//! whole canvas while shading any band or tile on its own.

use std::sync::Arc;

use crate::shade::eqhist::EqHist;
use crate::shade::numpy;
use crate::shade::palette::Palette;
use crate::shade::stats::{all_zero, DENSE_LIMIT};
use crate::shade::{Color, Colormap, CountHistogram, How};

/// Maps counts to RGBA exactly as Datashader's `tf.shade(agg, cmap, how)` does on the whole
/// aggregate, then composites over a background colour.
///
/// Built once per render from the global [`CountHistogram`]; shading a pixel is a table
/// lookup for counts below 65,536.
#[derive(Clone, Debug)]
pub struct CountShader {
    /// Final colours of counts `0..DENSE_LIMIT` (count 0 is the background).
    table: Vec<[u8; 4]>,
    /// The Datashader pipeline for counts beyond the table; None when every pixel is empty.
    mapping: Option<Mapping>,
    /// The colour of empty pixels, under every shaded colour.
    background: Color,
    /// Every colour of the canvas (the background and the colour of each count the
    /// histogram holds), when there are at most 256 of them.
    palette: Option<Arc<Palette>>,
    /// The palette index of counts `0..DENSE_LIMIT` ([`NO_INDEX`] for a colour outside the
    /// palette); empty without a palette.
    index_table: Vec<u16>,
}

/// [`CountShader`]'s index table entry of a count whose colour is not in the palette.
const NO_INDEX: u16 = u16::MAX;

impl CountShader {
    /// Prepares the mapping for a canvas whose non-zero counts are described by `histogram`.
    /// Zero counts get `background` (transparent by default, as in Datashader).
    ///
    /// With an empty histogram every count gets the background (Datashader's all-masked
    /// case). A colormap with no colours is replaced by the default one. Counts that the
    /// histogram does not hold are shaded by the same curve, counts below its minimum as
    /// the minimum.
    pub fn new(histogram: &CountHistogram, how: How, cmap: &Colormap, background: Color) -> Self {
        let fallback = Colormap::default();
        let cmap = if cmap.colors().is_empty() { &fallback } else { cmap };
        let mapping = Mapping::new(histogram, how, cmap);
        let mut shader =
            CountShader { table: Vec::new(), mapping, background, palette: None, index_table: Vec::new() };
        shader.table = (0..DENSE_LIMIT).map(|count| shader.compute(count)).collect();
        let colors = std::iter::once(0).chain(histogram.iter().map(|(count, _)| count));
        shader.palette = Palette::from_colors(colors.map(|count| shader.lookup(count))).map(Arc::new);
        if let Some(palette) = &shader.palette {
            let index = |rgba: &[u8; 4]| palette.index_of(*rgba).map_or(NO_INDEX, u16::from);
            shader.index_table = shader.table.iter().map(index).collect();
        }
        shader
    }

    /// Writes the palette index of every count of `counts` into `out` (one byte each, the
    /// indices of [`CountShader::palette`]): the same pixels as [`CountShader::shade_rgba`]
    /// without building RGBA first. Returns false (`out` then unspecified) when there is no
    /// palette or a count's colour is not in it (a count the histogram does not hold).
    pub fn shade_indices(&self, counts: &[u32], out: &mut [u8]) -> bool {
        debug_assert_eq!(out.len(), counts.len());
        let Some(palette) = &self.palette else { return false };
        // Sparse canvases are mostly empty: a block of 16 empty pixels is tested with one
        // vectorised OR and given count 0's index whole.
        let empty = self.index_table.first().map_or(NO_INDEX, |&i| i);
        let mut missing = false;
        let mut blocks = counts.chunks_exact(16);
        let mut outs = out.chunks_exact_mut(16);
        for (block, out) in (&mut blocks).zip(&mut outs) {
            if all_zero(block) {
                out.fill(empty as u8);
                missing |= empty == NO_INDEX;
            } else {
                missing |= self.index_each(palette, block, out);
            }
        }
        missing |= self.index_each(palette, blocks.remainder(), outs.into_remainder());
        !missing
    }

    /// Writes the palette index of each count, one at a time; true when one is missing.
    #[inline(always)]
    fn index_each(&self, palette: &Palette, counts: &[u32], out: &mut [u8]) -> bool {
        let mut missing = false;
        for (&count, index) in counts.iter().zip(out.iter_mut()) {
            let i = match self.index_table.get(count as usize) {
                Some(&i) => i,
                None => palette.index_of(self.compute(count)).map_or(NO_INDEX, u16::from),
            };
            missing |= i == NO_INDEX;
            *index = i as u8;
        }
        missing
    }

    /// Every colour this shader gives the canvas its histogram describes (the background
    /// first), when they are at most 256: what an indexed-colour PNG needs. Counts the
    /// histogram does not hold may shade to colours outside it.
    pub fn palette(&self) -> Option<&Arc<Palette>> {
        self.palette.as_ref()
    }

    /// Where `count` falls along the colormap, from 0 (its first colour) to 1 (its last),
    /// through the same transform as the pixels (so non-linear under eq-hist and log); None
    /// when the canvas is empty or `count` is outside the counts it holds. For colorbars.
    pub fn position(&self, count: f64) -> Option<f64> {
        let mapping = self.mapping.as_ref()?;
        let (lo, hi) = (mapping.knots[0], mapping.knots[mapping.knots.len() - 1]);
        if !(count >= f64::from(mapping.offset) && count <= f64::from(mapping.max)) {
            return None;
        }
        let x = mapping.transform(count.round() as u32);
        Some(if hi > lo { ((x - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.5 })
    }

    /// The colormap sampled at `n` evenly spaced positions from its first to its last
    /// colour (linear in RGB, as the shading interpolates), for colorbars.
    pub fn colormap_samples(&self, n: usize) -> Vec<Color> {
        self.mapping
            .as_ref()
            .map_or_else(Vec::new, |m| crate::shade::colormap::sample_channels(&m.channels, n))
    }

    /// Smallest and largest non-zero count of the canvas, None when it is empty.
    pub fn count_range(&self) -> Option<(u32, u32)> {
        self.mapping.as_ref().map(|m| (m.offset, m.max))
    }

    /// The colour of one pixel with `count` points.
    pub fn shade(&self, count: u32) -> Color {
        let [r, g, b, a] = self.lookup(count);
        Color { r, g, b, a }
    }

    /// True when every pixel is opaque (an opaque background), so RGB output suffices.
    pub fn is_opaque(&self) -> bool {
        self.background.is_opaque()
    }

    /// The background colour empty pixels get.
    pub fn background(&self) -> Color {
        self.background
    }

    /// Shades a row of counts into RGBA bytes (`out.len() == 4 * counts.len()`).
    pub fn shade_rgba(&self, counts: &[u32], out: &mut [u8]) {
        debug_assert_eq!(out.len(), 4 * counts.len());
        for (&count, pixel) in counts.iter().zip(out.chunks_exact_mut(4)) {
            pixel.copy_from_slice(&self.lookup(count));
        }
    }

    /// Shades a row of counts into RGB bytes (`out.len() == 3 * counts.len()`); only
    /// meaningful when [`CountShader::is_opaque`].
    pub fn shade_rgb(&self, counts: &[u32], out: &mut [u8]) {
        debug_assert_eq!(out.len(), 3 * counts.len());
        for (&count, pixel) in counts.iter().zip(out.chunks_exact_mut(3)) {
            pixel.copy_from_slice(&self.lookup(count)[..3]);
        }
    }

    /// The RGBA bytes of `count`: from the table, or computed for large counts.
    #[inline(always)]
    fn lookup(&self, count: u32) -> [u8; 4] {
        match self.table.get(count as usize) {
            Some(rgba) => *rgba,
            None => self.compute(count),
        }
    }

    /// The RGBA bytes of `count` computed through the whole pipeline.
    #[inline(never)]
    fn compute(&self, count: u32) -> [u8; 4] {
        match (&self.mapping, count) {
            (Some(mapping), 1..) => {
                let [r, g, b] = mapping.rgb(count);
                Color::rgb(r, g, b).over(self.background).to_array()
            }
            _ => self.background.to_array(),
        }
    }
}

/// Datashader's steps 2 to 5 for one non-empty canvas.
#[derive(Clone, Debug)]
struct Mapping {
    /// The minimum non-zero count, subtracted first.
    offset: u32,
    /// The maximum count.
    max: u32,
    /// The transform.
    how: How,
    /// The equalisation curve when `how` is eq-hist.
    eq_hist: Option<EqHist>,
    /// `np.linspace(span0, span1, n)`.
    knots: Vec<f64>,
    /// The colormap's red, green and blue values as f64.
    channels: [Vec<f64>; 3],
}

impl Mapping {
    /// The mapping for `histogram`, or None when it is empty.
    fn new(histogram: &CountHistogram, how: How, cmap: &Colormap) -> Option<Mapping> {
        let (min, max) = histogram.min_max()?;
        let eq_hist = (how == How::EqHist).then(|| EqHist::new(histogram, min, max - min));
        let channel = |c: usize| cmap.colors().iter().map(|rgb| f64::from(rgb[c])).collect();
        let mut mapping = Mapping {
            offset: min,
            max,
            how,
            eq_hist,
            knots: Vec::new(),
            channels: [channel(0), channel(1), channel(2)],
        };
        let (lo, hi) = mapping.span(histogram);
        mapping.knots = numpy::linspace(lo, hi, cmap.colors().len());
        Some(mapping)
    }

    /// `(nanmin, nanmax)` of the transformed values of every recorded count.
    fn span(&self, histogram: &CountHistogram) -> (f64, f64) {
        let values = histogram.iter().map(|(count, _)| self.transform(count));
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
    }

    /// Steps 2 and 3: the position of `count` along the colormap, before the span.
    fn transform(&self, count: u32) -> f64 {
        let offset_count = count.saturating_sub(self.offset);
        match (&self.eq_hist, self.how.pointwise(offset_count)) {
            (_, Some(value)) => value,
            (Some(eq), None) => eq.apply(offset_count),
            (None, None) => f64::NAN,
        }
    }

    /// Step 5 for one count: interpolate each channel, NaN to 0, truncate to u8.
    fn rgb(&self, count: u32) -> [u8; 3] {
        let x = self.transform(count);
        let j = numpy::search(x, &self.knots);
        self.channels.each_ref().map(|fp| {
            let v = numpy::interp_at(x, j, &self.knots, fp, 255.0, fp[fp.len() - 1]);
            if v.is_nan() {
                0
            } else {
                v as u8
            }
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::LazyLock;

    use super::*;

    use crate::test_data::{CountAggregate, ShadeCase};

    /// `tests/data/datashader/shade_counts.json`: Datashader's `tf.shade` of count aggregates.
    #[derive(serde::Deserialize)]
    struct Reference {
        aggregates: Vec<CountAggregate>,
        cases: Vec<ShadeCase>,
    }

    static REFERENCE: LazyLock<Reference> =
        LazyLock::new(|| crate::test_data::load("datashader/shade_counts.json"));

    fn histogram(counts: &[u32]) -> CountHistogram {
        let mut h = CountHistogram::new();
        h.add_counts(counts);
        h
    }

    fn aggregate(name: &str) -> &'static [u32] {
        &REFERENCE.aggregates.iter().find(|a| a.name == name).unwrap().counts
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn shade_all(shader: &CountShader, counts: &[u32]) -> Vec<u8> {
        let mut out = vec![0u8; 4 * counts.len()];
        shader.shade_rgba(counts, &mut out);
        out
    }

    #[test]
    fn matches_datashader_byte_for_byte() {
        assert_eq!(REFERENCE.aggregates.len(), 6);
        assert_eq!(REFERENCE.cases.len(), 5 * 12 + 8);
        check_count_cases(&REFERENCE.aggregates, &REFERENCE.cases, |name| Colormap::by_name(name).unwrap());
    }

    /// Shades each case's counts (on a transparent background) with the colormap
    /// `colormap` makes of its spelling and compares the RGBA bytes with Datashader's.
    pub(crate) fn check_count_cases(
        aggregates: &[CountAggregate],
        cases: &[ShadeCase],
        colormap: impl Fn(&str) -> Colormap,
    ) {
        for case in cases {
            let counts = &aggregates.iter().find(|a| a.name == case.aggregate).unwrap().counts;
            let how: How = case.how.parse().unwrap();
            let shader = CountShader::new(&histogram(counts), how, &colormap(&case.cmap), Color::TRANSPARENT);
            let got = hex(&shade_all(&shader, counts));
            assert_eq!(got, case.rgba, "{} {} {}", case.aggregate, case.how, case.cmap);
        }
    }

    #[test]
    fn per_pixel_shade_agrees_with_rows() {
        let counts = aggregate("wide");
        let cmap = Colormap::by_name("fire").unwrap();
        let shader = CountShader::new(&histogram(counts), How::EqHist, &cmap, Color::TRANSPARENT);
        let row = shade_all(&shader, counts);
        for (i, &count) in counts.iter().enumerate() {
            assert_eq!(shader.shade(count).to_array(), row[4 * i..4 * i + 4]);
        }
    }

    #[test]
    fn merged_halves_shade_like_the_whole() {
        for name in ["mixed", "wide", "offset", "big"] {
            let counts = aggregate(name);
            let (top, bottom) = counts.split_at(counts.len() / 2);
            let mut merged = histogram(bottom);
            merged.merge(&histogram(top));
            for how in How::ALL {
                let cmap = Colormap::by_name("viridis").unwrap();
                let whole = CountShader::new(&histogram(counts), how, &cmap, Color::TRANSPARENT);
                let halves = CountShader::new(&merged, how, &cmap, Color::TRANSPARENT);
                // shade the halves separately, as bands are
                let mut got = shade_all(&halves, top);
                got.extend(shade_all(&halves, bottom));
                assert_eq!(got, shade_all(&whole, counts), "{name} {how}");
            }
        }
    }

    #[test]
    fn opaque_background_fills_empty_pixels_only() {
        let counts = aggregate("mixed");
        let white = Color::rgb(255, 255, 255);
        let cmap = Colormap::default();
        let h = histogram(counts);
        let plain = CountShader::new(&h, How::Log, &cmap, Color::TRANSPARENT);
        let on_white = CountShader::new(&h, How::Log, &cmap, white);
        assert!(!plain.is_opaque());
        assert!(on_white.is_opaque());
        let rgba = shade_all(&on_white, counts);
        let mut rgb = vec![0u8; 3 * counts.len()];
        on_white.shade_rgb(counts, &mut rgb);
        for (i, &count) in counts.iter().enumerate() {
            let expected = if count == 0 { white } else { plain.shade(count) };
            assert_eq!(rgba[4 * i..4 * i + 4], expected.to_array());
            assert_eq!(rgb[3 * i..3 * i + 3], expected.to_array()[..3]);
        }
    }

    #[test]
    fn empty_canvas_is_all_background() {
        let empty = CountHistogram::new();
        let cmap = Colormap::default();
        let shader = CountShader::new(&empty, How::EqHist, &cmap, Color::TRANSPARENT);
        assert_eq!(shade_all(&shader, &[0, 0, 7, 100_000]), vec![0u8; 16]);
        let navy = Color::rgb(0, 0, 128);
        let shader = CountShader::new(&empty, How::Linear, &cmap, navy);
        assert_eq!(shader.shade(3), navy);
    }

    #[test]
    fn ends_of_the_colormap_and_large_counts() {
        // linear over counts 1..=200_000: min -> first colour, max -> last colour
        let counts = [1, 2, 70_000, 200_000];
        let cmap = Colormap::default();
        let shader = CountShader::new(&histogram(&counts), How::Linear, &cmap, Color::TRANSPARENT);
        assert_eq!(shader.shade(1), Color::rgb(173, 216, 230));
        assert_eq!(shader.shade(200_000), Color::rgb(0, 0, 139));
        // count 100_001 is 100_000 of 199_999 along: red = slope * 100_000 + 173, truncated
        let expected_r = ((0.0 - 173.0) / 199_999.0 * 100_000.0 + 173.0) as u8;
        assert_eq!(expected_r, 86);
        assert_eq!(shader.shade(100_001).r, expected_r);
        // counts beyond the histogram's maximum take the last colour (interp's right value)
        assert_eq!(shader.shade(4_000_000_000), Color::rgb(0, 0, 139));
        // a count below the minimum is shaded as the minimum
        let shader = CountShader::new(&histogram(&[5, 9]), How::Log, &cmap, Color::TRANSPARENT);
        assert_eq!(shader.shade(2), shader.shade(5));
    }

    #[test]
    fn empty_colormap_falls_back_to_default() {
        let h = histogram(&[1, 2, 3]);
        let none = Colormap::from_colors("none", Vec::new());
        let shader = CountShader::new(&h, How::Linear, &none, Color::TRANSPARENT);
        let default = CountShader::new(&h, How::Linear, &Colormap::default(), Color::TRANSPARENT);
        assert_eq!(shade_all(&shader, &[0, 1, 2, 3]), shade_all(&default, &[0, 1, 2, 3]));
    }

    /// Pixels per second of `shade_rgba`, `shade_rgb` and `CountHistogram::add_counts`
    /// on `counts`, printed with `label`.
    fn measure(label: &str, counts: &[u32]) {
        let h = histogram(counts);
        let cmap = Colormap::by_name("fire").unwrap();
        let t0 = std::time::Instant::now();
        let shader = CountShader::new(&h, How::EqHist, &cmap, Color::TRANSPARENT);
        let build = t0.elapsed();
        let mut out = vec![0u8; 4 * counts.len()];
        let mut rgb = vec![0u8; 3 * counts.len()];
        let rounds = 25;
        let rate = |f: &mut dyn FnMut()| {
            let t0 = std::time::Instant::now();
            for _ in 0..rounds {
                f();
            }
            (rounds * counts.len()) as f64 / t0.elapsed().as_secs_f64() / 1e6
        };
        let rgba_rate = rate(&mut || shader.shade_rgba(std::hint::black_box(counts), &mut out));
        let rgb_rate = rate(&mut || shader.shade_rgb(std::hint::black_box(counts), &mut rgb));
        let mut h2 = CountHistogram::new();
        let hist_rate = rate(&mut || h2.add_counts(std::hint::black_box(counts)));
        println!(
            "{label}: build {build:?}; shade_rgba {rgba_rate:.0} Mpx/s; shade_rgb {rgb_rate:.0} \
             Mpx/s; add_counts {hist_rate:.0} Mpx/s"
        );
        assert!(out.iter().any(|&b| b != 0));
    }

    /// Run with `cargo test --release --lib shade::shader::tests::throughput -- --ignored
    /// --nocapture` to measure pixels per second.
    #[test]
    #[ignore]
    fn throughput() {
        let hash = |i: u32| i.wrapping_mul(2_654_435_761).rotate_right(13);
        let small: Vec<u32> = (0..4_000_000u32).map(|i| (hash(i) >> 20) % 3000).collect();
        measure("counts < 3000, 1/4000 zero", &small);
        let wide: Vec<u32> = (0..4_000_000u32)
            .map(|i| match hash(i) % 100 {
                0..=59 => 0,
                60 => 65_536 + hash(i ^ 0x55) % 1_000_000,
                _ => hash(i ^ 0xaa) % 65_536,
            })
            .collect();
        measure("60% zero, 1% > 65535, rest < 65536", &wide);
    }
}

/// A larger comparison with Datashader than the committed vectors: reads the cases that
/// `tools/gen_shade_fuzz.py` writes (random aggregates shaded by Datashader) from the file
/// named by `GIGAPLOT_SHADE_FUZZ` and reports every mismatch. Run with
/// `GIGAPLOT_SHADE_FUZZ=/tmp/fuzz.bin cargo test --lib shade::shader::fuzz -- --ignored
/// --nocapture`.
#[cfg(test)]
mod fuzz {
    use super::*;

    /// One case of the file: counts, how, colormap and Datashader's RGBA bytes.
    struct FuzzCase {
        counts: Vec<u32>,
        how: How,
        cmap: Colormap,
        rgba: Vec<u8>,
    }

    /// Reads a little-endian u32 at `*pos` and advances.
    fn read_u32(data: &[u8], pos: &mut usize) -> u32 {
        let value = u32::from_le_bytes([data[*pos], data[*pos + 1], data[*pos + 2], data[*pos + 3]]);
        *pos += 4;
        value
    }

    /// Parses the whole file: per case u32 n, u8 how, u8 cmap, n u32 counts, 4n bytes.
    fn parse(data: &[u8]) -> Vec<FuzzCase> {
        let names = ["datashader", "viridis", "fire"];
        let mut cases = Vec::new();
        let mut pos = 0;
        while pos < data.len() {
            let n = read_u32(data, &mut pos) as usize;
            let how = How::ALL[data[pos] as usize];
            let cmap = Colormap::by_name(names[data[pos + 1] as usize]).unwrap();
            pos += 2;
            let counts = (0..n).map(|_| read_u32(data, &mut pos)).collect();
            let rgba = data[pos..pos + 4 * n].to_vec();
            pos += 4 * n;
            cases.push(FuzzCase { counts, how, cmap, rgba });
        }
        cases
    }

    #[test]
    #[ignore]
    fn datashader_fuzz_file() {
        let path = std::env::var("GIGAPLOT_SHADE_FUZZ").expect("set GIGAPLOT_SHADE_FUZZ");
        let cases = parse(&std::fs::read(path).unwrap());
        let mut bad = 0;
        for (i, case) in cases.iter().enumerate() {
            let mut h = CountHistogram::new();
            h.add_counts(&case.counts);
            let shader = CountShader::new(&h, case.how, &case.cmap, Color::TRANSPARENT);
            let mut got = vec![0u8; case.rgba.len()];
            shader.shade_rgba(&case.counts, &mut got);
            let wrong: Vec<usize> = (0..case.counts.len())
                .filter(|&p| got[4 * p..4 * p + 4] != case.rgba[4 * p..4 * p + 4])
                .collect();
            if let Some(&p) = wrong.first() {
                bad += 1;
                println!(
                    "case {i} {} {}: {} pixels differ, e.g. count {}: {:?} vs Datashader {:?}",
                    case.how,
                    case.cmap.name(),
                    wrong.len(),
                    case.counts[p],
                    &got[4 * p..4 * p + 4],
                    &case.rgba[4 * p..4 * p + 4]
                );
            }
        }
        println!("{} cases, {bad} differ", cases.len());
        assert_eq!(bad, 0);
    }
}
