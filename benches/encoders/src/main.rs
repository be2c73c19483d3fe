//! Which deflate encoder and row filter the PNG writer should use, measured on real plots.
//!
//! Every encoder runs inside the writer's parallel framing: rows cut into segments of
//! [`SEGMENT_TARGET_BYTES`], each segment filtered and compressed on its own, all segments
//! of an image in parallel (rayon, every core), and the time is the wall time of filtering
//! and compressing the whole image (median of `REPEATS`). The images are rendered by
//! gigaplot itself: a sparse and a dense count plot (RGBA over transparent), a figure (RGB),
//! and the sparse and dense plots as indexed colour (what the PNG sink now writes for
//! counts).
//!
//! Encoders: gigaplot's hand-written one (`sink::deflate`), miniz_oxide and zlib-rs (the two
//! flate2 backends, called directly so both run in one binary) at levels 1 and 6 with a
//! sync flush per segment, libdeflate (libdeflater) at levels 1 and 6, and fdeflate.
//! libdeflate and fdeflate compress whole buffers only (no sync flush): each segment is
//! measured as its own stream, which a writer could join only by re-aligning the final block
//! (fdeflate) or not at all (libdeflate); their sizes are what the segments take.
//!
//! Filters: `up` (the writer's default: Sub on a segment's first row), `none`, and `adaptive`
//! (per row the filter of None/Sub/Up/Paeth with the smallest sum of absolute filtered
//! bytes, the PNG specification's heuristic, judged on every 8th byte).
//!
//! Run with `cargo run --release -p gigaplot-encoders [IMAGE-FILTER]`; prints a
//! Markdown table: MB/s of raw scanline bytes and the output's size against them.

use std::time::Instant;

use gigaplot::__bench::{compress_segment, MatchHints, Palette, SEGMENT_TARGET_BYTES};
use gigaplot::{
    generate, render, Color, ColumnSpec, Compression, FigureSink, FigureSpec, GenerateOptions, NoProgress,
    PointColumns, RenderOptions, RgbaSink, Sink,
};
use rayon::prelude::*;

/// Timed runs per measurement; the median is reported.
const REPEATS: usize = 3;

