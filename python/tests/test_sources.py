"""Every source type gives Datashader's aggregate; contiguous columns are not copied."""
import tracemalloc

import datashader as ds
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import gigaplot as gp
from conftest import X_RANGE, Y_RANGE, assert_same_aggregate


@pytest.fixture(scope="module")
def reference(df):
    return ds.Canvas(200, 150, X_RANGE, Y_RANGE).points(df, "x", "y", agg=ds.mean("v"))


def _agg(source):
    return gp.Canvas(200, 150, X_RANGE, Y_RANGE).points(source, "x", "y", agg=gp.mean("v"))


def test_pandas(df, reference):
    assert_same_aggregate(_agg(df), reference)


def test_polars(arrays, reference):
    assert_same_aggregate(_agg(pl.DataFrame({k: arrays[k] for k in "xyv"})), reference)


def test_polars_with_nulls(arrays, reference):
    v = [None if np.isnan(a) else float(a) for a in arrays["v"]]
    frame = pl.DataFrame({"x": arrays["x"], "y": arrays["y"], "v": v})
    assert frame["v"].null_count() > 0
    assert_same_aggregate(_agg(frame), reference)


def test_pyarrow_table_and_record_batch(arrays, reference):
    table = pa.table({k: arrays[k] for k in "xyv"})
    assert_same_aggregate(_agg(table), reference)
    assert_same_aggregate(_agg(table.to_batches()[0]), reference)


def test_pyarrow_chunked(arrays, reference):
    cuts = [0, 1, 7000, 7001, 30000, len(arrays["x"])]
    parts = [pa.table({k: arrays[k][a:b] for k in "xyv"}) for a, b in zip(cuts, cuts[1:])]
    table = pa.concat_tables(parts)
    assert table.column("x").num_chunks == 5
    assert_same_aggregate(_agg(table), reference)


def test_pyarrow_chunked_with_nulls(arrays, reference):
    v = pa.array(arrays["v"], from_pandas=True)  # NaN becomes null
    assert v.null_count > 0
    half = len(arrays["x"]) // 2
    table = pa.concat_tables([pa.table({"x": arrays["x"][s], "y": arrays["y"][s], "v": v[s]})
                              for s in (slice(0, half), slice(half, None))])
    assert_same_aggregate(_agg(table), reference)


def test_dict_of_numpy(arrays, reference):
    assert_same_aggregate(_agg({k: arrays[k] for k in "xyv"}), reference)


def test_memmap_and_npy_paths(arrays, reference, tmp_path):
    for k in "xyv":
        np.save(tmp_path / f"{k}.npy", arrays[k])
    maps = {k: np.load(tmp_path / f"{k}.npy", mmap_mode="r") for k in "xyv"}
    assert isinstance(maps["x"], np.memmap)
    assert_same_aggregate(_agg(maps), reference)
    assert_same_aggregate(_agg({k: str(tmp_path / f"{k}.npy") for k in "xyv"}), reference)
    assert_same_aggregate(_agg(tmp_path), reference)


def test_strided_and_big_endian_columns(arrays, reference):
    x2 = np.repeat(arrays["x"], 2)[::2]
    assert not x2.flags.c_contiguous
    source = {"x": x2, "y": arrays["y"].astype(">f4"), "v": arrays["v"]}
    assert_same_aggregate(_agg(source), reference)


n = 4_000_000  # 16 MB a float32 column


