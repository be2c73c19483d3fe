//! Cutting one level's count rows into `{z}/{x}/{y}.png` tiles.
//!
//! A [`TileWriter`] buffers one row of tiles (`tile` rows of the level), then shades and
//! encodes its tiles in parallel. Rows are buffered as counts, so a tile is empty exactly
//! when all its counts are 0, whatever the colours, and empty tiles are not written. The
//! buffer is `4 * tile * level width` bytes: 256 MiB for a 262,144 px wide level. Past
//! [`TileWriterOptions::memory_cap`] it lives in an unlinked-on-drop scratch file read
//! back tile by tile instead, so memory stays bounded whatever the width.
//!
//! Tiles are always 8-bit RGBA PNGs of `tile x tile` pixels; the right and bottom tiles
//! are padded with transparent pixels. Each is written under a temporary name and renamed,
//! so a killed run never leaves half a tile.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::io::scratch::unnamed_file;
use crate::io::{remove_if_present, write_atomically_below};
use crate::pyramid::generic::{encode_tile_rgba, LevelPalette};
use crate::shade::CountShader;

/// Which tiles a writer writes: `(zoom, x, y) -> bool` (all of them by default).
pub type TileSelection = Arc<dyn Fn(u32, u32, u32) -> bool + Send + Sync>;

/// Tuning of a [`TileWriter`].
#[derive(Clone, Debug)]
pub struct TileWriterOptions {
    /// Largest in-memory row-of-tiles buffer in bytes; larger ones go to a scratch file.
    pub memory_cap: u64,
    /// Directory of that scratch file (the system temporary directory when None).
    pub scratch_dir: Option<PathBuf>,
    /// PNG compression of the tiles.
    pub compression: png::Compression,
}

impl Default for TileWriterOptions {
    fn default() -> Self {
        TileWriterOptions { memory_cap: 64 << 20, scratch_dir: None, compression: png::Compression::Fast }
    }
}

/// What a writer did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TileCounts {
    /// Tiles written.
    pub written: u64,
    /// Selected tiles skipped because every count in them was 0.
    pub empty: u64,
}

/// Writes the tiles of one level from its count rows, fed top to bottom.
pub struct TileWriter {
    dir: PathBuf,
    zoom: u32,
    width: u32,
    height: u32,
    tile: u32,
    shader: Arc<CountShader>,
    /// The tiles' palette: the shader's colours and the transparent padding if any.
    palette: Option<LevelPalette>,
    select: TileSelection,
    /// The last answer of [`TileWriter::wants_row`]: (tile row, wanted).
    wanted: std::cell::Cell<Option<(u32, bool)>>,
    options: TileWriterOptions,
    buffer: Option<RowBuffer>,
    /// Rows of the current tile row received so far.
    filled: u32,
    /// The tile row being filled.
    tile_row: u32,
    counts: TileCounts,
}

impl TileWriter {
    /// A writer of zoom `zoom`, a `width x height` level, into `dir/zoom/x/y.png`.
    pub fn new(
        dir: &Path,
        zoom: u32,
        (width, height): (u32, u32),
        tile: u32,
        shader: Arc<CountShader>,
        options: TileWriterOptions,
    ) -> TileWriter {
        let padded = !width.is_multiple_of(tile) || !height.is_multiple_of(tile);
        // The background only tells blank tiles apart, which this writer does by counts.
        let palette = shader.palette().and_then(|p| LevelPalette::new(p, [0; 4], padded));
        TileWriter {
            dir: dir.to_path_buf(),
            zoom,
            width,
            height,
            tile,
            shader,
            palette,
            select: Arc::new(|_, _, _| true),
            wanted: std::cell::Cell::new(None),
            options,
            buffer: None,
            filled: 0,
            tile_row: 0,
            counts: TileCounts::default(),
        }
    }

    /// Writes only the tiles for which `select(zoom, x, y)` holds (shards).
    pub fn with_selection(mut self, select: TileSelection) -> TileWriter {
        self.select = select;
        self.wanted.set(None);
        self
    }

    /// True when level row `row` belongs to a row of tiles with at least one selected tile;
    /// other rows need not be pushed (nor computed).
    pub fn wants_row(&self, row: u32) -> bool {
        let ty = row / self.tile;
        if let Some((cached, wanted)) = self.wanted.get() {
            if cached == ty {
                return wanted;
            }
        }
        let wanted = (0..self.width.div_ceil(self.tile)).any(|tx| (self.select)(self.zoom, tx, ty));
        self.wanted.set(Some((ty, wanted)));
        wanted
    }

