//! The disk a render of points or lines needs, checked before it starts: its scratch file
//! and its aggregate `.npy`, sized from the records and cells the render really writes.
//!
//! The scratch file holds one record per input item at most for points (fewer when points
//! fall outside the canvas), and one per segment and band it crosses for lines, whose bound
//! here is one per vertex (a segment crossing several bands writes more; the scratch file
//! then grows past the estimate). A record's size is `size_of` of the record type the
//! render stores for its glyph and reduction ([`scratch_record_bytes`]). This module sits
//! above the rest of [`crate::io`]: it is the one place that knows what a render writes.

use std::mem::size_of;
use std::path::Path;

use crate::data::DType;
use crate::error::Result;
use crate::glyph::lines::{AaSegment, LineSegment};
use crate::glyph::record::Indexed;
use crate::glyph::Valued;
use crate::io::free_space::{check_disk_space, DiskNeed};
use crate::io::temporary::parent_dir;
use crate::reduce::Reduction;
use crate::render::{Glyph, RenderOptions};

/// Bytes the `.npy` header of the aggregate takes, at most.
pub const NPY_HEADER_BYTES: u64 = 128;

/// Bytes of one record in the scratch file of a render with `options`: a packed pixel for
/// counting points, with the value beside it for reductions that read one, a segment for
/// lines (with its start vertex's value), an anti-aliased segment for `line_width > 0`.
pub fn scratch_record_bytes(options: &RenderOptions) -> u64 {
    let with_value = options.reduction.needs_value();
    let bytes = match options.glyph {
        Glyph::Points if with_value => size_of::<Valued<u32>>(),
        Glyph::Points => size_of::<u32>(),
        // Anti-aliased count keeps the bare segment; any (as Datashader's float coverage)
        // and every reduction reading values keep a value per segment.
        Glyph::Lines if options.line_width > 0.0 && options.reduction == Reduction::Count => {
            size_of::<AaSegment>()
        }
        Glyph::Lines if options.line_width > 0.0 => size_of::<Valued<AaSegment>>(),
        Glyph::Lines if with_value => size_of::<Valued<LineSegment>>(),
        Glyph::Lines => size_of::<LineSegment>(),
    };
    bytes as u64
}

/// Bytes of one record in the scratch file of a pyramid's render with `options` (one render
/// for every level, `crate::pyramid::generic`): `first` and `last` of points and width-0
/// lines carry each item's index too ([`Indexed`]), the others are a flat render's.
pub fn pyramid_record_bytes(options: &RenderOptions) -> u64 {
    let in_order = matches!(options.reduction, Reduction::First | Reduction::Last);
    match options.glyph {
        Glyph::Points if in_order => size_of::<Indexed<u32>>() as u64,
        Glyph::Lines if in_order && options.line_width == 0.0 => size_of::<Indexed<LineSegment>>() as u64,
        _ => scratch_record_bytes(options),
    }
}

/// Bytes of one pixel of the raw aggregate (`--agg-out`) of a render with `options`: its
/// element type's size, counted once for count-cat (its number of categories is known only
/// after a pass over the value column), and as float64 for the reductions that keep a
/// float32 value column float32.
pub fn aggregate_pixel_bytes(options: &RenderOptions) -> u64 {
    let anti_aliased = options.glyph == Glyph::Lines && options.line_width > 0.0;
    let dtype = match options.reduction {
        Reduction::Any if !anti_aliased => DType::Bool,
        Reduction::Count | Reduction::CountCat if !anti_aliased => DType::U32,
        // Anti-aliased coverage is float32.
        Reduction::Count | Reduction::Any | Reduction::CountCat => DType::F32,
        _ => DType::F64,
    };
    dtype.size() as u64
}

/// What a render of `items` points (or line vertices) with `options` writes: the scratch
/// file in `options.scratch_dir` (the system temporary directory when None) and, with
/// `aggregate` (the `--agg-out` path), the aggregate `.npy` beside it.
pub fn render_needs(options: &RenderOptions, items: u64, aggregate: Option<&Path>) -> Vec<DiskNeed> {
    let scratch_dir = options.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
    let mut needs =
        vec![DiskNeed { dir: scratch_dir, bytes: items.saturating_mul(scratch_record_bytes(options)) }];
    if let Some(path) = aggregate {
        let pixels = u64::from(options.width) * u64::from(options.height);
        let bytes = pixels.saturating_mul(aggregate_pixel_bytes(options)).saturating_add(NPY_HEADER_BYTES);
        needs.push(DiskNeed { dir: parent_dir(path), bytes });
    }
    needs
}

/// Fails with [`crate::Error::DiskSpace`] when a render of `items` with `options` (and the
/// aggregate at `aggregate`) cannot fit on the file systems it writes to.
pub fn check_render_disk_space(options: &RenderOptions, items: u64, aggregate: Option<&Path>) -> Result<()> {
    check_disk_space(&render_needs(options, items, aggregate))
}