@pytest.mark.parametrize("make", [
    lambda x, y: {"x": x, "y": y},
    lambda x, y: pd.DataFrame({"x": x, "y": y}, copy=False),
    lambda x, y: pl.DataFrame({"x": x, "y": y}),
    lambda x, y: pa.table({"x": x, "y": y}),
    lambda x, y: pa.concat_tables([pa.table({"x": x[:n // 3], "y": y[:n // 3]}),
                                   pa.table({"x": x[n // 3:], "y": y[n // 3:]})]),
], ids=["dict", "pandas", "polars", "pyarrow", "pyarrow-chunked"])
def test_contiguous_float32_columns_are_not_copied(make):
    x = np.linspace(0, 1, n, dtype=np.float32)
    y = np.linspace(1, 0, n, dtype=np.float32)
    source = make(x, y)
    canvas = gp.Canvas(64, 64, (0, 1), (0, 1))
    canvas.points(source, "x", "y")  # warm up imports
    tracemalloc.start()
    try:
        agg = canvas.points(source, "x", "y")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert agg.values.sum() == n
    assert peak < n, f"peak traced allocation {peak} bytes: a column was copied"


def test_strided_columns_are_read_in_place():
    n = 4_000_000
    base = np.linspace(0, 1, 2 * n, dtype=np.float32)
    x, y = base[::2], base[::-2]
    assert not x.flags.c_contiguous and not y.flags.c_contiguous
    canvas = gp.Canvas(64, 64, (0, 1), (0, 1))
    expected = canvas.points({"x": x.copy(), "y": y.copy(), "v": x.copy()}, "x", "y", agg=gp.mean("v"))
    tracemalloc.start()
    try:
        agg = canvas.points({"x": x, "y": y, "v": x}, "x", "y", agg=gp.mean("v"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(agg.values, expected.values)
    assert peak < n, f"peak traced allocation {peak} bytes: a column was copied"


def _nullable_sources(n):
    """(name, source, expected source) of columns the engine converts as it reads them: nulls,
    non-native byte order, float16; expected as plain float64 NumPy columns."""
    rng = np.random.default_rng(12)
    x = rng.random(n)
    y = rng.random(n).astype(np.float32)
    v = rng.integers(-50, 50, n)
    null = rng.random(n) < 0.1
    v_nan = np.where(null, np.nan, v.astype(np.float64))
    plain = {"x": x, "y": y, "v": v_nan}
    v_with_nulls = pd.array(np.where(null, 0, v), dtype="Int64")
    v_with_nulls[null] = pd.NA
    arrow_v = pa.array(v, mask=null)
    return [
        ("pandas-Int64", pd.DataFrame({"x": x, "y": y, "v": v_with_nulls}), plain),
        ("pandas-Float64", pd.DataFrame({"x": x, "y": y, "v": pd.array(v_nan, dtype="Float64")}), plain),
        ("pandas-arrow", pd.DataFrame({"x": x, "y": y, "v": pd.Series(arrow_v, dtype=pd.ArrowDtype(pa.int64()))}),
         plain),
        ("polars", pl.DataFrame({"x": x, "y": y, "v": pl.Series(arrow_v)}), plain),
        ("arrow-chunks", pa.table({"x": pa.chunked_array([x[:n // 3], x[n // 3:]]),
                                   "y": pa.chunked_array([y[:n // 2], y[n // 2:]]),
                                   "v": pa.chunked_array([arrow_v[:n // 4], pa.array(v[n // 4:])])}),
         {"x": x, "y": y, "v": np.concatenate([v_nan[:n // 4], v[n // 4:].astype(np.float64)])}),
        ("big-endian", {"x": x.astype(">f8"), "y": y.astype(">f4"), "v": v.astype(">i8")},
         {"x": x, "y": y, "v": v.astype(np.float64)}),
        ("float16", {"x": x.astype(np.float16), "y": y.astype(">f2"), "v": v_nan.astype(np.float16)},
         {"x": x.astype(np.float16).astype(np.float32), "y": y.astype(np.float16).astype(np.float32),
          "v": v_nan.astype(np.float16).astype(np.float32)}),
    ]


@pytest.mark.parametrize("case", range(7), ids=[c[0] for c in _nullable_sources(10)])
def test_nulls_byte_order_and_float16_read_without_a_whole_copy(case):
    n = 2_000_000
    name, source, plain = _nullable_sources(n)[case]
    canvas = gp.Canvas(64, 48, (0, 1), (0, 1))
    expected = canvas.points(plain, "x", "y", agg=gp.sum("v"))
    theirs = ds.Canvas(64, 48, (0, 1), (0, 1)).points(pd.DataFrame(plain), "x", "y", agg=ds.sum("v"))
    np.testing.assert_array_equal(expected.values, theirs.values)
    canvas.points(source, "x", "y", agg=gp.sum("v"))  # warm up imports
    tracemalloc.start()
    try:
        agg = canvas.points(source, "x", "y", agg=gp.sum("v"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(agg.values, expected.values)
    # a float64 copy of one column would be 16 MB; a bitmap of it 0.25 MB
    assert peak < n, f"{name}: peak traced allocation {peak} bytes: a column was copied"


@pytest.mark.parametrize("suffix", [".parquet", ".feather", ".arrow"])
def test_parquet_and_arrow_files(arrays, reference, tmp_path, suffix):
    """A table file's path is a source: the engine reads the named columns itself."""
    import pyarrow.feather as feather
    import pyarrow.parquet as pq
    table = pa.table({k: arrays[k] for k in "xyv"})
    path = tmp_path / f"points{suffix}"
    if suffix == ".parquet":
        pq.write_table(table, path, row_group_size=1000, compression="zstd")
    else:
        feather.write_feather(table, path, compression="uncompressed" if suffix == ".arrow" else "lz4")
    assert_same_aggregate(_agg(path), reference)
    assert_same_aggregate(_agg(str(path)), reference)
    with pytest.raises(ValueError, match="no column named 'nope'|nope"):
        gp.Canvas(10, 10, X_RANGE, Y_RANGE).points(path, "x", "nope")


def test_csv_file(arrays, tmp_path):
    frame = pd.DataFrame({k: arrays[k].astype(np.float64) for k in "xyv"})
    path = tmp_path / "points.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    theirs = ds.Canvas(200, 150, X_RANGE, Y_RANGE).points(pd.read_csv(path), "x", "y", agg=ds.mean("v"))
    assert_same_aggregate(_agg(path), theirs)


def test_arrow_chunks_with_dictionaries_of_their_own_are_unified():
    """pa.concat_tables and datasets give chunks whose codes index different dictionaries."""
    one = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int32()), pa.array(["a", "b"]))
    two = pa.DictionaryArray.from_arrays(pa.array([0, 0, 2], pa.int32()), pa.array(["b", "a", "c"]))
    table = pa.table({"x": [0.5, 1.5, 0.5, 0.5, 1.5], "y": [0.5] * 5, "c": pa.chunked_array([one, two])})
    ours = gp.Canvas(2, 1, (0, 2), (0, 1)).points(table, "x", "y", agg=gp.count_cat("c"))
    theirs = ds.Canvas(2, 1, (0, 2), (0, 1)).points(table.to_pandas(), "x", "y", agg=ds.count_cat("c"))
    assert list(ours["c"].values) == ["a", "b", "c"]
    assert_same_aggregate(ours, theirs)


@pytest.mark.parametrize("dtype", ["categorical", "enum"])
def test_polars_categoricals_count_by_their_names(dtype):
    kind = pl.Categorical if dtype == "categorical" else pl.Enum(["a", "b", "z"])
    pl.Series(["z", "q"]).cast(pl.Categorical)  # other strings in Polars' global mapping first
    frame = pl.DataFrame({"x": [0.5, 1.5, 1.5], "y": [0.5] * 3, "c": pl.Series(["b", "a", "b"]).cast(kind)})
    ours = gp.Canvas(2, 1, (0, 2), (0, 1)).points(frame, "x", "y", agg=gp.count_cat("c"))
    theirs = ds.Canvas(2, 1, (0, 2), (0, 1)).points(frame.to_pandas(), "x", "y", agg=ds.count_cat("c"))
    assert list(ours["c"].values) == list(theirs["c"].values)
    assert_same_aggregate(ours, theirs)
    if dtype == "enum":
        assert list(ours["c"].values) == ["a", "b", "z"]  # unused categories kept


@pytest.mark.parametrize("source", ["pandas", "polars", "arrow"])
def test_missing_categories_count_for_none(source):
    """A missing category (pandas code -1, a null) counts for no category, in count_cat and
    by(); Datashader's -1 code wraps around to the last category instead."""
    names = ["a", None, "b", None]
    x, y = [0.5, 1.5, 1.5, 0.5], [0.5] * 4
    if source == "pandas":
        frame = pd.DataFrame({"x": x, "y": y, "c": pd.Categorical(names, categories=["a", "b"])})
    elif source == "polars":
        frame = pl.DataFrame({"x": x, "y": y, "c": pl.Series(names).cast(pl.Enum(["a", "b"]))})
    else:
        frame = pa.table({"x": x, "y": y, "c": pa.array(names).dictionary_encode()})
    cvs = gp.Canvas(2, 1, (0, 2), (0, 1))
    counts = cvs.points(frame, "x", "y", agg=gp.count_cat("c"))
    assert counts.values.tolist() == [[[1, 0], [0, 1]]]
    assert cvs.points(frame, "x", "y", agg=gp.by("c")).values.tolist() == [[[1, 0], [0, 1]]]
    marks = cvs.points(frame, "x", "y", agg=gp.by("c", gp.any()))
    assert marks.values.tolist() == [[[True, False], [False, True]]]
