#!/usr/bin/env python3
"""Writes tests/data/tables/categories.parquet: string category columns as pyarrow writes
them, for gigaplot's Parquet string categories (src/data/parquet.rs, tests/cli/tables.rs).

Columns (1000 rows, row groups of 400, so three dictionaries):
- x, y: float32 coordinates; y has nulls;
- c: int32 category codes 0-4 (null where `label` is null);
- label: a pandas Categorical with categories NAMES in that (non-alphabetical) order, the
  codes of `c`: pyarrow writes an Arrow dictionary, whose order the Parquet dictionary
  pages keep;
- name: the same strings as a plain string column, which pyarrow dictionary-encodes too:
  its categories come in the order of first appearance (printed).

and tests/data/tables/plain_strings.parquet: its first 20 rows without dictionary encoding.

    target/pyenv/bin/python tools/gen_parquet_categories.py tests/data/tables
"""
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

NAMES = ["elder", "apple", "date", "cherry", "banana"]


def main(out_dir):
    n = 1000
    i = np.arange(n)
    rng = np.random.default_rng(11)
    c = (i * 7 + rng.integers(0, 3, n)) % 5
    x = (rng.random(n) * 10 - 3 + c).astype(np.float32)
    y = (rng.random(n) ** 2 * 8 - 1).astype(np.float32)
    y_mask = i % 89 == 7
    label_mask = i % 53 == 4
    label = pd.Categorical.from_codes(np.where(label_mask, -1, c), categories=NAMES)
    table = pa.table(
        {
            "x": pa.array(x),
            "y": pa.array(y, mask=y_mask),
            "c": pa.array(c.astype(np.int32), mask=label_mask),
            "label": pa.array(label),
            "name": pa.array([None if m else NAMES[k] for k, m in zip(c, label_mask)], pa.string()),
        }
    )
    first = list(dict.fromkeys(v for v in table["name"].to_pylist() if v is not None))
    print("first appearance:", first)
    pq.write_table(table, f"{out_dir}/categories.parquet", row_group_size=400, compression="snappy")
    # the same table without dictionaries: strings gigaplot refuses as categories
    pq.write_table(table.slice(0, 20), f"{out_dir}/plain_strings.parquet", use_dictionary=False)


if __name__ == "__main__":
    main(sys.argv[1])
