//! The figure's style: sizes, line widths and colours of every decoration, all derived
//! from the tick-label font size. Shared by the axes, colour bar, legend and layout, which
//! depend on it and never on one another through it.

use crate::shade::Color;

/// Sizes and colours of a figure's decorations, all derived from the tick-label font size
/// the way Matplotlib's defaults relate to its 10 pt font.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    /// Tick labels, axis labels and legend text, in pixels per em.
    pub font: f64,
    /// Title size (Matplotlib's `large`, 1.2 x).
    pub title: f64,
    /// Frame and major tick width, whole pixels (0.8 pt).
    pub line: f64,
    /// Minor tick width (0.6 pt).
    pub minor_line: f64,
    /// Grid line width (0.8 pt).
    pub grid_line: f64,
    /// Legend frame width.
    pub thin: f64,
    /// Major tick length (3.5 pt).
    pub major_len: f64,
    /// Minor tick length (2 pt).
    pub minor_len: f64,
    /// Gap between ticks and their labels (3.5 pt).
    pub pad: f64,
    /// Gap between tick labels and the axis label (4 pt).
    pub label_pad: f64,
    /// Gap between the frame and the title (6 pt).
    pub title_pad: f64,
    /// Empty border around the whole figure.
    pub outer: f64,
    /// Text and lines.
    pub foreground: Color,
    /// Figure background (also the legend's fill).
    pub background: Color,
    /// Grid lines.
    pub grid: Color,
}

/// The default tick-label size for a data area of `width` x `height` pixels: 12 px at 1000
/// px, growing as the square root of the larger side (76 px at 40000, 380 px at 10^6), so text
/// is readable at 1:1 zoom and still sized like Matplotlib's relative to the figure.
pub fn default_font_size(width: u32, height: u32) -> f64 {
    let side = f64::from(width.max(height));
    (12.0 * (side / 1000.0).sqrt()).max(10.0)
}

impl Style {
    /// The style for tick labels of `font` pixels per em.
    pub fn new(font: f64, foreground: Color, background: Color) -> Style {
        let pt = font / 10.0;
        let width = |points: f64| (points * pt).round().max(1.0);
        Style {
            font,
            title: 1.2 * font,
            line: width(0.8),
            minor_line: width(0.6),
            grid_line: width(0.8),
            thin: width(0.8),
            major_len: (3.5 * pt).round().max(2.0),
            minor_len: (2.0 * pt).round().max(1.0),
            pad: (3.5 * pt).round(),
            label_pad: (4.0 * pt).round(),
            title_pad: (6.0 * pt).round(),
            outer: (0.8 * font).round(),
            foreground,
            background,
            grid: Color { r: 176, g: 176, b: 176, a: 160 },
        }
    }
}
