"""Datashader's ``_interpolate`` in NumPy, for the ``shade`` options the engine's shaders do not
take: a fixed ``span``, a single-colour ``cmap`` (alpha ramp from ``min_alpha`` to ``alpha``),
``rescale_discrete_levels`` and matplotlib colormap objects, on 2-D numeric aggregates.

A line-by-line port of datashader/transfer_functions/__init__.py (``_interpolate``,
``eq_hist``, ``_rescale_discrete_levels``; Datashader 0.19, BSD-3-Clause), so the pixels are
Datashader's. Everything else is shaded by the engine (``gigaplot.shade``).
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from . import _gigaplot


def eq_hist(data: np.ndarray, mask: Optional[np.ndarray] = None, nbins: int = 256 * 256):
    """Histogram equalisation as Datashader's ``eq_hist``: (values, discrete levels)."""
    if mask is not None and np.all(mask):
        return np.full_like(data, np.nan), 0
    data2 = data if mask is None else data[~mask]
    if data2.dtype == bool or (np.issubdtype(data2.dtype, np.integer) and np.ptp(data2) < nbins):
        values, counts = np.unique(data2, return_counts=True)
        vmin, vmax = values[0].item(), values[-1].item()
        interval = vmax - vmin
        bin_centers = np.arange(vmin, vmax + 1)
        hist = np.zeros(interval + 1, dtype="uint64")
        hist[values - vmin] = counts
        discrete_levels = len(values)
    else:
        hist, bin_edges = np.histogram(data2, bins=nbins)
        bin_centers = (bin_edges[:-1] + bin_edges[1:]) / 2
        keep_mask = hist > 0
        discrete_levels = np.count_nonzero(keep_mask)
        if discrete_levels != len(hist):
            hist = hist[keep_mask]
            bin_centers = bin_centers[keep_mask]
    cdf = hist.cumsum()
    cdf = cdf / float(cdf[-1])
    out = np.interp(data, bin_centers, cdf).reshape(data.shape)
    return (out if mask is None else np.where(mask, np.nan, out)), discrete_levels


_HOW = {
    "log": lambda d, m: np.log1p(np.where(m, np.nan, d)),
    "cbrt": lambda d, m: np.where(m, np.nan, d) ** (1 / 3.0),
    "linear": lambda d, m: np.where(m, np.nan, d),
    "eq_hist": eq_hist,
}


def _rescale_discrete_levels(discrete_levels: Any, span: Tuple[float, float]):
    if discrete_levels is None:
        raise ValueError("how: the interpolator did not return discrete levels")
    m = -0.5 / 98.0
    c = 1.5 - 2 * m
    multiple = m * discrete_levels + c
    if multiple > 1:
        lower_span = max(span[1] - multiple * (span[1] - span[0]), 0)
        span = (lower_span, 1)
    return span


def _rgb(color: Any) -> Tuple[int, int, int]:
    if isinstance(color, tuple) and len(color) == 3:
        return tuple(int(c) for c in color)
    r, g, b, _ = _gigaplot.parse_color(str(color))
    return r, g, b


