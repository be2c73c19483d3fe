//! Criterion benchmarks of gigaplot's kernels, each on sizes that show how its cost grows:
//! binning points, the partition pass, band aggregation, shading (to RGBA and to palette
//! indices), and PNG encoding (truecolour and indexed).
//!
//! Run with `cargo bench -p gigaplot-kernels` (benches/kernels/Cargo.toml gives it criterion); add
//! a filter (`cargo bench -p gigaplot-kernels -- png`)
//! to run one group. Input files are generated once per run in a temporary directory.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
// The kernels measured are internals, reached through the hidden `__bench` module.
use gigaplot::__bench::{
    partition, Axis, BandCells, Binner, Count, CountHistogram, CountShader, PixelFormat, Plan, PngWriter,
    PointBinner, Points,
};
use gigaplot::{
    generate, AtomicFile, Color, Colormap, ColumnSpec, Compression, GenerateOptions, How, NoProgress,
    PointColumns, Scale,
};

const POINT_COUNTS: [u64; 2] = [1_000_000, 10_000_000];

fn dataset(dir: &Path, points: u64) -> PointColumns<'static> {
    let out = dir.join(format!("p{points}"));
    let files = generate(&GenerateOptions { points, seed: 3, out_dir: out }, &NoProgress).unwrap();
    PointColumns::open(
        &ColumnSpec { path: files.x, ..Default::default() },
        &ColumnSpec { path: files.y, ..Default::default() },
    )
    .unwrap()
}

fn axes(width: u32, height: u32) -> (Axis, Axis) {
    (
        Axis::new(gigaplot::Field::XRange, (-10.0, 10.0), width, Scale::Linear).unwrap(),
        Axis::new(gigaplot::Field::YRange, (-10.0, 10.0), height, Scale::Linear).unwrap(),
    )
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gigaplot-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Points mapped to band records per second (no I/O beyond the page cache).
fn bin_points(c: &mut Criterion) {
    let dir = temp_dir();
    let mut group = c.benchmark_group("bin_points");
    for &n in &POINT_COUNTS {
        let points = dataset(&dir, n);
        let plan = Plan::new(16_000, 16_000, 256, 256 << 20, 2, 4).unwrap();
        let (x, y) = axes(plan.width, plan.height);
        let binner = PointBinner::new(&points, x, y, &plan);
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let mut sum = 0u64;
                binner.bin(0, points.len(), |band, record| sum += u64::from(band ^ record)).unwrap();
                black_box(sum)
            })
        });
    }
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

