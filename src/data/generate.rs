//! The deterministic synthetic dataset: a mixture of 2-D Gaussians of very different scales
//! over a uniform background, written in chunks so that 10^9 points need no more memory than
//! 10^6.

//!
//! Determinism: the points are cut into fixed chunks of [`CHUNK_POINTS`]; chunk `c` draws
//! from its own `Pcg64` seeded from `(seed, c)`, so the bytes do not depend on the number of
//! threads. All sampling uses only IEEE-754 `+ - * /` and `sqrt` (the logarithm of the
//! Gaussian sampler is a fixed series, not the platform's libm), so every machine computes
//! the same bits.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use rayon::prelude::*;

use crate::data::npy::{encode_header, DType};
use crate::error::{Error, Field, Result};
use crate::io::AtomicFile;
use crate::progress::{check_cancelled, Progress};

/// Points per chunk; each chunk has its own random stream, so this fixes the output bytes.
pub const CHUNK_POINTS: u64 = 1 << 20;

/// Chunks generated at once (a group) per rayon thread.
pub const GROUP_CHUNKS_PER_THREAD: usize = 1;

/// Most chunks in a group. Each chunk buffers 8 MiB (x and y as f32) and two groups are in
/// flight (one written, one generated), so memory stays under 256 MiB whatever the number of
/// points.
pub const MAX_GROUP_CHUNKS: usize = 16;

/// Share of the points drawn uniformly over the square `[-BACKGROUND_HALF_SIDE,
/// BACKGROUND_HALF_SIDE]^2`.
pub const BACKGROUND_WEIGHT: f64 = 0.10;

/// Half the side of the uniform background's square, centred on the origin.
pub const BACKGROUND_HALF_SIDE: f64 = 10.0;

/// One 2-D Gaussian component of the mixture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cluster {
    /// Centre, x.
    pub x: f64,
    /// Centre, y.
    pub y: f64,
    /// Standard deviation along x.
    pub sigma_x: f64,
    /// Standard deviation along y.
    pub sigma_y: f64,
    /// Correlation of x and y, in (-1, 1): tilts the ellipse.
    pub rho: f64,
    /// Share of all points drawn from this cluster.
    pub weight: f64,
}

/// The Gaussian clusters, chosen so that a count plot of `[-10, 10]^2` shows structure over a
/// wide dynamic range: scales from 0.01 to 3, tilted and elongated ellipses, and tiny dense
/// clusters next to broad faint ones (peak densities span about six orders of magnitude,
/// from the background to the densest cluster).
/// Their weights plus [`BACKGROUND_WEIGHT`] sum to 1. Some tails of the broad clusters leave
/// the square, which exercises range clipping.
#[rustfmt::skip]
pub const CLUSTERS: [Cluster; 11] = [
    // Broad halo over the centre of the plot.
    Cluster { x: 0.0, y: 0.0, sigma_x: 3.0, sigma_y: 3.0, rho: 0.0, weight: 0.2 },
    // Medium round cloud, upper left.
    Cluster { x: -6.0, y: 5.0, sigma_x: 1.5, sigma_y: 1.5, rho: 0.0, weight: 0.12 },
    // Tilted elongated ellipse, lower right.
    Cluster { x: 5.0, y: -5.0, sigma_x: 2.0, sigma_y: 0.5, rho: 0.6, weight: 0.1 },
    // Compact cloud, upper right.
    Cluster { x: 6.0, y: 6.0, sigma_x: 0.8, sigma_y: 0.8, rho: 0.0, weight: 0.08 },
    // Small cloud, lower left.
    Cluster { x: -5.0, y: -6.0, sigma_x: 0.3, sigma_y: 0.3, rho: 0.0, weight: 0.08 },
    // Tight knot inside the halo.
    Cluster { x: 2.0, y: 3.0, sigma_x: 0.1, sigma_y: 0.1, rho: 0.0, weight: 0.07 },
    // Very tight knot inside the halo.
    Cluster { x: -2.0, y: -1.0, sigma_x: 0.05, sigma_y: 0.05, rho: 0.0, weight: 0.06 },
    // Near-point source on the right.
    Cluster { x: 7.5, y: 0.0, sigma_x: 0.02, sigma_y: 0.02, rho: 0.0, weight: 0.05 },
    // The densest spot: a near-point source on the left.
    Cluster { x: -8.0, y: -1.0, sigma_x: 0.01, sigma_y: 0.01, rho: 0.0, weight: 0.04 },
    // Small tilted ellipse near the bottom edge.
    Cluster { x: 3.3, y: -8.0, sigma_x: 0.2, sigma_y: 0.1, rho: -0.5, weight: 0.05 },
    // Flat horizontal band near the top.
    Cluster { x: -1.0, y: 7.5, sigma_x: 2.5, sigma_y: 0.25, rho: 0.0, weight: 0.05 },
];

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Number of points.
    pub points: u64,
    /// Seed; the same seed and count give the same bytes on every machine.
    pub seed: u64,
    /// Directory receiving `x.npy` and `y.npy` (created if missing).
    pub out_dir: PathBuf,
}

