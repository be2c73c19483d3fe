//! Table files with bytes changed or cut off (Parquet, Arrow IPC file and stream, CSV):
//! opening and reading a column never panics and never reads outside the file; a refusal
//! is one line naming the file. The proptest twins of the `table_file` fuzz target.

use std::path::Path;

use gigaplot::{open_column, ColumnSpec};
use parquet::basic::Compression;
use proptest::prelude::*;

use crate::common::tables::{sample, write_arrow, write_csv, write_parquet};

/// A valid table of each format, as bytes: (file name, bytes).
fn valid_tables() -> Vec<(&'static str, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let columns = sample(300);
    let mut out = Vec::new();
    for name in ["t.parquet", "z.parquet", "t.arrow", "l.feather", "t.arrows", "t.csv"] {
        let path = dir.path().join(name);
        match name {
            "t.parquet" => write_parquet(&path, &columns, 128, Compression::SNAPPY, true),
            "z.parquet" => write_parquet(&path, &columns, 100, Compression::ZSTD(Default::default()), false),
            "t.arrow" => write_arrow(&path, &columns, 128, None, false),
            "l.feather" => {
                write_arrow(&path, &columns, 100, Some(arrow_ipc::CompressionType::LZ4_FRAME), false)
            }
            "t.arrows" => write_arrow(&path, &columns, 128, None, true),
            _ => write_csv(&path, &columns, true, b','),
        }
        out.push((name, std::fs::read(&path).unwrap()));
    }
    out
}

/// Opens and reads every value of columns x, c and label of `path`; any error must be one
/// line naming the file.
fn read_all(path: &Path) -> Result<(), TestCaseError> {
    for column in ["x", "c", "label", "1"] {
        let spec = ColumnSpec::in_table(path, column);
        let result = open_column(&spec).and_then(|source| {
            let mut out = vec![0.0; source.len().min(1 << 16)];
            source.read_f64(0, &mut out)?;
            gigaplot::scan_column(&*source).map(|_| ())
        });
        if let Err(e) = result {
            let message = e.to_string();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            prop_assert!(message.contains(&name), "{}", message);
            prop_assert!(!message.contains('\n'), "{}", message);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn changed_tables_never_panic(
        which in 0usize..6,
        changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let (name, mut bytes) = valid_tables().swap_remove(which);
        for (at, b) in changes {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        read_all(&path)?;
    }
}

#[test]
fn unchanged_tables_read() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in valid_tables() {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let source = open_column(&ColumnSpec::in_table(&path, "x")).unwrap();
        assert_eq!(source.len(), 300, "{name}");
        gigaplot::scan_column(&*source).unwrap();
    }
}

/// A case proptest found: byte 103 written into table 1's footer makes a column chunk's
/// offset negative, on which the parquet crate's page reader panicked (`ParquetFile::open`
/// now checks every chunk lies inside the file).
#[test]
fn a_parquet_chunk_with_a_negative_offset_is_refused() {
    let (name, mut bytes) = valid_tables().swap_remove(1);
    let raw: u64 = 17535730916255003475;
    let i = ((u128::from(raw) * bytes.len() as u128) >> 64) as usize;
    bytes[i] = 103;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, &bytes).unwrap();
    read_all(&path).unwrap();
}
