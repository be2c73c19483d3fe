//! Shading an aggregate already in memory: Datashader's `tf.shade(agg)` on a whole array,
//! for library (and Python) users who aggregate once and shade several ways.
//!
//! A render shades band by band from statistics gathered over the canvas; here the canvas
//! is one array, so the statistics come from the array itself and the bytes are those a
//! render of the same aggregate writes. Rows are shaded in parallel; the output is RGBA,
//! 4 bytes a pixel, in the input's row order.

use crate::parallel;
use crate::shade::family::{CountFamily, FloatFamily};
use crate::shade::{CategoryShader, CategoryStats, Color, Family, How, PixelFormat, ShadeStyle};

/// Rows per unit of parallel work when gathering statistics.
const ROWS_PER_CHUNK: usize = 64;

/// Shades `counts` (row-major, `width` pixels a row; 0 = empty) as a `count` or `any`
/// aggregate: Datashader's `tf.shade` with `style.how` and `style.cmap`, empty pixels
/// `style.background`.
pub fn shade_counts(counts: &[u32], width: usize, style: &ShadeStyle<'_>) -> Vec<u8> {
    shade_family::<CountFamily>(counts, width, 1, style)
}

/// Shades float `values` (row-major, `width` pixels a row; NaN = empty) as Datashader
/// shades a float aggregate (`sum`, `mean`, `min`, ...).
pub fn shade_values(values: &[f64], width: usize, style: &ShadeStyle<'_>) -> Vec<u8> {
    shade_family::<FloatFamily>(values, width, 1, style)
}

/// Shades per-category `counts` (row-major, `width` pixels a row, `channels` counts a
/// pixel) by Datashader's colour mixing: `color_key` (completed from the default key),
/// `how` for the alpha channel between `min_alpha` and `alpha`.
pub fn shade_categories(
    counts: &[u32],
    width: usize,
    channels: usize,
    color_key: &[Color],
    how: How,
    (min_alpha, alpha): (u8, u8),
    background: Color,
) -> Vec<u8> {
    let channels = channels.max(1);
    let stride = width * channels;
    let stats = if stride == 0 {
        CategoryStats::new(channels)
    } else {
        let chunks: Vec<&[u32]> = counts.chunks(stride * ROWS_PER_CHUNK).collect();
        let states = parallel::fold_indices(
            chunks.len(),
            || CategoryStats::new(channels),
            |mut s, i| {
                s.add_counts(chunks[i]);
                s
            },
        );
        let merged = states.into_iter().reduce(|mut a, b| {
            a.merge(&b);
            a
        });
        merged.unwrap_or_else(|| CategoryStats::new(channels))
    };
    let shader = CategoryShader::new(color_key, how, alpha, min_alpha, &stats, background);
    let mut out = vec![0u8; 4 * (counts.len() / channels)];
    if stride > 0 {
        let mut rows: Vec<&mut [u8]> = out.chunks_mut(4 * width).collect();
        parallel::for_each_mut(&mut rows, |i, o| shader.shade_rgba(&counts[i * stride..(i + 1) * stride], o));
    }
    out
}

/// The whole array as the one band a family reads.
struct WholeArray<'a, V> {
    values: &'a [V],
    width: usize,
    channels: usize,
}

impl<V: Sync> WholeArray<'_, V> {
    /// Values in one row.
    fn stride(&self) -> usize {
        self.width * self.channels
    }
}

