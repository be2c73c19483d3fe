//! Map projections of point columns: `--projection web-mercator` takes x and y as longitude
//! and latitude in degrees and renders them in EPSG:3857, so tiles overlay any web map.
//!
//! The projected coordinates are defined in float64 and then binned by the ordinary rule
//! ([`crate::canvas::Axis`]): x stays the longitude, y becomes the Mercator ordinate in
//! degree units, `ln(tan(pi/4 + lat * pi/360)) * 180/pi`, which is +-180 at
//! [`MAX_LATITUDE`]. Over the ranges [`WORLD`] x [`WORLD`] a `256 * 2^z`-pixel square canvas
//! is exactly the pixel grid of the XYZ tiles of zoom `z` (x eastward from the antimeridian,
//! y southward from the north edge); latitudes beyond +-[`MAX_LATITUDE`] fall outside the
//! y range and are dropped like any point outside the ranges.

use std::f64::consts::{FRAC_PI_4, PI};

use crate::data::source::ColumnReader;
use crate::data::{DType, PointColumns, Source};
use crate::error::Result;

/// The latitude where the Mercator ordinate reaches +-180 (the square world of web maps).
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// The range of longitudes and of projected ordinates covering the web-map world.
pub const WORLD: (f64, f64) = (-180.0, 180.0);

/// How x and y are projected before binning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Projection {
    /// x and y as they are.
    #[default]
    None,
    /// x, y = longitude, latitude in degrees, in EPSG:3857 (web Mercator).
    WebMercator,
}

impl std::str::FromStr for Projection {
    type Err = String;
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        match text {
            "none" => Ok(Projection::None),
            "web-mercator" => Ok(Projection::WebMercator),
            _ => Err(format!("unknown projection {text:?}; give web-mercator or none")),
        }
    }
}

/// The Mercator ordinate of latitude `lat` (degrees), in degree units: +-180 at
/// +-[`MAX_LATITUDE`], infinite at the poles, NaN beyond them.
pub fn mercator_y(lat: f64) -> f64 {
    (FRAC_PI_4 + lat * (PI / 360.0)).tan().ln() * (180.0 / PI)
}

/// The latitude of Mercator ordinate `y` (degree units), the inverse of [`mercator_y`].
pub fn latitude(y: f64) -> f64 {
    (2.0 * (y * (PI / 180.0)).exp().atan() - PI / 2.0) * (180.0 / PI)
}

/// `points` with y projected to [`mercator_y`] (x, the longitude, unchanged).
pub fn web_mercator(points: PointColumns<'_>) -> PointColumns<'_> {
    let PointColumns { x, y, value, series, value_placement } = points;
    PointColumns { x, y: Box::new(MercatorY(y)), value, series, value_placement }
}

/// A latitude column read as Mercator ordinates.
#[derive(Debug)]
struct MercatorY<'a>(Box<dyn Source + 'a>);

/// Projects latitudes in place.
fn project(values: &mut [f64]) {
    for v in values {
        *v = mercator_y(*v);
    }
}

impl Source for MercatorY<'_> {
    fn label(&self) -> String {
        self.0.label()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn dtype(&self) -> DType {
        DType::F64
    }
    fn read_f64(&self, start: usize, out: &mut [f64]) -> Result<()> {
        self.0.read_f64(start, out)?;
        project(out);
        Ok(())
    }
    fn reader(&self) -> Box<dyn ColumnReader + '_> {
        Box::new(MercatorReader(self.0.reader()))
    }
    fn release(&self, start: usize, len: usize) {
        self.0.release(start, len);
    }
    fn check_unchanged(&self) -> Result<()> {
        self.0.check_unchanged()
    }
    fn chunk_len(&self) -> Option<usize> {
        self.0.chunk_len()
    }
}

/// The reader of a [`MercatorY`] column: the latitude column's, projected.
struct MercatorReader<'a>(Box<dyn ColumnReader + 'a>);

impl ColumnReader for MercatorReader<'_> {
    fn read_f64(&mut self, start: usize, out: &mut [f64]) -> Result<()> {
        self.0.read_f64(start, out)?;
        project(out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_square_world_ends_at_max_latitude() {
        // tan(pi/4) rounds to just below 1: the equator maps a hair south of 0, which puts
        // it in the row south of the equator, as the slippy-map formula does.
        assert!(mercator_y(0.0) <= 0.0 && mercator_y(0.0) > -1e-12);
        assert!((mercator_y(MAX_LATITUDE) - 180.0).abs() < 1e-9);
        assert!((mercator_y(-MAX_LATITUDE) + 180.0).abs() < 1e-9);
        assert!(mercator_y(85.06) > 180.0 && mercator_y(-85.06) < -180.0);
        assert!(mercator_y(91.0).is_nan());
        for lat in [-80.0, -33.5, 0.25, 51.5, 85.0] {
            assert!((latitude(mercator_y(lat)) - lat).abs() < 1e-9, "{lat}");
        }
    }
}
