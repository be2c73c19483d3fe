//! Measures the PNG encoder alone on real rows: decodes rows ROW0 .. ROW0 + ROWS of an RGBA
//! PNG, then encodes an image of the same width and HEIGHT rows (the rows repeated) and prints
//! the raw RGBA throughput, per wall second and per 2 CPU-seconds (the measure that holds up
//! on a busy machine).
//!
//! Run with `cargo run --release --example png_probe -- IN.png ROW0 ROWS HEIGHT [fast|small]`.

use std::time::Instant;

// The PNG encoder is an internal kernel, reached through the hidden `__bench` module.
use gigaplot::__bench::{PixelFormat, PngWriter};
use gigaplot::Compression;

fn main() {
    const USAGE: &str = "usage: png_probe IN.png ROW0 ROWS HEIGHT [fast|small]";
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).expect(USAGE);
    let input = arg(1);
    let row0: usize = arg(2).parse().expect(USAGE);
    let rows: usize = arg(3).parse().expect(USAGE);
    let height: u32 = arg(4).parse().expect(USAGE);
    let compression: Compression = args.get(5).map_or(Ok(Compression::Fast), |s| s.parse()).expect(USAGE);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(input).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let width = reader.info().width;
    let row_bytes = width as usize * 4;
    let mut kept = Vec::with_capacity(rows * row_bytes);
    for r in 0..row0 + rows {
        let row = reader.next_row().unwrap().unwrap();
        if r >= row0 {
            kept.extend_from_slice(row.data());
        }
    }
    let out = std::env::temp_dir().join("png_probe_out.png");
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let mut writer = PngWriter::create(&out, width, height, PixelFormat::Rgba, compression).unwrap();
    writer
        .write_rows(height as usize, &|row, px| {
            let r = row % rows;
            px.copy_from_slice(&kept[r * row_bytes..(r + 1) * row_bytes]);
        })
        .unwrap();
    writer.finish().unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let raw = f64::from(width) * f64::from(height) * 4.0;
    let size = std::fs::metadata(&out).unwrap().len();
    println!(
        "{width} x {height}: {seconds:.3} s wall, {cpu:.3} s CPU, {:.2} GB/s raw RGBA per wall s, {:.2} per 2 CPU s, {:.1}% of raw",
        raw / seconds / 1e9,
        2.0 * raw / cpu / 1e9,
        100.0 * size as f64 / raw
    );
}

/// User + system CPU time of this process so far, from /proc/self/stat (in 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}
