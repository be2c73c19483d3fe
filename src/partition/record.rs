//! What the partition stores per point or glyph fragment: the packed pixel, and the value
//! the reduction reads when it reads one.

use bytemuck::{Pod, Zeroable};

/// A partition record: plain bytes (stored in the scratch file as they are) that know their
/// packed pixel (`row_in_band << column_bits | column`).
pub trait Record: Pod + Send + Sync {
    /// True when the record carries a value read from the `--value` column.
    const HAS_VALUE: bool;
    /// A record for `pixel` with `value` (ignored by records without a value).
    fn new(pixel: u32, value: f64) -> Self;
    /// The packed pixel.
    fn pixel(&self) -> u32;
    /// The value (NaN for records without one).
    fn value(&self) -> f64;
}

/// Counting needs only the pixel: 4 bytes per record.
impl Record for u32 {
    const HAS_VALUE: bool = false;
    #[inline(always)]
    fn new(pixel: u32, _value: f64) -> Self {
        pixel
    }
    #[inline(always)]
    fn pixel(&self) -> u32 {
        *self
    }
    #[inline(always)]
    fn value(&self) -> f64 {
        f64::NAN
    }
}

/// A pixel and a value (sum, mean, min, a category...): 12 bytes per record, packed.
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct ValueRecord {
    pixel: u32,
    value: f64,
}

impl Record for ValueRecord {
    const HAS_VALUE: bool = true;
    #[inline(always)]
    fn new(pixel: u32, value: f64) -> Self {
        ValueRecord { pixel, value }
    }
    #[inline(always)]
    fn pixel(&self) -> u32 {
        self.pixel
    }
    #[inline(always)]
    fn value(&self) -> f64 {
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_records_are_12_packed_bytes() {
        assert_eq!(std::mem::size_of::<ValueRecord>(), 12);
        let r = ValueRecord::new(7, 2.5);
        let bytes: &[u8] = bytemuck::bytes_of(&r);
        assert_eq!(&bytes[..4], &7u32.to_le_bytes());
        assert_eq!(&bytes[4..], &2.5f64.to_le_bytes());
        assert_eq!((r.pixel(), r.value()), (7, 2.5));
    }
}