/// The files written by [`generate`].
#[derive(Clone, Debug)]
pub struct GeneratedFiles {
    /// The x column (float32).
    pub x: PathBuf,
    /// The y column (float32).
    pub y: PathBuf,
}

/// Writes `x.npy` and `y.npy` (float32, 1-D) with the synthetic point set, chunk by chunk
/// in parallel, each file under a temporary name until complete.
pub fn generate(options: &GenerateOptions, progress: &dyn Progress) -> Result<GeneratedFiles> {
    let count = usize::try_from(options.points)
        .map_err(|_| Error::bad_parameter(Field::Points, "is too large for this machine's address space"))?;
    let dir = &options.out_dir;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut x = Output::create(&dir.join("x.npy"), count)?;
    let mut y = Output::create(&dir.join("y.npy"), count)?;
    progress.stage("generate", options.points);
    let chunks = options.points.div_ceil(CHUNK_POINTS);
    let group = (GROUP_CHUNKS_PER_THREAD * rayon::current_num_threads()).clamp(1, MAX_GROUP_CHUNKS);
    let mixture = Mixture::new();
    // Double buffering: one group is written while the next is generated.
    let mut filled = vec![(Vec::new(), Vec::new()); group];
    let mut spare = filled.clone();
    let (mut n_filled, mut next) = (0, 0u64);
    loop {
        check_cancelled(progress)?;
        let n_next = group.min((chunks - next) as usize);
        if n_filled == 0 && n_next == 0 {
            break;
        }
        let (written, ()) = rayon::join(
            || write_group(&mut x, &mut y, &filled[..n_filled], progress),
            || mixture.fill_group(options, next, &mut spare[..n_next]),
        );
        written?;
        std::mem::swap(&mut filled, &mut spare);
        (n_filled, next) = (n_next, next + n_next as u64);
    }
    Ok(GeneratedFiles { x: x.commit()?, y: y.commit()? })
}

/// Appends the chunks of `group` to the x and y outputs, in order.
fn write_group(
    x: &mut Output,
    y: &mut Output,
    group: &[(Vec<f32>, Vec<f32>)],
    progress: &dyn Progress,
) -> Result<()> {
    for (xs, ys) in group {
        x.write(xs)?;
        y.write(ys)?;
        progress.advance(xs.len() as u64);
    }
    Ok(())
}

/// One output column: an [`AtomicFile`] written through a buffer.
struct Output {
    file: AtomicFile,
    writer: BufWriter<std::fs::File>,
}

impl Output {
    /// Creates the temporary file and writes the header of a float32 array of `count` values.
    fn create(path: &Path, count: usize) -> Result<Output> {
        let mut file = AtomicFile::create(path)?;
        let handle = file.file().try_clone().map_err(|e| Error::io(path, e))?;
        let mut out = Output { file, writer: BufWriter::with_capacity(1 << 16, handle) };
        let header = encode_header(DType::F32, &[count]);
        out.writer.write_all(&header).map_err(|e| Error::io(path, e))?;
        Ok(out)
    }

    /// Appends `values` as little-endian float32.
    fn write(&mut self, values: &[f32]) -> Result<()> {
        let result = if cfg!(target_endian = "little") {
            self.writer.write_all(bytemuck::cast_slice(values))
        } else {
            values.iter().try_for_each(|v| self.writer.write_all(&v.to_le_bytes()))
        };
        result.map_err(|e| Error::io(self.file.path(), e))
    }

