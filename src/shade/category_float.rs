//! Shading of float32 categorical aggregates (`count-cat` along anti-aliased lines), as
//! Datashader 0.19.1's `_colorize` does when `tf.shade` gets a float `(H, W, C)` aggregate
//! with NaN for categories without coverage. It differs from the integer case
//! ([`crate::shade::category`]) in four places:
//!
//! 1. `baseline = nanmin` of every non-NaN value (the smallest coverage, usually > 0), and
//!    the weights are `w = value - baseline` in float32, NaN weights being 0;
//! 2. `rgb = (w @ colours) / sum(w)` in float32 (`sum` is numpy's pairwise float32 sum,
//!    `@` a BLAS sgemm, taken here as a fused multiply-add chain over the categories);
//!    where `sum(w) == 0`, the mean colour of the categories that are not NaN at that pixel
//!    (0 where every category is NaN);
//! 3. the total is `nansum_missing` over the categories, a float32 sum category after
//!    category that stays NaN where every category is NaN (those pixels get alpha 0);
//! 4. alpha: `offset = nanmin(total)`, `how(total - offset)` in float32 (log1p, `** (1/3)`),
//!    spanned over its `[nanmin, nanmax]` to `[min_alpha, alpha]` by `np.interp(left=0,
//!    right=255)`, truncated to u8.
//!
//! Exactness: every `how` matches Datashader's bytes on the reference drawings
//! (`tools/gen_aa_category_shade_reference.py`). eq-hist uses the float shader's float64
//! 65,536-bin histogram of the totals, where numpy bins the float32 totals in float32
//! (NEP 50), so on other data an alpha can differ by one step near a bin edge; the
//! `@` sgemm is taken as a fused multiply-add chain, as OpenBLAS's kernels compute it for
//! a few categories.

use crate::shade::category::default_color_key;
use crate::shade::float::{eq_span, EqCurve, FloatHistogram, FloatStats};
use crate::shade::numpy;
use crate::shade::{Color, How};

/// Global statistics of a float categorical aggregate, gathered row by row over all bands:
/// pass 0 the baseline and the range of the totals, pass 1 (eq-hist only) their histogram.
#[derive(Clone, Debug)]
pub struct FloatCategoryStats {
    /// Number of categories per pixel.
    categories: usize,
    /// `nanmin` over every value of every category (+inf before any).
    baseline: f32,
    /// The non-NaN pixel totals.
    totals: FloatStats,
    /// numpy's histogram of the totals (eq-hist, pass 1).
    histogram: Option<FloatHistogram>,
}

impl FloatCategoryStats {
    /// No pixels yet, for `categories` categories.
    pub fn new(categories: usize) -> Self {
        FloatCategoryStats { categories, baseline: f32::INFINITY, totals: FloatStats::new(), histogram: None }
    }

    /// Statistics passes shading with `how` needs (eq-hist bins depend on the range).
    pub fn passes(how: How) -> u32 {
        if how == How::EqHist {
            2
        } else {
            1
        }
    }

    /// Records the pixels of `values` (`values[C * x + c]` is category `c` of pixel `x`)
    /// in pass `pass`.
    pub fn add_values(&mut self, pass: u32, values: &[f32]) {
        let c = self.categories.max(1);
        let totals: Vec<f64> = values.chunks_exact(c).map(|p| f64::from(pixel_total(p))).collect();
        if pass == 0 {
            self.baseline = values.iter().fold(self.baseline, |m, &v| if v < m { v } else { m });
            self.totals.add_values(&totals);
        } else if let Some(histogram) = self.histogram.as_mut() {
            histogram.add_values(&totals);
        }
    }

    /// After pass 0 under eq-hist, prepares the histogram of pass 1 from the range.
    pub fn end_pass(&mut self, pass: u32, how: How) {
        if pass == 0 && how == How::EqHist {
            self.histogram = Some(FloatHistogram::new(&self.totals));
        }
    }

    /// Number of categories.
    pub fn categories(&self) -> usize {
        self.categories
    }

    /// Datashader's `color_baseline=None`: the smallest value anywhere (0 when all NaN).
    pub fn baseline(&self) -> f32 {
        if self.baseline.is_finite() {
            self.baseline
        } else {
            0.0
        }
    }
}

/// Datashader's `nansum_missing` of one pixel: float32 sum over the categories in order,
/// NaN ones skipped, NaN when every one is NaN.
pub fn pixel_total(pixel: &[f32]) -> f32 {
    let mut present = pixel.iter().filter(|v| !v.is_nan());
    let Some(&first) = present.next() else { return f32::NAN };
    present.fold(first, |s, &v| s + v)
}

