//! A PNG sink that frames the data in a figure: margins with axes, ticks, labels, title and
//! colorbar around the data area, drawn band by band as the data bands arrive.
//!
//! The figure's size depends on its colorbar, whose ticks need the global statistics, so
//! the PNG is started when the first band arrives (the output is opened at `begin`, before
//! any work, so a bad path fails at once). The figure rows above the data area are written
//! with the first band, those below it at `finish`; decorations are drawn for the rows
//! being written only ([`Figure::draw_band`]), never onto a full-size buffer.
//!
//! When the band's shader knows every colour of the plot ([`Band::palette`]: counts) and
//! the decorations' colours (grid lines over the data included) fit beside them, the figure
//! is drawn palette-ready and written with indexed colour ([`crate::figure::palette`]);
//! otherwise truecolour, as before.
//!
//! Like the plain PNG sink, it writes to a file ([`FigureSink::new`]) or any writer
//! ([`FigureSink::to_writer`]).

use std::io::Write;
use std::path::Path;

use crate::data::Source;
use crate::error::{Error, Result};
use crate::figure::categories::{entries, known_labels, numbered};
use crate::figure::palette::FigurePalette;
use crate::figure::{AxisSpec, ColorbarSpec, Figure, FigureSpec};
use crate::io::AtomicFile;
use crate::shade::Color;
use crate::sink::destination::Destination;
use crate::sink::png::PngColor;
use crate::sink::{Band, CanvasInfo, Compression, Finished, PixelFormat, PngWriter, Sink};

/// Rows of figure margin written per PNG call (bounded buffers for tall margins).
const MARGIN_ROWS: u32 = 256;

/// A [`Sink`] writing the figure (data area plus decorations) as a PNG to a file or any
/// writer.
pub struct FigureSink<W: Write + Send = AtomicFile> {
    destination: Destination<W>,
    /// The output, opened at `begin`, until the PNG starts with the first band.
    out: Option<W>,
    compression: Compression,
    spec: Option<FigureSpec>,
    colorbar: Option<Option<String>>,
    data: (u32, u32),
    state: Option<(Figure, PngWriter<W>, PixelFormat)>,
    /// A legend of numbered categories to make at `begin`, when the render has counted
    /// them, with this colour key ([`FigureSink::with_category_legend`]).
    numbered_legend: Option<Option<Vec<Color>>>,
    /// The figure's palette when it is written with indexed colour.
    indexed: Option<FigurePalette>,
    /// Draws a palette figure's pixels but writes them truecolour ([`FigureSink::truecolour`]).
    truecolour: bool,
}

impl FigureSink<AtomicFile> {
    /// A figure PNG at `path` drawn from `spec` (its axes are set to the render's); with
    /// `colorbar` = Some(label), a colorbar of the render's colour scale is added.
    pub fn new(
        path: &Path,
        compression: Compression,
        spec: FigureSpec,
        colorbar: Option<Option<String>>,
    ) -> FigureSink<AtomicFile> {
        FigureSink::with_destination(Destination::file(path), compression, spec, colorbar)
    }
}

impl<W: Write + Send + 'static> FigureSink<W> {
    /// [`FigureSink::new`] writing the PNG into `writer`, which comes back through the
    /// [`Finished`] once the render has finished.
    pub fn to_writer(
        writer: W,
        compression: Compression,
        spec: FigureSpec,
        colorbar: Option<Option<String>>,
    ) -> (FigureSink<W>, Finished<W>) {
        let (destination, finished) = Destination::writer(writer, "figure PNG stream");
        (FigureSink::with_destination(destination, compression, spec, colorbar), finished)
    }
}

impl<W: Write + Send> FigureSink<W> {
    fn with_destination(
        destination: Destination<W>,
        compression: Compression,
        spec: FigureSpec,
        colorbar: Option<Option<String>>,
    ) -> FigureSink<W> {
        FigureSink {
            destination,
            out: None,
            compression,
            spec: Some(spec),
            colorbar,
            data: (0, 0),
            state: None,
            numbered_legend: None,
            indexed: None,
            truecolour: false,
        }
    }

    /// Writes the figure truecolour even when it fits a palette, with the pixels the
    /// indexed figure would decode to (for tests and measurements: the two files hold the
    /// same pixels).
    #[doc(hidden)]
    pub fn truecolour(mut self) -> FigureSink<W> {
        self.truecolour = true;
        self
    }

    /// Adds the legend of a count-cat render of the category column `value`, the entries
    /// [`crate::category_legend`] lists, without its pass over the column: when neither
    /// `labels` nor the column name the categories, they are numbered up to the count the
    /// render's own statistics pass finds (the aggregate's channels at `begin`).
    pub fn with_category_legend(
        mut self,
        labels: Option<&[String]>,
        color_key: Option<&[Color]>,
        value: &dyn Source,
    ) -> FigureSink<W> {
        match known_labels(labels, value) {
            Some(names) => {
                if let Some(spec) = self.spec.as_mut() {
                    spec.legend = Some(entries(names, color_key));
                }
            }
            None => self.numbered_legend = Some(color_key.map(<[Color]>::to_vec)),
        }
        self
    }

    /// The error for a sink used before `begin`.
    fn not_begun(&self) -> Error {
        Error::usage(self.destination.name().display().to_string(), "the figure sink was used before begin()")
    }

