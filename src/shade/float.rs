//! Shading of float aggregates (sum, mean, var, std, min, max, first, last of a value
//! column), where NaN marks an empty pixel, with Datashader's `tf.shade` semantics.
//!
//! Datashader's `_interpolate` for a float64 aggregate and a list colormap of `n` colours:
//!
//! 1. `mask = isnan(data)`; if everything is masked the image is all transparent;
//! 2. `data -= nanmin(data)` (the offset), in float64;
//! 3. `data = how(data)`: linear keeps it, log is `log1p`, cbrt is `data ** (1/3.)` (C's
//!    `pow`), eq-hist is `np.interp(data, centres, cdf)` over `np.histogram(data[~mask],
//!    bins=65536)` with the empty bins dropped (the float path of Datashader's `eq_hist`:
//!    a float array never takes the exact integer path);
//! 4. `span = (nanmin, nanmax)` of the transformed values;
//! 5. per channel `np.interp(data, np.linspace(span0, span1, n), channel, left=255)`, NaN
//!    to 0, truncated to u8; alpha 255 where unmasked, 0 (and RGB 0) where masked.
//!
//! Band by band, [`FloatStats`] gathers the offset and the maximum (one pass), then, for
//! eq-hist only, [`FloatHistogram`] gathers numpy's 65,536 bins over `[0, max - min]` of
//! `value - offset` (a second pass, since the bins depend on the global minimum and
//! maximum). Both merge exactly, so [`FloatShader`] gives every band the colours Datashader
//! would give it on the whole canvas.
//!
//! Integer columns: Datashader's min, max, first, last, sum, mean, var and std of an
//! integer column are float64 aggregates with NaN for empty pixels (checked with
//! Datashader 0.19.1), so integer values go through this shader converted to f64; there is
//! no separate integer path. (`count` and `any` are the count shader's business.)
//!
//! Exactness: the span of steps 4 is computed from the statistics, not from the pixels:
//! `(f(0), f(max - min))` for linear, log and cbrt (the C library's `log1p` and `pow` are
//! monotonic), and for eq-hist `(cdf[0], max(1, interp(m)))` where `m` is the largest value
//! below the top bin's centre (the only place where `np.interp`'s rounding can exceed the
//! last cdf value). Infinite values are outside Datashader's domain (its `np.histogram`
//! raises); here they shade without panicking but are not meant to match.

use crate::shade::eqhist::normalised_cumsum;
use crate::shade::numpy;
use crate::shade::{Color, Colormap, How};

/// Number of bins of Datashader's float eq-hist (`nbins=256*256`).
pub const FLOAT_BINS: usize = 65_536;

/// Global NaN-ignoring statistics of a float aggregate, gathered band by band and merged.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FloatStats {
    /// `nanmin` of every value seen (+inf when none).
    min: f64,
    /// `nanmax` of every value seen (-inf when none).
    max: f64,
    /// Number of non-NaN values seen.
    count: u64,
}

impl Default for FloatStats {
    fn default() -> Self {
        FloatStats { min: f64::INFINITY, max: f64::NEG_INFINITY, count: 0 }
    }
}

impl FloatStats {
    /// No values yet.
    pub fn new() -> Self {
        FloatStats::default()
    }

    /// Records every non-NaN value of `values` (NaN is an empty pixel); the range is that of
    /// the finite ones (an infinity, from the value column or an overflowing sum, is shaded
    /// as the colormap's end: [`FloatShader::shade`]).
    pub fn add_values(&mut self, values: &[f64]) {
        for &v in values {
            if !v.is_nan() {
                if v.is_finite() {
                    self.min = lower(self.min, v);
                    self.max = higher(self.max, v);
                }
                self.count += 1;
            }
        }
    }

    /// Adds the statistics of other values (another band, or other tiles of a band) into
    /// these: the same statistics whatever the order the values came in.
    pub fn merge(&mut self, other: &FloatStats) {
        self.min = lower(self.min, other.min);
        self.max = higher(self.max, other.max);
        self.count += other.count;
    }

    /// The smallest and largest finite value, or None when there is none.
    pub fn min_max(&self) -> Option<(f64, f64)> {
        (self.count > 0 && self.min <= self.max).then_some((self.min, self.max))
    }

