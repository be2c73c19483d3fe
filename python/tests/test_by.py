"""by(column, reduction) for every reduction against Datashader's ds.by, exactly."""
import datashader as ds
import numpy as np
import pandas as pd
import pytest

import gigaplot as gp
from conftest import X_RANGE, Y_RANGE, assert_same_aggregate

BY = [("count", ()), ("count", ("v",)), ("any", ()), ("sum", ("v",)), ("mean", ("v",)), ("var", ("v",)),
      ("std", ("v",)), ("min", ("v",)), ("max", ("v",)), ("first", ("v",)), ("last", ("v",))]


@pytest.mark.parametrize("name,args", BY, ids=[f"{n}{'_v' if a else ''}" for n, a in BY])
def test_by_equals_datashader(df, name, args):
    ours = gp.Canvas(150, 100, X_RANGE, Y_RANGE).points(df, "x", "y", agg=gp.by("c", getattr(gp, name)(*args)))
    theirs = ds.Canvas(150, 100, X_RANGE, Y_RANGE).points(df, "x", "y", agg=ds.by("c", getattr(ds, name)(*args)))
    assert_same_aggregate(ours, theirs)
    assert ours.dims == ("y", "x", "c") and list(ours["c"].values) == [0, 1, 2, 3]


def test_by_with_ranges_from_the_data_and_unused_categories(df):
    frame = df.copy()
    frame["c"] = pd.Categorical(frame["c"], categories=[0, 1, 2, 3, 4])
    ours = gp.Canvas(61, 47).points(frame, "x", "y", agg=gp.by("c", gp.sum("v")))
    theirs = ds.Canvas(61, 47).points(frame, "x", "y", agg=ds.by("c", ds.sum("v")))
    assert_same_aggregate(ours, theirs)
    assert np.isnan(ours.values[:, :, 4]).all()


def test_by_integer_categories_from_a_dict(arrays):
    # a dict of arrays: the categories are the codes 0..max, found by a count_cat pass
    ours = gp.Canvas(40, 30, X_RANGE, Y_RANGE).points(arrays, "x", "y", agg=gp.by("c", gp.max("v")))
    counts = gp.Canvas(40, 30, X_RANGE, Y_RANGE).points(arrays, "x", "y", agg=gp.count_cat("c"))
    assert ours.shape == (30, 40, 4) and ours.dtype == np.float64
    for k in range(4):
        one = gp.Canvas(40, 30, X_RANGE, Y_RANGE).points(
            {"x": np.where(arrays["c"] == k, arrays["x"], np.nan), "y": arrays["y"], "v": arrays["v"]},
            "x", "y", agg=gp.max("v"))
        np.testing.assert_array_equal(ours.values[:, :, k], one.values)
    assert (np.isnan(ours.values) == (counts.values == 0)).sum() > 0


@pytest.fixture(scope="module")
def walk(df):
    """A polyline (a random walk, broken by a few NaN vertices) with values and categories."""
    n = 20_000
    rng = np.random.default_rng(9)
    frame = pd.DataFrame({"x": np.cumsum(rng.normal(size=n)) * 0.02, "y": np.cumsum(rng.normal(size=n)) * 0.02,
                          "v": rng.normal(size=n), "c": pd.Categorical(rng.integers(0, 3, n))})
    frame.loc[frame.index[::501], "x"] = np.nan
    frame.loc[frame.index[::89], "v"] = np.nan
    return frame


LINE_BY = [n for n in BY if n[0] != "any"]


@pytest.mark.parametrize("name,args", LINE_BY, ids=[f"{n}{'_v' if a else ''}" for n, a in LINE_BY])
def test_by_of_lines_equals_datashader(walk, name, args):
    x_range, y_range = (float(walk.x.min()), float(walk.x.max())), (float(walk.y.min()), float(walk.y.max()))
    ours = gp.Canvas(120, 90, x_range, y_range).line(walk, "x", "y", agg=gp.by("c", getattr(gp, name)(*args)))
    theirs = ds.Canvas(120, 90, x_range, y_range).line(walk, "x", "y", agg=ds.by("c", getattr(ds, name)(*args)))
    assert_same_aggregate(ours, theirs)
    assert ours.shape == (90, 120, 3) and (np.asarray(ours.values) != 0).any()


