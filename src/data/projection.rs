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
use crate::error::{Error, Field, Result};
use crate::render::RenderOptions;

/// The latitude where the Mercator ordinate reaches +-180 (the square world of web maps).
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// The range of longitudes and of projected ordinates covering the web-map world.
pub const WORLD: (f64, f64) = (-180.0, 180.0);

/// How x and y are projected before binning (recorded in statistics files as `"none"` or
/// `"web-mercator"`, the command line's names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
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

/// The finest zoom of web-mercator tiles: a canvas of 256 x 2^22 pixels is 2^30 wide.
pub const MAX_ZOOM: u32 = 22;

impl Projection {
    /// True for [`Projection::None`] (statistics files then record no projection, as
    /// before projections existed).
    pub fn is_none(&self) -> bool {
        *self == Projection::None
    }

    /// `options` for x and y projected this way (the command line's `--projection` and the
    /// Python package's `projection=` share it). Web-mercator ranges are the world: for a
    /// pyramid of `pyramid_tile`-pixel tiles, the whole canvas, `pyramid_tile * 2^max_zoom`
    /// pixels square (no ranges may be given); for a flat render, the given longitudes and
    /// the given latitudes projected ([`mercator_y`]), each the world when not given.
    /// Errors name [`Field::MaxZoom`], [`Field::XRange`] or [`Field::YRange`].
    pub fn canvas(
        self,
        mut options: RenderOptions,
        pyramid_tile: Option<u32>,
        max_zoom: Option<u32>,
    ) -> Result<RenderOptions> {
        if self != Projection::WebMercator {
            return match max_zoom {
                Some(_) => {
                    Err(Error::bad_parameter(Field::MaxZoom, "applies to the web-mercator projection only"))
                }
                None => Ok(options),
            };
        }
        let Some(tile) = pyramid_tile else {
            if max_zoom.is_some() {
                return Err(Error::bad_parameter(
                    Field::MaxZoom,
                    problem!["applies to web-mercator pyramids only; add ", Field::PyramidDir.usage()],
                ));
            }
            options.x_range = Some(options.x_range.unwrap_or(WORLD));
            options.y_range =
                Some(options.y_range.map_or(WORLD, |(lo, hi)| (mercator_y(lo), mercator_y(hi))));
            return Ok(options);
        };
        let Some(z) = max_zoom else {
            return Err(Error::bad_parameter(
                Field::MaxZoom,
                problem!["web-mercator tiles need ", Field::MaxZoom.set("Z"), ", their finest zoom"],
            ));
        };
        if z > MAX_ZOOM {
            return Err(Error::bad_parameter(Field::MaxZoom, format!("must be 0 to {MAX_ZOOM}, not {z}")));
        }
        for (field, range) in [(Field::XRange, options.x_range), (Field::YRange, options.y_range)] {
            if range.is_some() {
                return Err(Error::bad_parameter(
                    field,
                    "web-mercator tiles cover the world; give no ranges",
                ));
            }
        }
        let side = u64::from(tile) << z;
        let side = u32::try_from(side).map_err(|_| {
            Error::bad_parameter(Field::MaxZoom, format!("zoom {z} makes a canvas of {side} px, too wide"))
        })?;
        (options.width, options.height) = (side, side);
        (options.x_range, options.y_range) = (Some(WORLD), Some(WORLD));
        Ok(options)
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
    fn the_web_mercator_canvas_is_the_world_or_the_projected_ranges() {
        let given =
            RenderOptions { x_range: Some((-30.0, 60.0)), y_range: Some((0.0, 45.0)), ..Default::default() };
        let flat = Projection::WebMercator.canvas(given.clone(), None, None).unwrap();
        assert_eq!(
            (flat.x_range, flat.y_range),
            (Some((-30.0, 60.0)), Some((mercator_y(0.0), mercator_y(45.0))))
        );
        let world = Projection::WebMercator.canvas(RenderOptions::default(), None, None).unwrap();
        assert_eq!((world.x_range, world.y_range), (Some(WORLD), Some(WORLD)));
        let tiles = Projection::WebMercator.canvas(RenderOptions::default(), Some(128), Some(3)).unwrap();
        assert_eq!(
            (tiles.width, tiles.height, tiles.x_range, tiles.y_range),
            (1024, 1024, Some(WORLD), Some(WORLD))
        );
        assert_eq!(Projection::None.canvas(given.clone(), Some(128), None).unwrap().y_range, given.y_range);
        let refused = |projection: Projection, options: RenderOptions, tile, zoom| {
            projection.canvas(options, tile, zoom).unwrap_err().to_string()
        };
        let default = RenderOptions::default;
        assert_eq!(
            refused(Projection::WebMercator, default(), Some(256), None),
            "max_zoom: web-mercator tiles need max_zoom=Z, their finest zoom"
        );
        assert_eq!(
            refused(Projection::WebMercator, given, Some(256), Some(2)).split(':').next(),
            Some("x_range")
        );
        assert!(refused(Projection::WebMercator, default(), Some(256), Some(23)).contains("must be 0 to 22"));
        assert!(refused(Projection::WebMercator, default(), Some(1 << 12), Some(22)).contains("too wide"));
        assert!(
            refused(Projection::WebMercator, default(), None, Some(2)).contains("web-mercator pyramids only")
        );
        assert!(
            refused(Projection::None, default(), Some(256), Some(2)).contains("web-mercator projection only")
        );
    }

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