/// An image as PNG scanlines before filtering.
struct Image {
    name: String,
    /// Bytes of one unfiltered row.
    row_bytes: usize,
    /// Filter distance to the previous pixel.
    bpp: usize,
    rows: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Filter {
    Up,
    None,
    Adaptive,
}

#[derive(Clone, Copy, Debug)]
enum Encoder {
    Hand,
    Miniz(u8),
    ZlibRs(i32),
    Libdeflate(i32),
    Fdeflate,
}

impl Encoder {
    fn name(self) -> String {
        match self {
            Encoder::Hand => "gigaplot".into(),
            Encoder::Miniz(l) => format!("miniz_oxide {l}"),
            Encoder::ZlibRs(l) => format!("zlib-rs {l}"),
            Encoder::Libdeflate(l) => format!("libdeflate {l}"),
            Encoder::Fdeflate => "fdeflate".into(),
        }
    }
}

fn main() {
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let dir = std::env::temp_dir().join(format!("gigaplot-encoders-{}", std::process::id()));
    // GIGAPLOT_ENCODERS_PNG=FILE.png measures that file's rows alone (indexed ones as indices).
    let images = match std::env::var_os("GIGAPLOT_ENCODERS_PNG") {
        Some(path) => vec![png_image(std::path::Path::new(&path))],
        None => images(&dir),
    };
    std::fs::remove_dir_all(&dir).ok();
    let encoders: Vec<Encoder> = match std::env::var("GIGAPLOT_ENCODERS") {
        Ok(list) => list.split(',').map(parse_encoder).collect(),
        Err(_) => vec![
            Encoder::Hand,
            Encoder::Miniz(1),
            Encoder::ZlibRs(1),
            Encoder::Libdeflate(1),
            Encoder::Fdeflate,
            Encoder::Miniz(6),
            Encoder::ZlibRs(6),
            Encoder::Libdeflate(6),
        ],
    };
    let filters: Vec<Filter> = match std::env::var("GIGAPLOT_ENCODERS_FILTERS") {
        Ok(list) => list
            .split(',')
            .map(|f| match f {
                "up" => Filter::Up,
                "none" => Filter::None,
                "adaptive" => Filter::Adaptive,
                other => panic!("unknown filter {other}"),
            })
            .collect(),
        Err(_) => vec![Filter::Up, Filter::None, Filter::Adaptive],
    };
    println!("threads: {}", rayon::current_num_threads());
    println!("| image | raw MB | filter | encoder | MB/s | size / raw | size MB |");
    println!("|---|---|---|---|---|---|---|");
    for image in &images {
        if filter.as_deref().is_some_and(|f| !image.name.contains(f)) {
            continue;
        }
        for &filter in &filters {
            for &encoder in &encoders {
                let (seconds, size) = measure(image, filter, encoder);
                let raw = image.rows.len() as f64;
                println!(
                    "| {} | {:.1} | {filter:?} | {} | {:.0} | {:.4} | {:.2} |",
                    image.name,
                    raw / 1e6,
                    encoder.name(),
                    raw / 1e6 / seconds,
                    size as f64 / raw,
                    size as f64 / 1e6
                );
            }
        }
    }
}

/// An encoder named as `hand`, `miniz:L`, `zlibrs:L`, `libdeflate:L` or `fdeflate`.
fn parse_encoder(name: &str) -> Encoder {
    let (kind, level) = name.split_once(':').unwrap_or((name, "1"));
    let level: i32 = level.parse().expect("a level number");
    match kind {
        "hand" => Encoder::Hand,
        "miniz" => Encoder::Miniz(level as u8),
        "zlibrs" => Encoder::ZlibRs(level),
        "libdeflate" => Encoder::Libdeflate(level),
        "fdeflate" => Encoder::Fdeflate,
        other => panic!("unknown encoder {other}"),
    }
}

/// The rows of a PNG file as stored (palette indices stay indices), unfiltered.
fn png_image(path: &std::path::Path) -> Image {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::IDENTITY);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let bpp = (info.line_size / info.width as usize).max(1);
    let name = format!(
        "{} {}x{} {:?} {:?}",
        path.display(),
        info.width,
        info.height,
        info.color_type,
        info.bit_depth
    );
    Image { name, row_bytes: info.line_size, bpp, rows: buf }
}

/// The plots: counts of generated points rendered by gigaplot.
fn images(dir: &std::path::Path) -> Vec<Image> {
    let files = |points: u64| {
        let out = dir.join(format!("p{points}"));
        let files = generate(&GenerateOptions { points, seed: 11, out_dir: out }, &NoProgress).unwrap();
        let spec = |p: &std::path::Path| ColumnSpec { path: p.to_path_buf(), ..Default::default() };
        PointColumns::open(&spec(&files.x), &spec(&files.y)).unwrap()
    };
    let sparse_points = files(1_000_000);
    let dense_points = files(20_000_000);
    let rgba = |points: &PointColumns, side: u32| {
        let options = RenderOptions { width: side, height: side, ..RenderOptions::default() };
        let (sink, image) = RgbaSink::new();
        render(points, &options, vec![Box::new(sink) as Box<dyn Sink>], &NoProgress).unwrap();
        image.take().unwrap()
    };
    let sparse = rgba(&sparse_points, 4000);
    let dense = rgba(&dense_points, 2000);
    let mut images = vec![
        Image {
            name: "sparse 4000² RGBA".into(),
            row_bytes: 4 * 4000,
            bpp: 4,
            rows: sparse.pixels().to_vec(),
        },
        Image {
            name: "dense 2000² RGBA".into(), row_bytes: 4 * 2000, bpp: 4, rows: dense.pixels().to_vec()
        },
    ];
    for (name, image) in [("sparse 4000²", &sparse), ("dense 2000²", &dense)] {
        let pixels = image.pixels().chunks_exact(4).map(|p| [p[0], p[1], p[2], p[3]]);
        let palette = Palette::from_colors(pixels).expect("a count plot has at most 256 colours");
        let width = image.width() as usize;
        let row_bytes = palette.row_bytes(width);
        let mut rows = vec![0u8; row_bytes * image.height() as usize];
        for (y, out) in rows.chunks_exact_mut(row_bytes).enumerate() {
            assert!(palette.pack_row(image.row(y as u32), out));
        }
        let name = format!("{name} indexed, {} colours, {} bits", palette.len(), palette.bit_depth());
        images.push(Image { name, row_bytes, bpp: 1, rows });
    }
    // A figure: the sparse plot with axes, ticks and labels, on white.
    let options = RenderOptions {
        width: 3000,
        height: 2000,
        background: Color::rgb(255, 255, 255),
        ..RenderOptions::default()
    };
    let spec =
        FigureSpec { title: Some("1e6 points".into()), xlabel: Some("x".into()), ..Default::default() };
    let (sink, png) = FigureSink::to_writer(Vec::new(), Compression::Fast, spec, Some(None));
    render(&sparse_points, &options, vec![Box::new(sink) as Box<dyn Sink>], &NoProgress).unwrap();
    let png = png.take().unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let bpp = info.color_type.samples();
    let name = format!("figure {}x{} {}", info.width, info.height, if bpp == 3 { "RGB" } else { "RGBA" });
    images.push(Image { name, row_bytes: info.width as usize * bpp, bpp, rows: buf });
    images
}