    /// Flushes and moves the file into place.
    fn commit(mut self) -> Result<PathBuf> {
        self.writer.flush().map_err(|e| Error::io(self.file.path(), e))?;
        drop(self.writer);
        self.file.commit()
    }
}

/// The mixture ready for sampling: cumulative weights and per-cluster constants.
struct Mixture {
    /// Upper cumulative weight bound of each cluster, after the background's share.
    cumulative: [f64; CLUSTERS.len()],
    /// `sqrt(1 - rho^2)` of each cluster.
    rho_complement: [f64; CLUSTERS.len()],
}

impl Mixture {
    /// Precomputes the sampling tables from [`CLUSTERS`].
    fn new() -> Mixture {
        let mut cumulative = [0.0; CLUSTERS.len()];
        let mut total = BACKGROUND_WEIGHT;
        for (c, cluster) in cumulative.iter_mut().zip(&CLUSTERS) {
            total += cluster.weight;
            *c = total;
        }
        let rho_complement = CLUSTERS.map(|c| (1.0 - c.rho * c.rho).sqrt());
        Mixture { cumulative, rho_complement }
    }

    /// Fills `buffers[i]` with chunk `first + i` of the dataset, in parallel.
    fn fill_group(&self, options: &GenerateOptions, first: u64, buffers: &mut [(Vec<f32>, Vec<f32>)]) {
        buffers.par_iter_mut().enumerate().for_each(|(i, (xs, ys))| {
            let chunk = first + i as u64;
            let len = CHUNK_POINTS.min(options.points - chunk * CHUNK_POINTS) as usize;
            self.fill_chunk(options.seed, chunk, len, xs, ys);
        });
    }

    /// Fills `xs` and `ys` with the `len` points of chunk `chunk` for `seed`.
    fn fill_chunk(&self, seed: u64, chunk: u64, len: usize, xs: &mut Vec<f32>, ys: &mut Vec<f32>) {
        let mut rng = Pcg64::seed_from_u64(seed ^ chunk.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        xs.clear();
        ys.clear();
        for _ in 0..len {
            let (x, y) = self.sample(&mut rng);
            xs.push(x as f32);
            ys.push(y as f32);
        }
    }

    /// Draws one point.
    fn sample(&self, rng: &mut Pcg64) -> (f64, f64) {
        let u = unit(rng);
        if u < BACKGROUND_WEIGHT {
            let side = 2.0 * BACKGROUND_HALF_SIDE;
            return (side * unit(rng) - BACKGROUND_HALF_SIDE, side * unit(rng) - BACKGROUND_HALF_SIDE);
        }
        // The number of clusters whose share ends at or below u (branch-free); rounding may
        // leave u just above the last bound, which then counts for the last cluster.
        let below = &self.cumulative[..CLUSTERS.len() - 1];
        let i = below.iter().map(|&c| usize::from(u >= c)).sum::<usize>();
        let c = &CLUSTERS[i];
        let (z1, z2) = normal_pair(rng);
        let x = c.x + c.sigma_x * z1;
        let y = c.y + c.sigma_y * (c.rho * z1 + self.rho_complement[i] * z2);
        (x, y)
    }
}

/// A uniform f64 in `[0, 1)` with 53 random bits.
fn unit(rng: &mut Pcg64) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Two independent standard normal values (Marsaglia's polar method).
fn normal_pair(rng: &mut Pcg64) -> (f64, f64) {
    loop {
        let u = 2.0 * unit(rng) - 1.0;
        let v = 2.0 * unit(rng) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            let factor = (-2.0 * ln(s) / s).sqrt();
            return (u * factor, v * factor);
        }
    }
}

/// Natural logarithm of a positive normal `x`, with only `+ - * /`: the same bits on every
/// IEEE-754 machine, unlike the platform's libm. The absolute error is below 1e-12, far
/// finer than the float32 output needs.
fn ln(x: f64) -> f64 {
    const LN_2: f64 = std::f64::consts::LN_2;
    /// `1 / (2k + 1)`: the series `ln(m) = 2 z sum z^(2k) / (2k + 1)`, `z = (m-1)/(m+1)`.
    const INVERSE_ODD: [f64; 7] = [1.0, 1.0 / 3.0, 1.0 / 5.0, 1.0 / 7.0, 1.0 / 9.0, 1.0 / 11.0, 1.0 / 13.0];
    let bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        exponent += 1;
    }
    // |z| < 0.172, so the first omitted term, 2 z^15 / 15, is below 5e-13.
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let series = INVERSE_ODD.iter().rev().fold(0.0, |acc, &c| acc * z2 + c);
    exponent as f64 * LN_2 + 2.0 * z * series
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::npy::NpyHeader;
    use crate::progress::NoProgress;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;

