//! What a request names: the file under the served directory, confined to it
//! ([`resolve`]), the part of it a `Range` header asks for ([`byte_range`]), and its
//! Content-Type.

use std::path::{Component, Path, PathBuf};

/// The file under `root` a request target names, or None when it would leave `root`, is
/// hidden or malformed. `/` and directories map to their `index.html`.
pub fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let decoded = percent_decode(path)?;
    if !decoded.starts_with('/') || decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    let mut out = root.to_path_buf();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            Component::Normal(name) if !name.to_string_lossy().starts_with('.') => out.push(name),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    // Symbolic links must not lead outside either.
    let real = out.canonicalize().ok()?;
    (real.starts_with(root) && real.is_file()).then_some(real)
}

/// Decodes `%XX` escapes; None on a bad escape or invalid UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The Content-Type of a file, by extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// What a `Range` header asks of a file of known length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// The whole file (no range, several ranges, or a header this server ignores).
    Whole,
    /// Bytes `start..=end`, within the file.
    Part {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// A range entirely past the end of the file (416).
    Unsatisfiable,
}

/// Interprets a `Range` header for a file of `len` bytes (RFC 9110 section 14): one
/// `bytes=FIRST-LAST`, `bytes=FIRST-` or `bytes=-SUFFIX`. Several ranges and malformed
/// headers are ignored (the whole file is served), as the RFC allows.
pub fn byte_range(header: &str, len: u64) -> ByteRange {
    let Some((unit, spec)) = header.trim().split_once('=') else { return ByteRange::Whole };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return ByteRange::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return ByteRange::Whole };
    // Digits only; a number too large for u64 is as good as u64::MAX here.
    let number = |text: &str| {
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().unwrap_or(u64::MAX))
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return match number(last) {
            None => ByteRange::Whole,
            Some(0) => ByteRange::Unsatisfiable,
            Some(_) if len == 0 => ByteRange::Unsatisfiable,
            Some(n) => ByteRange::Part { start: len - n.min(len), end: len - 1 },
        };
    }
    let Some(start) = number(first) else { return ByteRange::Whole };
    let end = match last {
        "" => u64::MAX,
        _ => match number(last) {
            Some(end) if end >= start => end,
            _ => return ByteRange::Whole,
        },
    };
    if start >= len {
        ByteRange::Unsatisfiable
    } else {
        ByteRange::Part { start, end: end.min(len - 1) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        use ByteRange::*;
        let cases = [
            ("bytes=0-0", 10, Part { start: 0, end: 0 }),
            ("bytes=2-5", 10, Part { start: 2, end: 5 }),
            ("bytes=2-50", 10, Part { start: 2, end: 9 }),
            ("bytes=7-", 10, Part { start: 7, end: 9 }),
            ("bytes=-3", 10, Part { start: 7, end: 9 }),
            ("bytes=-30", 10, Part { start: 0, end: 9 }),
            ("Bytes = 1-2", 10, Part { start: 1, end: 2 }),
            ("bytes=10-", 10, Unsatisfiable),
            ("bytes=10-20", 10, Unsatisfiable),
            ("bytes=-0", 10, Unsatisfiable),
            ("bytes=-5", 0, Unsatisfiable),
            ("bytes=99999999999999999999-", 10, Unsatisfiable),
            ("bytes=0-99999999999999999999", 10, Part { start: 0, end: 9 }),
            ("bytes=5-2", 10, Whole),
            ("bytes=0-1,3-4", 10, Whole),
            ("items=0-1", 10, Whole),
            ("bytes=a-b", 10, Whole),
            ("bytes=-", 10, Whole),
            ("bytes=+1-2", 10, Whole),
            ("", 10, Whole),
        ];
        for (header, len, want) in cases {
            assert_eq!(byte_range(header, len), want, "{header:?} of {len}");
        }
    }
}
