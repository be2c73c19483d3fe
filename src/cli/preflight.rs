//! Warnings before a render starts: canvases most viewers cannot open. (The disk check is
//! the library's, [`gigaplot::check_render_disk_space`].)

/// Canvases wider than this render (PNG allows 2^31 - 1) but get a warning.
pub const WIDE_CANVAS: u32 = 1_000_000;

/// The warning for a canvas wider than [`WIDE_CANVAS`], if it is.
pub fn wide_canvas_warning(width: u32) -> Option<String> {
    (width > WIDE_CANVAS).then(|| {
        format!(
            "gigaplot: warning: --width {width}: the PNG is valid, but most image viewers cannot \
             open images wider than 65535 pixels; consider --pyramid for a tiled image"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_canvases_warn() {
        assert_eq!(wide_canvas_warning(WIDE_CANVAS), None);
        let warning = wide_canvas_warning(WIDE_CANVAS + 1).unwrap();
        assert!(warning.contains("--width 1000001") && warning.contains("--pyramid"), "{warning}");
    }
}
