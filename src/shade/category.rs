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
//! Exactness: the float32 sums are computed exactly (in integers) and rounded once, which is
//! what numpy's summation and BLAS give whenever the sums are below 2^24, i.e. for totals
//! up to 65,793 points in a pixel; above that Datashader's last bits depend on its BLAS
//! summation order. Totals above `u32::MAX` are clamped to it.

use crate::shade::eqhist::EqHist;
use crate::shade::float::{pointwise, EqCurve, FloatHistogram, FloatStats};
use crate::shade::numpy;
use crate::shade::stats::DENSE_LIMIT;
use crate::shade::{Color, CountHistogram, How};

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
}

impl CategoryStats {
    /// No pixels yet, for `categories` categories.
    pub fn new(categories: usize) -> Self {
        CategoryStats { categories, totals: CountHistogram::new(), empty: 0, min_count: None }
    }

    /// Records the pixels of `counts`, C-interleaved (`counts[C * x + c]` is category `c`
    /// of pixel `x`; `counts.len()` a multiple of C).
    pub fn add_counts(&mut self, counts: &[u32]) {
        let c = self.categories.max(1);
        let mut min = self.min_count.unwrap_or(u32::MAX);
        // Empty pixels come in runs on most plots: 16 pixels are tested at once (one
        // vectorised OR of their counts) and counted whole. One pixel at a time, the loads
        // of a band too large for the caches were the pass's bottleneck, and its speed swung
        // by a third with the compiler's choices elsewhere (2.3 or 3.3 s for the statistics
        // of 10^8 points in four categories at 20000^2).
        let mut blocks = counts.chunks_exact(16 * c);
        for block in &mut blocks {
            if block.iter().fold(0, |any, &v| any | v) == 0 {
                self.empty += 16;
                min = 0;
            } else {
                min = self.add_each(block, c, min);
            }
        }
        min = self.add_each(blocks.remainder(), c, min);
        if counts.len() >= c {
            self.min_count = Some(min);
        }
    }

    /// [`CategoryStats::add_counts`] one pixel at a time; returns the smallest count seen,
    /// `min` included.
    #[inline(always)]
    fn add_each(&mut self, counts: &[u32], c: usize, mut min: u32) -> u32 {
        for pixel in counts.chunks_exact(c) {
            let total = pixel_total(pixel);
            min = pixel.iter().fold(min, |m, &v| m.min(v));
            if total == 0 {
                self.empty += 1;
            } else {
                self.totals.add_count_n(total, 1);
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
        CategoryShader { colors, baseline: stats.baseline(), mean_rgb, alpha_table, alpha, background }
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
        let c = self.colors.len();
        debug_assert_eq!(out.len() * c, 4 * counts.len());
        for (pixel, rgba) in counts.chunks_exact(c).zip(out.chunks_exact_mut(4)) {
            rgba.copy_from_slice(&self.shade_pixel(pixel).to_array());
        }
    }

    /// Shades a row of C-interleaved counts into RGB bytes (`out.len() == 3 * pixels`);
    /// only meaningful when [`CategoryShader::is_opaque`].
    pub fn shade_rgb(&self, counts: &[u32], out: &mut [u8]) {
        let c = self.colors.len();
        debug_assert_eq!(out.len() * c, 3 * counts.len());
        for (pixel, rgb) in counts.chunks_exact(c).zip(out.chunks_exact_mut(3)) {
            rgb.copy_from_slice(&self.shade_pixel(pixel).to_array()[..3]);
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
