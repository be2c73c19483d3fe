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
        match self {
            DType::Bool | DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }

    /// The numpy descriptor string written in headers, e.g. `<f4`.
    pub fn descr(self) -> &'static str {
        match self {
            DType::Bool => "|b1",
            DType::I8 => "|i1",
            DType::I16 => "<i2",
            DType::I32 => "<i4",
            DType::I64 => "<i8",
            DType::U8 => "|u1",
            DType::U16 => "<u2",
            DType::U32 => "<u4",
            DType::U64 => "<u8",
            DType::F32 => "<f4",
            DType::F64 => "<f8",
        }
    }

    /// numpy's name for the type, e.g. `float32`, for messages and `gigaplot info`.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
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
    let shape_text = match shape {
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        ),
    };
    let mut dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        dtype.descr(),
        shape_text
    );
    // Magic (6) + version (2) + length field (2 in v1, 4 in v2), then the dictionary and a
    // newline, padded with spaces so the data starts at a multiple of 64 bytes.
    let v1 = (10 + dict.len() + 1).div_ceil(64) * 64 - 10 <= usize::from(u16::MAX);
    let prefix = if v1 { 10 } else { 12 };
    let total = (prefix + dict.len() + 1).div_ceil(64) * 64;
    dict.push_str(&" ".repeat(total - prefix - dict.len() - 1));
    dict.push('\n');
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"\x93NUMPY");
    if v1 {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out
}
