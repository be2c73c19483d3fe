//! Whole-figure tests: layout numbers, band-split invariance and reference images
//! (`tests/images/figure_*.png`; regenerate with `GIGAPLOT_UPDATE_IMAGES=1`).

use std::path::PathBuf;

use super::style::{default_font_size, Style};
use super::*;

/// A ramp from dark purple to yellow, like viridis' ends.
fn ramp() -> Vec<Color> {
    (0..256u32)
        .map(|i| {
            Color::rgb(
                (68 + i * (253 - 68) / 255) as u8,
                (1 + i * (231 - 1) / 255) as u8,
                (84 + i * 37 / 255) as u8,
            )
        })
        .collect()
}

/// A figure with every decoration and linear axes.
fn full_spec() -> FigureSpec {
    FigureSpec {
        title: Some("Every decoration, linear".into()),
        xlabel: Some("x position (m)".into()),
        ylabel: Some("y value".into()),
        grid: true,
        x: AxisSpec::linear(-10.0, 10.0),
        y: AxisSpec::linear(0.001, 0.0013),
        colorbar: Some(ColorbarSpec::linear(ramp(), (0.0, 1.0), Some("density".into()))),
        legend: Some(vec![
            ("alpha".into(), Color::rgb(31, 119, 180)),
            ("beta".into(), Color::rgb(255, 127, 14)),
        ]),
        ..FigureSpec::default()
    }
}

/// Log axes and a non-linear (square-root, eq-hist-like) colour bar over counts.
fn log_spec() -> FigureSpec {
    let position: ColorbarPosition = Box::new(|v: f64| {
        let t = ((v - 1.0) / 9999.0).sqrt();
        (0.0..=1.0).contains(&t).then_some(t)
    });
    FigureSpec {
        title: Some("Log axes, sqrt colour bar".into()),
        xlabel: Some("energy".into()),
        ylabel: Some("rate".into()),
        x: AxisSpec::log(1.0, 1e6),
        y: AxisSpec::log(1e-3, 1e3),
        colorbar: Some(ColorbarSpec {
            colors: ramp(),
            value_range: (1.0, 10000.0),
            position,
            label: Some("count".into()),
        }),
        ..FigureSpec::default()
    }
}

/// The data area's stand-in: a gradient with a transparent-free RGBA pixel per column/row.
fn data_row(width: u32, y: u32) -> Vec<u8> {
    (0..width).flat_map(|x| [(x * 255 / width.max(1)) as u8, (y % 256) as u8, 160, 255]).collect()
}

/// Renders the whole figure in bands of `band` rows.
fn render(figure: &Figure, band: u32) -> Vec<u8> {
    let (w, h) = figure.size();
    let (dw, _) = figure.data_size();
    let oy = figure.data_origin().1;
    let mut out = vec![0u8; (w * h * 4) as usize];
    let mut y0 = 0;
    while y0 < h {
        let rows = band.min(h - y0);
        let deco = figure.draw_band(y0, rows);
        for y in y0..y0 + rows {
            let data = data_row(dw, y.wrapping_sub(oy));
            let row = &mut out[(y * w * 4) as usize..((y + 1) * w * 4) as usize];
            figure.compose_row(&deco, y, Some(&data), row);
        }
        y0 += rows;
    }
    out
}

fn image_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/images").join(name)
}

