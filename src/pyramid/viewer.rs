//! `DIR/index.html`: a Leaflet page that opens the pyramid in a browser.
//!
//! Leaflet's code is not part of gigaplot: by default the page loads a pinned release from
//! unpkg with Subresource Integrity hashes (computed from the npm package), so a changed
//! file is refused by the browser. For offline use, [`ViewerAssets::Local`] copies
//! `leaflet.js`, `leaflet.css` and `images/` from a local npm install
//! (`npm install leaflet@1.9.4`) into `DIR/leaflet/` and the page loads those instead.
//! The page fetches `metadata.json`, so it must be served over HTTP (`gigaplot serve DIR`
//! or `python3 -m http.server`), not opened as a file.

use std::path::{Path, PathBuf};

use crate::error::{Error, Field, Result};
use crate::io::write_atomically;

/// The pinned Leaflet release.
pub const LEAFLET_VERSION: &str = "1.9.4";
/// Leaflet's script on unpkg.
pub const LEAFLET_JS_URL: &str = "https://unpkg.com/leaflet@1.9.4/dist/leaflet.js";
/// SRI hash of `dist/leaflet.js` of leaflet 1.9.4 (`openssl dgst -sha384 -binary | openssl base64 -A`).
pub const LEAFLET_JS_SRI: &str = "sha384-cxOPjt7s7Iz04uaHJceBmS+qpjv2JkIHNVcuOrM+YHwZOmJGBXI00mdUXEq65HTH";
/// Leaflet's stylesheet on unpkg.
pub const LEAFLET_CSS_URL: &str = "https://unpkg.com/leaflet@1.9.4/dist/leaflet.css";
/// SRI hash of `dist/leaflet.css` of leaflet 1.9.4.
pub const LEAFLET_CSS_SRI: &str = "sha384-sHL9NAb7lN7rfvG5lfHpm643Xkcjzp4jFvuavGOndn6pjVqS6ny56CAt3nsEVT4H";

const TEMPLATE: &str = include_str!("viewer/index.html");
const VIEWER_JS: &str = include_str!("viewer/viewer.js");
const VIEWER_CSS: &str = include_str!("viewer/viewer.css");

/// Where the page gets Leaflet from.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ViewerAssets {
    /// The pinned release from unpkg, with integrity hashes (needs internet in the browser).
    #[default]
    Cdn,
    /// A local Leaflet `dist` directory (or the package or `node_modules` directory above
    /// it), copied into `DIR/leaflet/` (`--viewer-assets`).
    Local(PathBuf),
}

/// The page's HTML: Leaflet from unpkg (`local == false`) or from `leaflet/`.
pub fn index_html(local: bool) -> String {
    let leaflet = if local {
        "<link rel=\"stylesheet\" href=\"leaflet/leaflet.css\">\n\
         <script src=\"leaflet/leaflet.js\"></script>"
            .to_string()
    } else {
        format!(
            "<link rel=\"stylesheet\" href=\"{LEAFLET_CSS_URL}\" integrity=\"{LEAFLET_CSS_SRI}\" crossorigin=\"anonymous\">\n\
             <script src=\"{LEAFLET_JS_URL}\" integrity=\"{LEAFLET_JS_SRI}\" crossorigin=\"anonymous\"></script>"
        )
    };
    TEMPLATE
        .replace("<!-- LEAFLET -->", &leaflet)
        .replace("/* VIEWER_CSS */\n", VIEWER_CSS)
        .replace("// VIEWER_JS\n", VIEWER_JS)
}

/// Writes `dir/index.html` and, for local assets, copies Leaflet into `dir/leaflet/`.
pub fn write_viewer(dir: &Path, assets: &ViewerAssets) -> Result<()> {
    if let ViewerAssets::Local(source) = assets {
        copy_leaflet(&find_leaflet_dist(source)?, &dir.join("leaflet"))?;
    }
    write_atomically(&dir.join("index.html"), index_html(matches!(assets, ViewerAssets::Local(_))).as_bytes())
}

