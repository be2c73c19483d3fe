"""gigaplot: Datashader's API on gigaplot's exact, parallel, out-of-core renderer.

A notebook switches by changing the import::

    import gigaplot as gp
    cvs = gp.Canvas(plot_width=3600, plot_height=1800, x_range=(-180, 180), y_range=(-90, 90))
    agg = cvs.points(df, "lon", "lat", agg=gp.count())
    img = gp.shade(agg, cmap=["lightblue", "darkblue"], how="eq_hist")
    img.to_pil().save("map.png")
    gp.render(df, "lon", "lat", width=100_000, height=50_000, output="world.png")   # out of core

Aggregates equal Datashader's (same dtypes, NaN for empty, row 0 = ``y_range[0]``), images
equal ``tf.shade(...)`` pixel for pixel, and ``render`` writes the bytes ``gigaplot render``
writes with the same options.
"""

from __future__ import annotations

import builtins
import contextlib
import os
from typing import Any, Callable, Iterator, Optional, Sequence, Tuple, Union

import numpy as np

from . import _gigaplot
from ._sources import _is_path, _load_npy, _npy_file
from ._sources import columns as _columns
from .reductions import (Reduction, any, by, count, count_cat, first, last, max, mean, min, std, sum,
                         var)

__version__ = _gigaplot.__version__
__all__ = ["Canvas", "Image", "shade", "spread", "dynspread", "render", "colormap", "Reduction", "count",
           "any", "sum", "mean", "var", "std", "min", "max", "first", "last", "count_cat", "by"]

Range = Optional[Tuple[float, float]]


class _Bars:
    """A tqdm bar per render stage: the stage before is closed when the next one starts,
    the last when the render returns (``close``)."""

    def __init__(self, tqdm: Any):
        self.tqdm = tqdm
        self.bars: dict = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            self.close()
            bar = self.bars[stage] = self.tqdm(total=total or None, desc=stage, leave=False)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@contextlib.contextmanager
def _progress(progress: Any) -> Iterator[Optional[Callable[[str, int, int], None]]]:
    """The callback of `progress` (a callable(stage, done, total), True for tqdm bars when
    tqdm is installed, or None) while a render runs; tqdm bars are closed afterwards."""
    if progress is None or progress is False:
        yield None
    elif callable(progress):
        yield progress
    elif progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            yield None
            return
        bars = _Bars(tqdm)
        try:
            yield bars
        finally:
            bars.close()
    else:
        raise ValueError("progress: give a callable(stage, done, total), True for a tqdm bar, or None")


def _range(name: str, value: Any) -> Range:
    if value is None:
        return None
    try:
        lo, hi = value
        return float(lo), float(hi)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: give (lo, hi), not {value!r}") from None


def _coords(range_: Tuple[float, float], n: int, kind: str = "linear") -> np.ndarray:
    """Pixel centres along an axis, computed as Datashader's LinearAxis/LogAxis.compute_index."""
    start, end = map(np.log10, range_) if kind == "log" else range_
    s = n / (end - start)
    t = -start * s
    centres = (np.arange(n) + 0.5 - t) / s
    return 10 ** centres if kind == "log" else centres


def _data_array(values: np.ndarray, x: np.ndarray, y: np.ndarray, x_name: str, y_name: str,
                extra: Optional[Tuple[str, list]] = None, attrs: Optional[dict] = None):
    """An xarray.DataArray when xarray is importable, else the array itself."""
    try:
        import xarray as xr
    except ImportError:
        return values
    coords = {x_name: x, y_name: y}
    dims = [y_name, x_name]
    if extra is not None:
        coords[extra[0]] = extra[1]
        dims.append(extra[0])
    return xr.DataArray(values, coords=coords, dims=dims, attrs=attrs or {})


