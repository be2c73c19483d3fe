//! What a figure shows: its axes, colour bar, legend, labels and colours, as the caller
//! describes them, and the checks they must pass before any layout.

use crate::canvas::Scale;
use crate::error::{Error, Field, Result};
use crate::shade::Color;

/// One axis of the data area: its data range (left to right, bottom to top) and scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisSpec {
    /// Data values at the two edges of the data area.
    pub range: (f64, f64),
    /// Linear or log10 (the range must then be positive).
    pub scale: Scale,
}

impl AxisSpec {
    /// A linear axis over `lo..hi`.
    pub fn linear(lo: f64, hi: f64) -> AxisSpec {
        AxisSpec { range: (lo, hi), scale: Scale::Linear }
    }

    /// A log10 axis over `lo..hi` (both positive).
    pub fn log(lo: f64, hi: f64) -> AxisSpec {
        AxisSpec { range: (lo, hi), scale: Scale::Log }
    }
}

impl Default for AxisSpec {
    fn default() -> AxisSpec {
        AxisSpec::linear(0.0, 1.0)
    }
}

/// Maps a data value to its place along the colour bar: 0 at the bottom, 1 at the top, None
/// when the value is not shown (out of range). Non-linear under eq-hist or log shading.
pub type ColorbarPosition = Box<dyn Fn(f64) -> Option<f64> + Send + Sync>;

/// A colour bar at the right of the data area.
pub struct ColorbarSpec {
    /// Colours from the lowest value (bottom) to the highest (top), e.g. 256 samples.
    pub colors: Vec<Color>,
    /// Data values at the bottom and top of the bar.
    pub value_range: (f64, f64),
    /// Where a data value lands along the bar (0..=1), so ticks sit where values are shown.
    pub position: ColorbarPosition,
    /// Text beside the bar, e.g. "count".
    pub label: Option<String>,
}

impl ColorbarSpec {
    /// A colour bar whose values map linearly onto the bar.
    pub fn linear(colors: Vec<Color>, value_range: (f64, f64), label: Option<String>) -> ColorbarSpec {
        let (lo, hi) = value_range;
        let position: ColorbarPosition = Box::new(move |v: f64| {
            let t = (v - lo) / (hi - lo);
            (t.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&t)).then_some(t.clamp(0.0, 1.0))
        });
        ColorbarSpec { colors, value_range, position, label }
    }
}

impl std::fmt::Debug for ColorbarSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColorbarSpec")
            .field("colors", &self.colors.len())
            .field("value_range", &self.value_range)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// Everything drawn around the data area.
#[derive(Debug)]
pub struct FigureSpec {
    /// Title centred above the data area.
    pub title: Option<String>,
    /// Label below the x axis.
    pub xlabel: Option<String>,
    /// Label left of the y axis, reading bottom to top.
    pub ylabel: Option<String>,
    /// Tick label size in pixels per em; None scales it with the figure
    /// (`crate::figure::default_font_size`). Other sizes and line widths follow it.
    pub font_size: Option<f32>,
    /// Grid lines across the data area at the major ticks.
    pub grid: bool,
    /// Minor ticks between the major ones.
    pub minor_ticks: bool,
    /// The horizontal axis.
    pub x: AxisSpec,
    /// The vertical axis.
    pub y: AxisSpec,
    /// A colour bar at the right, if any.
    pub colorbar: Option<ColorbarSpec>,
    /// Legend entries (name, colour) at the right, for categorical plots.
    pub legend: Option<Vec<(String, Color)>>,
    /// Figure background outside the data area.
    pub background: Color,
    /// Text and line colour.
    pub foreground: Color,
}

impl Default for FigureSpec {
    fn default() -> FigureSpec {
        FigureSpec {
            title: None,
            xlabel: None,
            ylabel: None,
            font_size: None,
            grid: false,
            minor_ticks: true,
            x: AxisSpec::default(),
            y: AxisSpec::default(),
            colorbar: None,
            legend: None,
            background: Color::rgb(255, 255, 255),
            foreground: Color::rgb(0, 0, 0),
        }
    }
}

/// Checks the data size and axis ranges before any layout.
pub(super) fn validate(spec: &FigureSpec, width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::bad_parameter(Field::Size, "the data area must be at least 1 x 1 pixels"));
    }
    for (name, axis) in [(Field::XRange, &spec.x), (Field::YRange, &spec.y)] {
        let (lo, hi) = axis.range;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::bad_parameter(
                name,
                format!("the axis range {lo}..{hi} must be finite and increasing"),
            ));
        }
        if axis.scale == Scale::Log && lo <= 0.0 {
            return Err(Error::bad_parameter(
                name,
                format!("a log axis needs a positive range, not {lo}..{hi}"),
            ));
        }
    }
    if let Some(size) = spec.font_size {
        if !(size.is_finite() && size > 0.0 && size <= 2_000.0) {
            return Err(Error::bad_parameter(
                Field::FontSize,
                format!("{size} is not a size in 0..2000 pixels"),
            ));
        }
    }
    if let Some(cb) = &spec.colorbar {
        let (lo, hi) = cb.value_range;
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err(Error::usage(
                "FigureSpec::colorbar",
                format!("value range {lo}..{hi} must be finite and increasing"),
            ));
        }
    }
    Ok(())
}
