//! The `.npy` format: header parsing (versions 1.0, 2.0 and 3.0) and header writing, and
//! the two ways gigaplot reads `.npy` files, both memory-mapped and zero-copy: columns
//! ([`NpyColumn`], a [`crate::data::Source`]: `FILE.npy`, `FILE.npy:K`, whole 2-D arrays
//! of series in C or Fortran order) and rasters ([`grid::Grid`], read row by row).
//!
//! Format reference: <https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>.
//! Parsing never panics on any input; every rejection says what is wrong in one sentence.

pub mod column;
mod dict;
pub mod grid;

pub use column::{ArrayShape, ColumnSpec, NpyColumn};

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
    /// Every dtype gigaplot reads.
    pub const ALL: [DType; 11] = [
        DType::Bool,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F32,
        DType::F64,
    ];

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
    /// Column-major (Fortran) element order: the columns of a 2-D array lie one after the
    /// other. Always false for 1-D arrays (their bytes are the same in either order).
    pub fortran_order: bool,
}

impl NpyHeader {
    /// The header of the `.npy` file of `spec` (its first 4096 bytes), or None when they are
    /// not a header gigaplot reads (opening the column says why). `gigaplot info` reads it
    /// to list a 2-D array's columns. Errors: the file cannot be opened or read, or is not a
    /// regular file.
    pub fn read(spec: &ColumnSpec) -> crate::error::Result<Option<NpyHeader>> {
        use std::io::Read;
        let mut head = vec![0u8; 4096];
        let (mut file, _) = crate::io::file_kind::open_input(&spec.path, &spec.label())?;
        let mut filled = 0;
        let n = loop {
            let k = file.read(&mut head[filled..]).map_err(|e| crate::error::Error::io(&spec.path, e))?;
            if k == 0 || filled + k == head.len() {
                break filled + k;
            }
            filled += k;
        };
        Ok(NpyHeader::parse(&head[..n]).ok())
    }

    /// Parses the header at the start of `bytes` (the file's first bytes; more is fine).
    ///
    /// Rejects, with a one-sentence reason: wrong magic, unknown version, truncated header,
    /// malformed dictionary, big-endian, object/string/complex/structured
    /// dtypes, and 0-D arrays. It does not check that the data fits the file: see
    /// [`NpyHeader::data_bytes`].
    pub fn parse(bytes: &[u8]) -> Result<NpyHeader, String> {
        let (version, dict_start, dict_len) = parse_preamble(bytes)?;
        let dict_end =
            dict_start.checked_add(dict_len).filter(|&end| end <= bytes.len()).ok_or_else(|| {
                format!(
                    "has a truncated .npy header: it declares {dict_len} header bytes but only {} follow",
                    bytes.len() - dict_start
                )
            })?;
        let text = &bytes[dict_start..dict_end];
        if version.0 == 3 && std::str::from_utf8(text).is_err() {
            return Err("has a .npy version 3.0 header that is not valid UTF-8".to_string());
        }
        let fields = dict::parse_header_dict(text, dict_start)
            .map_err(|detail| format!("has a malformed .npy header dictionary ({detail})"))?;
        let descr = fields.descr.ok_or_else(|| missing_key("descr"))?;
        let fortran_order = fields.fortran_order.ok_or_else(|| missing_key("fortran_order"))?;
        let shape = fields.shape.ok_or_else(|| missing_key("shape"))?;
        let dtype = match descr {
            dict::Descr::Text(text) => parse_descr(&text)?,
            dict::Descr::Structured => {
                return Err("has a structured dtype (a record of named fields); save each field \
                     as its own 1-D .npy file"
                    .to_string())
            }
        };
        check_shape(&shape)?;
        // A 1-D array has the same bytes in C and Fortran order (numpy itself writes False).
        let fortran_order = fortran_order && shape.len() > 1;
        Ok(NpyHeader { version, dtype, shape, data_offset: dict_end, fortran_order })
    }

    /// Number of elements (product of the shape), or None on overflow.
    pub fn element_count(&self) -> Option<usize> {
        self.shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }

