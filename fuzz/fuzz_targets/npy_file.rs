//! A whole .npy file, memory-mapped as a column: opening never panics, an accepted column
//! reads every value from inside the mapping, and errors are one line naming the file.
#![no_main]

use std::path::PathBuf;

use gigaplot::{ColumnSpec, NpyColumn};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&k, bytes)) = data.split_first() else { return };
    let dir = std::env::temp_dir();
    let path: PathBuf = dir.join(format!("gigaplot-fuzz-{}.npy", std::process::id()));
    std::fs::write(&path, bytes).expect("write the fuzz input");
    for column in [None, Some(usize::from(k % 4))] {
        match NpyColumn::open(&ColumnSpec { path: path.clone(), column, ..ColumnSpec::default() }) {
            Ok(c) => {
                let mut out = vec![0.0; c.len().min(1 << 16)];
                c.read_f64(0, &mut out);
                assert_eq!(c.summary().len, c.len());
            }
            Err(e) => {
                let message = e.to_string();
                assert!(message.contains("gigaplot-fuzz-"), "{message}");
                assert!(!message.contains('\n'), "{message}");
            }
        }
    }
});
