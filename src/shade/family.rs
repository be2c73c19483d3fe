//! Shading families: what a reduction hands the shader, implemented once per family.
//!
//! Every reduction's finished aggregate is one of four kinds of values, and everything
//! that follows aggregation depends on the kind only: the global statistics (gathered
//! band by band, in one or two passes), the shader built from them, a row's colours, its
//! raw export bytes, its lit mask (for `--dynspread`) and the colour scale of a colorbar.
//!
//! - [`CountFamily`]: integer counts (`count`, `any`), an exact histogram;
//! - [`FloatFamily`]: float values, NaN for empty pixels (`sum`, `mean`, `var`, `std`,
//!   `min`, `max`, `first`, `last`, every anti-aliased value and coverage, rasters): min and
//!   max, then (eq-hist) a 65,536-bin histogram;
//! - [`CategoryFamily`]: integer counts per category (`count-cat`), Datashader's colour
//!   mixing;
//! - [`FloatCategoryFamily`]: float32 coverage per category (`count-cat` of anti-aliased
//!   lines).
//!
//! A family sees a band through [`BandValues`]: rows as pieces (one per tile, left to
//! right) of `channels` values per pixel, or its tiles in parallel. Families whose
//! statistics are exact integers gather tiles in parallel; the float ones gather rows in
//! canvas order, so their minimum (where -0.0 and 0.0 tie) never depends on threads.

use std::sync::Arc;

use crate::data::DType;
use crate::shade::saved::SavedFloats;
use crate::shade::{
    CategoryShader, CategoryStats, Color, Colormap, CountHistogram, CountShader, FloatCategoryShader,
    FloatCategoryStats, FloatHistogram, FloatShader, FloatStats, How, Invisible, Palette, SavedStats,
};
use crate::sink::{ColorScale, PixelFormat};

/// How a render is shaded, as the shaders of every family need it.
#[derive(Clone, Copy, Debug)]
pub struct ShadeStyle<'a> {
    /// Transfer function.
    pub how: How,
    /// Colormap of the value families.
    pub cmap: &'a Colormap,
    /// Colour of empty pixels.
    pub background: Color,
    /// Colours of the categories (None: Datashader's Sets1to3 palette).
    pub color_key: Option<&'a [Color]>,
}

/// A band's finished values as a family reads them.
pub trait BandValues<V>: Sync {
    /// Rows in the band.
    fn rows(&self) -> u32;
    /// Values per pixel: 1, or the number of categories.
    fn channels(&self) -> usize;
    /// Calls `f(first column, values)` for the pieces of band row `row`, left to right.
    fn for_each_piece(&self, row: u32, f: impl FnMut(u32, &[V]));
    /// Folds every tile (all its rows, `channels` values per pixel) into a state in
    /// parallel: `fold(init(), tile)`, states combined with `merge`.
    fn fold_tiles<S: Send>(
        &self,
        init: impl Fn() -> S + Sync + Send,
        fold: impl Fn(S, &[V]) -> S + Sync + Send,
        merge: impl Fn(S, S) -> S + Sync + Send,
    ) -> S;
}

