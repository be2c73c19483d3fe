"""gp.shade, gp.spread and gp.dynspread against Datashader's, pixel for pixel."""
import datashader as ds
import datashader.transfer_functions as tf
import numpy as np
import pytest
import xarray as xr

import gigaplot as gp
from conftest import X_RANGE, Y_RANGE

HOWS = ["eq_hist", "linear", "log", "cbrt"]


@pytest.fixture(scope="module")
def aggs(df):
    canvas = ds.Canvas(240, 160, X_RANGE, Y_RANGE)
    return {
        "count": canvas.points(df, "x", "y", agg=ds.count()),
        "any": canvas.points(df, "x", "y", agg=ds.any()),
        "mean": canvas.points(df, "x", "y", agg=ds.mean("v")),
        "sum": canvas.points(df, "x", "y", agg=ds.sum("v")),
        "count_cat": canvas.points(df, "x", "y", agg=ds.count_cat("c")),
    }


def same_pixels(ours, theirs):
    a, b = np.asarray(ours.to_pil()), np.asarray(theirs.to_pil())
    assert a.shape == b.shape
    assert np.array_equal(a, b), f"{np.count_nonzero((a != b).any(axis=2))} pixels differ"


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", ["count", "any", "mean", "sum"])
def test_shade_default_cmap(aggs, kind, how):
    same_pixels(gp.shade(aggs[kind], how=how), tf.shade(aggs[kind], how=how))


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("cmap", [["white", "red"], ["#000000", "#ff8800", "yellow"], "inferno", "fire_r"])
def test_shade_cmaps(aggs, how, cmap):
    theirs_cmap = gp.colormap(cmap) if isinstance(cmap, str) else cmap
    for kind in ("count", "mean"):
        same_pixels(gp.shade(aggs[kind], cmap=cmap, how=how), tf.shade(aggs[kind], cmap=theirs_cmap, how=how))


@pytest.mark.parametrize("alpha", [255, 200, 77])
def test_shade_alpha(aggs, alpha):
    for kind in ("count", "mean"):
        same_pixels(gp.shade(aggs[kind], alpha=alpha), tf.shade(aggs[kind], alpha=alpha))


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("alphas", [(40, 255), (0, 255), (100, 180)])
def test_shade_categories(aggs, how, alphas):
    min_alpha, alpha = alphas
    agg = aggs["count_cat"]
    same_pixels(gp.shade(agg, how=how, min_alpha=min_alpha, alpha=alpha),
                tf.shade(agg, how=how, min_alpha=min_alpha, alpha=alpha))


def test_shade_color_key_list_and_dict(aggs):
    agg = aggs["count_cat"]
    key = ["red", "green", "#0000ff", "orange"]
    same_pixels(gp.shade(agg, color_key=key), tf.shade(agg, color_key=key))
    mapping = dict(zip(agg["c"].values, key))
    same_pixels(gp.shade(agg, color_key=mapping), tf.shade(agg, color_key=mapping))


def test_shade_of_gigaplot_aggregate_equals_datashader(df):
    ours = gp.shade(gp.Canvas(240, 160, X_RANGE, Y_RANGE).points(df, "x", "y"), cmap="inferno", how="log")
    theirs = tf.shade(ds.Canvas(240, 160, X_RANGE, Y_RANGE).points(df, "x", "y"), cmap=gp.colormap("inferno"),
                      how="log")
    same_pixels(ours, theirs)


def test_image_faces(aggs):
    img = gp.shade(aggs["count"])
    top_first = img.to_numpy()
    assert top_first.shape == (160, 240, 4) and top_first.dtype == np.uint8
    np.testing.assert_array_equal(top_first, np.asarray(tf.shade(aggs["count"]).to_pil()))
    assert img._repr_png_().startswith(b"\x89PNG")
    np.testing.assert_array_equal(img.data, tf.shade(aggs["count"]).data)


@pytest.mark.parametrize("px", [0, 1, 2, 4])
@pytest.mark.parametrize("shape", ["circle", "square"])
def test_spread(aggs, px, shape):
    for kind in ("count", "count_cat"):
        same_pixels(gp.spread(gp.shade(aggs[kind]), px=px, shape=shape),
                    tf.spread(tf.shade(aggs[kind]), px=px, shape=shape))


@pytest.mark.parametrize("threshold,max_px", [(0.5, 3), (0.9, 5), (0.1, 2)])
def test_dynspread(df, threshold, max_px):
    sparse = df.iloc[:3000]
    agg = ds.Canvas(300, 200, X_RANGE, Y_RANGE).points(sparse, "x", "y")
    same_pixels(gp.dynspread(gp.shade(agg), threshold=threshold, max_px=max_px),
                tf.dynspread(tf.shade(agg), threshold=threshold, max_px=max_px))


def test_spread_accepts_a_datashader_image(aggs):
    same_pixels(gp.spread(tf.shade(aggs["count"]), px=2), tf.spread(tf.shade(aggs["count"]), px=2))


@pytest.mark.parametrize("how", ["linear", "log", "cbrt"])
@pytest.mark.parametrize("span", [(2, 20), (0.5, 3.0)])
def test_shade_span(aggs, how, span):
    for kind in ("count", "mean"):
        same_pixels(gp.shade(aggs[kind], how=how, span=span, cmap=["white", "navy"]),
                    tf.shade(aggs[kind], how=how, span=span, cmap=["white", "navy"]))


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("cmap", ["red", "#3366aa", (10, 200, 30)])
def test_shade_single_colour(aggs, how, cmap):
    for kind in ("count", "mean", "any"):
        same_pixels(gp.shade(aggs[kind], how=how, cmap=cmap, min_alpha=60),
                    tf.shade(aggs[kind], how=how, cmap=cmap, min_alpha=60))


