//! Lines: polylines drawn with Datashader's semantics on the GLOBAL pixel grid, so that
//! drawing a segment into any window (a tile or a band) gives exactly the pixels of the
//! whole-canvas drawing that fall inside the window. All line code lives here.
//!
//! The stages, each a pure function:
//!
//! 1. [`vertices`] walks the x/y columns (one series, or K series of 2-D arrays) in
//!    bounded blocks into [`RawSegment`]s carrying Datashader's `segment_start` /
//!    `segment_end` flags, statelessly for any range of vertices; NaN in x or y breaks a
//!    line, and two series never join. ([`Polyline`] is the same walk over one column in
//!    memory.)
//! 2. [`line_segment`] (width 0, `thin.rs`) or [`aa_segment`] (`line_width > 0`, `aa.rs`)
//!    clips the segment to the canvas range in data space ([`clip_segment`],
//!    Liang-Barsky) and maps it to pixels as Datashader's `map_onto_pixel` does, giving a
//!    compact `Pod` shape ([`LineSegment`], [`AaSegment`]) for the scratch file.
//! 3. [`binner`] sends each segment to every band it may touch ([`rows_spanned`] /
//!    [`aa_rows_spanned`]): O(N), a segment is stored once per band it crosses.
//! 4. A band's segments are routed to every tile their columns span and drawn there
//!    ([`draw`] / [`draw_aa`]), only the pixels inside the tile, in time proportional to
//!    those pixels, never to the segment's length.
//!
//! [`Lines`] and [`AaLines`] are the two glyphs. Datashader's aggregate row 0 is the y
//! minimum; here, as everywhere in gigaplot, row 0 is the top of the image (y maximum).
//! Tie-breaks are decided in Datashader's coordinates and the rows flipped afterwards.

mod aa;
pub mod binner;
mod bresenham;
mod clip;
mod polyline;
mod thin;
pub mod vertices;

#[cfg(test)]
pub(crate) mod datashader_cases;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use aa::{aa_rows_spanned, aa_segment, draw_aa, AaSegment, AaStyle};
#[cfg(test)]
pub use polyline::Polyline;
pub use polyline::RawSegment;
#[cfg(test)]
pub use thin::segments_of_polyline;
pub use thin::{draw, line_segment, rows_spanned, LineSegment};

/// The window type drawing functions take, re-exported where line users look for it.
pub use crate::canvas::PixelWindow;

use crate::canvas::Plan;
use crate::error::Result;
use crate::glyph::record::{Record, Shape};
use crate::glyph::route::for_each_tile_window_spans;
use crate::glyph::{BandDraw, Glyph, GlyphInput};
use crate::partition::{partition_kept, Partition};
use crate::progress::Progress;
use crate::reduce::Fragment;
use binner::{SegmentBinner, ThinSegments};

impl Shape for LineSegment {}
impl Shape for AaSegment {}

/// Lines of width 0 through consecutive points (one per series): each record a segment
/// drawn with Datashader's Bresenham (`Canvas.line`). A pixel gets one fragment per
/// segment that passes through it (a polyline's shared vertices once, as Datashader), with
/// the value of the segment's start vertex.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lines;

impl Glyph for Lines {
    type Shape = LineSegment;

    fn partition<R: Record<Shape = LineSegment>>(
        &self,
        input: &GlyphInput<'_>,
        plan: &Plan,
        scratch_dir: &Path,
        progress: &dyn Progress,
    ) -> Result<Partition> {
        let binner = SegmentBinner::<_, R>::new(ThinSegments, input, plan);
        partition_kept(&binner, plan.kept_bands(), scratch_dir, progress)
    }

    fn draw<R, T, F>(&self, band: &BandDraw<'_>, tiles: &mut [&mut [T]], fold: F) -> Result<()>
    where
        R: Record<Shape = LineSegment>,
        T: Send,
        F: Fn(&mut [T], usize, Fragment) + Sync,
    {
        let layout = band.layout;
        let columns = |r: &R| {
            let s = r.shape();
            (s.x0.min(s.x1), s.x0.max(s.x1))
        };
        for_each_tile_window_spans(
            band.partition,
            band.band,
            layout,
            tiles,
            columns,
            |t, tile, records: &[R]| {
                let window = layout.tile_window(t);
                let (x0, y0, w) = (window.x0, window.y0, window.x1 - window.x0);
                for record in records {
                    // `move`: the closure owns copies of what it reads per pixel, so they
                    // stay in registers instead of being reloaded after each store to the tile.
                    let (value, item, tile, fold) = (record.value(), record.item(), &mut *tile, &fold);
                    draw(&record.shape(), window, move |x, y, _| {
                        fold(tile, ((y - y0) * w + (x - x0)) as usize, Fragment::of_item(value, item));
                    });
                }
            },
        )
    }
}

/// Anti-aliased lines `line_width` pixels wide (Datashader's `Canvas.line(...,
/// line_width=W)`): every pixel a segment's scan reaches gets its coverage and the join
/// correction of the previous segment of the run (or, for reductions that are not
/// additive, the full caps).
#[derive(Clone, Copy, Debug)]
pub struct AaLines {
    /// Line width in pixels (> 0).
    pub line_width: f64,
}

impl AaLines {
    /// Lines `line_width` pixels wide.
    pub fn new(line_width: f64) -> AaLines {
        AaLines { line_width }
    }