    /// Number of data bytes the header promises, or None on overflow.
    pub fn data_bytes(&self) -> Option<usize> {
        self.element_count()?.checked_mul(self.dtype.size())
    }
}

/// The six magic bytes every `.npy` file starts with.
const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Checks magic and version and reads the header-length field: returns the version, the
/// offset of the dictionary text and its declared length.
fn parse_preamble(bytes: &[u8]) -> Result<((u8, u8), usize, usize), String> {
    let truncated = || format!("has a truncated .npy header (the file is only {} bytes long)", bytes.len());
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err("is not a .npy file (bad magic bytes)".to_string());
    }
    let (major, minor) = match bytes.get(6..8) {
        Some(&[major, minor]) => (major, minor),
        _ => return Err(truncated()),
    };
    let field_len = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => {
            return Err(format!(
                "has .npy format version {major}.{minor}, which gigaplot does not read \
                 (it reads versions 1.0, 2.0 and 3.0)"
            ))
        }
    };
    let field = bytes.get(8..8 + field_len).ok_or_else(truncated)?;
    let dict_len = field.iter().rev().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Ok(((major, minor), 8 + field_len, dict_len))
}

/// The message for a header dictionary that lacks `key`.
fn missing_key(key: &str) -> String {
    format!("has a .npy header without the '{key}' key")
}

/// Checks the number of dimensions: gigaplot reads 1-D and 2-D arrays.
fn check_shape(shape: &[usize]) -> Result<(), String> {
    match shape.len() {
        0 => Err("is a 0-D array (a single value); gigaplot needs a 1-D column or a 2-D array".to_string()),
        1 | 2 => Ok(()),
        n => Err(format!("is {n}-D; gigaplot reads 1-D columns and 2-D arrays")),
    }
}

/// Maps a numpy type descriptor such as `<f4` to a [`DType`], or says why it cannot be read.
fn parse_descr(descr: &str) -> Result<DType, String> {
    let (order, rest) = match descr.as_bytes().first() {
        Some(&c @ (b'<' | b'>' | b'|' | b'=')) => (c, &descr[1..]),
        _ => (b'=', descr),
    };
    // the descriptor as messages quote it: escaped, so a hostile header's newline or
    // control character cannot break the one-line error
    let descr = &descr.escape_debug().to_string();
    let kind = rest.chars().next().unwrap_or(' ');
    let size_text = rest.get(kind.len_utf8()..).unwrap_or("");
    let unrecognised = || format!("has an unrecognised dtype '{descr}'");
    reject_unsupported_kind(kind, descr)?;
    let size: usize = size_text.parse().map_err(|_| unrecognised())?;
    let dtype = match (kind, size) {
        ('b', 1) => DType::Bool,
        ('i', 1) => DType::I8,
        ('i', 2) => DType::I16,
        ('i', 4) => DType::I32,
        ('i', 8) => DType::I64,
        ('u', 1) => DType::U8,
        ('u', 2) => DType::U16,
        ('u', 4) => DType::U32,
        ('u', 8) => DType::U64,
        ('f', 2) => {
            return Err(format!(
                "has dtype float16 ('{descr}'), which gigaplot does not read; convert with \
                 arr.astype('<f4')"
            ))
        }
        ('f', 4) => DType::F32,
        ('f', 8) => DType::F64,
        ('f', 10 | 12 | 16) => {
            return Err(format!(
                "has an extended-precision float dtype ('{descr}'), which gigaplot does not \
                 read; convert with arr.astype('<f8')"
            ))
        }
        _ => return Err(unrecognised()),
    };
    if order == b'>' && dtype.size() > 1 {
        return Err(format!(
            "is big-endian ({descr}); gigaplot reads little-endian .npy; convert with \
             arr.astype('<{kind}{size}')"
        ));
    }
    Ok(dtype)
}