def test_shade_rescale_discrete_levels(df):
    sparse = ds.Canvas(200, 150, X_RANGE, Y_RANGE).points(df.iloc[:500], "x", "y")
    same_pixels(gp.shade(sparse, rescale_discrete_levels=True), tf.shade(sparse, rescale_discrete_levels=True))


def test_shade_bad_arguments(aggs):
    with pytest.raises(ValueError, match=r"^cmap: 'nope' is neither a colour nor a colormap \(NAME"):
        gp.shade(aggs["count"], cmap="nope")
    with pytest.raises(ValueError, match="^how: "):
        gp.shade(aggs["count"], how="nope")
    with pytest.raises(ValueError, match="^span: "):
        gp.shade(aggs["count"], how="eq_hist", span=(1, 2))
    with pytest.raises(ValueError, match="^alpha: "):
        gp.shade(aggs["count"], alpha=300)


@pytest.mark.parametrize("how", HOWS)
def test_shade_cmap_range_is_the_sliced_list(aggs, how):
    """`cmap="fire:0.2"` is Datashader's `cmap=fire[51:]`, as on the command line."""
    fire = gp.colormap("fire")
    assert len(fire) == 256 and gp.colormap("fire:0.2") == fire[51:]
    same_pixels(gp.shade(aggs["count"], cmap="fire:0.2", how=how),
                tf.shade(aggs["count"], cmap=fire[51:], how=how))


@pytest.fixture(scope="module")
def float_categories(df):
    canvas = ds.Canvas(200, 150, X_RANGE, Y_RANGE)
    return {
        # anti-aliased count_cat lines: float32 coverage per category
        "aa_lines": canvas.line(df.iloc[:3000], "x", "y", agg=ds.count_cat("c"), line_width=1),
        # by(c, sum(v)): float64 with negative values and NaN for empty categories
        "by_sum": canvas.points(df, "x", "y", agg=ds.by("c", ds.sum("v"))),
        "by_max": canvas.points(df, "x", "y", agg=ds.by("c", ds.max("v"))),
    }


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", ["aa_lines", "by_sum", "by_max"])
def test_shade_float_categories(float_categories, kind, how):
    agg = float_categories[kind]
    assert agg.dtype.kind == "f"
    same_pixels(gp.shade(agg, how=how), tf.shade(agg, how=how))
    same_pixels(gp.shade(agg, how=how, min_alpha=0, alpha=200), tf.shade(agg, how=how, min_alpha=0, alpha=200))


@pytest.mark.parametrize("kind", ["aa_lines", "by_sum"])
def test_shade_float_categories_span_baseline_and_rescale(float_categories, kind):
    agg = float_categories[kind]
    for kwargs in ({"how": "linear", "span": (0.2, 3.0)}, {"how": "log", "color_baseline": 0.0},
                   {"how": "eq_hist", "rescale_discrete_levels": True},
                   {"color_key": ["red", "green", "blue", "black"], "how": "cbrt"}):
        same_pixels(gp.shade(agg, **kwargs), tf.shade(agg, **kwargs))


def test_shade_count_categories_with_span_and_baseline(aggs):
    agg = aggs["count_cat"]
    for kwargs in ({"how": "linear", "span": (1, 20)}, {"how": "log", "color_baseline": 1},
                   {"how": "eq_hist", "rescale_discrete_levels": True}):
        same_pixels(gp.shade(agg, **kwargs), tf.shade(agg, **kwargs))


def test_shade_gigaplot_float_categories(df):
    # the aggregates gigaplot makes itself shade like Datashader's of the same data
    ours = gp.Canvas(200, 150, X_RANGE, Y_RANGE).points(df, "x", "y", agg=gp.by("c", gp.mean("v")))
    theirs = ds.Canvas(200, 150, X_RANGE, Y_RANGE).points(df, "x", "y", agg=ds.by("c", ds.mean("v")))
    same_pixels(gp.shade(ours, how="linear"), tf.shade(theirs, how="linear"))


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64"])
def test_eq_hist_of_signed_integers_takes_their_discrete_levels(dtype):
    """Datashader's eq-hist bins integer data by its discrete levels (and masks no zero of a
    signed type): signed aggregates equal it pixel for pixel."""
    rng = np.random.default_rng(2)
    noisy = np.clip(rng.integers(-50, 300, (40, 50)), np.iinfo(dtype).min, np.iinfo(dtype).max)
    for values in (noisy.astype(dtype), np.arange(40, dtype=dtype).reshape(5, 8)):
        h, w = values.shape
        agg = xr.DataArray(values, dims=["y", "x"], coords={"y": np.arange(h * 1.0), "x": np.arange(w * 1.0)})
        for cmap in (None, ["red", "blue"]):
            kw = {} if cmap is None else {"cmap": cmap}
            ours = gp.shade(agg, how="eq_hist", **kw).rgba
            theirs = np.ascontiguousarray(tf.shade(agg, how="eq_hist", **kw).data).view(np.uint8).reshape(h, w, 4)
            np.testing.assert_array_equal(ours, theirs)


def test_a_color_key_dict_missing_categories_names_them():
    counts = np.zeros((2, 3, 2), np.uint32)
    counts[0, 0] = (1, 2)
    with pytest.raises(ValueError, match=r"^color_key: no colour for the categories \[0, 1\]"):
        gp.shade(counts, color_key={"a": "red", "b": "blue"})
    assert gp.shade(counts, color_key={0: "red", 1: "blue"}).rgba.shape == (2, 3, 4)