    /// How segments are drawn on the canvas of `plan` for a reduction with `overwrite`.
    pub fn style(&self, plan: &Plan, overwrite: bool) -> AaStyle {
        AaStyle { line_width: self.line_width, overwrite, width: plan.width, height: plan.height }
    }
}

/// First and last canvas column `seg` may touch: its extent widened by 1.5 times the half
/// width Datashader scans (`h = 0.5 * (max(line_width, 1) + 1)`; the scan rectangle's
/// corners lie up to `h * sqrt(2)` from the endpoints), clamped to the canvas.
pub fn aa_columns_spanned(seg: &AaSegment, style: &AaStyle) -> (u32, u32) {
    let half = 1.5 * 0.5 * (style.line_width.max(1.0) + 1.0);
    let last = f64::from(style.width) - 1.0;
    let lo = (seg.x0.min(seg.x1) - half).floor().clamp(0.0, last);
    let hi = (seg.x0.max(seg.x1) + half).ceil().clamp(0.0, last);
    (lo as u32, hi.max(lo) as u32)
}

impl Glyph for AaLines {
    type Shape = AaSegment;

    fn partition<R: Record<Shape = AaSegment>>(
        &self,
        input: &GlyphInput<'_>,
        plan: &Plan,
        scratch_dir: &Path,
        progress: &dyn Progress,
    ) -> Result<Partition> {
        let binner = SegmentBinner::<_, R>::new(self.style(plan, input.overwrite), input, plan);
        partition_kept(&binner, plan.kept_bands(), scratch_dir, progress)
    }

    fn draw<R, T, F>(&self, band: &BandDraw<'_>, tiles: &mut [&mut [T]], fold: F) -> Result<()>
    where
        R: Record<Shape = AaSegment>,
        T: Send,
        F: Fn(&mut [T], usize, Fragment) + Sync,
    {
        let (layout, style) = (band.layout, self.style(band.plan, band.overwrite));
        let columns = |r: &R| aa_columns_spanned(&r.shape(), &style);
        for_each_tile_window_spans(
            band.partition,
            band.band,
            layout,
            tiles,
            columns,
            |t, tile, records: &[R]| {
                let window = layout.tile_window(t);
                let (x0, y0, w) = (window.x0, window.y0, window.x1 - window.x0);
                for record in records {
                    let value = record.value();
                    draw_aa(&record.shape(), &style, window, |x, y, aa, prev| {
                        fold(tile, ((y - y0) * w + (x - x0)) as usize, Fragment { value, aa, prev, item: 0 });
                    });
                }
            },
        )
    }
}

#[cfg(test)]
thread_local! {
    /// Inner-loop iterations of `draw` and `draw_aa` on this thread (tests measure cost).
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts one inner-loop iteration (tests only).
#[inline(always)]
fn count_step() {
    #[cfg(test)]
    STEPS.with(|s| s.set(s.get() + 1));
}

/// Inner-loop iterations so far on this thread (tests only).
#[cfg(test)]
fn steps() -> u64 {
    STEPS.with(|s| s.get())
}

#[cfg(test)]
mod span_tests {
    use super::*;

    #[test]
    fn columns_are_widened_by_the_half_width_and_clamped() {
        let style = AaStyle { line_width: 3.0, overwrite: false, width: 100, height: 10 };
        let seg = AaSegment { x0: 10.2, y0: 1.0, x1: 5.5, y1: 2.0, xm: 0.0, ym: 0.0, flags: 3, pad: 0 };
        assert_eq!(aa_columns_spanned(&seg, &style), (2, 14));
        let edge = AaSegment { x0: -0.5, x1: 99.5, ..seg };
        assert_eq!(aa_columns_spanned(&edge, &style), (0, 99));
        let thin = AaStyle { line_width: 0.5, ..style };
        assert_eq!(aa_columns_spanned(&seg, &thin), (4, 12));
    }
}
