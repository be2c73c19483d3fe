"""What the Python tools share: the command line the runner passes them and a stage timer."""

import argparse
import time


def _range(text):
    lo, hi = (float(v) for v in text.split(','))
    return lo, hi


def parse_args(description, agg_out=False):
    """Parses the tool command line: the columns, the canvas size, the data range and outputs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--x', required=True, help='x column (.npy, float32)')
    parser.add_argument('--y', required=True, help='y column (.npy, float32)')
    parser.add_argument('--width', type=int, required=True)
    parser.add_argument('--height', type=int, required=True)
    parser.add_argument('--range', type=_range, default=(-10.0, 10.0),
                        help='LO,HI of both axes (write --range=-10,10)')
    parser.add_argument('--png', help='output PNG (omit to stop after the aggregate)')
    parser.add_argument('--agg', choices=('count', 'mean'), default='count',
                        help='count, or the mean of the x column per pixel')
    if agg_out:
        parser.add_argument('--agg-out', help='save the aggregate as (H, W) .npy, row 0 = top')
    return parser.parse_args()


class Stages:
    """Times consecutive stages, printing `STAGE name seconds` as each ends (so a crash keeps them)."""

    def __init__(self):
        self.last = time.perf_counter()

    def done(self, name):
        """Ends the stage `name`, started when the previous one ended."""
        now = time.perf_counter()
        print(f'STAGE {name} {now - self.last:.3f}', flush=True)
        self.last = now
