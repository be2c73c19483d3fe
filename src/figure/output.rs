//! The PNG output of a render as its front ends describe it: the bare data image or the
//! figure around it, spread or not. Both front ends (the `gigaplot` command and the Python
//! package's `gp.render`) assemble their image sink here, so the same options give the same
//! bytes.

use std::path::{Path, PathBuf};

use crate::data::Source;
use crate::error::Result;
use crate::figure::{FigureSink, FigureSpec};
use crate::io::AtomicFile;
use crate::reduce::Reduction;
use crate::render::{thumbnail_size, RenderOptions, RenderReport};
use crate::shade::{Color, Shape, Spreader};
use crate::sink::{AttachedFile, Compression, PngSink, Sink, SpreadSink};

/// A PNG image output and how it is drawn (`render -o FILE.png` and its figure and
/// spreading flags).
#[derive(Clone, Debug, Default)]
pub struct ImageOutput {
    /// The PNG file.
    pub path: PathBuf,
    /// Speed against file size.
    pub compression: Compression,
    /// The data image alone: no axes, title, labels, colorbar or legend.
    pub bare: bool,
    /// Title above the figure.
    pub title: Option<String>,
    /// Label of the x axis.
    pub xlabel: Option<String>,
    /// Label of the y axis.
    pub ylabel: Option<String>,
    /// Font size in pixels (None: scaled to the canvas).
    pub font_size: Option<f32>,
    /// Grid lines at the ticks.
    pub grid: bool,
    /// A colorbar beside the data area.
    pub colorbar: bool,
    /// The colorbar's label (None: the reduction's name).
    pub colorbar_label: Option<String>,
    /// Names of count-cat's categories in the legend (None: the column's own names, or
    /// the codes).
    pub labels: Option<Vec<String>>,
    /// Spreading of the shaded image, if any.
    pub spread: Option<ImageSpread>,
}

/// How the shaded image is spread (Datashader's `spread` or `dynspread`) before it is
/// composited over its background.
#[derive(Clone, Copy, Debug)]
pub struct ImageSpread {
    /// Pixels to spread by; None: `dynspread`'s choice (its limits are the render's
    /// [`RenderOptions::dynspread`]).
    pub px: Option<u32>,
    /// Disc or square.
    pub shape: Shape,
    /// The colour of empty pixels, composited after spreading (the render itself shades
    /// over transparent, see [`ImageOutput::shading_background`]).
    pub background: Color,
}

impl ImageOutput {
    /// The background a render writing this output shades over: transparent when the
    /// image is spread (the spread sink composites over `background` after spreading),
    /// else `background`.
    pub fn shading_background(&self, background: Color) -> Color {
        if self.spread.is_some() {
            Color::TRANSPARENT
        } else {
            background
        }
    }

    /// The sink writing this output for a render with `options`, whose value column is
    /// `value` (count-cat's legend names its categories).
    pub fn sink(&self, options: &RenderOptions, value: Option<&dyn Source>) -> Result<Box<dyn Sink>> {
        let image: Box<dyn Sink> = if self.bare {
            Box::new(PngSink::new(&self.path, self.compression))
        } else {
            let spec = FigureSpec {
                title: self.title.clone(),
                xlabel: self.xlabel.clone(),
                ylabel: self.ylabel.clone(),
                font_size: self.font_size,
                grid: self.grid,
                ..FigureSpec::default()
            };
            let label = self.colorbar_label.clone().unwrap_or_else(|| options.reduction.to_string());
            let sink =
                FigureSink::new(&self.path, self.compression, spec, self.colorbar.then_some(Some(label)));
            // count-cat's legend: its categories are counted by the render's statistics pass
            Box::new(match (options.reduction, value) {
                (Reduction::CountCat, Some(value)) => {
                    sink.with_category_legend(self.labels.as_deref(), options.color_key.as_deref(), value)
                }
                _ => sink,
            })
        };
        Ok(self.spread_sink(image))
    }

    /// `sink` fed with the spread image when this output is spread, else `sink` itself.
    pub fn spread_sink(&self, sink: Box<dyn Sink>) -> Box<dyn Sink> {
        match self.spread {
            Some(ImageSpread { px: Some(px), shape, background }) => {
                Box::new(SpreadSink::new(sink, Spreader::new(px as usize, shape), background))
            }
            Some(ImageSpread { px: None, shape, background }) => {
                Box::new(SpreadSink::dynamic(sink, shape, background))
            }
            None => sink,
        }
    }
}

impl ImageOutput {
    /// The thumbnail's file beside this output: `NAME.thumb.png`.
    pub fn thumbnail_path(&self) -> PathBuf {
        thumbnail_path(&self.path)
    }

    /// Renders the thumbnail of this output (`--thumbnail PX`, `thumbnail=PX`): the same render,
    /// spread alike, at [`thumbnail_size`] with longest side `px`, bare, into a temporary
    /// `NAME.thumb.png` that the main render commits with its own outputs ([`AttachedFile`]):
    /// all of them appear, or none. `run` renders with the options and sinks it is given.
    /// Returns the file (a sink for the main render) and the thumbnail render's report, whose
    /// ranges are the main render's.
    pub fn render_thumbnail(
        &self,
        px: u32,
        options: &RenderOptions,
        run: impl FnOnce(&RenderOptions, Vec<Box<dyn Sink>>) -> Result<RenderReport>,
    ) -> Result<(AttachedFile, RenderReport)> {
        let path = self.thumbnail_path();
        let (width, height) = thumbnail_size(options.width, options.height, px);
        let small = RenderOptions { width, height, ..options.clone() };
        let file = AtomicFile::create(&path)?;
        let (png, finished) = PngSink::to_named_writer(file, &path.to_string_lossy(), self.compression);
        let report = run(&small, vec![self.spread_sink(Box::new(png))])?;
        let file = finished
            .take()
            .ok_or_else(|| crate::Error::usage("thumbnail", "the thumbnail's render did not finish it"))?;
        Ok((AttachedFile::new(file), report))
    }
}

/// `NAME.thumb.png` beside `output`.
fn thumbnail_path(output: &Path) -> PathBuf {
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    output.with_file_name(format!("{stem}.thumb.png"))
}