/// The Leaflet `dist` directory at or under `path` (`path`, `path/dist`,
/// `path/leaflet/dist` or `path/node_modules/leaflet/dist`). Fails naming
/// `--viewer-assets` when none holds `leaflet.js` and `leaflet.css`.
pub fn find_leaflet_dist(path: &Path) -> Result<PathBuf> {
    let candidates = [
        path.to_path_buf(),
        path.join("dist"),
        path.join("leaflet/dist"),
        path.join("node_modules/leaflet/dist"),
    ];
    candidates
        .into_iter()
        .find(|d| d.join("leaflet.js").is_file() && d.join("leaflet.css").is_file())
        .ok_or_else(|| {
            Error::bad_parameter(
                Field::ViewerAssets,
                format!(
                    "{} holds no Leaflet (leaflet.js and leaflet.css); run npm install leaflet@{LEAFLET_VERSION} and give node_modules/leaflet/dist",
                    path.display()
                ),
            )
        })
}

/// Copies `leaflet.js`, `leaflet.css` and `images/*` from `dist` into `target`.
fn copy_leaflet(dist: &Path, target: &Path) -> Result<()> {
    for name in ["leaflet.js", "leaflet.css"] {
        copy_file(&dist.join(name), &target.join(name))?;
    }
    let images = dist.join("images");
    if images.is_dir() {
        for entry in std::fs::read_dir(&images).map_err(|e| Error::io(&images, e))? {
            let entry = entry.map_err(|e| Error::io(&images, e))?;
            if entry.path().is_file() {
                copy_file(&entry.path(), &target.join("images").join(entry.file_name()))?;
            }
        }
    }
    Ok(())
}

/// Copies one file atomically.
pub(crate) fn copy_file(from: &Path, to: &Path) -> Result<()> {
    let (mut file, _) = crate::io::file_kind::open_input(from, &from.display().to_string())?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(|e| Error::io(from, e))?;
    write_atomically(to, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdn_page_pins_leaflet_with_integrity() {
        let html = index_html(false);
        assert!(html.contains(&format!(
            "src=\"{LEAFLET_JS_URL}\" integrity=\"{LEAFLET_JS_SRI}\" crossorigin=\"anonymous\""
        )));
        assert!(html.contains(&format!("href=\"{LEAFLET_CSS_URL}\" integrity=\"{LEAFLET_CSS_SRI}\"")));
        assert!(html.contains("L.CRS.Simple") && html.contains("fetch(\"metadata.json\")"));
        assert!(!html.contains("VIEWER_JS") && !html.contains("<!-- LEAFLET -->"));
    }

    #[test]
    fn local_assets_are_found_and_copied() {
        let src = tempfile::tempdir().unwrap();
        let dist = src.path().join("node_modules/leaflet/dist");
        std::fs::create_dir_all(dist.join("images")).unwrap();
        std::fs::write(dist.join("leaflet.js"), "js").unwrap();
        std::fs::write(dist.join("leaflet.css"), "css").unwrap();
        std::fs::write(dist.join("images/layers.png"), "png").unwrap();
        let out = tempfile::tempdir().unwrap();
        write_viewer(out.path(), &ViewerAssets::Local(src.path().to_path_buf())).unwrap();
        assert_eq!(std::fs::read_to_string(out.path().join("leaflet/leaflet.js")).unwrap(), "js");
        assert_eq!(std::fs::read_to_string(out.path().join("leaflet/images/layers.png")).unwrap(), "png");
        let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
        assert!(html.contains("<script src=\"leaflet/leaflet.js\"></script>") && !html.contains("unpkg"));
        let err = find_leaflet_dist(out.path().join("nothing").as_path()).unwrap_err().to_string();
        assert!(err.starts_with("pyramid.viewer: "), "{err}");
    }
}
