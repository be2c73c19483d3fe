//! The viewer in a real browser: a small pyramid with local Leaflet assets is served by
//! `gigaplot serve`'s server on a loopback port and loaded by headless Chromium, which
//! must fetch the page, Leaflet, the metadata and tiles, and draw a non-blank screenshot.
//!
//! Needs /usr/bin/chromium and Leaflet from npm (`.ci/run` installs both and sets
//! GIGAPLOT_LEAFLET_DIST); skipped with a notice when either is missing, except under
//! GIGAPLOT_REQUIRE_BROWSER=1 (set by `.ci/run`), where a missing one fails the test.
//! GIGAPLOT_KEEP_SCREENSHOT=FILE keeps the screenshot for a look.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gigaplot::serve::{RequestLog, StaticServer};
use gigaplot::Colormap;
use gigaplot::*;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Leaflet's dist directory: $GIGAPLOT_LEAFLET_DIST or the CI cache.
fn leaflet_dist() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> =
        std::env::var_os("GIGAPLOT_LEAFLET_DIST").map(PathBuf::from).into_iter().collect();
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".cache/gigaplot-ci/npm/node_modules/leaflet/dist"));
    }
    candidates.into_iter().find(|d| d.join("leaflet.js").is_file())
}

/// A 600 x 400 canvas (zooms 0 to 2 with 256 px tiles): a ring of counts and a gradient.
fn counts_row(y: u32) -> Vec<u32> {
    (0..600u32)
        .map(|x| {
            let (dx, dy) = (f64::from(x) - 300.0, f64::from(y) - 200.0);
            let r = (dx * dx + dy * dy).sqrt();
            let ring = if (120.0..180.0).contains(&r) { 50 } else { 0 };
            ring + if y > 300 { x / 10 } else { 0 }
        })
        .collect()
}

fn build_pyramid(dir: &Path, viewer: ViewerAssets) {
    let key = StatsKey {
        width: 600,
        height: 400,
        tile: 256,
        x_range: (-3.0, 3.0),
        y_range: (0.0, 4.0),
        x_scale: Default::default(),
        y_scale: Default::default(),
        inputs: vec![InputKey::synthetic("synthetic")],
        projection: Default::default(),
    };
    let mut stats = StatsBuilder::new(key, ShardSpec::WHOLE).unwrap();
    for y in stats.rows() {
        stats.push_row(&counts_row(y)).unwrap();
    }
    let stats = stats.finish().unwrap();
    let mut options = PyramidOptions::new(dir);
    options.cmap = Colormap::by_name("viridis").unwrap();
    options.viewer = viewer;
    let axes = (((-3.0, 3.0), Default::default()), ((0.0, 4.0), Default::default()));
    let mut writer = PyramidWriter::new(&stats, axes, options).unwrap();
    for y in writer.rows() {
        writer.push_row(&counts_row(y)).unwrap();
    }
    let summary = writer.finish().unwrap();
    assert!(summary.tiles.written >= 4, "{summary:?}");
}

