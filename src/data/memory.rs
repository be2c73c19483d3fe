//! Columns already in memory: a borrowed slice or an owned vector of any numeric type, for
//! library users who compute their points (and, next, for NumPy arrays handed over by the
//! Python package without a copy).
//!
//! Values convert to f64 exactly as the same numbers read from a `.npy` file do, so an
//! in-memory render gives the bytes of the file render.

use std::borrow::Cow;

use crate::data::source::{Floats, Source};
use crate::data::DType;
use crate::error::Result;

/// A column held in memory, borrowed (`&[T]`) or owned (`Vec<T>`), of u8, u16, u32, u64,
/// i8, i16, i32, i64, f32, f64 or bool.
///
/// ```
/// use gigaplot::{MemoryColumn, Source};
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

    fn floats(&self, start: usize, len: usize) -> Option<Floats<'_>> {
        let range = start..start.checked_add(len)?;
        match &self.values {
            Values::F32(v) => v.get(range).map(Floats::F32),
            Values::F64(v) => v.get(range).map(Floats::F64),
            _ => None,
        }
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

/// In-memory renders against `.npy` renders of the same numbers, byte for byte.
#[cfg(test)]
mod render_tests {
    use super::MemoryColumn;
    use crate::data::npy::encode_header;
    use crate::data::{ColumnSpec, DType, NpyColumn, PointColumns, Source};
    use crate::progress::NoProgress;
    use crate::reduce::Reduction;
    use crate::render::{render, Glyph, RenderOptions};
    use crate::sink::{AggregateSink, Compression, PngSink, Sink};

    /// A column as `.npy` bytes and as a memory column.
    trait Sample: Copy + bytemuck::Pod + 'static {
        const DTYPE: DType;
        fn column(label: &str, values: Vec<Self>) -> MemoryColumn<'static>;
    }

    macro_rules! sample {
        ($($t:ty => $dtype:ident),*) => {$(
            impl Sample for $t {
                const DTYPE: DType = DType::$dtype;
                fn column(label: &str, values: Vec<Self>) -> MemoryColumn<'static> {
                    MemoryColumn::new(label, values)
                }
            }
        )*};
    }
    sample!(f32 => F32, f64 => F64, i32 => I32, u8 => U8, u16 => U16, i64 => I64);

    /// Writes `values` as a 1-D `.npy` file and opens it.
    fn npy<T: Sample>(dir: &std::path::Path, name: &str, values: &[T]) -> Box<dyn Source> {
        let mut bytes = encode_header(T::DTYPE, &[values.len()]);
        bytes.extend_from_slice(bytemuck::cast_slice(values));
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        Box::new(NpyColumn::open(&ColumnSpec::parse(path.to_str().unwrap())).unwrap())
    }

    /// The PNG and aggregate bytes of rendering `points` with `options`.
    fn render_bytes(
        points: &PointColumns<'_>,
        options: &RenderOptions,
        dir: &std::path::Path,
    ) -> (Vec<u8>, Vec<u8>) {
        let (png, agg) = (dir.join("out.png"), dir.join("agg.npy"));
        let sinks: Vec<Box<dyn Sink>> =
            vec![Box::new(PngSink::new(&png, Compression::Fast)), Box::new(AggregateSink::new(&agg))];
        let options = RenderOptions { scratch_dir: Some(dir.to_path_buf()), ..options.clone() };
        render(points, &options, sinks, &NoProgress).unwrap();
        (std::fs::read(png).unwrap(), std::fs::read(agg).unwrap())
    }

    /// Renders x, y (and v) from memory and from `.npy` files with `options`, and checks
    /// that both give the same PNG and aggregate bytes.
    fn same_render<X: Sample, Y: Sample, V: Sample>(
        xs: Vec<X>,
        ys: Vec<Y>,
        vs: Option<Vec<V>>,
        options: RenderOptions,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut files = PointColumns::from_sources(npy(d, "x.npy", &xs), npy(d, "y.npy", &ys)).unwrap();
        let mut memory =
            PointColumns::from_sources(Box::new(X::column("x", xs)), Box::new(Y::column("y", ys))).unwrap();
        if let Some(vs) = vs {
            files = files.with_value(npy(d, "v.npy", &vs)).unwrap();
            memory = memory.with_value(Box::new(V::column("v", vs))).unwrap();
        }
        let want = render_bytes(&files, &options, d);
        let got = render_bytes(&memory, &options, d);
        assert!(want.0.len() > 100 && want.1.len() > 100);
        assert!(got.0 == want.0, "{:?} {:?}: PNG differs", options.glyph, options.reduction);
        assert!(got.1 == want.1, "{:?} {:?}: aggregate differs", options.glyph, options.reduction);
    }

    /// n pseudo-random values in [lo, hi).
    fn noise(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                lo + (hi - lo) * ((state >> 11) as f64 / (1u64 << 53) as f64)
            })
            .collect()
    }

    fn options(glyph: Glyph, reduction: Reduction) -> RenderOptions {
        RenderOptions { width: 97, height: 61, tile: 16, glyph, reduction, ..RenderOptions::default() }
    }

    #[test]
    fn float32_points_from_memory_render_as_from_files() {
        let n = 20_000;
        let xs: Vec<f32> = noise(n, 1, -3.0, 3.0).into_iter().map(|v| v as f32).collect();
        let ys: Vec<f32> = noise(n, 2, -1.0, 2.0).into_iter().map(|v| v as f32).collect();
        let vs: Vec<f32> = noise(n, 3, 0.0, 9.0).into_iter().map(|v| v as f32).collect();
        same_render::<f32, f32, f32>(xs.clone(), ys.clone(), None, options(Glyph::Points, Reduction::Count));
        same_render(xs, ys, Some(vs), options(Glyph::Points, Reduction::Max));
    }

    #[test]
    fn float64_and_integer_columns_from_memory_render_as_from_files() {
        let n = 5_000;
        let xs = noise(n, 4, 0.0, 100.0);
        let ys: Vec<i32> = noise(n, 5, -50.0, 50.0).into_iter().map(|v| v as i32).collect();
        let vs: Vec<i64> = noise(n, 6, -1e6, 1e6).into_iter().map(|v| v as i64).collect();
        same_render(xs.clone(), ys.clone(), Some(vs.clone()), options(Glyph::Points, Reduction::Mean));
        same_render(xs.clone(), ys.clone(), Some(vs), options(Glyph::Lines, Reduction::Sum));
        let cats: Vec<u8> = (0..n).map(|i| (i % 5) as u8).collect();
        same_render(xs.clone(), ys.clone(), Some(cats.clone()), options(Glyph::Points, Reduction::CountCat));
        let aa = RenderOptions { line_width: 1.5, ..options(Glyph::Lines, Reduction::CountCat) };
        same_render(xs.clone(), ys.clone(), Some(cats), aa);
        let weights: Vec<u16> = (0..n).map(|i| (i % 300) as u16).collect();
        let aa_mean = RenderOptions { line_width: 2.0, ..options(Glyph::Lines, Reduction::Mean) };
        same_render(xs, ys, Some(weights), aa_mean);
    }
}