    /// Number of non-NaN values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// `(min, max, count)` as recorded (+inf, -inf and 0 before any value), for a
    /// statistics file ([`crate::shade::saved`]).
    pub fn parts(&self) -> (f64, f64, u64) {
        (self.min, self.max, self.count)
    }

    /// The statistics [`FloatStats::parts`] gave.
    pub fn from_parts(min: f64, max: f64, count: u64) -> FloatStats {
        FloatStats { min, max, count }
    }
}

/// The smaller of two non-NaN values, -0.0 below 0.0: a minimum that does not depend on
/// the order values are met in (`f64::min` may return either zero).
#[inline(always)]
fn lower(a: f64, b: f64) -> f64 {
    if b < a || (b == a && b.is_sign_negative()) {
        b
    } else {
        a
    }
}

/// The larger of two non-NaN values, 0.0 above -0.0 (see [`lower`]).
#[inline(always)]
fn higher(a: f64, b: f64) -> f64 {
    if b > a || (b == a && b.is_sign_positive()) {
        b
    } else {
        a
    }
}

/// numpy's uniform bins of `np.histogram(a, bins)` for data whose minimum and maximum are
/// `first` and `last` (an empty range widened to `first - 0.5, last + 0.5`).
#[derive(Clone, Debug, PartialEq)]
struct FloatBins {
    edges: Vec<f64>,
    first: f64,
    last: f64,
    denom: f64,
}

impl FloatBins {
    /// The bins of numpy's `_get_outer_edges` and `np.linspace(first, last, nbins + 1)`.
    fn new(first: f64, last: f64) -> FloatBins {
        let (first, last) = if first == last { (first - 0.5, last + 0.5) } else { (first, last) };
        FloatBins { edges: numpy::linspace(first, last, FLOAT_BINS + 1), first, last, denom: last - first }
    }

    /// The bin numpy's fast path puts `a` in, or None when numpy drops it (out of range).
    fn index(&self, a: f64) -> Option<usize> {
        if !(a >= self.first && a <= self.last) {
            return None;
        }
        let f = ((a - self.first) / self.denom) * FLOAT_BINS as f64;
        let mut i = (f as usize).min(FLOAT_BINS);
        if i == FLOAT_BINS {
            i -= 1;
        }
        if a < self.edges[i] {
            i -= 1;
        }
        if a >= self.edges[i + 1] && i != FLOAT_BINS - 1 {
            i += 1;
        }
        Some(i)
    }

    /// `(bin_edges[:-1] + bin_edges[1:]) / 2` for bin `i`.
    fn center(&self, i: usize) -> f64 {
        (self.edges[i] + self.edges[i + 1]) / 2.0
    }
}

/// numpy's `np.histogram(data - offset, bins=65536)` of the non-NaN values of a float
/// aggregate, where `offset` is the global minimum: built band by band and merged.
///
/// Also keeps the largest offset value below the centre of the top bin, which fixes the
/// top of Datashader's eq-hist span exactly (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct FloatHistogram {
    offset: f64,
    bins: FloatBins,
    counts: Vec<u64>,
    /// Centre of the bin holding `max - min`.
    top_center: f64,
    /// Largest `value - offset` strictly below `top_center` (-inf when none).
    below_top: f64,
}

impl FloatHistogram {
    /// Empty bins over `[0, max - min]` for the canvas described by `stats` (NaN-free
    /// bins over `[-0.5, 0.5]` when `stats` is empty).
    pub fn new(stats: &FloatStats) -> FloatHistogram {
        let (offset, max) = stats.min_max().unwrap_or((0.0, 0.0));
        // data2.min() is offset - offset = 0 (offset finite); data2.max() is max - offset
        let bins = FloatBins::new(0.0, max - offset);
        let top = bins.index(max - offset).unwrap_or(FLOAT_BINS - 1);
        let top_center = bins.center(top);
        FloatHistogram { offset, bins, counts: vec![0; FLOAT_BINS], top_center, below_top: f64::NEG_INFINITY }
    }

    /// Records the non-NaN values of one band.
    pub fn add_values(&mut self, values: &[f64]) {
        for &v in values {
            self.add_offset_count(v - self.offset, 1);
        }
    }

