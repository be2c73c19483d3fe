"""Canvas.raster against Datashader's Canvas.raster, where both resample alike: the same size,
whole down-factors (mean, min, max, first, last) and whole up-factors (nearest), for either
orientation of the coordinates; NumPy arrays, memmaps and .npy paths placed by extent."""
import warnings

import datashader as ds
import numpy as np
import pytest
import xarray as xr

import gigaplot as gp
from conftest import assert_same_aggregate


def raster(h, w, ascending, dtype=np.float64):
    rng = np.random.default_rng(h * w)
    values = rng.normal(size=(h, w)).astype(dtype)
    values[h // 3:h // 2, w // 4:w // 3] = np.nan
    xs = np.linspace(-2, 2, w, endpoint=False) + 2 / w
    ys = np.linspace(10, 13, h, endpoint=False) + 1.5 / h
    return xr.DataArray(values, coords={"y": ys if ascending else ys[::-1], "x": xs}, dims=["y", "x"])


def datashader(canvas_size, source, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds.Canvas(*canvas_size).raster(source, **kwargs)


CASES = [((80, 60), "mean", "nearest"), ((40, 30), "mean", "linear"), ((20, 20), "max", "linear"),
         ((40, 30), "min", "nearest"), ((20, 20), "first", "linear"), ((40, 30), "last", "linear"),
         ((160, 120), "mean", "nearest"), ((240, 60), "max", "nearest")]


@pytest.mark.parametrize("ascending", [True, False], ids=["y_up", "y_down"])
@pytest.mark.parametrize("size,agg,interpolate", CASES, ids=[f"{s[0]}x{s[1]}_{a}_{i}" for s, a, i in CASES])
def test_raster_equals_datashader(ascending, size, agg, interpolate):
    source = raster(60, 80, ascending)
    ours = gp.Canvas(*size).raster(source, agg=agg, interpolate=interpolate)
    theirs = datashader(size, source, agg=agg, interpolate=interpolate)
    assert_same_aggregate(ours, theirs)


def test_raster_reduction_objects_and_3d_layers():
    source = raster(60, 80, True)
    cube = xr.concat([source, source * 2], dim="band").assign_coords(band=[1, 2])
    ours = gp.Canvas(40, 30).raster(cube, layer=2, agg=gp.max)
    theirs = datashader((40, 30), cube, layer=2, agg=ds.max)
    np.testing.assert_array_equal(ours.values, theirs.values)
    np.testing.assert_array_equal(ours.values, 2 * gp.Canvas(40, 30).raster(source, agg="max").values)


def test_numpy_memmap_and_path_rasters(tmp_path):
    values = np.arange(12.0).reshape(3, 4)
    np.save(tmp_path / "g.npy", values)
    mapped = np.load(tmp_path / "g.npy", mmap_mode="r")
    for source in (values, mapped, tmp_path / "g.npy", str(tmp_path / "g.npy")):
        # default extent (0, 4, 0, 3), row 0 at the top: the result's row 0 (the bottom) is row 2
        agg = gp.Canvas(4, 3).raster(source, interpolate="nearest")
        np.testing.assert_array_equal(agg.values, values[::-1])
        np.testing.assert_array_equal(agg.x.values, [0.5, 1.5, 2.5, 3.5])
        lower = gp.Canvas(2, 3).raster(source, extent=(10, 14, 0, 3), origin="lower")
        np.testing.assert_array_equal(lower.values, [[0.5, 2.5], [4.5, 6.5], [8.5, 10.5]])
        np.testing.assert_array_equal(lower.x.values, [11.0, 13.0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.npy"], "a temporary file was left behind"


def test_raster_bad_arguments(tmp_path):
    source = raster(6, 8, True)
    with pytest.raises(ValueError, match=r"^agg: give mean, min, max, first, last or mode, not 'sum'$"):
        gp.Canvas(4, 4).raster(source, agg="sum")
    with pytest.raises(ValueError, match=r"^interpolate: give linear or nearest, not 'cubic'$"):
        gp.Canvas(4, 4).raster(source, interpolate="cubic")
    with pytest.raises(ValueError, match=r"^source: expected a 2-D raster"):
        gp.Canvas(4, 4).raster(np.zeros(5))
    with pytest.raises(ValueError, match=r"^extent: .* is not an extent"):
        gp.Canvas(4, 4).raster(np.zeros((2, 2)), extent=(1, 0, 0, 1))
    with pytest.raises(ValueError, match=r"^layer: give the layer"):
        gp.Canvas(4, 4).raster(xr.concat([source, source], dim="band"))
    with pytest.raises(OSError, match="no such file"):
        gp.Canvas(4, 4).raster(tmp_path / "missing.npy")
