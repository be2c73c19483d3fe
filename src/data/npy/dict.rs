//! A small parser for the Python dict literal of a `.npy` header, e.g.
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (100,), }`.
//!
//! It reads the subset of Python literal syntax numpy headers use (strings, True/False/None,
//! integers, tuples, lists, dicts), in any key order, with any spacing and trailing commas.
//! Every step consumes at least one byte or fails, and nesting is bounded, so any byte input
//! ends quickly with a value or an error: it never panics, loops or overflows the stack.

/// Deepest nesting of brackets accepted (numpy's own headers nest at most 3 deep).
const MAX_DEPTH: usize = 32;

/// The `descr` entry: a type string such as `<f4`, or a structured (list) description.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Descr {
    /// A plain type string.
    Text(String),
    /// A list of fields: a structured dtype.
    Structured,
}

/// The three entries gigaplot needs from a header, each None when the key is missing.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct HeaderFields {
    /// The `descr` value.
    pub descr: Option<Descr>,
    /// The `fortran_order` value.
    pub fortran_order: Option<bool>,
    /// The `shape` value.
    pub shape: Option<Vec<usize>>,
}

/// A Python literal value.
#[derive(Debug)]
enum Value {
    Str(String),
    Bool(bool),
    None,
    /// An integer: None when it is negative or does not fit a usize.
    Int(Option<usize>),
    Tuple(Vec<Value>),
    /// A list; its items are parsed but not kept (only structured dtypes use lists).
    List,
    Dict(Vec<(Value, Value)>),
}

/// Parses the header dictionary `text`, which starts at byte `base` of the file (for
/// positions in messages). Errors are short lowercase fragments.
pub(super) fn parse_header_dict(text: &[u8], base: usize) -> Result<HeaderFields, String> {
    let mut cursor = Cursor { bytes: text, pos: 0, base };
    cursor.skip_ws();
    if cursor.peek() != Some(b'{') {
        return Err(cursor.error("expected '{'"));
    }
    let value = cursor.value(0)?;
    cursor.skip_ws();
    if cursor.pos != text.len() {
        return Err(cursor.error("unexpected text after the closing '}'"));
    }
    match value {
        Value::Dict(entries) => fields_of(entries),
        _ => Err(cursor.error("expected a dictionary")),
    }
}

/// Picks `descr`, `fortran_order` and `shape` out of the dictionary; other keys are ignored
/// and a repeated key keeps its last value, as in Python.
fn fields_of(entries: Vec<(Value, Value)>) -> Result<HeaderFields, String> {
    let mut fields = HeaderFields::default();
    for (key, value) in entries {
        let Value::Str(key) = key else {
            return Err("a dictionary key is not a string".to_string());
        };
        match key.as_str() {
            "descr" => fields.descr = Some(descr_of(value)?),
            "fortran_order" => match value {
                Value::Bool(b) => fields.fortran_order = Some(b),
                _ => return Err("the 'fortran_order' value is not True or False".to_string()),
            },
            "shape" => fields.shape = Some(shape_of(value)?),
            _ => {}
        }
    }
    Ok(fields)
}

/// Reads the `descr` value: a string, or a list for structured dtypes.
fn descr_of(value: Value) -> Result<Descr, String> {
    match value {
        Value::Str(s) => Ok(Descr::Text(s)),
        Value::List => Ok(Descr::Structured),
        _ => Err("the 'descr' value is not a string".to_string()),
    }
}

/// Reads the `shape` value: a tuple of non-negative integers.
fn shape_of(value: Value) -> Result<Vec<usize>, String> {
    let not_shape = || "the 'shape' value is not a tuple of non-negative integers".to_string();
    let Value::Tuple(items) = value else {
        return Err(not_shape());
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Int(Some(n)) => Ok(n),
            _ => Err(not_shape()),
        })
        .collect()
}

/// A position in the header text.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
}

impl Cursor<'_> {
    /// The current byte, if any.
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips Python whitespace.
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n' | b'\x0c')) {
            self.pos += 1;
        }
    }

    /// An error fragment naming the current file offset.
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.base.saturating_add(self.pos))
    }

    /// Parses one literal value starting at the cursor (after optional whitespace).
    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("brackets nested too deeply"));
        }
        self.skip_ws();
        match self.peek() {
            Some(q @ (b'\'' | b'"')) => self.string(q),
            Some(b'(') => self.tuple(depth),
            Some(b'[') => self.sequence(b']', depth).map(|_| Value::List),
            Some(b'{') => self.dict(depth),
            Some(b'0'..=b'9' | b'-' | b'+') => self.int(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => self.name(),
            Some(_) => Err(self.error("unexpected character")),
            None => Err(self.error("unexpected end of the header")),
        }
    }

    /// A quoted string; a backslash takes the next byte literally.
    fn string(&mut self, quote: u8) -> Result<Value, String> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => {
                    self.pos = start;
                    return Err(self.error("unterminated string"));
                }
                Some(c) if c == quote => break,
                Some(b'\\') => {
                    self.pos += 1;
                    if let Some(c) = self.peek() {
                        out.push(c);
                        self.pos += 1;
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        Ok(Value::Str(String::from_utf8_lossy(&out).into_owned()))
    }

    /// An integer with optional sign, `_` separators and a Python 2 `L` suffix.
    fn int(&mut self) -> Result<Value, String> {
        let negative = self.peek() == Some(b'-');
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.error("expected a digit"));
        }
        let mut value = Some(0usize);
        while let Some(c @ (b'0'..=b'9' | b'_')) = self.peek() {
            if c != b'_' {
                let digit = usize::from(c - b'0');
                value = value.and_then(|v| v.checked_mul(10)?.checked_add(digit));
            }
            self.pos += 1;
        }
        if matches!(self.peek(), Some(b'L' | b'l')) {
            self.pos += 1;
        }
        let is_zero = value == Some(0);
        Ok(Value::Int(if negative && !is_zero { None } else { value }))
    }

    /// `True`, `False` or `None`.
    fn name(&mut self) -> Result<Value, String> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
            self.pos += 1;
        }
        match &self.bytes[start..self.pos] {
            b"True" => Ok(Value::Bool(true)),
            b"False" => Ok(Value::Bool(false)),
            b"None" => Ok(Value::None),
            _ => {
                self.pos = start;
                Err(self.error("unexpected name"))
            }
        }
    }

    /// `( ... )`: a tuple when empty or when it holds a comma, else a parenthesised value.
    fn tuple(&mut self, depth: usize) -> Result<Value, String> {
        let (mut items, had_comma) = self.sequence(b')', depth)?;
        if items.len() == 1 && !had_comma {
            return Ok(items.pop().unwrap_or(Value::None));
        }
        Ok(Value::Tuple(items))
    }

    /// Comma-separated values between the opening bracket at the cursor and `close`, with an
    /// optional trailing comma. Also says whether any comma was seen.
    fn sequence(&mut self, close: u8, depth: usize) -> Result<(Vec<Value>, bool), String> {
        self.pos += 1;
        let mut items = Vec::new();
        let mut had_comma = false;
        loop {
            self.skip_ws();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok((items, had_comma));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    had_comma = true;
                    self.pos += 1;
                }
                Some(c) if c == close => {}
                _ => return Err(self.error(&format!("expected ',' or '{}'", char::from(close)))),
            }
        }
    }

    /// `{ key: value, ... }` with an optional trailing comma.
    fn dict(&mut self, depth: usize) -> Result<Value, String> {
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Value::Dict(entries));
            }
            let key = self.value(depth + 1)?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<HeaderFields, String> {
        parse_header_dict(text.as_bytes(), 10)
    }

    #[test]
    fn reads_numpy_header() {
        let f = parse("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }   \n").unwrap();
        assert_eq!(f.descr, Some(Descr::Text("<f4".into())));
        assert_eq!(f.fortran_order, Some(false));
        assert_eq!(f.shape, Some(vec![3]));
    }

    #[test]
    fn any_order_spacing_and_quotes() {
        let f = parse("{ \"shape\":(2 ,3),'fortran_order':True,'descr':\"|u1\"}").unwrap();
        assert_eq!(f.descr, Some(Descr::Text("|u1".into())));
        assert_eq!(f.fortran_order, Some(true));
        assert_eq!(f.shape, Some(vec![2, 3]));
    }

    #[test]
    fn shapes() {
        assert_eq!(parse("{'shape': ()}").unwrap().shape, Some(vec![]));
        assert_eq!(parse("{'shape': (5L,)}").unwrap().shape, Some(vec![5]));
        assert_eq!(parse("{'shape': (1, 2, 3,)}").unwrap().shape, Some(vec![1, 2, 3]));
        assert_eq!(parse("{'shape': (1_000,)}").unwrap().shape, Some(vec![1000]));
    }

    #[test]
    fn structured_descr() {
        let f = parse("{'descr': [('a', '<f4'), ('b', '<i4')], 'shape': (2,)}").unwrap();
        assert_eq!(f.descr, Some(Descr::Structured));
    }

    #[test]
    fn missing_keys_are_none() {
        assert_eq!(parse("{}").unwrap(), HeaderFields::default());
    }

    #[test]
    fn malformed() {
        let cases = [
            ("", "expected '{' at byte 10"),
            ("{'descr' '<f4'}", "expected ':' at byte 19"),
            ("{'descr': '<f4", "unterminated string at byte 20"),
            ("{'shape': (3)}", "the 'shape' value is not a tuple of non-negative integers"),
            ("{'shape': (-3,)}", "the 'shape' value is not a tuple of non-negative integers"),
            (
                "{'shape': (99999999999999999999999,)}",
                "the 'shape' value is not a tuple of non-negative integers",
            ),
            ("{'shape': [3]}", "the 'shape' value is not a tuple of non-negative integers"),
            ("{'fortran_order': 0}", "the 'fortran_order' value is not True or False"),
            ("{'descr': 3}", "the 'descr' value is not a string"),
            ("{3: 3}", "a dictionary key is not a string"),
            ("{'a': yes}", "unexpected name at byte 16"),
            ("{'a': 1} x", "unexpected text after the closing '}' at byte 19"),
            ("{'a': (1 2)}", "expected ',' or ')' at byte 19"),
            ("{'a': 1 'b': 2}", "expected ',' or '}' at byte 18"),
            ("{'a': -}", "expected a digit at byte 17"),
            ("{'a': @}", "unexpected character at byte 16"),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text).unwrap_err(), want, "for {text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{{'a': {}}}", "(".repeat(100_000));
        assert_eq!(parse(&text).unwrap_err(), "brackets nested too deeply at byte 48");
    }
}
