"""Columns from pandas, Polars, PyArrow, dicts of NumPy arrays and ``.npy`` files.

Every column reaches the engine as a 1-D NumPy array of a numeric or bool dtype (or a list
of them: the chunks of an Arrow column), read in place: views of the source's own buffers
(pandas and Polars ``to_numpy`` of a column without nulls, Arrow chunks, a NumPy array,
strided views), so nothing column-sized is copied. An ``np.memmap`` of a whole ``.npy`` file
goes as its path (the engine maps it and releases read pages). Columns with nulls
(pandas' nullable and Arrow dtypes, Polars, Arrow) go as their values and their null mask or
validity bitmap, non-native byte order as the raw bytes and float16 as its bits: the engine
converts them chunk by chunk as it reads them (NaN for null), never the whole column.
Whole copies remain only for what no buffer holds as numbers: object columns, and
longdouble.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from builtins import any as builtins_any
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

import numpy as np

_NATIVE = {np.dtype(t) for t in ("f8", "f4", "i8", "i4", "i2", "i1", "u8", "u4", "u2", "u1", "?")}


def _whole_npy_file(a: Any) -> Optional[str]:
    """The path of the `.npy` file `a` maps whole (native, C order), else None."""
    filename = getattr(a, "filename", None)
    if not isinstance(a, np.memmap) or not filename or not str(filename).endswith(".npy"):
        return None
    if not a.flags.c_contiguous or not a.dtype.isnative or a.dtype not in _NATIVE:
        return None
    try:
        with open(filename, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                return None
            offset = f.tell()
    except (OSError, ValueError):
        return None
    if shape != a.shape or dtype != a.dtype or a.offset != offset:
        return None
    return os.fspath(filename)


@contextlib.contextmanager
def _npy_file(array: np.ndarray) -> Iterator[str]:
    """The path of a `.npy` file holding the 2-D `array`: the file it maps when it is an
    `np.memmap` of a whole C-order `.npy` file, else a temporary copy removed afterwards (the
    engine's rasters are memory-mapped files read row by row)."""
    path = _whole_npy_file(array)
    if path is not None:
        yield path
        return
    if array.dtype not in _NATIVE or not array.dtype.isnative:
        if array.dtype.kind not in "fiub":
            raise ValueError(f"source: rasters must hold numbers or bools, not {array.dtype}")
        array = array.astype(np.float64 if array.dtype.kind == "f" else array.dtype.newbyteorder("="))
    with tempfile.TemporaryDirectory(prefix="gigaplot-raster-") as tmp:
        path = os.path.join(tmp, "raster.npy")
        np.save(path, np.ascontiguousarray(array))
        yield path


_TABLE_SUFFIXES = (".parquet", ".pq", ".parq", ".arrow", ".feather", ".ipc", ".arrows", ".csv", ".tsv")


def _is_table_file(source: Any) -> bool:
    """True for the path of a Parquet, Arrow IPC/Feather or CSV file (by its extension)."""
    return _is_path(source) and os.fspath(source).lower().endswith(_TABLE_SUFFIXES)


class _TableColumn(str):
    """`TABLE:COLUMN`: a column of a table file the engine opens and reads itself."""


def _contiguous(name: str, array: Any) -> Any:
    """`array` as a 1-D array of a dtype the engine reads (itself when it already is), or
    the path of the `.npy` file it maps whole (the engine maps it and releases read pages)."""
    if isinstance(array, _TableColumn):
        return str(array)
    if isinstance(array, tuple):
        return array  # converted as the engine reads it (see _converted)
    path = _whole_npy_file(array)
    if path is not None and array.ndim == 1:
        return path
    a = np.asarray(array)
    if a.ndim != 1:
        raise ValueError(f"{name}: columns must be 1-D, not of shape {a.shape}")
    if a.dtype not in _NATIVE:
        if a.dtype.kind == "f" and a.dtype.itemsize == 2:
            return ("half", a.view(np.uint16), not a.dtype.isnative)
        if a.dtype.kind in "fiu" and not a.dtype.isnative and a.dtype.itemsize in (2, 4, 8):
            # read in place, the bytes swapped as the engine reads them
            return ("swapped", a.view(np.dtype(f"u{a.dtype.itemsize}")), f"{a.dtype.kind}{a.dtype.itemsize}")
        if a.dtype.kind in "fiub" and not a.dtype.isnative:
            a = a.astype(a.dtype.newbyteorder("="))
        elif a.dtype.kind == "f":
            a = a.astype(np.float64)  # longdouble: no Rust type reads it, a whole copy
        elif a.dtype.kind in "mM":
            a = a.view(np.int64)
        else:
            raise ValueError(f"{name}: columns must hold numbers or bools, not {a.dtype}")
    return a  # strided views are read in place, through their strides


def _is_path(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike))


