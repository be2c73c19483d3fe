//! The colour bar: a vertical ramp of the colour map right of the data area, framed, with
//! ticks at nice DATA values placed where the shading puts them (so under eq-hist the ticks
//! are where those counts land) and labels that never overlap.

use std::sync::Arc;

use super::axes::snap;
use super::display::{DisplayList, Shape};
use super::spec::ColorbarSpec;
use super::style::Style;
use super::text::{Direction, HAlign, Label, VAlign};
use super::ticks::{auto_bins, axis_ticks, compact_number, TickLabel};
use crate::canvas::Scale;
use crate::shade::Color;

/// A colour bar with its ticks chosen and labels measured.
#[derive(Debug)]
pub struct ColorbarLayout {
    colors: Arc<[Color]>,
    /// (position 0..1 from the bottom, label) per tick.
    ticks: Vec<(f64, Label)>,
    label: Option<Label>,
    /// Gap between the data frame and the bar.
    gap: f64,
    /// Width of the bar.
    bar: f64,
}

/// True when `position` is (nearly) linear over the value range, as for linear shading.
fn is_linear(spec: &ColorbarSpec) -> bool {
    let (lo, hi) = spec.value_range;
    [0.1, 0.25, 0.5, 0.75, 0.9].iter().all(|&t| match (spec.position)(lo + t * (hi - lo)) {
        Some(p) => (p - t).abs() < 0.02,
        None => false,
    })
}

/// Nice values across the range in order of preference: zero, the decades, the linear
/// locator's ticks, then 5 and 2 x 10^k.
fn candidates(lo: f64, hi: f64, nbins: usize) -> Vec<f64> {
    let mut out = Vec::new();
    if lo > 0.0 || hi > 0.0 {
        let floor = if lo > 0.0 { lo } else { hi * 1e-12 };
        let (k0, k1) = (floor.log10().floor() as i32, hi.log10().ceil() as i32);
        let decade = |m: f64| (k0..=k1).map(move |k| m * 10f64.powi(k)).filter(move |v| *v >= lo && *v <= hi);
        out.extend(decade(1.0));
        out.extend(axis_ticks((lo, hi), Scale::Linear, nbins).major);
        out.extend(decade(5.0).chain(decade(2.0)));
    } else {
        out.extend(axis_ticks((lo, hi), Scale::Linear, nbins).major);
    }
    if lo <= 0.0 && hi >= 0.0 {
        out.insert(0, 0.0);
    }
    out
}

/// Picks ticks in order of preference, skipping any closer than `min_gap` (fraction of the
/// bar) to one already kept.
fn pick(spec: &ColorbarSpec, values: &[f64], min_gap: f64) -> Vec<(f64, f64)> {
    let mut kept: Vec<(f64, f64)> = Vec::new();
    for &v in values {
        let Some(p) = (spec.position)(v).filter(|p| p.is_finite()) else { continue };
        if kept.iter().all(|&(_, q)| (p - q).abs() >= min_gap) {
            kept.push((v, p));
        }
    }
    kept.sort_by(|a, b| a.1.total_cmp(&b.1));
    kept
}

/// Chooses the colour bar's ticks for a bar `height` pixels tall.
pub fn prepare(spec: &ColorbarSpec, height: f64, style: &Style) -> ColorbarLayout {
    let (lo, hi) = spec.value_range;
    let nbins = auto_bins(height, style.font, false);
    let line_h = Label::new("0", style.font).height();
    let min_gap = line_h * 1.3 / height.max(1.0);
    let loose_gap = line_h * 2.0 / height.max(1.0);
    let ticks = if is_linear(spec) && hi > lo {
        let t = axis_ticks((lo, hi), Scale::Linear, nbins);
        let plain = t.offset.is_none();
        let labels = t.labels.iter().zip(&t.major).map(|(l, v)| match l {
            TickLabel::Plain(s) if plain => s.clone(),
            _ => compact_number(*v),
        });
        let picked = pick(spec, &t.major, min_gap);
        let all: Vec<(f64, String)> = t.major.iter().copied().zip(labels).collect();
        picked
            .into_iter()
            .filter_map(|(v, p)| {
                all.iter().find(|(w, _)| *w == v).map(|(_, s)| (p, Label::new(s, style.font)))
            })
            .collect()
    } else {
        let values = candidates(lo, hi, nbins);
        let picked = pick(spec, &values, loose_gap);
        picked.into_iter().map(|(v, p)| (p, Label::new(&compact_number(v), style.font))).collect()
    };
    let label = spec.label.as_ref().map(|t| Label::new(t, style.font));
    let colors: Arc<[Color]> = spec.colors.clone().into();
    ColorbarLayout { colors, ticks, label, gap: (1.5 * style.font).round(), bar: (1.5 * style.font).round() }
}

impl ColorbarLayout {
    /// Width from the data frame's right edge to the end of the colour bar's label.
    pub fn width(&self, style: &Style) -> f64 {
        let labels = self.ticks.iter().map(|(_, l)| l.width()).fold(0.0, f64::max);
        let mut w = self.gap + self.bar + 2.0 * style.line + style.major_len + style.pad + labels;
        if let Some(label) = &self.label {
            w += style.label_pad + label.height();
        }
        w
    }

    /// Draws the bar starting `x` (the data frame's right edge), spanning rows `y..y + h`.
    pub fn draw(&self, list: &mut DisplayList, x: f64, y: f64, h: f64, style: &Style) {
        let (lw, fg) = (style.line, style.foreground);
        let bx0 = (x + self.gap + lw).round();
        let bx1 = bx0 + self.bar;
        list.push(Shape::Ramp {
            x0: bx0 as i64,
            y0: y as i64,
            x1: bx1 as i64,
            y1: (y + h) as i64,
            colors: Arc::clone(&self.colors),
        });
        list.rect(bx0 - lw, y - lw, bx1 + lw, y, fg);
        list.rect(bx0 - lw, y + h, bx1 + lw, y + h + lw, fg);
        list.rect(bx0 - lw, y, bx0, y + h, fg);
        list.rect(bx1, y, bx1 + lw, y + h, fg);
        let tick_x = bx1 + lw;
        let label_x = tick_x + style.major_len + style.pad;
        for (p, label) in &self.ticks {
            let c = snap(y + h - p * h, lw).clamp(y - lw / 2.0, y + h + lw / 2.0);
            list.rect(bx1, c - lw / 2.0, tick_x + style.major_len, c + lw / 2.0, fg);
            list.glyphs(
                label.place(label_x, c, HAlign::Left, VAlign::CenterBaseline, Direction::Horizontal),
                fg,
            );
        }
        if let Some(label) = &self.label {
            let labels = self.ticks.iter().map(|(_, l)| l.width()).fold(0.0, f64::max);
            let lx = label_x + labels + style.label_pad;
            list.glyphs(label.place(lx, y + h / 2.0, HAlign::Left, VAlign::Center, Direction::Up), fg);
        }
    }
}
