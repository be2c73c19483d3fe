//! Text: DejaVu Sans (Matplotlib's default font, embedded through the `dejavu` crate) laid
//! out with its advances and `kern` pairs, and glyph outlines rasterised by tiny-skia.
//!
//! Every glyph is rasterised on its own, into a coverage mask anchored at an integer pixel of
//! the figure, with the pen position quantised to a quarter pixel along the baseline. The
//! mask is a pure function of a [`GlyphKey`], so it comes out the same whichever band asks
//! for it, and a band never rasterises more than the glyphs that cross it.

use std::sync::OnceLock;

use tiny_skia::{FillRule, Mask, PathBuilder, Transform};
use ttf_parser::{Face, GlyphId, OutlineBuilder};

/// Sub-pixel pen positions along the baseline.
const PHASES: i64 = 4;

/// The embedded font, parsed once.
fn face() -> Option<&'static Face<'static>> {
    static FACE: OnceLock<Option<Face<'static>>> = OnceLock::new();
    FACE.get_or_init(|| Face::parse(dejavu::sans::regular(), 0).ok()).as_ref()
}

/// Horizontal text, or text turned 90 degrees counter-clockwise (reading bottom to top).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Left to right.
    Horizontal,
    /// Bottom to top, as Matplotlib's y-axis label.
    Up,
}

/// Horizontal alignment of a text box on its anchor (in the figure's frame, after rotation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HAlign {
    /// Box starts at the anchor.
    Left,
    /// Box centred on the anchor.
    Center,
    /// Box ends at the anchor.
    Right,
}

/// Vertical alignment of a text box on its anchor (in the figure's frame, after rotation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VAlign {
    /// Box top at the anchor.
    Top,
    /// Box centred on the anchor.
    Center,
    /// Horizontal text: middle of the ascent on the anchor (Matplotlib's `center_baseline`).
    CenterBaseline,
    /// Box bottom at the anchor.
    Bottom,
}

/// One run of a label: text at a size relative to the label's, raised by `rise` em.
#[derive(Clone, Debug, PartialEq)]
struct Run {
    text: String,
    scale: f64,
    rise: f64,
}

/// A single line of text at a pixel size, possibly with a superscript (for `10^k`).
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    runs: Vec<Run>,
    size: f64,
}

/// Identifies one rasterised glyph mask: glyph, size, sub-pixel phase and direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlyphKey {
    glyph: u16,
    size_bits: u64,
    phase: u8,
    direction: Direction,
}

/// A glyph placed in the figure: its mask's key and the mask's top-left pixel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlacedGlyph {
    /// The glyph mask to draw.
    pub key: GlyphKey,
    /// Column of the mask's left edge in the figure.
    pub left: i64,
    /// Row of the mask's top edge in the figure.
    pub top: i64,
    /// Mask width in pixels.
    pub width: u32,
    /// Mask height in pixels.
    pub height: u32,
}

/// A rasterised glyph: 8-bit coverage, row-major, `width` x `height`.
#[derive(Debug)]
pub struct GlyphMask {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Coverage 0..=255 per pixel.
    pub data: Vec<u8>,
}

/// Ink box of a glyph in em units (x right, y up), or None for blank glyphs.
fn glyph_box(face: &Face, id: GlyphId) -> Option<[f64; 4]> {
    let b = face.glyph_bounding_box(id)?;
    let em = f64::from(face.units_per_em());
    Some([b.x_min, b.y_min, b.x_max, b.y_max].map(|v| f64::from(v) / em))
}

impl Label {
    /// Plain text at `size` pixels per em.
    pub fn new(text: &str, size: f64) -> Label {
        Label { runs: vec![Run { text: text.to_string(), scale: 1.0, rise: 0.0 }], size }
    }

    /// `10` with the exponent `k` as a superscript, as Matplotlib labels log ticks.
    pub fn power_of_ten(k: i32, size: f64) -> Label {
        let exponent = k.to_string().replace('-', "\u{2212}");
        let runs = vec![
            Run { text: "10".into(), scale: 1.0, rise: 0.0 },
            Run { text: exponent, scale: 0.7, rise: 0.45 },
        ];
        Label { runs, size }
    }

    /// Glyphs with their pen positions along the baseline (em of the label) and run index.
    fn glyphs(&self) -> Vec<(GlyphId, f64, usize)> {
        let Some(face) = face() else { return Vec::new() };
        let em = f64::from(face.units_per_em());
        let kern = face.tables().kern;
        let mut out = Vec::new();
        let mut pen = 0.0;
        for (r, run) in self.runs.iter().enumerate() {
            let mut prev: Option<GlyphId> = None;
            for c in run.text.chars() {
                let id = face.glyph_index(c).unwrap_or(GlyphId(0));
                if let (Some(p), Some(k)) = (prev, kern.as_ref()) {
                    let pair = k.subtables.into_iter().filter(|s| s.horizontal && !s.variable);
                    let adj = pair.filter_map(|s| s.glyphs_kerning(p, id)).next().unwrap_or(0);
                    pen += f64::from(adj) / em * run.scale;
                }
                out.push((id, pen, r));
                pen += f64::from(face.glyph_hor_advance(id).unwrap_or(0)) / em * run.scale;
                prev = Some(id);
            }
        }
        out
    }

