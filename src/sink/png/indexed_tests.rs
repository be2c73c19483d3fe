//! Tests of indexed-colour PNGs: files are decoded with the `png` crate (palette expanded)
//! and compared with the truecolour file of the same band, and with Datashader's pixels.

use super::*;
use crate::data::DType;
use crate::shade::{Color, Colormap, CountHistogram, CountShader, How};
use crate::test_data::{CountAggregate, ShadeCase};

/// A band of `colors.len()` colours: pixel (x, y) is colour `hash(x, y) % n`, with long
/// runs of colour 0 (a plot's background) in every other row.
struct Paletted {
    y0: u32,
    height: u32,
    colors: Vec<[u8; 4]>,
    palette: Option<Arc<Palette>>,
}

impl Paletted {
    fn color(&self, x: usize, y: usize) -> [u8; 4] {
        let h =
            (x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (y as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        let h = (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 32;
        if y.is_multiple_of(2) && x % 50 < 40 {
            self.colors[0]
        } else {
            self.colors[h as usize % self.colors.len()]
        }
    }
}

impl Band for Paletted {
    fn y0(&self) -> u32 {
        self.y0
    }
    fn height(&self) -> u32 {
        self.height
    }
    fn shade_row(&self, row: u32, format: PixelFormat, out: &mut [u8]) {
        let y = (self.y0 + row) as usize;
        let bpp = format.bytes_per_pixel();
        for (x, px) in out.chunks_exact_mut(bpp).enumerate() {
            px.copy_from_slice(&self.color(x, y)[..bpp]);
        }
    }
    fn aggregate_row(&self, _row: u32, _out: &mut [u8]) {}
    fn palette(&self) -> Option<Arc<Palette>> {
        self.palette.clone()
    }
}

/// `n` colours: the first transparent unless `opaque`, then distinct opaque ones.
fn colors(n: usize, opaque: bool) -> Vec<[u8; 4]> {
    let first = if opaque { [9, 9, 9, 255] } else { [0, 0, 0, 0] };
    std::iter::once(first).chain((1..n).map(|i| [i as u8, 255 - i as u8, (i * 7) as u8, 255])).collect()
}

/// The PNG bytes of a `width x height` canvas of `colors` written by a [`PngSink`] in bands
/// of `band_rows`, with the band's palette (indexed) or without it (truecolour).
fn render(width: u32, height: u32, colors: &[[u8; 4]], indexed: bool, band_rows: u32) -> Vec<u8> {
    let opaque = colors.iter().all(|c| c[3] == 255);
    let palette = indexed.then(|| Arc::new(Palette::from_colors(colors.iter().copied()).unwrap()));
    let (sink, bytes) = PngSink::to_writer(Vec::new(), Compression::Fast);
    let mut sink: Box<dyn Sink> = Box::new(sink);
    let axes = Default::default();
    let canvas =
        CanvasInfo { width, height, opaque, aggregate_dtype: DType::U32, aggregate_channels: 1, axes };
    sink.begin(&canvas).unwrap();
    for y0 in (0..height).step_by(band_rows as usize) {
        let band = Paletted {
            y0,
            height: band_rows.min(height - y0),
            colors: colors.to_vec(),
            palette: palette.clone(),
        };
        sink.band(&band).unwrap();
    }
    sink.finish().unwrap();
    bytes.take().unwrap()
}

/// Decodes `png` with the palette expanded: (header info, output info, pixels).
fn decode(png: &[u8]) -> (png::ColorType, png::BitDepth, png::ColorType, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let (color, depth) = (reader.info().color_type, reader.info().bit_depth);
    let mut buf = vec![0u8; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (color, depth, info.color_type, buf)
}

#[test]
fn indexed_png_decodes_to_the_truecolour_pixels_at_the_smallest_depth() {
    let cases = [(1, 1), (2, 1), (3, 2), (4, 2), (5, 4), (16, 4), (17, 8), (256, 8)];
    for (n, bits) in cases {
        for opaque in [false, true] {
            // Odd widths leave part of the last byte of a row unused below 8 bits.
            for width in [1, 7, 13, 64] {
                let colors = colors(n, opaque);
                let indexed = render(width, 9, &colors, true, 4);
                let truecolour = render(width, 9, &colors, false, 4);
                let (header, depth, expanded, pixels) = decode(&indexed);
                let what = format!("{n} colours, opaque {opaque}, width {width}");
                assert_eq!(header, png::ColorType::Indexed, "{what}");
                assert_eq!(depth as u8, bits, "{what}");
                let (original, _, _, expected) = decode(&truecolour);
                assert_eq!(original, if opaque { png::ColorType::Rgb } else { png::ColorType::Rgba });
                // tRNS exactly when some colour is translucent: RGBA then, RGB otherwise.
                assert_eq!(expanded, original, "{what}");
                assert_eq!(pixels, expected, "{what}");
            }
        }
    }
}

#[test]
fn indexed_png_is_identical_for_any_band_split_and_thread_count() {
    // 4096 bytes a row: 1024 rows a segment, so 2100 rows make three segments.
    let colors = colors(200, false);
    let reference = render(4096, 2100, &colors, true, 2100);
    for (threads, band_rows) in [(1, 1000), (3, 7), (2, 1)] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let bytes = pool.install(|| render(4096, 2100, &colors, true, band_rows));
        assert!(bytes == reference, "{threads} threads, bands of {band_rows} rows");
    }
    let (_, _, _, pixels) = decode(&reference);
    let (_, _, _, expected) = decode(&render(4096, 2100, &colors, false, 2100));
    assert!(pixels == expected);
}

#[test]
fn a_band_without_palette_keeps_truecolour() {
    let colors = colors(3, false);
    let (header, _, _, _) = decode(&render(5, 5, &colors, false, 5));
    assert_eq!(header, png::ColorType::Rgba);
}

/// `tests/data/datashader/shade_counts.json`: Datashader's `tf.shade` of count aggregates.
#[derive(serde::Deserialize)]
struct Reference {
    aggregates: Vec<CountAggregate>,
    cases: Vec<ShadeCase>,
}

#[test]
fn datashaders_count_images_are_written_indexed_and_decode_to_its_pixels() {
    let reference: Reference = crate::test_data::load("datashader/shade_counts.json");
    let mut indexed = 0;
    for case in &reference.cases {
        let counts = &reference.aggregates.iter().find(|a| a.name == case.aggregate).unwrap().counts;
        let mut histogram = CountHistogram::new();
        histogram.add_counts(counts);
        let how: How = case.how.parse().unwrap();
        let cmap = Colormap::by_name(&case.cmap).unwrap();
        let shader = CountShader::new(&histogram, how, &cmap, Color::TRANSPARENT);
        let what = format!("{} {} {}", case.aggregate, case.how, case.cmap);
        let datashader: Vec<u8> = (0..case.rgba.len() / 2)
            .map(|i| u8::from_str_radix(&case.rgba[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let colours: std::collections::HashSet<&[u8]> = datashader.chunks_exact(4).collect();
        let Some(palette) = shader.palette() else {
            assert!(colours.len() > 256, "{what}: {} colours but no palette", colours.len());
            continue;
        };
        indexed += 1;
        // The palette is exactly Datashader's colours (and the background).
        let mut expected: Vec<&[u8]> = colours.into_iter().collect();
        expected.push(&[0, 0, 0, 0]);
        expected.sort();
        expected.dedup();
        let mut got: Vec<&[u8]> = palette.colors().iter().map(|c| &c[..]).collect();
        got.sort();
        assert_eq!(got, expected, "{what}");
        // Datashader's image written indexed (one row) decodes to its pixels.
        let width = counts.len() as u32;
        let mut writer =
            PngWriter::indexed(Vec::new(), width, 1, palette.clone(), Compression::Fast).unwrap();
        let pack = |_: usize, out: &mut [u8]| assert!(palette.pack_row(&datashader, out));
        // The shader's own indices (the sink's fast path) pack to the same bytes.
        let mut indices = vec![0u8; counts.len()];
        assert!(shader.shade_indices(counts, &mut indices), "{what}");
        let (mut from_colours, mut from_indices) =
            (vec![0; palette.row_bytes(counts.len())], vec![1; palette.row_bytes(counts.len())]);
        pack(0, &mut from_colours);
        crate::shade::palette::pack_indices(&indices, palette.bit_depth(), &mut from_indices);
        assert_eq!(from_indices, from_colours, "{what}");
        writer.write_rows(1, &pack).unwrap();
        let png = writer.finish().unwrap();
        let (header, _, expanded, pixels) = decode(&png);
        assert_eq!((header, expanded), (png::ColorType::Indexed, png::ColorType::Rgba), "{what}");
        assert_eq!(pixels, datashader, "{what}");
    }
    assert!(indexed * 2 > reference.cases.len(), "only {indexed} of {} cases indexed", reference.cases.len());
}
