//! Deep Zoom Image (`--pyramid-format dzi`), for OpenSeadragon and its ecosystem:
//! `DIR/pyramid.dzi` and `DIR/pyramid_files/{level}/{col}_{row}.png`, with an
//! OpenSeadragon viewer page.
//!
//! Level `L` of `0..=max_level` (`max_level = ceil(log2(max(W, H)))`) is
//! `ceil(W / 2^(max_level - L)) x ceil(H / 2^(max_level - L))` pixels, level 0 one pixel;
//! tiles are `TileSize` square with no overlap, the last column and row cut to the level's
//! size (not padded), as the format says. OpenSeadragon is not part of gigaplot: the page
//! loads a pinned release from unpkg with a Subresource Integrity hash, or (with
//! [`ViewerAssets::Local`], `--viewer-assets`) a copy in `DIR/openseadragon/`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Field, Result};
use crate::io::write_atomically;
use crate::pyramid::metadata::CategoryEntry;
use crate::pyramid::ViewerAssets;

/// The pinned OpenSeadragon release.
pub const OSD_VERSION: &str = "5.0.1";
/// OpenSeadragon's script on unpkg.
pub const OSD_JS_URL: &str = "https://unpkg.com/openseadragon@5.0.1/build/openseadragon/openseadragon.min.js";
/// SRI hash of `build/openseadragon/openseadragon.min.js` of openseadragon 5.0.1
/// (`openssl dgst -sha384 -binary | openssl base64 -A`).
pub const OSD_JS_SRI: &str = "sha384-Vh4b5HGyvDGMp6lVeYZe1zCqqyhS8oLTUC4SKIWmOuYH7nEuWiGIpSACopwLu9UD";
/// OpenSeadragon's button images on unpkg.
pub const OSD_IMAGES_URL: &str = "https://unpkg.com/openseadragon@5.0.1/build/openseadragon/images/";

/// The descriptor's name in the pyramid directory.
pub const DESCRIPTOR: &str = "pyramid.dzi";
/// The tiles' directory in the pyramid directory.
pub const TILES_DIR: &str = "pyramid_files";
/// Where local OpenSeadragon assets are copied in the pyramid directory.
pub const ASSETS_DIR: &str = "openseadragon";

/// The tile layout of a pyramid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PyramidFormat {
    /// `DIR/{z}/{x}/{y}.png` slippy-map tiles, padded to full tiles (Leaflet viewer).
    #[default]
    Xyz,
    /// Deep Zoom Image (OpenSeadragon viewer).
    Dzi,
}

impl std::str::FromStr for PyramidFormat {
    type Err = String;
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        match text {
            "xyz" => Ok(PyramidFormat::Xyz),
            "dzi" => Ok(PyramidFormat::Dzi),
            _ => Err(format!("unknown pyramid format {text:?}; give xyz or dzi")),
        }
    }
}

/// `(level, width, height)` of every DZI level of a `width x height` image, level 0 (one
/// pixel) first.
pub fn levels(width: u32, height: u32) -> Vec<(u32, u32, u32)> {
    let side = u64::from(width.max(height));
    let mut max_level = 0;
    while (1u64 << max_level) < side {
        max_level += 1;
    }
    (0..=max_level)
        .map(|l| {
            let f = 1u64 << (max_level - l);
            (l, u64::from(width).div_ceil(f) as u32, u64::from(height).div_ceil(f) as u32)
        })
        .collect()
}

/// `dir/pyramid_files/{level}/{col}_{row}.png`.
pub fn tile_path(dir: &Path, level: u32, col: u32, row: u32) -> PathBuf {
    dir.join(TILES_DIR).join(level.to_string()).join(format!("{col}_{row}.png"))
}

/// The text of `pyramid.dzi` for a `width x height` image in `tile`-pixel PNG tiles.
pub fn descriptor(width: u32, height: u32, tile: u32) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Image xmlns=\"http://schemas.microsoft.com/deepzoom/2008\" Format=\"png\" Overlap=\"0\" TileSize=\"{tile}\">\n  \
         <Size Width=\"{width}\" Height=\"{height}\"/>\n\
         </Image>\n"
    )
}

