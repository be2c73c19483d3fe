//! Sparse canvases of many bands (issue 14): a band's count statistics are gathered from
//! the pixels its records reach, tile by tile, without filling the band; the render pass
//! reads the lit cells the statistics pass kept with their masks (`render/kept.rs`: here
//! with tiles of 256 and 64, whose masks are smaller than the records) or folds a sparse
//! band's records again in one window (tiles of 7, whose masks' partial words outweigh
//! them); empty pixels are indexed, and mapped into a figure's palette, a block at a time.
//! The palette PNG, the figure and the aggregate are byte for byte those of the same canvas
//! rendered as one band (direct aggregation), for every tile size and thread count, and
//! also when a band holds more records than a window (the statistics then fill the band as
//! before and keep its lit cells from it).

use gigaplot::{
    render, AggregateArraySink, Colormap, Compression, FigureSink, FigureSpec, How, MemoryColumn, NoProgress,
    PngSink, PointColumns, Reduction, RenderOptions, RgbaSink, Sink,
};

const MIB: u64 = 1 << 20;

/// (bands, palette PNG, figure PNG, aggregate `.npy`) of one render.
fn render_all(points: &PointColumns, options: &RenderOptions) -> (u32, Vec<u8>, Vec<u8>, Vec<u8>) {
    let (png, png_bytes) = PngSink::to_writer(Vec::new(), Compression::Fast);
    let spec = FigureSpec { title: Some("Sparse bands".into()), ..FigureSpec::default() };
    let (figure, figure_bytes) = FigureSink::to_writer(Vec::new(), Compression::Fast, spec, None);
    let (aggregate, array) = AggregateArraySink::new();
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(png), Box::new(figure), Box::new(aggregate)];
    let report = render(points, options, sinks, &NoProgress).unwrap();
    let aggregate = array.take().unwrap().bytes().to_vec();
    (report.plan.bands, png_bytes.take().unwrap(), figure_bytes.take().unwrap(), aggregate)
}

/// (bands, palette PNG, figure PNG, RGBA) of one render whose outputs all read the shaded
/// pixels alone, so bands are shaded straight to palette indices (`render/indexed.rs`).
fn render_shaded(points: &PointColumns, options: &RenderOptions) -> (u32, Vec<u8>, Vec<u8>, Vec<u8>) {
    let (png, png_bytes) = PngSink::to_writer(Vec::new(), Compression::Fast);
    let spec = FigureSpec { title: Some("Sparse bands".into()), ..FigureSpec::default() };
    let (figure, figure_bytes) = FigureSink::to_writer(Vec::new(), Compression::Fast, spec, None);
    let (rgba, image) = RgbaSink::new();
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(png), Box::new(figure), Box::new(rgba)];
    let report = render(points, options, sinks, &NoProgress).unwrap();
    let rgba = image.take().unwrap().into_pixels();
    (report.plan.bands, png_bytes.take().unwrap(), figure_bytes.take().unwrap(), rgba)
}

fn options(size: (u32, u32), reduction: Reduction, tile: u32, threads: usize, budget: u64) -> RenderOptions {
    RenderOptions {
        width: size.0,
        height: size.1,
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        how: How::EqHist,
        cmap: Colormap::by_name("fire").unwrap(),
        reduction,
        tile,
        threads: Some(threads),
        memory_budget: budget,
        ..RenderOptions::default()
    }
}

/// The budget that cuts a canvas `width` wide into bands of `rows` rows of counts
/// (`canvas/plan.rs`: fixed and per-thread costs, two band buffers).
fn budget_for(rows: u64, width: u32, threads: usize) -> u64 {
    40 * MIB + 20 * MIB * threads as u64 + 2 * rows * u64::from(width) * 4
}

/// Checks that every (tile, threads) render of `points` in bands of `rows` rows gives the
/// bytes of the one-band render.
fn same_as_one_band(points: &PointColumns, size: (u32, u32), rows: u64, runs: &[(u32, usize)]) {
    for reduction in [Reduction::Count, Reduction::Any] {
        let (bands, want_png, want_figure, want_aggregate) =
            render_all(points, &options(size, reduction, 256, 2, 256 * MIB));
        assert_eq!(bands, 1, "the reference is one band");
        assert_eq!(&want_png[25..26], &[3], "a palette PNG");
        let (_, _, _, want_rgba) = render_shaded(points, &options(size, reduction, 256, 2, 256 * MIB));
        for &(tile, threads) in runs {
            let budget = budget_for(rows, size.0, threads);
            let (bands, png, figure, aggregate) =
                render_all(points, &options(size, reduction, tile, threads, budget));
            let at = format!("{reduction}, {size:?} in bands of {rows} rows, tile {tile}, {threads} threads");
            assert!(bands > 2, "{at}: {bands} bands");
            assert!(aggregate == want_aggregate, "{at}: the aggregate differs");
            assert!(png == want_png, "{at}: the PNG differs");
            assert!(figure == want_figure, "{at}: the figure differs");
            // The same bands shaded straight to indices.
            let (bands, png, figure, rgba) =
                render_shaded(points, &options(size, reduction, tile, threads, budget));
            assert!(bands > 2, "{at}: {bands} bands, shaded");
            assert!(png == want_png, "{at}: the PNG shaded to indices differs");
            assert!(figure == want_figure, "{at}: the figure shaded to indices differs");
            assert!(rgba == want_rgba, "{at}: the RGBA shaded to indices differs");
        }
    }
}

#[test]
fn sparse_bands_give_the_bytes_of_one_band() {
    // 40,000 clustered points on 1.2 megapixels: most blocks of 16 pixels are empty, some
    // are not, and the width (1203) leaves a remainder after the blocks.
    let (xs, ys, _, _) = crate::common::clustered_columns(0x51ce_7a11_u64, 40_000);
    let points = PointColumns::from_sources(
        Box::new(MemoryColumn::new("x", xs)),
        Box::new(MemoryColumn::new("y", ys)),
    )
    .unwrap();
    let runs = [(256, 1), (256, 2), (7, 2), (64, 1)];
    same_as_one_band(&points, (1203, 997), 64, &runs);
}

#[test]
fn a_band_with_more_records_than_a_window_gives_the_bytes_of_one_band() {
    // 1.3 million points in a strip of 130 rows of a 4001 x 2601 canvas: one band of 256
    // rows holds them all, more than a window of the smallest budget (1 Mi records).
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let n = 1_300_000;
    let xs: Vec<f32> = (0..n).map(|_| next(1 << 20) as f32 / (1 << 20) as f32).collect();
    let ys: Vec<f64> = (0..n).map(|_| 0.55 + next(1 << 20) as f64 / (1 << 20) as f64 * 0.05).collect();
    let points = PointColumns::from_sources(
        Box::new(MemoryColumn::new("x", xs)),
        Box::new(MemoryColumn::new("y", ys)),
    )
    .unwrap();
    same_as_one_band(&points, (4001, 2601), 256, &[(256, 2), (7, 1)]);
}