/// Rejects the numpy kinds that are not numbers gigaplot can plot, each with its reason.
fn reject_unsupported_kind(kind: char, descr: &str) -> Result<(), String> {
    let why = match kind {
        'O' => format!("has dtype object ('{descr}'); gigaplot reads numeric arrays only"),
        'S' | 'U' | 'a' => {
            format!("has a string dtype ('{descr}'); gigaplot reads numeric arrays only")
        }
        'c' => format!(
            "has a complex dtype ('{descr}'); save the real part, the imaginary part or abs() \
             as a float array"
        ),
        'M' | 'm' => format!(
            "has a datetime or timedelta dtype ('{descr}'); convert it to numbers first, e.g. \
             arr.astype('<i8')"
        ),
        'V' => format!(
            "has a raw void or structured dtype ('{descr}'); save each field as its own 1-D \
             .npy file"
        ),
        _ => return Ok(()),
    };
    Err(why)
}

/// Encodes a version 1.0 header (2.0 if the dictionary needs it) for a C-order array of
/// `dtype` and `shape`, padded so the data starts at a multiple of 64 bytes.
pub fn encode_header(dtype: DType, shape: &[usize]) -> Vec<u8> {
    encode_header_in_order(dtype, shape, false)
}

/// [`encode_header`] for an array in C order, or in Fortran (column-major) order when
/// `fortran` (for 2-D arrays whose columns lie one after the other).
pub fn encode_header_in_order(dtype: DType, shape: &[usize], fortran: bool) -> Vec<u8> {
    let order = if fortran { "True" } else { "False" };
    let shape_text = match shape {
        [n] => format!("({n},)"),
        dims => format!("({})", dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut dict =
        format!("{{'descr': '{}', 'fortran_order': {order}, 'shape': {}, }}", dtype.descr(), shape_text);
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL: [DType; 11] = DType::ALL;

    /// A header of `version` around the dictionary `dict` (no padding).
    fn with_dict(version: u8, dict: &str) -> Vec<u8> {
        let mut out = b"\x93NUMPY".to_vec();
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(dict.as_bytes());
        out
    }

    /// A v1 header with `descr`, `fortran` and `shape` (Python text).
    fn header(descr: &str, fortran: &str, shape: &str) -> Vec<u8> {
        with_dict(1, &format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}\n"))
    }

    fn error_of(bytes: &[u8]) -> String {
        NpyHeader::parse(bytes).unwrap_err()
    }

    #[test]
    fn parses_what_numpy_writes() {
        // np.save(f, np.arange(3, dtype='<f4')) with numpy 2.4.
        let mut file =
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }".to_vec();
        file.resize(127, b' ');
        file.push(b'\n');
        file.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
        let h = NpyHeader::parse(&file).unwrap();
        assert_eq!(
            h,
            NpyHeader {
                version: (1, 0),
                dtype: DType::F32,
                shape: vec![3],
                data_offset: 128,
                fortran_order: false
            }
        );
        assert_eq!(h.element_count(), Some(3));
        assert_eq!(h.data_bytes(), Some(12));
        assert_eq!(encode_header(DType::F32, &[3]), file[..128]);
    }

    #[test]
    fn round_trips_every_dtype_and_shape() {
        for dtype in ALL {
            for shape in [vec![0], vec![7], vec![1 << 40], vec![5, 3], vec![0, 2], vec![4, 0]] {
                let bytes = encode_header(dtype, &shape);
                assert_eq!(bytes.len() % 64, 0);
                let h = NpyHeader::parse(&bytes).unwrap();
                assert_eq!(h.dtype, dtype);
                assert_eq!(h.shape, shape);
                assert_eq!(h.data_offset, bytes.len());
                assert_eq!(h.version, (1, 0));
            }
        }
    }

    #[test]
    fn versions_2_and_3() {
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 4), }\n";
        let h = NpyHeader::parse(&with_dict(2, dict)).unwrap();
        assert_eq!(
            (h.version, h.dtype, h.shape, h.data_offset),
            ((2, 0), DType::F64, vec![2, 4], 12 + dict.len())
        );
        let dict = "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), 'note': 'é', }\n";
        let h = NpyHeader::parse(&with_dict(3, dict)).unwrap();
        assert_eq!((h.version, h.dtype), ((3, 0), DType::I16));
        let mut bad = with_dict(3, "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), 'x': '\u{1}'}");
        let last = bad.len() - 3;
        bad[last] = 0xff;
        assert_eq!(error_of(&bad), "has a .npy version 3.0 header that is not valid UTF-8");
    }

    #[test]
    fn byte_orders() {
        for (descr, dtype) in [
            ("<f4", DType::F32),
            ("=f4", DType::F32),
            ("|f8", DType::F64),
            ("|b1", DType::Bool),
            ("<b1", DType::Bool),
            (">b1", DType::Bool),
            (">i1", DType::I8),
            ("|u1", DType::U8),
            ("<u8", DType::U64),
            ("i4", DType::I32),
        ] {
            let h = NpyHeader::parse(&header(descr, "False", "(1,)")).unwrap();
            assert_eq!(h.dtype, dtype, "{descr}");
        }
    }

    #[test]
    fn fortran_order_is_harmless_in_1_d() {
        let h = NpyHeader::parse(&header("<f4", "True", "(4,)")).unwrap();
        assert_eq!((h.shape, h.fortran_order), (vec![4], false));
    }

    #[test]
    fn fortran_order_is_kept_in_2_d() {
        let h = NpyHeader::parse(&header("<f4", "True", "(3, 2)")).unwrap();
        assert_eq!((h.shape, h.fortran_order), (vec![3, 2], true));
        assert!(!NpyHeader::parse(&header("<f4", "False", "(3, 2)")).unwrap().fortran_order);
    }

    #[test]
    fn rejections() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"PK\x03\x04 zip file".to_vec(), "is not a .npy file (bad magic bytes)"),
            (b"\x93NUM".to_vec(), "has a truncated .npy header (the file is only 4 bytes long)"),
            (b"\x93NUMPY\x01".to_vec(), "has a truncated .npy header (the file is only 7 bytes long)"),
            (b"\x93NUMPY\x02\x00\x10\x00".to_vec(), "has a truncated .npy header (the file is only 10 bytes long)"),
            (
                b"\x93NUMPY\x04\x00\x10\x00".to_vec(),
                "has .npy format version 4.0, which gigaplot does not read (it reads versions 1.0, 2.0 and 3.0)",
            ),
            (
                b"\x93NUMPY\x01\x00\x76\x00{'descr'".to_vec(),
                "has a truncated .npy header: it declares 118 header bytes but only 8 follow",
            ),
            (
                with_dict(1, "{'descr': '<f4' 'shape': (3,)}"),
                "has a malformed .npy header dictionary (expected ',' or '}' at byte 26)",
            ),
            (with_dict(1, "{'fortran_order': False, 'shape': (3,)}"), "has a .npy header without the 'descr' key"),
            (with_dict(1, "{'descr': '<f4', 'shape': (3,)}"), "has a .npy header without the 'fortran_order' key"),
            (with_dict(1, "{'descr': '<f4', 'fortran_order': False}"), "has a .npy header without the 'shape' key"),
            (
                header(">f4", "False", "(3,)"),
                "is big-endian (>f4); gigaplot reads little-endian .npy; convert with arr.astype('<f4')",
            ),
            (
                header(">i8", "False", "(3,)"),
                "is big-endian (>i8); gigaplot reads little-endian .npy; convert with arr.astype('<i8')",
            ),
            (header("|O", "False", "(3,)"), "has dtype object ('|O'); gigaplot reads numeric arrays only"),
            (header("|S5", "False", "(3,)"), "has a string dtype ('|S5'); gigaplot reads numeric arrays only"),
            (header("<U3", "False", "(3,)"), "has a string dtype ('<U3'); gigaplot reads numeric arrays only"),
            (header("|a2", "False", "(3,)"), "has a string dtype ('|a2'); gigaplot reads numeric arrays only"),
            (
                header("<c8", "False", "(3,)"),
                "has a complex dtype ('<c8'); save the real part, the imaginary part or abs() as a float array",
            ),
            (
                header("<c16", "False", "(3,)"),
                "has a complex dtype ('<c16'); save the real part, the imaginary part or abs() as a float array",
            ),
            (
                header("<f2", "False", "(3,)"),
                "has dtype float16 ('<f2'), which gigaplot does not read; convert with arr.astype('<f4')",
            ),
            (
                header("<f16", "False", "(3,)"),
                "has an extended-precision float dtype ('<f16'), which gigaplot does not read; convert with arr.astype('<f8')",
            ),
            (
                header("<M8[ns]", "False", "(3,)"),
                "has a datetime or timedelta dtype ('<M8[ns]'); convert it to numbers first, e.g. arr.astype('<i8')",
            ),
            (
                header("<m8", "False", "(3,)"),
                "has a datetime or timedelta dtype ('<m8'); convert it to numbers first, e.g. arr.astype('<i8')",
            ),
            (
                header("|V8", "False", "(3,)"),
                "has a raw void or structured dtype ('|V8'); save each field as its own 1-D .npy file",
            ),
            (
                with_dict(1, "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }"),
                "has a structured dtype (a record of named fields); save each field as its own 1-D .npy file",
            ),
            (header("<f3", "False", "(3,)"), "has an unrecognised dtype '<f3'"),
            (header("<x4", "False", "(3,)"), "has an unrecognised dtype '<x4'"),
            (header("", "False", "(3,)"), "has an unrecognised dtype ''"),
            (header("<b2", "False", "(3,)"), "has an unrecognised dtype '<b2'"),
            (
                header("<f8", "False", "()"),
                "is a 0-D array (a single value); gigaplot needs a 1-D column or a 2-D array",
            ),
            (header("<f8", "False", "(2, 3, 4)"), "is 3-D; gigaplot reads 1-D columns and 2-D arrays"),
            (header("<f8", "False", "(1, 1, 1, 1)"), "is 4-D; gigaplot reads 1-D columns and 2-D arrays"),
        ];
        for (bytes, want) in cases {
            assert_eq!(error_of(&bytes), want, "for {:?}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn a_dtype_with_a_newline_is_quoted_on_one_line() {
        assert_eq!(parse_descr("\nb1"), Err("has an unrecognised dtype '\\nb1'".to_string()));
        assert_eq!(parse_descr("<\rf8"), Err("has an unrecognised dtype '<\\rf8'".to_string()));
    }

    #[test]
    fn sizes_overflow_to_none() {
        let h = NpyHeader::parse(&header("<f8", "False", &format!("({}, 3)", usize::MAX))).unwrap();
        assert_eq!(h.element_count(), None);
        assert_eq!(h.data_bytes(), None);
        let h = NpyHeader::parse(&header("<f8", "False", &format!("({},)", usize::MAX / 4))).unwrap();
        assert_eq!(h.element_count(), Some(usize::MAX / 4));
        assert_eq!(h.data_bytes(), None);
        let h = NpyHeader::parse(&header("|u1", "False", &format!("({},)", usize::MAX))).unwrap();
        assert_eq!(h.data_bytes(), Some(usize::MAX));
    }

    /// A valid header with some of its bytes overwritten, inserted or removed.
    fn mutated_header() -> impl Strategy<Value = Vec<u8>> {
        let base = (0usize..ALL.len(), proptest::collection::vec(0usize..1000, 0..4))
            .prop_map(|(i, shape)| encode_header(ALL[i], &shape));
        let edits = proptest::collection::vec((0usize..200, any::<u8>(), 0u8..3), 0..6);
        (base, edits).prop_map(|(mut bytes, edits)| {
            for (at, byte, op) in edits {
                let at = at % (bytes.len() + 1);
                match op {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => {}
                }
            }
            bytes
        })
    }

    proptest! {
        #[test]
        fn never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = NpyHeader::parse(&bytes);
        }

        #[test]
        fn never_panics_on_random_dictionaries(
            dict in proptest::collection::vec(
                prop::sample::select(b"{}()[]'\",: 0123456789-LTrueFalseNonedescrshape<>|f4\\\n".to_vec()),
                0..200,
            ),
            version in 1u8..4,
        ) {
            let _ = NpyHeader::parse(&with_dict(version, &String::from_utf8_lossy(&dict)));
        }

        #[test]
        fn never_panics_on_mutated_headers(bytes in mutated_header()) {
            if let Ok(h) = NpyHeader::parse(&bytes) {
                prop_assert!(h.data_offset <= bytes.len());
                prop_assert!((1..=2).contains(&h.shape.len()));
            }
        }
    }
}
