//! Datashader's `tf.spread` as a sink adapter: spreads the shaded canvas before another
//! sink (the PNG or the figure) sees it, with no change to the pipeline.
//!
//! [`SpreadSink`] shades every row of the bands it receives as RGBA (rendered over a
//! transparent background, as Datashader shades before it spreads), keeps a sliding window
//! of shaded rows across band boundaries, and hands the inner sink bands of spread rows
//! once every row within `px` below them is known: a spread row is computed on demand from
//! the window ([`Spreader::spread_row`]), then composited over the background
//! (Datashader's `set_background` after `spread`). The window holds at most
//! `CHUNK_ROWS + 2 px` rows, so memory is `O(px * width)` whatever the band height, and
//! the output does not depend on how the canvas was split into bands.
//!
//! [`SpreadSink::dynamic`] is `tf.dynspread`: the render decides one spread for the whole
//! canvas before the first band (from its statistics pass) and tells it with every band
//! ([`Band::spread_px`]); the sink spreads by that.

use std::collections::VecDeque;
use std::sync::Arc;

use super::{Band, CanvasInfo, ColorScale, Palette, PixelFormat, Sink};
use crate::error::{Error, Result};
use crate::shade::{Color, Shape, Spreader};

/// Spread rows handed to the inner sink per band (at least; more when `2 px + 1` is larger).
const CHUNK_ROWS: usize = 32;

/// One shaded canvas row and its raw aggregate (aggregates are passed through unspread).
#[derive(Default)]
struct Row {
    rgba: Vec<u8>,
    aggregate: Vec<u8>,
}

/// A [`Sink`] that spreads the shaded canvas by `px` pixels before passing it to `inner`.
pub struct SpreadSink {
    inner: Box<dyn Sink>,
    spreader: Spreader,
    /// Composited under the spread pixels (the render itself shades over transparent).
    background: Color,
    canvas: Option<CanvasInfo>,
    /// Shaded rows `window_y0 ..`, the rows later spread rows still depend on.
    window: VecDeque<Row>,
    window_y0: u32,
    /// Rows shaded so far (the next row expected from a band).
    shaded: u32,
    /// The next row to hand to the inner sink.
    next_out: u32,
    /// Rows dropped from the window, reused for new rows.
    spare: Vec<Row>,
    /// The colour scale of the render's bands, for the inner sink's colorbar.
    scale: Option<ColorScale>,
    /// Spread rows per band handed on.
    chunk: u32,
    /// With `--dynspread`: the mask shape of the spread the bands will tell.
    dynamic: Option<Shape>,
    /// The bands' palette composited over the background, when the spread is 0 px (a
    /// wider spread composites neighbours into colours no palette foresees).
    palette: Option<Arc<Palette>>,
}

impl SpreadSink {
    /// Spreads with `spreader` what the render shades (over a transparent background) and
    /// hands it, composited over `background`, to `inner`. Bands come in image order, so
    /// the spreader stamps them as [`Spreader::for_image_rows`].
    pub fn new(inner: Box<dyn Sink>, spreader: Spreader, background: Color) -> SpreadSink {
        let spreader = spreader.for_image_rows();
        let chunk = CHUNK_ROWS.max(2 * spreader.halo() + 1) as u32;
        SpreadSink {
            inner,
            spreader,
            background,
            canvas: None,
            window: VecDeque::new(),
            window_y0: 0,
            shaded: 0,
            next_out: 0,
            spare: Vec::new(),
            scale: None,
            chunk,
            dynamic: None,
            palette: None,
        }
    }

    /// Spreads by the px the render's bands tell ([`Band::spread_px`], `--dynspread`'s
    /// global decision) with a mask of `shape`; otherwise as [`SpreadSink::new`].
    pub fn dynamic(inner: Box<dyn Sink>, shape: Shape, background: Color) -> SpreadSink {
        SpreadSink { dynamic: Some(shape), ..SpreadSink::new(inner, Spreader::new(0, shape), background) }
    }

    /// Before the first band of a dynamic spread: takes the spread the render chose.
    fn take_decision(&mut self, band: &dyn Band) -> Result<()> {
        let Some(shape) = self.dynamic.take() else {
            return Ok(());
        };
        let px = band.spread_px().ok_or_else(|| {
            Error::usage("SpreadSink", "the render chose no spread for the canvas; render with dynspread set")
        })?;
        self.spreader = Spreader::new(px, shape).for_image_rows();
        self.chunk = CHUNK_ROWS.max(2 * px + 1) as u32;
        Ok(())
    }

    /// Hands the inner sink every spread row that can be computed: rows whose `px` rows
    /// below are shaded, in bands of `chunk` rows, or all remaining rows at the end.
    fn emit_ready(&mut self, canvas: &CanvasInfo) -> Result<()> {
        let px = self.spreader.halo() as u32;
        loop {
            let complete = self.shaded == canvas.height;
            let ready = if complete { self.shaded } else { self.shaded.saturating_sub(px) };
            let rows = ready.saturating_sub(self.next_out);
            if rows == 0 || (!complete && rows < self.chunk) {
                return Ok(());
            }
            let height = rows.min(self.chunk);
            let band = SpreadBand {
                y0: self.next_out,
                height,
                window: &self.window,
                window_y0: self.window_y0,
                spreader: &self.spreader,
                background: self.background,
                scale: &self.scale,
                canvas_height: canvas.height,
                palette: &self.palette,
            };
            self.inner.band(&band)?;
            self.next_out += height;
            self.drop_unneeded_rows();
        }
    }