    /// Feeds level row `row` (`width` counts). Rows of wanted tile rows must come in order
    /// and complete; rows of unwanted tile rows are ignored. Writes the tiles of a row of
    /// tiles when its last row arrives.
    pub fn push_row(&mut self, row: u32, counts: &[u32]) -> Result<()> {
        assert_eq!(counts.len(), self.width as usize, "row length is not the level width");
        assert!(row < self.height, "row {row} beyond the level height {}", self.height);
        if !self.wants_row(row) {
            return Ok(());
        }
        let ty = row / self.tile;
        if self.filled == 0 {
            assert_eq!(row % self.tile, 0, "a row of tiles must start at its first row");
            self.tile_row = ty;
        }
        assert_eq!(row, ty * self.tile + self.filled, "rows must come in order");
        let width = self.width;
        let rows = self.rows_in(ty);
        let buffer = match &mut self.buffer {
            Some(buffer) => buffer,
            None => {
                self.buffer.insert(RowBuffer::new(u64::from(width) * u64::from(self.tile), &self.options)?)
            }
        };
        buffer.write_row(self.filled, width, counts)?;
        self.filled += 1;
        if self.filled == rows {
            self.flush()?;
            self.filled = 0;
        }
        Ok(())
    }

    /// Tiles written and skipped so far. Every wanted row must have been pushed.
    pub fn finish(self) -> Result<TileCounts> {
        assert_eq!(self.filled, 0, "the last row of tiles is incomplete");
        Ok(self.counts)
    }

    /// Rows of level data in tile row `ty` (the last one may be short).
    fn rows_in(&self, ty: u32) -> u32 {
        (self.height - ty * self.tile).min(self.tile)
    }

    /// Shades, encodes and writes the selected non-empty tiles of the buffered row.
    fn flush(&mut self) -> Result<()> {
        let ty = self.tile_row;
        let Some(buffer) = &self.buffer else { return Ok(()) };
        let selected: Vec<u32> =
            (0..self.width.div_ceil(self.tile)).filter(|&tx| (self.select)(self.zoom, tx, ty)).collect();
        let rows = self.rows_in(ty);
        // The level's directory, made one level deep only (never the pyramid's own
        // directory, which an emergency exit may have removed; see `write_atomically_below`).
        let level = self.dir.join(self.zoom.to_string());
        match std::fs::create_dir(&level) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(Error::io(&level, e)),
            _ => {}
        }
        let results: Vec<Result<bool>> = selected
            .par_iter()
            .map(|&tx| {
                let x0 = tx * self.tile;
                let cols = (self.width - x0).min(self.tile);
                let counts = buffer.read_block(self.width, x0, cols, rows)?;
                let path = tile_path(&self.dir, self.zoom, tx, ty);
                if counts.iter().all(|&c| c == 0) {
                    // A shard writes into a directory earlier runs wrote too: an empty
                    // tile removes the earlier run's (nothing there in a fresh directory).
                    return remove_if_present(&path).map(|()| false);
                }
                let rgba = shade_tile(&self.shader, &counts, cols, self.tile);
                // Encoded as the one-render pyramids encode the same pixels: the same bytes.
                let (side, level) = (self.tile as usize, self.palette.as_ref());
                let png = encode_tile_rgba(&rgba, (side, side), level, self.options.compression)?;
                write_atomically_below(&path, &png)?;
                Ok(true)
            })
            .collect();
        for result in results {
            match result? {
                true => self.counts.written += 1,
                false => self.counts.empty += 1,
            }
        }
        Ok(())
    }
}

/// `dir/zoom/x/y.png`.
pub fn tile_path(dir: &Path, zoom: u32, x: u32, y: u32) -> PathBuf {
    dir.join(zoom.to_string()).join(x.to_string()).join(format!("{y}.png"))
}

/// Shades a `cols`-wide block of counts into a `tile x tile` RGBA image, padded with
/// transparent pixels.
fn shade_tile(shader: &CountShader, counts: &[u32], cols: u32, tile: u32) -> Vec<u8> {
    let (cols, tile) = (cols as usize, tile as usize);
    let mut rgba = vec![0u8; tile * tile * 4];
    for (row, out) in counts.chunks(cols).zip(rgba.chunks_mut(tile * 4)) {
        shader.shade_rgba(row, &mut out[..cols * 4]);
    }
    rgba
}

/// One row of tiles of counts, in memory or in a scratch file.
enum RowBuffer {
    Memory(Vec<u32>),
    File(File),
}

impl RowBuffer {
    /// Room for `values` counts, in memory when under the cap.
    fn new(values: u64, options: &TileWriterOptions) -> Result<RowBuffer> {
        if values * 4 <= options.memory_cap {
            return Ok(RowBuffer::Memory(vec![0; values as usize]));
        }
        let dir = options.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
        let file = unnamed_file(&dir)?;
        Ok(RowBuffer::File(file))
    }

    /// Stores row `row` of the tile row.
    fn write_row(&mut self, row: u32, width: u32, counts: &[u32]) -> Result<()> {
        let start = row as usize * width as usize;
        match self {
            RowBuffer::Memory(values) => {
                values[start..start + counts.len()].copy_from_slice(counts);
                Ok(())
            }
            RowBuffer::File(file) => file
                .write_all_at(bytemuck::cast_slice(counts), start as u64 * 4)
                .map_err(|e| Error::io("pyramid scratch file", e)),
        }
    }

