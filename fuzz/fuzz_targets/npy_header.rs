//! The .npy header parser on arbitrary bytes: never panics, and what it accepts is
//! consistent (the data starts inside the bytes, the shape is 1-D or 2-D).
#![no_main]

use gigaplot::npy::NpyHeader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = NpyHeader::parse(data) {
        assert!(header.data_offset <= data.len());
        assert!((1..=2).contains(&header.shape.len()));
        let _ = header.data_bytes();
    }
});