def interpolate(data: np.ndarray, cmap: Any, how: Any, alpha: int, span: Any, min_alpha: int,
                rescale_discrete_levels: bool) -> np.ndarray:
    """(H, W, 4) uint8 RGBA of a 2-D numeric aggregate, as Datashader's ``_interpolate``."""
    interpolater = how if callable(how) else _HOW.get(str(how).replace("-", "_"))
    if interpolater is None:
        raise ValueError(f"how: unknown interpolation method '{how}'")
    data = data.copy()
    if np.issubdtype(data.dtype, np.bool_):
        mask = ~data
        data = data.astype(np.int8)
    elif data.dtype.kind == "u":
        mask = data == 0
    else:
        mask = np.isnan(data)
    if mask.all():
        return np.zeros(data.shape + (4,), dtype=np.uint8)
    if span is None:
        offset = np.nanmin(data[~mask])
    else:
        offset = np.array(span, dtype=data.dtype)[0]
        lower, upper = span
        clipped = np.clip(data, lower, upper)
        data = np.where(mask, data, clipped).astype(data.dtype, copy=False)
    data -= offset
    with np.errstate(invalid="ignore", divide="ignore"):
        data = interpolater(data, mask)
        discrete_levels = None
        if isinstance(data, (list, tuple)):
            data, discrete_levels = data
        if span is None:
            masked_data = np.where(~mask, data, np.nan)
            span = np.nanmin(masked_data), np.nanmax(masked_data)
            if rescale_discrete_levels and discrete_levels is not None:
                span = _rescale_discrete_levels(discrete_levels, span)
        else:
            if how == "eq_hist":
                raise ValueError("span: not (yet) valid with how='eq_hist' (as in Datashader)")
            span = interpolater([0, span[1] - span[0]], 0)
    if isinstance(cmap, tuple) and isinstance(cmap[0], str):
        cmap = list(cmap)
    if isinstance(cmap, list):
        rspan, gspan, bspan = np.array(list(zip(*map(_rgb, cmap))))
        span = np.linspace(span[0], span[1], len(cmap))
        r = np.nan_to_num(np.interp(data, span, rspan, left=255), copy=False).astype(np.uint8)
        g = np.nan_to_num(np.interp(data, span, gspan, left=255), copy=False).astype(np.uint8)
        b = np.nan_to_num(np.interp(data, span, bspan, left=255), copy=False).astype(np.uint8)
        a = np.where(np.isnan(data), 0, alpha).astype(np.uint8)
        return np.dstack([r, g, b, a])
    if isinstance(cmap, (str, tuple)):
        color = _rgb(cmap)
        aspan = np.arange(min_alpha, alpha + 1)
        span = np.linspace(span[0], span[1], len(aspan))
        r = np.full(data.shape, color[0], dtype=np.uint8)
        g = np.full(data.shape, color[1], dtype=np.uint8)
        b = np.full(data.shape, color[2], dtype=np.uint8)
        a = np.nan_to_num(np.interp(data, span, aspan, left=0, right=255), copy=False).astype(np.uint8)
        return np.dstack([r, g, b, a])
    if callable(cmap):
        scaled_data = (data - span[0]) / (span[1] - span[0])
        rgba = cmap(scaled_data, bytes=True)
        rgba[:, :, 3] = np.where(np.isnan(scaled_data), 0, alpha).astype(np.uint8)
        return np.ascontiguousarray(rgba, dtype=np.uint8)
    raise ValueError(f"cmap: expected a colormap name, a list of colours, a colour or a matplotlib colormap, "
                     f"not {type(cmap).__name__}")


def _nansum_missing(array: np.ndarray) -> np.ndarray:
    """Sum over the last axis ignoring NaN, NaN where all are NaN (Datashader's ``nansum_missing``)."""
    missing = np.isnan(array)
    all_empty = np.all(missing, axis=2)
    return np.where(missing & ~all_empty[..., None], 0, array).sum(axis=2)


