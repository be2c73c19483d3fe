//! Shading of categorical count aggregates (`count_cat`): every pixel holds one count per
//! category, and its colour mixes the category colours, as Datashader's `_colorize` does.
//!
//! For a `(H, W, C)` uint32 aggregate and a colour per category, Datashader computes:
//!
//! 1. `baseline = nanmin` over every count of every category and pixel (usually 0), and the
//!    weights `w = (count - baseline).astype(float32)`;
//! 2. `rgb = (w @ colours) / sum(w)` in float32, truncated to u8; where `sum(w) == 0` the
//!    plain mean of all the category colours (also for empty pixels, whose alpha is 0);
//! 3. alpha from the total count of the pixel (`_interpolate_alpha`): empty pixels (total
//!    0) are masked, `offset` = the smallest non-zero total, `how(total - offset)` spanned to
//!    `[min_alpha, alpha]` with `np.interp(left=0, right=255)`, truncated to u8.
//!
//! Quirk kept for exactness: when some pixel is empty, the totals become float64 with NaN,
//! so eq-hist takes numpy's 65,536-bin float histogram path even for small totals; when no
//! pixel is empty they stay integers and take the exact per-value path.
//!
//! Everything depends on the aggregate only through the baseline, whether some pixel is
//! empty and the distribution of totals, which [`CategoryStats`] gathers band by band.
//!
//! A sparse plot has few distinct pixels: counts of 1 to 30 in four categories, mostly one
//! category a pixel, make a hundred or so colours. So the statistics also take a census of
//! the distinct count vectors while they are at most
//! [`CENSUS_LIMIT`](crate::shade::census::CENSUS_LIMIT) (a [`Census`]); the
//! shader then knows every colour of the image and gives the PNG a palette when they are
//! at most 256 ([`CategoryShader::palette`]).
//!
//! Exactness: the float32 sums are computed exactly (in integers) and rounded once, which is
//! what numpy's summation and BLAS give whenever the sums are below 2^24, i.e. for totals
//! up to 65,793 points in a pixel; above that Datashader's last bits depend on its BLAS
//! summation order. Totals above `u32::MAX` are clamped to it.

use std::sync::Arc;

use crate::shade::census::Census;
use crate::shade::eqhist::EqHist;
use crate::shade::float::{pointwise, EqCurve, FloatHistogram, FloatStats};
use crate::shade::numpy;
use crate::shade::stats::{all_zero, DENSE_LIMIT};
use crate::shade::{Color, CountHistogram, How, Palette};

/// Datashader's default `color_key`, `datashader.colors.Sets1to3`: ColorBrewer's Set1,
/// then parts of Set2 and Set3, 22 colours that stay distinguishable side by side.
pub const SETS1TO3: [Color; 22] = [
    Color::rgb(0xe4, 0x1a, 0x1c),
    Color::rgb(0x37, 0x7e, 0xb8),
    Color::rgb(0x4d, 0xaf, 0x4a),
    Color::rgb(0x98, 0x4e, 0xa3),
    Color::rgb(0xff, 0x7f, 0x00),
    Color::rgb(0xff, 0xff, 0x33),
    Color::rgb(0xa6, 0x56, 0x28),
    Color::rgb(0xf7, 0x81, 0xbf),
    Color::rgb(0x99, 0x99, 0x99),
    Color::rgb(0x66, 0xc2, 0xa5),
    Color::rgb(0xfc, 0x8d, 0x62),
    Color::rgb(0x8d, 0xa0, 0xcb),
    Color::rgb(0xa6, 0xd8, 0x54),
    Color::rgb(0xff, 0xd9, 0x2f),
    Color::rgb(0xe5, 0xc4, 0x94),
    Color::rgb(0xff, 0xff, 0xb3),
    Color::rgb(0xfb, 0x80, 0x72),
    Color::rgb(0xfd, 0xb4, 0x62),
    Color::rgb(0xfc, 0xcd, 0xe5),
    Color::rgb(0xd9, 0xd9, 0xd9),
    Color::rgb(0xcc, 0xeb, 0xc5),
    Color::rgb(0xff, 0xed, 0x6f),
];

/// The default colours of `categories` categories: `SETS1TO3` in order (Datashader's
/// default), repeated from the start beyond 22 categories (where Datashader refuses).
pub fn default_color_key(categories: usize) -> Vec<Color> {
    SETS1TO3.iter().copied().cycle().take(categories).collect()
}

