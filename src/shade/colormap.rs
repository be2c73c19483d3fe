//! Named colormaps as lists of colours that shading interpolates between, like
//! Datashader's list colormaps (linear per channel in RGB, truncated to u8).
//!
//! The 256-colour tables come from matplotlib and colorcet (see `tools/gen_colormaps.py`),
//! so `--cmap viridis` gives the same pixels as Datashader's
//! `tf.shade(agg, cmap=[matplotlib.colors.to_hex(c) for c in viridis.colors])`.
//!
//! One spelling, [`Colormap::parse`] (and `str::parse`), serves the command line and the
//! library's callers alike: a name (`fire`, `viridis_r`), a list of colours
//! (`#add8e6,#00008b`, as Datashader's `cmap=['#add8e6', '#00008b']`), either followed by a
//! range `:LO[:HI]` that keeps part of it (`fire:0.2` is Datashader's `fire[51:]`), so a
//! colormap whose first colour is the background's can start where the data shows.

use std::str::FromStr;

use crate::shade::{tables, Color};

/// The names [`Colormap::by_name`] knows, each with its colours.
const NAMED: [(&str, &[[u8; 3]]); 10] = [
    ("datashader", &DATASHADER),
    ("default", &DATASHADER),
    ("viridis", &tables::VIRIDIS),
    ("inferno", &tables::INFERNO),
    ("magma", &tables::MAGMA),
    ("plasma", &tables::PLASMA),
    ("cividis", &tables::CIVIDIS),
    ("fire", &tables::FIRE),
    ("gray", &GRAY),
    ("grey", &GRAY),
];

/// The names alone, in the order of [`NAMED`].
const NAMES: [&str; 10] =
    ["datashader", "default", "viridis", "inferno", "magma", "plasma", "cividis", "fire", "gray", "grey"];

/// Datashader's default `cmap=['lightblue', 'darkblue']`.
const DATASHADER: [[u8; 3]; 2] = [[173, 216, 230], [0, 0, 139]];

/// `gray`: the two-colour list `['black', 'white']` (so it equals Datashader's
/// `cmap=['black', 'white']`, not matplotlib's 256-entry `gray`, which differs by one unit
/// in some pixels).
const GRAY: [[u8; 3]; 2] = [[0, 0, 0], [255, 255, 255]];

/// A list of colours from low to high values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Colormap {
    name: String,
    colors: Vec<[u8; 3]>,
}

impl Colormap {
    /// Looks up a colormap by name: `datashader` (Datashader's default lightblue to
    /// darkblue; also `default`), `viridis`, `inferno`, `magma`, `plasma`, `cividis`, `fire`,
    /// `gray`; any of them reversed with a `_r` suffix. The error lists the known names.
    ///
    /// Matching is case-insensitive; `grey` is accepted for `gray`.
    pub fn by_name(name: &str) -> Result<Colormap, String> {
        let key = name.trim().to_ascii_lowercase();
        let (base, reversed) = match key.strip_suffix("_r") {
            Some(base) => (base, true),
            None => (key.as_str(), false),
        };
        let Some((_, colors)) = NAMED.iter().find(|(known, _)| *known == base) else {
            return Err(format!(
                "unknown colormap '{name}': known colormaps are {} (add _r to reverse one, :LO[:HI] to \
                 use part of one, e.g. fire:0.2; or give a list of colours, e.g. '#add8e6,#00008b')",
                NAMES.join(", ")
            ));
        };
        let mut colors = colors.to_vec();
        if reversed {
            colors.reverse();
        }
        Ok(Colormap { name: key, colors })
    }

    /// Parses a colormap: a name [`Colormap::by_name`] knows, or a comma-separated list of at
    /// least two opaque colours (`#add8e6,#00008b`, `red,gold`; any colour
    /// [`Color::parse`] reads), optionally followed by a range `:LO` or `:LO:HI` that keeps
    /// the part from fraction LO to fraction HI of it ([`Colormap::range`]): `fire:0.2`,
    /// `viridis:0.1:0.9`, `#000000,#ffffff:0.3`. The error is one sentence naming the part
    /// that was not understood.
    pub fn parse(spec: &str) -> Result<Colormap, String> {
        let text = spec.trim();
        let mut parts = text.split(':');
        let base = parts.next().unwrap_or_default().trim();
        let range: Vec<&str> = parts.collect();
        let whole = if base.contains(',') { Colormap::from_list(base)? } else { Colormap::by_name(base)? };
        let (lo, hi) = match range.as_slice() {
            [] => return Ok(whole),
            [lo] => (fraction(lo, text)?, 1.0),
            [lo, hi] => (fraction(lo, text)?, fraction(hi, text)?),
            _ => {
                return Err(format!(
                    "cannot understand colormap '{text}': expected NAME, NAME:LO or NAME:LO:HI"
                ))
            }
        };
        whole.range(lo, hi)
    }

