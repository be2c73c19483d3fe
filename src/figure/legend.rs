//! The legend: a framed box of colour swatches and names, for categorical plots, placed
//! outside the data area on the right (Matplotlib's `bbox_to_anchor=(1.02, 1)`), so it
//! never hides data.

use super::display::DisplayList;
use super::style::Style;
use super::text::{Direction, HAlign, Label, VAlign};
use crate::shade::Color;

/// Edge colour of the legend box (Matplotlib's `legend.edgecolor` 0.8).
const EDGE: Color = Color::rgb(204, 204, 204);

/// Legend entries measured.
#[derive(Debug)]
pub struct LegendLayout {
    entries: Vec<(Label, Color)>,
    /// Space around the entries inside the frame.
    border: f64,
    /// Swatch width and height.
    swatch: (f64, f64),
    /// Gap between swatch and name.
    text_pad: f64,
    /// Height of one row.
    row: f64,
    /// Vertical gap between rows.
    spacing: f64,
    /// Gap between what is left of the legend and its frame.
    gap: f64,
}

/// Measures the legend's entries.
pub fn prepare(entries: &[(String, Color)], style: &Style) -> LegendLayout {
    let f = style.font;
    let entries: Vec<(Label, Color)> = entries.iter().map(|(n, c)| (Label::new(n, f), *c)).collect();
    let row = Label::new("lp", f).height();
    LegendLayout {
        entries,
        border: (0.5 * f).round(),
        swatch: ((1.4 * f).round(), (0.7 * f).round().max(1.0)),
        text_pad: (0.6 * f).round(),
        row,
        spacing: (0.5 * f).round(),
        gap: (1.5 * f).round(),
    }
}

impl LegendLayout {
    /// Outer size of the frame (width, height) in pixels.
    fn frame(&self, style: &Style) -> (f64, f64) {
        let names = self.entries.iter().map(|(l, _)| l.width()).fold(0.0, f64::max);
        let n = self.entries.len() as f64;
        let w = 2.0 * (self.border + style.thin) + self.swatch.0 + self.text_pad + names.ceil();
        let h = 2.0 * (self.border + style.thin) + n * self.row + (n - 1.0).max(0.0) * self.spacing;
        (w.ceil(), h.ceil())
    }

    /// Width from what lies left of the legend to its right edge, gap included.
    pub fn width(&self, style: &Style) -> f64 {
        if self.entries.is_empty() {
            return 0.0;
        }
        self.gap + self.frame(style).0
    }

    /// Height of the legend frame.
    pub fn height(&self, style: &Style) -> f64 {
        if self.entries.is_empty() {
            return 0.0;
        }
        self.frame(style).1
    }

    /// Draws the legend with the left of its gap at `x` and its top at `y`.
    pub fn draw(&self, list: &mut DisplayList, x: f64, y: f64, style: &Style) {
        if self.entries.is_empty() {
            return;
        }
        let (w, h) = self.frame(style);
        let (x0, y0) = ((x + self.gap).round(), y.round());
        let t = style.thin;
        list.rect(x0, y0, x0 + w, y0 + h, style.background);
        list.rect(x0, y0, x0 + w, y0 + t, EDGE);
        list.rect(x0, y0 + h - t, x0 + w, y0 + h, EDGE);
        list.rect(x0, y0 + t, x0 + t, y0 + h - t, EDGE);
        list.rect(x0 + w - t, y0 + t, x0 + w, y0 + h - t, EDGE);
        let left = x0 + t + self.border;
        for (i, (label, color)) in self.entries.iter().enumerate() {
            let top = y0 + t + self.border + i as f64 * (self.row + self.spacing);
            let sy = (top + (self.row - self.swatch.1) / 2.0).round();
            list.rect(left, sy, left + self.swatch.0, sy + self.swatch.1, *color);
            let tx = left + self.swatch.0 + self.text_pad;
            list.glyphs(
                label.place(tx, top, HAlign::Left, VAlign::Top, Direction::Horizontal),
                style.foreground,
            );
        }
    }
}