/// numpy's pairwise float32 sum (`np.sum` along a contiguous axis).
fn pairwise_sum(a: &[f32]) -> f32 {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(0f32, |s, &v| s + v);
    }
    if n <= 128 {
        let mut r = [0f32; 8];
        r.copy_from_slice(&a[..8]);
        let blocks = n - n % 8;
        for chunk in a[8..blocks].chunks_exact(8) {
            for (acc, &v) in r.iter_mut().zip(chunk) {
                *acc += v;
            }
        }
        let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        return a[blocks..].iter().fold(res, |s, &v| s + v);
    }
    let half = n / 2;
    let half = half - half % 8;
    pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
}

/// Colours float categorical pixels as Datashader's `tf.shade(agg, color_key, how, alpha,
/// min_alpha)` does on the whole aggregate, then composites over a background.
#[derive(Clone, Debug)]
pub struct FloatCategoryShader {
    /// Colour of each category, as float32.
    colors: Vec<[f32; 3]>,
    /// Subtracted from every value.
    baseline: f32,
    /// The alpha pipeline.
    alpha: FloatAlpha,
    /// Colour under every pixel; a fully transparent one keeps Datashader's exact bytes.
    background: Color,
}

impl FloatCategoryShader {
    /// Prepares the shading of a canvas described by `stats` (after all its passes), with
    /// one colour per category (`color_key` cut or completed from the default key), `how`
    /// for the alpha channel, `alpha` the largest alpha and `min_alpha` the smallest of a
    /// non-empty pixel.
    pub fn new(
        color_key: &[Color],
        how: How,
        alpha: u8,
        min_alpha: u8,
        stats: &FloatCategoryStats,
        background: Color,
    ) -> FloatCategoryShader {
        let n = stats.categories().max(1);
        let mut key: Vec<Color> = color_key.iter().copied().take(n).collect();
        key.extend(default_color_key(n).into_iter().skip(key.len()));
        let colors = key.iter().map(|c| [c.r, c.g, c.b].map(f32::from)).collect();
        let alpha = FloatAlpha::new(stats, how, alpha, min_alpha);
        FloatCategoryShader { colors, baseline: stats.baseline(), alpha, background }
    }

    /// True when every pixel is opaque (an opaque background), so RGB output suffices.
    #[cfg(test)]
    pub fn is_opaque(&self) -> bool {
        self.background.is_opaque()
    }

    /// The colour of one pixel from its category values (NaN = no coverage).
    pub fn shade_pixel(&self, values: &[f32]) -> Color {
        let [r, g, b] = self.rgb(values);
        let a = self.alpha.alpha(pixel_total(values));
        let raw = Color { r, g, b, a };
        if self.background.a == 0 {
            raw
        } else {
            raw.over(self.background)
        }
    }

    /// Shades a row of C-interleaved values into RGBA bytes (`out.len() == 4 * pixels`).
    pub fn shade_rgba(&self, values: &[f32], out: &mut [u8]) {
        let c = self.colors.len();
        for (pixel, rgba) in values.chunks_exact(c).zip(out.chunks_exact_mut(4)) {
            rgba.copy_from_slice(&self.shade_pixel(pixel).to_array());
        }
    }

    /// Shades a row of C-interleaved values into RGB bytes (`out.len() == 3 * pixels`);
    /// only meaningful when [`FloatCategoryShader::is_opaque`].
    pub fn shade_rgb(&self, values: &[f32], out: &mut [u8]) {
        let c = self.colors.len();
        for (pixel, rgb) in values.chunks_exact(c).zip(out.chunks_exact_mut(3)) {
            rgb.copy_from_slice(&self.shade_pixel(pixel).to_array()[..3]);
        }
    }

    /// Steps 1 and 2: the weighted mean colour in Datashader's float32 arithmetic.
    fn rgb(&self, values: &[f32]) -> [u8; 3] {
        let weights: Vec<f32> =
            values.iter().map(|&v| if v.is_nan() { 0.0 } else { v - self.baseline }).collect();
        let total = pairwise_sum(&weights);
        if total == 0.0 {
            // the mean colour of the categories present; 0 / 0 -> NaN -> 0 when none
            let present: Vec<&[f32; 3]> =
                values.iter().zip(&self.colors).filter(|(v, _)| !v.is_nan()).map(|(_, c)| c).collect();
            let n = present.len() as f32;
            return [0, 1, 2].map(|k| to_u8(present.iter().fold(0f32, |s, c| s + c[k]) / n));
        }
        [0, 1, 2].map(|k| {
            let sum = weights.iter().zip(&self.colors).fold(0f32, |acc, (&w, c)| w.mul_add(c[k], acc));
            to_u8(sum / total)
        })
    }
}

/// numpy's `astype(uint8)` of a float32 in `[0, 256)`, NaN giving 0 as on x86.
fn to_u8(v: f32) -> u8 {
    if v.is_nan() {
        0
    } else {
        v as u8
    }
}

