//! Named colormaps as lists of colours that shading interpolates between, like
//! Datashader's list colormaps (linear per channel in RGB, truncated to u8).
//!
//! The 256-colour tables come from matplotlib and colorcet (see `tools/gen_colormaps.py`),
//! so `--cmap viridis` gives the same pixels as Datashader's
//! `tf.shade(agg, cmap=[matplotlib.colors.to_hex(c) for c in viridis.colors])`.

use crate::shade::tables;

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
                "unknown colormap '{name}': known colormaps are {} (add _r to reverse one)",
                NAMES.join(", ")
            ));
        };
        let mut colors = colors.to_vec();
        if reversed {
            colors.reverse();
        }
        Ok(Colormap { name: key, colors })
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
    fn unknown_name_lists_known_ones() {
        assert_eq!(
            Colormap::by_name("jet").unwrap_err(),
            "unknown colormap 'jet': known colormaps are datashader, default, viridis, inferno, \
             magma, plasma, cividis, fire, gray, grey (add _r to reverse one)"
        );
        assert!(Colormap::by_name("_r").is_err());
    }
}