fn write_png(path: &PathBuf, w: u32, h: u32, rgba: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut enc = png::Encoder::new(file, w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(rgba).unwrap();
}

fn read_png(path: &PathBuf) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with GIGAPLOT_UPDATE_IMAGES=1", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Compares a rendering with its reference image pixel for pixel (or rewrites it).
fn check_image(name: &str, figure: &Figure) {
    let (w, h) = figure.size();
    let pixels = render(figure, 64);
    let path = image_path(name);
    if std::env::var_os("GIGAPLOT_UPDATE_IMAGES").is_some() {
        write_png(&path, w, h, &pixels);
        return;
    }
    let (rw, rh, reference) = read_png(&path);
    assert_eq!((rw, rh), (w, h), "{name}: size changed");
    let differ = pixels.chunks(4).zip(reference.chunks(4)).filter(|(a, b)| a != b).count();
    assert_eq!(differ, 0, "{name}: {differ} pixels differ from the reference");
}

#[test]
fn reference_image_linear() {
    check_image("figure_linear.png", &Figure::new(full_spec(), 360, 240).unwrap());
}

#[test]
fn reference_image_log() {
    check_image("figure_log.png", &Figure::new(log_spec(), 360, 240).unwrap());
}

#[test]
fn any_band_split_gives_the_same_bytes() {
    for (spec, w, h) in [(full_spec(), 300, 180), (log_spec(), 257, 129)] {
        let figure = Figure::new(spec, w, h).unwrap();
        let whole = render(&figure, figure.size().1);
        for band in [1, 7, 64] {
            assert!(render(&figure, band) == whole, "band height {band} differs");
        }
    }
}

#[test]
fn data_area_keeps_its_size_and_pixels() {
    let figure = Figure::new(full_spec(), 300, 180).unwrap();
    let (w, h) = figure.size();
    let (ox, oy) = figure.data_origin();
    assert!(ox > 40 && oy > 15 && w > ox + 300 + 100 && h > oy + 180 + 30, "{w}x{h} at {ox},{oy}");
    let pixels = render(&figure, 32);
    // A data pixel away from grid lines is the data row's, untouched.
    let (x, y) = (ox + 1, oy + 1);
    let at = ((y * w + x) * 4) as usize;
    assert_eq!(&pixels[at..at + 4], &data_row(300, 1)[4..8]);
    // The frame is just outside the data area.
    let frame = (((oy + 90) * w + ox - 1) * 4) as usize;
    assert_eq!(&pixels[frame..frame + 4], &[0, 0, 0, 255]);
}

#[test]
fn errors_name_the_field() {
    let bad = FigureSpec { x: AxisSpec::log(0.0, 10.0), ..FigureSpec::default() };
    let err = Figure::new(bad, 100, 100).unwrap_err().to_string();
    assert!(err.starts_with("x_range:"), "{err}");
    let bad = FigureSpec { y: AxisSpec::linear(2.0, 1.0), ..FigureSpec::default() };
    assert!(Figure::new(bad, 100, 100).unwrap_err().to_string().starts_with("y_range:"));
    assert!(Figure::new(FigureSpec::default(), 0, 100).is_err());
}

#[test]
fn font_scales_sub_linearly() {
    assert_eq!(default_font_size(1000, 800), 12.0);
    assert!((default_font_size(40000, 100) - 75.89).abs() < 0.01);
    assert_eq!(default_font_size(100, 100), 10.0);
    let style = Style::new(75.9, Color::rgb(0, 0, 0), Color::rgb(255, 255, 255));
    assert_eq!((style.line, style.major_len), (6.0, 27.0));
}

#[test]
fn huge_figure_bands_stay_small() {
    // 100000 x 60000 data area: laying out and drawing a band costs only the glyphs in it.
    let figure = Figure::new(full_spec(), 100_000, 60_000).unwrap();
    let (w, h) = figure.size();
    assert!(w > 100_000 && h > 60_000);
    // Font 120 px: ticks and their pad take 94 rows below the data, then the tick labels.
    let y = figure.data_origin().1 + 60_000 + 130;
    let band = figure.draw_band(y - 32, 64);
    assert!(!band.is_empty() && band.len() < 2000, "{}", band.len());
    let mut row = vec![0u8; w as usize * 4];
    figure.compose_row(&band, y, None, &mut row);
    assert!(row.chunks(4).any(|p| p == [0, 0, 0, 255]));
}

/// Writes 1:1 crops of a 40000 x 30000 figure's corners to the temp dir, to look at.
#[test]
#[ignore = "writes images for a person to look at"]
fn look_at_big_figure_corners() {
    let figure = Figure::new(full_spec(), 40_000, 30_000).unwrap();
    let (w, h) = figure.size();
    let (ox, oy) = figure.data_origin();
    let dir = std::env::temp_dir();
    let crops = [("bottom_left", 0, oy + 30_000 - 1200, 1600, 1600), ("top_right", w - 2400, 0, 2400, 1400)];
    for (name, x0, y0, cw, ch) in crops {
        let (cw, ch) = (cw.min(w - x0), ch.min(h - y0));
        let mut out = Vec::new();
        let band = figure.draw_band(y0, ch);
        let mut row = vec![0u8; w as usize * 4];
        for y in y0..y0 + ch {
            let data = data_row(40_000, y.wrapping_sub(oy));
            figure.compose_row(&band, y, Some(&data), &mut row);
            out.extend_from_slice(&row[x0 as usize * 4..(x0 + cw) as usize * 4]);
        }
        write_png(&dir.join(format!("gigaplot_figure_{name}.png")), cw, ch, &out);
    }
    eprintln!("figure {w}x{h}, data at {ox},{oy}");
}

/// The example of the module's documentation (a doctest cannot reach the internal `Figure`).
#[test]
fn the_module_example_runs() -> crate::Result<()> {
    let spec = FigureSpec {
        title: Some("Gaussian mixture".into()),
        x: AxisSpec::linear(-10.0, 10.0),
        y: AxisSpec::linear(0.0, 1.0),
        ..FigureSpec::default()
    };
    let figure = Figure::new(spec, 400, 300)?;
    let (width, height) = figure.size();
    let (ox, oy) = figure.data_origin();
    assert!(width > 400 + ox && height > 300 + oy);
    let band = figure.draw_band(0, 16);
    let mut row = vec![0u8; width as usize * 4];
    figure.compose_row(&band, 10, None, &mut row);
    Ok(())
}
