//! What the partition stores per glyph item: its shape on the global grid (a packed pixel,
//! a width-0 segment, an anti-aliased segment) and, when the reduction reads the value
//! column, the item's value ([`Valued`]), and for reductions whose coarser pyramid levels
//! need the input order (`first`, `last`), the item's index too ([`Indexed`]). Records are
//! plain bytes (`Pod`): the scratch file holds them as they are.

use bytemuck::{Pod, Zeroable};

use crate::reduce::{NoValue, ReadsValue, ReadsValueInOrder};

/// A glyph's geometry as stored per record.
pub trait Shape: Pod + Send + Sync {}

/// A point: its packed pixel `row_in_band << column_bits | column`.
impl Shape for u32 {}

/// A partition record: a shape, with or without a value.
pub trait Record: Pod + Send + Sync {
    /// The geometry.
    type Shape: Shape;
    /// True when the record carries a value read from the value column.
    const HAS_VALUE: bool;
    /// The record of `shape` with `value` (ignored by records without a value).
    fn new(shape: Self::Shape, value: f64) -> Self;
    /// The geometry.
    fn shape(&self) -> Self::Shape;
    /// The value (NaN for records without one).
    fn value(&self) -> f64;
    /// The record of `shape` with `value` for input item `item` (its index in input order;
    /// kept only by records that carry it, [`Indexed`]).
    #[inline(always)]
    fn with_item(shape: Self::Shape, value: f64, _item: u64) -> Self {
        Self::new(shape, value)
    }
    /// The input item's index (0 for records without one).
    #[inline(always)]
    fn item(&self) -> u64 {
        0
    }
    /// This record with its shape replaced by `shape` (value and item kept).
    #[inline(always)]
    fn with_shape(&self, shape: Self::Shape) -> Self {
        Self::with_item(shape, self.value(), self.item())
    }
}

/// A bare shape is the record of reductions that read no value: 4 bytes per point.
impl<S: Shape> Record for S {
    type Shape = S;
    const HAS_VALUE: bool = false;
    #[inline(always)]
    fn new(shape: S, _value: f64) -> S {
        shape
    }
    #[inline(always)]
    fn shape(&self) -> S {
        *self
    }
    #[inline(always)]
    fn value(&self) -> f64 {
        f64::NAN
    }
}

/// A shape and its value, packed: 12 bytes for a point, 28 for a width-0 segment, 64 for
/// an anti-aliased one.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct Valued<S> {
    shape: S,
    value: f64,
}

// SAFETY: `repr(C, packed)` leaves no padding between or after the two fields, both `Pod`
// (`S: Shape` is `Pod`, and so is `f64`), so every bit pattern is a valid value and the
// all-zero one too; the type is `Copy` and `'static` when `S` is.
unsafe impl<S: Shape> Zeroable for Valued<S> {}
// SAFETY: as above.
unsafe impl<S: Shape> Pod for Valued<S> {}

impl<S: Shape> Record for Valued<S> {
    type Shape = S;
    const HAS_VALUE: bool = true;
    #[inline(always)]
    fn new(shape: S, value: f64) -> Self {
        Valued { shape, value }
    }
    #[inline(always)]
    fn shape(&self) -> S {
        self.shape
    }
    #[inline(always)]
    fn value(&self) -> f64 {
        self.value
    }
}

/// A shape, its value and the index of its input item in input order, packed: 20 bytes
/// for a point. The record of `first` and `last` pyramids, whose coarser levels keep the
/// earliest / latest item of their finest pixels ([`crate::reduce::InOrder`]).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct Indexed<S> {
    shape: S,
    value: f64,
    item: u64,
}

// SAFETY: `repr(C, packed)` leaves no padding between or after the three fields, all `Pod`
// (`S: Shape` is `Pod`, and so are `f64` and `u64`), so every bit pattern is a valid value
// and the all-zero one too; the type is `Copy` and `'static` when `S` is.
unsafe impl<S: Shape> Zeroable for Indexed<S> {}
// SAFETY: as above.
unsafe impl<S: Shape> Pod for Indexed<S> {}

impl<S: Shape> Record for Indexed<S> {
    type Shape = S;
    const HAS_VALUE: bool = true;
    #[inline(always)]
    fn new(shape: S, value: f64) -> Self {
        Indexed { shape, value, item: 0 }
    }
    #[inline(always)]
    fn with_item(shape: S, value: f64, item: u64) -> Self {
        Indexed { shape, value, item }
    }
    #[inline(always)]
    fn shape(&self) -> S {
        self.shape
    }
    #[inline(always)]
    fn value(&self) -> f64 {
        self.value
    }
    #[inline(always)]
    fn item(&self) -> u64 {
        self.item
    }
}

/// The record type of shape `S` for a reduction whose input is `Self` ([`NoValue`]: the
/// bare shape; [`ReadsValue`]: the shape with its value).
pub trait RecordOf<S: Shape> {
    /// The record.
    type Record: Record<Shape = S>;
}

impl<S: Shape> RecordOf<S> for NoValue {
    type Record = S;
}

impl<S: Shape> RecordOf<S> for ReadsValue {
    type Record = Valued<S>;
}

impl<S: Shape> RecordOf<S> for ReadsValueInOrder {
    type Record = Indexed<S>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glyph::lines::{AaSegment, LineSegment};

    #[test]
    fn value_records_are_packed_and_keep_their_fields() {
        assert_eq!(std::mem::size_of::<Valued<u32>>(), 12);
        assert_eq!(std::mem::size_of::<Valued<LineSegment>>(), 28);
        assert_eq!(std::mem::size_of::<Valued<AaSegment>>(), 64);
        let r = Valued::new(7u32, 2.5);
        let bytes: &[u8] = bytemuck::bytes_of(&r);
        assert_eq!(&bytes[..4], &7u32.to_le_bytes());
        assert_eq!(&bytes[4..], &2.5f64.to_le_bytes());
        assert_eq!((r.shape(), r.value()), (7, 2.5));
        let seg = LineSegment { x0: 1, y0: 2, x1: 3, y1: 4, flags: 1 };
        let r = Valued::new(seg, -2.5);
        assert_eq!((r.shape(), r.value()), (seg, -2.5));
        assert!(Record::value(&seg).is_nan());
        assert_eq!(std::mem::size_of::<Indexed<u32>>(), 20);
        let r = Indexed::with_item(7u32, 2.5, 1 << 40);
        assert_eq!((r.shape(), r.value(), r.item()), (7, 2.5, 1 << 40));
        let moved = r.with_shape(3);
        assert_eq!((moved.shape(), moved.value(), moved.item()), (3, 2.5, 1 << 40));
        assert_eq!(Valued::with_item(7u32, 2.5, 9).item(), 0);
    }
}
