//! What the partition stores per line segment when the reduction reads the `--value`
//! column: the segment and the value of its START vertex (Datashader's `_bresenham` and
//! `_full_antialias` call `append(i, ...)` for every pixel of the segment from vertex `i`
//! to vertex `i + 1`). Count renders keep the bare segments.

use bytemuck::{Pod, Zeroable};

use crate::glyph::lines::{AaSegment, LineSegment};

/// A record the width-0 line binner can emit: a segment, with or without a value.
pub trait LineRecord: Pod + Send + Sync {
    /// True when the record carries the value of the segment's start vertex.
    const HAS_VALUE: bool;
    /// The record of `segment` whose start vertex holds `value` (ignored without a value).
    fn new(segment: LineSegment, value: f64) -> Self;
    /// The segment.
    fn segment(&self) -> LineSegment;
    /// The start vertex's value (1.0 for records without one: each line weighs 1).
    fn value(&self) -> f64;
}

impl LineRecord for LineSegment {
    const HAS_VALUE: bool = false;
    #[inline(always)]
    fn new(segment: LineSegment, _value: f64) -> Self {
        segment
    }
    #[inline(always)]
    fn segment(&self) -> LineSegment {
        *self
    }
    #[inline(always)]
    fn value(&self) -> f64 {
        1.0
    }
}

/// A width-0 segment and its start vertex's value: 28 bytes, packed.
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct LineValueSegment {
    segment: LineSegment,
    value: f64,
}

impl LineRecord for LineValueSegment {
    const HAS_VALUE: bool = true;
    #[inline(always)]
    fn new(segment: LineSegment, value: f64) -> Self {
        LineValueSegment { segment, value }
    }
    #[inline(always)]
    fn segment(&self) -> LineSegment {
        self.segment
    }
    #[inline(always)]
    fn value(&self) -> f64 {
        self.value
    }
}

/// A record the anti-aliased line binner can emit: a segment, with or without a value.
pub trait AaRecord: Pod + Send + Sync {
    /// True when the record carries the value of the segment's start vertex.
    const HAS_VALUE: bool;
    /// The record of `segment` whose start vertex holds `value` (ignored without a value).
    fn new(segment: AaSegment, value: f64) -> Self;
    /// The segment.
    fn segment(&self) -> AaSegment;
    /// The start vertex's value (1.0 for records without one).
    fn value(&self) -> f64;
}

impl AaRecord for AaSegment {
    const HAS_VALUE: bool = false;
    #[inline(always)]
    fn new(segment: AaSegment, _value: f64) -> Self {
        segment
    }
    #[inline(always)]
    fn segment(&self) -> AaSegment {
        *self
    }
    #[inline(always)]
    fn value(&self) -> f64 {
        1.0
    }
}

/// An anti-aliased segment and its start vertex's value: 64 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct AaValueSegment {
    segment: AaSegment,
    value: f64,
}

impl AaRecord for AaValueSegment {
    const HAS_VALUE: bool = true;
    #[inline(always)]
    fn new(segment: AaSegment, value: f64) -> Self {
        AaValueSegment { segment, value }
    }
    #[inline(always)]
    fn segment(&self) -> AaSegment {
        self.segment
    }
    #[inline(always)]
    fn value(&self) -> f64 {
        self.value
    }
}

/// Reads `out.len()` values of `column` from row `start` (vertex values for a block of
/// vertices); NaN everywhere when there is no column.
pub fn read_values(column: Option<&crate::data::Column>, start: usize, out: &mut [f64]) {
    match column {
        Some(column) => column.read_f64(start, out),
        None => out.fill(f64::NAN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_records_are_compact_and_keep_their_fields() {
        assert_eq!(std::mem::size_of::<LineValueSegment>(), 28);
        assert_eq!(std::mem::size_of::<AaValueSegment>(), 64);
        let seg = LineSegment { x0: 1, y0: 2, x1: 3, y1: 4, flags: 1 };
        let r = LineValueSegment::new(seg, -2.5);
        assert_eq!((r.segment(), r.value()), (seg, -2.5));
        assert_eq!(LineRecord::value(&seg), 1.0);
        let aa = AaSegment { x0: 1.0, y0: 2.0, x1: 3.0, y1: 4.0, xm: 0.0, ym: 0.0, flags: 3, pad: 0 };
        let r = AaValueSegment::new(aa, 7.0);
        assert_eq!((r.segment(), AaRecord::value(&r)), (aa, 7.0));
    }
}
