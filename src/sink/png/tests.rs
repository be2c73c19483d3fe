//! Tests of the PNG writer: files are decoded with the `png` crate and flate2.

use std::io::Read;

use super::*;
use crate::data::DType;

/// A deterministic pixel hash.
fn hash(x: u64, y: u64, salt: u64) -> u64 {
    let mut h = x.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ y.wrapping_mul(0xC2B2_AE3D_27D4_EB4F) ^ salt;
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 32)
}

/// A plot-like image: mostly transparent zero, some coloured pixels, some repeated ones.
fn pixel(x: usize, y: usize, bpp: usize, out: &mut [u8]) {
    let h = hash(x as u64, y as u64, 1);
    let lit = h.is_multiple_of(23) || (y % 17 == 3 && x % 5 < 3);
    for (c, b) in out.iter_mut().enumerate().take(bpp) {
        *b = if lit { (h >> (8 * c)) as u8 | 1 } else { 0 };
    }
}

fn image(width: usize, height: usize, bpp: usize) -> Vec<u8> {
    let mut data = vec![0u8; width * height * bpp];
    for (i, px) in data.chunks_exact_mut(bpp).enumerate() {
        pixel(i % width, i / width, bpp, px);
    }
    data
}

/// Writes `data` (rows of `width` pixels) with `write_rows` calls of `split` rows.
fn write_png(
    path: &Path,
    width: usize,
    data: &[u8],
    format: PixelFormat,
    compression: Compression,
    filter: RowFilter,
    split: usize,
) -> Result<()> {
    let row_bytes = width * format.bytes_per_pixel();
    let height = data.len() / row_bytes;
    let mut writer =
        PngWriter::create(path, width as u32, height as u32, format, compression)?.with_filter(filter);
    let mut y = 0;
    while y < height {
        let n = split.min(height - y);
        let first = y;
        writer.write_rows(n, &|i, out| {
            out.copy_from_slice(&data[(first + i) * row_bytes..(first + i + 1) * row_bytes])
        })?;
        y += n;
    }
    writer.finish()?.commit().map(drop)
}