def _raster_extent(xs: np.ndarray, ys: np.ndarray, res: Tuple[float, float]) -> Tuple[float, ...]:
    """(x0, x1, y0, y1): the outer edges of a raster with cell-centre coordinates `xs`, `ys`,
    computed as Datashader's ``calc_bbox`` computes them (same float operations)."""
    xbound = xs.max() if res[0] < 0 else xs.min()
    ybound = ys.min() if res[1] < 0 else ys.max()
    ab = np.array([[res[0], 0.0, xbound], [0.0, -res[1], ybound], [0.0, 0.0, 1.0]])
    corners = [np.dot(ab, np.array([i, j, 1.0])) for i, j in
               [(0, 0), (0, len(ys)), (len(xs), 0), (len(xs), len(ys))]]
    xmin, xmax = builtins.min(c[0] for c in corners), builtins.max(c[0] for c in corners)
    ymin, ymax = builtins.min(c[1] for c in corners), builtins.max(c[1] for c in corners)
    xpad, ypad = res[0] / 2.0, res[1] / 2.0
    return float(xmin - xpad), float(xmax - xpad), float(ymin + ypad), float(ymax + ypad)


class Canvas:
    """A canvas of ``plot_width`` x ``plot_height`` pixels over ``x_range`` and ``y_range``
    (None: the data's extent), as Datashader's ``Canvas``."""

    def __init__(self, plot_width: int = 600, plot_height: int = 600, x_range: Range = None,
                 y_range: Range = None, x_axis_type: str = "linear", y_axis_type: str = "linear"):
        for name, side in (("plot_width", plot_width), ("plot_height", plot_height)):
            if not isinstance(side, (int, np.integer)) or side < 1:
                raise ValueError(f"{name}: must be a positive whole number of pixels, not {side!r}")
            if side > 2**31 - 1:
                raise ValueError(f"{name}: {side} pixels is more than the 2147483647 a side can have")
        for name, kind in (("x_axis_type", x_axis_type), ("y_axis_type", y_axis_type)):
            if kind not in ("linear", "log"):
                raise ValueError(f"{name}: must be 'linear' or 'log', not {kind!r}")
        self.x_axis_type = x_axis_type
        self.y_axis_type = y_axis_type
        self.plot_width = int(plot_width)
        self.plot_height = int(plot_height)
        self.x_range = _range("x_range", x_range)
        self.y_range = _range("y_range", y_range)

    def __repr__(self) -> str:
        return (f"Canvas(plot_width={self.plot_width}, plot_height={self.plot_height}, "
                f"x_range={self.x_range}, y_range={self.y_range})")

    def points(self, source: Any, x: str, y: str, agg: Optional[Reduction] = None, *,
               progress: Any = None):
        """Aggregates one point per row into an (H, W) DataArray (H, W, C for categories)."""
        return self._aggregate(source, x, y, agg, "points", 0.0, progress)

    def line(self, source: Any, x: str, y: str, agg: Optional[Reduction] = None, axis: int = 0,
             line_width: float = 0, antialias: bool = False, *, progress: Any = None):
        """Aggregates the polyline through consecutive rows (broken at NaN); ``line_width`` > 0
        draws Datashader's anti-aliased lines. Without ``agg``, ``any()``, as Datashader."""
        if axis != 0:
            raise ValueError("axis: only axis=0 (one line through the rows) is supported")
        for keyword, name in (("x", x), ("y", y)):
            if not isinstance(name, str):
                raise ValueError(f"{keyword}: give the name of one column, not {name!r}; several lines "
                                 "from lists of columns are not supported")
        if antialias and not line_width:
            line_width = 1.0
        return self._aggregate(source, x, y, any() if agg is None else agg, "lines", float(line_width), progress)

    def raster(self, source: Any, layer: Any = None, upsample_method: str = "linear",
               downsample_method: Any = "mean", nan_value: Any = None, agg: Any = None,
               interpolate: Optional[str] = None, chunksize: Any = None, max_mem: Any = None, *,
               extent: Optional[Tuple[float, float, float, float]] = None, origin: str = "upper",
               progress: Any = None):
        """Resamples a 2-D raster onto the canvas, as Datashader's ``Canvas.raster``: an
        ``xarray.DataArray`` (its last two dims are y and x; a 3-D one takes ``layer``) placed
        by its coordinates as Datashader places it, or a 2-D NumPy array (also an
        ``np.memmap`` or the path of a ``.npy`` file) placed at ``extent`` = (x0, x1, y0, y1)
        (default ``(0, columns, 0, rows)``) with row 0 at the top (``origin="upper"``, as
        ``gigaplot render --raster``) or the bottom (``"lower"``). ``agg`` (``downsample_method``)
        reduces the cells of a pixel: mean, min, max, first, last or mode; ``interpolate``
        (``upsample_method``) fills pixels smaller than a cell: linear or nearest. Float64
        result (float32 for float32 rasters with an order statistic), NaN where empty; the
        array is read row by row, never copied unless its x axis runs backwards or it is not
        a whole ``.npy`` file (then it is written to a temporary ``.npy`` file first)."""
        agg = downsample_method if agg is None else agg
        interpolate = upsample_method if interpolate is None else interpolate
        if isinstance(agg, Reduction):
            agg = agg._name
        elif isinstance(agg, type) and issubclass(agg, Reduction):
            agg = agg._name
        if agg not in ("mean", "min", "max", "first", "last", "mode"):
            raise ValueError(f"agg: give mean, min, max, first, last or mode, not {agg!r}")
        if interpolate not in ("linear", "nearest"):
            raise ValueError(f"interpolate: give linear or nearest, not {interpolate!r}")
        if nan_value is not None:
            raise ValueError("nan_value: not supported; give NaN cells")
        if origin not in ("upper", "lower"):
            raise ValueError(f"origin: must be 'upper' or 'lower', not {origin!r}")
        x_name, y_name = "x", "y"
        x_descending = y_descending = False
        source_coords = None
        if hasattr(source, "dims") and hasattr(source, "coords"):
            if extent is not None:
                raise ValueError("extent: a DataArray is placed by its coordinates; give a NumPy array")
            if source.ndim == 3:
                if layer is None:
                    raise ValueError("layer: give the layer of a 3-D DataArray to resample")
                source = source.sel(**{source.dims[0]: layer})
            if source.ndim != 2:
                raise ValueError(f"source: expected a 2-D or 3-D DataArray, not {source.ndim}-D")
            y_name, x_name = source.dims[-2:]
            xs, ys = np.asarray(source[x_name].values), np.asarray(source[y_name].values)
            source_coords = (xs, ys)
            h, w = source.shape
            if h < 2 or w < 2:
                raise ValueError("source: a DataArray raster needs at least 2 rows and 2 columns")
            xres, yres = (xs[-1] - xs[0]) / (w - 1), (ys[0] - ys[-1]) / (h - 1)
            extent = _raster_extent(xs, ys, (xres, yres))
            data = np.asarray(source.data) if not isinstance(source.data, np.ndarray) else source.data
            # oriented as Datashader orients it (both axes ascending, row 0 at the bottom), so
            # first, last and mean meet the cells in Datashader's order
            x_descending, y_descending = bool(xres < 0), bool(yres > 0)
            if x_descending:
                data = data[:, ::-1]
            if y_descending:
                data = data[::-1]
            origin = "lower"
        elif _is_path(source):
            data = _load_npy(source)
        else:
            data = source
        data_array = data if isinstance(data, np.ndarray) else np.asarray(data)
        if data_array.ndim != 2:
            raise ValueError(f"source: expected a 2-D raster, not of shape {data_array.shape}")
        x_range = self.x_range
        y_range = self.y_range
        with _npy_file(data_array) as path, _progress(progress) as callback:
            bytes_, shape, dtype, x_range, y_range = _gigaplot.aggregate_raster(
                path, self.plot_width, self.plot_height, x_range, y_range, extent, origin, agg, interpolate,
                self._memory(), (self.x_axis_type, self.y_axis_type), callback)
        values = bytes_.view(np.dtype(dtype)).reshape(shape)
        xs = _coords(x_range, self.plot_width, self.x_axis_type)
        ys = _coords(y_range, self.plot_height, self.y_axis_type)
        # as Datashader, the result keeps the source's orientation (descending coordinates)
        if y_descending:
            values, ys = values[::-1], ys[::-1]
        if x_descending:
            values, xs = values[:, ::-1], xs[::-1]
        # and, as Datashader, the source's own coordinates when the canvas shows its cells
        if source_coords is not None:
            (x_values, y_values), (x0, x1, y0, y1) = source_coords, extent
            if np.allclose([x0, x1], x_range) and np.size(x_values) == self.plot_width:
                xs = x_values
            if np.allclose([y0, y1], y_range) and np.size(y_values) == self.plot_height:
                ys = y_values
        return _data_array(values, xs, ys, x_name, y_name, None, {"x_range": x_range, "y_range": y_range})

    def _memory(self) -> int:
        """The working budget of an in-memory aggregate: the result is held whole anyway, so
        the render may use a few times its size (one band, no scratch traffic), at least 256 MiB."""
        return builtins.max(256 << 20, 16 * self.plot_width * self.plot_height)

    def _aggregate(self, source: Any, x: str, y: str, agg: Optional[Reduction], glyph: str,
                   line_width: float, progress: Any):
        agg = count() if agg is None else agg
        if not isinstance(agg, Reduction):
            raise ValueError(f"agg: expected a reduction such as gp.count() or gp.mean('v'), not {agg!r}")
        if agg._name == "by":
            return self._aggregate_by(source, x, y, agg, glyph, line_width, progress)
        (xs, ys, vs), categories = _columns(source, [x, y, agg.column])
        with _progress(progress) as callback:
            bytes_, shape, dtype, x_range, y_range = _gigaplot.aggregate(
                xs, ys, vs, [x, y, agg.column or ""], self.plot_width, self.plot_height, self.x_range,
                self.y_range, agg._name, glyph, line_width, self._memory(),
                (self.x_axis_type, self.y_axis_type), callback)
        values = bytes_.view(np.dtype(dtype)).reshape(shape)
        if values.dtype == np.float32 and agg._name in ("min", "max", "first", "last"):
            values = values.astype(np.float64)  # Datashader's dtype (the engine keeps float32)
        extra = None
        if agg._name == "count-cat":
            if values.ndim == 2:  # one category (or no points): the engine's (H, W)
                values = values[:, :, np.newaxis]
                shape = values.shape
            names = categories.get(agg.column)
            if names is not None and len(names) > shape[2]:
                empty = np.nan if values.dtype.kind == "f" else 0  # an anti-aliased channel: NaN
                padded = np.full(tuple(shape[:2]) + (len(names),), empty, dtype=values.dtype)
                padded[:, :, :shape[2]] = values
                values = padded
            extra = (agg.column, names if names is not None else list(range(values.shape[2])))
        return self._result(values, x_range, y_range, x, y, extra)

    def _result(self, values: np.ndarray, x_range, y_range, x: str, y: str, extra=None):
        attrs = {"x_range": x_range, "y_range": y_range}
        return _data_array(values, _coords(x_range, self.plot_width, self.x_axis_type),
                           _coords(y_range, self.plot_height, self.y_axis_type), x, y, extra, attrs)

    def _aggregate_by(self, source: Any, x: str, y: str, agg: Reduction, glyph: str, line_width: float,
                      progress: Any):
        """``by(c, reduction)``: the count per category first when the categories' number or
        the ranges are unknown, then one pass over the data for all categories (the engine's
        ``aggregate_by``), budgeted to hold the cells of every category (24 bytes each at most)."""
        reduction = agg.reduction
        if type(reduction) is any and reduction.column is None:
            counts = self._aggregate(source, x, y, count_cat(agg.column), glyph, line_width, progress)
            return counts > 0
        if glyph != "points" and line_width:
            raise ValueError(f"line_width: {agg!r} of anti-aliased lines is not supported; give line_width=0 "
                             "(by(c, count()) and count_cat(c) take any line_width)")
        (xs, ys, vs, cs), categories = _columns(source, [x, y, reduction.column, agg.column])
        names = categories.get(agg.column)
        x_range, y_range = self.x_range, self.y_range
        scales = (self.x_axis_type, self.y_axis_type)
        with _progress(progress) as callback:
            if names is None or x_range is None or y_range is None:
                _, shape, _, x_range, y_range = _gigaplot.aggregate(
                    xs, ys, cs, [x, y, agg.column], self.plot_width, self.plot_height, self.x_range,
                    self.y_range, "count-cat", glyph, 0.0, self._memory(), scales, callback)
                k = len(names) if names is not None else shape[2]
            else:
                k = len(names)
            bytes_, shape, dtype, x_range, y_range = _gigaplot.aggregate_by(
                xs, ys, vs, cs, [x, y, reduction.column or "", agg.column], self.plot_width,
                self.plot_height, x_range, y_range, reduction._name, k,
                builtins.max(self._memory(), 24 * self.plot_width * self.plot_height * k), scales, callback,
                glyph=glyph, line_width=line_width)
        values = bytes_.view(np.dtype(dtype)).reshape(shape)
        extra = (agg.column, names if names is not None else list(range(k)))
        return self._result(values, x_range, y_range, x, y, extra)


