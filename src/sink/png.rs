//! Streaming PNG output whose compression runs on all cores.
//!
//! Rows are cut into segments at fixed row indices (independent of bands, tiles and
//! threads), each segment filtered and deflated on its own, and the segments are joined into
//! one zlib stream in order, so the file is byte-identical however the render was split.

use std::path::Path;
use std::str::FromStr;

use crate::error::Result;
use crate::sink::{Band, CanvasInfo, Sink};

/// Pixel layout of the PNG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelFormat {
    /// 8-bit RGBA (colour type 6).
    Rgba,
    /// 8-bit RGB (colour type 2), for opaque canvases.
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
}

/// Speed against file size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Compression {
    /// Fast: memory-speed encoding, larger files (default).
    #[default]
    Fast,
    /// Small: zlib-style compression, several times slower, smaller files.
    Small,
}

impl FromStr for Compression {
    type Err = String;
    fn from_str(text: &str) -> Result<Compression, String> {
        let _ = text;
        todo!()
    }
}

/// A PNG file written row by row, compressed in parallel segments, under a temporary name.
#[derive(Debug)]
pub struct PngWriter {
    _private: (),
}

impl PngWriter {
    /// Starts a PNG of `width` x `height` pixels. Fails if either is 0 or over 2^31 - 1.
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        format: PixelFormat,
        compression: Compression,
    ) -> Result<PngWriter> {
        let _ = (path, width, height, format, compression);
        todo!()
    }

    /// Appends the next `rows` rows; `fill_row(i, out)` writes the pixels of row i of this
    /// call (0-based) into `out` (`width * bytes_per_pixel` bytes). It is called exactly once
    /// per row, from several threads. The bytes written do not depend on how rows are split
    /// into calls or on the thread count.
    pub fn write_rows(
        &mut self,
        rows: usize,
        fill_row: &(dyn Fn(usize, &mut [u8]) + Sync),
    ) -> Result<()> {
        let _ = (rows, fill_row);
        todo!()
    }

    /// Writes the end of the stream after checking every row was given, then commits.
    pub fn finish(self) -> Result<()> {
        todo!()
    }
}

/// A [`Sink`] writing the shaded canvas to a PNG (RGB when the canvas is opaque).
#[derive(Debug)]
pub struct PngSink {
    _private: (),
}

impl PngSink {
    /// A PNG sink writing to `path` (created when the render begins).
    pub fn new(path: &Path, compression: Compression) -> PngSink {
        let _ = (path, compression);
        todo!()
    }
}

impl Sink for PngSink {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        let _ = canvas;
        todo!()
    }
    fn band(&mut self, band: &dyn Band) -> Result<()> {
        let _ = band;
        todo!()
    }
    fn finish(self: Box<Self>) -> Result<()> {
        todo!()
    }
}
