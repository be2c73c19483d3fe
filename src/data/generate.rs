//! The deterministic synthetic dataset: a mixture of 2-D Gaussians of very different scales
//! over a uniform background, written in chunks so that 10^9 points need no more memory than
//! 10^6.

use std::path::PathBuf;

use crate::error::Result;
use crate::progress::Progress;

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
    let _ = (options, progress);
    todo!()
}