class Image:
    """A shaded image: RGBA bytes with row 0 = the bottom of the plot (``y_range[0]``), as
    Datashader's ``Image``; ``to_pil()`` and ``to_numpy()`` put the top row first."""

    def __init__(self, rgba: np.ndarray, coords: Any = None, dims: Any = None):
        self.rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
        self.coords = coords
        self.dims = dims

    @property
    def data(self) -> np.ndarray:
        """Packed uint32 pixels (H, W), as Datashader's ``Image.data``."""
        return self.rgba.view(np.uint32).reshape(self.rgba.shape[:2])

    values = data

    @property
    def shape(self) -> Tuple[int, int]:
        return self.rgba.shape[:2]

    def to_numpy(self) -> np.ndarray:
        """(H, W, 4) uint8, top row first."""
        return np.ascontiguousarray(self.rgba[::-1])

    def to_pil(self, origin: str = "lower"):
        """A Pillow RGBA image (top row first, as Datashader's ``to_pil``)."""
        from PIL import Image as PILImage

        height, width = self.rgba.shape[:2]
        # the raw decoder reads the rows bottom up (orientation -1): one copy, into Pillow
        return PILImage.frombuffer("RGBA", (width, height), self.rgba, "raw", "RGBA", 0,
                                   -1 if origin == "lower" else 1)

    def _repr_png_(self) -> bytes:
        import io

        buffer = io.BytesIO()
        self.to_pil().save(buffer, format="png")
        return buffer.getvalue()

    def __repr__(self) -> str:
        return f"<gigaplot.Image {self.shape[1]} x {self.shape[0]}>"


