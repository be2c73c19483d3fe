//! Pyramids of a raster (`render --raster ... --pyramid DIR`): the finest level is the
//! `--bare` render of the raster cut into tiles, a coarser level the raster resampled onto
//! that level's canvas (checked against block means computed here), for XYZ and DZI, the
//! same bytes for every tile size, thread count and memory budget; what raster pyramids
//! cannot do is refused with one line.

use std::path::Path;

use crate::common::*;
use gigaplot::npy::encode_header;
use gigaplot::DType;

const ROWS: usize = 192;
const COLS: usize = 256;
const TILE: u32 = 64;

/// A ROWS x COLS float64 raster with some NaN cells.
fn write_grid(path: &Path) {
    let mut bytes = encode_header(DType::F64, &[ROWS, COLS]);
    for v in grid_values() {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

fn grid_values() -> Vec<f64> {
    (0..ROWS * COLS)
        .map(|i| {
            let (r, c) = (i / COLS, i % COLS);
            if (r * 7 + c * 3) % 53 == 0 {
                f64::NAN
            } else {
                ((r as f64) * 0.07).sin() * (c as f64) + (c as f64 * 0.03).cos() * 40.0
            }
        })
        .collect()
}

/// `render --raster grid.npy` with the shading flags every run here shares, then `extra`.
fn render(dir: &Path, extra: &[&str]) -> std::process::Output {
    let grid = dir.join("grid.npy");
    let mut args = vec![
        "render",
        "-q",
        "--raster",
        grid.to_str().unwrap(),
        "--downsample",
        "mean",
        "--how",
        "linear",
        "--cmap",
        "viridis",
        "--background",
        "#102030",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn render_ok(dir: &Path, extra: &[&str]) {
    let out = render(dir, extra);
    assert!(out.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The RGBA pixels of a PNG and its size.
fn pixels(path: &Path) -> (u32, u32, Vec<u8>) {
    let (w, h, _, px) = read_png_rgba(path);
    (w, h, px)
}

/// Checks the tiles at `tile(tx, ty)` against `image` (`w x h` RGBA) cut into TILE tiles:
/// XYZ tiles padded to TILE with transparent pixels (`padded`), DZI tiles cut at the edge;
/// a tile all `background` is absent. Returns the tiles found.
fn check_tiles(
    image: &[u8],
    (w, h): (u32, u32),
    padded: bool,
    background: [u8; 4],
    tile: impl Fn(u32, u32) -> std::path::PathBuf,
    what: &str,
) -> usize {
    let mut found = 0;
    for ty in 0..h.div_ceil(TILE) {
        for tx in 0..w.div_ceil(TILE) {
            let (cols, rows) = (TILE.min(w - tx * TILE), TILE.min(h - ty * TILE));
            let (tw, th) = if padded { (TILE, TILE) } else { (cols, rows) };
            let mut want = vec![0u8; (tw * th * 4) as usize];
            for y in 0..rows {
                let src = (((ty * TILE + y) * w + tx * TILE) * 4) as usize;
                let dst = (y * tw * 4) as usize;
                want[dst..dst + cols as usize * 4].copy_from_slice(&image[src..src + cols as usize * 4]);
            }
            let blank = want.chunks(4).all(|p| p == background || p == [0; 4]);
            let path = tile(tx, ty);
            if blank && !path.exists() {
                continue;
            }
            assert!(path.exists(), "{what}: {} missing", path.display());
            let (gw, gh, got) = pixels(&path);
            assert_eq!((gw, gh), (tw, th), "{what}: {}", path.display());
            assert!(got == want, "{what}: {} differs from the flat render", path.display());
            found += 1;
        }
    }
    found
}

const BG: [u8; 4] = [0x10, 0x20, 0x30, 255];

/// The finest level of an XYZ and of a DZI pyramid is the `--bare` render cut into tiles;
/// level 1 is the flat `--bare` render of the raster on the half-size canvas, whose
/// aggregate is the NaN-ignoring mean of each 2 x 2 block of cells (computed here); level
/// 2 likewise on the quarter canvas.
#[test]
fn raster_levels_are_the_raster_resampled_onto_each_level() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_grid(&d.join("grid.npy"));
    let (w, h) = (COLS as u32, ROWS as u32);
    let flat = |lw: u32, lh: u32, name: &str| {
        let png = d.join(format!("{name}.png"));
        let agg = d.join(format!("{name}.npy"));
        let (ws, hs) = (lw.to_string(), lh.to_string());
        render_ok(
            d,
            &[
                "--width",
                &ws,
                "--height",
                &hs,
                "--bare",
                "-o",
                png.to_str().unwrap(),
                "--agg-out",
                agg.to_str().unwrap(),
            ],
        );
        (pixels(&png).2, values_of::<f64>(npy_data(&std::fs::read(&agg).unwrap())))
    };
    // An independent level 1 and 2: NaN-ignoring block means of the cells.
    let cells = grid_values();
    for (k, (lw, lh)) in [(1u32, (w / 2, h / 2)), (2, (w / 4, h / 4))] {
        let f = 1usize << k;
        let (_, agg) = flat(lw, lh, &format!("level{k}"));
        for (i, &got) in agg.iter().enumerate() {
            let (px, py) = (i % lw as usize, i / lw as usize);
            let block: Vec<f64> = (0..f * f)
                .map(|j| cells[(py * f + j / f) * COLS + px * f + j % f])
                .filter(|v| !v.is_nan())
                .collect();
            let want = block.iter().sum::<f64>() / block.len() as f64;
            assert!(
                (got.is_nan() && block.is_empty()) || (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "level {k} pixel {i}: {got} != {want}"
            );
        }
    }
    let ws = w.to_string();
    let hs = h.to_string();
    let tile = TILE.to_string();
    for format in ["xyz", "dzi"] {
        let pyr = d.join(format);
        render_ok(
            d,
            &[
                "--width",
                &ws,
                "--height",
                &hs,
                "--pyramid",
                pyr.to_str().unwrap(),
                "--pyramid-tile",
                &tile,
                "--pyramid-format",
                format,
            ],
        );
        // XYZ: zoom 2 is the canvas (256 = 64 x 2^2); DZI: level 8 (256 = 2^8).
        let finest = if format == "xyz" { 2 } else { 8 };
        let path = |z: u32| {
            let pyr = pyr.clone();
            move |tx: u32, ty: u32| match format {
                "xyz" => pyr.join(format!("{z}/{tx}/{ty}.png")),
                _ => pyr.join(format!("pyramid_files/{z}/{tx}_{ty}.png")),
            }
        };
        let mut found = 0;
        for (k, (lw, lh)) in [(0u32, (w, h)), (1, (w / 2, h / 2)), (2, (w / 4, h / 4))] {
            let (image, _) = flat(lw, lh, &format!("level{k}"));
            let what = format!("{format} level -{k}");
            found += check_tiles(&image, (lw, lh), format == "xyz", BG, path(finest - k), &what);
        }
        assert_eq!(found, 12 + 4 + 1, "{format}: every tile of the three finest levels holds data");
        if format == "xyz" {
            assert!(pyr.join("metadata.json").is_file() && pyr.join("index.html").is_file());
        } else {
            assert!(pyr.join("pyramid.dzi").is_file() && pyr.join("index.html").is_file());
            let levels = std::fs::read_dir(pyr.join("pyramid_files")).unwrap().count();
            assert_eq!(levels, 9, "DZI levels 0 (1 x 1) to 8");
        }
    }
}

/// Sides that are not multiples of 2^k: a coarse level covers whole blocks of finest
/// pixels, its ranges reaching past the canvas's by the padding, as a flat render with
/// those ranges gives.
#[test]
fn coarse_raster_levels_of_odd_sides_cover_whole_blocks() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_grid(&d.join("grid.npy"));
    let pyr = d.join("pyr");
    // 250 x 190 over x 0..250, y 0..190 (the raster is 256 x 192 cells: it reaches past both).
    let ranges = ["--x-range", "0,250", "--y-range", "2,192", "--width", "250", "--height", "190"];
    let mut args = ranges.to_vec();
    args.extend(["--pyramid", pyr.to_str().unwrap(), "--pyramid-tile", "64"]);
    render_ok(d, &args);
    // Zoom 0: 63 x 48 pixels of 4 x 4 finest ones: x 0..252, y 192 - 192 = 0 .. 192.
    let png = d.join("z0.png");
    render_ok(
        d,
        &[
            "--x-range",
            "0,252",
            "--y-range",
            "0,192",
            "--width",
            "63",
            "--height",
            "48",
            "--bare",
            "-o",
            png.to_str().unwrap(),
        ],
    );
    let (_, _, image) = pixels(&png);
    let found =
        check_tiles(&image, (63, 48), true, BG, |tx, ty| pyr.join(format!("0/{tx}/{ty}.png")), "zoom 0");
    assert_eq!(found, 1);
    let bare = d.join("bare.png");
    let mut args = ranges.to_vec();
    args.extend(["--bare", "-o", bare.to_str().unwrap()]);
    render_ok(d, &args);
    let (_, _, image) = pixels(&bare);
    let found =
        check_tiles(&image, (250, 190), true, BG, |tx, ty| pyr.join(format!("2/{tx}/{ty}.png")), "zoom 2");
    assert_eq!(found, 12);
}

/// The pyramid's bytes depend on no tile size, thread count or memory budget, and a PNG
/// written with it is the flat render's.
#[test]
fn raster_pyramids_are_identical_for_every_tile_and_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_grid(&d.join("grid.npy"));
    let mut reference = None;
    for (i, (tile, threads, memory)) in
        [("1000", "1", "1GiB"), ("37", "2", "81MiB"), ("64", "4", "121MiB")].iter().enumerate()
    {
        let pyr = d.join(format!("pyr{i}"));
        let png = d.join(format!("with{i}.png"));
        render_ok(
            d,
            &[
                "--width",
                "300",
                "--height",
                "200",
                "--tile",
                tile,
                "--threads",
                threads,
                "--memory",
                memory,
                "--pyramid",
                pyr.to_str().unwrap(),
                "--pyramid-tile",
                "64",
                "--dynspread",
                "-o",
                png.to_str().unwrap(),
            ],
        );
        let files = tree(&pyr);
        assert!(files.keys().any(|k| k.starts_with("3/")), "{:?}", files.keys());
        match &reference {
            None => reference = Some((files, std::fs::read(&png).unwrap())),
            Some((tiles, image)) => {
                assert!(tiles == &files, "tile {tile} threads {threads}: the pyramid differs");
                assert!(image == &std::fs::read(&png).unwrap(), "tile {tile}: the PNG differs");
            }
        }
    }
    let alone = d.join("alone.png");
    render_ok(d, &["--width", "300", "--height", "200", "--dynspread", "-o", alone.to_str().unwrap()]);
    assert!(
        std::fs::read(&alone).unwrap() == reference.unwrap().1,
        "the PNG beside the pyramid is the flat one"
    );
}

/// What raster pyramids cannot do is refused before anything is written.
#[test]
fn raster_pyramids_refuse_shards_statistics_and_levels_spans() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_grid(&d.join("grid.npy"));
    let pyr = d.join("pyr");
    let p = pyr.to_str().unwrap();
    for (extra, message) in [
        (
            vec!["--stats", "s.json"],
            "gigaplot: error: --stats: pyramids of a raster compute each level's statistics as they render; give no statistics file",
        ),
        (
            vec!["--stats", "s.json", "--shard", "1/2"],
            "gigaplot: error: --shard: pyramids of a raster are rendered in one process; shards are for count pyramids of points",
        ),
        (
            vec!["--span-from-level", "1"],
            "gigaplot: error: --span-from-level: pyramids of a raster shade every level with its own statistics; give no level",
        ),
    ] {
        let mut args = vec!["--pyramid", p];
        args.extend(extra.iter().copied());
        let out = render(d, &args);
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end(), message, "{extra:?}");
        assert!(!pyr.exists(), "{extra:?}: nothing written");
        assert_eq!(files_in(d), ["grid.npy"], "{extra:?}: no debris");
    }
}
