"""Matplotlib (Agg): np.histogram2d over the same bins as the other tools, shown with imshow and a
log norm on an axes filling a figure of exactly W x H pixels, saved with savefig."""

from tool_common import Stages, parse_args

# A power of two, so that W / DPI * DPI is exact and the PNG is W x H pixels for any W.
DPI = 64


def main():
    args = parse_args(__doc__)
    stages = Stages()
    import numpy as np
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap, LogNorm
    stages.done('import')

    x, y = np.load(args.x), np.load(args.y)
    stages.done('load')
    counts, _, _ = np.histogram2d(x, y, bins=(args.width, args.height),
                                  range=(args.range, args.range))
    stages.done('histogram2d')
    if not args.png:
        return

    fig = plt.figure(figsize=(args.width / DPI, args.height / DPI), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    # Datashader's default colours; empty bins are masked by the norm and stay transparent.
    cmap = LinearSegmentedColormap.from_list('lightblue-darkblue', ['lightblue', 'darkblue'])
    # interpolation_stage='data' gives the same pixels as the default at this 1:1 scale in a
    # third of the time and memory (measured at 4000x4000): what a user tuning for size writes.
    ax.imshow(counts.T, origin='lower', interpolation='nearest', interpolation_stage='data',
              aspect='auto', norm=LogNorm(vmin=1), cmap=cmap)
    stages.done('imshow')
    fig.savefig(args.png, dpi=DPI)
    stages.done('render + png')


if __name__ == '__main__':
    main()
