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


def test_by_of_lines_is_refused(df):
    with pytest.raises(ValueError, match=r"^agg: by\('c', sum\('v'\)\) is supported for points only"):
        gp.Canvas(10, 10, X_RANGE, Y_RANGE).line(df, "x", "y", agg=gp.by("c", gp.sum("v")))