    /// A colormap from a comma-separated list of colours (Datashader's list `cmap`), at
    /// least two, each opaque (a list colormap has no alpha).
    fn from_list(list: &str) -> Result<Colormap, String> {
        let mut colors = Vec::new();
        for item in list.split(',') {
            let color = Color::parse(item)?;
            if !color.is_opaque() {
                return Err(format!(
                    "colormap colour '{}' is not opaque: the colours of a colormap have no alpha",
                    item.trim()
                ));
            }
            colors.push([color.r, color.g, color.b]);
        }
        if colors.len() < 2 {
            return Err(format!("colormap '{list}' needs at least two colours"));
        }
        let name = list.split(',').map(|item| item.trim().to_ascii_lowercase()).collect::<Vec<_>>().join(",");
        Ok(Colormap { name, colors })
    }

    /// The part of this colormap from fraction `lo` to fraction `hi` (0 <= lo < hi <= 1),
    /// exactly as Python slices a list of `n` colours: `colors[int(lo * n):int(hi * n)]`, so
    /// `fire` with (0.2, 1.0) is Datashader's `fire[51:]`. A list of fewer than 256 colours
    /// (`datashader`, `gray`, a list given by hand) is first spread to 256 by linear
    /// interpolation in RGB, rounded, so its ranges are as fine as a table's. The part must
    /// keep at least two colours. Named `NAME:LO` (or `NAME:LO:HI` when HI is not 1).
    pub fn range(&self, lo: f64, hi: f64) -> Result<Colormap, String> {
        let base = self.name.split(':').next().unwrap_or_default();
        let name = if hi == 1.0 { format!("{base}:{lo}") } else { format!("{base}:{lo}:{hi}") };
        if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo >= hi {
            return Err(format!(
                "colormap range '{name}': LO and HI must be fractions with 0 <= LO < HI <= 1"
            ));
        }
        if self.colors.is_empty() {
            return Err(format!("colormap range '{name}': the colormap has no colours"));
        }
        let colors = if self.colors.len() < 256 { spread_to_256(&self.colors) } else { self.colors.clone() };
        let n = colors.len() as f64;
        // Python's int() of a non-negative float: truncation.
        let (start, end) = ((lo * n) as usize, (hi * n) as usize);
        if end < start + 2 {
            return Err(format!(
                "colormap range '{name}' keeps fewer than two of the colormap's {} colours",
                colors.len()
            ));
        }
        Ok(Colormap { name, colors: colors[start..end].to_vec() })
    }

    /// The names [`Colormap::by_name`] accepts (without `_r`).
    pub fn names() -> &'static [&'static str] {
        &NAMES
    }

    /// A colormap from an explicit list of at least two colours.
    pub fn from_colors(name: impl Into<String>, colors: Vec<[u8; 3]>) -> Colormap {
        Colormap { name: name.into(), colors }
    }

    /// The name it was made with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The colours, low to high.
    pub fn colors(&self) -> &[[u8; 3]] {
        &self.colors
    }
}

/// `str::parse` is [`Colormap::parse`].
impl FromStr for Colormap {
    type Err = String;
    fn from_str(spec: &str) -> Result<Colormap, String> {
        Colormap::parse(spec)
    }
}

/// A range bound of a colormap spec: a number (the range itself is checked by
/// [`Colormap::range`]).
fn fraction(text: &str, spec: &str) -> Result<f64, String> {
    text.trim().parse::<f64>().map_err(|_| {
        format!("cannot understand colormap range '{spec}': '{text}' is not a number (expected NAME:LO[:HI], e.g. fire:0.2)")
    })
}

/// `colors` (at least one) spread to 256 colours from the first to the last, linearly in
/// RGB, each channel rounded half up.
fn spread_to_256(colors: &[[u8; 3]]) -> Vec<[u8; 3]> {
    let last = colors.len() - 1;
    (0..256)
        .map(|i| {
            let t = i as f64 * last as f64 / 255.0;
            let k = (t.floor() as usize).min(last.saturating_sub(1));
            let f = t - k as f64;
            let k1 = (k + 1).min(last);
            [0, 1, 2].map(|c| {
                let (a, b) = (f64::from(colors[k][c]), f64::from(colors[k1][c]));
                (a + (b - a) * f + 0.5).floor() as u8
            })
        })
        .collect()
}

impl Default for Colormap {
    /// Datashader's default, lightblue (173, 216, 230) to darkblue (0, 0, 139).
    fn default() -> Self {
        Colormap::from_colors("datashader", vec![[173, 216, 230], [0, 0, 139]])
    }
}

