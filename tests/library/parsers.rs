//! Property tests for every parser of user input: the in-suite twin of the cargo-fuzz
//! targets in `fuzz/` (a few thousand cases in a few seconds instead of hours).
//!
//! Each parser must never panic, and what it accepts must make sense: ranges are finite and
//! increasing, sizes at least one byte, colours round-trip through their hex form, and a
//! column opened from any file reads only inside the file.

use std::str::FromStr;

use gigaplot::npy::{encode_header, NpyHeader};
use gigaplot::parse_color_key;
use gigaplot::Compression;
use gigaplot::{parse_range, parse_size, Scale};
use gigaplot::{Color, Colormap, How};
use gigaplot::{ColumnSpec, DType, NpyColumn};
use proptest::prelude::*;

/// Text built from the characters these parsers care about, plus anything else.
fn user_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop::sample::select(" ,.-+eE0123456789naifNIKMGTBkmgtb#xX:_rR".chars().collect::<Vec<_>>()),
            0..24,
        )
        .prop_map(|chars| chars.into_iter().collect()),
    ]
}

/// Comma-separated lists of colour names, hex codes (some malformed) and stray text, or
/// anything at all: what a `--color-key` may be given.
fn color_key_text() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        prop::sample::select(vec!["red", "Blue", " lightblue ", "transparent", "blurple", "", " "])
            .prop_map(String::from),
        any::<[u8; 4]>().prop_map(|[r, g, b, a]| format!("#{r:02x}{g:02X}{b:02x}{a:02x}")),
        "#[0-9a-fA-FxX]{0,9}",
        user_text(),
    ];
    prop_oneof![proptest::collection::vec(part, 0..6).prop_map(|parts| parts.join(",")), any::<String>(),]
}

const DTYPES: [DType; 11] = DType::ALL;

