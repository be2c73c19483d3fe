//! Rasters through the command line: `--raster` resamples a 2-D array onto the canvas, band
//! by band, equal to the library's render on one tile and one band (whose unit tests check
//! it against one whole-canvas resampling) for any tile size, thread count and band height,
//! downsampled and upsampled.

use std::path::Path;

use crate::common::*;
use gigaplot::npy::encode_header;
use gigaplot::{
    render_raster, AggregateArraySink, DType, Downsample, Grid, NoProgress, Origin, RasterInput,
    RasterPlacement, RenderOptions, Sink, Upsample,
};

const ROWS: usize = 300;
const COLS: usize = 400;

fn write_grid(path: &Path) {
    let mut bytes = encode_header(DType::F64, &[ROWS, COLS]);
    for r in 0..ROWS {
        for c in 0..COLS {
            let v =
                if (r * 7 + c * 3) % 101 == 0 { f64::NAN } else { ((r as f64) * 0.05).sin() * (c as f64) };
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    std::fs::write(path, bytes).unwrap();
}

fn read_f64s(path: &Path) -> Vec<u64> {
    let bytes = std::fs::read(path).unwrap();
    let header = gigaplot::npy::NpyHeader::parse(&bytes).unwrap();
    bytes[header.data_offset..].chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect()
}

#[test]
fn raster_bands_equal_the_library_render_on_one_band() {
    let dir = tempfile::tempdir().unwrap();
    let grid_path = dir.path().join("grid.npy");
    write_grid(&grid_path);
    let grid = Grid::open(&grid_path).unwrap();
    let placement = RasterPlacement { extent: (-2.0, 6.0, 1.0, 7.0), origin: Origin::Upper };
    for (w, h, down, up) in [(150u32, 110u32, "max", "nearest"), (900, 700, "mean", "linear")] {
        let how = (down.parse::<Downsample>().unwrap(), up.parse::<Upsample>().unwrap());
        let input = RasterInput { grid: &grid, placement, how };
        let options = RenderOptions {
            width: w,
            height: h,
            tile: 1000,
            threads: Some(1),
            memory_budget: 1 << 30,
            ..Default::default()
        };
        let (sink, array) = AggregateArraySink::new();
        render_raster(&input, &options, vec![Box::new(sink) as Box<dyn Sink>], &NoProgress).unwrap();
        let want: Vec<u64> = values_of(&array.take().unwrap().into_bytes());
        let mut png_ref: Option<Vec<u8>> = None;
        for (tile, threads, memory) in [("1000", "1", "1GiB"), ("64", "2", "81MiB"), ("37", "4", "121MiB")] {
            let (png, agg) = (dir.path().join("r.png"), dir.path().join("r.npy"));
            let (ws, hs) = (w.to_string(), h.to_string());
            run_ok(&[
                "render",
                "-q",
                "--bare",
                "--raster",
                grid_path.to_str().unwrap(),
                "--extent",
                "-2,6,1,7",
                "--downsample",
                down,
                "--upsample",
                up,
                "--width",
                &ws,
                "--height",
                &hs,
                "--tile",
                tile,
                "--threads",
                threads,
                "--memory",
                memory,
                "--how",
                "linear",
                "--cmap",
                "viridis",
                "-o",
                png.to_str().unwrap(),
                "--agg-out",
                agg.to_str().unwrap(),
            ]);
            assert!(read_f64s(&agg) == want, "{w}x{h} tile {tile}: aggregate differs");
            let bytes = std::fs::read(&png).unwrap();
            match &png_ref {
                None => png_ref = Some(bytes),
                Some(r) => assert!(r == &bytes, "{w}x{h} tile {tile}: PNG differs"),
            }
        }
    }
}

/// Writes a `rows` x `cols` uint8 raster with a smooth pattern, a row at a time.
fn write_big_u8_grid(path: &Path, rows: usize, cols: usize) {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    file.write_all(&encode_header(DType::U8, &[rows, cols])).unwrap();
    let mut row = vec![0u8; cols];
    for r in 0..rows {
        for (c, v) in row.iter_mut().enumerate() {
            *v = ((r / 7 + c / 5) % 251) as u8;
        }
        file.write_all(&row).unwrap();
    }
}

/// A 16000 x 16000 uint8 raster (256 MB, memory-mapped, every row read) rendered to 2000 x 2000,
/// 8000 x 1000 and 8000 x 4000 with a 96 MiB budget, as child processes: peak RSS stays far
/// below the raster's size (only the rows a band needs are mapped, then released), and does
/// not grow with the canvas height.
#[test]
fn a_raster_bigger_than_the_budget_renders_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("big.npy");
    write_big_u8_grid(&grid, 16_000, 16_000);
    let peak_for = |width: &str, height: &str| {
        let png = dir.path().join(format!("{width}x{height}.png"));
        let (status, peak) = run_measuring_rss(
            std::process::Command::new(bin())
                .args(["render", "-q", "--bare", "--raster"])
                .arg(&grid)
                .args(["--extent", "0,16000,0,16000", "--width", width, "--height", height])
                .args(["--memory", "96MiB", "--threads", "2", "--how", "linear", "-o"])
                .arg(&png),
        );
        assert!(status.success());
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
        let info = decoder.read_info().unwrap().info().clone();
        assert_eq!(
            (info.width.to_string(), info.height.to_string()),
            (width.to_string(), height.to_string())
        );
        eprintln!("raster 16000^2 uint8 -> {width} x {height}: peak RSS {} MB", peak / 1_000_000);
        peak
    };
    let down = peak_for("2000", "2000");
    let short = peak_for("8000", "1000");
    let tall = peak_for("8000", "4000");
    for peak in [down, short, tall] {
        assert!(peak < 100_000_000, "peak RSS {} MB for a 256 MB raster", peak / 1_000_000);
    }
    assert!(tall < short + 16_000_000, "4x the height: {} MB vs {} MB", tall / 1_000_000, short / 1_000_000);
}