/// Median wall time of filtering and compressing `image` in parallel segments, and the
/// compressed size.
fn measure(image: &Image, filter: Filter, encoder: Encoder) -> (f64, usize) {
    let rows_per_segment = (SEGMENT_TARGET_BYTES / image.row_bytes).max(1);
    let segments: Vec<&[u8]> = image.rows.chunks(rows_per_segment * image.row_bytes).collect();
    let last = segments.len() - 1;
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..REPEATS {
        let start = Instant::now();
        let outputs: Vec<Vec<u8>> = segments
            .par_iter()
            .enumerate()
            .map(|(i, rows)| {
                let filtered = filter_segment(rows, image.row_bytes, image.bpp, filter);
                let hints = MatchHints { pixel: image.bpp, row: image.row_bytes + 1 };
                compress(&filtered, hints, i == last, encoder)
            })
            .collect();
        times.push(start.elapsed().as_secs_f64());
        size = outputs.iter().map(Vec::len).sum();
        if times.len() == 1 && matches!(encoder, Encoder::Hand | Encoder::Miniz(_) | Encoder::ZlibRs(_)) {
            check_joined(&outputs, &segments, image, filter);
        }
    }
    times.sort_by(f64::total_cmp);
    (times[REPEATS / 2], size)
}

/// The joined segments inflate to the filtered rows (checked once per measurement).
fn check_joined(outputs: &[Vec<u8>], segments: &[&[u8]], image: &Image, filter: Filter) {
    let joined: Vec<u8> = outputs.concat();
    let mut inflated = Vec::new();
    let mut decoder = flate2::read::DeflateDecoder::new(&joined[..]);
    std::io::Read::read_to_end(&mut decoder, &mut inflated).unwrap();
    let expected: Vec<u8> =
        segments.iter().flat_map(|rows| filter_segment(rows, image.row_bytes, image.bpp, filter)).collect();
    assert!(inflated == expected, "the joined segments inflate to the filtered rows");
}

