//! Turns counts into colours with Datashader's `shade` semantics, from global statistics.

use crate::shade::{Color, Colormap, CountHistogram, How};

/// Maps counts to RGBA exactly as Datashader's `tf.shade(agg, cmap, how)` does on the whole
/// aggregate, then composites over a background colour.
///
/// Built once per render from the global [`CountHistogram`]; shading a pixel is a table
/// lookup for counts below 65,536.
#[derive(Clone, Debug)]
pub struct CountShader {
    _private: (),
}

impl CountShader {
    /// Prepares the mapping for a canvas whose non-zero counts are described by `histogram`.
    /// Zero counts get `background` (transparent by default, as in Datashader).
    pub fn new(histogram: &CountHistogram, how: How, cmap: &Colormap, background: Color) -> Self {
        let _ = (histogram, how, cmap, background);
        todo!()
    }

    /// The colour of one pixel with `count` points.
    pub fn shade(&self, count: u32) -> Color {
        let _ = count;
        todo!()
    }

    /// True when every pixel is opaque (an opaque background), so RGB output suffices.
    pub fn is_opaque(&self) -> bool {
        todo!()
    }

    /// Shades a row of counts into RGBA bytes (`out.len() == 4 * counts.len()`).
    pub fn shade_rgba(&self, counts: &[u32], out: &mut [u8]) {
        let _ = (counts, out);
        todo!()
    }

    /// Shades a row of counts into RGB bytes (`out.len() == 3 * counts.len()`); only
    /// meaningful when [`CountShader::is_opaque`].
    pub fn shade_rgb(&self, counts: &[u32], out: &mut [u8]) {
        let _ = (counts, out);
        todo!()
    }
}
