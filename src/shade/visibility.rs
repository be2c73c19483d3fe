//! Whether the shaded data can be seen: the check behind the "your data is invisible"
//! warning of a render.
//!
//! Datashader gives the lowest value the colormap's first colour. When that colour is the
//! background's, or close to it (`fire`, `inferno` or `gray` on black), every pixel with the
//! lowest count vanishes, and on sparse data that is most of them: a picture that looks
//! empty at screen size. After the statistics pass the shader knows every count's colour
//! and the exact histogram says how many pixels get it, so a render can say so, with the
//! share of non-empty pixels affected and a colormap range that fixes it.
//!
//! "Close" is a largest channel difference of at most [`FAINT_LEVELS`] (of 255) between
//! the pixel, composited over the background, and the background: 24 levels near black is
//! under 1% of white's luminance (sRGB 24 is 0.009 in linear light), and `fire`'s first five
//! colours, up to (24, 0, 0), are all that falls within it on black. The check is for opaque
//! backgrounds: on a transparent one the picture's look depends on what it is shown over,
//! and count shading is opaque wherever there is data.

use crate::shade::{Color, Colormap, CountHistogram, CountShader};

/// Largest channel difference (0-255) at which a shaded pixel counts as the background's
/// colour.
pub const FAINT_LEVELS: u8 = 24;

/// Starts of the colormap ranges a warning may suggest, tried in order.
const SUGGESTED_STARTS: [f64; 4] = [0.2, 0.3, 0.4, 0.5];

/// Non-empty pixels shaded so close to the background that they cannot be seen, because the
/// lowest values get a colour within [`FAINT_LEVELS`] of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Invisible {
    /// Non-empty pixels whose colour is within [`FAINT_LEVELS`] of the background.
    pub pixels: u64,
    /// All non-empty pixels of the canvas.
    pub non_empty: u64,
    /// The colour the lowest value gets, over the background.
    pub lowest: Color,
    /// The background compared with.
    pub background: Color,
    /// A colormap range that makes the lowest value visible (`fire:0.2`), when one of
    /// `NAME:0.2` to `NAME:0.5` does.
    pub suggestion: Option<String>,
}

impl Invisible {
    /// The share of non-empty pixels that cannot be seen, 0 to 1.
    pub fn share(&self) -> f64 {
        self.pixels as f64 / self.non_empty.max(1) as f64
    }
}

impl std::fmt::Display for Invisible {
    /// One sentence in the library's terms (`cmap`, `background`), for callers other than
    /// the command line (which names its flags).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1}% of the non-empty pixels ({} of {}) are shaded within {FAINT_LEVELS} levels of the \
             background {} and cannot be seen; ",
            100.0 * self.share(),
            self.pixels,
            self.non_empty,
            hex(self.background)
        )?;
        match &self.suggestion {
            Some(range) => write!(f, "use part of the colormap (cmap {range}) or another background"),
            None => write!(f, "use another colormap or background"),
        }
    }
}

/// `#rrggbb`.
pub fn hex(color: Color) -> String {
    format!("#{:02x}{:02x}{:02x}", color.r, color.g, color.b)
}

/// True when `color` drawn over the opaque `background` is within [`FAINT_LEVELS`] of it.
pub fn is_faint(color: Color, background: Color) -> bool {
    let c = color.over(background);
    let diff = |a: u8, b: u8| a.abs_diff(b);
    diff(c.r, background.r).max(diff(c.g, background.g)).max(diff(c.b, background.b)) <= FAINT_LEVELS
}

/// The invisible pixels of a count canvas shaded by `shader` (built from `histogram` with
/// `cmap`) and shown over `background`, or None when the lowest count can be seen, the
/// canvas is empty or the background is not opaque.
pub fn invisible_counts(
    histogram: &CountHistogram,
    shader: &CountShader,
    cmap: &Colormap,
    background: Color,
) -> Option<Invisible> {
    let (min, _) = histogram.min_max()?;
    let lowest = shader.shade(min);
    if !background.is_opaque() || !is_faint(lowest, background) {
        return None;
    }
    let (mut pixels, mut non_empty) = (0u64, 0u64);
    for (count, n) in histogram.iter() {
        non_empty = non_empty.saturating_add(n);
        if is_faint(shader.shade(count), background) {
            pixels = pixels.saturating_add(n);
        }
    }
    Some(Invisible {
        pixels,
        non_empty,
        lowest: lowest.over(background),
        background,
        suggestion: suggest_range(cmap, background),
    })
}

