//! A band shaded straight to palette indices, tile by tile: the render pass's road when
//! every output reads the shaded pixels alone (a PNG, a figure, an RGBA image:
//! [`crate::sink::Sink::reads_shaded_only`]), the shading has a palette, and the fill hands
//! out each tile's lit cells with their mask ([`Fill::fold_lit`], or the lit cells
//! `kept.rs` kept).
//!
//! The dense road fills a band of cells (a u32 per pixel: 20 MB for 256 rows of 20000
//! pixels), then reads all of it again to shade each row. At 10^8 points on 20000^2, 90 %
//! of whose pixels are empty, that was 3 GB of memory traffic, and shading the rows was a
//! quarter of the render pass. Here each tile's lit cells are shaded while they are in
//! cache and written as a byte per pixel (a quarter of the cells' bytes); a tile that no
//! record reached is not written at all, its rows are the empty index. The indices are the
//! ones [`Band::index_row`] gives from the cells, so the PNG's bytes do not change.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::canvas::{Plan, TileLayout};
use crate::error::Result;
use crate::reduce::Reducer;
use crate::render::band::{Fill, LitTile};
use crate::render::kept::Kept;
use crate::render::lit_cells;
use crate::shade::{ColorScale, Family, Palette, PixelFormat};
use crate::sink::Band;

/// The shader of reducer `R`'s family.
type Shader<R> = <<R as Reducer>::Family as Family>::Shader;

/// What bands are shaded with on the indexed road: the canvas's shader, its palette, and
/// its colour scale (for a figure's colorbar).
pub(crate) struct Shading<'a, R: Reducer> {
    pub shader: &'a Shader<R>,
    pub palette: Arc<Palette>,
    pub color_scale: Option<ColorScale>,
}

/// One band's palette indices, a byte per pixel, tile by tile in the band's [`TileLayout`]
/// (each tile's rows one after the other), reused from band to band.
#[derive(Default)]
pub(crate) struct IndexedBand {
    layout: Option<TileLayout>,
    /// First canvas row of the band.
    y0: u32,
    /// Each tile's indices, row after row, allocated when a tile is first written (so a
    /// fill that cannot fold lit costs no memory) and kept for the next band; only the
    /// written tiles' are meaningful.
    tiles: Vec<Vec<u8>>,
    /// Which tiles were written; the others are wholly `empty`.
    written: Vec<bool>,
    /// The index of an empty cell.
    empty: u8,
    palette: Option<Arc<Palette>>,
    color_scale: Option<ColorScale>,
}

impl IndexedBand {
    /// Shades band `band` to indices from the lit cells `kept` holds of it, or else from
    /// `fill`'s masked fold. False (the band is left to the dense road) when neither can
    /// give them, or when a cell's colour is not in the palette.
    pub fn shade<R: Reducer>(
        &mut self,
        reducer: &R,
        fill: &dyn Fill<R>,
        plan: &Plan,
        band: u32,
        kept: Option<&Kept<R>>,
        shading: &Shading<'_, R>,
    ) -> Result<bool> {
        let shader = shading.shader;
        let Some(empty) = index_of_empty(reducer, shader) else { return Ok(false) };
        let layout = fill.layout(plan, band);
        self.tiles.resize_with(layout.tiles(), Vec::new);
        (self.y0, self.empty) = (layout.canvas_rows().start, empty);
        (self.palette, self.color_scale) = (Some(shading.palette.clone()), shading.color_scale.clone());
        let complete = AtomicBool::new(true);
        let written: Vec<AtomicBool> = (0..layout.tiles()).map(|_| AtomicBool::new(false)).collect();
        let tiles: Vec<Mutex<Vec<u8>>> =
            std::mem::take(&mut self.tiles).into_iter().map(Mutex::new).collect();
        // A tile's lit cells, shaded, then spread over its pixels by its mask.
        let shade_tile = |tile: usize, mask: &[u64], cells: &[R::Cell]| {
            if cells.is_empty() {
                // No lit cell: the tile stays unwritten, its rows the empty index.
                return;
            }
            let mut scratch = Vec::new();
            let values = reducer.values(cells, &mut scratch);
            let mut lit = vec![0u8; values.len()];
            if !R::Family::shade_indices(shader, values, &mut lit) {
                complete.store(false, Ordering::Relaxed);
                return;
            }
            let mut out = tiles[tile].lock().unwrap_or_else(|e| e.into_inner());
            out.resize(layout.tile_pixels(tile), empty);
            lit_cells::decode(mask, &lit, empty, &mut out);
            written[tile].store(true, Ordering::Relaxed);
        };
        let shaded = match kept {
            Some(kept) if kept.has_lit(band) => {
                Some(kept.read_lit(plan, &layout, band, &|t, mask, cells| {
                    shade_tile(t, mask, cells);
                    Ok(())
                }))
            }
            _ => {
                let lit = |tile: LitTile<'_, R::Cell>| {
                    if let Some(mask) = tile.mask {
                        shade_tile(tile.tile, mask, tile.cells);
                    }
                };
                fill.fold_lit(reducer, plan, band, true, &lit)
            }
        };
        self.tiles =
            tiles.into_iter().map(|tile| tile.into_inner().unwrap_or_else(|e| e.into_inner())).collect();
        match shaded {
            Some(shaded) => shaded?,
            None => return Ok(false),
        }
        self.written = written.into_iter().map(AtomicBool::into_inner).collect();
        self.layout = Some(layout);
        Ok(complete.load(Ordering::Relaxed))
    }

    /// Calls `each(x0, indices)` for the pieces of band row `row`, left to right: a written
    /// tile's row of indices, or None for a tile wholly empty.
    fn for_each_piece(&self, row: u32, mut each: impl FnMut(usize, usize, Option<&[u8]>)) {
        let Some(layout) = &self.layout else { return };
        for t in 0..layout.tiles() {
            let (x0, w) = layout.tile_columns(t);
            let (x0, w) = (x0 as usize, w as usize);
            let piece = self.written[t].then(|| {
                let start = row as usize * w;
                &self.tiles[t][start..start + w]
            });
            each(x0, w, piece);
        }
    }
}