/// Parses a `--color-key` value: comma-separated colours as [`Color::parse`] reads them
/// (names, `#rgb`, `#rrggbb`, `#rrggbbaa`; the alpha of a colour is ignored, as Datashader
/// uses only RGB). The error names the colour it could not read (the CLI adds the flag).
pub fn parse_color_key(text: &str) -> Result<Vec<Color>, String> {
    if text.trim().is_empty() {
        return Err("expected comma-separated colours, got nothing".to_string());
    }
    text.split(',')
        .map(|part| {
            let c = Color::parse(part)?;
            Ok(Color::rgb(c.r, c.g, c.b))
        })
        .collect()
}

/// Global statistics of a categorical aggregate, gathered band by band and merged.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CategoryStats {
    /// Number of categories per pixel.
    categories: usize,
    /// Distribution of the non-zero per-pixel totals (clamped to `u32::MAX`).
    totals: CountHistogram,
    /// Number of pixels whose total is 0.
    empty: u64,
    /// Smallest count over every category of every pixel (None before any pixel).
    min_count: Option<u32>,
    /// The distinct count vectors of the non-empty pixels, while they are few.
    #[serde(default)]
    census: Census,
}

impl CategoryStats {
    /// No pixels yet, for `categories` categories.
    pub fn new(categories: usize) -> Self {
        CategoryStats {
            categories,
            totals: CountHistogram::new(),
            empty: 0,
            min_count: None,
            census: Census::new(),
        }
    }

    /// No pixels yet, and no census: for the parts of a canvas whose census has already
    /// given up (merging gives up anyway), so they skip its work.
    pub(crate) fn without_census(categories: usize) -> Self {
        CategoryStats { census: Census::given_up(), ..CategoryStats::new(categories) }
    }

    /// Records the pixels of `counts`, C-interleaved (`counts[C * x + c]` is category `c`
    /// of pixel `x`; `counts.len()` a multiple of C).
    pub fn add_counts(&mut self, counts: &[u32]) {
        if self.census.is_open() {
            self.add_counts_and_census::<true>(counts);
        } else {
            self.add_counts_and_census::<false>(counts);
        }
    }

    /// [`CategoryStats::add_counts`], taking the census when `CENSUS` (compiled apart, so
    /// the pass after the census gave up carries none of its tests).
    #[inline(always)]
    fn add_counts_and_census<const CENSUS: bool>(&mut self, counts: &[u32]) {
        let c = self.categories.max(1);
        let mut min = self.min_count.unwrap_or(u32::MAX);
        // Empty pixels come in runs on most plots: 16 pixels are tested at once (one
        // vectorised OR of their counts) and counted whole. One pixel at a time, the loads
        // of a band too large for the caches were the pass's bottleneck, and its speed swung
        // by a third with the compiler's choices elsewhere (2.3 or 3.3 s for the statistics
        // of 10^8 points in four categories at 20000^2).
        let mut blocks = counts.chunks_exact(16 * c);
        for block in &mut blocks {
            if all_zero(block) {
                self.empty += 16;
                min = 0;
            } else {
                min = self.add_each::<CENSUS>(block, c, min);
            }
        }
        min = self.add_each::<CENSUS>(blocks.remainder(), c, min);
        if counts.len() >= c {
            self.min_count = Some(min);
        }
    }

    /// [`CategoryStats::add_counts`] one pixel at a time (and into the census when
    /// `CENSUS`); returns the smallest count seen, `min` included.
    #[inline(always)]
    fn add_each<const CENSUS: bool>(&mut self, counts: &[u32], c: usize, mut min: u32) -> u32 {
        // Neighbours often hold the same vector: the census skips a repeat.
        let mut last: &[u32] = &[];
        for pixel in counts.chunks_exact(c) {
            let total = pixel_total(pixel);
            min = pixel.iter().fold(min, |m, &v| m.min(v));
            if total == 0 {
                self.empty += 1;
            } else {
                self.totals.add_count_n(total, 1);
                if CENSUS && pixel != last {
                    self.census.add(pixel);
                    last = pixel;
                }
            }
        }
        min
    }

    /// Adds another band's statistics (same number of categories) into these.
    pub fn merge(&mut self, other: &CategoryStats) {
        self.totals.merge(&other.totals);
        self.empty += other.empty;
        self.min_count = match (self.min_count, other.min_count) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.census.merge(&other.census);
    }

    /// The distinct count vectors of the non-empty pixels, while they are few.
    pub(crate) fn census(&self) -> &Census {
        &self.census
    }