def colormap(name: str) -> list:
    """The colours of a colormap (``inferno``, ``fire``, ``viridis_r``, a range such as ``fire:0.2``,
    which is ``fire[51:]``) as hex strings."""
    return _gigaplot.colormap_colors(name)


_DEFAULT_CMAP = ["lightblue", "darkblue"]


def _is_color(text: str) -> bool:
    try:
        _gigaplot.parse_color(text)
        return True
    except ValueError:
        return False


def _cmap_arg(cmap: Any) -> Union[str, list, None]:
    """The engine's form of `cmap` (a colormap name or a list of colours), or None when only
    the NumPy port of Datashader's shading takes it (a single colour, a matplotlib colormap)."""
    if isinstance(cmap, str):
        if _is_color(cmap):
            return None  # Datashader: a single colour, alpha from min_alpha to alpha
        try:
            _gigaplot.colormap_colors(cmap)
            return cmap
        except ValueError:
            raise ValueError(f"cmap: '{cmap}' is neither a colour nor a colormap (NAME or NAME:LO[:HI]) "
                             f"({', '.join(_COLORMAP_NAMES)})") from None
    if isinstance(cmap, tuple) and len(cmap) == 3 and all(isinstance(c, (int, np.integer)) for c in cmap):
        return None  # an (r, g, b) colour
    if callable(cmap):
        return None
    if isinstance(cmap, (list, tuple)) or hasattr(cmap, "__iter__"):
        return [_color_text(c) for c in cmap]
    raise ValueError(f"cmap: give a colormap name, a colour or a list of colours, not {type(cmap).__name__}")