    /// Advance width in pixels.
    pub fn width(&self) -> f64 {
        let Some(face) = face() else { return 0.0 };
        let em = f64::from(face.units_per_em());
        let last = self.glyphs().last().map(|&(id, pen, r)| {
            pen + f64::from(face.glyph_hor_advance(id).unwrap_or(0)) / em * self.runs[r].scale
        });
        last.unwrap_or(0.0) * self.size
    }

    /// Height above the baseline in pixels: the ink's, at least that of `l` (Matplotlib's
    /// rule, so all tick labels of an axis line up).
    pub fn ascent(&self) -> f64 {
        self.extent(3, 'l') * self.size
    }

    /// Depth below the baseline in pixels: the ink's, at least that of `p`.
    pub fn descent(&self) -> f64 {
        self.extent(1, 'p') * self.size
    }

    /// Full height (ascent + descent) in pixels.
    pub fn height(&self) -> f64 {
        self.ascent() + self.descent()
    }

    /// The ink extent above (`side` 3) or below (`side` 1) the baseline in em, at least
    /// that of the character `floor`.
    fn extent(&self, side: usize, floor: char) -> f64 {
        let Some(face) = face() else { return 0.0 };
        let sign = if side == 3 { 1.0 } else { -1.0 };
        let base = face.glyph_index(floor).and_then(|id| glyph_box(face, id)).map(|b| sign * b[side]);
        let ink = self.glyphs().into_iter().filter_map(|(id, _, r)| {
            let run = &self.runs[r];
            glyph_box(face, id).map(|b| sign * b[side] * run.scale + sign * run.rise)
        });
        ink.fold(base.unwrap_or(0.0), f64::max)
    }

    /// Places the glyphs with the text box aligned on `(x, y)` (figure pixels).
    pub fn place(&self, x: f64, y: f64, h: HAlign, v: VAlign, dir: Direction) -> Vec<PlacedGlyph> {
        let Some(face) = face() else { return Vec::new() };
        let (w, asc, desc) = (self.width(), self.ascent(), self.descent());
        // Offsets of the baseline start from the anchor, in the text's own frame
        // (u along the baseline, v up from it).
        let u0 = match h {
            HAlign::Left => 0.0,
            HAlign::Center => -w / 2.0,
            HAlign::Right => -w,
        };
        let v0 = match v {
            VAlign::Top => -asc,
            VAlign::Center => (desc - asc) / 2.0,
            VAlign::CenterBaseline => -asc / 2.0,
            VAlign::Bottom => desc,
        };
        // In the figure frame, for `Up` text the box's horizontal extent is its height.
        let (bx, by) = match dir {
            Direction::Horizontal => (x + u0, y - v0),
            Direction::Up => {
                let hx = match h {
                    HAlign::Left => asc,
                    HAlign::Center => (asc - desc) / 2.0,
                    HAlign::Right => -desc,
                };
                let vy = match v {
                    VAlign::Top => w,
                    VAlign::Center | VAlign::CenterBaseline => w / 2.0,
                    VAlign::Bottom => 0.0,
                };
                (x + hx, y + vy)
            }
        };
        let mut out = Vec::new();
        for (id, pen, r) in self.glyphs() {
            let run = &self.runs[r];
            let size = self.size * run.scale;
            let (along, rise) = (pen * self.size, run.rise * self.size);
            let (ox, oy) = match dir {
                Direction::Horizontal => (bx + along, by - rise),
                Direction::Up => (bx - rise, by - along),
            };
            if let Some(g) = place_glyph(face, id, size, ox, oy, dir) {
                out.push(g);
            }
        }
        out
    }
}

/// Splits a pen coordinate into an integer anchor and a quarter-pixel phase.
fn split_phase(t: f64) -> (i64, u8) {
    let q = (t * PHASES as f64).round() as i64;
    (q.div_euclid(PHASES), q.rem_euclid(PHASES) as u8)
}

/// The mask rectangle of a glyph relative to its anchor: (left, top, right, bottom).
fn mask_rect(face: &Face, key: &GlyphKey) -> Option<(i64, i64, i64, i64)> {
    let b = glyph_box(face, GlyphId(key.glyph))?;
    let s = f64::from_bits(key.size_bits);
    let p = f64::from(key.phase) / PHASES as f64;
    let (l, t, r, btm) = match key.direction {
        Direction::Horizontal => (p + b[0] * s, -b[3] * s, p + b[2] * s, -b[1] * s),
        Direction::Up => (-b[3] * s, p - b[2] * s, -b[1] * s, p - b[0] * s),
    };
    let rect = (l.floor() as i64 - 1, t.floor() as i64 - 1, r.ceil() as i64 + 1, btm.ceil() as i64 + 1);
    (rect.2 > rect.0 && rect.3 > rect.1).then_some(rect)
}

