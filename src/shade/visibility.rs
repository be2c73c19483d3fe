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
//! colours, up to (24, 0, 0), are all that falls within it on black. On a transparent
//! background the picture's look depends on what it is shown over: there only pixels whose
//! alpha is 0 are hidden (a count-cat `min_alpha` of 0).
//!
//! Every family is judged the same way, when the lowest values are hidden:
//! - counts (`count`, `any`, pyramids): exactly, from the histogram of counts;
//! - float values (`sum`, `mean`, `min`, `max`...): with eq-hist, per bin of its 65,536-bin
//!   histogram; with the other transfer functions, whose statistics are only the minimum
//!   and maximum, when every value is hidden (one value everywhere, or a colormap range
//!   whose colours are all the background's);
//! - categories (`count-cat`): the pixels of each total whose alpha hides every category
//!   colour (a pixel's colour mixes the category colours, so it is hidden when they all
//!   are); the fix is another colour key or background.
//!
//! A canvas with no non-empty pixel at all (every value NaN, or no point on it) is the
//! render's other warning, [`crate::render::Warning::Empty`].

use crate::shade::{
    CategoryShader, CategoryStats, Color, Colormap, CountHistogram, CountShader, FloatHistogram, FloatShader,
    FloatStats,
};

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
    /// True when the hidden colours are the categories' (`count-cat`): the fix is another
    /// colour key, not a colormap.
    pub categories: bool,
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
        match (&self.suggestion, self.categories) {
            (_, true) => write!(f, "use other category colours (color_key) or another background"),
            (Some(range), false) => {
                write!(f, "use part of the colormap (cmap {range}) or another background")
            }
            (None, false) => write!(f, "use another colormap or background"),
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

/// True when a pixel of `color` cannot be seen in the picture: alpha 0, or on an opaque
/// `background` [`is_faint`]. On a translucent background only alpha 0 is judged.
pub fn is_hidden(color: Color, background: Color) -> bool {
    color.a == 0 || (background.is_opaque() && is_faint(color, background))
}

/// The invisible pixels of a count canvas shaded by `shader` (built from `histogram` with
/// `cmap`) and shown over `background`, or None when the lowest count can be seen or the
/// canvas is empty.
pub fn invisible_counts(
    histogram: &CountHistogram,
    shader: &CountShader,
    cmap: &Colormap,
    background: Color,
) -> Option<Invisible> {
    let (min, _) = histogram.min_max()?;
    let lowest = shader.shade(min);
    if !is_hidden(lowest, background) {
        return None;
    }
    let (mut pixels, mut non_empty) = (0u64, 0u64);
    for (count, n) in histogram.iter() {
        non_empty = non_empty.saturating_add(n);
        if is_hidden(shader.shade(count), background) {
            pixels = pixels.saturating_add(n);
        }
    }
    Some(invisible(pixels, non_empty, lowest, background, suggest_range(cmap, background)))
}

/// The invisible pixels of a float canvas described by `stats` (and, for eq-hist, by
/// `histogram`), shaded by `shader` with `cmap` over `background`: None when the lowest
/// value can be seen, the canvas is empty, or (without a histogram) some value can be
/// seen, since then the statistics cannot say how many pixels are hidden. With a
/// histogram each bin counts as its centre's colour.
pub fn invisible_floats(
    stats: &FloatStats,
    histogram: Option<&FloatHistogram>,
    shader: &FloatShader,
    cmap: &Colormap,
    background: Color,
) -> Option<Invisible> {
    let (min, max) = stats.min_max()?;
    let lowest = shader.shade(min);
    if !is_hidden(lowest, background) {
        return None;
    }
    let pixels = match histogram {
        Some(histogram) => histogram
            .values()
            .filter(|&(value, _)| is_hidden(shader.shade(value.clamp(min, max)), background))
            .fold(0u64, |sum, (_, n)| sum.saturating_add(n)),
        None if every_value_hidden(shader, (min, max), background) => stats.count(),
        None => return None,
    };
    Some(invisible(pixels, stats.count(), lowest, background, suggest_range(cmap, background)))
}

/// True when every value from `min` to `max` gets a hidden colour: both ends and every
/// colour the shader's colormap holds between them.
fn every_value_hidden(shader: &FloatShader, (min, max): (f64, f64), background: Color) -> bool {
    let (Some(lo), Some(hi)) = (shader.position(min), shader.position(max)) else {
        return false;
    };
    let samples = shader.colormap_samples(256);
    let last = samples.len().saturating_sub(1) as f64;
    let (first, end) = ((lo * last).floor() as usize, (hi * last).ceil() as usize);
    is_hidden(shader.shade(min), background)
        && is_hidden(shader.shade(max), background)
        && samples
            .get(first..=end.min(samples.len().saturating_sub(1)))
            .is_some_and(|colors| colors.iter().all(|&c| is_hidden(Color::rgb(c.r, c.g, c.b), background)))
}

/// The invisible pixels of a count-cat canvas described by `stats`, shaded by `shader`
/// over `background`: the pixels of every total whose alpha hides each category colour
/// (a pixel's colour is a mix of them), or None when the lowest total's are not hidden.
pub fn invisible_categories(
    stats: &CategoryStats,
    shader: &CategoryShader,
    background: Color,
) -> Option<Invisible> {
    let totals = stats.totals();
    let (min, _) = totals.min_max()?;
    let hidden = |total: u32| {
        let alpha = shader.alpha_of(total);
        let colors = shader.category_colors();
        colors.iter().all(|&[r, g, b]| {
            let color = Color { r, g, b, a: alpha };
            is_hidden(if background.a == 0 { color } else { color.over(background) }, background)
        })
    };
    if !hidden(min) {
        return None;
    }
    let (mut pixels, mut non_empty) = (0u64, 0u64);
    for (total, n) in totals.iter() {
        non_empty = non_empty.saturating_add(n);
        if hidden(total) {
            pixels = pixels.saturating_add(n);
        }
    }
    let [r, g, b] = shader.category_colors().first().copied().unwrap_or_default();
    let lowest = Color { r, g, b, a: shader.alpha_of(min) };
    Some(Invisible { categories: true, ..invisible(pixels, non_empty, lowest, background, None) })
}

/// An [`Invisible`] of colormap shading, `lowest` composited over an opaque `background`.
fn invisible(
    pixels: u64,
    non_empty: u64,
    lowest: Color,
    background: Color,
    suggestion: Option<String>,
) -> Invisible {
    let lowest = if background.is_opaque() { lowest.over(background) } else { lowest };
    Invisible { pixels, non_empty, lowest, background, suggestion, categories: false }
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

    /// Float values (NaN: empty), judged with eq-hist's histogram or, for `how`, without.
    fn check_floats(values: &[f64], cmap: &str, how: How, background: Color) -> Option<Invisible> {
        let mut stats = FloatStats::new();
        stats.add_values(values);
        let histogram = (how == How::EqHist).then(|| {
            let mut h = FloatHistogram::new(&stats);
            h.add_values(values);
            h
        });
        let cmap = Colormap::parse(cmap).unwrap();
        let shader = FloatShader::new(&stats, histogram.as_ref(), how, &cmap, background);
        invisible_floats(&stats, histogram.as_ref(), &shader, &cmap, background)
    }

    #[test]
    fn float_values_are_judged_by_their_histogram_or_when_all_are_hidden() {
        let values = [1.0, 1.0, 1.0, 10.0, f64::NAN, f64::NAN];
        let found = check_floats(&values, "fire", How::EqHist, BLACK).unwrap();
        assert_eq!((found.pixels, found.non_empty, found.suggestion.as_deref()), (3, 4, Some("fire:0.2")));
        assert_eq!(check_floats(&values, "fire:0.2", How::EqHist, BLACK), None);
        // linear: only min and max are known, so only "every value hidden" is said
        assert_eq!(check_floats(&values, "fire", How::Linear, BLACK), None);
        let found = check_floats(&values, "fire:0:0.02", How::Linear, BLACK).unwrap();
        assert_eq!((found.pixels, found.non_empty), (4, 4));
        // one value everywhere; an empty canvas is not this warning's
        assert_eq!(check_floats(&[2.0; 3], "#ffffff,#fafafa", How::Linear, WHITE).map(|f| f.pixels), Some(3));
        assert_eq!(check_floats(&[f64::NAN; 3], "fire", How::EqHist, BLACK), None);
        // transparent: the colours are opaque, nothing is hidden
        assert_eq!(check_floats(&values, "fire", How::EqHist, Color::TRANSPARENT), None);
    }

    #[test]
    fn categories_are_hidden_when_every_colour_is() {
        // two categories, pixels of totals 1, 1, 3: the lowest alpha is min_alpha 40
        let mut stats = CategoryStats::new(2);
        stats.add_counts(&[1, 0, 0, 1, 2, 1, 0, 0]);
        let check = |key: &[Color], background: Color, min_alpha: u8| {
            let shader = CategoryShader::new(key, How::EqHist, 255, min_alpha, &stats, background);
            invisible_categories(&stats, &shader, background)
        };
        let dark = [Color::rgb(0, 0, 0), Color::rgb(32, 32, 32)];
        // the lone pixels (alpha 40) are hidden; the opaque one is not, as #202020 is visible
        let found = check(&dark, BLACK, 40).unwrap();
        assert_eq!((found.pixels, found.non_empty, found.categories), (2, 3, true));
        assert!(found.to_string().ends_with("use other category colours (color_key) or another background"));
        // one visible category is enough for some pixels to show: not judged hidden
        assert_eq!(check(&[Color::rgb(0, 0, 0), Color::rgb(255, 0, 0)], BLACK, 40), None);
        assert_eq!(check(&dark, WHITE, 40), None);
        // on a transparent background only alpha 0 hides: min_alpha 0 hides the lowest
        assert_eq!(check(&dark, Color::TRANSPARENT, 40), None);
        let found = check(&[Color::rgb(255, 0, 0), Color::rgb(0, 0, 255)], Color::TRANSPARENT, 0).unwrap();
        assert_eq!((found.pixels, found.non_empty), (2, 3));
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
