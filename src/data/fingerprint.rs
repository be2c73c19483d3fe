//! A cheap identity of a file's contents, so results computed from one dataset (pyramid
//! statistics) are not taken for another that only shares its name and size.
//!
//! The fingerprint is the file's size and a 64-bit XXH3 hash of the size and of sampled
//! blocks: the first block (which holds the `.npy` header), [`SAMPLES`] more spread
//! evenly over the file, and the last block. That is at most 4 MiB read whatever the size
//! of the file (a few milliseconds from the page cache, well under a second from disk for
//! an 8 GB column), and a file no larger than that is hashed whole. A change that touches
//! no sampled block is not seen: the fingerprint guards against other or regenerated
//! data, not against a deliberate forgery.

use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::{Error, Result};

/// Bytes of one sampled block.
pub const BLOCK: u64 = 64 << 10;

/// Blocks sampled after the first, evenly spaced; the last of them ends at the end of
/// the file.
pub const SAMPLES: u64 = 64;

/// Size and sampled hash of a file's contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fingerprint {
    /// Length of the file in bytes.
    pub size: u64,
    /// XXH3-64 of the size and the sampled blocks, as 16 hex digits in JSON.
    #[serde(with = "hex64")]
    pub xxh3: u64,
}

impl Fingerprint {
    /// Reads the sampled blocks of `path` and hashes them; errors name the file.
    pub fn of_file(path: &Path) -> Result<Fingerprint> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&size.to_le_bytes());
        let mut block = vec![0u8; BLOCK as usize];
        for (offset, len) in sample_blocks(size) {
            let buf = &mut block[..len as usize];
            file.read_exact_at(buf, offset).map_err(|e| {
                if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    Error::InputChanged { path: path.to_path_buf() }
                } else {
                    Error::io(path, e)
                }
            })?;
            hasher.update(buf);
        }
        Ok(Fingerprint { size, xxh3: hasher.digest() })
    }
}

/// The (offset, length) of every block hashed for a file of `size` bytes, in order: the
/// whole file in blocks when it is small, else the first block and [`SAMPLES`] blocks
/// spread evenly, the last ending at the end of the file.
pub fn sample_blocks(size: u64) -> Vec<(u64, u64)> {
    if size <= (SAMPLES + 1) * BLOCK {
        return (0..size.div_ceil(BLOCK)).map(|i| (i * BLOCK, BLOCK.min(size - i * BLOCK))).collect();
    }
    let span = size - BLOCK;
    // u128: span * i can exceed u64 for files over 2^58 bytes.
    (0..=SAMPLES).map(|i| ((u128::from(span) * u128::from(i) / u128::from(SAMPLES)) as u64, BLOCK)).collect()
}

/// Serialises a u64 as 16 lower-case hex digits (JSON readers in other languages lose
/// integers above 2^53).
mod hex64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{value:016x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() != 16 {
            return Err(serde::de::Error::custom(format!("'{text}' is not 16 hex digits")));
        }
        u64::from_str_radix(&text, 16).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_are_hashed_whole_and_large_ones_sampled() {
        assert_eq!(sample_blocks(0), []);
        assert_eq!(sample_blocks(10), [(0, 10)]);
        assert_eq!(sample_blocks(BLOCK + 1), [(0, BLOCK), (BLOCK, 1)]);
        assert_eq!(sample_blocks(65 * BLOCK).len(), 65);
        let size = 8_000_000_123;
        let blocks = sample_blocks(size);
        assert_eq!(blocks.len(), 65);
        assert_eq!(blocks[0], (0, BLOCK));
        assert_eq!(*blocks.last().unwrap(), (size - BLOCK, BLOCK));
        assert!(blocks.windows(2).all(|w| w[0].0 + BLOCK <= w[1].0), "blocks do not overlap");
    }

    #[test]
    fn a_sampled_change_changes_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.npy");
        let size = 100 * BLOCK + 7;
        let mut bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let a = Fingerprint::of_file(&path).unwrap();
        assert_eq!(a, Fingerprint::of_file(&path).unwrap());
        assert_eq!(a.size, size);
        for at in [0, size / 2, size - 1] {
            let block = sample_blocks(size).into_iter().find(|&(o, l)| o <= at && at < o + l);
            assert!(block.is_some(), "byte {at} is sampled");
            bytes[at as usize] ^= 1;
            std::fs::write(&path, &bytes).unwrap();
            assert_ne!(Fingerprint::of_file(&path).unwrap(), a, "byte {at}");
            bytes[at as usize] ^= 1;
        }
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Fingerprint>(&json).unwrap(), a);
        assert!(json.contains(&format!("\"{:016x}\"", a.xxh3)), "{json}");
    }
}
