//! In-memory Arrow arrays as sources (`gigaplot::arrow_column`): a chunked column with
//! nulls aggregates exactly as the same values in a plain slice with NaN where the nulls
//! are; chunks of two types are refused naming the column; a table file replaced after opening is detected.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, Float64Array, Int16Array};
use gigaplot::{
    arrow_column, render, AggregateArraySink, MemoryColumn, NoProgress, PointColumns, Reduction,
    RenderOptions,
};

/// The aggregate of `points` (mean of the value column, 97 x 53 canvas) as `.npy` data bytes.
fn mean_aggregate(points: &PointColumns<'_>) -> Vec<u8> {
    let options = RenderOptions {
        width: 97,
        height: 53,
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        reduction: Reduction::Mean,
        tile: 32,
        ..RenderOptions::default()
    };
    let (sink, finished) = AggregateArraySink::new();
    render(points, &options, vec![Box::new(sink)], &NoProgress).unwrap();
    finished.take().unwrap().bytes().to_vec()
}

#[test]
fn chunked_arrow_columns_with_nulls_aggregate_like_slices_with_nan() {
    let n = 10_000;
    let xs: Vec<f32> = (0..n).map(|i| ((i * 7919) % n) as f32 / n as f32).collect();
    let ys: Vec<f64> = (0..n).map(|i| ((i * 104_729) % n) as f64 / n as f64).collect();
    let vs: Vec<Option<i16>> = (0..n).map(|i| (i % 13 != 0).then_some((i % 100) as i16)).collect();
    // Three chunks of unequal lengths, as a chunked column arrives from PyArrow or Polars.
    let cuts = [0, 1234, 7000, n];
    let chunks = |f: &dyn Fn(std::ops::Range<usize>) -> ArrayRef| -> Vec<ArrayRef> {
        cuts.windows(2).map(|w| f(w[0]..w[1])).collect()
    };
    let x = chunks(&|r| Arc::new(Float32Array::from(xs[r].to_vec())));
    let y = chunks(&|r| Arc::new(Float64Array::from(ys[r].to_vec())));
    let v = chunks(&|r| Arc::new(Int16Array::from(vs[r].to_vec())));
    let arrow = PointColumns::from_sources(
        Box::new(arrow_column("x", x).unwrap()),
        Box::new(arrow_column("y", y).unwrap()),
    )
    .unwrap()
    .with_value(Box::new(arrow_column("v", v).unwrap()))
    .unwrap();

    let nan_values: Vec<f64> = vs.iter().map(|v| v.map_or(f64::NAN, f64::from)).collect();
    let plain = PointColumns::from_sources(
        Box::new(MemoryColumn::new("x", &xs[..])),
        Box::new(MemoryColumn::new("y", &ys[..])),
    )
    .unwrap()
    .with_value(Box::new(MemoryColumn::new("v", &nan_values[..])))
    .unwrap();

    let ours = mean_aggregate(&arrow);
    assert_eq!(ours, mean_aggregate(&plain));
    // Not trivially equal: some cells hold means, some are empty (NaN).
    let cells: Vec<f64> = ours.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    assert!(cells.iter().any(|c| c.is_nan()) && cells.iter().filter(|c| !c.is_nan()).count() > 1000);
}

#[test]
fn chunks_of_two_types_are_refused_naming_the_column() {
    let a: ArrayRef = Arc::new(Float32Array::from(vec![1.0f32]));
    let b: ArrayRef = Arc::new(Float64Array::from(vec![1.0f64]));
    let error = arrow_column("speed", vec![a, b]).unwrap_err().to_string();
    assert_eq!(error, "speed: has chunks of two types, float32 and float64");
}

/// A table file replaced between opening and the end of a render is caught like a `.npy`:
/// `check_unchanged` (run by the driver after its last pass) names the file.
#[test]
fn a_table_file_changed_after_opening_is_detected() {
    use crate::common::tables::{sample, write_arrow, write_csv, write_parquet};
    use gigaplot::{open_column, ColumnSpec, Error};
    let dir = tempfile::tempdir().unwrap();
    let table = sample(3000);
    let files = [dir.path().join("t.parquet"), dir.path().join("t.arrow"), dir.path().join("t.csv")];
    let write = |i: usize, rows: &[(&str, crate::common::tables::Col)]| match i {
        0 => write_parquet(&files[0], rows, 1000, parquet::basic::Compression::UNCOMPRESSED, false),
        1 => write_arrow(&files[1], rows, 1000, None, false),
        _ => write_csv(&files[2], rows, false, b','),
    };
    for (i, file) in files.iter().enumerate() {
        write(i, &table);
        let column = open_column(&ColumnSpec::parse(&format!("{}:x", file.display()))).unwrap();
        column.check_unchanged().unwrap();
        write(i, &sample(2000));
        match column.check_unchanged() {
            Err(Error::InputChanged { path }) => assert_eq!(&path, file),
            other => panic!("{}: {other:?}", file.display()),
        }
    }
}