fn decode(path: &Path) -> (png::OutputInfo, Vec<u8>) {
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("open"));
    let mut reader = png::Decoder::new(file).read_info().expect("png header");
    let mut buf = vec![0u8; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    buf.truncate(info.buffer_size());
    (info, buf)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn compression_parses() {
    assert_eq!("fast".parse::<Compression>(), Ok(Compression::Fast));
    assert_eq!("small".parse::<Compression>(), Ok(Compression::Small));
    assert_eq!(
        "best".parse::<Compression>(),
        Err("unknown compression 'best'; use 'fast' or 'small'".to_string())
    );
}

#[test]
fn bad_dimensions_are_rejected_naming_the_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.png");
    let err = PngWriter::create(&path, 0, 5, PixelFormat::Rgba, Compression::Fast).unwrap_err();
    assert_eq!(err.to_string(), "width: 0 pixels is outside what a PNG can hold (1 to 2147483647)");
    let err = PngWriter::create(&path, 5, 1 << 31, PixelFormat::Rgb, Compression::Fast).unwrap_err();
    assert_eq!(err.to_string(), "height: 2147483648 pixels is outside what a PNG can hold (1 to 2147483647)");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn file_layout_is_signature_ihdr_idat_iend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.png");
    let data = image(3, 2, 4);
    write_png(&path, 3, &data, PixelFormat::Rgba, Compression::Fast, RowFilter::None, 9).expect("write");
    let bytes = std::fs::read(&path).expect("read");
    assert_eq!(&bytes[..8], &SIGNATURE);
    let ihdr = [0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 3, 0, 0, 0, 2, 8, 6, 0, 0, 0];
    assert_eq!(&bytes[8..29], &ihdr);
    let crc = crc32fast::hash(&ihdr[4..]);
    assert_eq!(&bytes[29..33], &crc.to_be_bytes());
    assert_eq!(&bytes[33 + 4..33 + 8], b"IDAT");
    assert_eq!(&bytes[bytes.len() - 12..], &[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
    // IDAT payload: zlib header 78 01, deflate data, Adler-32 of the filtered rows.
    let len = u32::from_be_bytes(bytes[33..37].try_into().expect("4 bytes")) as usize;
    let idat = &bytes[41..41 + len];
    assert_eq!(&idat[..2], &[0x78, 0x01]);
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(idat).read_to_end(&mut raw).expect("zlib");
    let mut expected = vec![0u8];
    expected.extend_from_slice(&data[..12]);
    expected.push(0);
    expected.extend_from_slice(&data[12..]);
    assert_eq!(raw, expected);
    assert_eq!(decode(&path).1, data);
}

#[test]
fn filter_bytes_are_sub_first_then_up_per_segment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.png");
    // 300000 RGBA pixels = 1.2 MB per row: 3 rows per segment.
    let width = 300_000;
    let data = image(width, 7, 4);
    write_png(&path, width, &data, PixelFormat::Rgba, Compression::Fast, RowFilter::Up, 2).expect("write");
    let bytes = std::fs::read(&path).expect("read");
    let mut zlib = Vec::new();
    let mut at = 33;
    while &bytes[at + 4..at + 8] == b"IDAT" {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        zlib.extend_from_slice(&bytes[at + 8..at + 8 + len]);
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&zlib[..]).read_to_end(&mut raw).expect("zlib");
    let filters: Vec<u8> = raw.chunks(width * 4 + 1).map(|row| row[0]).collect();
    assert_eq!(filters, [1, 2, 2, 1, 2, 2, 1]);
    // The combined Adler-32 is checked by the decoder: a wrong one is refused.
    let last = zlib.len() - 1;
    zlib[last] ^= 1;
    let mut sink = Vec::new();
    assert!(flate2::read::ZlibDecoder::new(&zlib[..]).read_to_end(&mut sink).is_err());
    assert_eq!(decode(&path).1, data);
}

#[test]
fn decoded_pixels_equal_input_for_all_modes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.png");
    let sizes = [(1usize, 1usize), (1, 40), (40, 1), (13, 9), (257, 33), (2000, 700)];
    for &(width, height) in &sizes {
        for format in [PixelFormat::Rgba, PixelFormat::Rgb] {
            let data = image(width, height, format.bytes_per_pixel());
            for compression in [Compression::Fast, Compression::Small] {
                for filter in [RowFilter::None, RowFilter::Sub, RowFilter::Up] {
                    write_png(&path, width, &data, format, compression, filter, 5).expect("write");
                    let (info, pixels) = decode(&path);
                    assert_eq!((info.width as usize, info.height as usize), (width, height));
                    let expected_type =
                        if format == PixelFormat::Rgb { png::ColorType::Rgb } else { png::ColorType::Rgba };
                    assert_eq!(info.color_type, expected_type);
                    assert!(pixels == data, "{width}x{height} {format:?} {compression:?} {filter:?}");
                }
            }
        }
    }
}

#[test]
fn rows_bigger_than_a_segment_and_dense_noise_roundtrip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.png");
    let width = 1_100_000; // 4.4 MB per RGBA row: one row per segment.
    let mut data = image(width, 3, 4);
    for (i, b) in data.iter_mut().enumerate().skip(width * 4) {
        *b = hash(i as u64, 0, 9) as u8;
    }
    for compression in [Compression::Fast, Compression::Small] {
        write_png(&path, width, &data, PixelFormat::Rgba, compression, RowFilter::Up, 1).expect("write");
        assert!(decode(&path).1 == data, "{compression:?}");
    }
}