impl<V: Sync> crate::shade::BandValues<V> for WholeArray<'_, V> {
    fn rows(&self) -> u32 {
        if self.stride() == 0 {
            0
        } else {
            (self.values.len() / self.stride()) as u32
        }
    }
    fn channels(&self) -> usize {
        self.channels
    }
    fn for_each_piece(&self, row: u32, mut f: impl FnMut(u32, &[V])) {
        let start = row as usize * self.stride();
        f(0, &self.values[start..start + self.stride()]);
    }
    fn fold_tiles<S: Send>(
        &self,
        init: impl Fn() -> S + Sync + Send,
        fold: impl Fn(S, &[V]) -> S + Sync + Send,
        merge: impl Fn(S, S) -> S + Sync + Send,
    ) -> S {
        if self.stride() == 0 {
            return init();
        }
        let chunks: Vec<&[V]> = self.values.chunks(self.stride() * ROWS_PER_CHUNK).collect();
        let states = parallel::fold_indices(chunks.len(), &init, |s, i| fold(s, chunks[i]));
        states.into_iter().reduce(&merge).unwrap_or_else(init)
    }
}

/// Gathers a family's statistics over the whole array, then shades every row.
fn shade_family<F: Family>(
    values: &[F::Value],
    width: usize,
    channels: usize,
    style: &ShadeStyle<'_>,
) -> Vec<u8> {
    let band = WholeArray { values, width, channels };
    let mut stats = F::new_stats(channels);
    for pass in 0..F::passes(style.how) {
        F::gather(&mut stats, pass, &band);
        F::end_pass(&mut stats, pass, style.how);
    }
    let shader = F::shader(&stats, style);
    let stride = band.stride();
    let mut out = vec![0u8; 4 * (values.len() / channels.max(1))];
    if stride > 0 {
        let mut rows: Vec<&mut [u8]> = out.chunks_mut(4 * width).collect();
        parallel::for_each_mut(&mut rows, |i, o| {
            F::shade(&shader, &values[i * stride..(i + 1) * stride], PixelFormat::Rgba, o)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shade::Colormap;

    fn style(cmap: &Colormap, how: How) -> ShadeStyle<'_> {
        ShadeStyle { how, cmap, background: Color::TRANSPARENT, color_key: None }
    }

    /// Empty pixels are transparent; the largest count gets the colormap's last colour and
    /// the smallest non-zero its first (Datashader's linear shade).
    #[test]
    fn counts_span_the_colormap() {
        let cmap = Colormap::from_colors("test", vec![[0, 0, 0], [255, 255, 255]]);
        let rgba = shade_counts(&[0, 1, 3, 5], 2, &style(&cmap, How::Linear));
        assert_eq!(rgba.len(), 16);
        assert_eq!(&rgba[0..4], &[0, 0, 0, 0]);
        assert_eq!(&rgba[4..8], &[0, 0, 0, 255]);
        assert_eq!(&rgba[12..16], &[255, 255, 255, 255]);
    }

    /// NaN is empty; shading a float array equals shading the same values as counts when
    /// they are whole numbers (Datashader shades both through the same interpolation).
    #[test]
    fn values_match_counts_of_the_same_numbers() {
        let cmap = Colormap::by_name("viridis").expect("viridis");
        for how in [How::Linear, How::Log, How::Cbrt, How::EqHist] {
            let counts: Vec<u32> = (0..64).map(|i| (i * 7) % 13).collect();
            let values: Vec<f64> =
                counts.iter().map(|&c| if c == 0 { f64::NAN } else { f64::from(c) }).collect();
            let from_values = shade_values(&values, 8, &style(&cmap, how));
            assert_eq!(from_values.len(), 256);
            assert!(from_values.chunks(4).zip(&counts).all(|(p, &c)| (p[3] == 0) == (c == 0)), "{how:?}");
        }
    }

    /// A pixel of one category takes that category's colour; empty pixels are transparent.
    #[test]
    fn categories_take_their_colours() {
        let key = [Color::parse("red").expect("red"), Color::parse("blue").expect("blue")];
        let counts = [0, 0, 2, 0, 0, 3];
        let rgba = shade_categories(&counts, 3, 2, &key, How::EqHist, (40, 255), Color::TRANSPARENT);
        assert_eq!(rgba[3], 0);
        assert_eq!(&rgba[4..7], &[255, 0, 0]);
        assert_eq!(&rgba[8..11], &[0, 0, 255]);
    }
}