def test_by_of_lines_with_ranges_from_the_data(walk):
    ours = gp.Canvas(64, 48).line(walk, "x", "y", agg=gp.by("c", gp.max("v")))
    theirs = ds.Canvas(64, 48).line(walk, "x", "y", agg=ds.by("c", ds.max("v")))
    assert_same_aggregate(ours, theirs)


def test_by_of_anti_aliased_lines_is_refused(walk):
    with pytest.raises(ValueError, match=r"^line_width: by\('c', sum\('v'\)\) of anti-aliased lines is not"):
        gp.Canvas(10, 10, X_RANGE, Y_RANGE).line(walk, "x", "y", agg=gp.by("c", gp.sum("v")), line_width=1)


@pytest.fixture(scope="module")
def sparse():
    """Points and a polyline with float32 values (NaN every 11th), and six categories of which
    two are never used."""
    n = 30_000
    rng = np.random.default_rng(21)
    codes = rng.choice([0, 2, 3, 5], n)
    frame = pd.DataFrame({"x": np.cumsum(rng.normal(size=n)) * 0.01, "y": np.cumsum(rng.normal(size=n)) * 0.01,
                          "v": rng.normal(size=n).astype(np.float32),
                          "c": pd.Categorical.from_codes(codes, ["a", "b", "c", "d", "e", "f"])})
    frame.loc[frame.index[::11], "v"] = np.nan
    return frame


ONE_PASS = [n for n in BY if n != ("count", ())]


@pytest.mark.parametrize("glyph", ["points", "line"])
@pytest.mark.parametrize("name,args", ONE_PASS, ids=[f"{n}{'_v' if a else ''}" for n, a in ONE_PASS])
def test_by_in_one_pass_with_empty_and_missing_categories(sparse, glyph, name, args):
    # by(c, count()) is count_cat; every other reduction takes the one-pass path
    if glyph == "line" and name == "any":
        pytest.skip("by(c, any()) of lines is refused")
    x_range, y_range = (float(sparse.x.min()), float(sparse.x.max())), (float(sparse.y.min()), float(sparse.y.max()))
    ours = getattr(gp.Canvas(80, 60, x_range, y_range), glyph)(sparse, "x", "y",
                                                               agg=gp.by("c", getattr(gp, name)(*args)))
    theirs = getattr(ds.Canvas(80, 60, x_range, y_range), glyph)(sparse, "x", "y",
                                                                 agg=ds.by("c", getattr(ds, name)(*args)))
    assert_same_aggregate(ours, theirs)
    values = np.asarray(ours.values)
    empty = np.isnan(values) if values.dtype.kind == "f" else values == 0
    assert empty[:, :, [1, 4]].all() and not empty[:, :, [0, 2, 3, 5]].all(axis=(0, 1)).any()


def test_rows_without_a_category_count_for_none(sparse):
    # Datashader's numba code reads the code -1 of a missing category as the last category;
    # gigaplot counts such rows for none, as if they were not there
    frame = sparse.copy()
    missing = np.zeros(len(frame), bool)
    missing[::53] = True
    frame.loc[missing, "c"] = np.nan
    cvs = gp.Canvas(80, 60, (-1.0, 1.0), (-1.0, 1.0))
    ours = cvs.points(frame, "x", "y", agg=gp.by("c", gp.mean("v")))
    without = cvs.points(frame[~missing], "x", "y", agg=gp.by("c", gp.mean("v")))
    np.testing.assert_array_equal(ours.values, without.values)
    assert (~np.isnan(ours.values)).sum() > 1000