/// Everything after aggregation that depends only on the kind of values.
pub trait Family: Send + Sync + 'static {
    /// A finished value per pixel and channel.
    type Value: Copy + Send + Sync;
    /// The global statistics shading needs.
    type Stats: Send + Sync;
    /// Colours from values, built from the statistics.
    type Shader: Send + Sync;

    /// Empty statistics for `channels` values per pixel.
    fn new_stats(channels: usize) -> Self::Stats;
    /// Statistics passes over all bands that shading with `how` needs.
    fn passes(how: How) -> u32;
    /// Adds a band to pass `pass` of the statistics.
    fn gather(stats: &mut Self::Stats, pass: u32, band: &impl BandValues<Self::Value>);
    /// Called after every band went through pass `pass`.
    fn end_pass(_stats: &mut Self::Stats, _pass: u32, _how: How) {}
    /// True when every pass's statistics are a sum over the non-empty pixels' values,
    /// whatever their order and however they are split ([`Family::add_lit`],
    /// [`Family::merge_lit`]): a sparse band's statistics are then gathered from the pixels
    /// its records reach, without filling the band. False (the default): they need every
    /// pixel of a band, in row order.
    const GATHERS_LIT: bool = false;
    /// Adds the values of non-empty pixels (each pixel once) to the statistics, when
    /// [`Family::GATHERS_LIT`].
    fn add_lit(_stats: &mut Self::Stats, _values: &[Self::Value]) {}
    /// Adds statistics gathered apart into `stats`, when [`Family::GATHERS_LIT`].
    fn merge_lit(_stats: &mut Self::Stats, _other: &Self::Stats) {}
    /// Empty statistics for a part of the current pass, gathered apart and merged into
    /// `stats` ([`Family::merge_lit`]): a later pass's part takes what the earlier ones
    /// found (a float eq-hist's bins).
    fn lit_part(_stats: &Self::Stats, channels: usize) -> Self::Stats {
        Self::new_stats(channels)
    }
    /// The shader of the whole canvas.
    fn shader(stats: &Self::Stats, style: &ShadeStyle<'_>) -> Self::Shader;
    /// Shades the pixels of `values` (`channels` values each) into `out`.
    fn shade(shader: &Self::Shader, values: &[Self::Value], format: PixelFormat, out: &mut [u8]);
    /// Writes `values` little-endian as `dtype` into `out` (the raw aggregate).
    fn write(values: &[Self::Value], dtype: DType, out: &mut [u8]);
    /// Writes a byte per pixel, non-zero where the pixel is not empty: exactly the pixels
    /// shading makes non-transparent (`--dynspread`'s density).
    fn lit(values: &[Self::Value], channels: usize, out: &mut [u8]);
    /// How values map to colours, for a colorbar.
    fn color_scale(_shader: &Self::Shader) -> Option<ColorScale> {
        None
    }
    /// Every colour the shader gives the canvas, when they fit a PNG palette (at most 256
    /// and known from the statistics): the PNG is then written with indexed colour.
    fn palette(_shader: &Self::Shader) -> Option<Arc<Palette>> {
        None
    }
    /// Writes the [`Family::palette`] index of every pixel of `values` into `out` (a byte
    /// each), the same pixels as [`Family::shade`] without building RGBA; false when the
    /// family cannot (the caller shades RGBA and looks the colours up instead).
    fn shade_indices(_shader: &Self::Shader, _values: &[Self::Value], _out: &mut [u8]) -> bool {
        false
    }
    /// The non-empty pixels shaded too close to `background` to be seen, when the lowest
    /// values are (see [`crate::shade::visibility`]).
    fn invisible(
        _stats: &Self::Stats,
        _shader: &Self::Shader,
        _style: &ShadeStyle<'_>,
        _background: Color,
    ) -> Option<Invisible> {
        None
    }
    /// Whether no pixel has a value (every pixel empty: nothing but the background to
    /// see), when the statistics know.
    fn is_empty(_stats: &Self::Stats) -> bool {
        false
    }
    /// The statistics as a statistics file keeps them, when they are gathered in one pass
    /// with `how` and mergeable across shards; None otherwise (eq-hist of floats, whose
    /// histogram's bins depend on the global range).
    fn export_stats(_stats: &Self::Stats, _how: How) -> Option<SavedStats> {
        None
    }
    /// Statistics read from a file ([`Family::export_stats`]), for `channels` values per
    /// pixel; None when they are not this family's.
    fn import_stats(_saved: &SavedStats, _channels: usize, _how: How) -> Option<Self::Stats> {
        None
    }
    /// The exact histogram of the canvas's non-zero counts, when the statistics are one
    /// (counts): what a pyramid's metadata records of each level ([`Band::count_histogram`]).
    ///
    /// [`Band::count_histogram`]: crate::sink::Band::count_histogram
    fn count_histogram(_stats: &Self::Stats) -> Option<&CountHistogram> {
        None
    }
}

/// Integer counts (`count`, `any`) shaded through their exact histogram.
#[derive(Debug)]
pub struct CountFamily;

impl Family for CountFamily {
    type Value = u32;
    type Stats = CountHistogram;
    type Shader = CountShader;