/// The palette index of an empty cell, when it has one.
fn index_of_empty<R: Reducer>(reducer: &R, shader: &Shader<R>) -> Option<u8> {
    let mut index = [0u8];
    let empty = [R::EMPTY];
    let mut scratch = Vec::new();
    let values = reducer.values(&empty, &mut scratch);
    R::Family::shade_indices(shader, values, &mut index).then_some(index[0])
}

impl Band for IndexedBand {
    fn y0(&self) -> u32 {
        self.y0
    }

    fn height(&self) -> u32 {
        self.layout.as_ref().map_or(0, TileLayout::rows)
    }

    /// The palette's colours of the row's indices: the pixels the band's cells shade to.
    fn shade_row(&self, row: u32, format: PixelFormat, out: &mut [u8]) {
        let Some(palette) = &self.palette else { return };
        let bpp = format.bytes_per_pixel();
        let colors = palette.colors();
        self.for_each_piece(row, |x0, w, piece| {
            let out = &mut out[x0 * bpp..(x0 + w) * bpp];
            for (k, pixel) in out.chunks_exact_mut(bpp).enumerate() {
                let index = piece.map_or(self.empty, |piece| piece[k]);
                pixel.copy_from_slice(&colors[index as usize][..bpp]);
            }
        });
    }

    /// Not available: the road is taken only for sinks that read the shaded pixels alone.
    fn aggregate_row(&self, _row: u32, out: &mut [u8]) {
        debug_assert!(false, "an indexed band has no aggregates");
        out.fill(0);
    }

    fn palette(&self) -> Option<Arc<Palette>> {
        self.palette.clone()
    }

    fn color_scale(&self) -> Option<ColorScale> {
        self.color_scale.clone()
    }

