"""Reductions, named and shaped as Datashader's (``ds.count()``, ``ds.mean("v")``...)."""

from __future__ import annotations

import builtins
from typing import Optional

__all__ = ["Reduction", "count", "any", "sum", "mean", "var", "std", "min", "max", "first", "last",
           "count_cat", "by"]


class Reduction:
    """What each pixel aggregates: the library reduction's name and the column it reads."""

    _name = ""

    def __init__(self, column: Optional[str] = None):
        self.column = column

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.column!r})" if self.column is not None else f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.column == getattr(other, "column", None)

    def __hash__(self) -> int:
        return hash((type(self), self.column))


class count(Reduction):
    """Number of points per pixel (uint32); with a column, points whose value is not NaN."""

    _name = "count"


class any(Reduction):
    """Whether any point fell in the pixel (bool); with a column, any whose value is not NaN."""

    _name = "any"


class _Value(Reduction):
    """A reduction of a value column."""

    def __init__(self, column: str):
        if not isinstance(column, str):
            raise ValueError(f"{type(self).__name__}: give the name of the value column, not {column!r}")
        super().__init__(column)


class sum(_Value):
    """Sum of the column (float64, NaN where empty)."""

    _name = "sum"


class mean(_Value):
    """Mean of the column (float64, NaN where empty)."""

    _name = "mean"


class var(_Value):
    """Population variance of the column (float64)."""

    _name = "var"


class std(_Value):
    """Population standard deviation of the column (float64)."""

    _name = "std"


class min(_Value):
    """Smallest value of the column."""

    _name = "min"


class max(_Value):
    """Largest value of the column."""

    _name = "max"


class first(_Value):
    """First value in input order."""

    _name = "first"


class last(_Value):
    """Last value in input order."""

    _name = "last"


class count_cat(_Value):
    """One count per category of a categorical (or small non-negative integer) column: (H, W, C) uint32."""

    _name = "count-cat"


class by(Reduction):
    """Datashader's ``by(column, reduction)``: ``reduction`` (default ``count()``) per category
    of ``column``, an (H, W, C) aggregate. ``by(c, count())`` is ``count_cat(c)``; any other
    reduction is one pass over the data for every category at once (points, and lines of
    ``line_width=0``)."""

    def __init__(self, cat_column: str, reduction: Optional[Reduction] = None):
        reduction = count() if reduction is None else reduction
        if not isinstance(cat_column, str):
            raise ValueError(f"by: give the name of the category column, not {cat_column!r}")
        if not isinstance(reduction, Reduction) or isinstance(reduction, (by, count_cat)):
            raise ValueError(f"by: the reduction must be one of count(), any(), sum(c)... not {reduction!r}")
        super().__init__(cat_column)
        self.reduction = reduction
        # by(c, count()) is count-cat; other reductions take the engine's aggregate_by (one pass too)
        self._name = "count-cat" if type(reduction) is count and reduction.column is None else "by"

    def __repr__(self) -> str:
        return f"by({self.column!r}, {self.reduction!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, by) and (self.column, self.reduction) == (other.column, other.reduction)

    def __hash__(self) -> int:
        return hash((by, self.column, self.reduction))


_ = builtins  # the builtins these classes shadow stay reachable as builtins.sum etc.