    fn new_stats(_channels: usize) -> CountHistogram {
        CountHistogram::new()
    }
    fn passes(_how: How) -> u32 {
        1
    }
    fn gather(stats: &mut CountHistogram, _pass: u32, band: &impl BandValues<u32>) {
        let band = band.fold_tiles(
            CountHistogram::new,
            |mut h, tile| {
                h.add_counts(tile);
                h
            },
            |mut a, b| {
                a.merge(&b);
                a
            },
        );
        stats.merge(&band);
    }
    /// The exact histogram of non-zero counts is a sum over pixels: merging is exact.
    const GATHERS_LIT: bool = true;
    fn add_lit(stats: &mut CountHistogram, counts: &[u32]) {
        stats.add_counts(counts);
    }
    fn merge_lit(stats: &mut CountHistogram, other: &CountHistogram) {
        stats.merge(other);
    }
    fn shader(stats: &CountHistogram, style: &ShadeStyle<'_>) -> CountShader {
        CountShader::new(stats, style.how, style.cmap, style.background)
    }
    fn shade(shader: &CountShader, counts: &[u32], format: PixelFormat, out: &mut [u8]) {
        match format {
            PixelFormat::Rgba => shader.shade_rgba(counts, out),
            PixelFormat::Rgb => shader.shade_rgb(counts, out),
        }
    }
    fn write(counts: &[u32], dtype: DType, out: &mut [u8]) {
        match dtype {
            DType::Bool => {
                for (o, &c) in out.iter_mut().zip(counts) {
                    *o = u8::from(c > 0);
                }
            }
            _ => {
                for (o, &c) in out.chunks_exact_mut(4).zip(counts) {
                    o.copy_from_slice(&c.to_le_bytes());
                }
            }
        }
    }
    fn lit(counts: &[u32], _channels: usize, out: &mut [u8]) {
        for (o, &c) in out.iter_mut().zip(counts) {
            *o = u8::from(c > 0);
        }
    }
    fn palette(shader: &CountShader) -> Option<Arc<Palette>> {
        shader.palette().cloned()
    }
    fn shade_indices(shader: &CountShader, counts: &[u32], out: &mut [u8]) -> bool {
        shader.shade_indices(counts, out)
    }
    fn color_scale(shader: &CountShader) -> Option<ColorScale> {
        let (lo, hi) = shader.count_range()?;
        let shader = Arc::new(shader.clone());
        Some(ColorScale {
            colors: shader.colormap_samples(256),
            range: (f64::from(lo), f64::from(hi)),
            position: Arc::new(move |v| shader.position(v)),
        })
    }
    fn invisible(
        stats: &CountHistogram,
        shader: &CountShader,
        style: &ShadeStyle<'_>,
        background: Color,
    ) -> Option<Invisible> {
        crate::shade::visibility::invisible_counts(stats, shader, style.cmap, background)
    }
    fn is_empty(stats: &CountHistogram) -> bool {
        stats.min_max().is_none()
    }
    fn export_stats(stats: &CountHistogram, _how: How) -> Option<SavedStats> {
        Some(SavedStats::Counts(stats.clone()))
    }
    fn import_stats(saved: &SavedStats, _channels: usize, _how: How) -> Option<CountHistogram> {
        match saved {
            SavedStats::Counts(histogram) => Some(histogram.clone()),
            _ => None,
        }
    }
    fn count_histogram(stats: &CountHistogram) -> Option<&CountHistogram> {
        Some(stats)
    }
}

/// The statistics of a float aggregate: min/max/count, then (eq-hist) the histogram.
#[derive(Debug, Default)]
pub struct FloatPasses {
    stats: FloatStats,
    histogram: Option<FloatHistogram>,
}

/// Float values, NaN for empty pixels, shaded as Datashader shades a float aggregate.
#[derive(Debug)]
pub struct FloatFamily;

impl Family for FloatFamily {
    type Value = f64;
    type Stats = FloatPasses;
    type Shader = FloatShader;