/// A valid .npy file (header and data) with some bytes overwritten, inserted, removed, or
/// cut off at the end.
fn mutated_file() -> impl Strategy<Value = Vec<u8>> {
    let base = (0..DTYPES.len(), proptest::collection::vec(0usize..40, 1..3), any::<u8>()).prop_map(
        |(i, shape, fill)| {
            let mut bytes = encode_header(DTYPES[i], &shape);
            let n: usize = shape.iter().product::<usize>() * DTYPES[i].size();
            bytes.extend(vec![fill; n]);
            bytes
        },
    );
    let edits = proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 0..5);
    (base, edits).prop_map(|(mut bytes, edits)| {
        for (at, byte, op) in edits {
            let at = at % (bytes.len() + 1);
            match op {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                2 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn ranges_are_finite_and_increasing(text in user_text()) {
        if let Ok((lo, hi)) = parse_range(&text) {
            prop_assert!(lo.is_finite() && hi.is_finite() && lo < hi, "{text:?} -> {lo}, {hi}");
        }
    }

    #[test]
    fn ranges_round_trip(lo in -1e300f64..1e300, width in 1e-300f64..1e300) {
        let hi = lo + width;
        prop_assume!(lo < hi && hi.is_finite());
        prop_assert_eq!(parse_range(&format!("{lo},{hi}")), Ok((lo, hi)));
        prop_assert_eq!(parse_range(&format!(" {lo} , {hi} ")), Ok((lo, hi)));
    }

    #[test]
    fn sizes_are_at_least_one_byte(text in user_text()) {
        if let Ok(bytes) = parse_size(&text) {
            prop_assert!(bytes >= 1, "{text:?} -> {bytes}");
        }
    }

    #[test]
    fn sizes_scale_with_their_unit(n in 1u64..1_000_000, unit in 0usize..4) {
        let (suffix, factor) = [("", 1u64), ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)][unit];
        prop_assert_eq!(parse_size(&format!("{n}{suffix}")), Ok(n * factor));
    }

    #[test]
    fn colours_never_panic_and_hex_round_trips(text in user_text(), rgba in any::<[u8; 4]>()) {
        let _ = Color::parse(&text);
        let [r, g, b, a] = rgba;
        let parsed = Color::parse(&format!("#{r:02x}{g:02x}{b:02X}{a:02x}"));
        prop_assert_eq!(parsed.map(|c| (c.r, c.g, c.b, c.a)), Ok((r, g, b, a)));
    }

    /// The twin of `fuzz/fuzz_targets/color_key.rs`.
    #[test]
    fn color_keys_hold_one_opaque_colour_per_part(text in color_key_text()) {
        match parse_color_key(&text) {
            Ok(key) => {
                let parts: Vec<&str> = text.split(',').collect();
                prop_assert_eq!(key.len(), parts.len(), "{:?}", text);
                for (colour, part) in key.iter().zip(parts) {
                    let c = Color::parse(part);
                    prop_assert!(c.is_ok(), "{:?} accepted with part {:?}", text, part);
                    let c = c.unwrap();
                    prop_assert_eq!(*colour, Color::rgb(c.r, c.g, c.b));
                }
            }
            Err(message) => prop_assert!(!message.is_empty() && !message.contains('\n'), "{:?}", message),
        }
    }

    #[test]
    fn color_keys_of_hex_codes_round_trip(colours in proptest::collection::vec(any::<[u8; 4]>(), 1..8)) {
        let text: Vec<String> = colours.iter().map(|[r, g, b, a]| format!("#{r:02x}{g:02x}{b:02x}{a:02x}")).collect();
        let want: Vec<Color> = colours.iter().map(|&[r, g, b, _]| Color::rgb(r, g, b)).collect();
        prop_assert_eq!(parse_color_key(&text.join(",")), Ok(want));
    }

    #[test]
    fn colormap_specs_never_panic_and_errors_are_one_line(text in user_text()) {
        if let Err(message) = Colormap::parse(&text) {
            prop_assert!(!message.is_empty() && !message.contains('\n'), "{:?}", message);
        }
        if let Err(message) = Colormap::parse(&format!("fire:{text}")) {
            prop_assert!(!message.is_empty() && !message.contains('\n'), "{:?}", message);
        }
    }

    #[test]
    fn colormap_ranges_are_python_slices(lo in 0.0..1.0f64, hi in 0.0..=1.0f64) {
        let fire = Colormap::by_name("fire").unwrap();
        let (start, end) = ((lo * 256.0).floor() as usize, (hi * 256.0).floor() as usize);
        match Colormap::parse(&format!("fire:{lo}:{hi}")) {
            Ok(part) => prop_assert_eq!(part.colors(), &fire.colors()[start..end]),
            Err(_) => prop_assert!(lo >= hi || end < start + 2, "{} {}", lo, hi),
        }
    }

    #[test]
    fn names_never_panic(text in user_text()) {
        let _ = Colormap::by_name(&text);
        let _ = How::from_str(&text);
        let _ = Scale::from_str(&text);
        let _ = Compression::from_str(&text);
    }

    #[test]
    fn column_specs_keep_the_path(text in user_text()) {
        let spec = ColumnSpec::parse(&text);
        match (spec.column, text.rsplit_once(':')) {
            (Some(_), Some((path, digits))) => {
                prop_assert_eq!(spec.path.to_string_lossy(), path);
                prop_assert!(!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
            }
            (Some(_), None) => prop_assert!(false, "a column without a colon in {:?}", text),
            (None, _) => prop_assert_eq!(spec.path.to_string_lossy(), text.as_str()),
        }
        // the checked parse refuses only an empty name or a column number past usize::MAX
        match ColumnSpec::try_parse(&text) {
            Ok(checked) => prop_assert_eq!(checked, spec),
            Err(_) => prop_assert!(text.is_empty() || spec.column == Some(usize::MAX), "{:?}", text),
        }
    }

    #[test]
    fn column_numbers_too_large_are_refused(digits in "[2-9][0-9]{19,30}") {
        let message = ColumnSpec::try_parse(&format!("a.npy:{digits}")).unwrap_err();
        prop_assert!(message.contains(&digits) && message.contains("too large"), "{}", message);
    }

    #[test]
    fn headers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = NpyHeader::parse(&bytes);
    }

    #[test]
    fn columns_open_from_any_file_read_inside_it(bytes in mutated_file(), k in 0usize..3) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.npy");
        std::fs::write(&path, &bytes).unwrap();
        for column in [None, Some(k)] {
            let spec = ColumnSpec { path: path.clone(), column, ..ColumnSpec::default() };
            match NpyColumn::open(&spec) {
                Ok(c) => {
                    // Reading every value must stay inside the mapping (no panic, no fault).
                    let mut out = vec![0.0; c.len()];
                    c.read_f64(0, &mut out);
                    let s = c.summary();
                    prop_assert_eq!(s.len, c.len());
                }
                Err(e) => {
                    let message = e.to_string();
                    prop_assert!(message.contains("c.npy"), "{}", message);
                    prop_assert!(!message.contains('\n'), "{}", message);
                }
            }
        }
    }
}
