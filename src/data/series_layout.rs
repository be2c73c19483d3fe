//! Several series in the x/y columns: K polylines of N vertices each, drawn in one pass.
//!
//! A series' vertices come from a 2-D `(N, K)` array (column k is series k, in C or
//! Fortran order), from a 1-D column of N values shared by every series (one time axis
//! for many curves), or from a 1-D column holding K series of N values back to back
//! (`--series K`, the same bytes as a Fortran-order `(N, K)` array).
//!
//! [`SeriesLayout`] says where vertex (series k, row r) of each coordinate lives, and in
//! which order the N * K vertices are read: the ITEM order the partition chunks. Every
//! file is read sequentially in that order:
//!
//! - row-major (item `r * K + k`) when any coordinate is a C-order array: row r of every
//!   series, then row r + 1, so the C-order file is read front to back once;
//! - series-major (item `k * N + r`) otherwise (Fortran order, back to back, one series):
//!   series 0 whole, then series 1, as Datashader does.

use crate::data::npy::ArrayShape;
use crate::data::source::{Cursor, Source};
use crate::error::{Error, Field, Result};

/// Where the values of one coordinate lie, for K series of N vertices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A 1-D column of N values shared by every series: (r, k) at r.
    Shared,
    /// A C-order `(N, K)` array: (r, k) at `r * K + k`.
    Interleaved,
    /// Series after series (a Fortran-order `(N, K)` array or `--series K`): (r, k) at
    /// `k * N + r`.
    Consecutive,
}

/// The order in which vertices are read (and segments emitted): see the module doc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Item `r * K + k`: every series' row r, then row r + 1.
    RowMajor,
    /// Item `k * N + r`: series 0 whole, then series 1.
    SeriesMajor,
}

/// K series of N vertices: where x and y hold vertex (k, r), and the reading order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesLayout {
    /// Vertices per series (N).
    pub rows: usize,
    /// Number of series (K).
    pub count: usize,
    /// Where x values lie.
    pub x: Placement,
    /// Where y values lie.
    pub y: Placement,
}

impl SeriesLayout {
    /// One series: the x and y columns as they are.
    pub fn single(rows: usize) -> SeriesLayout {
        SeriesLayout { rows, count: 1, x: Placement::Consecutive, y: Placement::Consecutive }
    }

    /// The layout of x and y opened with [`crate::data::NpyColumn::open_array`], with `series` = K of
    /// `--series K` (1-D columns holding K series back to back). Errors name the file and
    /// both shapes.
    pub fn of(
        x: (&dyn Source, ArrayShape),
        y: (&dyn Source, ArrayShape),
        series: Option<usize>,
    ) -> Result<SeriesLayout> {
        match series {
            Some(k) => back_to_back(x, y, k),
            None => of_shapes(x, y),
        }
    }

    /// True when there are several series or a 2-D array: only lines draw those.
    pub fn is_multi(&self) -> bool {
        self.count > 1 || self.x == Placement::Interleaved || self.y == Placement::Interleaved
    }

    /// N * K: the number of vertices (items of the partition).
    pub fn vertices(&self) -> usize {
        self.rows * self.count
    }

    /// The reading order: row-major if any coordinate is a C-order array.
    pub fn order(&self) -> Order {
        match (self.x, self.y) {
            (Placement::Interleaved, _) | (_, Placement::Interleaved) => Order::RowMajor,
            _ => Order::SeriesMajor,
        }
    }

    /// (series, row) of item `item`.
    pub fn locate(&self, item: usize) -> (usize, usize) {
        match self.order() {
            Order::RowMajor => (item % self.count, item / self.count),
            Order::SeriesMajor => (item / self.rows, item % self.rows),
        }
    }

    /// The item of vertex (series, row).
    pub fn item(&self, series: usize, row: usize) -> usize {
        match self.order() {
            Order::RowMajor => row * self.count + series,
            Order::SeriesMajor => series * self.rows + row,
        }
    }
}

impl SeriesLayout {
    /// Where a value column (`--value` of a value reduction along several series) holds the
    /// value of vertex (series k, row r): an `(N, K)` array in either order, N * K values
    /// back to back, or N values shared by every series. Errors name the file and shapes.
    pub fn value_placement(&self, value: &dyn Source, shape: ArrayShape) -> Result<Placement> {
        let (rows, count) = (self.rows, self.count);
        match shape {
            ArrayShape::Matrix { rows: r, cols: c, fortran } if (r, c) == (rows, count) => {
                Ok(matrix_placement(fortran))
            }
            ArrayShape::Column if value.len() == rows * count => Ok(Placement::Consecutive),
            ArrayShape::Column if value.len() == rows => Ok(Placement::Shared),
            _ => Err(Error::bad_input(
                value.label(),
                problem![
                    format!("has shape {}; ", shape_text(value, shape)),
                    Field::Value,
                    format!(
                        " along {count} series of {rows} vertices needs shape ({rows}, {count}), {} values \
                         back to back, or {rows} shared by every series",
                        rows * count
                    )
                ],
            )),
        }
    }
}

