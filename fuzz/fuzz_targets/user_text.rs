//! Every parser of user text (ranges, sizes, colours, colormap and transfer names, scales,
//! compression, column specs) on arbitrary text: never panics, and what is accepted makes
//! sense.
#![no_main]

use std::str::FromStr;

use gigaplot::{parse_range, parse_size, Color, Colormap, ColumnSpec, Compression, How, Scale};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((lo, hi)) = parse_range(&text) {
        assert!(lo.is_finite() && hi.is_finite() && lo < hi, "{text:?}");
    }
    if let Ok(bytes) = parse_size(&text) {
        assert!(bytes >= 1, "{text:?}");
    }
    let _ = Color::parse(&text);
    let _ = Colormap::by_name(&text);
    let _ = How::from_str(&text);
    let _ = Scale::from_str(&text);
    let _ = Compression::from_str(&text);
    let spec = ColumnSpec::parse(&text);
    assert!(!spec.label().is_empty() || text.is_empty());
    // the checked parse refuses only an empty name or a column number past usize::MAX
    match ColumnSpec::try_parse(&text) {
        Ok(checked) => assert_eq!(checked, spec),
        Err(_) => assert!(text.is_empty() || spec.column == Some(usize::MAX)),
    }
});
