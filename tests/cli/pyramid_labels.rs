//! Count-cat pyramids take `--labels` as count-cat figures do: `metadata.json`'s
//! `categories` name them (in the shading's colours) for the Leaflet legend, the DZI page's
//! legend holds them (HTML-escaped), and the same refusals as flat renders apply.

use std::path::Path;

use crate::common::*;
use gigaplot::npy::encode_header;
use gigaplot::DType;

/// x, y and a uint8 category column (codes 0 to 2) of 3000 points in 0..4 x 0..4.
fn write_points(dir: &Path) {
    let n = 3000;
    let xs: Vec<f64> = (0..n).map(|i| 4.0 * ((i as f64 * 0.618).fract())).collect();
    let ys: Vec<f64> = (0..n).map(|i| 4.0 * ((i as f64 * 0.377).fract())).collect();
    write_f64(&dir.join("x.npy"), &xs);
    write_f64(&dir.join("y.npy"), &ys);
    let mut bytes = encode_header(DType::U8, &[n]);
    bytes.extend((0..n).map(|i| (i % 3) as u8));
    std::fs::write(dir.join("c.npy"), bytes).unwrap();
}

/// `render` of the points in `dir` over 0..4 x 0..4 at 512 x 512, then `extra`.
fn render(dir: &Path, extra: &[&str]) -> std::process::Output {
    let (x, y) = (dir.join("x.npy"), dir.join("y.npy"));
    let mut args = vec![
        "render",
        "-q",
        "--x",
        x.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
        "--x-range",
        "0,4",
        "--y-range",
        "0,4",
        "--width",
        "512",
        "--height",
        "512",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

const LABELS: &str = "wheat,<b>rye</b> & barley,maize";

/// The colours of the default key of 3 categories, as `#rrggbb`.
fn key() -> Vec<String> {
    gigaplot::shading::default_color_key(3)
        .iter()
        .map(|c| format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b))
        .collect()
}

#[test]
fn count_cat_pyramids_name_their_categories_with_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_points(d);
    let c = d.join("c.npy");
    let (xyz, dzi) = (d.join("xyz"), d.join("dzi"));
    let cat = ["--agg", "count-cat", "--value", c.to_str().unwrap(), "--labels", LABELS];
    for (dir, format) in [(&xyz, "xyz"), (&dzi, "dzi")] {
        let mut args = cat.to_vec();
        args.extend(["--pyramid", dir.to_str().unwrap(), "--pyramid-format", format]);
        let out = render(d, &args);
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let key = key();
    let names = ["wheat", "<b>rye</b> & barley", "maize"];
    let meta = std::fs::read_to_string(xyz.join("metadata.json")).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&meta).unwrap();
    let expected: Vec<serde_json::Value> =
        names.iter().zip(&key).map(|(n, c)| serde_json::json!({"name": n, "color": c})).collect();
    assert_eq!(parsed["categories"], serde_json::Value::Array(expected), "{meta}");
    for name in names {
        assert!(meta.contains(&serde_json::to_string(name).unwrap()), "{name} in {meta}");
    }
    let page = std::fs::read_to_string(dzi.join("index.html")).unwrap();
    for (name, colour) in ["wheat", "&lt;b&gt;rye&lt;/b&gt; &amp; barley", "maize"].iter().zip(&key) {
        let entry = format!("<span class=\"gp-swatch\" style=\"background: {colour}\"></span>{name}</div>");
        assert!(page.contains(&entry), "{entry} in {page}");
    }
    assert!(!page.contains("<b>rye"), "labels are escaped in the DZI page");

    // Fewer labels than categories: as the figure's legend, one entry per label.
    let two = d.join("two");
    let mut args = cat.to_vec();
    args[5] = "wheat,rye";
    args.extend(["--pyramid", two.to_str().unwrap()]);
    assert!(render(d, &args).status.success());
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(two.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(
        meta["categories"],
        serde_json::json!([{"name": "wheat", "color": key[0]}, {"name": "rye", "color": key[1]}])
    );
}

/// `--labels` is refused where a flat render refuses it, with the same line, and nothing is
/// written.
#[test]
fn pyramid_labels_are_refused_as_flat_renders_refuse_them() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_points(d);
    let c = d.join("c.npy");
    let pyr = d.join("pyr");
    let p = pyr.to_str().unwrap();
    let png = d.join("flat.png");
    let o = png.to_str().unwrap();
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec!["--labels", "a,b", "--pyramid", p],
            "gigaplot: error: --labels: applies to --agg count-cat only",
        ),
        (vec!["--labels", "a,b", "-o", o], "gigaplot: error: --labels: applies to --agg count-cat only"),
        (
            vec!["--agg", "mean", "--value", c.to_str().unwrap(), "--labels", "a,b", "--pyramid", p],
            "gigaplot: error: --labels: applies to --agg count-cat only",
        ),
        (
            vec!["--agg", "count-cat", "--value", c.to_str().unwrap(), "--labels", "a,b", "--bare", "-o", o],
            "gigaplot: error: --labels: applies to figures only; drop --bare",
        ),
    ];
    for (args, message) in cases {
        let out = render(d, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end(), message, "{args:?}");
        assert_eq!(files_in(d), ["c.npy", "x.npy", "y.npy"], "{args:?}: nothing written");
    }
}