def _interpolate_alpha(data, total, mask, how, alpha, span, min_alpha, rescale_discrete_levels):
    """The alpha of a categorical image from its per-pixel totals (Datashader's ``_interpolate_alpha``)."""
    interpolater = how if callable(how) else _HOW.get(str(how).replace("-", "_"))
    if interpolater is None:
        raise ValueError(f"how: unknown interpolation method '{how}'")
    if span is None:
        offset = np.nanmin(total) if not np.all(np.isnan(total)) else np.nan
        if total.dtype.kind == "u" and offset == 0:
            mask = mask | (total == 0)
            if not np.all(mask):
                offset = total[total > 0].min()
            total = np.where(~mask, total, np.nan)
        a_scaled = interpolater(total - offset, mask)
        discrete_levels = None
        if isinstance(a_scaled, (list, tuple)):
            a_scaled, discrete_levels = a_scaled
        if np.all(np.isnan(a_scaled)):
            norm_span = [np.nan, np.nan]
        else:
            norm_span = [np.nanmin(a_scaled).item(), np.nanmax(a_scaled).item()]
        if rescale_discrete_levels and discrete_levels is not None:
            norm_span = _rescale_discrete_levels(discrete_levels, norm_span)
    else:
        if how == "eq_hist":
            raise ValueError("span: not (yet) valid with how='eq_hist' (as in Datashader)")
        offset = np.array(span, dtype=data.dtype)[0]
        if total.dtype.kind == "u" and np.nanmin(total) == 0:
            mask = mask | (total <= 0)
            total = np.where(~mask, total, np.nan)
        lower, upper = span
        total = np.where(mask, total, np.clip(total, lower, upper)).astype(total.dtype, copy=False)
        a_scaled = interpolater(total - offset, mask)
        if isinstance(a_scaled, (list, tuple)):
            a_scaled = a_scaled[0]
        norm_span = interpolater([0, span[1] - span[0]], 0)
        if isinstance(norm_span, (list, tuple)):
            norm_span = norm_span[0]
    norm_span = np.hstack(norm_span)
    a_float = np.interp(a_scaled, norm_span, np.array([min_alpha, alpha]), left=0, right=255)
    return np.nan_to_num(a_float, copy=False).astype(np.uint8)


def colorize(data: np.ndarray, colors: list, how: Any, alpha: int, span: Any, min_alpha: int,
             color_baseline: Any, rescale_discrete_levels: bool) -> np.ndarray:
    """(H, W, 4) uint8 RGBA of an (H, W, C) categorical aggregate of any dtype (float ones
    such as anti-aliased ``count_cat`` lines or ``by(c, sum(v))``), ``colors`` one per
    category: Datashader's ``_colorize`` line by line, so the pixels are its."""
    rs, gs, bs = (np.array(channel) for channel in zip(*map(_rgb, colors)))
    color_data = np.array(data, order="C", copy=True)
    nan_mask = np.isnan(data)
    color_mask = ~nan_mask
    with np.errstate(invalid="ignore"):
        if color_baseline is None:
            baseline = np.nanmin(color_data) if not nan_mask.all() else np.nan
        else:
            baseline = color_baseline
        if baseline > 0:
            np.subtract(color_data, baseline, out=color_data, where=color_mask)
        else:
            np.add(color_data, -baseline, out=color_data, where=color_mask)
    if color_baseline is not None and color_data.dtype.kind != "u":
        np.maximum(color_data, 0, out=color_data)
    color_data = color_data.astype(np.float32)
    np.nan_to_num(color_data, copy=False)
    color_total = np.sum(color_data, axis=2)
    color_mask = color_mask.astype(np.float32)
    rgb = np.stack([rs, gs, bs], axis=1).astype(np.float32)
    rgb_sum = color_data @ rgb
    rgb_avg_present = color_mask @ rgb
    with np.errstate(divide="ignore", invalid="ignore"):
        rgb_array = (rgb_sum / color_total[..., None]).astype(np.uint8)
    cmask_sum = np.sum(color_mask, axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        rgb2 = (rgb_avg_present / cmask_sum[..., None]).astype(np.uint8)
    missing_colors = color_total == 0
    if np.any(missing_colors):
        rgb_array = np.where(missing_colors[..., None], rgb2, rgb_array)
    total = _nansum_missing(data)
    mask = np.isnan(total)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = _interpolate_alpha(data, total, mask, how, alpha, span, min_alpha, rescale_discrete_levels)
    rgba = np.empty((a.shape[0], a.shape[1], 4), dtype=np.uint8)
    rgba[..., :3] = rgb_array
    rgba[..., 3] = a
    return rgba