/// Datashader's `_interpolate_alpha` of a float total for one canvas.
#[derive(Clone, Debug)]
struct FloatAlpha {
    /// `nanmin(total)` (None: every pixel is empty, alpha 0 everywhere).
    offset: Option<f32>,
    how: How,
    /// eq-hist curve over the totals.
    eq: Option<EqCurve>,
    /// `norm_span`.
    span: [f64; 2],
    /// `[min_alpha, alpha]` as float64.
    range: [f64; 2],
}

impl FloatAlpha {
    /// The alpha mapping for `stats`.
    fn new(stats: &FloatCategoryStats, how: How, alpha: u8, min_alpha: u8) -> FloatAlpha {
        let range = [f64::from(min_alpha), f64::from(alpha)];
        let mut mapping = FloatAlpha { offset: None, how, eq: None, span: [f64::NAN; 2], range };
        let Some((min, max)) = stats.totals.min_max() else {
            return mapping;
        };
        // the totals are float32 values held as f64
        mapping.offset = Some(min as f32);
        if how == How::EqHist {
            let Some(histogram) = stats.histogram.as_ref() else {
                return FloatAlpha { offset: None, ..mapping };
            };
            let Some(curve) = histogram.curve() else { return FloatAlpha { offset: None, ..mapping } };
            mapping.span = eq_span(histogram, &curve);
            mapping.eq = Some(curve);
        } else {
            mapping.span = [mapping.scaled(min as f32), mapping.scaled(max as f32)];
        }
        mapping
    }

    /// `a_scaled`: how(total - offset) in float32, NaN for empty pixels.
    fn scaled(&self, total: f32) -> f64 {
        let Some(offset) = self.offset else { return f64::NAN };
        let d = total - offset;
        match (&self.eq, self.how) {
            (Some(eq), _) => eq.apply(f64::from(d)),
            (None, How::Log) => f64::from(d.ln_1p()),
            (None, How::Cbrt) => f64::from(d.powf(1.0 / 3.0)),
            (None, _) => f64::from(d),
        }
    }

    /// The alpha byte of a pixel whose total is `total`.
    fn alpha(&self, total: f32) -> u8 {
        let x = self.scaled(total);
        if x.is_nan() {
            return 0;
        }
        let j = numpy::search(x, &self.span);
        let a = numpy::interp_at(x, j, &self.span, &self.range, 0.0, 255.0);
        if a.is_nan() {
            0
        } else {
            a as u8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_nan_only_where_every_category_is() {
        assert!(pixel_total(&[f32::NAN, f32::NAN]).is_nan());
        assert_eq!(pixel_total(&[f32::NAN, 0.25, 0.5]), 0.75);
        assert_eq!(pixel_total(&[0.0, f32::NAN]), 0.0);
    }

    #[test]
    fn pairwise_sum_follows_numpy_blocks() {
        let a: Vec<f32> = (0..20).map(|i| 1.0 + i as f32 * 1e-7).collect();
        let mut r = [0f32; 8];
        r.copy_from_slice(&a[..8]);
        for i in 8..16 {
            r[i - 8] += a[i];
        }
        let mut want = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[16..] {
            want += v;
        }
        assert_eq!(pairwise_sum(&a).to_bits(), want.to_bits());
        assert_eq!(pairwise_sum(&[0.5, 0.25]), 0.75);
    }

    #[test]
    fn mixes_by_weight_above_the_baseline() {
        let mut stats = FloatCategoryStats::new(2);
        stats.add_values(0, &[0.25, f32::NAN, 1.0, 0.5, f32::NAN, f32::NAN]);
        assert_eq!(stats.baseline(), 0.25);
        let key = [Color::rgb(255, 0, 0), Color::rgb(0, 0, 255)];
        let shader = FloatCategoryShader::new(&key, How::Linear, 255, 40, &stats, Color::TRANSPARENT);
        // the baseline pixel has weight 0: the mean of its present categories, min alpha
        assert_eq!(shader.shade_pixel(&[0.25, f32::NAN]), Color { r: 255, g: 0, b: 0, a: 40 });
        // weights 0.75 and 0.25: (191.25, 0, 63.75); total 1.5 is the max -> 255
        assert_eq!(shader.shade_pixel(&[1.0, 0.5]), Color { r: 191, g: 0, b: 63, a: 255 });
        // no coverage: transparent black, as numpy casts 0 / 0 to 0
        assert_eq!(shader.shade_pixel(&[f32::NAN, f32::NAN]), Color { r: 0, g: 0, b: 0, a: 0 });
        let white = Color::rgb(255, 255, 255);
        let on_white = FloatCategoryShader::new(&key, How::Linear, 255, 40, &stats, white);
        assert!(on_white.is_opaque());
        assert_eq!(on_white.shade_pixel(&[f32::NAN, f32::NAN]), white);
    }
}
