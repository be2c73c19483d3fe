"""Datashader: np.load the columns, a pandas DataFrame, Canvas.points with count (or the mean of
x), shade with eq_hist, save the PNG through PIL; optionally save the aggregate in image order (row 0 = top)."""

from tool_common import Stages, parse_args


def main():
    args = parse_args(__doc__, agg_out=True)
    stages = Stages()
    import numpy as np
    import pandas as pd
    import datashader as ds
    import datashader.transfer_functions as tf
    stages.done('import')

    x, y = np.load(args.x), np.load(args.y)
    stages.done('load')
    df = pd.DataFrame({'x': x, 'y': y})
    stages.done('dataframe')

    def canvas(width, height):
        return ds.Canvas(plot_width=width, plot_height=height,
                         x_range=args.range, y_range=args.range)

    reduction = ds.mean('x') if args.agg == 'mean' else ds.count()
    # Numba compiles the aggregation on first use: do it on two points so 'aggregate' is the work.
    canvas(2, 2).points(df.head(2), 'x', 'y', agg=reduction)
    stages.done('jit')
    agg = canvas(args.width, args.height).points(df, 'x', 'y', agg=reduction)
    stages.done('aggregate')

    if args.agg_out:
        np.save(args.agg_out, agg.values[::-1])
        stages.done('save aggregate')
    if args.png:
        img = tf.shade(agg, how='eq_hist')
        stages.done('shade')
        img.to_pil().save(args.png)
        stages.done('png')


if __name__ == '__main__':
    main()
