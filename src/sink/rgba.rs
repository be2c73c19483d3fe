//! The shaded canvas as an image in memory, for library (and Python) users who want
//! pixels, not files: width x height x 4 bytes of straight (not premultiplied) RGBA, top
//! row first, the same pixels a PNG of the same render decodes to (with alpha 255 where the
//! PNG is RGB, on an opaque canvas).

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::sink::memory::{allocate, Finished, IN_MEMORY_LIMIT};
use crate::sink::{Band, CanvasInfo, PixelFormat, Sink};

/// A shaded canvas in memory: `height` rows of `width` straight-RGBA pixels, top row
/// first. Hand [`RgbaImage::into_pixels`] and [`RgbaImage::shape`] to NumPy as a
/// `(height, width, 4)` uint8 array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbaImage {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl RgbaImage {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// `[height, width, 4]`: the shape of [`RgbaImage::pixels`] as an array.
    pub fn shape(&self) -> [usize; 3] {
        [self.height as usize, self.width as usize, 4]
    }

    /// All pixels, row by row from the top, 4 bytes (R, G, B, A) each.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Row `y` (0 = top): `4 * width` bytes.
    pub fn row(&self, y: u32) -> &[u8] {
        let stride = self.width as usize * 4;
        &self.pixels[y as usize * stride..(y as usize + 1) * stride]
    }

    /// The pixel at column `x`, row `y` (0 = top) as `[r, g, b, a]`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let at = (y as usize * self.width as usize + x as usize) * 4;
        [self.pixels[at], self.pixels[at + 1], self.pixels[at + 2], self.pixels[at + 3]]
    }

    /// The pixel buffer, without copying.
    pub fn into_pixels(self) -> Vec<u8> {
        self.pixels
    }
}

/// A [`Sink`] keeping the shaded canvas as an [`RgbaImage`], handed back through the
/// [`Finished`] made with it. Canvases whose image would take more than a limit
/// ([`IN_MEMORY_LIMIT`] by default) are refused when the render begins.
#[derive(Debug)]
pub struct RgbaSink {
    limit: u64,
    image: Option<RgbaImage>,
    rows_done: u32,
    finished: Finished<RgbaImage>,
}

impl RgbaSink {
    /// A sink refusing images over [`IN_MEMORY_LIMIT`] bytes, and the handle its image
    /// comes through.
    pub fn new() -> (RgbaSink, Finished<RgbaImage>) {
        RgbaSink::with_limit(IN_MEMORY_LIMIT)
    }

    /// A sink refusing images over `limit` bytes (`4 * width * height`), and the handle its
    /// image comes through.
    pub fn with_limit(limit: u64) -> (RgbaSink, Finished<RgbaImage>) {
        let finished = Finished::new();
        (RgbaSink { limit, image: None, rows_done: 0, finished: finished.clone() }, finished)
    }
}

impl Sink for RgbaSink {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        let (width, height) = (canvas.width, canvas.height);
        let bytes = u64::from(width) * u64::from(height) * 4;
        let what = format!("a {width} x {height} RGBA image");
        let pixels = allocate("RgbaSink", &what, bytes, self.limit)?;
        self.image = Some(RgbaImage { width, height, pixels });
        self.rows_done = 0;
        Ok(())
    }

    fn band(&mut self, band: &dyn Band) -> Result<()> {
        let Some(image) = self.image.as_mut() else { return Err(not_begun()) };
        if band.y0() != self.rows_done || band.y0() + band.height() > image.height {
            return Err(Error::usage(
                "RgbaSink",
                format!(
                    "band of rows {}..{} given after {} rows",
                    band.y0(),
                    band.y0() + band.height(),
                    self.rows_done
                ),
            ));
        }
        let stride = image.width as usize * 4;
        let start = band.y0() as usize * stride;
        let rows = &mut image.pixels[start..start + band.height() as usize * stride];
        rows.par_chunks_mut(stride).enumerate().for_each(|(row, out)| {
            band.shade_row(row as u32, PixelFormat::Rgba, out);
        });
        self.rows_done += band.height();
        Ok(())
    }

    /// Only the band's RGBA is read.
    fn reads_shaded_only(&self) -> bool {
        true
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        let image = self.image.take().ok_or_else(not_begun)?;
        if self.rows_done != image.height {
            return Err(Error::usage(
                "RgbaSink",
                format!("the image has {} rows but only {} were given", image.height, self.rows_done),
            ));
        }
        self.finished.put(image);
        Ok(())
    }
}