def _load_npy(path: Any) -> np.ndarray:
    """A `.npy` file memory-mapped (read-only, nothing read until the render reads it)."""
    try:
        return np.load(os.fspath(path), mmap_mode="r", allow_pickle=False)
    except FileNotFoundError as e:
        raise OSError(f"{os.fspath(path)}: no such file") from e
    except ValueError as e:
        raise ValueError(f"{os.fspath(path)}: {e}") from e


def _category_codes(series: Any) -> Tuple[Any, list]:
    """A pandas Categorical's codes and categories; missing values (code -1) are nulls, which
    count for no category (Datashader's -1 code wraps around to the last category)."""
    codes = series.cat.codes.to_numpy()
    missing = codes < 0
    return (("masked", codes, missing) if missing.any() else codes), list(series.dtype.categories)


def _pandas_column(df: Any, name: str) -> Tuple[Any, Optional[list]]:
    series = df[name]
    dtype = series.dtype
    if str(dtype) == "category":
        return _category_codes(series)
    array = series.array
    if hasattr(array, "_pa_array"):  # an Arrow dtype ("double[pyarrow]"): its chunks in place
        return _arrow_chunks(array._pa_array), None
    data, mask = getattr(array, "_data", None), getattr(array, "_mask", None)
    if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray) and data.ndim == 1:
        # a nullable dtype (Int64, Float64, boolean): values and mask read in place
        return (("masked", _contiguous(name, data), mask) if mask.any() else data), None
    if getattr(dtype, "kind", "O") not in "fcbiu" or dtype.kind not in "fc" and series.hasnans:
        return series.to_numpy(dtype="float64", na_value=np.nan), None
    try:
        return series.to_numpy(), None
    except (TypeError, ValueError):
        return series.to_numpy(dtype="float64", na_value=np.nan), None


def _polars_column(df: Any, name: str) -> Tuple[np.ndarray, Optional[list]]:
    series = df.get_column(name)
    dtype = str(series.dtype)
    if dtype.startswith(("Categorical", "Enum")):
        # As Arrow: codes into the series' own categories (Polars' physical codes index a
        # global mapping), an Enum's unused categories kept.
        return _arrow_dictionary(series.to_arrow())
    if series.null_count() > 0:
        try:
            # the Arrow arrays under the series (no copy): values and validity read in place
            return _arrow_chunks(series.to_arrow()), None
        except (ImportError, TypeError, ValueError):
            return series.cast(float).fill_null(float("nan")).to_numpy(), None
    return series.to_numpy(), None


def _arrow_column(table: Any, name: str) -> Tuple[np.ndarray, Optional[list]]:
    import pyarrow as pa

    column = table.column(name)
    if pa.types.is_dictionary(column.type):
        return _arrow_dictionary(column)
    return _arrow_chunks(column), None