    fn run(points: u64, seed: u64, dir: &Path) -> (Vec<u8>, Vec<u8>) {
        let options = GenerateOptions { points, seed, out_dir: dir.to_path_buf() };
        let files = generate(&options, &NoProgress).unwrap();
        assert_eq!((files.x.clone(), files.y.clone()), (dir.join("x.npy"), dir.join("y.npy")));
        (std::fs::read(files.x).unwrap(), std::fs::read(files.y).unwrap())
    }

    fn values(bytes: &[u8]) -> Vec<f32> {
        let h = NpyHeader::parse(bytes).unwrap();
        bytes[h.data_offset..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
    }

    #[test]
    fn ln_matches_std_closely() {
        let mut x = 1e-30;
        while x <= 1.0 {
            let (ours, std) = (ln(x), x.ln());
            assert!((ours - std).abs() <= 1e-12 + 1e-15 * std.abs(), "ln({x}) = {ours} vs {std}");
            x *= 1.0137;
        }
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.5), -std::f64::consts::LN_2);
    }

    #[test]
    fn weights_sum_to_one() {
        let total: f64 = CLUSTERS.iter().map(|c| c.weight).sum::<f64>() + BACKGROUND_WEIGHT;
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        assert!(CLUSTERS.iter().all(|c| c.rho.abs() < 1.0 && c.sigma_x > 0.0 && c.sigma_y > 0.0));
    }

    #[test]
    fn same_seed_same_bytes_whatever_the_threads() {
        let points = CHUNK_POINTS + 1234;
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let first = one.install(|| run(points, 42, a.path()));
        let second = three.install(|| run(points, 42, b.path()));
        assert!(first == second);
        assert_eq!(first.0.len(), 128 + 4 * points as usize);
        let other = run(points, 43, b.path());
        assert!(other.0 != first.0 && other.1 != first.1);
        // Chunk 1 has its own stream: it differs from chunk 0.
        let x = values(&first.0);
        assert_ne!(x[..1234], x[CHUNK_POINTS as usize..]);
    }

    #[test]
    fn writes_float32_columns_with_known_values() {
        let dir = tempfile::tempdir().unwrap();
        let (x, y) = run(5, 7, dir.path());
        for bytes in [&x, &y] {
            let h = NpyHeader::parse(bytes).unwrap();
            assert_eq!((h.dtype, h.shape.as_slice(), h.data_offset), (DType::F32, &[5usize][..], 128));
            assert_eq!(bytes.len(), 128 + 20);
        }
        // Pinned so that any change of the sampler (which changes every dataset) is noticed.
        let bits = |b: &[u8]| values(b).iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&x), GOLDEN_X);
        assert_eq!(bits(&y), GOLDEN_Y);
        let (x0, _) = run(0, 7, dir.path());
        assert_eq!(NpyHeader::parse(&x0).unwrap().shape, vec![0]);
        assert_eq!(x0.len(), 128);
    }

    const GOLDEN_X: [u32; 5] = [3232494323, 1089460643, 3227610482, 1085269900, 1081319708];
    const GOLDEN_Y: [u32; 5] = [1090552406, 1028924337, 1075124919, 1087209479, 3232301139];

    #[test]
    fn distribution_has_structure() {
        let dir = tempfile::tempdir().unwrap();
        let n = 400_000;
        let (x, y) = run(n, 1, dir.path());
        let (x, y) = (values(&x), values(&y));
        assert!(x.iter().chain(&y).all(|v| v.is_finite()));
        let inside = x.iter().zip(&y).filter(|(x, y)| x.abs() <= 10.0 && y.abs() <= 10.0).count();
        assert!(inside as f64 > 0.95 * n as f64, "{inside}");
        let mut grid = vec![0u64; 100 * 100];
        for (&x, &y) in x.iter().zip(&y) {
            if x.abs() < 10.0 && y.abs() < 10.0 {
                grid[((y + 10.0) * 5.0) as usize * 100 + ((x + 10.0) * 5.0) as usize] += 1;
            }
        }
        grid.sort_unstable_by(|a, b| b.cmp(a));
        let densest: u64 = grid[..100].iter().sum();
        assert!(densest as f64 > 0.3 * n as f64, "densest 1% of bins hold {densest} of {n}");
        // Every cluster draws its share: count the points within 3 sigma of each centre.
        for c in CLUSTERS.iter().filter(|c| c.sigma_x.max(c.sigma_y) <= 0.1) {
            let near = x.iter().zip(&y).filter(|(&x, &y)| {
                ((f64::from(x) - c.x) / c.sigma_x).hypot((f64::from(y) - c.y) / c.sigma_y) < 3.0
            });
            let share = near.count() as f64 / n as f64;
            // A disc of radius 3 sigma holds 1 - exp(-4.5) = 98.9% of a 2-D Gaussian.
            let want = c.weight * (1.0 - (-4.5f64).exp());
            assert!((share - want).abs() < 0.003, "cluster at ({}, {}): {share} vs {want}", c.x, c.y);
        }
    }

    #[test]
    fn tiny_cluster_has_its_sigma() {
        let mixture = Mixture::new();
        let mut rng = Pcg64::seed_from_u64(9);
        let c = &CLUSTERS[8];
        let (mut n, mut sx, mut sxx) = (0.0, 0.0, 0.0);
        for _ in 0..200_000 {
            let (x, y) = mixture.sample(&mut rng);
            if (x - c.x).abs() < 0.1 && (y - c.y).abs() < 0.1 {
                n += 1.0;
                sx += x - c.x;
                sxx += (x - c.x) * (x - c.x);
            }
        }
        let sd = (sxx / n - (sx / n) * (sx / n)).sqrt();
        assert!((n / 200_000.0 - c.weight).abs() < 0.003, "{n}");
        assert!((sd / c.sigma_x - 1.0).abs() < 0.03, "sd {sd}");
    }

    /// Records events and cancels once `cancel_after` units are done.
    struct Recorder {
        stages: Mutex<Vec<(String, u64)>>,
        done: AtomicU64,
        cancel_after: u64,
    }

    impl Progress for Recorder {
        fn stage(&self, name: &str, total: u64) {
            self.stages.lock().unwrap().push((name.to_string(), total));
        }
        fn advance(&self, units: u64) {
            self.done.fetch_add(units, Ordering::Relaxed);
        }
        fn is_cancelled(&self) -> bool {
            self.done.load(Ordering::Relaxed) >= self.cancel_after
        }
    }

    #[test]
    fn reports_progress_and_stops_when_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("new/sub");
        let points = 3 * CHUNK_POINTS;
        let options = GenerateOptions { points, seed: 0, out_dir: out_dir.clone() };
        let recorder = Recorder { stages: Mutex::default(), done: AtomicU64::new(0), cancel_after: u64::MAX };
        generate(&options, &recorder).unwrap();
        assert_eq!(*recorder.stages.lock().unwrap(), vec![("generate".to_string(), points)]);
        assert_eq!(recorder.done.load(Ordering::Relaxed), points);

        let cancelled = tempfile::tempdir().unwrap();
        let options = GenerateOptions { points, seed: 0, out_dir: cancelled.path().to_path_buf() };
        let recorder = Recorder { stages: Mutex::default(), done: AtomicU64::new(0), cancel_after: 1 };
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let err = one.install(|| generate(&options, &recorder)).unwrap_err();
        assert!(matches!(err, Error::Interrupted));
        assert_eq!(std::fs::read_dir(cancelled.path()).unwrap().count(), 0);
    }
}
