"""Writes the reference data files under tests/data/ in one layout, shared by the tools/gen_*.py
generators so that a rerun with the same library versions reproduces a file byte for byte.

Layout: one JSON object. Every key whose value is a list of records is written one record a
line; every other key on a line of its own. Floats are written in their shortest round-trip
form (Python's `repr`), which gigaplot's tests read back bit-exactly (serde_json's
`float_roundtrip`); NaN and the infinities, which JSON lacks, are the strings "NaN", "inf" and
"-inf". Byte data (RGBA images) are hex strings.
"""

import json
import math
import os
import sys
import tempfile

import numpy as np


def plain(value):
    """`value` with numpy scalars and arrays made Python ones and NaN/inf made strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    return value


def compact(value):
    return json.dumps(plain(value), separators=(", ", ": "), allow_nan=False)


def text(document):
    """The file's text: `document` is a dict whose list-of-dict values become one record a line."""
    lines = ["{"]
    items = list(document.items())
    for n, (key, value) in enumerate(items):
        comma = "," if n + 1 < len(items) else ""
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"  {json.dumps(key)}: [")
            lines.extend(f"    {compact(v)}," for v in value[:-1])
            lines.append(f"    {compact(value[-1])}")
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {compact(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write(directory, name, document):
    """Writes `document` to `directory/name` atomically and says so on stderr."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(text(document))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    print(f"wrote {path}", file=sys.stderr)


def versions(*modules):
    """{name: version} of the libraries that made the data."""
    return {m.__name__: m.__version__ for m in modules}
