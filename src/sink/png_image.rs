//! A small image held whole in memory, encoded as one PNG (a pyramid tile): indexed colour
//! when a palette holds every pixel, truecolour RGBA otherwise, by the same rule as the
//! streamed [`crate::sink::PngSink`].

use crate::error::{Error, Result};
use crate::shade::Palette;

/// Encodes `rgba` (`width x height` straight-RGBA pixels, top row first) as a PNG: with
/// indexed colour at the palette's bit depth when `palette` holds every pixel's colour,
/// else as 8-bit RGBA. Both decode to the same pixels; the choice depends on the pixels
/// alone, so it is the same however the image was rendered. Errors name `name`.
pub fn encode_rgba(
    rgba: &[u8],
    width: u32,
    height: u32,
    palette: Option<&Palette>,
    compression: png::Compression,
    name: &str,
) -> Result<Vec<u8>> {
    let failed = |e: png::EncodingError| Error::io(name, std::io::Error::other(e.to_string()));
    let row = width as usize * 4;
    let packed = palette.and_then(|palette| {
        let row_bytes = palette.row_bytes(width as usize);
        let mut packed = vec![0u8; row_bytes * height as usize];
        let rows = rgba.chunks_exact(row).zip(packed.chunks_exact_mut(row_bytes));
        rows.into_iter().all(|(pixels, out)| palette.pack_row(pixels, out)).then_some((palette, packed))
    });
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_compression(compression);
    let data = match &packed {
        Some((palette, packed)) => {
            encoder.set_color(png::ColorType::Indexed);
            encoder.set_depth(match palette.bit_depth() {
                1 => png::BitDepth::One,
                2 => png::BitDepth::Two,
                4 => png::BitDepth::Four,
                _ => png::BitDepth::Eight,
            });
            encoder.set_palette(palette.plte());
            let trns = palette.trns();
            if !trns.is_empty() {
                encoder.set_trns(trns);
            }
            packed.as_slice()
        }
        None => {
            encoder.set_color(png::ColorType::Rgba);
            encoder.set_depth(png::BitDepth::Eight);
            rgba
        }
    };
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(data).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png: &[u8]) -> (png::ColorType, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
        let mut reader = decoder.read_info().unwrap();
        let color = reader.info().color_type;
        let mut buf = vec![0u8; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (color, buf)
    }

    #[test]
    fn indexed_when_the_palette_holds_every_pixel_else_rgba() {
        let colors = [[0, 0, 0, 0], [255, 0, 0, 255], [0, 0, 255, 128]];
        let rgba: Vec<u8> = (0..5 * 3).flat_map(|i| colors[i % 3]).collect();
        let palette = Palette::from_colors(colors).unwrap();
        let compression = png::Compression::Fast;
        let indexed = encode_rgba(&rgba, 5, 3, Some(&palette), compression, "t.png").unwrap();
        assert_eq!(decode(&indexed), (png::ColorType::Indexed, rgba.clone()));
        let plain = encode_rgba(&rgba, 5, 3, None, compression, "t.png").unwrap();
        assert_eq!(decode(&plain), (png::ColorType::Rgba, rgba.clone()));
        // A colour outside the palette (a pyramid level shaded with another level's
        // statistics, a tile's transparent padding over an opaque background): RGBA.
        let small = Palette::from_colors(colors[..2].iter().copied()).unwrap();
        let fallback = encode_rgba(&rgba, 5, 3, Some(&small), compression, "t.png").unwrap();
        assert_eq!(decode(&fallback), (png::ColorType::Rgba, rgba));
    }
}
