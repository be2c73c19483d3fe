//! Columns already in memory: a borrowed slice or an owned vector of any numeric type, for
//! library users who compute their points (and, next, for NumPy arrays handed over by the
//! Python package without a copy).
//!
//! Values convert to f64 exactly as the same numbers read from a `.npy` file do, so an
//! in-memory render gives the bytes of the file render.

use std::borrow::Cow;

use crate::data::source::Source;
use crate::data::DType;
use crate::error::Result;

/// A column held in memory, borrowed (`&[T]`) or owned (`Vec<T>`), of u8, u16, u32, u64,
/// i8, i16, i32, i64, f32, f64 or bool.
///
/// ```
/// use gigaplot::data::{MemoryColumn, Source};
/// let xs = [0.5f32, 1.5, 2.5];
/// let column = MemoryColumn::new("x", &xs[..]);
/// let mut out = [0.0; 2];
/// column.read_f64(1, &mut out)?;
/// assert_eq!(out, [1.5, 2.5]);
/// # Ok::<(), gigaplot::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MemoryColumn<'a> {
    label: String,
    values: Values<'a>,
}

/// The values of a [`MemoryColumn`]: made from `&[T]` (borrowed) or `Vec<T>` (owned) of
/// any numeric type, with `.into()`.
#[derive(Clone, Debug)]
pub struct MemoryValues<'a>(Values<'a>);

/// The typed values of a [`MemoryColumn`].
#[derive(Clone, Debug)]
enum Values<'a> {
    Bool(Cow<'a, [bool]>),
    I8(Cow<'a, [i8]>),
    I16(Cow<'a, [i16]>),
    I32(Cow<'a, [i32]>),
    I64(Cow<'a, [i64]>),
    U8(Cow<'a, [u8]>),
    U16(Cow<'a, [u16]>),
    U32(Cow<'a, [u32]>),
    U64(Cow<'a, [u64]>),
    F32(Cow<'a, [f32]>),
    F64(Cow<'a, [f64]>),
}

macro_rules! from_values {
    ($($t:ty => $variant:ident),*) => {$(
        impl<'a> From<&'a [$t]> for MemoryValues<'a> {
            fn from(values: &'a [$t]) -> Self {
                MemoryValues(Values::$variant(Cow::Borrowed(values)))
            }
        }
        impl From<Vec<$t>> for MemoryValues<'static> {
            fn from(values: Vec<$t>) -> Self {
                MemoryValues(Values::$variant(Cow::Owned(values)))
            }
        }
    )*};
}
from_values!(bool => Bool, i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8, u16 => U16,
             u32 => U32, u64 => U64, f32 => F32, f64 => F64);

impl<'a> MemoryColumn<'a> {
    /// A column named `label` (in error messages) holding `values`: a slice (`&xs[..]`,
    /// borrowed for the column's lifetime) or a vector (owned).
    pub fn new(label: impl Into<String>, values: impl Into<MemoryValues<'a>>) -> MemoryColumn<'a> {
        MemoryColumn { label: label.into(), values: values.into().0 }
    }
}

/// Converts `values[start .. start + out.len()]` to f64 with `f`.
#[inline]
fn convert<T: Copy>(values: &[T], start: usize, out: &mut [f64], f: impl Fn(T) -> f64) {
    let n = out.len();
    for (o, &v) in out.iter_mut().zip(&values[start..start + n]) {
        *o = f(v);
    }
}

impl Source for MemoryColumn<'_> {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn len(&self) -> usize {
        match &self.values {
            Values::Bool(v) => v.len(),
            Values::I8(v) => v.len(),
            Values::I16(v) => v.len(),
            Values::I32(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::U8(v) => v.len(),
            Values::U16(v) => v.len(),
            Values::U32(v) => v.len(),
            Values::U64(v) => v.len(),
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
        }
    }

    fn dtype(&self) -> DType {
        match &self.values {
            Values::Bool(_) => DType::Bool,
            Values::I8(_) => DType::I8,
            Values::I16(_) => DType::I16,
            Values::I32(_) => DType::I32,
            Values::I64(_) => DType::I64,
            Values::U8(_) => DType::U8,
            Values::U16(_) => DType::U16,
            Values::U32(_) => DType::U32,
            Values::U64(_) => DType::U64,
            Values::F32(_) => DType::F32,
            Values::F64(_) => DType::F64,
        }
    }

    fn read_f64(&self, start: usize, out: &mut [f64]) -> Result<()> {
        let end = start.checked_add(out.len());
        assert!(
            end.is_some_and(|end| end <= self.len()),
            "read_f64({start}, {}) outside a column of {} values",
            out.len(),
            self.len()
        );
        // The same conversions as a .npy column's (numpy's astype(float64)).
        match &self.values {
            Values::Bool(v) => convert(v, start, out, |b| f64::from(u8::from(b))),
            Values::I8(v) => convert(v, start, out, f64::from),
            Values::I16(v) => convert(v, start, out, f64::from),
            Values::I32(v) => convert(v, start, out, f64::from),
            Values::I64(v) => convert(v, start, out, |v| v as f64),
            Values::U8(v) => convert(v, start, out, f64::from),
            Values::U16(v) => convert(v, start, out, f64::from),
            Values::U32(v) => convert(v, start, out, f64::from),
            Values::U64(v) => convert(v, start, out, |v| v as f64),
            Values::F32(v) => convert(v, start, out, f64::from),
            Values::F64(v) => convert(v, start, out, |v| v),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_converts_like_numpy() {
        let check = |c: MemoryColumn<'_>, dtype: DType, want: &[f64]| {
            assert_eq!((c.len(), c.dtype(), c.label()), (want.len(), dtype, "c".to_string()));
            let mut out = vec![0.0; want.len()];
            c.read_f64(0, &mut out).unwrap();
            assert_eq!(out, want, "{dtype:?}");
        };
        check(MemoryColumn::new("c", vec![true, false]), DType::Bool, &[1.0, 0.0]);
        check(MemoryColumn::new("c", &[-128i8, 127][..]), DType::I8, &[-128.0, 127.0]);
        check(MemoryColumn::new("c", vec![-2i16]), DType::I16, &[-2.0]);
        check(MemoryColumn::new("c", vec![i32::MIN]), DType::I32, &[f64::from(i32::MIN)]);
        check(MemoryColumn::new("c", vec![i64::MAX]), DType::I64, &[i64::MAX as f64]);
        check(MemoryColumn::new("c", vec![255u8]), DType::U8, &[255.0]);
        check(MemoryColumn::new("c", vec![65535u16]), DType::U16, &[65535.0]);
        check(MemoryColumn::new("c", vec![u32::MAX]), DType::U32, &[f64::from(u32::MAX)]);
        check(MemoryColumn::new("c", vec![u64::MAX]), DType::U64, &[u64::MAX as f64]);
        check(MemoryColumn::new("c", vec![0.1f32]), DType::F32, &[f64::from(0.1f32)]);
        check(MemoryColumn::new("c", vec![1e300, -0.5]), DType::F64, &[1e300, -0.5]);
        let nan = MemoryColumn::new("c", vec![f64::NAN]);
        let mut out = [0.0];
        nan.read_f64(0, &mut out).unwrap();
        assert!(out[0].is_nan());
    }

    #[test]
    fn reads_at_any_offset() {
        let values: Vec<u16> = (0..100).collect();
        let c = MemoryColumn::new("c", &values[..]);
        let mut out = [0.0; 3];
        c.read_f64(97, &mut out).unwrap();
        assert_eq!(out, [97.0, 98.0, 99.0]);
        c.read_f64(100, &mut []).unwrap();
    }
}