_COLORMAP_NAMES = ["datashader", "viridis", "inferno", "magma", "plasma", "cividis", "fire", "gray"]


def _color_text(color: Any) -> str:
    if isinstance(color, str):
        return color
    if isinstance(color, (tuple, list)) and len(color) == 3:
        return "#%02x%02x%02x" % tuple(int(c) for c in color)
    raise ValueError(f"cmap: cannot read the colour {color!r}")


def _unpack(agg: Any):
    """(values, coords, dims) of a DataArray or an array."""
    if hasattr(agg, "dims") and hasattr(agg, "data"):
        return np.asarray(agg.data), getattr(agg, "coords", None), agg.dims
    return np.asarray(agg), None, None


def shade(agg: Any, cmap: Any = None, color_key: Any = None, how: str = "eq_hist", alpha: int = 255,
          min_alpha: int = 40, span: Any = None, name: Optional[str] = None, color_baseline: Any = None,
          rescale_discrete_levels: bool = False) -> Image:
    """Shades an aggregate as Datashader's ``tf.shade`` does, pixel for pixel."""
    values, coords, dims = _unpack(agg)
    if not 0 <= alpha <= 255 or not 0 <= min_alpha <= 255:
        raise ValueError("alpha: alpha and min_alpha must be 0 to 255")
    if values.ndim == 2:
        cmap = _DEFAULT_CMAP if cmap is None else cmap
        engine_cmap = _cmap_arg(cmap)
        # Signed integers: Datashader's eq-hist takes their discrete levels (the engine's
        # float path a 65,536-bin histogram), so the NumPy port shades them.
        signed_eq_hist = values.dtype.kind == "i" and how == "eq_hist"
        if engine_cmap is None or span is not None or rescale_discrete_levels or callable(how) or signed_eq_hist:
            from ._shade_numpy import interpolate
            if isinstance(engine_cmap, str):
                cmap = _gigaplot.colormap_colors(engine_cmap)
            elif isinstance(engine_cmap, list):
                cmap = engine_cmap
            rgba = interpolate(values, cmap, how, int(alpha), span, int(min_alpha), rescale_discrete_levels)
            return Image(rgba, coords, dims)
    if values.ndim == 3:
        n = values.shape[2]
        if values.dtype.kind not in "biuf":
            raise ValueError(f"agg: cannot shade categories of dtype {values.dtype}")
        if color_key is None:
            key = _gigaplot.default_color_key(n)
        elif isinstance(color_key, dict):
            names = list(coords[dims[2]].values) if coords is not None else list(range(n))
            missing = [c for c in names if c not in color_key]
            if missing:
                raise ValueError(f"color_key: no colour for the categories {missing[:5]!r} (a dict is keyed by "
                                 "the aggregate's category names; a bare array's are 0, 1, ...)")
            key = [_color_text(color_key[c]) for c in names]
        else:
            key = [_color_text(c) for c in color_key]
            if len(key) < n:
                raise ValueError(f"color_key: {len(key)} colours for {n} categories")
        if values.dtype.kind in "fi" or values.dtype.itemsize > 4 or span is not None or \
                color_baseline is not None or rescale_discrete_levels or callable(how):
            # float (anti-aliased count_cat, by(c, sum(v))...) or the options the engine's
            # category shader does not take: the NumPy port of Datashader's _colorize
            from ._shade_numpy import colorize
            data = values.astype(np.uint8) if values.dtype.kind == "b" else values
            rgba = colorize(data, key[:n], how, int(alpha), span, int(min_alpha), color_baseline,
                            rescale_discrete_levels)
            return Image(rgba, coords, dims)
        counts = np.ascontiguousarray(values, dtype=np.uint32)
        rgba = _gigaplot.shade_categories(counts, key, how, int(min_alpha), int(alpha))
    elif values.ndim == 2:
        cmap_arg = engine_cmap
        kind = values.dtype.kind
        if kind == "b" or kind == "u" and (values.size == 0 or values.max() <= np.iinfo(np.uint32).max):
            rgba = _gigaplot.shade_counts(np.ascontiguousarray(values, dtype=np.uint32), cmap_arg, how)
        elif kind in "iuf":
            rgba = _gigaplot.shade_values(np.ascontiguousarray(values, dtype=np.float64), cmap_arg, how)
        else:
            raise ValueError(f"agg: cannot shade values of dtype {values.dtype}")
        if alpha != 255:
            a = rgba[3::4]
            a[a != 0] = alpha
    else:
        raise ValueError(f"agg: expected a 2-D or 3-D aggregate, not {values.ndim}-D")
    return Image(rgba.reshape(values.shape[0], values.shape[1], 4), coords, dims)


