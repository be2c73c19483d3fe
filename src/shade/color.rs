//! Colours: parsing CSS-style names and hex codes, and compositing over a background.

use crate::shade::tables::CSS_COLORS;

/// A straight (not premultiplied) 8-bit RGBA colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Alpha, 255 = opaque.
    pub a: u8,
}

impl Color {
    /// Fully transparent black.
    pub const TRANSPARENT: Color = Color { r: 0, g: 0, b: 0, a: 0 };

    /// An opaque colour.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Color {
        Color { r, g, b, a: 255 }
    }

    /// Parses `transparent`, a CSS colour name (`black`, `white`, `lightblue`...), `#rgb`,
    /// `#rrggbb` or `#rrggbbaa`. The error is one sentence naming what was not understood.
    ///
    /// Names are the 148 CSS Color Module Level 4 names (matching is case-insensitive and
    /// ignores surrounding spaces). Datashader's own table agrees with CSS except for
    /// `sandybrown`, where CSS's (244, 164, 96) is used.
    pub fn parse(text: &str) -> Result<Color, String> {
        let key = text.trim().to_ascii_lowercase();
        if key == "transparent" {
            return Ok(Color::TRANSPARENT);
        }
        if let Some(hex) = key.strip_prefix('#') {
            return parse_hex(hex).ok_or_else(|| {
                format!(
                    "cannot understand colour '{text}': expected #rgb, #rrggbb or #rrggbbaa \
                     with hexadecimal digits"
                )
            });
        }
        match CSS_COLORS.binary_search_by(|(name, _)| (*name).cmp(key.as_str())) {
            Ok(i) => {
                let [r, g, b] = CSS_COLORS[i].1;
                Ok(Color::rgb(r, g, b))
            }
            Err(_) => Err(format!(
                "cannot understand colour '{text}': not a CSS colour name, 'transparent' or a \
                 #rrggbb hex code"
            )),
        }
    }

    /// True when alpha is 255.
    pub fn is_opaque(self) -> bool {
        self.a == 255
    }

    /// `self` composited over `below` (Porter-Duff over, straight alpha, rounded).
    ///
    /// Computed exactly in integers: alpha_out = a + b_a * (255 - a) / 255 and each channel
    /// is the alpha-weighted mean, both rounded half up; a fully transparent result is
    /// [`Color::TRANSPARENT`].
    pub fn over(self, below: Color) -> Color {
        let top_a = u32::from(self.a);
        let below_w = u32::from(below.a) * (255 - top_a);
        // alpha scaled by 255
        let out_a255 = top_a * 255 + below_w;
        if out_a255 == 0 {
            return Color::TRANSPARENT;
        }
        let channel = |top: u8, under: u8| -> u8 {
            let num = u32::from(top) * top_a * 255 + u32::from(under) * below_w;
            ((num + out_a255 / 2) / out_a255) as u8
        };
        Color {
            r: channel(self.r, below.r),
            g: channel(self.g, below.g),
            b: channel(self.b, below.b),
            a: ((out_a255 + 127) / 255) as u8,
        }
    }

    /// The four bytes R, G, B, A.
    pub const fn to_array(self) -> [u8; 4] {
        [self.r, self.g, self.b, self.a]
    }
}

/// Parses the digits after `#`: 3 (`rgb`, each digit doubled), 6 or 8 of them.
fn parse_hex(hex: &str) -> Option<Color> {
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    match hex.len() {
        3 => {
            let nibble = |i: usize| u8::from_str_radix(&hex[i..i + 1], 16).ok().map(|v| v * 17);
            Some(Color::rgb(nibble(0)?, nibble(1)?, nibble(2)?))
        }
        6 => Some(Color::rgb(byte(0)?, byte(2)?, byte(4)?)),
        8 => Some(Color { r: byte(0)?, g: byte(2)?, b: byte(4)?, a: byte(6)? }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_case_insensitively() {
        assert_eq!(Color::parse("lightblue"), Ok(Color::rgb(173, 216, 230)));
        assert_eq!(Color::parse("DarkBlue"), Ok(Color::rgb(0, 0, 139)));
        assert_eq!(Color::parse(" navy "), Ok(Color::rgb(0, 0, 128)));
        assert_eq!(Color::parse("gray"), Ok(Color::rgb(128, 128, 128)));
        assert_eq!(Color::parse("grey"), Ok(Color::rgb(128, 128, 128)));
        assert_eq!(Color::parse("darkslategrey"), Ok(Color::rgb(47, 79, 79)));
        assert_eq!(Color::parse("orange"), Ok(Color::rgb(255, 165, 0)));
        assert_eq!(Color::parse("white"), Ok(Color::rgb(255, 255, 255)));
        assert_eq!(Color::parse("black"), Ok(Color::rgb(0, 0, 0)));
        assert_eq!(Color::parse("lime"), Ok(Color::rgb(0, 255, 0)));
        assert_eq!(Color::parse("rebeccapurple"), Ok(Color::rgb(102, 51, 153)));
        assert_eq!(Color::parse("Transparent"), Ok(Color::TRANSPARENT));
        assert_eq!(CSS_COLORS.len(), 148);
        assert!(CSS_COLORS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn parses_hex_forms() {
        assert_eq!(Color::parse("#fa0"), Ok(Color::rgb(255, 170, 0)));
        assert_eq!(Color::parse("#FFAA00"), Ok(Color::rgb(255, 170, 0)));
        assert_eq!(Color::parse("#0a0b0c80"), Ok(Color { r: 10, g: 11, b: 12, a: 128 }));
    }

    #[test]
    fn errors_name_the_input() {
        assert_eq!(
            Color::parse("#12345"),
            Err("cannot understand colour '#12345': expected #rgb, #rrggbb or #rrggbbaa with \
                 hexadecimal digits"
                .to_string())
        );
        assert!(Color::parse("#gg0000").unwrap_err().contains("'#gg0000'"));
        assert!(Color::parse("#ééé").is_err());
        assert_eq!(
            Color::parse("blurple"),
            Err("cannot understand colour 'blurple': not a CSS colour name, 'transparent' or a \
                 #rrggbb hex code"
                .to_string())
        );
        assert!(Color::parse("").is_err());
    }

    #[test]
    fn over_composites_straight_alpha() {
        let white = Color::rgb(255, 255, 255);
        let red = Color::rgb(255, 0, 0);
        assert_eq!(red.over(white), red);
        assert_eq!(Color::TRANSPARENT.over(white), white);
        assert_eq!(Color::TRANSPARENT.over(Color::TRANSPARENT), Color::TRANSPARENT);
        assert_eq!(red.over(Color::TRANSPARENT), red);
        // half-transparent red over white: 255*128 + 255*127 ... green = 255*127/255 = 127
        let half = Color { r: 255, g: 0, b: 0, a: 128 };
        assert_eq!(half.over(white), Color { r: 255, g: 127, b: 127, a: 255 });
        // over transparent keeps the colour and its alpha
        assert_eq!(half.over(Color::TRANSPARENT), half);
        // two half-transparent layers: alpha 128 + 128*127/255 = 191.75 -> 192
        let blue = Color { r: 0, g: 0, b: 255, a: 128 };
        assert_eq!(half.over(blue), Color { r: 170, g: 0, b: 85, a: 192 });
        assert!(white.is_opaque());
        assert!(!half.is_opaque());
    }
}