/// Fails like [`check_render_disk_space`] when the scratch file of a pyramid's render of
/// `items` ([`pyramid_record_bytes`] each) cannot fit.
pub(crate) fn check_pyramid_disk_space(options: &RenderOptions, items: u64) -> Result<()> {
    let scratch_dir = options.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
    check_disk_space(&[DiskNeed {
        dir: scratch_dir,
        bytes: items.saturating_mul(pyramid_record_bytes(options)),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use std::path::PathBuf;

    fn options(glyph: Glyph, line_width: f64, reduction: Reduction) -> RenderOptions {
        RenderOptions { glyph, line_width, reduction, width: 3, height: 2, ..RenderOptions::default() }
    }

    #[test]
    fn records_are_the_sizes_of_the_record_types() {
        use Reduction as R;
        let bytes = |glyph, width, reduction| scratch_record_bytes(&options(glyph, width, reduction));
        // The sizes the partition's record types have (see their own tests).
        assert_eq!(bytes(Glyph::Points, 0.0, R::Count), 4);
        assert_eq!(bytes(Glyph::Points, 0.0, R::Any), 4);
        for reduction in [R::Sum, R::Mean, R::Var, R::Std, R::Min, R::Max, R::First, R::Last, R::CountCat] {
            assert_eq!(bytes(Glyph::Points, 0.0, reduction), 12, "{reduction}");
            assert_eq!(bytes(Glyph::Lines, 0.0, reduction), 28, "{reduction}");
            assert_eq!(bytes(Glyph::Lines, 1.5, reduction), 64, "{reduction}");
        }
        assert_eq!(bytes(Glyph::Lines, 0.0, R::Count), 20);
        assert_eq!(bytes(Glyph::Lines, 0.0, R::Any), 20);
        assert_eq!(bytes(Glyph::Lines, 1.5, R::Count), 56);
        assert_eq!(bytes(Glyph::Lines, 1.5, R::Any), 64);
        // A pyramid's first and last records carry their item's index, 8 bytes more.
        let pyramid = |glyph, width, reduction| pyramid_record_bytes(&options(glyph, width, reduction));
        for reduction in [R::First, R::Last] {
            assert_eq!(pyramid(Glyph::Points, 0.0, reduction), 20, "{reduction}");
            assert_eq!(pyramid(Glyph::Lines, 0.0, reduction), 36, "{reduction}");
            assert_eq!(pyramid(Glyph::Lines, 1.5, reduction), 64, "{reduction}");
        }
        assert_eq!(pyramid(Glyph::Points, 0.0, R::Mean), 12);
    }

    #[test]
    fn aggregate_pixels_are_the_sizes_of_their_dtypes() {
        use Reduction as R;
        let bytes = |glyph, width, reduction| aggregate_pixel_bytes(&options(glyph, width, reduction));
        assert_eq!(bytes(Glyph::Points, 0.0, R::Count), 4);
        assert_eq!(bytes(Glyph::Points, 0.0, R::Any), 1);
        assert_eq!(bytes(Glyph::Points, 0.0, R::Mean), 8);
        assert_eq!(bytes(Glyph::Points, 0.0, R::CountCat), 4);
        assert_eq!(bytes(Glyph::Lines, 2.0, R::Count), 4);
        assert_eq!(bytes(Glyph::Lines, 2.0, R::Sum), 8);
    }

    #[test]
    fn needs_are_counted_per_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let agg = dir.path().join("agg.npy");
        let counts = RenderOptions {
            scratch_dir: Some(dir.path().to_path_buf()),
            ..options(Glyph::Points, 0.0, Reduction::Count)
        };
        let needs = render_needs(&counts, 10, Some(&agg));
        assert_eq!(needs[0], DiskNeed { dir: dir.path().to_path_buf(), bytes: 40 });
        assert_eq!(needs[1], DiskNeed { dir: dir.path().to_path_buf(), bytes: 24 + 128 });
        let means = RenderOptions { reduction: Reduction::Mean, ..counts.clone() };
        let needs = render_needs(&means, 10, Some(&agg));
        assert_eq!((needs[0].bytes, needs[1].bytes), (120, 48 + 128));
        assert!(check_render_disk_space(&means, 10, Some(&agg)).is_ok());
        let huge = RenderOptions { width: u32::MAX, height: u32::MAX, ..means };
        match check_render_disk_space(&huge, u64::MAX / 8, Some(&agg)) {
            Err(Error::DiskSpace { path, needed, .. }) => {
                assert_eq!(path, dir.path());
                assert_eq!(needed, u64::MAX);
            }
            other => panic!("expected DiskSpace, got {other:?}"),
        }
    }

    #[test]
    fn a_bare_aggregate_name_lands_in_the_current_directory() {
        let needs = render_needs(&RenderOptions::default(), 0, Some(Path::new("out.npy")));
        assert_eq!(needs[1].dir, PathBuf::from("."));
    }
}
