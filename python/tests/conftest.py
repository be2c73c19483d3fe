"""Shared data for the gigaplot Python tests: the same points as pandas, NumPy and files."""
import numpy as np
import pandas as pd
import pytest

N = 50_000
X_RANGE = (-3.0, 3.0)
Y_RANGE = (-2.0, 2.0)


@pytest.fixture(scope="session")
def arrays():
    rng = np.random.default_rng(7)
    x = rng.normal(size=N)
    y = rng.normal(size=N).astype(np.float32)
    v = rng.normal(size=N)
    v[::97] = np.nan
    c = rng.integers(0, 4, N).astype(np.int64)
    return {"x": x, "y": y, "v": v, "c": c}


@pytest.fixture(scope="session")
def df(arrays):
    frame = pd.DataFrame(arrays)
    frame["c"] = pd.Categorical(frame["c"])
    return frame


def assert_same_aggregate(ours, theirs):
    """Same dtype, dims, coordinates and values (NaN where Datashader has NaN)."""
    assert ours.dtype == theirs.dtype
    assert ours.dims == theirs.dims
    assert ours.shape == theirs.shape
    for dim in theirs.dims:
        np.testing.assert_array_equal(np.asarray(ours[dim].values), np.asarray(theirs[dim].values))
    np.testing.assert_array_equal(ours.values, theirs.values)