    /// The `cols x rows` block at column `x0`, row by row.
    fn read_block(&self, width: u32, x0: u32, cols: u32, rows: u32) -> Result<Vec<u32>> {
        let (width, x0, cols) = (width as usize, x0 as usize, cols as usize);
        let mut out = vec![0u32; cols * rows as usize];
        for (row, dst) in out.chunks_mut(cols).enumerate() {
            let start = row * width + x0;
            match self {
                RowBuffer::Memory(values) => dst.copy_from_slice(&values[start..start + cols]),
                RowBuffer::File(file) => file
                    .read_exact_at(bytemuck::cast_slice_mut(dst), start as u64 * 4)
                    .map_err(|e| Error::io("pyramid scratch file", e))?,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shade::{Color, Colormap, CountHistogram, How};

    fn shader(counts: &[u32]) -> Arc<CountShader> {
        let mut h = CountHistogram::new();
        h.add_counts(counts);
        Arc::new(CountShader::new(&h, How::Linear, &Colormap::default(), Color::TRANSPARENT))
    }

    fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::BufReader::new(File::open(path).unwrap()));
        // Tiles are indexed when their level's palette holds their colours.
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgba);
        (info.width, info.height, buf)
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        out.sort();
        out
    }

    /// A 40 x 20 level, 16 px tiles: 3 x 2 tiles; counts only in tiles (0,0), (2,1).
    fn level() -> Vec<u32> {
        let mut counts = vec![0u32; 40 * 20];
        counts[3 * 40 + 5] = 7;
        counts[19 * 40 + 39] = 2;
        counts[17 * 40 + 33] = 1;
        counts
    }

    fn write(memory_cap: u64, select: Option<TileSelection>) -> (tempfile::TempDir, TileCounts) {
        let dir = tempfile::tempdir().unwrap();
        let counts = level();
        let options = TileWriterOptions { memory_cap, ..TileWriterOptions::default() };
        let mut writer = TileWriter::new(dir.path(), 3, (40, 20), 16, shader(&counts), options);
        if let Some(select) = select {
            writer = writer.with_selection(select);
        }
        for (row, data) in counts.chunks(40).enumerate() {
            writer.push_row(row as u32, data).unwrap();
        }
        let done = writer.finish().unwrap();
        (dir, done)
    }

    #[test]
    fn writes_padded_tiles_and_skips_empty_ones() {
        let (dir, done) = write(1 << 20, None);
        assert_eq!(done, TileCounts { written: 2, empty: 4 });
        assert_eq!(files(dir.path()), ["3/0/0.png", "3/2/1.png"]);
        let s = shader(&level());
        let (w, h, px) = decode(&dir.path().join("3/2/1.png"));
        assert_eq!((w, h), (16, 16));
        // Level pixel (33, 17) is tile pixel (1, 1); (39, 19) is (7, 3).
        let at = |x: usize, y: usize| px[(y * 16 + x) * 4..(y * 16 + x) * 4 + 4].to_vec();
        let c = |n| {
            let c = s.shade(n);
            vec![c.r, c.g, c.b, c.a]
        };
        assert_eq!(at(1, 1), c(1));
        assert_eq!(at(7, 3), c(2));
        assert_eq!(at(0, 0), [0, 0, 0, 0]);
        // Padding past the level's 40 columns and 20 rows is transparent.
        assert_eq!(at(8, 3), [0, 0, 0, 0]);
        assert_eq!(at(7, 4), [0, 0, 0, 0]);
        assert_eq!(px.chunks(4).filter(|p| p[3] != 0).count(), 2);
    }

    #[test]
    fn the_scratch_file_buffer_gives_the_same_bytes() {
        let (a, _) = write(1 << 20, None);
        let (b, _) = write(0, None);
        for name in files(a.path()) {
            assert_eq!(
                std::fs::read(a.path().join(&name)).unwrap(),
                std::fs::read(b.path().join(&name)).unwrap()
            );
        }
        assert_eq!(files(a.path()), files(b.path()));
    }

    #[test]
    fn selection_limits_the_tiles_and_the_rows_wanted() {
        let select: TileSelection = Arc::new(|z, x, y| z == 3 && y == 1 && x == 2);
        let (dir, done) = write(1 << 20, Some(select.clone()));
        assert_eq!(done, TileCounts { written: 1, empty: 0 });
        assert_eq!(files(dir.path()), ["3/2/1.png"]);
        let writer = TileWriter::new(dir.path(), 3, (40, 20), 16, shader(&[1]), TileWriterOptions::default())
            .with_selection(select);
        assert!(!writer.wants_row(15));
        assert!(writer.wants_row(16));
    }
}
