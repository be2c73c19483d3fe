"""Canvas.points and Canvas.line against Datashader 0.19: every reduction, exactly."""
import datashader as ds
import numpy as np
import pytest

import gigaplot as gp
from conftest import X_RANGE, Y_RANGE, assert_same_aggregate

REDUCTIONS = [
    ("count", ()), ("any", ()), ("sum", ("v",)), ("mean", ("v",)), ("var", ("v",)), ("std", ("v",)),
    ("min", ("v",)), ("max", ("v",)), ("first", ("v",)), ("last", ("v",)), ("count_cat", ("c",)),
]


@pytest.mark.parametrize("name,args", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_points_equal_datashader(df, name, args):
    ours = gp.Canvas(300, 200, X_RANGE, Y_RANGE).points(df, "x", "y", agg=getattr(gp, name)(*args))
    theirs = ds.Canvas(300, 200, X_RANGE, Y_RANGE).points(df, "x", "y", agg=getattr(ds, name)(*args))
    assert_same_aggregate(ours, theirs)


def test_by_count_equals_datashader(df):
    ours = gp.Canvas(120, 80, X_RANGE, Y_RANGE).points(df, "x", "y", agg=gp.by("c", gp.count()))
    theirs = ds.Canvas(120, 80, X_RANGE, Y_RANGE).points(df, "x", "y", agg=ds.by("c", ds.count()))
    assert_same_aggregate(ours, theirs)
    assert list(ours["c"].values) == [0, 1, 2, 3]


def test_ranges_from_the_data(df):
    ours = gp.Canvas(97, 61).points(df, "x", "y", agg=gp.mean("v"))
    theirs = ds.Canvas(97, 61).points(df, "x", "y", agg=ds.mean("v"))
    assert_same_aggregate(ours, theirs)


def test_row_zero_is_the_bottom():
    data = {"x": np.array([0.5]), "y": np.array([0.1])}
    agg = gp.Canvas(4, 4, (0, 4), (0, 4)).points(data, "x", "y")
    assert agg.values[0, 0] == 1 and agg.values.sum() == 1
    assert agg.y.values[0] == 0.5


def test_unused_categories_keep_their_channel(df):
    import pandas as pd
    frame = df.copy()
    frame["c"] = pd.Categorical(frame["c"], categories=[0, 1, 2, 3, 4, 5])
    ours = gp.Canvas(50, 40, X_RANGE, Y_RANGE).points(frame, "x", "y", agg=gp.count_cat("c"))
    theirs = ds.Canvas(50, 40, X_RANGE, Y_RANGE).points(frame, "x", "y", agg=ds.count_cat("c"))
    assert_same_aggregate(ours, theirs)


@pytest.mark.parametrize("name,args", [("count", ()), ("sum", ("v",)), ("max", ("v",))])
def test_lines_equal_datashader(df, name, args):
    frame = df.iloc[:2000]
    ours = gp.Canvas(160, 120, X_RANGE, Y_RANGE).line(frame, "x", "y", agg=getattr(gp, name)(*args))
    theirs = ds.Canvas(160, 120, X_RANGE, Y_RANGE).line(frame, "x", "y", agg=getattr(ds, name)(*args))
    assert_same_aggregate(ours, theirs)


def test_without_xarray_a_numpy_array_comes_back(df, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_xarray(name, *args, **kwargs):
        if name == "xarray":
            raise ImportError("no xarray")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_xarray)
    agg = gp.Canvas(30, 20, X_RANGE, Y_RANGE).points(df, "x", "y")
    assert isinstance(agg, np.ndarray) and agg.shape == (20, 30) and agg.dtype == np.uint32


@pytest.mark.parametrize("axes", [("log", "linear"), ("linear", "log"), ("log", "log")])
def test_log_axes_equal_datashader(axes):
    rng = np.random.default_rng(5)
    data = {"x": 10 ** rng.uniform(-1, 3, 20000), "y": 10 ** rng.uniform(0, 2, 20000), "v": rng.normal(size=20000)}
    import pandas as pd
    frame = pd.DataFrame(data)
    kw = dict(x_range=(0.1, 1000.0), y_range=(1.0, 100.0), x_axis_type=axes[0], y_axis_type=axes[1])
    for name, args in (("count", ()), ("mean", ("v",))):
        ours = gp.Canvas(150, 90, **kw).points(frame, "x", "y", agg=getattr(gp, name)(*args))
        theirs = ds.Canvas(150, 90, **kw).points(frame, "x", "y", agg=getattr(ds, name)(*args))
        assert ours.dtype == theirs.dtype and ours.dims == theirs.dims
        np.testing.assert_array_equal(ours.values, theirs.values)
        np.testing.assert_allclose(ours.x.values, theirs.x.values, rtol=1e-15)
        np.testing.assert_allclose(ours.y.values, theirs.y.values, rtol=1e-15)


@pytest.mark.parametrize("agg", ["count", "by"])
def test_log_axes_of_float32_columns_equal_datashader(agg):
    """Datashader's compiled point loop takes log10 of a float32 value in float32: points
    near a bin edge land in the pixel it gives them, not one over (the log in double
    precision)."""
    import pandas as pd
    rng = np.random.default_rng(11)
    n, lo, hi = 50, 0.01, 1000.0
    edges = (10.0 ** np.linspace(np.log10(lo), np.log10(hi), n + 1)).astype(np.float32)
    near = np.concatenate([edges, np.nextafter(edges, np.float32(0)), np.nextafter(edges, np.float32(np.inf))])
    x = np.concatenate([near, (10 ** rng.uniform(-2, 3, 20000)).astype(np.float32)])
    y = np.concatenate([near[::-1], (10 ** rng.uniform(-2, 3, 20000)).astype(np.float32)])
    # The data holds points whose pixel depends on the precision of the log.
    s = n / (np.log10(hi) - np.log10(lo))
    single = (np.log10(x).astype(np.float64) - np.log10(lo)) * s
    double = (np.log10(x.astype(np.float64)) - np.log10(lo)) * s
    inside = (x >= lo) & (x <= hi)
    assert (single[inside].astype(int) != double[inside].astype(int)).any()
    frame = pd.DataFrame({"x": x, "y": y, "c": pd.Categorical.from_codes(np.arange(len(x)) % 3, ["a", "b", "c"])})
    kw = dict(x_range=(lo, hi), y_range=(lo, hi), x_axis_type="log", y_axis_type="log")
    ours_agg, theirs_agg = (gp.count(), ds.count()) if agg == "count" else (gp.by("c", gp.count()), ds.by("c", ds.count()))
    ours = gp.Canvas(n, n, **kw).points(frame, "x", "y", agg=ours_agg)
    theirs = ds.Canvas(n, n, **kw).points(frame, "x", "y", agg=theirs_agg)
    np.testing.assert_array_equal(ours.values, theirs.values)


@pytest.mark.parametrize("glyph", ["points", "line"])
@pytest.mark.parametrize("name", ["count", "any"])
def test_count_and_any_of_a_column_skip_its_nan(df, glyph, name):
    """count('v') and any('v') count only the rows whose v is not NaN, as Datashader's."""
    assert df["v"].isna().any()
    ours = getattr(gp.Canvas(120, 80, X_RANGE, Y_RANGE), glyph)(df, "x", "y", agg=getattr(gp, name)("v"))
    theirs = getattr(ds.Canvas(120, 80, X_RANGE, Y_RANGE), glyph)(df, "x", "y", agg=getattr(ds, name)("v"))
    assert_same_aggregate(ours, theirs)
    plain = getattr(gp.Canvas(120, 80, X_RANGE, Y_RANGE), glyph)(df, "x", "y", agg=getattr(gp, name)())
    assert (ours.values != plain.values).any()


def test_a_line_without_agg_is_any_as_in_datashader(df):
    ours = gp.Canvas(90, 60, X_RANGE, Y_RANGE).line(df, "x", "y")
    theirs = ds.Canvas(90, 60, X_RANGE, Y_RANGE).line(df, "x", "y")
    assert ours.dtype == np.bool_
    assert_same_aggregate(ours, theirs)


def test_order_statistics_of_float32_are_float64_as_in_datashader():
    """Datashader 0.19 gives float64 for min, max, first and last of a float32 column."""
    import pandas as pd
    frame = pd.DataFrame({"x": [0.5, 0.2, 0.7], "y": [0.5, 0.5, 0.5], "v": np.array([1.5, 2.5, 0.25], np.float32)})
    expected = {"min": [2.5, 0.25], "max": [2.5, 1.5], "first": [2.5, 1.5], "last": [2.5, 0.25]}
    for name, values in expected.items():
        ours = gp.Canvas(2, 1, (0, 1), (0, 1)).points(frame, "x", "y", agg=getattr(gp, name)("v"))
        assert ours.dtype == np.float64, name
        assert ours.values.tolist() == [values], name


def test_several_columns_per_line_are_refused_naming_the_keyword(df):
    with pytest.raises(ValueError, match="^x: give the name of one column"):
        gp.Canvas(10, 10, X_RANGE, Y_RANGE).line(df, ["x", "x"], ["y", "y"])


@pytest.mark.parametrize("glyph", ["points", "line"])
def test_an_empty_frame_gives_datashader_s_empty_aggregate(glyph, tmp_path):
    """A filter that matched no rows: zeros, NaN or False everywhere, as Datashader's, and
    its -1..1 ranges when none are given. (Few reductions: Datashader compiles each.)"""
    import pandas as pd
    frame = pd.DataFrame({"x": np.array([], float), "y": np.array([], float), "v": np.array([], float),
                          "c": pd.Categorical([], categories=["a", "b"])})
    cases = [((0, 1), (0, 1), "count", ()), ((0, 1), (0, 1), "mean", ("v",)), (None, None, "count_cat", ("c",))]
    if glyph == "line":  # Datashader compiles each pair: its empty count of lines only
        cases = cases[:1]
    for x_range, y_range, name, args in cases:
        ours = getattr(gp.Canvas(30, 20, x_range, y_range), glyph)(frame, "x", "y", agg=getattr(gp, name)(*args))
        theirs = getattr(ds.Canvas(30, 20, x_range, y_range), glyph)(frame, "x", "y", agg=getattr(ds, name)(*args))
        assert_same_aggregate(ours, theirs)
    if glyph == "points":
        assert gp.Canvas(30, 20, (0, 1), (0, 1)).points(frame, "x", "y", agg=gp.by("c", gp.sum("v"))).shape == (20, 30, 2)
        out = tmp_path / "empty.png"
        gp.render(frame, "x", "y", output=str(out), width=30, height=20, bare=True)
        from PIL import Image
        assert (np.asarray(Image.open(out).convert("RGBA"))[:, :, 3] == 0).all()


def test_one_category_keeps_its_channel():
    import pandas as pd
    frame = pd.DataFrame({"x": [0.5], "y": [0.5], "c": pd.Categorical(["a"])})
    ours = gp.Canvas(2, 1, (0, 1), (0, 1)).points(frame, "x", "y", agg=gp.count_cat("c"))
    theirs = ds.Canvas(2, 1, (0, 1), (0, 1)).points(frame, "x", "y", agg=ds.count_cat("c"))
    assert ours.shape == (1, 2, 1)
    assert_same_aggregate(ours, theirs)
