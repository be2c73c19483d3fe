use super::*;
use crate::data::DType;
use crate::shade::Shape;

const W: usize = 23;
const H: usize = 75;

/// A sparse test image: a few pixels of varied colour and alpha, some touching the edges.
fn image() -> Vec<u8> {
    let mut rgba = vec![0u8; 4 * W * H];
    for i in 0..W * H {
        let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_right(29);
        if h.is_multiple_of(9) || i == 0 || i == W * H - 1 {
            rgba[4 * i..4 * i + 4].copy_from_slice(&[
                h as u8,
                (h >> 8) as u8,
                (h >> 16) as u8,
                1 + (h >> 24) as u8 % 255,
            ]);
        }
    }
    rgba
}

/// The aggregate of the test image: the pixel index as u32.
fn aggregate(y: usize) -> Vec<u8> {
    (0..W).flat_map(|x| ((y * W + x) as u32).to_le_bytes()).collect()
}

/// Rows `y0 .. y0 + height` of the test image.
struct FakeBand<'a> {
    rgba: &'a [u8],
    y0: u32,
    height: u32,
}

impl Band for FakeBand<'_> {
    fn y0(&self) -> u32 {
        self.y0
    }
    fn height(&self) -> u32 {
        self.height
    }
    fn shade_row(&self, row: u32, format: PixelFormat, out: &mut [u8]) {
        assert_eq!(format, PixelFormat::Rgba);
        let y = (self.y0 + row) as usize;
        out.copy_from_slice(&self.rgba[4 * W * y..4 * W * (y + 1)]);
    }
    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        out.copy_from_slice(&aggregate((self.y0 + row) as usize));
    }
}

/// Records what it is given: the canvas, the shaded rows, the aggregate rows, band heights.
#[derive(Default)]
struct Recorder {
    canvas: Option<CanvasInfo>,
    rows: Vec<u8>,
    aggregates: Vec<u8>,
    bands: Vec<u32>,
}

/// A sink recording into a shared [`Recorder`].
struct RecordingSink(std::sync::Arc<std::sync::Mutex<Recorder>>);