    /// Builds the figure and starts the PNG, once the colour scale is known.
    fn start(&mut self, band: &dyn Band) -> Result<()> {
        let (Some(mut spec), Some(out)) = (self.spec.take(), self.out.take()) else {
            return Err(self.not_begun());
        };
        if let (Some(label), Some(scale)) = (self.colorbar.clone(), band.color_scale()) {
            let position = scale.position.clone();
            spec.colorbar = Some(ColorbarSpec {
                colors: scale.colors,
                value_range: scale.range,
                position: Box::new(move |v| position(v)),
                label,
            });
        }
        let mut figure = Figure::new(spec, self.data.0, self.data.1)?;
        // A plot whose colours are known (counts) keeps its palette when the decorations'
        // colours fit beside it (`figure::palette`); the figure is then drawn palette-ready.
        self.indexed = band.palette().and_then(|data| crate::figure::palette::plan(&mut figure, &data));
        let (w, h) = figure.size();
        let format = PixelFormat::for_canvas(figure.background().is_opaque());
        let color = match &self.indexed {
            Some(indexed) if !self.truecolour => PngColor::Indexed(indexed.palette.clone()),
            _ => PngColor::Direct(format),
        };
        if self.truecolour {
            self.indexed = None;
        }
        let png = PngWriter::start(out, self.destination.name(), w, h, &color, self.compression)?;
        self.state = Some((figure, png, format));
        let oy = self.state.as_ref().map_or(0, |s| s.0.data_origin().1);
        self.margin(0, oy)
    }

    /// Writes figure rows `y0 .. y1` that hold no data (margins).
    fn margin(&mut self, y0: u32, y1: u32) -> Result<()> {
        let (figure, png, format) = self.state.as_mut().expect("started");
        let indexed = self.indexed.as_ref();
        let mut y = y0;
        while y < y1 {
            let rows = MARGIN_ROWS.min(y1 - y);
            let deco = figure.draw_band(y, rows);
            let width = figure.size().0 as usize;
            let fill = |i: usize, out: &mut [u8]| {
                if let Some(indexed) = indexed {
                    return indexed.margin_row(figure, &deco, y + i as u32, out);
                }
                let mut rgba = vec![0u8; width * 4];
                figure.compose_row(&deco, y + i as u32, None, &mut rgba);
                write_pixels(&rgba, *format, out);
            };
            png.write_rows(rows as usize, &fill)?;
            y += rows;
        }
        Ok(())
    }
}

/// Copies straight RGBA into `out` as RGBA or RGB.
fn write_pixels(rgba: &[u8], format: PixelFormat, out: &mut [u8]) {
    match format {
        PixelFormat::Rgba => out.copy_from_slice(rgba),
        PixelFormat::Rgb => {
            for (o, p) in out.chunks_exact_mut(3).zip(rgba.chunks_exact(4)) {
                o.copy_from_slice(&p[..3]);
            }
        }
    }
}

impl<W: Write + Send> Sink for FigureSink<W> {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        self.data = (canvas.width, canvas.height);
        if let Some(spec) = self.spec.as_mut() {
            if let Some(key) = self.numbered_legend.take() {
                spec.legend = Some(entries(numbered(canvas.aggregate_channels as usize), key.as_deref()));
            }
            let ((x_range, x_scale), (y_range, y_scale)) = canvas.axes;
            spec.x = AxisSpec { range: x_range, scale: x_scale };
            spec.y = AxisSpec { range: y_range, scale: y_scale };
        }
        // Fail on a bad output path now, not after the render.
        self.out = Some(self.destination.open()?);
        Ok(())
    }

    fn band(&mut self, band: &dyn Band) -> Result<()> {
        if self.state.is_none() {
            self.start(band)?;
        }
        let (figure, png, format) = self.state.as_mut().expect("started");
        let y0 = figure.data_origin().1 + band.y0();
        let deco = figure.draw_band(y0, band.height());
        let (width, data_width) = (figure.size().0 as usize, self.data.0 as usize);
        let background = figure.background();
        let indexed = self.indexed.as_ref();
        let fill = |i: usize, out: &mut [u8]| {
            if let Some(indexed) = indexed {
                return indexed.data_row(figure, &deco, band, i as u32, y0 + i as u32, out);
            }
            let mut data = vec![0u8; data_width * 4];
            band.shade_row(i as u32, PixelFormat::Rgba, &mut data);
            let bg = background.to_array();
            for px in data.chunks_exact_mut(4) {
                match px[3] {
                    255 => {}
                    0 => px.copy_from_slice(&bg),
                    _ => {
                        let c = Color { r: px[0], g: px[1], b: px[2], a: px[3] }.over(background);
                        px.copy_from_slice(&c.to_array());
                    }
                }
            }
            let mut rgba = vec![0u8; width * 4];
            figure.compose_row(&deco, y0 + i as u32, Some(&data), &mut rgba);
            write_pixels(&rgba, *format, out);
        };
        png.write_rows(band.height() as usize, &fill)
    }

    /// The plot is drawn from the band's indices or RGBA, the colorbar from its colour
    /// scale.
    fn reads_shaded_only(&self) -> bool {
        true
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        let (h, bottom) = match self.state.as_ref() {
            Some((figure, _, _)) => (figure.size().1, figure.data_origin().1 + self.data.1),
            None => return Ok(()),
        };
        self.margin(bottom, h)?;
        let (_, png, _) = self.state.take().expect("started");
        let out = png.finish()?;
        self.destination.close(out)
    }
}
