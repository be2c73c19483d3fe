//! Which format a file is in: recognised by its extension AND its first bytes, so that a
//! CSV named `.npy` or a Parquet file named `.arrow` gets one sentence saying so instead of
//! a decoder's complaint.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The file formats gigaplot reads columns from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A NumPy `.npy` array (magic `\x93NUMPY`).
    Npy,
    /// An Apache Parquet file (magic `PAR1` at both ends).
    Parquet,
    /// An Arrow IPC file, also known as Feather v2 (magic `ARROW1`).
    ArrowFile,
    /// An Arrow IPC stream (messages from the first byte, each after `0xFFFFFFFF`).
    ArrowStream,
    /// Delimited text with a header row (CSV, TSV).
    Csv,
}

impl Format {
    /// How messages name the format, with its article.
    pub fn name(self) -> &'static str {
        match self {
            Format::Npy => "a .npy array",
            Format::Parquet => "a Parquet file",
            Format::ArrowFile => "an Arrow IPC (Feather) file",
            Format::ArrowStream => "an Arrow IPC stream",
            Format::Csv => "a CSV text file",
        }
    }

    /// The format a file name's extension says (any case), if it names one.
    pub fn of_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "npy" => Format::Npy,
            "parquet" | "pq" | "parq" => Format::Parquet,
            "arrow" | "feather" | "ipc" => Format::ArrowFile,
            "arrows" => Format::ArrowStream,
            "csv" | "tsv" => Format::Csv,
            _ => return None,
        })
    }

    /// The format the first bytes of a file say, if they are a binary format's magic.
    pub fn of_magic(head: &[u8]) -> Option<Format> {
        if head.starts_with(b"\x93NUMPY") {
            Some(Format::Npy)
        } else if head.starts_with(b"PAR1") {
            Some(Format::Parquet)
        } else if head.starts_with(b"ARROW1") {
            Some(Format::ArrowFile)
        } else if head.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
            Some(Format::ArrowStream)
        } else {
            None
        }
    }

    /// True for formats whose columns have names.
    pub fn is_table(self) -> bool {
        self != Format::Npy
    }
}

/// True when `path`'s extension is that of a table format (Parquet, Arrow, CSV).
pub fn is_table_name(path: &Path) -> bool {
    Format::of_extension(path).is_some_and(Format::is_table)
}

/// True when `head` looks like text: no control bytes but whitespace, and valid UTF-8
/// (allowing a character cut at the end).
fn looks_like_text(head: &[u8]) -> bool {
    // Text holds no control bytes but tab, newline, carriage return and form feed.
    if head.is_empty() || head.iter().any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// The format of the file at `path`, from its extension and its first bytes. They must
/// agree: a disagreement is an error naming `label` and both. A file with neither a known
/// extension nor a known magic is taken for a `.npy` (whose reader then says what is wrong,
/// as it always did).
pub fn detect(path: &Path, label: &str) -> Result<Format> {
    // A FIFO or device is refused before it is opened (opening a FIFO would block).
    let (file, _) = crate::io::file_kind::open_input(path, label)?;
    let mut head = Vec::with_capacity(512);
    file.take(512).read_to_end(&mut head).map_err(|e| Error::io(path, e))?;
    decide(Format::of_extension(path), &head).map_err(|problem| Error::bad_input(label, problem))
}

/// [`detect`]'s decision from the extension's format and the file's first bytes.
pub fn decide(by_name: Option<Format>, head: &[u8]) -> std::result::Result<Format, String> {
    let by_magic = Format::of_magic(head);
    let ext = |f: Format| match f {
        Format::Npy => ".npy",
        Format::Parquet => ".parquet",
        Format::ArrowFile => ".arrow/.feather/.ipc",
        Format::ArrowStream => ".arrows",
        Format::Csv => ".csv/.tsv",
    };
    let arrow = |f: Option<Format>| matches!(f, Some(Format::ArrowFile | Format::ArrowStream));
    match (by_name, by_magic) {
        // Either Arrow extension fits either Arrow layout.
        (n, m) if arrow(n) && arrow(m) => Ok(m.unwrap_or(Format::ArrowFile)),
        (Some(n), Some(m)) if n == m => Ok(n),
        (Some(n), Some(m)) => Err(format!(
            "is named like {} ({}) but holds {}; rename it to match its contents",
            n.name(),
            ext(n),
            m.name()
        )),
        (Some(Format::Csv), None) => Ok(Format::Csv),
        (Some(n), None) if looks_like_text(head) => Err(format!(
            "is named like {} ({}) but holds text; a CSV file must be named .csv or .tsv",
            n.name(),
            ext(n)
        )),
        (Some(Format::Npy) | None, None) => Ok(Format::Npy),
        (Some(n), None) if head.is_empty() => Err(format!("is empty (0 bytes), not {}", n.name())),
        (Some(n), None) => Err(format!("is not {} (bad magic bytes)", n.name())),
        (None, Some(m)) => Ok(m),
    }
}

/// Parses a CSV field delimiter as `--delimiter` and `delimiter=` give it: one ASCII
/// character, not a quote or newline, or `tab`.
pub fn parse_delimiter(text: &str) -> std::result::Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() && text != "\"" && text != "\n" => Ok(text.as_bytes()[0]),
        _ => Err("must be one ASCII character (or tab), not a quote or newline".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_and_magic_must_agree() {
        let f = |name: &str, head: &[u8]| decide(Format::of_extension(Path::new(name)), head);
        assert_eq!(f("a.npy", b"\x93NUMPY\x01\x00"), Ok(Format::Npy));
        assert_eq!(f("a.PARQUET", b"PAR1...."), Ok(Format::Parquet));
        assert_eq!(f("a.feather", b"ARROW1\0\0"), Ok(Format::ArrowFile));
        assert_eq!(f("a.arrow", b"\xff\xff\xff\xff\x10\0\0\0"), Ok(Format::ArrowStream));
        assert_eq!(f("a.arrows", b"ARROW1\0\0"), Ok(Format::ArrowFile));
        assert_eq!(f("a.csv", b"x,y\n1,2\n"), Ok(Format::Csv));
        assert_eq!(f("a.tsv", b""), Ok(Format::Csv));
        assert_eq!(f("noext", b"PAR1"), Ok(Format::Parquet));
        assert_eq!(f("noext", b"garbage"), Ok(Format::Npy));
        assert_eq!(
            f("a.npy", b"x,y\n1,2\n"),
            Err("is named like a .npy array (.npy) but holds text; a CSV file must be named .csv or .tsv"
                .into())
        );
        assert_eq!(
            f("a.parquet", b"ARROW1\0\0"),
            Err("is named like a Parquet file (.parquet) but holds an Arrow IPC (Feather) file; rename it to match \
                 its contents"
                .into())
        );
        assert_eq!(f("a.csv", b"PAR1"), Err("is named like a CSV text file (.csv/.tsv) but holds a Parquet file; rename it to match its contents".into()));
        assert_eq!(f("a.parquet", b"\x01\x02\x03"), Err("is not a Parquet file (bad magic bytes)".into()));
        assert_eq!(f("a.parquet", b""), Err("is empty (0 bytes), not a Parquet file".into()));
    }

    #[test]
    fn table_names() {
        assert!(is_table_name(Path::new("t.parquet")));
        assert!(is_table_name(Path::new("dir/t.CSV")));
        assert!(!is_table_name(Path::new("t.npy")));
        assert!(!is_table_name(Path::new("t")));
    }
}