/// `n` colours evenly spaced from the first to the last of a colormap given as its red,
/// green and blue channels (linear interpolation in RGB, as shading does), for colorbars.
pub fn sample_channels(channels: &[Vec<f64>; 3], n: usize) -> Vec<crate::shade::Color> {
    let last = channels[0].len().saturating_sub(1);
    (0..n)
        .map(|i| {
            let t = i as f64 / (n.max(2) - 1) as f64 * last as f64;
            let (k, f) = ((t.floor() as usize).min(last), t - t.floor());
            let k1 = (k + 1).min(last);
            let [r, g, b] = channels.each_ref().map(|c| (c[k] + (c[k1] - c[k]) * f) as u8);
            crate::shade::Color::rgb(r, g, b)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_datashader_agree() {
        let ds = Colormap::by_name("datashader").unwrap();
        assert_eq!(ds, Colormap::default());
        assert_eq!(Colormap::by_name("default").unwrap().colors(), ds.colors());
        assert_eq!(ds.colors(), &[[173, 216, 230], [0, 0, 139]]);
    }

    #[test]
    fn tables_have_known_ends() {
        let v = Colormap::by_name("viridis").unwrap();
        assert_eq!(v.colors().len(), 256);
        // '#440154' and '#fde725'
        assert_eq!(v.colors()[0], [68, 1, 84]);
        assert_eq!(v.colors()[255], [253, 231, 37]);
        let fire = Colormap::by_name("fire").unwrap();
        assert_eq!(fire.colors()[0], [0, 0, 0]);
        assert_eq!(fire.colors()[1], [6, 0, 0]);
        assert_eq!(fire.colors()[255], [255, 255, 255]);
        let inferno = Colormap::by_name("Inferno").unwrap();
        assert_eq!(inferno.colors()[0], [0, 0, 4]);
        assert_eq!(inferno.name(), "inferno");
        assert_eq!(Colormap::by_name("gray").unwrap().colors(), &[[0, 0, 0], [255, 255, 255]]);
        assert_eq!(Colormap::by_name("grey").unwrap().colors(), &[[0, 0, 0], [255, 255, 255]]);
        for name in Colormap::names() {
            assert!(Colormap::by_name(name).unwrap().colors().len() >= 2, "{name}");
        }
    }

    #[test]
    fn suffix_r_reverses() {
        let v = Colormap::by_name("viridis").unwrap();
        let r = Colormap::by_name("viridis_r").unwrap();
        assert_eq!(r.name(), "viridis_r");
        let mut back = r.colors().to_vec();
        back.reverse();
        assert_eq!(back, v.colors());
        assert_eq!(Colormap::by_name("default_r").unwrap().colors(), &[[0, 0, 139], [173, 216, 230]]);
        assert!(Colormap::by_name("viridis_r_r").is_err());
    }

    #[test]
    fn ranges_slice_like_python() {
        let fire = Colormap::by_name("fire").unwrap();
        let part = Colormap::parse("fire:0.2").unwrap();
        assert_eq!(part.name(), "fire:0.2");
        assert_eq!(part.colors(), &fire.colors()[51..]);
        let part = Colormap::parse(" Fire:0.2:0.9 ").unwrap();
        assert_eq!(part.name(), "fire:0.2:0.9");
        assert_eq!(part.colors(), &fire.colors()[51..230]);
        assert_eq!(Colormap::parse("fire:0:1").unwrap().colors(), fire.colors());
        assert_eq!("fire:0.2:1.0".parse::<Colormap>().unwrap(), Colormap::parse("fire:0.2").unwrap());
        let reversed = Colormap::parse("fire_r:0.3").unwrap();
        let mut back = fire.colors().to_vec();
        back.reverse();
        assert_eq!(reversed.colors(), &back[76..]);
        // two-colour lists are spread to 256 first: gray:0.2 starts at 51 of 255
        let gray = Colormap::parse("gray:0.2").unwrap();
        assert_eq!(gray.colors().len(), 205);
        assert_eq!(gray.colors()[0], [51, 51, 51]);
        assert_eq!(gray.colors()[204], [255, 255, 255]);
        let ds = Colormap::parse("datashader:0:1").unwrap();
        assert_eq!((ds.colors()[0], ds.colors()[255]), ([173, 216, 230], [0, 0, 139]));
        // 173 * 127/255 = 86.2 -> 86; 216 * 127/255 = 107.6 -> 108; 230 - 91 * 128/255 = 184.3
        assert_eq!(ds.colors()[128], [86, 108, 184]);
    }

    /// `tests/data/datashader/shade_cmap_ranges.json`: Datashader's `tf.shade` with the list a
    /// Datashader user passes for each of gigaplot's range and list spellings.
    #[derive(serde::Deserialize)]
    struct Reference {
        lists: Vec<List>,
        aggregates: Vec<crate::test_data::CountAggregate>,
        cases: Vec<crate::test_data::ShadeCase>,
    }

    /// A spelling and the list Datashader was given for it.
    #[derive(serde::Deserialize)]
    struct List {
        cmap: String,
        colors: Vec<String>,
    }

    #[test]
    fn ranges_and_lists_shade_as_datashader_does_with_the_sliced_list() {
        let reference: Reference = crate::test_data::load("datashader/shade_cmap_ranges.json");
        assert_eq!(reference.cases.len(), 144);
        // the lists Datashader got are the colours the spelling parses to (named colours
        // of the hand-written lists aside, which go through Color::parse)
        for list in &reference.lists {
            let parsed = Colormap::parse(&list.cmap).unwrap();
            let given: Vec<[u8; 3]> = list
                .colors
                .iter()
                .map(|c| {
                    let c = Color::parse(c).unwrap();
                    [c.r, c.g, c.b]
                })
                .collect();
            assert_eq!(parsed.colors(), &given[..], "{}", list.cmap);
        }
        crate::shade::shader::tests::check_count_cases(&reference.aggregates, &reference.cases, |spec| {
            Colormap::parse(spec).unwrap()
        });
    }

    #[test]
    fn lists_of_colours() {
        let list = Colormap::parse("#add8e6, #00008B").unwrap();
        assert_eq!(list.colors(), Colormap::default().colors());
        assert_eq!(list.name(), "#add8e6,#00008b");
        assert_eq!(Colormap::parse("lightblue,darkblue").unwrap().colors(), list.colors());
        let three = Colormap::parse("black,#f00,white:0.5").unwrap();
        assert_eq!(three.name(), "black,#f00,white:0.5");
        assert_eq!(three.colors().len(), 128);
        assert_eq!(three.colors()[0], [255, 1, 1]); // 128 * 2/255 = 1.004 of the way
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let err = |spec: &str| Colormap::parse(spec).unwrap_err();
        assert_eq!(
            err("fire:x"),
            "cannot understand colormap range 'fire:x': 'x' is not a number (expected NAME:LO[:HI], \
             e.g. fire:0.2)"
        );
        assert_eq!(
            err("fire:0.5:0.2"),
            "colormap range 'fire:0.5:0.2': LO and HI must be fractions with 0 <= LO < HI <= 1"
        );
        assert_eq!(
            err("fire:1.5"),
            "colormap range 'fire:1.5': LO and HI must be fractions with 0 <= LO < HI <= 1"
        );
        assert_eq!(
            err("fire:-0.1"),
            "colormap range 'fire:-0.1': LO and HI must be fractions with 0 <= LO < HI <= 1"
        );
        assert_eq!(
            err("fire:NaN"),
            "colormap range 'fire:NaN': LO and HI must be fractions with 0 <= LO < HI <= 1"
        );
        assert_eq!(
            err("fire:0.5:0.5039"),
            "colormap range 'fire:0.5:0.5039' keeps fewer than two of the colormap's 256 colours"
        );
        assert!(Colormap::parse("fire:0.5:0.508").is_ok());
        assert_eq!(
            err("fire:0.1:0.2:0.3"),
            "cannot understand colormap 'fire:0.1:0.2:0.3': expected NAME, NAME:LO or NAME:LO:HI"
        );
        assert!(err("jet:0.2").starts_with("unknown colormap 'jet'"));
        assert_eq!(err("red"), Colormap::by_name("red").unwrap_err());
        assert_eq!(
            err("red,"),
            "cannot understand colour '': not a CSS colour name, 'transparent' or a #rrggbb hex code"
        );
        assert_eq!(err("red,blurple"), Color::parse("blurple").unwrap_err());
        assert_eq!(
            err("red,#0000ff80"),
            "colormap colour '#0000ff80' is not opaque: the colours of a colormap have no alpha"
        );
        assert_eq!(
            err("red,transparent"),
            "colormap colour 'transparent' is not opaque: the colours of a colormap have no alpha"
        );
        assert!(Colormap::from_colors("empty", Vec::new()).range(0.2, 1.0).is_err());
    }

    #[test]
    fn unknown_name_lists_known_ones() {
        assert_eq!(
            Colormap::by_name("jet").unwrap_err(),
            "unknown colormap 'jet': known colormaps are datashader, default, viridis, inferno, \
             magma, plasma, cividis, fire, gray, grey (add _r to reverse one, :LO[:HI] to use \
             part of one, e.g. fire:0.2; or give a list of colours, e.g. '#add8e6,#00008b')"
        );
        assert!(Colormap::by_name("_r").is_err());
    }
}