/// Runs Chromium to a screenshot, killing it after `limit`.
fn screenshot(url: &str, out: &Path, profile: &Path, limit: Duration) -> bool {
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", out.display()))
        .args(["--window-size=800,600", "--virtual-time-budget=5000", url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    finished_within(&mut child, limit)
}

/// Waits for Chromium to exit: true if it succeeded within `limit`; killed and false if not.
fn finished_within(child: &mut std::process::Child, limit: Duration) -> bool {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait chromium") {
            return status.success();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// True when the browser test must run (CI): GIGAPLOT_REQUIRE_BROWSER=1.
fn browser_required() -> bool {
    std::env::var_os("GIGAPLOT_REQUIRE_BROWSER").is_some_and(|v| v == "1")
}

/// Skips the test with a visible note, or fails it when the browser is required.
fn skip(why: &str) {
    assert!(!browser_required(), "viewer_browser: {why}, and GIGAPLOT_REQUIRE_BROWSER=1 requires it");
    eprintln!("SKIPPED viewer_browser: {why}");
}

#[test]
fn headless_chromium_loads_tiles_and_draws_the_plot() {
    if !Path::new(CHROMIUM).exists() {
        return skip(&format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    let Some(leaflet) = leaflet_dist() else {
        return skip("no Leaflet (npm install leaflet@1.9.4; set GIGAPLOT_LEAFLET_DIST)");
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pyr");
    build_pyramid(&dir, ViewerAssets::Local(leaflet.clone()));

    let log: Arc<Mutex<Vec<RequestLog>>> = Arc::default();
    let sink = log.clone();
    let server = StaticServer::bind(&dir, "127.0.0.1:0".parse().unwrap())
        .unwrap()
        .with_logger(Arc::new(move |r: &RequestLog| sink.lock().unwrap().push(r.clone())));
    let addr = server.local_addr().unwrap();
    let stop = server.stop_handle().unwrap();
    let thread = std::thread::spawn(move || server.run());

    let shot = tmp.path().join("shot.png");
    let ok = screenshot(
        &format!("http://{addr}/index.html"),
        &shot,
        &tmp.path().join("profile"),
        Duration::from_secs(90),
    );
    stop.stop();
    thread.join().unwrap().unwrap();
    let log = log.lock().unwrap().clone();
    assert!(ok && shot.exists(), "chromium failed; requests: {log:?}");

    let served = |path: &str| log.iter().any(|r| r.path == path && r.status == 200);
    assert!(served("/index.html") && served("/leaflet/leaflet.js") && served("/metadata.json"), "{log:?}");
    let tiles: Vec<&RequestLog> = log
        .iter()
        .filter(|r| {
            r.status == 200
                && r.path.ends_with(".png")
                && r.path.split('/').count() == 4
                && !r.path.starts_with("/leaflet")
        })
        .collect();
    assert!(tiles.len() >= 2, "tiles requested: {log:?}");

    if let Some(keep) = std::env::var_os("GIGAPLOT_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (800, 600));
    let bpp = info.color_type.samples();
    let pixels: Vec<[u8; 3]> = buf[..info.buffer_size()].chunks(bpp).map(|p| [p[0], p[1], p[2]]).collect();
    // The plot's colours (viridis) cover a good part of the window, not just the grey
    // map background and the white panels.
    // Viridis runs from purple-blue (blue above red) through green to yellow (green high).
    let plotted = pixels.iter().filter(|p| {
        let grey = p[0] == p[1] && p[1] == p[2];
        !grey && (p[2] > p[0] || p[1] > 100)
    });
    let count = plotted.count();
    let mut distinct: Vec<[u8; 3]> = pixels.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(count > 20_000, "only {count} plot pixels in the screenshot; requests: {log:?}");
    assert!(distinct.len() > 30, "only {} colours in the screenshot", distinct.len());
}

/// The integrity hashes the page pins are those of the npm package's files (what unpkg
/// serves), computed with openssl.
#[test]
fn pinned_integrity_hashes_match_the_npm_package() {
    let Some(leaflet) = leaflet_dist() else {
        return skip(
            "no Leaflet for the integrity check (npm install leaflet@1.9.4; set GIGAPLOT_LEAFLET_DIST)",
        );
    };
    // The hashes the page pins: those of the viewer a pyramid gets (Leaflet from unpkg).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pyr");
    build_pyramid(&dir, ViewerAssets::Cdn);
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let pinned_of = |name: &str| -> String {
        let needle = format!("/dist/{name}\" integrity=\"");
        let at = html.find(&needle).unwrap_or_else(|| panic!("{name}: {html}"));
        let rest = &html[at + needle.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    };
    for name in ["leaflet.js", "leaflet.css"] {
        let pinned = pinned_of(name);
        let script =
            format!("openssl dgst -sha384 -binary '{}' | openssl base64 -A", leaflet.join(name).display());
        let Ok(out) = Command::new("sh").args(["-c", &script]).output() else {
            eprintln!("SKIPPED integrity check: no shell");
            return;
        };
        if !out.status.success() {
            eprintln!("SKIPPED integrity check: openssl failed");
            return;
        }
        assert_eq!(format!("sha384-{}", String::from_utf8_lossy(&out.stdout).trim()), pinned, "{name}");
        assert!(pinned.starts_with("sha384-") && pinned.len() > 60, "{name}: {pinned}");
    }
}

/// OpenSeadragon's package directory: $GIGAPLOT_OSD_DIR or the CI cache.
fn osd_dir() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> =
        std::env::var_os("GIGAPLOT_OSD_DIR").map(PathBuf::from).into_iter().collect();
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".cache/gigaplot-ci/npm/node_modules/openseadragon"));
    }
    candidates.into_iter().find(|d| d.join("build/openseadragon/openseadragon.min.js").is_file())
}

/// Serves `dir`, loads its page in a `width x height` window; returns the requests and
/// the screenshot's pixels (RGB).
fn load(dir: &Path, (width, height): (u32, u32), work: &Path) -> (Vec<RequestLog>, Vec<[u8; 3]>) {
    let log: Arc<Mutex<Vec<RequestLog>>> = Arc::default();
    let sink = log.clone();
    let server = StaticServer::bind(dir, "127.0.0.1:0".parse().unwrap())
        .unwrap()
        .with_logger(Arc::new(move |r: &RequestLog| sink.lock().unwrap().push(r.clone())));
    let addr = server.local_addr().unwrap();
    let stop = server.stop_handle().unwrap();
    let thread = std::thread::spawn(move || server.run());
    let shot = work.join(format!("shot-{width}.png"));
    let mut child = Command::new(CHROMIUM)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg("--hide-scrollbars")
        .arg(format!("--user-data-dir={}", work.join(format!("profile-{width}")).display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--window-size={width},{height}"))
        .args(["--virtual-time-budget=5000", &format!("http://{addr}/index.html")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let ok = finished_within(&mut child, Duration::from_secs(90));
    stop.stop();
    thread.join().unwrap().unwrap();
    let log = log.lock().unwrap().clone();
    assert!(ok && shot.exists(), "chromium failed; requests: {log:?}");
    let (_, _, bpp, buf) = {
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width, info.height, info.color_type.samples(), buf)
    };
    (log, buf.chunks(bpp).map(|p| [p[0], p[1], p[2]]).collect())
}

/// The zoom level of a tile request, if `path` is one: `/{z}/{x}/{y}.png` or
/// `/pyramid_files/{level}/{col}_{row}.png`.
fn tile_zoom(path: &str) -> Option<u32> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts[..] {
        ["pyramid_files", level, _] => level.parse().ok(),
        [z, _, y] if y.ends_with(".png") => z.parse().ok(),
        _ => None,
    }
}

/// A pyramid of a clustered cloud rendered through `render_pyramid` as `kind` says.
fn pyramid_of(kind: &str, dir: &Path, work: &Path, leaflet: &Path, osd: &Path) {
    use gigaplot::projection::{web_mercator, Projection, WORLD};
    use gigaplot::{render_pyramid, ColumnSpec, NoProgress, PointColumns, RenderOptions};
    let n = 50_000;
    let xs: Vec<f64> = (0..n).map(|i| 150.0 * (i as f64 * 0.618).sin() * ((i % 97) as f64 / 97.0)).collect();
    let ys: Vec<f64> = (0..n).map(|i| 70.0 * (i as f64 * 0.377).cos() * ((i % 89) as f64 / 89.0)).collect();
    let (x, y) = (work.join("x.npy"), work.join("y.npy"));
    crate::common::write_f64(&x, &xs);
    crate::common::write_f64(&y, &ys);
    let points =
        PointColumns::open(&ColumnSpec::parse(x.to_str().unwrap()), &ColumnSpec::parse(y.to_str().unwrap()))
            .unwrap();
    let options = RenderOptions {
        width: 1024,
        height: 1024,
        x_range: Some(WORLD),
        y_range: Some(if kind == "web-mercator" { WORLD } else { (-90.0, 90.0) }),
        cmap: Colormap::by_name("viridis").unwrap(),
        ..RenderOptions::default()
    };
    let mut pyramid = PyramidOptions::for_render(dir, &options);
    pyramid.viewer = ViewerAssets::Local(leaflet.to_path_buf());
    let points = match kind {
        "web-mercator" => {
            pyramid.projection = Projection::WebMercator;
            web_mercator(points)
        }
        "dzi" => {
            pyramid.format = PyramidFormat::Dzi;
            pyramid.viewer = ViewerAssets::Local(osd.to_path_buf());
            points
        }
        _ => points,
    };
    let report = render_pyramid(&points, &options, &pyramid, Vec::new(), &NoProgress).unwrap();
    assert!(report.pyramid.tiles.written >= 4, "{kind}: {:?}", report.pyramid);
}

/// XYZ tiles of the canvas, XYZ web-mercator tiles and a Deep Zoom Image, each loaded in a
/// small and a large window: both draw the plot, with tiles of a finer zoom in the large one.
#[test]
fn every_kind_of_pyramid_shows_tiles_at_two_zoom_levels() {
    if !Path::new(CHROMIUM).exists() {
        return skip(&format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    let (Some(leaflet), Some(osd)) = (leaflet_dist(), osd_dir()) else {
        return skip("no Leaflet or OpenSeadragon (npm install leaflet@1.9.4 openseadragon@5.0.1)");
    };
    for kind in ["xyz", "web-mercator", "dzi"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("pyr");
        pyramid_of(kind, &dir, tmp.path(), &leaflet, &osd);
        let mut finest = Vec::new();
        for window in [(400, 300), (1600, 1200)] {
            let (log, pixels) = load(&dir, window, tmp.path());
            let zooms: Vec<u32> =
                log.iter().filter(|r| r.status == 200).filter_map(|r| tile_zoom(&r.path)).collect();
            assert!(!zooms.is_empty(), "{kind} {window:?}: no tiles loaded: {log:?}");
            finest.push(zooms.iter().copied().max().unwrap());
            let plotted = pixels.iter().filter(|p| !(p[0] == p[1] && p[1] == p[2])).count();
            assert!(plotted > 500, "{kind} {window:?}: only {plotted} plot pixels; requests: {log:?}");
        }
        assert!(finest[1] > finest[0], "{kind}: the large window shows no finer zoom: {finest:?}");
    }
}

/// Serves `dir` and returns the DOM Chromium serializes once the page's scripts ran
/// (`--dump-dom` after the virtual time budget), with the requests.
fn dump_dom(dir: &Path, work: &Path) -> (Vec<RequestLog>, String) {
    let log: Arc<Mutex<Vec<RequestLog>>> = Arc::default();
    let sink = log.clone();
    let server = StaticServer::bind(dir, "127.0.0.1:0".parse().unwrap())
        .unwrap()
        .with_logger(Arc::new(move |r: &RequestLog| sink.lock().unwrap().push(r.clone())));
    let addr = server.local_addr().unwrap();
    let stop = server.stop_handle().unwrap();
    let thread = std::thread::spawn(move || server.run());
    let out = work.join("dom.html");
    let mut child = Command::new(CHROMIUM)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", work.join("profile-dom").display()))
        .args(["--window-size=800,600", "--virtual-time-budget=5000", "--dump-dom"])
        .arg(format!("http://{addr}/index.html"))
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let ok = finished_within(&mut child, Duration::from_secs(90));
    stop.stop();
    thread.join().unwrap().unwrap();
    let log = log.lock().unwrap().clone();
    assert!(ok, "chromium --dump-dom failed; requests: {log:?}");
    (log, std::fs::read_to_string(&out).unwrap())
}

/// The count-cat key of the legend test: colours the plot never shows pure (every pixel
/// holds the three categories in equal shares, so it is their mix).
const KEY: [[u8; 3]; 3] = [[0xe4, 0x1a, 0x1c], [0x37, 0x7e, 0xb8], [0x4d, 0xaf, 0x4a]];
const LABELS: [&str; 3] = ["wheat", "rye & oats", "maize"];

/// A count-cat pyramid (`format`) with KEY and LABELS: each position of a cloud holds one
/// point of every category.
fn categorical_pyramid(format: PyramidFormat, dir: &Path, work: &Path, assets: &Path) {
    use gigaplot::{
        render_pyramid, ColumnSpec, MemoryColumn, NoProgress, PointColumns, Reduction, RenderOptions,
    };
    let n = 60_000;
    let at = |i: usize| i / 3;
    let xs: Vec<f64> =
        (0..n).map(|i| 150.0 * (at(i) as f64 * 0.618).sin() * ((at(i) % 97) as f64 / 97.0)).collect();
    let ys: Vec<f64> =
        (0..n).map(|i| 70.0 * (at(i) as f64 * 0.377).cos() * ((at(i) % 89) as f64 / 89.0)).collect();
    let (x, y) = (work.join("x.npy"), work.join("y.npy"));
    crate::common::write_f64(&x, &xs);
    crate::common::write_f64(&y, &ys);
    let points =
        PointColumns::open(&ColumnSpec::parse(x.to_str().unwrap()), &ColumnSpec::parse(y.to_str().unwrap()))
            .unwrap();
    let cats: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
    let points = points.with_value(Box::new(MemoryColumn::new("c", cats))).unwrap();
    let options = RenderOptions {
        width: 1024,
        height: 1024,
        x_range: Some((-180.0, 180.0)),
        y_range: Some((-90.0, 90.0)),
        reduction: Reduction::CountCat,
        color_key: Some(KEY.iter().map(|c| Color::rgb(c[0], c[1], c[2])).collect()),
        ..RenderOptions::default()
    };
    let mut pyramid = PyramidOptions::for_render(dir, &options);
    pyramid.format = format;
    pyramid.viewer = ViewerAssets::Local(assets.to_path_buf());
    pyramid.labels = Some(LABELS.iter().map(|l| l.to_string()).collect());
    let report = render_pyramid(&points, &options, &pyramid, Vec::new(), &NoProgress).unwrap();
    assert!(report.pyramid.tiles.written >= 4, "{format:?}: {:?}", report.pyramid);
}

/// A count-cat pyramid's legend in the browser, for the Leaflet (XYZ) and the
/// OpenSeadragon (DZI) viewer: the page loads tiles, its screenshot holds a swatch of each
/// category's pure key colour (which no plot pixel has), and the DOM after the scripts ran
/// holds each label (HTML-escaped) beside its swatch.
#[test]
fn count_cat_pyramids_show_their_legend_in_both_viewers() {
    if !Path::new(CHROMIUM).exists() {
        return skip(&format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    let (Some(leaflet), Some(osd)) = (leaflet_dist(), osd_dir()) else {
        return skip("no Leaflet or OpenSeadragon (npm install leaflet@1.9.4 openseadragon@5.0.1)");
    };
    for (format, assets) in [(PyramidFormat::Xyz, &leaflet), (PyramidFormat::Dzi, &osd)] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("pyr");
        categorical_pyramid(format, &dir, tmp.path(), assets);
        let (log, pixels) = load(&dir, (800, 600), tmp.path());
        let tiles = log.iter().filter(|r| r.status == 200).filter_map(|r| tile_zoom(&r.path)).count();
        assert!(tiles > 0, "{format:?}: no tiles loaded: {log:?}");
        for (colour, label) in KEY.iter().zip(LABELS) {
            let near = |p: &[u8; 3]| p.iter().zip(colour).all(|(a, b)| a.abs_diff(*b) <= 2);
            let swatch = pixels.iter().filter(|p| near(p)).count();
            // a 12 x 12 swatch (less anti-aliased edges)
            assert!((80..2000).contains(&swatch), "{format:?} {label}: {swatch} pixels of its colour");
        }
        let (_, dom) = dump_dom(&dir, tmp.path());
        for label in ["wheat", "rye &amp; oats", "maize"] {
            let entry = format!("</span>{label}</div>");
            assert!(dom.contains(&entry), "{format:?}: {entry} in the DOM: {dom}");
        }
    }
}