def _image_rgba(img: Any) -> Tuple[np.ndarray, Any, Any]:
    if isinstance(img, Image):
        return img.rgba, img.coords, img.dims
    values, coords, dims = _unpack(img)
    if values.dtype == np.uint32 and values.ndim == 2:
        return np.ascontiguousarray(values).view(np.uint8).reshape(values.shape + (4,)), coords, dims
    if values.dtype == np.uint8 and values.ndim == 3 and values.shape[2] == 4:
        return np.ascontiguousarray(values), coords, dims
    raise ValueError("img: expected a gigaplot or Datashader Image, or (H, W, 4) uint8 RGBA")


def spread(img: Any, px: int = 1, shape: str = "circle", how: Optional[str] = None,
           mask: Any = None, name: Optional[str] = None) -> Image:
    """Spreads every pixel over a disc (or square) of ``px`` pixels, as Datashader's ``tf.spread``."""
    if how not in (None, "over") or mask is not None:
        raise ValueError("how: only the default compositing ('over') without a mask is supported")
    if not isinstance(px, (int, np.integer)) or px < 0:
        raise ValueError(f"px: must be a whole number >= 0, not {px!r}")
    rgba, coords, dims = _image_rgba(img)
    out = _gigaplot.spread(rgba, int(px), shape)
    return Image(out.reshape(rgba.shape), coords, dims)


