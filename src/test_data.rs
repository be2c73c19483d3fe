//! The reference data files under `tests/data/` (written by the generators in `tools/`, see
//! `tests/data/datashader/README.md`), read by the unit tests into serde structs they define,
//! and the `.npy` inputs there (`tests/data/random_walk/`, `tools/gen_random_walk.py`).
//!
//! Floats are JSON numbers in shortest round-trip form, read back bit-exactly (serde_json's
//! `float_roundtrip`); NaN and the infinities, which JSON lacks, are the strings `"NaN"`,
//! `"inf"` and `"-inf"`: the `deserialize_with` helpers here read both forms.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;

/// Reads and parses `tests/data/<name>`, panicking with the path and the problem.
pub(crate) fn load<T: DeserializeOwned>(name: &str) -> T {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads the values of the 1-D `.npy` file `tests/data/<name>`, which must hold `dtype` (the
/// type `T`), panicking with the path and the problem.
pub(crate) fn load_npy<T: bytemuck::Pod>(name: &str, dtype: crate::data::DType) -> Vec<T> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header =
        crate::data::npy::NpyHeader::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!((header.dtype, dtype.size()), (dtype, std::mem::size_of::<T>()), "{}", path.display());
    bytes[header.data_offset..]
        .chunks_exact(std::mem::size_of::<T>())
        .map(bytemuck::pod_read_unaligned)
        .collect()
}

/// Writes `values` as a float64 `.npy` array of `shape` at `path`, in memory order (Fortran
/// order when `fortran`): the unit tests' input files, written where each test wants them.
pub(crate) fn write_f64_npy(path: &std::path::Path, shape: &[usize], fortran: bool, values: &[f64]) {
    let mut bytes = crate::data::npy::encode_header_in_order(crate::data::DType::F64, shape, fortran);
    bytes.extend_from_slice(bytemuck::cast_slice(values));
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// [`write_f64_npy`] of `name` in `dir`, giving the column flag that names it.
pub(crate) fn f64_npy_column(
    dir: &tempfile::TempDir,
    name: &str,
    shape: &[usize],
    fortran: bool,
    values: &[f64],
) -> crate::data::ColumnSpec {
    let path = dir.path().join(name);
    write_f64_npy(&path, shape, fortran, values);
    crate::data::ColumnSpec::parse(path.to_str().unwrap())
}

/// Decodes a hex string (RGBA bytes) into bytes.
pub(crate) fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// A count aggregate of a reference file, row-major.
#[derive(Deserialize)]
pub(crate) struct CountAggregate {
    pub name: String,
    pub counts: Vec<u32>,
}

/// One `tf.shade` call of a reference file: aggregate name, `how`, colormap spelling and
/// Datashader's RGBA bytes as hex.
#[derive(Deserialize)]
pub(crate) struct ShadeCase {
    pub aggregate: String,
    pub how: String,
    pub cmap: String,
    pub rgba: String,
}

/// An f64 written as a JSON number or as `"NaN"`, `"inf"` or `"-inf"`.
#[derive(Clone, Copy)]
struct Float(f64);

impl<'de> Deserialize<'de> for Float {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FloatVisitor;
        impl Visitor<'_> for FloatVisitor {
            type Value = Float;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, \"NaN\", \"inf\" or \"-inf\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Float, E> {
                Ok(Float(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Float, E> {
                Ok(Float(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Float, E> {
                Ok(Float(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Float, E> {
                match v {
                    "NaN" => Ok(Float(f64::NAN)),
                    "inf" => Ok(Float(f64::INFINITY)),
                    "-inf" => Ok(Float(f64::NEG_INFINITY)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(FloatVisitor)
    }
}

/// `deserialize_with` for an f64 that may be NaN or infinite.
pub(crate) fn float<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Float::deserialize(deserializer).map(|f| f.0)
}

/// `deserialize_with` for a list of f64 that may hold NaN or infinities.
pub(crate) fn floats<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f64>, D::Error> {
    Vec::<Float>::deserialize(deserializer).map(|v| v.into_iter().map(|f| f.0).collect())
}

/// `deserialize_with` for a list of `[index, value]` pairs whose values may be NaN.
pub(crate) fn indexed_floats<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(u32, f64)>, D::Error> {
    Vec::<(u32, Float)>::deserialize(deserializer).map(|v| v.into_iter().map(|(i, f)| (i, f.0)).collect())
}

mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "floats")]
        values: Vec<f64>,
        #[serde(deserialize_with = "float")]
        one: f64,
        #[serde(deserialize_with = "indexed_floats")]
        pairs: Vec<(u32, f64)>,
    }

    #[test]
    fn floats_read_back_bit_exactly_with_nan_and_infinities() {
        // -1.9279223386536921 (a value of shade_floats.json) is one bit off without
        // serde_json's float_roundtrip feature.
        let text = r#"{"values": [-1.9279223386536921, 0.1, 2.2250738585072014e-308, 5e-324,
            1.7976931348623157e308, 9007199254740993, -0.0, "NaN", "inf", "-inf", 3], "one": "NaN",
            "pairs": [[4, 0.30000000000000004], [7, "NaN"]]}"#;
        let s: Sample = serde_json::from_str(text).unwrap();
        assert_eq!(s.values[0].to_bits(), 0xbffe_d8c5_181b_ed57);
        let want = [
            -1.9279223386536921,
            0.1,
            2.2250738585072014e-308,
            5e-324,
            f64::MAX,
            9007199254740992.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            3.0,
        ];
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&s.values), bits(&want));
        assert!(s.one.is_nan());
        assert_eq!(s.pairs[0], (4, 0.1 + 0.2));
        assert!(s.pairs[1].1.is_nan());
        assert!(serde_json::from_str::<Sample>(r#"{"values": ["nan"], "one": 1, "pairs": []}"#).is_err());
    }
}
