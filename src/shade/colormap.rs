//! Named colormaps as lists of colours that shading interpolates between, like
//! Datashader's list colormaps (linear per channel in RGB, truncated to u8).

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
    pub fn by_name(name: &str) -> Result<Colormap, String> {
        let _ = name;
        todo!()
    }

    /// The names [`Colormap::by_name`] accepts (without `_r`).
    pub fn names() -> &'static [&'static str] {
        todo!()
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