/// Places one glyph whose pen (baseline origin) is at `(ox, oy)`; None for blank glyphs.
fn place_glyph(face: &Face, id: GlyphId, size: f64, ox: f64, oy: f64, dir: Direction) -> Option<PlacedGlyph> {
    let (ax, ay, phase) = match dir {
        Direction::Horizontal => {
            let (ax, phase) = split_phase(ox);
            (ax, oy.round() as i64, phase)
        }
        Direction::Up => {
            let (ay, phase) = split_phase(oy);
            (ox.round() as i64, ay, phase)
        }
    };
    let key = GlyphKey { glyph: id.0, size_bits: size.to_bits(), phase, direction: dir };
    let (l, t, r, b) = mask_rect(face, &key)?;
    Some(PlacedGlyph { key, left: ax + l, top: ay + t, width: (r - l) as u32, height: (b - t) as u32 })
}

/// Collects a glyph outline into a tiny-skia path, mapping font units to mask pixels.
struct PathSink<F: Fn(f32, f32) -> (f32, f32)> {
    builder: PathBuilder,
    map: F,
}

impl<F: Fn(f32, f32) -> (f32, f32)> OutlineBuilder for PathSink<F> {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = (self.map)(x, y);
        self.builder.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = (self.map)(x, y);
        self.builder.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let ((x1, y1), (x, y)) = ((self.map)(x1, y1), (self.map)(x, y));
        self.builder.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let ((x1, y1), (x2, y2), (x, y)) = ((self.map)(x1, y1), (self.map)(x2, y2), (self.map)(x, y));
        self.builder.cubic_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.builder.close();
    }
}

/// Rasterises the glyph of `key` into its coverage mask (the same bytes every time).
pub fn rasterize(key: &GlyphKey) -> Option<GlyphMask> {
    let face = face()?;
    let (l, t, r, b) = mask_rect(face, key)?;
    let (width, height) = ((r - l) as u32, (b - t) as u32);
    let s = f64::from_bits(key.size_bits) / f64::from(face.units_per_em());
    let p = f64::from(key.phase) / PHASES as f64;
    let (lf, tf) = (l as f64, t as f64);
    let dir = key.direction;
    let map = move |x: f32, y: f32| -> (f32, f32) {
        let (x, y) = (f64::from(x) * s, f64::from(y) * s);
        let (fx, fy) = match dir {
            Direction::Horizontal => (p + x, -y),
            Direction::Up => (-y, p - x),
        };
        ((fx - lf) as f32, (fy - tf) as f32)
    };
    let mut sink = PathSink { builder: PathBuilder::new(), map };
    face.outline_glyph(GlyphId(key.glyph), &mut sink)?;
    let path = sink.builder.finish()?;
    let mut mask = Mask::new(width, height)?;
    mask.fill_path(&path, FillRule::Winding, true, Transform::identity());
    Some(GlyphMask { width, height, data: mask.take() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_loads_and_measures() {
        let label = Label::new("0.5", 100.0);
        // DejaVu Sans digits and the period advance 1303 and 651 units of 2048.
        assert!((label.width() - (2.0 * 1303.0 + 651.0) / 2048.0 * 100.0).abs() < 1e-9);
        assert!((label.ascent() - 1556.0 / 2048.0 * 100.0).abs() < 1e-9);
        assert!((label.descent() - 426.0 / 2048.0 * 100.0).abs() < 1e-9);
    }

    #[test]
    fn glyph_masks_are_pure_and_inked() {
        let placed =
            Label::new("A", 20.0).place(10.3, 40.0, HAlign::Left, VAlign::Bottom, Direction::Horizontal);
        assert_eq!(placed.len(), 1);
        let a = rasterize(&placed[0].key).unwrap();
        let b = rasterize(&placed[0].key).unwrap();
        assert_eq!(a.data, b.data);
        assert_eq!(a.data.len(), (a.width * a.height) as usize);
        assert!(a.data.contains(&255));
    }

    #[test]
    fn rotated_text_extends_upwards() {
        let label = Label::new("abc", 20.0);
        let placed = label.place(50.0, 100.0, HAlign::Center, VAlign::Bottom, Direction::Up);
        assert!(placed.iter().all(|g| g.top + i64::from(g.height) <= 102));
        assert!(placed[0].top > placed[2].top);
    }

    #[test]
    fn superscript_raises_ascent() {
        let plain = Label::new("10", 10.0);
        let power = Label::power_of_ten(-3, 10.0);
        assert!(power.ascent() > plain.ascent() + 2.0);
        assert!(power.width() > plain.width());
    }
}