    /// Number of categories.
    pub fn categories(&self) -> usize {
        self.categories
    }

    /// The distribution of non-zero totals.
    pub fn totals(&self) -> &CountHistogram {
        &self.totals
    }

    /// Number of empty pixels (total 0).
    pub fn empty_pixels(&self) -> u64 {
        self.empty
    }

    /// Datashader's `color_baseline=None`: the smallest count of any category anywhere.
    pub fn baseline(&self) -> u32 {
        self.min_count.unwrap_or(0)
    }
}

/// Sum of a pixel's category counts, clamped to `u32::MAX`.
fn pixel_total(pixel: &[u32]) -> u32 {
    let sum: u64 = pixel.iter().map(|&v| u64::from(v)).sum();
    sum.min(u64::from(u32::MAX)) as u32
}

/// Colours categorical pixels exactly as Datashader's `tf.shade(agg, color_key, how, alpha,
/// min_alpha)` does on the whole 3-D aggregate, then composites over a background.
#[derive(Clone, Debug)]
pub struct CategoryShader {
    /// Colour of each category.
    colors: Vec<[u32; 3]>,
    /// `baseline` subtracted from every count.
    baseline: u32,
    /// RGB where every weight is zero: the plain mean of the colours.
    mean_rgb: [u8; 3],
    /// Alpha of totals below [`DENSE_LIMIT`].
    alpha_table: Vec<u8>,
    /// The alpha pipeline for larger totals.
    alpha: AlphaMapping,
    /// Colour under every pixel; a fully transparent one keeps Datashader's exact bytes.
    background: Color,
    /// The colour of an empty pixel (all counts 0), the same everywhere.
    empty: [u8; 4],
    /// Every colour of the image, when the census knows them and they are at most 256.
    palette: Option<Arc<Palette>>,
}

impl CategoryShader {
    /// Prepares the shading of a canvas described by `stats`, with one colour per category
    /// (`color_key` longer than needed is cut, shorter is completed from the default key),
    /// `how` for the alpha channel, `alpha` the largest alpha (Datashader's 255) and
    /// `min_alpha` the smallest of a non-empty pixel (Datashader's 40).
    ///
    /// With a `background` whose alpha is 0 the output is Datashader's bytes (including
    /// the mean colour it leaves in the RGB of empty pixels); otherwise every pixel is
    /// composited over `background`.
    pub fn new(
        color_key: &[Color],
        how: How,
        alpha: u8,
        min_alpha: u8,
        stats: &CategoryStats,
        background: Color,
    ) -> CategoryShader {
        let n = stats.categories().max(1);
        let mut key: Vec<Color> = color_key.iter().copied().take(n).collect();
        key.extend(default_color_key(n).into_iter().skip(key.len()));
        let colors: Vec<[u32; 3]> = key.iter().map(|c| [c.r, c.g, c.b].map(u32::from)).collect();
        let mean_rgb = mean_color(&colors);
        let alpha = AlphaMapping::new(stats, how, alpha, min_alpha);
        let alpha_table = (0..DENSE_LIMIT).map(|t| alpha.alpha(t)).collect();
        let mut shader = CategoryShader {
            colors,
            baseline: stats.baseline(),
            mean_rgb,
            alpha_table,
            alpha,
            background,
            empty: [0; 4],
            palette: None,
        };
        shader.empty = shader.shade_pixel(&vec![0; n]).to_array();
        // (A statistics file's vectors of another length describe another canvas: no palette.)
        let vectors = stats.census().vectors().filter(|all| all.iter().all(|v| v.len() == n));
        shader.palette = vectors.and_then(|vectors| {
            // The empty pixels' colour first, then each vector's, in the census's order.
            let colors = vectors.iter().map(|pixel| shader.shade_pixel(pixel).to_array());
            Palette::from_colors(std::iter::once(shader.empty).chain(colors)).map(Arc::new)
        });
        shader
    }

    /// Every colour this shader gives the canvas its statistics describe (the empty
    /// pixels' first), when the census of its count vectors did not give up and they are at
    /// most 256: what an indexed-colour PNG needs.
    pub fn palette(&self) -> Option<&Arc<Palette>> {
        self.palette.as_ref()
    }

    /// Number of categories a pixel has.
    #[cfg(test)]
    pub fn categories(&self) -> usize {
        self.colors.len()
    }

    /// True when every pixel is opaque (an opaque background), so RGB output suffices.
    #[cfg(test)]
    pub fn is_opaque(&self) -> bool {
        self.background.is_opaque()
    }