/// `FILE.npy` shape text for messages: `(N,)` or `(N, K)`.
fn shape_text(column: &dyn Source, shape: ArrayShape) -> String {
    match shape {
        ArrayShape::Column => format!("({},)", column.len()),
        ArrayShape::Matrix { rows, cols, .. } => format!("({rows}, {cols})"),
    }
}

/// Where a 2-D array's values lie.
fn matrix_placement(fortran: bool) -> Placement {
    if fortran {
        Placement::Consecutive
    } else {
        Placement::Interleaved
    }
}

/// The layout given by the shapes alone: 1-D and 1-D is one series; a 2-D `(N, K)` array
/// is K series, sharing a 1-D column of N values or matching another `(N, K)` array.
fn of_shapes(x: (&dyn Source, ArrayShape), y: (&dyn Source, ArrayShape)) -> Result<SeriesLayout> {
    let mismatch = |what: &str| {
        Error::bad_input(
            y.0.label(),
            format!(
                "has shape {} but the x column {} has shape {}; {what}",
                shape_text(y.0, y.1),
                x.0.label(),
                shape_text(x.0, x.1)
            ),
        )
    };
    match (x.1, y.1) {
        (ArrayShape::Column, ArrayShape::Column) if x.0.len() == y.0.len() => {
            Ok(SeriesLayout::single(x.0.len()))
        }
        (ArrayShape::Column, ArrayShape::Column) => Err(mismatch("x and y must have the same length")),
        (
            ArrayShape::Matrix { rows: xr, cols: xc, fortran: xf },
            ArrayShape::Matrix { rows, cols, fortran },
        ) => {
            if (xr, xc) != (rows, cols) {
                return Err(mismatch("2-D x and y must have the same shape (N, K): one column per series"));
            }
            Ok(SeriesLayout { rows, count: cols, x: matrix_placement(xf), y: matrix_placement(fortran) })
        }
        (ArrayShape::Column, ArrayShape::Matrix { rows, cols, fortran }) => {
            if x.0.len() != rows {
                return Err(mismatch(&format!(
                    "a 1-D x shared by the series needs {rows} values, one per row of y"
                )));
            }
            Ok(SeriesLayout { rows, count: cols, x: Placement::Shared, y: matrix_placement(fortran) })
        }
        (ArrayShape::Matrix { rows, cols, fortran }, ArrayShape::Column) => {
            if y.0.len() != rows {
                return Err(mismatch(&format!(
                    "a 1-D y shared by the series needs {rows} values, one per row of x"
                )));
            }
            Ok(SeriesLayout { rows, count: cols, x: matrix_placement(fortran), y: Placement::Shared })
        }
    }
}

/// `--series K`: 1-D columns of N * K values, K series back to back; a column of N values
/// is shared by every series.
fn back_to_back(
    x: (&dyn Source, ArrayShape),
    y: (&dyn Source, ArrayShape),
    k: usize,
) -> Result<SeriesLayout> {
    if k == 0 {
        return Err(Error::bad_parameter(Field::Series, "must be at least 1"));
    }
    for (column, shape) in [x, y] {
        if let ArrayShape::Matrix { rows, cols, .. } = shape {
            return Err(Error::bad_input(
                column.label(),
                problem![
                    format!(
                        "is 2-D with shape ({rows}, {cols}), which already holds one series per column; "
                    ),
                    Field::Series.set("K"),
                    " applies to 1-D columns"
                ],
            ));
        }
    }
    let total = x.0.len().max(y.0.len());
    let rows = total / k;
    if !total.is_multiple_of(k) {
        let longer = if x.0.len() >= y.0.len() { x.0 } else { y.0 };
        return Err(Error::bad_input(
            longer.label(),
            problem![
                format!("has {total} values, which do not split into "),
                Field::Series.set(k),
                " series of equal length"
            ],
        ));
    }
    let placement = |column: &dyn Source| match column.len() {
        n if n == total => Ok(Placement::Consecutive),
        n if n == rows => Ok(Placement::Shared),
        n => Err(Error::bad_input(
            column.label(),
            problem![
                format!("has {n} values; with "),
                Field::Series.set(k),
                format!(
                    " each column holds {total} values ({k} series of {rows} back to back) or {rows} \
                     (shared by every series)"
                )
            ],
        )),
    };
    Ok(SeriesLayout { rows, count: k, x: placement(x.0)?, y: placement(y.0)? })
}