#[test]
fn output_is_identical_for_any_split_and_thread_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let width = 20_000; // 80000-byte rows: 52 rows per segment, 4 segments.
    let data = image(width, 200, 4);
    for compression in [Compression::Fast, Compression::Small] {
        let mut reference: Option<Vec<u8>> = None;
        for threads in [1, 2, 4] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            for split in [200, 7, 1] {
                let path = dir.path().join(format!("t{threads}-s{split}.png"));
                pool.install(|| {
                    write_png(&path, width, &data, PixelFormat::Rgba, compression, RowFilter::Up, split)
                })
                .expect("write");
                let bytes = std::fs::read(&path).expect("read");
                match &reference {
                    None => {
                        assert!(decode(&path).1 == data);
                        reference = Some(bytes);
                    }
                    Some(r) => {
                        assert!(*r == bytes, "{compression:?} threads {threads} split {split}")
                    }
                }
            }
        }
    }
}

#[test]
fn unfinished_writer_leaves_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.png");
    let mut writer = PngWriter::create(&path, 100, 10, PixelFormat::Rgba, Compression::Fast).expect("create");
    writer.write_rows(4, &|_, out| out.fill(7)).expect("rows");
    assert_eq!(files_in(dir.path()).len(), 1, "the temporary file exists while writing");
    drop(writer);
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn missing_or_extra_rows_are_errors_and_leave_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.png");
    let mut writer = PngWriter::create(&path, 10, 10, PixelFormat::Rgb, Compression::Small).expect("create");
    let err = writer.write_rows(11, &|_, out| out.fill(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: 11 rows were given but only 10 of the image's 10 remain", path.display())
    );
    writer.write_rows(9, &|_, out| out.fill(1)).expect("rows");
    let err = writer.finish().unwrap_err();
    assert_eq!(err.to_string(), format!("{}: the image has 10 rows but only 9 were written", path.display()));
    assert!(files_in(dir.path()).is_empty());
}

/// A band whose pixels come from [`pixel`].
struct FakeBand {
    y0: u32,
    height: u32,
}

impl Band for FakeBand {
    fn y0(&self) -> u32 {
        self.y0
    }
    fn height(&self) -> u32 {
        self.height
    }
    fn shade_row(&self, row: u32, format: PixelFormat, out: &mut [u8]) {
        let bpp = format.bytes_per_pixel();
        for (x, px) in out.chunks_exact_mut(bpp).enumerate() {
            pixel(x, (self.y0 + row) as usize, bpp, px);
        }
    }
    fn aggregate_row(&self, _row: u32, _out: &mut [u8]) {}
}

#[test]
fn png_sink_writes_rgb_for_opaque_canvases() {
    let dir = tempfile::tempdir().expect("tempdir");
    for opaque in [true, false] {
        let path = dir.path().join(format!("{opaque}.png"));
        let mut sink: Box<dyn Sink> = Box::new(PngSink::new(&path, Compression::Fast));
        let canvas = CanvasInfo {
            width: 31,
            height: 20,
            opaque,
            aggregate_dtype: DType::U32,
            aggregate_channels: 1,
            axes: Default::default(),
        };
        sink.begin(&canvas).expect("begin");
        for y0 in (0..20).step_by(6) {
            sink.band(&FakeBand { y0, height: 6.min(20 - y0) }).expect("band");
        }
        sink.finish().expect("finish");
        let bpp = if opaque { 3 } else { 4 };
        let (info, pixels) = decode(&path);
        assert_eq!(info.color_type, if opaque { png::ColorType::Rgb } else { png::ColorType::Rgba });
        assert_eq!(pixels, image(31, 20, bpp));
    }
}

#[test]
fn png_sink_rejects_out_of_order_bands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.png");
    let mut sink = PngSink::new(&path, Compression::Fast);
    let canvas = CanvasInfo {
        width: 4,
        height: 8,
        opaque: true,
        aggregate_dtype: DType::U32,
        aggregate_channels: 1,
        axes: Default::default(),
    };
    sink.begin(&canvas).expect("begin");
    let err = sink.band(&FakeBand { y0: 2, height: 2 }).unwrap_err();
    assert!(err.to_string().ends_with("band starting at row 2 given after 0 rows"), "{err}");
}

