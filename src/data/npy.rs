//! The `.npy` format: header parsing (versions 1.0, 2.0 and 3.0) and header writing.
//!
//! Format reference: <https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>.
//! Parsing never panics on any input; every rejection says what is wrong in one sentence.

/// Element type of a column, little-endian (or byte-sized) only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// `|b1`: numpy bool, one byte, 0 or 1.
    Bool,
    /// `|i1`
    I8,
    /// `<i2`
    I16,
    /// `<i4`
    I32,
    /// `<i8`
    I64,
    /// `|u1`
    U8,
    /// `<u2`
    U16,
    /// `<u4`
    U32,
    /// `<u8`
    U64,
    /// `<f4`
    F32,
    /// `<f8`
    F64,
}

impl DType {
    /// Size of one element in bytes.
    pub fn size(self) -> usize {
        todo!()
    }

    /// The numpy descriptor string written in headers, e.g. `<f4`.
    pub fn descr(self) -> &'static str {
        todo!()
    }

    /// numpy's name for the type, e.g. `float32`, for messages and `gigaplot info`.
    pub fn name(self) -> &'static str {
        todo!()
    }

    /// True for `F32` and `F64`.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
}

/// A parsed and validated `.npy` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyHeader {
    /// Format version (major, minor).
    pub version: (u8, u8),
    /// Element type.
    pub dtype: DType,
    /// Array shape; gigaplot reads 1-D and 2-D arrays.
    pub shape: Vec<usize>,
    /// Byte offset of the first element from the start of the file.
    pub data_offset: usize,
}

impl NpyHeader {
    /// Parses the header at the start of `bytes` (the file's first bytes; more is fine).
    ///
    /// Rejects, with a one-sentence reason: wrong magic, unknown version, truncated header,
    /// malformed dictionary, big-endian, Fortran order, object/string/complex/structured
    /// dtypes, and 0-D arrays. It does not check that the data fits the file: see
    /// [`NpyHeader::data_bytes`].
    pub fn parse(bytes: &[u8]) -> Result<NpyHeader, String> {
        let _ = bytes;
        todo!()
    }

    /// Number of elements (product of the shape), or None on overflow.
    pub fn element_count(&self) -> Option<usize> {
        todo!()
    }

    /// Number of data bytes the header promises, or None on overflow.
    pub fn data_bytes(&self) -> Option<usize> {
        todo!()
    }
}

/// Encodes a version 1.0 header (2.0 if the dictionary needs it) for a C-order array of
/// `dtype` and `shape`, padded so the data starts at a multiple of 64 bytes.
pub fn encode_header(dtype: DType, shape: &[usize]) -> Vec<u8> {
    let _ = (dtype, shape);
    todo!()
}