/// Reads values of one coordinate for vertices `rows` of series `series` from `column`
/// into `out`, laid out series-major: `out[(k - series.start) * rows.len() + (r -
/// rows.start)]`, then releases what it read. `scratch` is a reusable buffer.
pub fn read_block(
    column: &mut Cursor<'_>,
    placement: Placement,
    layout: &SeriesLayout,
    rows: std::ops::Range<usize>,
    series: std::ops::Range<usize>,
    out: &mut Vec<f64>,
    scratch: &mut Vec<f64>,
) -> Result<()> {
    let (n, m) = (rows.len(), series.len());
    out.resize(n * m, 0.0);
    match placement {
        Placement::Shared => {
            column.read(rows.start, &mut out[..n])?;
            column.release(rows.start, n);
            for k in 1..m {
                out.copy_within(0..n, k * n);
            }
        }
        Placement::Consecutive => {
            for (slot, k) in out.chunks_exact_mut(n.max(1)).zip(series) {
                column.read(k * layout.rows + rows.start, slot)?;
                column.release(k * layout.rows + rows.start, n);
            }
        }
        Placement::Interleaved => read_interleaved(column, layout.count, rows, series, out, scratch)?,
    }
    Ok(())
}

/// [`read_block`] of a C-order array: whole rows in one read, parts of rows row by row.
fn read_interleaved(
    column: &mut Cursor<'_>,
    count: usize,
    rows: std::ops::Range<usize>,
    series: std::ops::Range<usize>,
    out: &mut [f64],
    scratch: &mut Vec<f64>,
) -> Result<()> {
    let (n, m) = (rows.len(), series.len());
    if m == count {
        scratch.resize(n * m, 0.0);
        column.read(rows.start * count, scratch)?;
        column.release(rows.start * count, n * m);
        for (i, row) in scratch.chunks_exact(m.max(1)).enumerate() {
            for (k, &v) in row.iter().enumerate() {
                out[k * n + i] = v;
            }
        }
        return Ok(());
    }
    scratch.resize(m, 0.0);
    for (i, r) in rows.enumerate() {
        column.read(r * count + series.start, scratch)?;
        column.release(r * count + series.start, m);
        for (k, &v) in scratch.iter().enumerate() {
            out[k * n + i] = v;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ColumnSpec, NpyColumn};
    use crate::test_data::f64_npy_column as write;

    fn open(spec: &ColumnSpec) -> (NpyColumn, ArrayShape) {
        NpyColumn::open_array(spec).unwrap()
    }

    fn layout(x: &ColumnSpec, y: &ColumnSpec, series: Option<usize>) -> Result<SeriesLayout> {
        let (x, xs) = open(x);
        let (y, ys) = open(y);
        SeriesLayout::of((&x, xs), (&y, ys), series)
    }

    #[test]
    fn layouts_of_every_shape_pair() {
        let dir = tempfile::tempdir().unwrap();
        let v = |n: usize| (0..n).map(|i| i as f64).collect::<Vec<f64>>();
        let one = write(&dir, "one.npy", &[4], false, &v(4));
        let long = write(&dir, "long.npy", &[12], false, &v(12));
        let c = write(&dir, "c.npy", &[4, 3], false, &v(12));
        let f = write(&dir, "f.npy", &[4, 3], true, &v(12));
        use Placement::*;
        let lay = |rows, count, x, y| SeriesLayout { rows, count, x, y };
        assert_eq!(layout(&one, &one, None).unwrap(), SeriesLayout::single(4));
        assert_eq!(layout(&c, &c, None).unwrap(), lay(4, 3, Interleaved, Interleaved));
        assert_eq!(layout(&c, &f, None).unwrap(), lay(4, 3, Interleaved, Consecutive));
        assert_eq!(layout(&one, &f, None).unwrap(), lay(4, 3, Shared, Consecutive));
        assert_eq!(layout(&c, &one, None).unwrap(), lay(4, 3, Interleaved, Shared));
        assert_eq!(layout(&long, &long, Some(3)).unwrap(), lay(4, 3, Consecutive, Consecutive));
        assert_eq!(layout(&one, &long, Some(3)).unwrap(), lay(4, 3, Shared, Consecutive));
        assert_eq!(layout(&c, &c, None).unwrap().order(), Order::RowMajor);
        assert_eq!(layout(&one, &f, None).unwrap().order(), Order::SeriesMajor);
        assert!(!SeriesLayout::single(4).is_multi());
        assert!(layout(&c, &one, None).unwrap().is_multi());
    }

    #[test]
    fn mismatches_name_the_file_and_both_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let v = |n: usize| vec![0.0; n];
        let one = write(&dir, "one.npy", &[4], false, &v(4));
        let five = write(&dir, "five.npy", &[5], false, &v(5));
        let c = write(&dir, "c.npy", &[4, 3], false, &v(12));
        let c2 = write(&dir, "c2.npy", &[3, 4], false, &v(12));
        let msg = |x: &ColumnSpec, y: &ColumnSpec, k| layout(x, y, k).unwrap_err().to_string();
        let (c_l, c2_l, five_l) = (c.label(), c2.label(), five.label());
        assert_eq!(
            msg(&c, &c2, None),
            format!(
                "{c2_l}: has shape (3, 4) but the x column {c_l} has shape (4, 3); 2-D x and y must \
                 have the same shape (N, K): one column per series"
            )
        );
        assert_eq!(
            msg(&five, &c, None),
            format!(
                "{c_l}: has shape (4, 3) but the x column {five_l} has shape (5,); a 1-D x shared by \
                 the series needs 4 values, one per row of y"
            )
        );
        assert!(msg(&c, &five, None).contains("a 1-D y shared by the series needs 4 values"));
        assert!(msg(&one, &five, None).contains("(5,) but the x column"));
        assert_eq!(
            msg(&five, &five, Some(2)),
            format!("{five_l}: has 5 values, which do not split into series=2 series of equal length")
        );
        assert_eq!(
            msg(&c, &c, Some(3)),
            format!(
                "{c_l}: is 2-D with shape (4, 3), which already holds one series per column; series=K \
                 applies to 1-D columns"
            )
        );
        assert!(msg(&one, &one, Some(0)).starts_with("series: "));
        let long = write(&dir, "long.npy", &[12], false, &v(12));
        assert_eq!(
            msg(&five, &long, Some(3)),
            format!(
                "{five_l}: has 5 values; with series=3 each column holds 12 values (3 series of 4 back \
                 to back) or 4 (shared by every series)"
            )
        );
    }

    #[test]
    fn blocks_read_the_same_values_in_every_placement() {
        let dir = tempfile::tempdir().unwrap();
        let (rows, count) = (7, 3);
        // value of (r, k) = 10 r + k
        let at = |r: usize, k: usize| (10 * r + k) as f64;
        let c: Vec<f64> = (0..rows).flat_map(|r| (0..count).map(move |k| at(r, k))).collect();
        let f: Vec<f64> = (0..count).flat_map(|k| (0..rows).map(move |r| at(r, k))).collect();
        let shared: Vec<f64> = (0..rows).map(|r| at(r, 0)).collect();
        let layout = SeriesLayout { rows, count, x: Placement::Interleaved, y: Placement::Consecutive };
        let (cc, _) = open(&write(&dir, "c.npy", &[rows, count], false, &c));
        let (ff, _) = open(&write(&dir, "f.npy", &[rows, count], true, &f));
        let (ss, _) = open(&write(&dir, "s.npy", &[rows], false, &shared));
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        for (rs, ks) in [(0..7, 0..3), (2..5, 0..3), (3..4, 1..3), (6..7, 2..3), (1..3, 0..1)] {
            let want: Vec<f64> = ks.clone().flat_map(|k| rs.clone().map(move |r| at(r, k))).collect();
            for (column, placement) in [(&cc, Placement::Interleaved), (&ff, Placement::Consecutive)] {
                let column: &dyn Source = column;
                let mut column = Cursor::new(column);
                read_block(&mut column, placement, &layout, rs.clone(), ks.clone(), &mut out, &mut scratch)
                    .unwrap();
                assert_eq!(out, want, "{placement:?} rows {rs:?} series {ks:?}");
            }
            let mut shared_column = Cursor::new(&ss);
            read_block(
                &mut shared_column,
                Placement::Shared,
                &layout,
                rs.clone(),
                ks.clone(),
                &mut out,
                &mut scratch,
            )
            .unwrap();
            let want: Vec<f64> = ks.clone().flat_map(|_| rs.clone().map(|r| at(r, 0))).collect();
            assert_eq!(out, want);
        }
    }

    #[test]
    fn items_and_vertices_correspond() {
        for (x, y) in
            [(Placement::Interleaved, Placement::Shared), (Placement::Consecutive, Placement::Shared)]
        {
            let layout = SeriesLayout { rows: 5, count: 3, x, y };
            let mut seen = [false; 15];
            for item in 0..15 {
                let (k, r) = layout.locate(item);
                assert_eq!(layout.item(k, r), item);
                seen[k * 5 + r] = true;
            }
            assert!(seen.iter().all(|&s| s));
        }
        let layout = SeriesLayout { rows: 5, count: 3, x: Placement::Interleaved, y: Placement::Shared };
        assert_eq!(layout.locate(4), (1, 1));
        let layout = SeriesLayout { rows: 5, count: 3, x: Placement::Consecutive, y: Placement::Shared };
        assert_eq!(layout.locate(4), (0, 4));
    }
}