/// The first of `NAME:0.2` to `NAME:0.5` whose first colour is not faint over `background`
/// (NAME: the colormap without its range), if the colormap's name can be parsed back.
fn suggest_range(cmap: &Colormap, background: Color) -> Option<String> {
    let base = cmap.name().split(':').next().unwrap_or_default();
    SUGGESTED_STARTS.iter().find_map(|lo| {
        let part = Colormap::parse(&format!("{base}:{lo}")).ok()?;
        let [r, g, b] = *part.colors().first()?;
        (!is_faint(Color::rgb(r, g, b), background)).then(|| part.name().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shade::How;

    fn histogram(counts: &[u32]) -> CountHistogram {
        let mut h = CountHistogram::new();
        h.add_counts(counts);
        h
    }

    fn check(counts: &[u32], cmap: &str, how: How, background: Color) -> Option<Invisible> {
        let h = histogram(counts);
        let cmap = Colormap::parse(cmap).unwrap();
        let shader = CountShader::new(&h, how, &cmap, background);
        invisible_counts(&h, &shader, &cmap, background)
    }

    const BLACK: Color = Color::rgb(0, 0, 0);
    const WHITE: Color = Color::rgb(255, 255, 255);

    #[test]
    fn fire_on_black_hides_the_lowest_counts() {
        // six pixels of 1, two of 2, one of 50: eq-hist gives 1 fire's black
        let counts = [1, 1, 1, 1, 1, 1, 2, 2, 50, 0, 0];
        let found = check(&counts, "fire", How::EqHist, BLACK).unwrap();
        assert_eq!((found.pixels, found.non_empty), (6, 9));
        assert_eq!(found.lowest, BLACK);
        assert_eq!(found.suggestion.as_deref(), Some("fire:0.2"));
        assert_eq!(
            found.to_string(),
            "66.7% of the non-empty pixels (6 of 9) are shaded within 24 levels of the background #000000 \
             and cannot be seen; use part of the colormap (cmap fire:0.2) or another background"
        );
        // the suggested range is visible, and so is fire on white and the default colormap
        assert_eq!(check(&counts, "fire:0.2", How::EqHist, BLACK), None);
        assert_eq!(check(&counts, "fire", How::EqHist, WHITE), None);
        assert_eq!(check(&counts, "datashader", How::EqHist, BLACK), None);
        // a transparent background is never judged; an empty canvas has nothing to hide
        assert_eq!(check(&counts, "fire", How::EqHist, Color::TRANSPARENT), None);
        assert_eq!(check(&[0, 0], "fire", How::EqHist, BLACK), None);
    }

    #[test]
    fn the_threshold_is_24_levels() {
        // linear: counts 1..=256 walk fire's 256 colours one by one; fire[5] = (25, 0, 0)
        let counts: Vec<u32> = (1..=256).collect();
        let found = check(&counts, "fire", How::Linear, BLACK).unwrap();
        assert_eq!(found.pixels, 5);
        assert!(is_faint(Color::rgb(24, 0, 0), BLACK) && !is_faint(Color::rgb(25, 0, 0), BLACK));
        assert!(is_faint(Color::rgb(231, 240, 255), WHITE) && !is_faint(Color::rgb(230, 255, 255), WHITE));
        // gray reversed on white: the suggestion is a range of the reversed map
        let found = check(&counts, "gray_r", How::Linear, WHITE).unwrap();
        assert_eq!(found.suggestion.as_deref(), Some("gray_r:0.2"));
        // nothing helps a colormap that is all background
        let found = check(&counts, "#000000,#101010", How::Linear, BLACK).unwrap();
        assert_eq!((found.pixels, found.suggestion.clone()), (256, None));
        assert!(found.to_string().ends_with("cannot be seen; use another colormap or background"));
    }
}
