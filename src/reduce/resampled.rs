//! The values of a raster resampled onto the canvas: the band is filled by the resampler
//! (`crate::glyph::raster`), not by fragments, and shaded as any float aggregate.

use crate::data::DType;
use crate::reduce::{FamilyValue, Fragment, NoValue, Reducer};
use crate::shade::family::FloatFamily;

/// Resampled raster values (NaN outside the raster or where only NaN cells fell),
/// exported as `dtype` (float32 or float64).
#[derive(Clone, Copy, Debug)]
pub struct Resampled {
    dtype: DType,
}

impl Resampled {
    /// Values exported as `dtype`.
    pub fn new(dtype: DType) -> Resampled {
        Resampled { dtype }
    }
}

impl Reducer for Resampled {
    type Cell = f64;
    type Family = FloatFamily;
    type Input = NoValue;
    const EMPTY: f64 = f64::NAN;

    fn dtype(&self) -> DType {
        self.dtype
    }
    /// Three f64 per pixel: the band, its statistics copy and the resampling buffers.
    fn plan_bytes(&self) -> u32 {
        24
    }
    /// A fragment sets the pixel's value (rasters are resampled, not drawn).
    fn fold(&self, tile: &mut [f64], pixel: usize, fragment: Fragment) {
        tile[pixel] = fragment.value;
    }
    /// The later value wins where it is not NaN.
    fn merge(&self, into: &mut f64, other: &f64) {
        if !other.is_nan() {
            *into = *other;
        }
    }
    fn values<'v>(&self, cells: &'v [f64], _scratch: &'v mut Vec<f64>) -> &'v [FamilyValue<Self>] {
        cells
    }
}
