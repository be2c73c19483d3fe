//! The axes: frame, major and minor ticks pointing out, grid lines and tick labels.
//!
//! Lines are axis-aligned rectangles of whole-pixel width, centred on pixel centres (odd
//! widths) or pixel edges (even widths) as Matplotlib snaps them, so they come out crisp.

use super::display::DisplayList;
use super::spec::AxisSpec;
use super::style::Style;
use super::text::{Direction, HAlign, Label, VAlign};
use super::ticks::{auto_bins, axis_ticks, AxisTicks, TickLabel};

/// The data area in figure pixels: left, top, width, height.
#[derive(Clone, Copy, Debug)]
pub struct Area {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// The ticks of one axis with their labels measured.
#[derive(Debug)]
pub struct AxisLayout {
    /// Tick values.
    pub ticks: AxisTicks,
    /// One label per major tick.
    pub labels: Vec<Label>,
    /// Matplotlib's offset text, if any.
    pub offset: Option<Label>,
}

impl AxisLayout {
    /// Widest tick label in pixels (0 without labels).
    pub fn label_width(&self) -> f64 {
        self.labels.iter().map(Label::width).fold(0.0, f64::max)
    }

    /// Tallest tick label (ascent + descent) in pixels.
    pub fn label_height(&self) -> f64 {
        self.labels.iter().map(Label::height).fold(0.0, f64::max)
    }
}

/// Makes the label of one tick at `size`.
fn make_label(label: &TickLabel, size: f64) -> Label {
    match label {
        TickLabel::Plain(text) => Label::new(text, size),
        TickLabel::Power(k) => Label::power_of_ten(*k, size),
    }
}

/// Position of a data value along an axis of `length` pixels, 0 at the range start.
pub fn fraction(axis: &AxisSpec, v: f64) -> f64 {
    let (a, b) = (axis.scale.forward(axis.range.0), axis.scale.forward(axis.range.1));
    (axis.scale.forward(v) - a) / (b - a)
}

/// Chooses the ticks of an axis `length` pixels long: Matplotlib's automatic count, reduced
/// until neighbouring labels no longer overlap.
pub fn prepare(axis: &AxisSpec, length: f64, style: &Style, horizontal: bool) -> AxisLayout {
    let mut nbins = auto_bins(length, style.font, horizontal);
    loop {
        let ticks = axis_ticks(axis.range, axis.scale, nbins);
        let labels: Vec<Label> = ticks.labels.iter().map(|l| make_label(l, style.font)).collect();
        let offset = ticks.offset.as_ref().map(|t| Label::new(t, style.font));
        let layout = AxisLayout { ticks, labels, offset };
        if nbins <= 1 || !overlaps(&layout, axis, length, style, horizontal) {
            return layout;
        }
        nbins -= 1;
    }
}

/// True when two neighbouring tick labels would touch.
fn overlaps(layout: &AxisLayout, axis: &AxisSpec, length: f64, style: &Style, horizontal: bool) -> bool {
    let at: Vec<f64> = layout.ticks.major.iter().map(|&v| fraction(axis, v) * length).collect();
    (1..at.len()).any(|i| {
        let gap = (at[i] - at[i - 1]).abs();
        let need = if horizontal {
            (layout.labels[i].width() + layout.labels[i - 1].width()) / 2.0 + 0.5 * style.font
        } else {
            layout.labels[i].height().max(layout.labels[i - 1].height()) * 1.15
        };
        gap < need
    })
}

/// Centre of a line of integer `width` near `c`, on a pixel centre (odd) or edge (even).
pub fn snap(c: f64, width: f64) -> f64 {
    if (width as i64) % 2 == 1 {
        c.floor() + 0.5
    } else {
        c.round()
    }
}

/// The frame: four lines just outside the data area, so no data pixel is covered.
pub fn draw_frame(list: &mut DisplayList, a: Area, style: &Style) {
    let (lw, fg) = (style.line, style.foreground);
    let (x0, y0, x1, y1) = (a.x, a.y, a.x + a.w, a.y + a.h);
    list.rect(x0 - lw, y0 - lw, x1 + lw, y0, fg);
    list.rect(x0 - lw, y1, x1 + lw, y1 + lw, fg);
    list.rect(x0 - lw, y0, x0, y1, fg);
    list.rect(x1, y0, x1 + lw, y1, fg);
}

/// Centre of the line for a tick at `frac` along `[start, start + length]`, kept under the
/// frame at the ends.
fn tick_centre(start: f64, length: f64, frac: f64, width: f64, lw: f64) -> f64 {
    snap(start + frac * length, width).clamp(start - lw / 2.0, start + length + lw / 2.0)
}

/// Grid lines at the major ticks, placed under the other decorations but over the data
/// (as Matplotlib draws them over an image at every `axes.axisbelow`). Crisp: whole-pixel
/// edges, full coverage, one colour and alpha; the vertical lines stop at the horizontal
/// ones, so a crossing is blended once, like any other grid pixel, and every data colour
/// blends with the grid in exactly one way ([`super::palette`] counts on it).
pub fn draw_grid(
    list: &mut DisplayList,
    x: &AxisLayout,
    y: &AxisLayout,
    spec: (&AxisSpec, &AxisSpec),
    a: Area,
    style: &Style,
) {
    let gw = style.grid_line;
    let mut rows: Vec<(f64, f64)> = Vec::new();
    for &v in &y.ticks.major {
        let c = snap(a.y + a.h - fraction(spec.1, v) * a.h, gw);
        if c - gw / 2.0 >= a.y + 0.5 && c + gw / 2.0 <= a.y + a.h - 0.5 {
            list.rect(a.x, c - gw / 2.0, a.x + a.w, c + gw / 2.0, style.grid);
            rows.push((c - gw / 2.0, c + gw / 2.0));
        }
    }
    rows.sort_by(|p, q| p.0.total_cmp(&q.0));
    for &v in &x.ticks.major {
        let c = snap(a.x + fraction(spec.0, v) * a.w, gw);
        if c - gw / 2.0 >= a.x + 0.5 && c + gw / 2.0 <= a.x + a.w - 0.5 {
            // Segments between the horizontal lines (which are drawn across them).
            let mut top = a.y;
            for &(y0, y1) in &rows {
                list.rect(c - gw / 2.0, top, c + gw / 2.0, y0, style.grid);
                top = top.max(y1);
            }
            list.rect(c - gw / 2.0, top, c + gw / 2.0, a.y + a.h, style.grid);
        }
    }
}

/// Ticks and labels of the x axis, below the data area; returns the bottom of the labels.
pub fn draw_x(
    list: &mut DisplayList,
    layout: &AxisLayout,
    axis: &AxisSpec,
    a: Area,
    style: &Style,
    minor: bool,
) -> f64 {
    let (lw, fg) = (style.line, style.foreground);
    let base = a.y + a.h;
    if minor {
        let mw = style.minor_line;
        for &v in &layout.ticks.minor {
            let c = tick_centre(a.x, a.w, fraction(axis, v), mw, lw);
            list.rect(c - mw / 2.0, base, c + mw / 2.0, base + lw + style.minor_len, fg);
        }
    }
    let label_top = base + lw + style.major_len + style.pad;
    for (v, label) in layout.ticks.major.iter().zip(&layout.labels) {
        let c = tick_centre(a.x, a.w, fraction(axis, *v), lw, lw);
        list.rect(c - lw / 2.0, base, c + lw / 2.0, base + lw + style.major_len, fg);
        list.glyphs(label.place(c, label_top, HAlign::Center, VAlign::Top, Direction::Horizontal), fg);
    }
    label_top + layout.label_height()
}

/// Ticks and labels of the y axis, left of the data area; returns the left of the labels.
pub fn draw_y(
    list: &mut DisplayList,
    layout: &AxisLayout,
    axis: &AxisSpec,
    a: Area,
    style: &Style,
    minor: bool,
) -> f64 {
    let (lw, fg) = (style.line, style.foreground);
    let base = a.x;
    let at = |v: f64, w: f64| tick_centre(a.y, a.h, 1.0 - fraction(axis, v), w, lw);
    if minor {
        let mw = style.minor_line;
        for &v in &layout.ticks.minor {
            let c = at(v, mw);
            list.rect(base - lw - style.minor_len, c - mw / 2.0, base, c + mw / 2.0, fg);
        }
    }
    let label_right = base - lw - style.major_len - style.pad;
    for (v, label) in layout.ticks.major.iter().zip(&layout.labels) {
        let c = at(*v, lw);
        list.rect(base - lw - style.major_len, c - lw / 2.0, base, c + lw / 2.0, fg);
        let placed =
            label.place(label_right, c, HAlign::Right, VAlign::CenterBaseline, Direction::Horizontal);
        list.glyphs(placed, fg);
    }
    label_right - layout.label_width()
}