#[test]
fn writers_get_the_bytes_of_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Several segments, so the writer is flushed between batches.
    let (width, height) = (700usize, 3000usize);
    let data = image(width, height, 3);
    let path = dir.path().join("a.png");
    write_png(&path, width, &data, PixelFormat::Rgb, Compression::Fast, RowFilter::default(), 500)
        .expect("write");
    let file = std::fs::read(&path).expect("read");
    let mut writer =
        PngWriter::new(Vec::new(), width as u32, height as u32, PixelFormat::Rgb, Compression::Fast)
            .expect("new");
    assert!(writer.rows_per_segment() < height);
    writer
        .write_rows(height, &|i, out| out.copy_from_slice(&data[i * width * 3..(i + 1) * width * 3]))
        .expect("rows");
    assert_eq!(writer.finish().expect("finish"), file);

    // The sink: the same bytes through a writer as in its file.
    let canvas = |opaque| CanvasInfo {
        width: 31,
        height: 20,
        opaque,
        aggregate_dtype: DType::U32,
        aggregate_channels: 1,
        axes: Default::default(),
    };
    for opaque in [true, false] {
        let path = dir.path().join(format!("sink-{opaque}.png"));
        let (to_writer, bytes) = PngSink::to_writer(Vec::new(), Compression::Small);
        let sinks: Vec<Box<dyn Sink>> =
            vec![Box::new(PngSink::new(&path, Compression::Small)), Box::new(to_writer)];
        for mut sink in sinks {
            sink.begin(&canvas(opaque)).expect("begin");
            for y0 in (0..20).step_by(7) {
                sink.band(&FakeBand { y0, height: 7.min(20 - y0) }).expect("band");
            }
            assert!(bytes.take().is_none() || opaque, "nothing before finish");
            sink.finish().expect("finish");
        }
        assert_eq!(bytes.take().expect("finished"), std::fs::read(&path).expect("read"));
    }
}

/// A writer that accepts `room` bytes, then fails.
struct Full {
    room: usize,
}