/// The viewer page: OpenSeadragon from unpkg (`local == false`) or `openseadragon/`, over
/// `background` (`#rrggbbaa`), where missing (empty) tiles show.
pub fn index_html(local: bool, background: &str, legend: &[CategoryEntry]) -> String {
    let (script, images) = if local {
        (
            format!("<script src=\"{ASSETS_DIR}/openseadragon.min.js\"></script>"),
            format!("{ASSETS_DIR}/images/"),
        )
    } else {
        (
            format!(
                "<script src=\"{OSD_JS_URL}\" integrity=\"{OSD_JS_SRI}\" crossorigin=\"anonymous\"></script>"
            ),
            OSD_IMAGES_URL.to_string(),
        )
    };
    // A count-cat pyramid's legend: a swatch and the name of each category.
    let legend = if legend.is_empty() {
        String::new()
    } else {
        let rows: String = legend
            .iter()
            .map(|c| {
                format!(
                    "<div><span class=\"gp-swatch\" style=\"background: {}\"></span>{}</div>",
                    escape_html(&c.color),
                    escape_html(&c.name)
                )
            })
            .collect();
        format!(
            "<div id=\"legend\" style=\"position: absolute; top: 8px; right: 8px; background: rgba(255, 255, 255, 0.9); \
             padding: 4px 8px; border-radius: 4px; font: 12px sans-serif;\">{rows}</div>\n\
             <style>.gp-swatch {{ display: inline-block; width: 12px; height: 12px; margin-right: 6px; \
             vertical-align: middle; border: 1px solid #444; }}</style>\n"
        )
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>gigaplot pyramid</title>\n{script}\n\
         <style>html, body {{ margin: 0; height: 100%; }} #viewer {{ width: 100%; height: 100%; background: {background}; }}</style>\n\
         </head>\n<body>\n<div id=\"viewer\"></div>\n{legend}<script>\n\
         if (typeof OpenSeadragon === \"undefined\") {{\n  \
         document.getElementById(\"viewer\").textContent = \"OpenSeadragon did not load (offline? render with --viewer-assets)\";\n\
         }} else {{\n  \
         window.gigaplotViewer = OpenSeadragon({{ id: \"viewer\", prefixUrl: \"{images}\", tileSources: \"{DESCRIPTOR}\", \
         showNavigator: true, maxZoomPixelRatio: 8, animationTime: 0, blendTime: 0, immediateRender: true }});\n\
         }}\n</script>\n</body>\n</html>\n"
    )
}

/// Writes `dir/pyramid.dzi` and the viewer `dir/index.html` (copying OpenSeadragon into
/// `dir/openseadragon/` for local assets).
pub fn write_descriptor_and_viewer(
    dir: &Path,
    (width, height, tile): (u32, u32, u32),
    background: &str,
    legend: &[CategoryEntry],
    assets: &ViewerAssets,
) -> Result<()> {
    write_atomically(&dir.join(DESCRIPTOR), descriptor(width, height, tile).as_bytes())?;
    if let ViewerAssets::Local(source) = assets {
        copy_osd(&find_osd_build(source)?, &dir.join(ASSETS_DIR))?;
    }
    let html = index_html(matches!(assets, ViewerAssets::Local(_)), background, legend);
    write_atomically(&dir.join("index.html"), html.as_bytes())
}

/// `text` with HTML's special characters escaped, for an element's text or an attribute.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The OpenSeadragon build directory at or under `path` (`path`, `path/build/openseadragon`,
/// `path/openseadragon/build/openseadragon` or `path/node_modules/openseadragon/build/openseadragon`).
/// Fails naming `--viewer-assets` when none holds `openseadragon.min.js`.
pub fn find_osd_build(path: &Path) -> Result<PathBuf> {
    let candidates = [
        path.to_path_buf(),
        path.join("build/openseadragon"),
        path.join("openseadragon/build/openseadragon"),
        path.join("node_modules/openseadragon/build/openseadragon"),
    ];
    candidates.into_iter().find(|d| d.join("openseadragon.min.js").is_file()).ok_or_else(|| {
        Error::bad_parameter(
            Field::ViewerAssets,
            format!(
                "{} holds no OpenSeadragon (openseadragon.min.js); run npm install openseadragon@{OSD_VERSION} and \
                 give node_modules/openseadragon",
                path.display()
            ),
        )
    })
}

/// Copies `openseadragon.min.js` and `images/*` from `build` into `target`.
fn copy_osd(build: &Path, target: &Path) -> Result<()> {
    crate::pyramid::viewer::copy_file(
        &build.join("openseadragon.min.js"),
        &target.join("openseadragon.min.js"),
    )?;
    let images = build.join("images");
    if images.is_dir() {
        for entry in std::fs::read_dir(&images).map_err(|e| Error::io(&images, e))? {
            let entry = entry.map_err(|e| Error::io(&images, e))?;
            if entry.path().is_file() {
                crate::pyramid::viewer::copy_file(
                    &entry.path(),
                    &target.join("images").join(entry.file_name()),
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_halve_rounding_up_down_to_one_pixel() {
        assert_eq!(levels(1000, 300).last(), Some(&(10, 1000, 300)));
        assert_eq!(levels(1000, 300)[..3], [(0, 1, 1), (1, 2, 1), (2, 4, 2)]);
        assert_eq!(levels(1000, 300)[8], (8, 250, 75));
        assert_eq!(levels(1024, 1024).len(), 11);
        assert_eq!(levels(1025, 7).last(), Some(&(11, 1025, 7)));
        assert_eq!(levels(1, 1), [(0, 1, 1)]);
    }

    #[test]
    fn descriptor_and_page() {
        let dzi = descriptor(700, 500, 256);
        assert!(dzi.contains("Format=\"png\" Overlap=\"0\" TileSize=\"256\""), "{dzi}");
        assert!(dzi.contains("<Size Width=\"700\" Height=\"500\"/>"), "{dzi}");
        let cdn = index_html(false, "#000000ff", &[]);
        assert!(cdn
            .contains(&format!("src=\"{OSD_JS_URL}\" integrity=\"{OSD_JS_SRI}\" crossorigin=\"anonymous\"")));
        assert!(cdn.contains("tileSources: \"pyramid.dzi\""));
        let local = index_html(true, "#000000ff", &[]);
        assert!(local.contains("src=\"openseadragon/openseadragon.min.js\"") && !local.contains("unpkg"));
        assert_eq!(tile_path(Path::new("d"), 3, 1, 2), Path::new("d/pyramid_files/3/1_2.png"));
    }
}
