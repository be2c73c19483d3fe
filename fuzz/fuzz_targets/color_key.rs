//! The `--color-key` parser on arbitrary text: never panics; an accepted key holds one
//! opaque colour per comma-separated part, the colour `Color::parse` reads there with its
//! alpha dropped; a refusal is one line.
#![no_main]

use gigaplot::{parse_color_key, Color};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match parse_color_key(&text) {
        Ok(key) => {
            let parts: Vec<&str> = text.split(',').collect();
            assert_eq!(key.len(), parts.len(), "{text:?}");
            for (colour, part) in key.iter().zip(parts) {
                let c = Color::parse(part).expect("every part of an accepted key is a colour");
                assert_eq!(*colour, Color::rgb(c.r, c.g, c.b), "{text:?}");
            }
        }
        Err(message) => assert!(!message.is_empty() && !message.contains('\n'), "{message:?}"),
    }
});
