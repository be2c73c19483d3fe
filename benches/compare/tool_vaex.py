"""Vaex: the columns memory-mapped (np.load with mmap_mode='r'), vaex.from_arrays, the counts
(or the mean of x) of a 2-D binby with the canvas's shape and limits, eq_hist shading in NumPy
(ranks of the distinct values of the non-empty pixels, Datashader's default light blue to dark blue ramp), the PNG through
PIL. Vaex bins are half-open ([lo, hi)), so points exactly on the top edge are not counted:
the timing compares, the pixels may differ in the last row and column."""

from tool_common import Stages, parse_args


def main():
    args = parse_args(__doc__)
    stages = Stages()
    import numpy as np
    import vaex
    stages.done('import')

    x = np.load(args.x, mmap_mode='r')
    y = np.load(args.y, mmap_mode='r')
    df = vaex.from_arrays(x=x, y=y)
    stages.done('load')

    lo, hi = args.range
    bins = dict(binby=[df.x, df.y], limits=[[lo, hi], [lo, hi]], shape=(args.width, args.height))
    if args.agg == 'mean':
        grid = df.mean(df.x, **bins)
    else:
        grid = df.count(**bins)
    stages.done('aggregate')

    if args.png:
        from PIL import Image
        image = np.ascontiguousarray(grid.T[::-1])  # row 0 = top
        lit = ~np.isnan(image) if args.agg == 'mean' else image > 0
        distinct, rank = np.unique(image[lit], return_inverse=True)
        level = np.zeros(image.shape)
        level[lit] = (rank + 1) / max(len(distinct), 1)
        start, end = np.array([0xAD, 0xD8, 0xE6]), np.array([0x00, 0x00, 0x8B])
        rgba = np.zeros(image.shape + (4,), np.uint8)
        rgba[..., :3] = (start + (end - start) * level[..., None]).astype(np.uint8)
        rgba[..., 3] = np.where(lit, 255, 0)
        stages.done('shade')
        Image.fromarray(rgba, 'RGBA').save(args.png)
        stages.done('png')


if __name__ == '__main__':
    main()
