//! How shaded pixels are laid out in a row: what a shader writes and an encoder reads, so
//! neither depends on the other.

/// Byte layout of shaded pixels: straight (not premultiplied) 8-bit RGBA, or RGB when the
/// canvas is opaque and the alpha would always be 255.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelFormat {
    /// 8-bit RGBA, 4 bytes per pixel.
    Rgba,
    /// 8-bit RGB, 3 bytes per pixel, for opaque canvases.
    Rgb,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Rgba => 4,
            PixelFormat::Rgb => 3,
        }
    }

    /// RGB for an opaque canvas, RGBA otherwise.
    pub fn for_canvas(opaque: bool) -> PixelFormat {
        if opaque {
            PixelFormat::Rgb
        } else {
            PixelFormat::Rgba
        }
    }
}
