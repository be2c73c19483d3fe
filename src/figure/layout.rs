//! Layout: sizes derived from the font size, margins measured from the text they hold, and
//! the display list of the whole figure.
//!
//! The data area keeps the caller's size; the margins around it are whole pixels, so the
//! data area starts on a pixel and data pixels are copied, never resampled.

use super::axes::{self, Area};
use super::colorbar;
use super::display::DisplayList;
use super::legend;
use super::spec::FigureSpec;
use super::style::{default_font_size, Style};
use super::text::{Direction, HAlign, Label, VAlign};
use crate::error::{Error, Field, Result};

/// A laid-out figure: size, data origin and decorations.
#[derive(Debug)]
pub struct Built {
    /// Figure width and height.
    pub size: (u32, u32),
    /// Top-left of the data area.
    pub origin: (u32, u32),
    /// The decorations.
    pub list: DisplayList,
}

/// Margins around the data area, in whole pixels.
#[derive(Clone, Copy, Debug)]
struct Margins {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

/// Lays out the figure for a `width` x `height` data area.
pub fn build(spec: &FigureSpec, width: u32, height: u32) -> Result<Built> {
    let font = spec.font_size.map_or_else(|| default_font_size(width, height), f64::from);
    let style = Style::new(font, spec.foreground, spec.background);
    let (w, h) = (f64::from(width), f64::from(height));
    let xaxis = axes::prepare(&spec.x, w, &style, true);
    let yaxis = axes::prepare(&spec.y, h, &style, false);
    let cbar = spec.colorbar.as_ref().map(|c| colorbar::prepare(c, h, &style));
    let legend = spec.legend.as_ref().map(|e| legend::prepare(e, &style));
    let label = |t: &Option<String>, size: f64| t.as_ref().map(|t| Label::new(t, size));
    let (title, xlabel, ylabel) =
        (label(&spec.title, style.title), label(&spec.xlabel, font), label(&spec.ylabel, font));

    let (lw, s) = (style.line, &style);
    let half_x = |i: Option<&Label>| i.map_or(0.0, |l| l.width() / 2.0);
    let mut left = s.outer + lw + s.major_len + s.pad + yaxis.label_width();
    if let Some(l) = &ylabel {
        left += s.label_pad + l.height();
    }
    left = left.max(s.outer + half_x(xaxis.labels.first()));
    let mut top = yaxis.label_height() / 2.0;
    if let Some(o) = &yaxis.offset {
        top = top.max(lw + s.pad + o.height());
    }
    if let Some(t) = &title {
        top = top.max(lw + s.title_pad + t.height());
    }
    let top = s.outer + top;
    let mut bottom = lw + s.major_len + s.pad + xaxis.label_height() + s.outer;
    let row =
        xlabel.as_ref().map_or(0.0, Label::height).max(xaxis.offset.as_ref().map_or(0.0, Label::height));
    if row > 0.0 {
        bottom += s.label_pad + row;
    }
    let mut right = lw + half_x(xaxis.labels.last());
    if let Some(c) = &cbar {
        right = right.max(lw + c.width(s));
    }
    let legend_x = right;
    if let Some(l) = &legend {
        right = legend_x + l.width(s);
    }
    let right = right + s.outer;
    let m = Margins { left: left.ceil(), top: top.ceil(), right: right.ceil(), bottom: bottom.ceil() };

    // Wide titles and tall legends grow the figure.
    let mut fig_w = m.left + w + m.right;
    if let Some(t) = &title {
        fig_w = fig_w.max(m.left + w / 2.0 + t.width() / 2.0 + s.outer);
    }
    let legend_h = legend.as_ref().map_or(0.0, |l| l.height(s));
    let fig_h = m.top + h.max(legend_h) + m.bottom;
    let (fig_w, fig_h) = (fig_w.ceil(), fig_h.ceil());
    if fig_w > f64::from(u32::MAX) || fig_h > f64::from(u32::MAX) {
        return Err(Error::bad_parameter(
            Field::Size,
            format!("the figure would be {fig_w} x {fig_h} pixels, over 2^32 - 1 a side"),
        ));
    }

    let a = Area { x: m.left, y: m.top, w, h };
    let mut list = DisplayList::default();
    if spec.grid {
        axes::draw_grid(&mut list, &xaxis, &yaxis, (&spec.x, &spec.y), a, s);
    }
    axes::draw_frame(&mut list, a, s);
    let labels_bottom = axes::draw_x(&mut list, &xaxis, &spec.x, a, s, spec.minor_ticks);
    let labels_left = axes::draw_y(&mut list, &yaxis, &spec.y, a, s, spec.minor_ticks);
    let fg = s.foreground;
    let row_top = labels_bottom + s.label_pad;
    if let Some(l) = &xlabel {
        list.glyphs(l.place(a.x + w / 2.0, row_top, HAlign::Center, VAlign::Top, Direction::Horizontal), fg);
    }
    if let Some(o) = &xaxis.offset {
        list.glyphs(o.place(a.x + w, row_top, HAlign::Right, VAlign::Top, Direction::Horizontal), fg);
    }
    if let Some(l) = &ylabel {
        let x = labels_left - s.label_pad;
        list.glyphs(l.place(x, a.y + h / 2.0, HAlign::Right, VAlign::Center, Direction::Up), fg);
    }
    if let Some(o) = &yaxis.offset {
        list.glyphs(o.place(a.x, a.y - lw - s.pad, HAlign::Left, VAlign::Bottom, Direction::Horizontal), fg);
    }
    if let Some(t) = &title {
        list.glyphs(
            t.place(
                a.x + w / 2.0,
                a.y - lw - s.title_pad,
                HAlign::Center,
                VAlign::Bottom,
                Direction::Horizontal,
            ),
            fg,
        );
    }
    if let Some(c) = &cbar {
        c.draw(&mut list, a.x + w, a.y, h, s);
    }
    if let Some(l) = &legend {
        l.draw(&mut list, a.x + w + legend_x, a.y - lw, s);
    }
    Ok(Built { size: (fig_w as u32, fig_h as u32), origin: (m.left as u32, m.top as u32), list })
}