    /// Records `n` values equal to `a + offset` (`a` already offset).
    pub(crate) fn add_offset_count(&mut self, a: f64, n: u64) {
        if let Some(i) = self.bins.index(a) {
            self.counts[i] += n;
            if a < self.top_center {
                self.below_top = higher(self.below_top, a);
            }
        }
    }

    /// Empty bins for the same statistics: a part to gather other values into and
    /// [`FloatHistogram::merge`] into this one.
    pub fn empty_like(&self) -> FloatHistogram {
        FloatHistogram {
            offset: self.offset,
            bins: self.bins.clone(),
            counts: vec![0; FLOAT_BINS],
            top_center: self.top_center,
            below_top: f64::NEG_INFINITY,
        }
    }

    /// Adds another band's histogram (or other tiles' of a band), built from the same
    /// [`FloatStats`], into this one: the same histogram whatever the order of the values.
    ///
    /// # Panics
    /// If the two were built from different statistics (a programming error).
    pub fn merge(&mut self, other: &FloatHistogram) {
        assert!(
            self.offset.to_bits() == other.offset.to_bits()
                && self.bins.last.to_bits() == other.bins.last.to_bits(),
            "FloatHistogram::merge: histograms of different statistics"
        );
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.below_top = higher(self.below_top, other.below_top);
    }

    /// Number of values recorded.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The non-empty bins as (the value at the bin's centre, values in it), for the
    /// visibility check ([`crate::shade::visibility`]).
    pub(crate) fn values(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let kept = self.counts.iter().enumerate().filter(|&(_, &n)| n > 0);
        kept.map(|(i, &n)| (self.offset + self.bins.center(i), n))
    }

    /// The equalisation curve: kept bin centres and their cdf (None when empty).
    pub(crate) fn curve(&self) -> Option<EqCurve> {
        let kept = self.counts.iter().enumerate().filter(|&(_, &n)| n > 0);
        let (centers, counts): (Vec<f64>, Vec<u64>) = kept.map(|(i, &n)| (self.bins.center(i), n)).unzip();
        if counts.is_empty() {
            return None;
        }
        let cdf = normalised_cumsum(&counts);
        // index of the last kept centre <= each bin's lower edge, for the O(1) search
        let mut first_kept = vec![-1isize; FLOAT_BINS];
        let mut k = -1isize;
        for (i, slot) in first_kept.iter_mut().enumerate() {
            while ((k + 1) as usize) < centers.len() && centers[(k + 1) as usize] <= self.bins.edges[i] {
                k += 1;
            }
            *slot = k;
        }
        Some(EqCurve { bins: self.bins.clone(), centers, cdf, below: first_kept })
    }
}

/// `[nanmin, nanmax]` of the eq-hist of the values this histogram holds through `curve`
/// (its own [`FloatHistogram::curve`]): Datashader's span of the transformed values.
pub(crate) fn eq_span(histogram: &FloatHistogram, curve: &EqCurve) -> [f64; 2] {
    let last = curve.cdf[curve.cdf.len() - 1];
    [curve.cdf[0], last.max(curve.apply(histogram.below_top))]
}

/// Datashader's eq-hist curve over float bins, with a fast exact `np.interp`.
#[derive(Clone, Debug)]
pub(crate) struct EqCurve {
    bins: FloatBins,
    centers: Vec<f64>,
    cdf: Vec<f64>,
    /// For each bin, the index of the last kept centre not above its lower edge (-1: none).
    below: Vec<isize>,
}

impl EqCurve {
    /// `np.interp(a, centers, cdf)`.
    pub(crate) fn apply(&self, a: f64) -> f64 {
        let j = self.search(a);
        let right = self.cdf[self.cdf.len() - 1];
        numpy::interp_at(a, j, &self.centers, &self.cdf, self.cdf[0], right)
    }

    /// numpy's `binary_search_with_guess` answer for `a`, found from `a`'s bin and checked.
    fn search(&self, a: f64) -> isize {
        if let Some(i) = self.bins.index(a) {
            let len = self.centers.len() as isize;
            let mut j = self.below[i];
            while j + 1 < len && self.centers[(j + 1) as usize] <= a {
                j += 1;
            }
            let start_ok = if j >= 0 { self.centers[j as usize] <= a } else { a < self.centers[0] };
            if start_ok && a <= self.centers[self.centers.len() - 1] {
                return j;
            }
        }
        numpy::search(a, &self.centers)
    }
}

