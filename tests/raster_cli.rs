//! Rasters through the command line: `--raster` resamples a 2-D array onto the canvas, band
//! by band, equal to one whole-canvas resampling for any tile size, thread count and band
//! height, downsampled and upsampled.

mod common;

use std::path::Path;

use common::*;
use gigaplot::canvas::{Axis, Scale};
use gigaplot::data::grid::Grid;
use gigaplot::data::npy::encode_header;
use gigaplot::data::DType;
use gigaplot::glyph::raster::{resample_band, Downsample, Origin, RasterPlacement, Upsample};

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
    let header = gigaplot::data::npy::NpyHeader::parse(&bytes).unwrap();
    bytes[header.data_offset..].chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect()
}

#[test]
fn raster_bands_equal_one_whole_canvas_resampling() {
    let dir = tempfile::tempdir().unwrap();
    let grid_path = dir.path().join("grid.npy");
    write_grid(&grid_path);
    let grid = Grid::open(&grid_path).unwrap();
    let placement = RasterPlacement { extent: (-2.0, 6.0, 1.0, 7.0), origin: Origin::Upper };
    for (w, h, down, up) in [(150u32, 110u32, "max", "nearest"), (900, 700, "mean", "linear")] {
        let x = Axis::new("x", (-2.0, 6.0), w, Scale::Linear).unwrap();
        let y = Axis::new("y", (1.0, 7.0), h, Scale::Linear).unwrap();
        let how = (down.parse::<Downsample>().unwrap(), up.parse::<Upsample>().unwrap());
        let mut want = vec![0f64; (w * h) as usize];
        resample_band(&grid, &placement, &x, &y, 0..h, how, &mut want).unwrap();
        let want: Vec<u64> = want.iter().map(|v| v.to_bits()).collect();
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
