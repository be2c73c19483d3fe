//! How data values map onto the colormap, as a colorbar needs to draw it.

use std::sync::Arc;

use crate::shade::Color;

/// How data values map onto the colormap, for colorbars: the colormap sampled from its
/// low to its high end, the range of values shown, and where a value falls (0..1).
#[derive(Clone)]
pub struct ColorScale {
    /// The colormap, sampled evenly from position 0 to 1.
    pub colors: Vec<Color>,
    /// Smallest and largest value on the canvas.
    pub range: (f64, f64),
    /// A value's position along the colormap (non-linear under eq-hist and log), None
    /// outside the range.
    pub position: Arc<dyn Fn(f64) -> Option<f64> + Send + Sync>,
}

impl std::fmt::Debug for ColorScale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColorScale").field("colors", &self.colors.len()).field("range", &self.range).finish()
    }
}