def dynspread(img: Any, threshold: float = 0.5, max_px: int = 3, shape: str = "circle",
              how: Optional[str] = None, name: Optional[str] = None) -> Image:
    """Spreads by the largest ``px`` up to ``max_px`` whose density stays at or below
    ``threshold``, as Datashader's ``tf.dynspread``."""
    if not 0 <= threshold <= 1:
        raise ValueError("threshold: must be in [0, 1]")
    if not isinstance(max_px, (int, np.integer)) or max_px < 0:
        raise ValueError(f"max_px: must be a whole number >= 0, not {max_px!r}")
    rgba, coords, dims = _image_rgba(img)
    px = _gigaplot.dynspread_px(rgba, int(max_px), float(threshold))
    return spread(Image(rgba, coords, dims), px, shape, how)


def _cli_text(name: str, value: Any) -> Optional[str]:
    """A keyword's value as the text its ``gigaplot render`` flag takes (None: flag absent)."""
    if value is None or value is False:
        return None
    if value is True:
        return "true"
    if name in ("x_range", "y_range"):
        lo, hi = _range(name, value)
        return f"{lo!r},{hi!r}"
    listed = name in ("color_key", "labels") and not isinstance(value, str)
    if listed or name == "cmap" and isinstance(value, (list, tuple)):
        return ",".join(str(v) if name == "labels" else _color_text(v) for v in value)
    if name in ("output", "agg_out", "scratch_dir", "pyramid", "viewer_assets"):
        return os.fspath(value)
    if name == "extent" and not isinstance(value, str):
        return ",".join(repr(float(v)) for v in value)
    if name == "agg" and isinstance(value, Reduction):
        return value._name
    if name == "how":
        return str(value).replace("_", "-")
    return str(value)


