//! A whole table file (Parquet, Arrow IPC file or stream, CSV; the first byte picks the
//! extension): opening a column and reading it never panics, and errors are one line
//! naming the file. Footers, message headers, pages and records are all parsed here.
#![no_main]

use gigaplot::{open_column, ColumnSpec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&k, bytes)) = data.split_first() else { return };
    let ext = ["parquet", "arrow", "arrows", "csv"][usize::from(k % 4)];
    let path = std::env::temp_dir().join(format!("gigaplot-fuzz-{}.{ext}", std::process::id()));
    std::fs::write(&path, bytes).expect("write the fuzz input");
    for column in ["0", "1", "x"] {
        let result = open_column(&ColumnSpec::in_table(&path, column)).and_then(|source| {
            let mut out = vec![0.0; source.len().min(1 << 16)];
            source.read_f64(0, &mut out)
        });
        if let Err(e) = result {
            let message = e.to_string();
            assert!(message.contains("gigaplot-fuzz-"), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }
});
