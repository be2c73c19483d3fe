//! Peak memory of band-by-band resampling of a 4000 x 8000 uint8 raster (32 MB mapped).

use super::*;
use crate::data::npy::encode_header;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const ROWS: usize = 4000;
const COLS: usize = 8000;

/// A 4000 x 8000 uint8 raster with a smooth pattern, written to `dir`.
fn big_raster(dir: &std::path::Path) -> Grid {
    let path = dir.join("big.npy");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    f.write_all(&encode_header(DType::U8, &[ROWS, COLS])).unwrap();
    let mut row = vec![0u8; COLS];
    for i in 0..ROWS {
        for (j, v) in row.iter_mut().enumerate() {
            *v = ((i / 3 + j / 5) % 251) as u8;
        }
        f.write_all(&row).unwrap();
    }
    drop(f);
    Grid::open(&path).unwrap()
}

/// Resamples the canvas band by band (16 rows) while another thread samples the
/// mapping's resident KiB; returns the peak and a checksum of the output.
fn run(grid: &Grid, x: Axis, y: Axis, how: (Downsample, Upsample)) -> (u64, f64) {
    let place = RasterPlacement::unit_cells(grid);
    let r = Resampler::new(grid, &place, &x, &y, how).unwrap();
    let (done, peak) = (AtomicBool::new(false), AtomicU64::new(0));
    let mut sum = 0.0;
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(grid.resident_kib(), Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        let (w, h) = (x.pixels() as usize, y.pixels());
        let mut out = vec![0.0; 16 * w];
        for start in (0..h).step_by(16) {
            let rows = start..(start + 16).min(h);
            let out = &mut out[..rows.len() * w];
            r.band(rows, out).unwrap();
            sum += out.iter().filter(|v| !v.is_nan()).sum::<f64>();
            // The kernel maps up to 64 KiB around each fault (fault-around): pages of rows
            // the next band reads may already be mapped, a bounded amount.
            assert!(grid.resident_kib() <= 1024, "{} KiB left mapped", grid.resident_kib());
        }
        done.store(true, Ordering::Relaxed);
    });
    (peak.into_inner(), sum)
}

/// At most a few raster rows per worker are ever mapped: far below the 32 MB raster.
fn check(x: Axis, y: Axis, how: (Downsample, Upsample)) {
    let dir = tempfile::tempdir().unwrap();
    let grid = big_raster(dir.path());
    let clock = std::time::Instant::now();
    let (peak_kib, sum) = run(&grid, x, y, how);
    let seconds = clock.elapsed().as_secs_f64();
    let pixels = f64::from(x.pixels()) * f64::from(y.pixels());
    eprintln!(
        "{how:?} {}x{}: {seconds:.2} s, {:.0} Mpixel/s, {:.0} rows/s, peak mapped {peak_kib} KiB",
        x.pixels(),
        y.pixels(),
        pixels / seconds / 1e6,
        f64::from(y.pixels()) / seconds
    );
    assert!(sum > 0.0);
    // A few 64 KiB fault-around windows per task: well under 1 MiB of the 32 MB.
    assert!(peak_kib < 1024, "peak mapped {peak_kib} KiB");
}

#[test]
fn downsampling_maps_a_few_rows_at_a_time() {
    let x = Axis::new("x", (0.0, COLS as f64), 2000, Scale::Linear).unwrap();
    let y = Axis::new("y", (0.0, ROWS as f64), 1000, Scale::Linear).unwrap();
    check(x, y, (Downsample::Mean, Upsample::Linear));
    check(x, y, (Downsample::Mode, Upsample::Linear));
}

#[test]
fn upsampling_part_of_the_raster_maps_a_few_rows_at_a_time() {
    let x = Axis::new("x", (1000.0, 3000.0), 2500, Scale::Linear).unwrap();
    let y = Axis::new("y", (2000.0, 3000.0), 1250, Scale::Linear).unwrap();
    check(x, y, (Downsample::Mean, Upsample::Linear));
}

#[test]
#[ignore = "slow in debug: 50 million pixels; run with --release --ignored"]
fn upsampling_to_a_canvas_of_50_megapixels() {
    let x = Axis::new("x", (0.0, COLS as f64), 10_000, Scale::Linear).unwrap();
    let y = Axis::new("y", (0.0, ROWS as f64), 5_000, Scale::Linear).unwrap();
    check(x, y, (Downsample::Mean, Upsample::Linear));
    check(x, y, (Downsample::Mean, Upsample::Nearest));
}
