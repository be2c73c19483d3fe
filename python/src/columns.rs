//! NumPy columns borrowed without a copy: a 1-D C-contiguous array of any numeric or bool
//! dtype is read in place as a [`MemoryColumn`] (the Python side hands over contiguous
//! arrays; pandas, Polars and Arrow columns arrive as NumPy views of their buffers).

use gigaplot::data::MemoryColumn;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use crate::errors::bad;

/// Declares [`Held`] and [`Slice`] for every element type a column may have.
macro_rules! column_types {
    ($($t:ty => $variant:ident),*) => {
        /// A NumPy array kept borrowed (read-only) while a render reads it.
        pub enum Held<'py> {
            $(#[doc = concat!("An array of ", stringify!($t), ".")] $variant(PyReadonlyArray1<'py, $t>),)*
        }

        /// The values of a [`Held`] array, as a slice that can cross into other threads.
        #[derive(Clone, Copy)]
        pub enum Slice<'a> {
            $(#[doc = concat!("Values of ", stringify!($t), ".")] $variant(&'a [$t]),)*
        }

        impl<'py> Held<'py> {
            /// Borrows `array`, a 1-D NumPy array of a supported dtype; `name` is the
            /// keyword in the error when it is not.
            pub fn extract(name: &str, array: &Bound<'py, PyAny>) -> PyResult<Held<'py>> {
                $(if let Ok(a) = array.extract::<PyReadonlyArray1<'py, $t>>() {
                    return Ok(Held::$variant(a));
                })*
                let dtype = array.getattr("dtype").map(|d| d.to_string()).unwrap_or_else(|_| "unknown".into());
                Err(bad(name, format!("columns must be 1-D arrays of numbers or bools, not {dtype}")))
            }

            /// The values in place; fails when the array is not contiguous.
            pub fn slice(&self, name: &str) -> PyResult<Slice<'_>> {
                match self {
                    $(Held::$variant(a) => a.as_slice().map(Slice::$variant),)*
                }
                .map_err(|_| bad(name, "the column is not contiguous"))
            }
        }

        impl<'a> Slice<'a> {
            /// A library column reading these values in place.
            pub fn column(self, label: &str) -> MemoryColumn<'a> {
                match self {
                    $(Slice::$variant(v) => MemoryColumn::new(label, v),)*
                }
            }

            /// Number of values.
            pub fn len(self) -> usize {
                match self {
                    $(Slice::$variant(v) => v.len(),)*
                }
            }
        }
    };
}

column_types!(f64 => F64, f32 => F32, i64 => I64, i32 => I32, i16 => I16, i8 => I8, u64 => U64,
              u32 => U32, u16 => U16, u8 => U8, bool => Bool);