    /// The alpha of a pixel whose counts add up to `total` (before any background).
    pub(crate) fn alpha_of(&self, total: u32) -> u8 {
        match self.alpha_table.get(total as usize) {
            Some(&a) => a,
            None => self.alpha.alpha(total),
        }
    }

    /// The colour of each category; a pixel's colour is a weighted mean of them.
    pub(crate) fn category_colors(&self) -> Vec<[u8; 3]> {
        self.colors.iter().map(|c| c.map(|v| v.min(255) as u8)).collect()
    }

    /// The colour of one pixel from its category counts (`counts.len()` categories).
    pub fn shade_pixel(&self, counts: &[u32]) -> Color {
        let [r, g, b] = self.rgb(counts);
        let a = self.alpha_of(pixel_total(counts));
        let raw = Color { r, g, b, a };
        if self.background.a == 0 {
            raw
        } else {
            raw.over(self.background)
        }
    }

    /// Shades a row of C-interleaved counts into RGBA bytes (`out.len() == 4 * pixels`).
    pub fn shade_rgba(&self, counts: &[u32], out: &mut [u8]) {
        debug_assert_eq!(out.len() * self.colors.len(), 4 * counts.len());
        self.shade_into::<4>(counts, out);
    }

    /// Shades a row of C-interleaved counts into RGB bytes (`out.len() == 3 * pixels`);
    /// only meaningful when [`CategoryShader::is_opaque`].
    pub fn shade_rgb(&self, counts: &[u32], out: &mut [u8]) {
        debug_assert_eq!(out.len() * self.colors.len(), 3 * counts.len());
        self.shade_into::<3>(counts, out);
    }

    /// Shades counts into `N` bytes a pixel (the first `N` of RGBA). Empty pixels, most of
    /// a large canvas, come in runs: 16 are tested at once (one vectorised OR of their
    /// counts) and given the empty colour whole, which the mix of a pixel's colours (float
    /// arithmetic per pixel) would give each of them.
    fn shade_into<const N: usize>(&self, counts: &[u32], out: &mut [u8]) {
        let c = self.colors.len();
        let mut blocks = counts.chunks_exact(16 * c);
        let mut outs = out.chunks_exact_mut(16 * N);
        for (block, out) in (&mut blocks).zip(&mut outs) {
            if all_zero(block) {
                out.chunks_exact_mut(N).for_each(|o| o.copy_from_slice(&self.empty[..N]));
            } else {
                for (pixel, o) in block.chunks_exact(c).zip(out.chunks_exact_mut(N)) {
                    o.copy_from_slice(&self.shade_pixel(pixel).to_array()[..N]);
                }
            }
        }
        for (pixel, o) in blocks.remainder().chunks_exact(c).zip(outs.into_remainder().chunks_exact_mut(N)) {
            o.copy_from_slice(&self.shade_pixel(pixel).to_array()[..N]);
        }
    }

    /// Step 2: the weighted mean colour, in Datashader's float32 arithmetic.
    fn rgb(&self, counts: &[u32]) -> [u8; 3] {
        let mut total = 0u64;
        let mut sums = [0u64; 3];
        for (&count, color) in counts.iter().zip(&self.colors) {
            // (count - baseline).astype(float32): exact below 2^24, rounded above
            let w = count.saturating_sub(self.baseline);
            let w = if w < 1 << 24 { u64::from(w) } else { (w as f32) as u64 };
            total += w;
            for k in 0..3 {
                sums[k] += w * u64::from(color[k]);
            }
        }
        if total == 0 {
            return self.mean_rgb;
        }
        let total = total as f32;
        sums.map(|s| (s as f32 / total) as u8)
    }
}

/// `((ones @ RGB) / C).astype(uint8)` in float32: the mean colour of all categories.
fn mean_color(colors: &[[u32; 3]]) -> [u8; 3] {
    let n = colors.len() as f32;
    [0, 1, 2].map(|k| (colors.iter().map(|c| c[k]).sum::<u32>() as f32 / n) as u8)
}

/// Datashader's `_interpolate_alpha` for one canvas, as a function of a pixel's total.
#[derive(Clone, Debug)]
struct AlphaMapping {
    /// Smallest non-zero total (None: every pixel is empty, alpha 0 everywhere).
    offset: Option<u32>,
    /// Whether some pixel is empty (totals become float64 with NaN).
    has_empty: bool,
    how: How,
    /// eq-hist over float bins (when some pixel is empty).
    float_eq: Option<FloatEqHist>,
    /// eq-hist over integers (when no pixel is empty).
    int_eq: Option<EqHist>,
    /// `norm_span`.
    span: [f64; 2],
    /// `[min_alpha, alpha]` as float64.
    range: [f64; 2],
}

