//! Colours: parsing CSS-style names and hex codes, and compositing over a background.

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
    pub fn parse(text: &str) -> Result<Color, String> {
        let _ = text;
        todo!()
    }

    /// True when alpha is 255.
    pub fn is_opaque(self) -> bool {
        self.a == 255
    }

    /// `self` composited over `below` (Porter-Duff over, straight alpha, rounded).
    pub fn over(self, below: Color) -> Color {
        let _ = below;
        todo!()
    }
}