/// Maps float values (NaN = empty) to RGBA exactly as Datashader's `tf.shade(agg, cmap,
/// how)` does on the whole aggregate, then composites over a background colour.
#[derive(Clone, Debug)]
pub struct FloatShader {
    /// The Datashader pipeline; None when every pixel is empty.
    mapping: Option<FloatMapping>,
    /// The colour of empty pixels, under every shaded colour.
    background: Color,
}

impl FloatShader {
    /// Prepares the mapping for a canvas described by `stats` and, for eq-hist, by
    /// `histogram` (built from the same `stats`). NaN values get `background`.
    ///
    /// With `how == EqHist` and no histogram (or an empty one), every pixel gets the
    /// background, as if the canvas were empty. A colormap with no colours is replaced by
    /// the default one.
    pub fn new(
        stats: &FloatStats,
        histogram: Option<&FloatHistogram>,
        how: How,
        cmap: &Colormap,
        background: Color,
    ) -> FloatShader {
        let fallback = Colormap::default();
        let cmap = if cmap.colors().is_empty() { &fallback } else { cmap };
        let mapping = FloatMapping::new(stats, histogram, how, cmap);
        FloatShader { mapping, background }
    }

    /// Where `value` falls along the colormap, 0 (first colour) to 1 (last), through the
    /// same transform as the pixels; None when the canvas is empty or `value` is outside
    /// its range. For colorbars.
    pub fn position(&self, value: f64) -> Option<f64> {
        let m = self.mapping.as_ref()?;
        if !(value >= m.offset && value <= m.max) {
            return None;
        }
        let (lo, hi) = (m.knots[0], m.knots[m.knots.len() - 1]);
        let x = m.transform(value - m.offset);
        Some(if hi > lo { ((x - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.5 })
    }

    /// Smallest and largest value of the canvas, None when it is empty.
    pub fn value_range(&self) -> Option<(f64, f64)> {
        self.mapping.as_ref().map(|m| (m.offset, m.max))
    }

    /// The colormap sampled at `n` evenly spaced positions, for colorbars.
    pub fn colormap_samples(&self, n: usize) -> Vec<Color> {
        self.mapping
            .as_ref()
            .map_or_else(Vec::new, |m| crate::shade::colormap::sample_channels(&m.channels, n))
    }

    /// The colour of one pixel with value `value`: NaN (empty) the background; -inf and +inf
    /// the colours of the smallest and largest finite values, the colormap's ends (Datashader
    /// offsets by an infinite minimum and its span turns infinite, so every pixel's colour
    /// breaks: it defines none here).
    pub fn shade(&self, value: f64) -> Color {
        match (&self.mapping, value.is_nan()) {
            // shaded colours are opaque: over any background they stay as they are
            (Some(mapping), false) => {
                let value = match value {
                    f64::INFINITY => mapping.max,
                    f64::NEG_INFINITY => mapping.offset,
                    finite => finite,
                };
                let [r, g, b] = mapping.rgb(value);
                Color::rgb(r, g, b)
            }
            _ => self.background,
        }
    }

    /// True when every pixel is opaque (an opaque background), so RGB output suffices.
    #[cfg(test)]
    pub fn is_opaque(&self) -> bool {
        self.background.is_opaque()
    }

    /// Shades a row of values into RGBA bytes (`out.len() == 4 * values.len()`).
    pub fn shade_rgba(&self, values: &[f64], out: &mut [u8]) {
        debug_assert_eq!(out.len(), 4 * values.len());
        for (&v, pixel) in values.iter().zip(out.chunks_exact_mut(4)) {
            pixel.copy_from_slice(&self.shade(v).to_array());
        }
    }

    /// Shades a row of values into RGB bytes (`out.len() == 3 * values.len()`); only
    /// meaningful when [`FloatShader::is_opaque`].
    pub fn shade_rgb(&self, values: &[f64], out: &mut [u8]) {
        debug_assert_eq!(out.len(), 3 * values.len());
        for (&v, pixel) in values.iter().zip(out.chunks_exact_mut(3)) {
            pixel.copy_from_slice(&self.shade(v).to_array()[..3]);
        }
    }
}

/// Datashader's steps 2 to 5 for one non-empty float canvas.
#[derive(Clone, Debug)]
struct FloatMapping {
    offset: f64,
    max: f64,
    how: How,
    eq: Option<EqCurve>,
    knots: Vec<f64>,
    channels: [Vec<f64>; 3],
}

impl FloatMapping {
    /// The mapping, or None when the canvas (or the eq-hist histogram) is empty.
    fn new(
        stats: &FloatStats,
        histogram: Option<&FloatHistogram>,
        how: How,
        cmap: &Colormap,
    ) -> Option<Self> {
        let (offset, max) = stats.min_max()?;
        let eq = match how {
            How::EqHist => Some(histogram?.curve()?),
            _ => None,
        };
        let channel = |c: usize| cmap.colors().iter().map(|rgb| f64::from(rgb[c])).collect();
        let mut mapping = FloatMapping {
            offset,
            max,
            how,
            eq,
            knots: Vec::new(),
            channels: [channel(0), channel(1), channel(2)],
        };
        let (lo, hi) = match (&mapping.eq, histogram) {
            (Some(eq), Some(h)) => (eq.cdf[0], eq.cdf[eq.cdf.len() - 1].max(eq.apply(h.below_top))),
            _ => (mapping.transform(0.0), mapping.transform(max - offset)),
        };
        mapping.knots = numpy::linspace(lo, hi, cmap.colors().len());
        Some(mapping)
    }

    /// Step 3 for an offset value.
    fn transform(&self, a: f64) -> f64 {
        match (&self.eq, self.how) {
            (Some(eq), _) => eq.apply(a),
            (None, how) => pointwise(how, a),
        }
    }

    /// [`numpy::search`] over the evenly spaced knots: a guess from the spacing, checked
    /// and corrected, so the answer is the same.
    fn search_knots(&self, x: f64) -> isize {
        let k = &self.knots;
        let (lo, hi) = (k[0], k[k.len() - 1]);
        if !(x >= lo && x <= hi) || k.len() < 3 {
            return numpy::search(x, k);
        }
        let guess = ((x - lo) / (hi - lo) * (k.len() - 1) as f64) as usize;
        let mut j = guess.min(k.len() - 1);
        while j > 0 && k[j] > x {
            j -= 1;
        }
        while j + 1 < k.len() && k[j + 1] <= x {
            j += 1;
        }
        j as isize
    }

    /// Steps 2 to 5 for one non-NaN value.
    fn rgb(&self, value: f64) -> [u8; 3] {
        let x = self.transform(value - self.offset);
        let j = self.search_knots(x);
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

/// Datashader's linear, log (`np.log1p`) and cbrt (`x ** (1/3.)`) of an offset value, as
/// numpy computes them in float64 (eq-hist is not pointwise: NaN).
pub(crate) fn pointwise(how: How, a: f64) -> f64 {
    match how {
        How::Linear => a,
        How::Log => a.ln_1p(),
        How::Cbrt => a.powf(1.0 / 3.0),
        How::EqHist => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    /// `tests/data/datashader/shade_floats.json`: Datashader's `tf.shade` of float aggregates.
    #[derive(serde::Deserialize)]
    struct Reference {
        aggregates: Vec<Aggregate>,
        cases: Vec<crate::test_data::ShadeCase>,
    }

    /// A float64 aggregate (NaN = empty), row-major.
    #[derive(serde::Deserialize)]
    struct Aggregate {
        name: String,
        width: usize,
        #[serde(deserialize_with = "crate::test_data::floats")]
        values: Vec<f64>,
    }

    static REFERENCE: LazyLock<Reference> =
        LazyLock::new(|| crate::test_data::load("datashader/shade_floats.json"));

    fn values(name: &str) -> Vec<f64> {
        REFERENCE.aggregates.iter().find(|a| a.name == name).unwrap().values.clone()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Statistics and histogram of `bands`, gathered band by band and merged.
    fn gather(bands: &[&[f64]]) -> (FloatStats, FloatHistogram) {
        let mut stats = FloatStats::new();
        for band in bands {
            let mut s = FloatStats::new();
            s.add_values(band);
            stats.merge(&s);
        }
        let mut histogram = FloatHistogram::new(&stats);
        for band in bands.iter().rev() {
            let mut h = FloatHistogram::new(&stats);
            h.add_values(band);
            histogram.merge(&h);
        }
        (stats, histogram)
    }

    fn shade_all(shader: &FloatShader, values: &[f64]) -> Vec<u8> {
        let mut out = vec![0u8; 4 * values.len()];
        shader.shade_rgba(values, &mut out);
        out
    }

    #[test]
    fn matches_datashader_byte_for_byte() {
        assert_eq!(REFERENCE.aggregates.len(), 6);
        assert_eq!(REFERENCE.cases.len(), 6 * 4 * 3);
        for crate::test_data::ShadeCase { aggregate: agg, how, cmap, rgba } in &REFERENCE.cases {
            let v = values(agg);
            let (stats, histogram) = gather(&[&v]);
            let how: How = how.parse().unwrap();
            let cmap = Colormap::by_name(cmap).unwrap();
            let shader = FloatShader::new(&stats, Some(&histogram), how, &cmap, Color::TRANSPARENT);
            assert_eq!(&hex(&shade_all(&shader, &v)), rgba, "{agg} {how} {}", cmap.name());
        }
    }

    #[test]
    fn bands_shade_like_the_whole() {
        for Aggregate { name, width, .. } in &REFERENCE.aggregates {
            let v = values(name);
            let whole = gather(&[&v]);
            for split in (0..=v.len()).step_by(*width) {
                let (top, bottom) = v.split_at(split);
                let banded = gather(&[top, bottom]);
                assert_eq!(banded.0, whole.0);
                assert_eq!(banded.1, whole.1, "{name} split {split}");
                for how in How::ALL {
                    let cmap = Colormap::by_name("fire").unwrap();
                    let a = FloatShader::new(&whole.0, Some(&whole.1), how, &cmap, Color::TRANSPARENT);
                    let b = FloatShader::new(&banded.0, Some(&banded.1), how, &cmap, Color::TRANSPARENT);
                    let mut got = shade_all(&b, top);
                    got.extend(shade_all(&b, bottom));
                    assert_eq!(got, shade_all(&a, &v), "{name} {how} split {split}");
                }
            }
        }
    }

    #[test]
    fn stats_ignore_nan_and_merge() {
        let mut s = FloatStats::new();
        assert_eq!(s.min_max(), None);
        s.add_values(&[f64::NAN, 2.5, -1.0, f64::NAN]);
        assert_eq!(s.min_max(), Some((-1.0, 2.5)));
        assert_eq!(s.count(), 2);
        let mut t = FloatStats::new();
        t.add_values(&[7.0]);
        t.merge(&s);
        assert_eq!(t.min_max(), Some((-1.0, 7.0)));
        assert_eq!(t.count(), 3);
    }

    #[test]
    fn histogram_bins_match_numpy() {
        // np.histogram(np.array([0, 1, 2.5, 10]) , bins=65536): 2.5 -> bin 16384, 10 -> last
        let mut stats = FloatStats::new();
        stats.add_values(&[3.0, 13.0]);
        let mut h = FloatHistogram::new(&stats);
        h.add_values(&[3.0, 4.0, 5.5, 13.0, f64::NAN]);
        assert_eq!(h.total(), 4);
        let nonzero: Vec<(usize, u64)> =
            h.counts.iter().enumerate().filter(|(_, &n)| n > 0).map(|(i, &n)| (i, n)).collect();
        assert_eq!(nonzero, vec![(0, 1), (6553, 1), (16384, 1), (65535, 1)]);
        // a single value: numpy widens the range to [-0.5, 0.5], the value lands mid-way
        let mut one = FloatStats::new();
        one.add_values(&[4.0]);
        let mut h = FloatHistogram::new(&one);
        h.add_values(&[4.0, 4.0]);
        assert_eq!(h.counts[32768], 2);
    }

    #[test]
    fn infinities_take_the_colormap_ends_and_leave_the_statistics() {
        let finite = [1.0, 2.0, 5.0, f64::NAN, 3.5];
        let with = [1.0, 2.0, 5.0, f64::NAN, 3.5, f64::INFINITY, f64::NEG_INFINITY];
        let (s0, h0) = gather(&[&finite]);
        let (s1, h1) = gather(&[&with]);
        assert_eq!(s1.min_max(), Some((1.0, 5.0)));
        assert_eq!(s1.count(), 6);
        for how in [How::Linear, How::Log, How::Cbrt, How::EqHist] {
            let cmap = Colormap::default();
            let plain = FloatShader::new(&s0, Some(&h0), how, &cmap, Color::TRANSPARENT);
            let shader = FloatShader::new(&s1, Some(&h1), how, &cmap, Color::TRANSPARENT);
            // the finite pixels as without the infinities, which take the ends' colours
            assert_eq!(shade_all(&shader, &finite), shade_all(&plain, &finite), "{how:?}");
            assert_eq!(shader.shade(f64::INFINITY), plain.shade(5.0), "{how:?}");
            assert_eq!(shader.shade(f64::NEG_INFINITY), plain.shade(1.0), "{how:?}");
            assert_eq!(shader.shade(f64::NAN), Color::TRANSPARENT);
        }
        // infinities alone: no finite range, nothing to shade
        let (s2, h2) = gather(&[&[f64::INFINITY, f64::NAN]]);
        assert_eq!(s2.min_max(), None);
        let shader = FloatShader::new(&s2, Some(&h2), How::Linear, &Colormap::default(), Color::TRANSPARENT);
        assert_eq!(shader.shade(f64::INFINITY), Color::TRANSPARENT);
    }

    #[test]
    fn empty_and_nan_pixels_get_the_background() {
        let stats = FloatStats::new();
        let white = Color::rgb(255, 255, 255);
        let cmap = Colormap::default();
        for how in How::ALL {
            let shader = FloatShader::new(&stats, None, how, &cmap, white);
            assert_eq!(shader.shade(3.0), white);
        }
        let (stats, h) = gather(&[&[1.0, 2.0, f64::NAN]]);
        let shader = FloatShader::new(&stats, Some(&h), How::Linear, &cmap, white);
        assert!(shader.is_opaque());
        assert_eq!(shader.shade(f64::NAN), white);
        assert_eq!(shader.shade(1.0), Color::rgb(173, 216, 230));
        assert_eq!(shader.shade(2.0), Color::rgb(0, 0, 139));
        let mut rgb = vec![0u8; 9];
        shader.shade_rgb(&[1.0, f64::NAN, 2.0], &mut rgb);
        assert_eq!(rgb, [173, 216, 230, 255, 255, 255, 0, 0, 139]);
        // eq-hist without a histogram: nothing to equalise, all background
        let shader = FloatShader::new(&stats, None, How::EqHist, &cmap, white);
        assert_eq!(shader.shade(1.0), white);
    }

    /// Run with `cargo test --release --lib shade::float::tests::throughput -- --ignored
    /// --nocapture` to measure pixels per second.
    #[test]
    #[ignore]
    fn throughput() {
        let hash = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_right(17);
        let v: Vec<f64> = (0..2_000_000u64)
            .map(|i| if hash(i) % 3 == 0 { f64::NAN } else { (hash(i ^ 7) % 1_000_000) as f64 * 0.37 - 5.0 })
            .collect();
        let t0 = std::time::Instant::now();
        let (stats, h) = gather(&[&v]);
        let stats_rate = v.len() as f64 / t0.elapsed().as_secs_f64() / 1e6;
        let cmap = Colormap::by_name("viridis").unwrap();
        let mut out = vec![0u8; 4 * v.len()];
        for how in How::ALL {
            let shader = FloatShader::new(&stats, Some(&h), how, &cmap, Color::TRANSPARENT);
            let t0 = std::time::Instant::now();
            for _ in 0..5 {
                shader.shade_rgba(std::hint::black_box(&v), &mut out);
            }
            let rate = 5.0 * v.len() as f64 / t0.elapsed().as_secs_f64() / 1e6;
            println!("float {how}: shade_rgba {rate:.0} Mpx/s (stats + histogram {stats_rate:.0} Mpx/s)");
        }
    }
}