/// The float eq-hist of totals: a [`FloatHistogram`] with its stats.
#[derive(Clone, Debug)]
struct FloatEqHist {
    curve: EqCurve,
}

impl AlphaMapping {
    /// The alpha mapping for `stats`.
    fn new(stats: &CategoryStats, how: How, alpha: u8, min_alpha: u8) -> AlphaMapping {
        let totals = stats.totals();
        let has_empty = stats.empty_pixels() > 0;
        let range = [f64::from(min_alpha), f64::from(alpha)];
        let mut mapping = AlphaMapping {
            offset: None,
            has_empty,
            how,
            float_eq: None,
            int_eq: None,
            span: [f64::NAN; 2],
            range,
        };
        let Some((min, max)) = totals.min_max() else {
            return mapping;
        };
        mapping.offset = Some(min);
        if how == How::EqHist {
            if has_empty {
                mapping.float_eq = Some(FloatEqHist::new(totals, min, max));
            } else {
                mapping.int_eq = Some(EqHist::new(totals, min, max - min));
            }
        }
        let scaled = totals.iter().map(|(t, _)| mapping.scaled(t));
        mapping.span = scaled.fold([f64::INFINITY, f64::NEG_INFINITY], |[lo, hi], v| [lo.min(v), hi.max(v)]);
        mapping
    }

    /// `a_scaled`: how(total - offset), NaN for masked (empty) pixels.
    fn scaled(&self, total: u32) -> f64 {
        let Some(offset) = self.offset else {
            return f64::NAN;
        };
        if total == 0 && self.has_empty {
            return f64::NAN;
        }
        let d = total.saturating_sub(offset);
        match (&self.float_eq, &self.int_eq) {
            (Some(eq), _) => eq.curve.apply(f64::from(d)),
            (None, Some(eq)) => eq.apply(d),
            (None, None) => pointwise(self.how, f64::from(d)),
        }
    }

    /// The alpha byte of a pixel with `total` points.
    fn alpha(&self, total: u32) -> u8 {
        let x = self.scaled(total);
        let j = numpy::search(x, &self.span);
        let a = numpy::interp_at(x, j, &self.span, &self.range, 0.0, 255.0);
        if a.is_nan() {
            0
        } else {
            a as u8
        }
    }
}