def _arrow_dictionary(column: Any) -> Tuple[Any, list]:
    """The codes and categories of a dictionary-encoded Arrow array or chunked array: chunks
    with dictionaries of their own are unified first (as ``to_pandas`` does), so each code
    names the same category in every chunk; null codes count for no category."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.unify_dictionaries()
        chunks = column.chunks
    else:
        chunks = [column]
    categories = chunks[0].dictionary.to_pylist() if chunks else []
    return _arrow_chunks([c.indices for c in chunks]), categories


def _arrow_chunks(chunks: Any) -> Any:
    """An Arrow array or the chunks of a column as what the engine reads: one array, or a list
    of them read one after the other (never joined). Without nulls a chunk is a view of its
    buffer; with nulls anywhere, numeric chunks go as their values and validity bitmap, read in
    place (nulls read as NaN), and other chunks are converted to float64 one at a time."""
    import pyarrow as pa

    if isinstance(chunks, pa.ChunkedArray):
        chunks = chunks.chunks
    elif isinstance(chunks, pa.Array):
        chunks = [chunks]
    nulls = builtins_any(c.null_count for c in chunks)

    def chunk_array(chunk):
        if not nulls:
            return chunk.to_numpy(zero_copy_only=False)
        kind = chunk.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            validity, data = chunk.buffers()[:2]
            values = np.frombuffer(data, dtype=np.dtype(kind.to_pandas_dtype()))
            values = values[chunk.offset:chunk.offset + len(chunk)]
            if validity is None:  # no nulls in this chunk: every bit valid
                bits, offset = np.full((len(chunk) + 7) // 8, 255, dtype=np.uint8), 0
            else:
                bits, offset = np.frombuffer(validity, dtype=np.uint8), chunk.offset
            return ("validity", _contiguous("column", values), bits, offset)
        return chunk.cast(pa.float64()).fill_null(float("nan")).to_numpy(zero_copy_only=False)

    arrays = [chunk_array(c) for c in chunks if len(c)]
    if len(arrays) == 1:
        return arrays[0]
    if not arrays:
        return np.zeros(0)
    return arrays  # read chunk after chunk by the engine, never joined


def columns(source: Any, names: Sequence[Optional[str]]) -> Tuple[list, Dict[str, list]]:
    """The arrays of `names` (None stays None) in `source`, and the categories of categorical ones.

    A source is a pandas or Polars DataFrame, a PyArrow Table or RecordBatch, a dict (or
    any mapping) of arrays or ``.npy`` paths, a directory holding ``NAME.npy`` files, or the
    path of a Parquet, Arrow IPC/Feather or CSV file (read by the engine, column by column).
    """
    kind = type(source).__module__.split(".")[0]
    out, categories = [], {}
    for name in names:
        if name is None:
            out.append(None)
            continue
        cats = None
        if kind == "pandas":
            if name not in source.columns:
                raise ValueError(f"{name}: no such column in the DataFrame")
            array, cats = _pandas_column(source, name)
        elif kind == "polars":
            if name not in source.columns:
                raise ValueError(f"{name}: no such column in the DataFrame")
            array, cats = _polars_column(source, name)
        elif kind == "pyarrow":
            if name not in source.schema.names:
                raise ValueError(f"{name}: no such column in the table")
            array, cats = _arrow_column(source, name)
        elif hasattr(source, "keys") and hasattr(source, "__getitem__"):
            if name not in source:
                raise ValueError(f"{name}: no such column (the source has {', '.join(map(str, source.keys()))})")
            array = source[name]
            if _is_path(array):
                array = _load_npy(array)
            elif str(getattr(array, "dtype", "")) == "category":
                array, cats = _category_codes(array)
        elif _is_table_file(source):
            array = _TableColumn(f"{os.fspath(source)}:{name}")
        elif _is_path(source):
            path = os.path.join(os.fspath(source), f"{name}.npy")
            array = _load_npy(path)
        else:
            raise ValueError(
                f"source: expected a pandas or Polars DataFrame, a PyArrow Table, a dict of arrays "
                f"a directory of .npy files or a Parquet, Arrow or CSV file, not {type(source).__name__}")
        if isinstance(array, list):
            out.append([_contiguous(name, a) for a in array])
        else:
            out.append(_contiguous(name, array))
        if cats is not None:
            categories[name] = cats
    return out, categories