    fn index_row(&self, row: u32, out: &mut [u8]) -> bool {
        self.for_each_piece(row, |x0, w, piece| match piece {
            Some(piece) => out[x0..x0 + w].copy_from_slice(piece),
            None => out[x0..x0 + w].fill(self.empty),
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduce::Count;
    use crate::render::band::{BandCells, BandView, ShadedBand};
    use crate::shade::{Color, Colormap, CountHistogram, CountShader, How};

    /// Band `band`'s counts in each tile as the fold would leave them: pixel `i` of the
    /// canvas gets a small count on a sparse pattern, tile 1 of every band none at all.
    struct Given;

    fn count(plan: &Plan, band: u32, layout: &TileLayout, t: usize, i: usize) -> u32 {
        let (x0, w) = layout.tile_columns(t);
        let (row, column) = (plan.band_rows(band).start + (i as u32 / w), x0 + i as u32 % w);
        match (t, (row * 7 + column * 3) % 11) {
            (1, _) => 0,
            (_, k) if k < 4 => k + (row + column) % 3,
            _ => 0,
        }
    }

    impl Fill<Count> for Given {
        fn fill(
            &self,
            _: &Count,
            plan: &Plan,
            layout: &TileLayout,
            band: u32,
            cells: &mut [u32],
        ) -> Result<()> {
            for (t, tile) in layout.split_tiles_mut(cells, 1).into_iter().enumerate() {
                (0..).zip(tile.iter_mut()).for_each(|(i, c)| *c = count(plan, band, layout, t, i));
            }
            Ok(())
        }

        fn fold_lit(
            &self,
            _: &Count,
            plan: &Plan,
            band: u32,
            masked: bool,
            lit: &(dyn Fn(LitTile<'_, u32>) + Sync),
        ) -> Option<Result<()>> {
            assert!(masked, "the road asks for masks");
            let layout = TileLayout::new(plan, band);
            // Tile 1 is handed out by no worker: no record reached it.
            for t in (0..layout.tiles()).filter(|&t| t != 1) {
                let cells: Vec<u32> =
                    (0..layout.tile_pixels(t)).map(|i| count(plan, band, &layout, t, i)).collect();
                let (mut mask, mut values) = (Vec::new(), Vec::new());
                lit_cells::encode(&cells, &0, &mut mask, &mut values);
                lit(LitTile { tile: t, cells: &values, mask: Some(&mask) });
            }
            Some(Ok(()))
        }
    }

    #[test]
    fn indices_and_colours_are_the_dense_bands_for_every_band_and_tile() {
        // 45 x 20 pixels in tiles of 16 (the last 13 wide), bands of 16 rows (the last 4).
        let plan = Plan::new(45, 20, 16, 1 << 30, 2, 4).unwrap();
        let mut histogram = CountHistogram::new();
        let mut dense = BandCells::default();
        for band in 0..plan.bands {
            dense.aggregate(&Count, &Given, &plan, band).unwrap();
            histogram.add_counts(dense.cells());
        }
        let cmap = Colormap::by_name("viridis").unwrap();
        let width = plan.width as usize;
        // Over a transparent background and an opaque one.
        for background in [Color::TRANSPARENT, Color { r: 250, g: 240, b: 230, a: 255 }] {
            let shader = CountShader::new(&histogram, How::EqHist, &cmap, background);
            let palette = shader.palette().expect("a few counts make a palette").clone();
            let mut indexed = IndexedBand::default();
            for band in 0..plan.bands {
                dense.aggregate(&Count, &Given, &plan, band).unwrap();
                let stats = histogram.clone();
                let view = BandView { reducer: &Count, cells: &dense };
                let shaded = ShadedBand {
                    y0: plan.band_rows(band).start,
                    view,
                    shader: &shader,
                    stats: &stats,
                    spread_px: None,
                };
                let shading =
                    Shading { shader: &shader, palette: palette.clone(), color_scale: shaded.color_scale() };
                assert!(indexed.shade(&Count, &Given, &plan, band, None, &shading).unwrap());
                let (scale, want) = (indexed.color_scale().unwrap(), shaded.color_scale().unwrap());
                assert_eq!((scale.range, scale.colors), (want.range, want.colors));
                assert_eq!((indexed.y0(), indexed.height()), (shaded.y0(), shaded.height()));
                assert_eq!(indexed.palette().unwrap().colors(), palette.colors());
                for row in 0..shaded.height() {
                    let (mut want, mut got) = (vec![0u8; width], vec![7u8; width]);
                    assert!(shaded.index_row(row, &mut want));
                    assert!(indexed.index_row(row, &mut got));
                    assert_eq!(got, want, "band {band} row {row}");
                    assert!(want.iter().collect::<std::collections::HashSet<_>>().len() > 1);
                    for format in [PixelFormat::Rgba, PixelFormat::Rgb] {
                        let bytes = width * format.bytes_per_pixel();
                        let (mut want, mut got) = (vec![0u8; bytes], vec![7u8; bytes]);
                        shaded.shade_row(row, format, &mut want);
                        indexed.shade_row(row, format, &mut got);
                        assert_eq!(got, want, "band {band} row {row} {format:?} over {background:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_fill_without_masked_tiles_leaves_the_band_to_the_dense_road() {
        struct Dense;
        impl Fill<Count> for Dense {
            fn fill(&self, _: &Count, _: &Plan, _: &TileLayout, _: u32, cells: &mut [u32]) -> Result<()> {
                cells.fill(1);
                Ok(())
            }
        }
        let plan = Plan::new(40, 40, 16, 1 << 30, 2, 4).unwrap();
        let mut histogram = CountHistogram::new();
        histogram.add_counts(&[1, 2]);
        let shader = CountShader::new(&histogram, How::Linear, &Colormap::default(), Color::TRANSPARENT);
        let palette = shader.palette().unwrap().clone();
        let mut indexed = IndexedBand::default();
        let shading = Shading { shader: &shader, palette, color_scale: None };
        assert!(!indexed.shade(&Count, &Dense, &plan, 0, None, &shading).unwrap());
    }
}
