"""Counts the pixels where two aggregates (and optionally two PNGs) differ; prints one JSON line.

The aggregates are memory-mapped and compared in bands of rows so memory stays bounded.
"""

import argparse
import json

import numpy as np

BAND_BYTES = 64 << 20


def compare_aggregates(path_a, path_b):
    """Shapes, differing pixels and totals of two (H, W) aggregates: counts, or floats whose
    NaN (empty) pixels match NaN (and whose totals skip them)."""
    a, b = np.load(path_a, mmap_mode='r'), np.load(path_b, mmap_mode='r')
    result = {'shape_a': list(a.shape), 'shape_b': list(b.shape),
              'dtype_a': str(a.dtype), 'dtype_b': str(b.dtype)}
    if a.shape != b.shape:
        return result
    rows = max(1, BAND_BYTES // max(1, a[0].nbytes))
    differing = total_a = total_b = 0
    for start in range(0, a.shape[0], rows):
        band_a, band_b = a[start:start + rows], b[start:start + rows]
        differ = band_a != band_b
        if band_a.dtype.kind == 'f' and band_b.dtype.kind == 'f':
            differ &= ~(np.isnan(band_a) & np.isnan(band_b))
            total_a += float(np.nansum(band_a, dtype=np.float64))
            total_b += float(np.nansum(band_b, dtype=np.float64))
        else:
            total_a += int(band_a.sum(dtype=np.uint64))
            total_b += int(band_b.sum(dtype=np.uint64))
        differing += int(np.count_nonzero(differ))
    return result | {'differing': differing, 'total_a': total_a, 'total_b': total_b}


def compare_pngs(path_a, path_b):
    """Sizes and differing pixels (any RGBA channel) of two decoded PNGs."""
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = None
    with Image.open(path_a) as img_a, Image.open(path_b) as img_b:
        result = {'size_a': list(img_a.size), 'size_b': list(img_b.size),
                  'mode_a': img_a.mode, 'mode_b': img_b.mode}
        if img_a.size != img_b.size:
            return result
        a, b = np.asarray(img_a.convert('RGBA')), np.asarray(img_b.convert('RGBA'))
    rows = max(1, BAND_BYTES // max(1, a[0].nbytes))
    differing = sum(int(np.count_nonzero((a[r:r + rows] != b[r:r + rows]).any(axis=2)))
                    for r in range(0, a.shape[0], rows))
    return result | {'differing': differing}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('agg_a')
    parser.add_argument('agg_b')
    parser.add_argument('--png', nargs=2, metavar=('A', 'B'), help='also compare two PNGs')
    args = parser.parse_args()
    result = {'aggregate': compare_aggregates(args.agg_a, args.agg_b)}
    if args.png:
        result['png'] = compare_pngs(*args.png)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