impl FloatEqHist {
    /// numpy's 65,536-bin histogram of the float64 totals minus `min`.
    fn new(totals: &CountHistogram, min: u32, max: u32) -> FloatEqHist {
        let mut stats = FloatStats::new();
        stats.add_values(&[f64::from(min), f64::from(max)]);
        let mut histogram = FloatHistogram::new(&stats);
        for (t, n) in totals.iter() {
            histogram.add_offset_count(f64::from(t - min), n);
        }
        debug_assert_eq!(histogram.total(), totals.pixels());
        // not empty: totals has min and max
        let curve = histogram.curve().expect("a non-empty histogram has a curve");
        FloatEqHist { curve }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shade::census::CENSUS_LIMIT;

    /// `tests/data/datashader/shade_categories.json`: Datashader's `tf.shade` of categorical
    /// aggregates.
    #[derive(serde::Deserialize)]
    struct Reference {
        aggregates: Vec<Aggregate>,
        cases: Vec<Case>,
    }

    /// A categorical aggregate: width, categories, counts C-interleaved.
    #[derive(serde::Deserialize)]
    struct Aggregate {
        name: String,
        width: usize,
        categories: usize,
        counts: Vec<u32>,
    }

    /// One categorical `tf.shade` call: aggregate, colour key (`sets` is Datashader's
    /// default), how, alpha, min_alpha, RGBA hex.
    #[derive(serde::Deserialize)]
    struct Case {
        aggregate: String,
        color_key: String,
        how: String,
        alpha: u8,
        min_alpha: u8,
        rgba: String,
    }

    const CUSTOM: &str = "red,#00ff00,blue,gold,black,white,#123456,pink,orange,purple,teal,gray";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Statistics of `counts` (rows of `width` pixels) gathered in bands of `band` rows.
    fn gather(counts: &[u32], categories: usize, row_len: usize, band: usize) -> CategoryStats {
        let mut stats = CategoryStats::new(categories);
        for chunk in counts.chunks(row_len * band) {
            let mut s = CategoryStats::new(categories);
            s.add_counts(chunk);
            stats.merge(&s);
        }
        stats
    }

    #[test]
    fn matches_datashader_byte_for_byte() {
        let reference: Reference = crate::test_data::load("datashader/shade_categories.json");
        assert_eq!(reference.aggregates.len(), 6);
        assert_eq!(reference.cases.len(), 6 * 2 * 4 * 2);
        for Case { aggregate: agg, color_key: key, how, alpha, min_alpha, rgba } in &reference.cases {
            let (alpha, min_alpha) = (*alpha, *min_alpha);
            let aggregate = reference.aggregates.iter().find(|a| &a.name == agg).unwrap();
            let (width, c, counts) = (aggregate.width, aggregate.categories, &aggregate.counts[..]);
            let key = if key == "sets" { SETS1TO3.to_vec() } else { parse_color_key(CUSTOM).unwrap() };
            let how: How = how.parse().unwrap();
            for band in [1, 2, 100] {
                let stats = gather(counts, c, width * c, band);
                let shader = CategoryShader::new(&key, how, alpha, min_alpha, &stats, Color::TRANSPARENT);
                let mut out = vec![0u8; 4 * counts.len() / c];
                for (row, dst) in counts.chunks(width * c).zip(out.chunks_mut(4 * width)) {
                    shader.shade_rgba(row, dst);
                }
                assert_eq!(&hex(&out), rgba, "{agg} {how} {alpha} {min_alpha} band {band}");
            }
        }
    }

    /// Pixels of `categories` counts from a small generator: `kinds` distinct vectors
    /// (plus empty pixels), in runs and out of order.
    fn census_pixels(categories: usize, kinds: u32, pixels: usize) -> Vec<u32> {
        let mut state = 11u32;
        let mut out = Vec::new();
        for _ in 0..pixels {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let kind = (state >> 8) % (kinds + 1);
            // Kind 0 is empty; kind k puts k % 7 + 1 points in category k % C and k / 7 in the next.
            let mut pixel = vec![0u32; categories];
            if kind > 0 {
                pixel[kind as usize % categories] += kind % 7 + 1;
                pixel[(kind as usize + 1) % categories] += kind / 7;
            }
            out.extend(pixel);
        }
        out
    }

    #[test]
    fn the_census_holds_each_distinct_vector_whatever_the_bands() {
        let counts = census_pixels(3, 40, 5000);
        let whole = gather(&counts, 3, 300, 5);
        let vectors: Vec<Vec<u32>> = whole.census().vectors().unwrap().iter().map(|v| v.to_vec()).collect();
        let mut want: Vec<Vec<u32>> =
            counts.chunks_exact(3).filter(|p| p.iter().any(|&c| c > 0)).map(<[u32]>::to_vec).collect();
        want.sort_unstable();
        want.dedup();
        assert_eq!(want.len(), 40);
        assert_eq!(vectors, want);
        for band in [1, 3, 7] {
            assert_eq!(gather(&counts, 3, 300, band), whole, "bands of {band} rows");
        }
    }

    #[test]
    fn the_census_gives_up_past_its_limit_and_merging_keeps_it_given_up() {
        let at_limit = census_pixels(2, CENSUS_LIMIT as u32, 200_000);
        let stats = gather(&at_limit, 2, 2000, 10);
        assert_eq!(stats.census().vectors().map(|v| v.len()), Some(CENSUS_LIMIT));
        // One more vector, in one band or split over two bands that each stay within it.
        let mut beyond = at_limit.clone();
        beyond.extend([100_000, 1]);
        assert_eq!(gather(&beyond, 2, 2000, 1000).census().vectors(), None);
        assert_eq!(gather(&beyond, 2, 2000, 10).census().vectors(), None);
        let mut open = CategoryStats::new(2);
        open.add_counts(&[1, 0]);
        let mut closed = open.clone();
        closed.merge(&gather(&beyond, 2, 2000, 10));
        assert_eq!(closed.census().vectors(), None);
        // A part that skipped the census closes the whole.
        open.merge(&CategoryStats::without_census(2));
        assert_eq!(open.census().vectors(), None);
    }

    #[test]
    fn a_palette_holds_every_colour_of_a_census_and_no_more() {
        for background in [Color::TRANSPARENT, Color::rgb(10, 20, 30)] {
            for how in How::ALL {
                let counts = census_pixels(4, 60, 3000);
                let stats = gather(&counts, 4, 240, 5);
                let shader = CategoryShader::new(&[], how, 255, 40, &stats, background);
                let palette = shader.palette().expect("60 vectors in at most 256 colours");
                let mut colours: Vec<[u8; 4]> =
                    counts.chunks_exact(4).map(|p| shader.shade_pixel(p).to_array()).collect();
                for (i, c) in colours.iter().enumerate() {
                    assert!(palette.index_of(*c).is_some(), "{how}: pixel {i}'s {c:?}");
                }
                colours.sort_unstable();
                colours.dedup();
                assert_eq!(palette.colors().len(), colours.len(), "{how}, {background:?}");
            }
        }
        // As many vectors as the census holds, each its own colour, and the empty pixels':
        // 257 colours, so no palette.
        let counts = census_pixels(2, CENSUS_LIMIT as u32, 20_000);
        let stats = gather(&counts, 2, 200, 10);
        let vectors = stats.census().vectors().unwrap();
        let shader = CategoryShader::new(&[], How::Linear, 255, 40, &stats, Color::TRANSPARENT);
        let mut colours: Vec<[u8; 4]> = vectors.iter().map(|v| shader.shade_pixel(v).to_array()).collect();
        colours.push(shader.shade_pixel(&[0, 0]).to_array());
        colours.sort_unstable();
        colours.dedup();
        assert_eq!(colours.len(), 257);
        assert!(shader.palette().is_none());
    }

    #[test]
    fn the_census_survives_a_statistics_file_and_an_old_file_has_none() {
        let counts = census_pixels(3, 12, 400);
        let stats = gather(&counts, 3, 60, 4);
        let text = serde_json::to_string(&stats).unwrap();
        let back: CategoryStats = serde_json::from_str(&text).unwrap();
        assert_eq!(back, stats);
        assert_eq!(back.census().vectors().unwrap().len(), 12);
        // Sorted, so the same statistics are the same text.
        assert_eq!(serde_json::to_string(&gather(&counts, 3, 60, 1)).unwrap(), text);
        let mut old: serde_json::Value = serde_json::from_str(&text).unwrap();
        old.as_object_mut().unwrap().remove("census");
        let old: CategoryStats = serde_json::from_value(old).unwrap();
        assert_eq!((old.census().vectors(), old.totals()), (None, stats.totals()));
        assert!(CategoryShader::new(&[], How::EqHist, 255, 40, &old, Color::TRANSPARENT).palette().is_none());
    }

    #[test]
    fn rows_shade_empty_runs_and_the_rest_as_each_pixel_alone() {
        // Runs of empty pixels longer and shorter than a block of 16, and a remainder.
        let mut counts = census_pixels(3, 9, 37);
        counts.extend(vec![0; 3 * 40]);
        counts.extend(census_pixels(3, 9, 21));
        counts.extend(vec![0; 3 * 7]);
        let stats = gather(&counts, 3, counts.len(), 1);
        for background in [Color::TRANSPARENT, Color::rgb(9, 8, 7)] {
            let shader = CategoryShader::new(&[], How::EqHist, 255, 40, &stats, background);
            let each: Vec<[u8; 4]> =
                counts.chunks_exact(3).map(|p| shader.shade_pixel(p).to_array()).collect();
            let mut rgba = vec![0; 4 * each.len()];
            shader.shade_rgba(&counts, &mut rgba);
            assert_eq!(rgba, each.concat(), "{background:?}");
            let mut rgb = vec![0; 3 * each.len()];
            shader.shade_rgb(&counts, &mut rgb);
            assert_eq!(rgb, each.iter().flat_map(|p| [p[0], p[1], p[2]]).collect::<Vec<_>>());
        }
    }

    #[test]
    fn stats_record_baseline_empties_and_totals() {
        let mut s = CategoryStats::new(3);
        assert_eq!(s.baseline(), 0);
        s.add_counts(&[2, 3, 4, 5, 6, 7]);
        assert_eq!(s.baseline(), 2);
        assert_eq!(s.empty_pixels(), 0);
        let mut t = CategoryStats::new(3);
        t.add_counts(&[0, 0, 0, 1, 0, 0]);
        s.merge(&t);
        assert_eq!(s.baseline(), 0);
        assert_eq!(s.empty_pixels(), 1);
        assert_eq!(s.totals().values(), vec![(1, 1), (9, 1), (18, 1)]);
        let mut u = CategoryStats::new(2);
        u.add_counts(&[u32::MAX, u32::MAX]);
        assert_eq!(u.totals().values(), vec![(u32::MAX, 1)]);
    }

    #[test]
    fn mixes_colours_by_weight() {
        let mut s = CategoryStats::new(2);
        s.add_counts(&[0, 0, 3, 1, 0, 2]);
        let key = [Color::rgb(255, 0, 0), Color::rgb(0, 0, 255)];
        let shader = CategoryShader::new(&key, How::Linear, 255, 40, &s, Color::TRANSPARENT);
        // 3 red + 1 blue: (765 / 4, 0, 255 / 4) truncated; total 4 is the max -> alpha 255
        assert_eq!(shader.shade_pixel(&[3, 1]), Color { r: 191, g: 0, b: 63, a: 255 });
        // total 2 is the minimum -> min_alpha
        assert_eq!(shader.shade_pixel(&[0, 2]), Color { r: 0, g: 0, b: 255, a: 40 });
        // empty: Datashader leaves the mean colour with alpha 0
        assert_eq!(shader.shade_pixel(&[0, 0]), Color { r: 127, g: 0, b: 127, a: 0 });
        // over an opaque background the empty pixel is the background
        let white = Color::rgb(255, 255, 255);
        let on_white = CategoryShader::new(&key, How::Linear, 255, 40, &s, white);
        assert!(on_white.is_opaque());
        assert_eq!(on_white.shade_pixel(&[0, 0]), white);
        assert_eq!(on_white.shade_pixel(&[3, 1]), Color::rgb(191, 0, 63));
        let mut rgb = [0u8; 6];
        on_white.shade_rgb(&[0, 0, 3, 1], &mut rgb);
        assert_eq!(rgb, [255, 255, 255, 191, 0, 63]);
    }

    #[test]
    fn short_color_key_is_completed_and_default_cycles() {
        let mut s = CategoryStats::new(3);
        s.add_counts(&[0, 0, 5]);
        let shader =
            CategoryShader::new(&[Color::rgb(1, 2, 3)], How::Linear, 255, 40, &s, Color::TRANSPARENT);
        assert_eq!(shader.categories(), 3);
        assert_eq!(shader.shade_pixel(&[0, 0, 5]), SETS1TO3[2]);
        let key = default_color_key(25);
        assert_eq!(key.len(), 25);
        assert_eq!(key[22], SETS1TO3[0]);
        assert_eq!(SETS1TO3[0], Color::parse("#e41a1c").unwrap());
    }

    #[test]
    fn parses_color_keys() {
        assert_eq!(
            parse_color_key("red, #00f,#11223380"),
            Ok(vec![Color::rgb(255, 0, 0), Color::rgb(0, 0, 255), Color::rgb(0x11, 0x22, 0x33)])
        );
        assert_eq!(
            parse_color_key("red,,blue").unwrap_err(),
            "cannot understand colour '': not a CSS colour name, 'transparent' or a \
             #rrggbb hex code"
        );
        assert_eq!(parse_color_key("  ").unwrap_err(), "expected comma-separated colours, got nothing");
        assert!(parse_color_key("red,blurple").unwrap_err().contains("'blurple'"));
    }

    /// Run with `cargo test --release --lib shade::category::tests::throughput -- --ignored
    /// --nocapture` to measure pixels per second.
    #[test]
    #[ignore]
    fn throughput() {
        let hash = |i: u32| i.wrapping_mul(2_654_435_761).rotate_right(13);
        for c in [3usize, 10] {
            let counts: Vec<u32> = (0..(2_000_000 * c) as u32)
                .map(|i| if hash(i) % 4 == 0 { (hash(i ^ 9) >> 20) % 500 } else { 0 })
                .collect();
            let t0 = std::time::Instant::now();
            let mut stats = CategoryStats::new(c);
            stats.add_counts(&counts);
            let stats_rate = 2e6 / t0.elapsed().as_secs_f64() / 1e6;
            let shader =
                CategoryShader::new(&default_color_key(c), How::EqHist, 255, 40, &stats, Color::TRANSPARENT);
            let mut out = vec![0u8; 4 * 2_000_000];
            let t0 = std::time::Instant::now();
            for _ in 0..5 {
                shader.shade_rgba(std::hint::black_box(&counts), &mut out);
            }
            let rate = 5.0 * 2e6 / t0.elapsed().as_secs_f64() / 1e6;
            println!("{c} categories: shade_rgba {rate:.0} Mpx/s, stats {stats_rate:.0} Mpx/s");
        }
    }
}