    fn new_stats(_channels: usize) -> FloatPasses {
        FloatPasses::default()
    }
    /// min/max, then for eq-hist the histogram whose bins depend on them.
    fn passes(how: How) -> u32 {
        if how == How::EqHist {
            2
        } else {
            1
        }
    }
    /// Tiles in parallel: the statistics and histogram merge exactly in any order.
    fn gather(stats: &mut FloatPasses, pass: u32, band: &impl BandValues<f64>) {
        match (pass, stats.histogram.as_mut()) {
            (0, _) => {
                let band = band.fold_tiles(
                    FloatStats::new,
                    |mut part, values| {
                        part.add_values(values);
                        part
                    },
                    |mut a, b| {
                        a.merge(&b);
                        a
                    },
                );
                stats.stats.merge(&band);
            }
            (_, Some(histogram)) => {
                let band = band.fold_tiles(
                    || histogram.empty_like(),
                    |mut part, values| {
                        part.add_values(values);
                        part
                    },
                    |mut a, b| {
                        a.merge(&b);
                        a
                    },
                );
                histogram.merge(&band);
            }
            _ => {}
        }
    }
    fn end_pass(stats: &mut FloatPasses, pass: u32, how: How) {
        if pass == 0 && how == How::EqHist {
            stats.histogram = Some(FloatHistogram::new(&stats.stats));
        }
    }
    /// Both passes skip NaN and merge in any order: min/max/count, then the histogram.
    const GATHERS_LIT: bool = true;
    fn add_lit(stats: &mut FloatPasses, values: &[f64]) {
        match stats.histogram.as_mut() {
            Some(histogram) => histogram.add_values(values),
            None => stats.stats.add_values(values),
        }
    }
    fn merge_lit(stats: &mut FloatPasses, other: &FloatPasses) {
        match (stats.histogram.as_mut(), other.histogram.as_ref()) {
            (Some(histogram), Some(part)) => histogram.merge(part),
            _ => stats.stats.merge(&other.stats),
        }
    }
    fn lit_part(stats: &FloatPasses, _channels: usize) -> FloatPasses {
        FloatPasses {
            stats: FloatStats::default(),
            histogram: stats.histogram.as_ref().map(FloatHistogram::empty_like),
        }
    }
    fn shader(stats: &FloatPasses, style: &ShadeStyle<'_>) -> FloatShader {
        FloatShader::new(&stats.stats, stats.histogram.as_ref(), style.how, style.cmap, style.background)
    }
    fn shade(shader: &FloatShader, values: &[f64], format: PixelFormat, out: &mut [u8]) {
        match format {
            PixelFormat::Rgba => shader.shade_rgba(values, out),
            PixelFormat::Rgb => shader.shade_rgb(values, out),
        }
    }
    fn write(values: &[f64], dtype: DType, out: &mut [u8]) {
        match dtype {
            DType::F32 => {
                for (o, v) in out.chunks_exact_mut(4).zip(values) {
                    o.copy_from_slice(&(*v as f32).to_le_bytes());
                }
            }
            _ => {
                for (o, v) in out.chunks_exact_mut(8).zip(values) {
                    o.copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
    /// Non-NaN: a float shading makes every non-NaN pixel opaque and every NaN one
    /// transparent.
    fn lit(values: &[f64], _channels: usize, out: &mut [u8]) {
        for (o, v) in out.iter_mut().zip(values) {
            *o = u8::from(!v.is_nan());
        }
    }
    fn color_scale(shader: &FloatShader) -> Option<ColorScale> {
        let range = shader.value_range()?;
        let shader = Arc::new(shader.clone());
        Some(ColorScale {
            colors: shader.colormap_samples(256),
            range,
            position: Arc::new(move |v| shader.position(v)),
        })
    }
    fn invisible(
        stats: &FloatPasses,
        shader: &FloatShader,
        style: &ShadeStyle<'_>,
        background: Color,
    ) -> Option<Invisible> {
        let histogram = stats.histogram.as_ref();
        crate::shade::visibility::invisible_floats(&stats.stats, histogram, shader, style.cmap, background)
    }
    fn is_empty(stats: &FloatPasses) -> bool {
        stats.stats.count() == 0
    }
    fn export_stats(stats: &FloatPasses, how: How) -> Option<SavedStats> {
        (Self::passes(how) == 1).then(|| SavedStats::Floats(SavedFloats::of(&stats.stats)))
    }
    fn import_stats(saved: &SavedStats, _channels: usize, how: How) -> Option<FloatPasses> {
        match saved {
            SavedStats::Floats(floats) if Self::passes(how) == 1 => {
                Some(FloatPasses { stats: floats.stats().ok()?, histogram: None })
            }
            _ => None,
        }
    }
}

/// The colours of the categories a style asks for (none: the default palette).
fn color_key(style: &ShadeStyle<'_>) -> Vec<Color> {
    style.color_key.map(<[Color]>::to_vec).unwrap_or_default()
}

/// Integer counts per category, shaded by Datashader's weighted colour mixing.
#[derive(Debug)]
pub struct CategoryFamily;

impl Family for CategoryFamily {
    type Value = u32;
    type Stats = CategoryStats;
    type Shader = CategoryShader;

    fn new_stats(channels: usize) -> CategoryStats {
        CategoryStats::new(channels)
    }
    fn passes(_how: How) -> u32 {
        1
    }
    fn gather(stats: &mut CategoryStats, _pass: u32, band: &impl BandValues<u32>) {
        let c = band.channels();
        // Once the canvas's census has given up, the bands skip it.
        let census = stats.census().is_open();
        let band = band.fold_tiles(
            || if census { CategoryStats::new(c) } else { CategoryStats::without_census(c) },
            |mut s, tile| {
                s.add_counts(tile);
                s
            },
            |mut a, b| {
                a.merge(&b);
                a
            },
        );
        stats.merge(&band);
    }
    fn shader(stats: &CategoryStats, style: &ShadeStyle<'_>) -> CategoryShader {
        CategoryShader::new(&color_key(style), style.how, 255, 40, stats, style.background)
    }
    fn palette(shader: &CategoryShader) -> Option<Arc<Palette>> {
        shader.palette().cloned()
    }
    fn invisible(
        stats: &CategoryStats,
        shader: &CategoryShader,
        _style: &ShadeStyle<'_>,
        background: Color,
    ) -> Option<Invisible> {
        crate::shade::visibility::invisible_categories(stats, shader, background)
    }
    fn is_empty(stats: &CategoryStats) -> bool {
        stats.totals().min_max().is_none()
    }
    fn export_stats(stats: &CategoryStats, _how: How) -> Option<SavedStats> {
        Some(SavedStats::Categories(stats.clone()))
    }
    fn import_stats(saved: &SavedStats, channels: usize, _how: How) -> Option<CategoryStats> {
        match saved {
            SavedStats::Categories(stats) if stats.categories() == channels => Some(stats.clone()),
            _ => None,
        }
    }
    fn shade(shader: &CategoryShader, counts: &[u32], format: PixelFormat, out: &mut [u8]) {
        match format {
            PixelFormat::Rgba => shader.shade_rgba(counts, out),
            PixelFormat::Rgb => shader.shade_rgb(counts, out),
        }
    }
    fn write(counts: &[u32], _dtype: DType, out: &mut [u8]) {
        for (o, &n) in out.chunks_exact_mut(4).zip(counts) {
            o.copy_from_slice(&n.to_le_bytes());
        }
    }
    fn lit(counts: &[u32], channels: usize, out: &mut [u8]) {
        for (o, pixel) in out.iter_mut().zip(counts.chunks_exact(channels.max(1))) {
            *o = u8::from(pixel.iter().any(|&n| n > 0));
        }
    }
}

/// Float32 coverage per category (NaN where a category has none), shaded by Datashader's
/// colour mixing with float weights.
#[derive(Debug)]
pub struct FloatCategoryFamily;

impl Family for FloatCategoryFamily {
    type Value = f32;
    type Stats = FloatCategoryStats;
    type Shader = FloatCategoryShader;

    fn new_stats(channels: usize) -> FloatCategoryStats {
        FloatCategoryStats::new(channels)
    }
    fn passes(how: How) -> u32 {
        FloatCategoryStats::passes(how)
    }
    fn gather(stats: &mut FloatCategoryStats, pass: u32, band: &impl BandValues<f32>) {
        for row in 0..band.rows() {
            band.for_each_piece(row, |_, values| stats.add_values(pass, values));
        }
    }
    fn end_pass(stats: &mut FloatCategoryStats, pass: u32, how: How) {
        stats.end_pass(pass, how);
    }
    fn shader(stats: &FloatCategoryStats, style: &ShadeStyle<'_>) -> FloatCategoryShader {
        FloatCategoryShader::new(&color_key(style), style.how, 255, 40, stats, style.background)
    }
    fn shade(shader: &FloatCategoryShader, values: &[f32], format: PixelFormat, out: &mut [u8]) {
        match format {
            PixelFormat::Rgba => shader.shade_rgba(values, out),
            PixelFormat::Rgb => shader.shade_rgb(values, out),
        }
    }
    fn write(values: &[f32], _dtype: DType, out: &mut [u8]) {
        for (o, v) in out.chunks_exact_mut(4).zip(values) {
            o.copy_from_slice(&v.to_le_bytes());
        }
    }
    fn lit(values: &[f32], channels: usize, out: &mut [u8]) {
        for (o, pixel) in out.iter_mut().zip(values.chunks_exact(channels.max(1))) {
            *o = u8::from(pixel.iter().any(|v| !v.is_nan()));
        }
    }
}