/// Raw deflate of one segment: sync-flushed, or final when `last`.
fn compress(data: &[u8], hints: MatchHints, last: bool, encoder: Encoder) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 4 + 1024);
    match encoder {
        Encoder::Hand => compress_segment(data, hints, last, &mut out),
        Encoder::Miniz(level) => {
            use miniz_oxide::deflate::core::{
                compress, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush,
            };
            let flags = create_comp_flags_from_zip_params(i32::from(level), -15, 0);
            let mut c = CompressorOxide::new(flags);
            let flush = if last { TDEFLFlush::Finish } else { TDEFLFlush::Sync };
            out.resize(data.len() + data.len() / 8 + 1024, 0);
            let (status, consumed, written) = compress(&mut c, data, &mut out, flush);
            assert!(consumed == data.len(), "{status:?}");
            out.truncate(written);
        }
        Encoder::ZlibRs(level) => {
            let mut c = zlib_rs::Deflate::new(level, false, 15);
            let flush = if last { zlib_rs::DeflateFlush::Finish } else { zlib_rs::DeflateFlush::SyncFlush };
            out.resize(data.len() + data.len() / 8 + 1024, 0);
            c.compress(data, &mut out, flush).unwrap();
            assert!(c.total_in() as usize == data.len());
            out.truncate(c.total_out() as usize);
        }
        Encoder::Libdeflate(level) => {
            let mut c = libdeflater::Compressor::new(libdeflater::CompressionLvl::new(level).unwrap());
            out.resize(c.deflate_compress_bound(data.len()), 0);
            let n = c.deflate_compress(data, &mut out).unwrap();
            out.truncate(n);
        }
        Encoder::Fdeflate => {
            let mut c = fdeflate::Compressor::new(&mut out).unwrap();
            c.write_data(data).unwrap();
            c.finish().unwrap();
            // zlib header and Adler-32 off: the raw blocks.
            out.drain(..2);
            out.truncate(out.len() - 4);
        }
    }
    out
}

/// The filtered scanlines of one segment (filter byte first).
fn filter_segment(rows: &[u8], row_bytes: usize, bpp: usize, filter: Filter) -> Vec<u8> {
    let mut out = vec![0u8; rows.len() / row_bytes * (row_bytes + 1)];
    let zero = vec![0u8; row_bytes];
    for (r, (row, dst)) in rows.chunks_exact(row_bytes).zip(out.chunks_exact_mut(row_bytes + 1)).enumerate() {
        let above = if r == 0 { None } else { Some(&rows[(r - 1) * row_bytes..r * row_bytes]) };
        let kind = match (filter, above) {
            (Filter::None, _) => 0,
            (Filter::Up, Some(_)) => 2,
            (Filter::Up, None) => 1,
            (Filter::Adaptive, above) => choose(row, above, bpp),
        };
        dst[0] = kind;
        apply(kind, row, above.unwrap_or(&zero), bpp, &mut dst[1..]);
    }
    out
}

/// The filter with the smallest sum of absolute filtered bytes, sampled every 8th byte; on
/// a segment's first row only None and Sub (the row above belongs to another segment).
fn choose(row: &[u8], above: Option<&[u8]>, bpp: usize) -> u8 {
    let kinds: &[u8] = if above.is_some() { &[0, 1, 2, 4] } else { &[0, 1] };
    let zero;
    let above = match above {
        Some(a) => a,
        None => {
            zero = vec![0u8; row.len()];
            &zero
        }
    };
    let cost = |kind: u8| -> u64 {
        (0..row.len())
            .step_by(8)
            .map(|i| u64::from(filtered_byte(kind, row, above, bpp, i).unsigned_abs_i8()))
            .sum()
    };
    *kinds.iter().min_by_key(|&&k| cost(k)).unwrap()
}

trait AbsI8 {
    fn unsigned_abs_i8(self) -> u8;
}
impl AbsI8 for u8 {
    fn unsigned_abs_i8(self) -> u8 {
        (self as i8).unsigned_abs()
    }
}

/// Byte `i` of `row` filtered with `kind`.
#[inline]
fn filtered_byte(kind: u8, row: &[u8], above: &[u8], bpp: usize, i: usize) -> u8 {
    let a = if i >= bpp { row[i - bpp] } else { 0 };
    let b = above[i];
    let c = if i >= bpp { above[i - bpp] } else { 0 };
    match kind {
        0 => row[i],
        1 => row[i].wrapping_sub(a),
        2 => row[i].wrapping_sub(b),
        _ => row[i].wrapping_sub(paeth(a, b, c)),
    }
}

fn apply(kind: u8, row: &[u8], above: &[u8], bpp: usize, out: &mut [u8]) {
    match kind {
        0 => out.copy_from_slice(row),
        2 => {
            for ((o, &x), &b) in out.iter_mut().zip(row).zip(above) {
                *o = x.wrapping_sub(b);
            }
        }
        _ => {
            for (i, o) in out.iter_mut().enumerate() {
                *o = filtered_byte(kind, row, above, bpp, i);
            }
        }
    }
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}