/// Direct aggregation (a one-band 2000^2 count canvas binned straight from the columns, 2
/// threads, no partition), against a plain parallel read of the same columns into f64:
/// points per second of each, so the gap is the cost of binning and folding.
fn direct_aggregation(c: &mut Criterion) {
    use gigaplot::{render, AggregateArraySink, RenderOptions, Sink};
    use rayon::prelude::*;
    let dir = temp_dir();
    let n = 10_000_000;
    let points = dataset(&dir, n);
    let mut group = c.benchmark_group("direct");
    group.throughput(Throughput::Elements(n));
    let options = RenderOptions {
        width: 2000,
        height: 2000,
        x_range: Some((-10.0, 10.0)),
        y_range: Some((-10.0, 10.0)),
        threads: Some(2),
        ..RenderOptions::default()
    };
    group.bench_function("count_2000", |b| {
        b.iter(|| {
            let (sink, counts) = AggregateArraySink::new();
            render(&points, &options, vec![Box::new(sink) as Box<dyn Sink>], &NoProgress).unwrap();
            black_box(counts.take().unwrap().bytes().len())
        })
    });
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    group.bench_function("read_columns", |b| {
        b.iter(|| {
            pool.install(|| {
                (0..points.len().div_ceil(1 << 20))
                    .into_par_iter()
                    .map(|c| {
                        let start = c << 20;
                        let len = (1 << 20).min(points.len() - start);
                        let mut buffer = vec![0.0; len];
                        let mut sum = 0.0;
                        for column in [&points.x, &points.y] {
                            column.read_f64(start, &mut buffer).unwrap();
                            sum += buffer.iter().sum::<f64>();
                        }
                        sum
                    })
                    .sum::<f64>()
            })
        })
    });
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

/// Direct counting's kernels on 10^7 float32 points held in memory (2000^2, 2 threads),
/// points per second against reading the same columns: `read` adds up the bits of x and y
/// (a vectorised sum, so memory bandwidth, not the adder, bounds it: the ceiling of any
/// kernel that reads 8 bytes a point), `index` computes the pixel indices with each
/// instruction set, `index_tally` also counts them in one tally per thread (the whole pass of
/// a count render's aggregation, without page arrival), and `tally` counts indices computed
/// beforehand (the increments alone, their indices read from memory).
///
/// Each thread takes half of the points, in runs of 2^20, as a render of 10^9 points keeps
/// both busy to the end with its thousand chunks (10^7 points dealt out in 9.5 chunks of
/// 2^20 gave one thread half a chunk more; that measured the same, 2026-12-07).
fn count_kernel(c: &mut Criterion) {
    use gigaplot::__bench::{Isa, Tally};
    use gigaplot::{Floats, MemoryColumn};
    use rayon::prelude::*;
    let dir = temp_dir();
    let n = 10_000_000u64;
    let on_disk = dataset(&dir, n);
    let in_memory = |column: &dyn gigaplot::Source| -> Vec<f32> {
        let mut values = vec![0.0; column.len()];
        column.read_f64(0, &mut values).unwrap();
        values.into_iter().map(|v| v as f32).collect()
    };
    let (xs, ys) = (in_memory(&*on_disk.x), in_memory(&*on_disk.y));
    std::fs::remove_dir_all(&dir).ok();
    let points = PointColumns::from_sources(
        Box::new(MemoryColumn::new("x", &xs[..])),
        Box::new(MemoryColumn::new("y", &ys[..])),
    )
    .unwrap();
    let plan = Plan::new(2000, 2000, 256, 256 << 20, 2, 4).unwrap();
    let (x, y) = axes(plan.width, plan.height);
    let binner = PointBinner::new(&points, x, y, &plan);
    const THREADS: usize = 2;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(THREADS).build().unwrap();
    // Thread `w`'s runs: (start, length) of at most 2^20 points within its half.
    let runs = |w: usize| {
        let (from, to) = (points.len() * w / THREADS, points.len() * (w + 1) / THREADS);
        (from..to).step_by(1 << 20).map(move |start| (start, (1 << 20).min(to - start)))
    };
    let mut group = c.benchmark_group("count_kernel");
    group.throughput(Throughput::Elements(n));
    group.bench_function("read", |b| {
        b.iter(|| {
            pool.install(|| {
                (0..THREADS)
                    .into_par_iter()
                    .map(|w| {
                        let mut sum = 0u32;
                        for (start, len) in runs(w) {
                            for column in [&points.x, &points.y] {
                                if let Some(Floats::F32(values)) = column.floats(start, len) {
                                    sum = values.iter().fold(sum, |s, v| s.wrapping_add(v.to_bits()));
                                }
                            }
                        }
                        u64::from(sum)
                    })
                    .sum::<u64>()
            })
        })
    });
    for isa in Isa::available() {
        let kernel = gigaplot::__bench::PixelIndex::with_isa(x, y, isa);
        group.bench_function(BenchmarkId::new("index", format!("{isa:?}")), |b| {
            b.iter(|| {
                pool.install(|| {
                    (0..THREADS)
                        .into_par_iter()
                        .map(|w| {
                            let mut sum = 0u64;
                            for (start, len) in runs(w) {
                                let add = |indices: &[u32]| sum += u64::from(indices[0]);
                                binner.index_pixels(&kernel, start, len, add).unwrap();
                            }
                            sum
                        })
                        .sum::<u64>()
                })
            })
        });
    }
    let kernel = binner.pixel_index();
    let mut tallies: Vec<std::sync::Mutex<Tally>> =
        (0..THREADS).map(|_| std::sync::Mutex::new(Tally::new(kernel.dropped() as usize + 1))).collect();
    group.bench_function("index_tally", |b| {
        b.iter(|| {
            pool.install(|| {
                tallies.par_iter_mut().enumerate().for_each(|(w, tally)| {
                    let tally = tally.get_mut().unwrap();
                    for (start, len) in runs(w) {
                        binner.index_pixels(&kernel, start, len, |indices| tally.add(indices)).unwrap();
                    }
                })
            })
        })
    });
    // The tally alone, on the indices computed beforehand: the ceiling of the increments.
    let indices: Vec<Vec<u32>> = (0..THREADS)
        .map(|w| {
            let mut all = Vec::new();
            for (start, n) in runs(w) {
                binner.index_pixels(&kernel, start, n, |run| all.extend_from_slice(run)).unwrap();
            }
            all
        })
        .collect();
    group.bench_function("tally", |b| {
        b.iter(|| {
            pool.install(|| {
                tallies.par_iter_mut().zip(&indices).for_each(|(tally, indices)| {
                    let tally = tally.get_mut().unwrap();
                    indices.chunks(gigaplot::__bench::INDEX_RUN).for_each(|run| tally.add(run));
                })
            })
        })
    });
    group.finish();
}

/// The whole partition pass (bin and append blocks to the scratch file), by points and bands.
fn partition_pass(c: &mut Criterion) {
    let dir = temp_dir();
    let mut group = c.benchmark_group("partition");
    for &n in &POINT_COUNTS {
        let points = dataset(&dir, n);
        for side in [2_000u32, 20_000] {
            let plan = Plan::new(side, side, 256, 256 << 20, 2, 4).unwrap();
            let (x, y) = axes(side, side);
            let binner = PointBinner::new(&points, x, y, &plan);
            group.throughput(Throughput::Elements(n));
            let id = BenchmarkId::new(format!("{}_bands", plan.bands), n);
            group.bench_with_input(id, &n, |b, _| {
                b.iter(|| black_box(partition(&binner, &dir, &NoProgress).unwrap().total()))
            });
        }
    }
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

/// Aggregating one band of counts from the partition, by canvas width.
fn aggregate_band(c: &mut Criterion) {
    let dir = temp_dir();
    let points = dataset(&dir, 10_000_000);
    let mut group = c.benchmark_group("aggregate_band");
    for side in [4_000u32, 20_000] {
        let plan = Plan::new(side, side, 256, 256 << 20, 2, 4).unwrap();
        let (x, y) = axes(side, side);
        let part = partition(&PointBinner::new(&points, x, y, &plan), &dir, &NoProgress).unwrap();
        let band = plan.bands / 2;
        group.throughput(Throughput::Elements(part.band_len(band)));
        let mut counts = BandCells::default();
        group.bench_function(BenchmarkId::from_parameter(side), |b| {
            b.iter(|| counts.aggregate_records(&Points, &Count, &plan, &part, band).unwrap())
        });
    }
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

/// A row of counts with the long tail of a real plot: mostly empty, many small counts,
/// a few large ones.
fn plot_like_counts(len: usize) -> Vec<u32> {
    let mut state = 0x9e37_79b9u32;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            match state % 100 {
                0..=59 => 0,
                60..=97 => state % 50,
                _ => state % 200_000,
            }
        })
        .collect()
}

/// Shading counts to RGBA, pixels per second, by how.
fn shade(c: &mut Criterion) {
    let counts = plot_like_counts(1 << 20);
    let mut histogram = CountHistogram::new();
    histogram.add_counts(&counts);
    let mut out = vec![0u8; counts.len() * 4];
    let mut group = c.benchmark_group("shade_rgba");
    group.throughput(Throughput::Elements(counts.len() as u64));
    for how in [How::EqHist, How::Log, How::Linear] {
        let shader =
            CountShader::new(&histogram, how, &Colormap::by_name("viridis").unwrap(), Color::TRANSPARENT);
        group.bench_function(how.to_string(), |b| b.iter(|| shader.shade_rgba(&counts, &mut out)));
    }
    group.finish();
    // The palette path: a plot whose counts have 31 colours (the 10^7-point 16000^2 case),
    // shaded straight to a byte of palette index per pixel.
    let small: Vec<u32> = counts.iter().map(|&c| c % 31).collect();
    let mut small_histogram = CountHistogram::new();
    small_histogram.add_counts(&small);
    let mut indices = vec![0u8; small.len()];
    let mut group = c.benchmark_group("shade_indices");
    group.throughput(Throughput::Elements(small.len() as u64));
    for how in [How::EqHist, How::Log, How::Linear] {
        let shader = CountShader::new(
            &small_histogram,
            how,
            &Colormap::by_name("viridis").unwrap(),
            Color::TRANSPARENT,
        );
        assert!(shader.palette().is_some(), "31 counts fit a palette");
        group.bench_function(how.to_string(), |b| {
            b.iter(|| assert!(shader.shade_indices(&small, &mut indices)))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("histogram");
    group.throughput(Throughput::Elements(counts.len() as u64));
    group.bench_function("add_counts", |b| {
        b.iter(|| {
            let mut h = CountHistogram::new();
            h.add_counts(&counts);
            black_box(h.pixels())
        })
    });
    group.finish();
}

/// PNG encoding: raw RGBA bytes into the file per second, sparse and dense plots.
fn png_encode(c: &mut Criterion) {
    let dir = temp_dir();
    let counts = plot_like_counts(1 << 20);
    let mut histogram = CountHistogram::new();
    histogram.add_counts(&counts);
    let shader =
        CountShader::new(&histogram, How::EqHist, &Colormap::by_name("fire").unwrap(), Color::TRANSPARENT);
    let mut group = c.benchmark_group("png_encode");
    for (name, lit_percent) in [("sparse", 1u32), ("dense", 100)] {
        for (width, height) in [(4_000u32, 1_000u32), (20_000, 1_000)] {
            let row_counts: Vec<Vec<u32>> = (0..16)
                .map(|r| {
                    plot_like_counts(width as usize + r)
                        .into_iter()
                        .skip(r)
                        .enumerate()
                        .map(|(i, c)| if (i as u32 * 7919) % 100 < lit_percent { c.max(1) } else { 0 })
                        .collect()
                })
                .collect();
            group.throughput(Throughput::Bytes(u64::from(width) * u64::from(height) * 4));
            let id = BenchmarkId::new(name, format!("{width}x{height}"));
            group.bench_function(id, |b| {
                b.iter(|| {
                    let path = dir.join("bench.png");
                    let mut png =
                        PngWriter::create(&path, width, height, PixelFormat::Rgba, Compression::Fast)
                            .unwrap();
                    png.write_rows(height as usize, &|row, out| {
                        shader.shade_rgba(&row_counts[row % 16], out)
                    })
                    .unwrap();
                    png.finish().unwrap().commit().unwrap();
                })
            });
        }
    }
    group.finish();
    // Indexed colour (what count plots write): 31 colours, 8-bit indices shaded straight
    // from the counts; throughput in the RGBA bytes the same image takes, as above.
    let mut group = c.benchmark_group("png_encode_indexed");
    for (name, lit_percent) in [("sparse", 4u32), ("dense", 100)] {
        let (width, height) = (16_000u32, 1_000u32);
        let row_counts: Vec<Vec<u32>> = (0..16)
            .map(|r| {
                plot_like_counts(width as usize + r)
                    .into_iter()
                    .skip(r)
                    .enumerate()
                    .map(|(i, c)| if (i as u32 * 7919) % 100 < lit_percent { c % 30 + 1 } else { 0 })
                    .collect()
            })
            .collect();
        let mut histogram = CountHistogram::new();
        row_counts.iter().for_each(|row| histogram.add_counts(row));
        let shader = CountShader::new(
            &histogram,
            How::EqHist,
            &Colormap::by_name("fire").unwrap(),
            Color::TRANSPARENT,
        );
        let palette = shader.palette().expect("31 colours fit a palette").clone();
        group.throughput(Throughput::Bytes(u64::from(width) * u64::from(height) * 4));
        let id = BenchmarkId::new(name, format!("{width}x{height}"));
        group.bench_function(id, |b| {
            b.iter(|| {
                let path = dir.join("bench-indexed.png");
                let file = AtomicFile::create(&path).unwrap();
                let mut png =
                    PngWriter::indexed(file, width, height, palette.clone(), Compression::Fast).unwrap();
                png.write_rows(height as usize, &|row, out| {
                    assert!(shader.shade_indices(&row_counts[row % 16], out))
                })
                .unwrap();
                png.finish().unwrap().commit().unwrap();
            })
        });
    }
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = kernels;
    config = config();
    targets = bin_points, direct_aggregation, count_kernel, partition_pass, aggregate_band, shade, png_encode
}
criterion_main!(kernels);