def render(source: Any = None, x: Optional[str] = None, y: Optional[str] = None, *, output: Any = None,
           value: Optional[str] = None, progress: Any = None, raster: Any = None, **options: Any) -> dict:
    """Renders out of core to files, as ``gigaplot render`` with the same options (dashes as
    underscores: ``width``, ``height``, ``x_range=(lo, hi)``, ``how``, ``cmap``, ``agg``,
    ``memory="256MiB"``, ``bare=True``, ``agg_out``, ``glyph="lines"``, ``series=K``,
    ``pyramid="tiles/"`` with ``pyramid_tile``, ``span_from_level``, ``viewer_assets``,
    ``pyramid_format="dzi"``, ``stats`` and ``shard`` (a sharded pyramid; x and y must then be
    files), ``projection="web-mercator"`` with ``max_zoom`` and ``basemap``; ``thumbnail=PX``
    beside ``output``; ``category`` (= ``agg=count_cat(c)``), ``delimiter`` of CSV files...).
    ``raster`` (a 2-D ``.npy`` path or array, with ``extent``, ``origin``, ``downsample``,
    ``upsample``) renders a raster instead of points (also into a ``pyramid``). Writes the CLI's bytes and returns the
    render's summary. The GIL is released; Ctrl-C raises KeyboardInterrupt and leaves no file."""
    category = options.pop("category", None)
    if category is not None:
        # as the CLI's --category: the column of count-cat
        agg = options.get("agg")
        name = agg._name if isinstance(agg, Reduction) else agg
        if agg is not None and name not in ("count-cat", "count_cat"):
            raise ValueError(f"category: is the column of agg count-cat, not of agg {name}; drop one of them")
        if value is not None and value != category:
            raise ValueError(f"category: {category!r} differs from value ({value!r}); give one of them")
        options["agg"], value = "count-cat", category
    agg = options.get("agg")
    if isinstance(agg, Reduction):
        if agg._name == "by":
            raise ValueError(f"agg: gp.render takes count_cat(c) (= by(c, count())), not {agg!r}")
        if agg.column is not None:
            if value is not None and value != agg.column:
                raise ValueError(f"value: {value!r} differs from the column of agg ({agg.column!r})")
            value = agg.column
    texts = {}
    for name, v in dict(options, output=output).items():
        text = _cli_text(name, v)
        if text is not None:
            texts[name] = text
    if raster is not None:
        if source is not None or x is not None or y is not None:
            raise ValueError("raster: give the raster or a source with x and y, not both")
        array = _load_npy(raster) if _is_path(raster) else np.asarray(raster)
        if array.ndim != 2:
            raise ValueError(f"raster: expected a 2-D array, not of shape {array.shape}")
        with _npy_file(array) as path, _progress(progress) as callback:
            return _gigaplot.render_file(None, None, None, ["", "", ""], dict(texts, raster=path), callback)
    if source is None or x is None or y is None:
        raise ValueError("source: give a source with the x and y column names (or raster=)")
    (xs, ys, vs), _ = _columns(source, [x, y, value])
    with _progress(progress) as callback:
        return _gigaplot.render_file(xs, ys, vs, [x, y, value or ""], texts, callback)