/// The error for a sink used before `begin`.
fn not_begun() -> Error {
    Error::usage("RgbaSink", "the RGBA sink was used before begin()")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DType;

    /// A band whose pixel (x, y) is `[x, y, x + y, 200]`.
    struct Ramp {
        y0: u32,
        height: u32,
    }

    impl Band for Ramp {
        fn y0(&self) -> u32 {
            self.y0
        }
        fn height(&self) -> u32 {
            self.height
        }
        fn shade_row(&self, row: u32, format: PixelFormat, out: &mut [u8]) {
            assert_eq!(format, PixelFormat::Rgba);
            let y = (self.y0 + row) as u8;
            for (x, px) in out.chunks_exact_mut(4).enumerate() {
                px.copy_from_slice(&[x as u8, y, x as u8 + y, 200]);
            }
        }
        fn aggregate_row(&self, _row: u32, _out: &mut [u8]) {}
    }

    fn canvas(width: u32, height: u32, opaque: bool) -> CanvasInfo {
        CanvasInfo {
            width,
            height,
            opaque,
            aggregate_dtype: DType::U32,
            aggregate_channels: 1,
            axes: Default::default(),
        }
    }

    #[test]
    fn bands_fill_the_image_top_row_first() {
        let (sink, finished) = RgbaSink::new();
        let mut sink: Box<dyn Sink> = Box::new(sink);
        // Even on an opaque canvas the image is RGBA.
        sink.begin(&canvas(5, 7, true)).unwrap();
        assert!(finished.take().is_none());
        sink.band(&Ramp { y0: 0, height: 3 }).unwrap();
        sink.band(&Ramp { y0: 3, height: 4 }).unwrap();
        sink.finish().unwrap();
        let image = finished.take().unwrap();
        assert_eq!((image.width(), image.height(), image.shape()), (5, 7, [7, 5, 4]));
        assert_eq!(image.pixel(4, 6), [4, 6, 10, 200]);
        assert_eq!(image.row(2), &[0, 2, 2, 200, 1, 2, 3, 200, 2, 2, 4, 200, 3, 2, 5, 200, 4, 2, 6, 200]);
        let pixels = image.into_pixels();
        assert_eq!(pixels.len(), 5 * 7 * 4);
        assert!(finished.take().is_none(), "taken once");
    }

    #[test]
    fn images_over_the_limit_are_refused_before_any_band() {
        let (mut sink, finished) = RgbaSink::with_limit(5 * 7 * 4 - 1);
        let err = sink.begin(&canvas(5, 7, false)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "RgbaSink: a 5 x 7 RGBA image takes 140 bytes in memory, over the limit of 139 bytes \
             (raise it with RgbaSink::with_limit); write a PNG, an .npy file or a tile pyramid instead"
        );
        let (mut sink, _) = RgbaSink::new();
        let err = sink.begin(&canvas(65536, 65536, false)).unwrap_err().to_string();
        assert!(err.contains("a 65536 x 65536 RGBA image takes 17179869184 bytes"), "{err}");
        assert!(finished.take().is_none());
    }

    #[test]
    fn missing_and_misplaced_bands_are_errors() {
        let (mut sink, finished) = RgbaSink::new();
        sink.begin(&canvas(2, 4, false)).unwrap();
        sink.band(&Ramp { y0: 0, height: 2 }).unwrap();
        let err = sink.band(&Ramp { y0: 3, height: 1 }).unwrap_err();
        assert_eq!(err.to_string(), "RgbaSink: band of rows 3..4 given after 2 rows");
        let err = Box::new(sink).finish().unwrap_err();
        assert_eq!(err.to_string(), "RgbaSink: the image has 4 rows but only 2 were given");
        assert!(finished.take().is_none());
    }
}