    /// Moves rows no future spread row depends on from the window to the spares.
    fn drop_unneeded_rows(&mut self) {
        let keep_from = self.next_out.saturating_sub(self.spreader.halo() as u32);
        while self.window_y0 < keep_from {
            let Some(row) = self.window.pop_front() else { break };
            self.spare.push(row);
            self.window_y0 += 1;
        }
    }
}

impl Sink for SpreadSink {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        self.canvas = Some(*canvas);
        self.inner.begin(&CanvasInfo { opaque: self.background.is_opaque(), ..*canvas })
    }

    fn band(&mut self, band: &dyn Band) -> Result<()> {
        let canvas = self
            .canvas
            .ok_or_else(|| Error::usage("SpreadSink", "the spread sink was used before begin()"))?;
        if band.y0() != self.shaded {
            return Err(Error::usage(
                "SpreadSink",
                format!("band starting at row {} given after {} rows", band.y0(), self.shaded),
            ));
        }
        if self.scale.is_none() {
            self.scale = band.color_scale();
        }
        self.take_decision(band)?;
        if band.y0() == 0 && self.spreader.halo() == 0 {
            let background = self.background;
            let over = |c: &[u8; 4]| {
                let pixel = Color { r: c[0], g: c[1], b: c[2], a: c[3] };
                if background.a != 0 { pixel.over(background) } else { pixel }.to_array()
            };
            let composited = band.palette().and_then(|p| Palette::from_colors(p.colors().iter().map(over)));
            self.palette = composited.map(Arc::new);
        }
        let width = canvas.width as usize;
        let aggregate_len = width * canvas.aggregate_channels as usize * canvas.aggregate_dtype.size();
        for row in 0..band.height() {
            let mut shaded = self.spare.pop().unwrap_or_default();
            shaded.rgba.resize(4 * width, 0);
            shaded.aggregate.resize(aggregate_len, 0);
            band.shade_row(row, PixelFormat::Rgba, &mut shaded.rgba);
            band.aggregate_row(row, &mut shaded.aggregate);
            self.window.push_back(shaded);
            self.shaded += 1;
            self.emit_ready(&canvas)?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        let canvas = self
            .canvas
            .ok_or_else(|| Error::usage("SpreadSink", "the spread sink was finished before begin()"))?;
        if self.shaded != canvas.height {
            return Err(Error::usage(
                "SpreadSink",
                format!("the render ended after {} of {} rows", self.shaded, canvas.height),
            ));
        }
        self.emit_ready(&canvas)?;
        self.inner.finish()
    }

    /// The background composited after spreading.
    fn backdrop(&self) -> Option<Color> {
        Some(self.background)
    }
}

/// Spread rows `y0 .. y0 + height` computed on demand from the window of a [`SpreadSink`].
struct SpreadBand<'a> {
    y0: u32,
    height: u32,
    window: &'a VecDeque<Row>,
    window_y0: u32,
    spreader: &'a Spreader,
    background: Color,
    scale: &'a Option<ColorScale>,
    canvas_height: u32,
    palette: &'a Option<Arc<Palette>>,
}

impl SpreadBand<'_> {
    /// The window row holding canvas row `y`.
    fn row(&self, y: u32) -> &Row {
        &self.window[(y - self.window_y0) as usize]
    }
}

impl Band for SpreadBand<'_> {
    fn y0(&self) -> u32 {
        self.y0
    }

    fn height(&self) -> u32 {
        self.height
    }

    fn shade_row(&self, row: u32, format: PixelFormat, out: &mut [u8]) {
        let y = self.y0 + row;
        let px = self.spreader.halo() as u32;
        let lo = y.saturating_sub(px);
        let hi = (y + px + 1).min(self.canvas_height);
        let rows: Vec<&[u8]> = (lo..hi).map(|s| self.row(s).rgba.as_slice()).collect();
        let width = rows[0].len() / 4;
        let mut spread = vec![0u8; 4 * width];
        self.spreader.spread_row(&rows, (y - lo) as usize, &mut spread);
        let background = self.background;
        let bytes = format.bytes_per_pixel();
        for (src, dst) in spread.chunks_exact(4).zip(out.chunks_exact_mut(bytes)) {
            let mut pixel = Color { r: src[0], g: src[1], b: src[2], a: src[3] };
            if background.a != 0 {
                pixel = pixel.over(background);
            }
            dst.copy_from_slice(&pixel.to_array()[..bytes]);
        }
    }

    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        out.copy_from_slice(&self.row(self.y0 + row).aggregate);
    }

    fn color_scale(&self) -> Option<ColorScale> {
        self.scale.clone()
    }

    fn palette(&self) -> Option<Arc<Palette>> {
        self.palette.clone()
    }
}

#[cfg(test)]
mod tests;
