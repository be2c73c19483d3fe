//! Columns NumPy cannot hand over as plain numbers, read in place and converted chunk by
//! chunk as the render reads them, so no column-sized copy is ever made: values with a
//! null mask (pandas' nullable dtypes: a bool mask beside the values; Arrow, Polars and
//! pandas' Arrow dtypes: a validity bitmap), non-native byte order (the bytes viewed as
//! unsigned integers and swapped on read) and float16 (widened to float32 on read).

use gigaplot::{DType, Source};
use numpy::ndarray::{s, ArrayView1};

/// Where a column's nulls are.
#[derive(Clone, Debug)]
pub enum Nulls<'a> {
    /// One bool per value, true for null (pandas' masked arrays).
    Mask(ArrayView1<'a, bool>),
    /// Arrow's validity bitmap: bit `offset + i` (least significant bit first) set when
    /// value `i` is valid.
    Validity(ArrayView1<'a, u8>, usize),
}

impl Nulls<'_> {
    /// True when value `i` is null.
    fn is_null(&self, i: usize) -> bool {
        match self {
            Nulls::Mask(mask) => mask[i],
            Nulls::Validity(bits, offset) => {
                let bit = offset + i;
                bits[bit / 8] >> (bit % 8) & 1 == 0
            }
        }
    }
}

/// A column whose nulls read as NaN (its dtype the values'); the values under a null are
/// never read as numbers.
#[derive(Debug)]
pub struct NullableColumn<'a> {
    /// The values (whatever they hold under a null).
    values: Box<dyn Source + 'a>,
    /// Which are null.
    nulls: Nulls<'a>,
}

impl<'a> NullableColumn<'a> {
    /// `values` with `nulls`, checked to cover every value.
    pub fn new(values: Box<dyn Source + 'a>, nulls: Nulls<'a>) -> gigaplot::Result<NullableColumn<'a>> {
        let covered = match &nulls {
            Nulls::Mask(mask) => mask.len(),
            Nulls::Validity(bits, offset) => (bits.len() * 8).saturating_sub(*offset),
        };
        if covered < values.len() {
            return Err(gigaplot::Error::usage(
                values.label(),
                format!("the null mask covers {covered} of its {} values", values.len()),
            ));
        }
        Ok(NullableColumn { values, nulls })
    }
}

impl Source for NullableColumn<'_> {
    fn label(&self) -> String {
        self.values.label()
    }
    fn len(&self) -> usize {
        self.values.len()
    }
    fn dtype(&self) -> DType {
        // The values' own: nulls read as NaN whatever the dtype (as the library's nullable
        // Parquet and Arrow columns do), so integer codes with nulls stay categories.
        self.values.dtype()
    }
    fn read_f64(&self, start: usize, out: &mut [f64]) -> gigaplot::Result<()> {
        self.values.read_f64(start, out)?;
        for (i, o) in out.iter_mut().enumerate() {
            if self.nulls.is_null(start + i) {
                *o = f64::NAN;
            }
        }
        Ok(())
    }
}

/// The unsigned integer a non-native value's bytes are viewed as.
pub trait Swapped: Copy + Sync + std::fmt::Debug {
    /// The value of these bytes, swapped, as a value of `dtype` converted to f64.
    fn decode(self, dtype: DType) -> f64;
}

impl Swapped for u16 {
    fn decode(self, dtype: DType) -> f64 {
        let b = self.swap_bytes();
        match dtype {
            DType::I16 => f64::from(b as i16),
            _ => f64::from(b),
        }
    }
}

impl Swapped for u32 {
    fn decode(self, dtype: DType) -> f64 {
        let b = self.swap_bytes();
        match dtype {
            DType::F32 => f64::from(f32::from_bits(b)),
            DType::I32 => f64::from(b as i32),
            _ => f64::from(b),
        }
    }
}

impl Swapped for u64 {
    fn decode(self, dtype: DType) -> f64 {
        let b = self.swap_bytes();
        match dtype {
            DType::F64 => f64::from_bits(b),
            DType::I64 => b as i64 as f64,
            _ => b as f64,
        }
    }
}

/// A column of non-native byte order (`>f8` on a little-endian machine), its bytes viewed
/// as unsigned integers and swapped as they are read.
#[derive(Debug)]
pub struct SwappedColumn<'a, U> {
    /// What errors call the column.
    pub label: String,
    /// The bytes, as unsigned integers of the values' size.
    pub bits: ArrayView1<'a, U>,
    /// What the values are.
    pub dtype: DType,
}

impl<U: Swapped> Source for SwappedColumn<'_, U> {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn len(&self) -> usize {
        self.bits.len()
    }
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn read_f64(&self, start: usize, out: &mut [f64]) -> gigaplot::Result<()> {
        let end = start + out.len();
        for (o, b) in out.iter_mut().zip(self.bits.slice(s![start..end]).iter()) {
            *o = b.decode(self.dtype);
        }
        Ok(())
    }
}

/// A float16 column (its bits viewed as uint16, swapped first when `swapped`), read as
/// float32 values: NumPy's `astype(float32)`, exact.
#[derive(Debug)]
pub struct HalfColumn<'a> {
    /// What errors call the column.
    pub label: String,
    /// The float16 bits.
    pub bits: ArrayView1<'a, u16>,
    /// True for non-native byte order.
    pub swapped: bool,
}

/// The float32 value of float16 bits `h` (exact: every float16 is a float32).
pub fn half_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exponent = u32::from((h >> 10) & 0x1f);
    let mantissa = u32::from(h & 0x3ff);
    match exponent {
        // zero and subnormals: mantissa * 2^-24
        0 => {
            let magnitude = mantissa as f32 * f32::from_bits(0x3380_0000);
            if sign != 0 {
                -magnitude
            } else {
                magnitude
            }
        }
        // infinities and NaN (payload kept)
        31 => f32::from_bits(sign | 0x7f80_0000 | (mantissa << 13)),
        _ => f32::from_bits(sign | ((exponent + 112) << 23) | (mantissa << 13)),
    }
}

impl Source for HalfColumn<'_> {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn len(&self) -> usize {
        self.bits.len()
    }
    fn dtype(&self) -> DType {
        DType::F32
    }
    fn read_f64(&self, start: usize, out: &mut [f64]) -> gigaplot::Result<()> {
        let end = start + out.len();
        for (o, &b) in out.iter_mut().zip(self.bits.slice(s![start..end]).iter()) {
            *o = f64::from(half_to_f32(if self.swapped { b.swap_bytes() } else { b }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::half_to_f32;

    #[test]
    fn half_bits_widen_exactly() {
        assert_eq!(half_to_f32(0x3c00), 1.0);
        assert_eq!(half_to_f32(0xc000), -2.0);
        assert_eq!(half_to_f32(0x7bff), 65504.0);
        assert_eq!(half_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(half_to_f32(0x8000).to_bits(), (-0.0f32).to_bits());
        assert_eq!(half_to_f32(0x7c00), f32::INFINITY);
        assert!(half_to_f32(0x7e00).is_nan());
    }
}