impl std::io::Write for Full {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "closed"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn writer_errors_name_the_stream() {
    let err = PngWriter::new(Full { room: 10 }, 4, 4, PixelFormat::Rgba, Compression::Fast).unwrap_err();
    assert_eq!(err.to_string(), "PNG stream: closed");
    let (mut sink, finished) = PngSink::to_writer(Full { room: 100 }, Compression::Fast);
    let canvas = CanvasInfo {
        width: 64,
        height: 64,
        opaque: false,
        aggregate_dtype: DType::U32,
        aggregate_channels: 1,
        axes: Default::default(),
    };
    sink.begin(&canvas).expect("the header fits");
    // The compressed rows are written at the latest when the sink finishes.
    let mut sink: Box<dyn Sink> = Box::new(sink);
    let err = sink.band(&FakeBand { y0: 0, height: 64 }).and_then(|()| sink.finish()).unwrap_err();
    assert_eq!(err.to_string(), "PNG stream: closed");
    assert!(finished.take().is_none());
}

/// A 20000 x 2000 RGBA plot: `sparse` lights 0.25% of the pixels; otherwise every pixel is
/// a smooth gradient plus noise.
fn bench_image(sparse: bool) -> Vec<u8> {
    let (width, height) = (20_000usize, 2_000usize);
    let mut data = vec![0u8; width * height * 4];
    for (i, px) in data.chunks_exact_mut(4).enumerate() {
        let (x, y) = (i % width, i / width);
        let h = hash(x as u64, y as u64, 3);
        if sparse {
            if h.is_multiple_of(400) {
                px.copy_from_slice(&[(h >> 8) as u8, (h >> 16) as u8, (h >> 24) as u8, 255]);
            }
        } else {
            let noise = (h % 9) as i32 - 4;
            let r = (x * 255 / width) as i32 + noise;
            let g = (y * 255 / height) as i32 - noise;
            let b = ((x + y) % 256) as i32;
            px.copy_from_slice(&[r.clamp(0, 255) as u8, g.clamp(0, 255) as u8, b as u8, 255]);
        }
    }
    data
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Raw RGBA throughput into a file; run by hand:
/// `cargo test --release --lib sink::png::tests::throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let dir = tempfile::tempdir_in(".").expect("tempdir");
    let path = dir.path().join("bench.png");
    let width = 20_000;
    let only = std::env::var("GIGAPLOT_BENCH").unwrap_or_default();
    println!("| image | encoder | filter | threads | GB/s | MB | CPU s / wall s |");
    println!("|---|---|---|---|---|---|---|");
    for sparse in [true, false] {
        let data = bench_image(sparse);
        let kind = if sparse { "sparse" } else { "dense" };
        let gbps = |secs: f64| data.len() as f64 / secs / 1e9;
        let size = |p: &Path| std::fs::metadata(p).expect("size").len() as f64 / 1e6;
        for compression in [Compression::Fast, Compression::Small] {
            for filter in [RowFilter::None, RowFilter::Sub, RowFilter::Up] {
                let label = format!("{kind} {compression:?} {filter:?}").to_lowercase();
                if !label.contains(&only) {
                    continue;
                }
                for threads in [1, 2] {
                    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
                    let cpu = cpu_seconds();
                    let start = std::time::Instant::now();
                    pool.install(|| {
                        write_png(&path, width, &data, PixelFormat::Rgba, compression, filter, 64)
                    })
                    .expect("write");
                    let secs = start.elapsed().as_secs_f64();
                    println!(
                        "| {kind} | {compression:?} | {filter:?} | {threads} | {:.2} | {:.1} | {:.2} |",
                        gbps(secs),
                        size(&path),
                        (cpu_seconds() - cpu) / secs
                    );
                }
            }
        }
        for filter in [png::Filter::NoFilter, png::Filter::Up] {
            if !format!("{kind} png {filter:?}").to_lowercase().contains(&only) {
                continue;
            }
            let start = std::time::Instant::now();
            let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
            let mut encoder = png::Encoder::new(file, width as u32, 2000);
            encoder.set_color(png::ColorType::Rgba);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.set_compression(png::Compression::Fast);
            encoder.set_filter(filter);
            let mut stream = encoder.write_header().expect("header").into_stream_writer().expect("stream");
            stream.write_all(&data).expect("write");
            stream.finish().expect("finish");
            let secs = start.elapsed().as_secs_f64();
            println!("| {kind} | png 0.18 Fast | {filter:?} | 1 | {:.2} | {:.1} |", gbps(secs), size(&path));
        }
    }
}

#[test]
fn random_images_decode_to_their_pixels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.png");
    let mut rng = crate::sink::deflate::tests::XorShift(21);
    for case in 0..40 {
        let width = 1 + rng.below(70) as usize;
        let height = 1 + rng.below(30) as usize;
        let format = if case % 2 == 0 { PixelFormat::Rgba } else { PixelFormat::Rgb };
        let density = 1 + rng.below(4);
        let data: Vec<u8> = (0..width * height * format.bytes_per_pixel())
            .map(|_| if rng.below(4) < density { rng.next() as u8 } else { 0 })
            .collect();
        let compression = if case % 3 == 0 { Compression::Small } else { Compression::Fast };
        let filter = [RowFilter::None, RowFilter::Sub, RowFilter::Up][case % 3];
        let split = 1 + rng.below(height as u64) as usize;
        write_png(&path, width, &data, format, compression, filter, split).expect("write");
        assert!(decode(&path).1 == data, "case {case}: {width}x{height}");
    }
}