impl Sink for RecordingSink {
    fn begin(&mut self, canvas: &CanvasInfo) -> Result<()> {
        self.0.lock().unwrap().canvas = Some(*canvas);
        Ok(())
    }
    fn band(&mut self, band: &dyn Band) -> Result<()> {
        let mut r = self.0.lock().unwrap();
        let canvas = r.canvas.unwrap();
        let format = if canvas.opaque { PixelFormat::Rgb } else { PixelFormat::Rgba };
        assert_eq!(band.y0() as usize, r.bands.iter().sum::<u32>() as usize);
        // rows asked out of order, as a parallel sink may
        let mut rows = vec![vec![0u8; W * format.bytes_per_pixel()]; band.height() as usize];
        for row in (0..band.height()).rev() {
            band.shade_row(row, format, &mut rows[row as usize]);
        }
        for row in 0..band.height() {
            let mut agg = vec![0u8; 4 * W];
            band.aggregate_row(row, &mut agg);
            r.aggregates.extend(agg);
        }
        r.rows.extend(rows.concat());
        r.bands.push(band.height());
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

fn canvas() -> CanvasInfo {
    CanvasInfo {
        width: W as u32,
        height: H as u32,
        opaque: false,
        aggregate_dtype: DType::U32,
        aggregate_channels: 1,
        axes: Default::default(),
    }
}

/// Renders the test image through a SpreadSink in bands of `band` rows.
fn run(spreader: &Spreader, background: Color, band: usize) -> Recorder {
    let rgba = image();
    let recorder = std::sync::Arc::new(std::sync::Mutex::new(Recorder::default()));
    let mut sink: Box<dyn Sink> =
        Box::new(SpreadSink::new(Box::new(RecordingSink(recorder.clone())), spreader.clone(), background));
    sink.begin(&canvas()).unwrap();
    for y0 in (0..H).step_by(band) {
        let height = band.min(H - y0) as u32;
        sink.band(&FakeBand { rgba: &rgba, y0: y0 as u32, height }).unwrap();
    }
    sink.finish().unwrap();
    std::sync::Arc::try_unwrap(recorder).ok().unwrap().into_inner().unwrap()
}

#[test]
fn output_matches_the_whole_image_spread_for_any_band_split() {
    let rgba = image();
    let all_aggregates: Vec<u8> = (0..H).flat_map(aggregate).collect();
    for shape in [Shape::Circle, Shape::Square] {
        for px in [0, 1, 2, 3, 20] {
            let spreader = Spreader::new(px, shape);
            let expected = spreader.clone().for_image_rows().spread_image(&rgba, W);
            assert!((expected != rgba) == (px > 0), "{px} {shape:?}");
            for band in [1, 3, 7, 32, 33, H] {
                let got = run(&spreader, Color::TRANSPARENT, band);
                assert!(got.rows == expected, "{px} {shape:?} band {band}");
                assert_eq!(got.aggregates, all_aggregates, "{px} {shape:?} band {band}");
                assert_eq!(got.bands.iter().sum::<u32>() as usize, H);
                assert!(!got.canvas.unwrap().opaque);
            }
        }
    }
}

#[test]
fn spread_pixels_are_composited_over_the_background() {
    let spreader = Spreader::new(2, Shape::Circle);
    let spread = spreader.clone().for_image_rows().spread_image(&image(), W);
    for (background, opaque) in
        [(Color::rgb(10, 20, 30), true), (Color { r: 200, g: 0, b: 0, a: 100 }, false)]
    {
        let bytes = if opaque { 3 } else { 4 };
        let expected: Vec<u8> = spread
            .chunks_exact(4)
            .flat_map(|p| {
                Color { r: p[0], g: p[1], b: p[2], a: p[3] }.over(background).to_array()[..bytes].to_vec()
            })
            .collect();
        for band in [1, 5, H] {
            let got = run(&spreader, background, band);
            assert_eq!(got.canvas.unwrap().opaque, opaque);
            assert!(got.rows == expected, "{background:?} band {band}");
        }
    }
    // an empty pixel far from any source is the background itself
    let got = run(&Spreader::new(0, Shape::Circle), Color::rgb(10, 20, 30), H);
    let empty = image().chunks_exact(4).position(|p| p == [0; 4]).unwrap();
    assert_eq!(got.rows[3 * empty..3 * empty + 3], [10, 20, 30]);
}

#[test]
fn bands_out_of_order_or_missing_are_errors() {
    let rgba = image();
    let recorder = std::sync::Arc::new(std::sync::Mutex::new(Recorder::default()));
    let mut sink = SpreadSink::new(
        Box::new(RecordingSink(recorder.clone())),
        Spreader::new(1, Shape::Circle),
        Color::TRANSPARENT,
    );
    sink.begin(&canvas()).unwrap();
    let err = sink.band(&FakeBand { rgba: &rgba, y0: 5, height: 2 }).unwrap_err();
    assert!(err.to_string().contains("band starting at row 5 given after 0 rows"), "{err}");
    sink.band(&FakeBand { rgba: &rgba, y0: 0, height: 10 }).unwrap();
    let err = Box::new(sink).finish().unwrap_err();
    assert!(err.to_string().contains("after 10 of 75 rows"), "{err}");
}

#[test]
fn the_window_stays_small_whatever_the_band() {
    let rgba = image();
    let recorder = std::sync::Arc::new(std::sync::Mutex::new(Recorder::default()));
    let px = 2;
    let mut sink = SpreadSink::new(
        Box::new(RecordingSink(recorder.clone())),
        Spreader::new(px, Shape::Square),
        Color::TRANSPARENT,
    );
    sink.begin(&canvas()).unwrap();
    // one band of all rows but one: rows are handed on as soon as their neighbours are shaded
    sink.band(&FakeBand { rgba: &rgba, y0: 0, height: H as u32 - 1 }).unwrap();
    assert!(sink.window.len() <= CHUNK_ROWS + 2 * px, "{}", sink.window.len());
    assert_eq!(recorder.lock().unwrap().bands, vec![32, 32]);
    sink.band(&FakeBand { rgba: &rgba, y0: H as u32 - 1, height: 1 }).unwrap();
    Box::new(sink).finish().unwrap();
    assert_eq!(recorder.lock().unwrap().bands, vec![32, 32, 11]);
}

/// A [`FakeBand`] that tells a dynspread decision.
struct Told<'a>(FakeBand<'a>, Option<usize>);

impl Band for Told<'_> {
    fn y0(&self) -> u32 {
        self.0.y0()
    }
    fn height(&self) -> u32 {
        self.0.height()
    }
    fn shade_row(&self, row: u32, format: PixelFormat, out: &mut [u8]) {
        self.0.shade_row(row, format, out);
    }
    fn aggregate_row(&self, row: u32, out: &mut [u8]) {
        self.0.aggregate_row(row, out);
    }
    fn spread_px(&self) -> Option<usize> {
        self.1
    }
}

#[test]
fn dynamic_sink_spreads_by_the_px_the_bands_tell() {
    let rgba = image();
    for (px, shape, band) in [(0, Shape::Circle, 5), (2, Shape::Square, 1), (3, Shape::Circle, 7)] {
        let recorder = std::sync::Arc::new(std::sync::Mutex::new(Recorder::default()));
        let inner = Box::new(RecordingSink(recorder.clone()));
        let mut sink: Box<dyn Sink> = Box::new(SpreadSink::dynamic(inner, shape, Color::TRANSPARENT));
        sink.begin(&canvas()).unwrap();
        for y0 in (0..H).step_by(band) {
            let height = band.min(H - y0) as u32;
            sink.band(&Told(FakeBand { rgba: &rgba, y0: y0 as u32, height }, Some(px))).unwrap();
        }
        sink.finish().unwrap();
        let got = std::mem::take(&mut recorder.lock().unwrap().rows);
        let expected = Spreader::new(px, shape).for_image_rows().spread_image(&rgba, W);
        assert!(got == expected, "{px} {shape:?}");
        let top_first = Spreader::new(px, shape).spread_image(&rgba, W);
        assert!((got != top_first) == (px > 0), "overlaps composite bottom rows first ({px})");
    }
    // a render that decided nothing is an error, not an unspread image
    let recorder = std::sync::Arc::new(std::sync::Mutex::new(Recorder::default()));
    let inner = Box::new(RecordingSink(recorder));
    let mut sink = SpreadSink::dynamic(inner, Shape::Circle, Color::TRANSPARENT);
    sink.begin(&canvas()).unwrap();
    let err = sink.band(&Told(FakeBand { rgba: &rgba, y0: 0, height: 3 }, None)).unwrap_err();
    assert!(err.to_string().contains("render with dynspread set"), "{err}");
}
