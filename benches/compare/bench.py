"""Runs gigaplot, Datashader and Matplotlib side by side on the same points and bins, each as a
child process under a memory and a time limit, measures wall time and peak RSS, checks that
gigaplot and Datashader count the same, and writes RESULTS.md (see README.md)."""

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import report

HERE = Path(__file__).resolve().parent
WORK = HERE / 'work'
RANGE = '-10,10'
GNU_TIME = '/usr/bin/time'
TOOLS = ('gigaplot', 'datashader', 'matplotlib', 'vaex')
OOM_MARKERS = ('MemoryError', 'Unable to allocate', 'memory allocation of',
               'Cannot allocate memory', 'bad_alloc', 'out of memory')


@dataclass(frozen=True)
class Case:
    """One benchmark point: how many points (a power of ten) on how many pixels, and the
    reduction: `count`, or `mean` of the x column (a value reduction: float sums in input
    order)."""
    points: int
    width: int
    height: int
    check: bool = False  # also run the same-answer check
    agg: str = 'count'

    @property
    def name(self):
        name = f'1e{len(str(self.points)) - 1} points @ {self.width}x{self.height}'
        return name if self.agg == 'count' else f'{name}, {self.agg} of x'

    @property
    def slug(self):
        slug = f'1e{len(str(self.points)) - 1}-{self.width}x{self.height}'
        return slug if self.agg == 'count' else f'{slug}-{self.agg}'


CASES = (
    Case(10**6, 2000, 2000, check=True),
    Case(10**7, 16000, 16000, check=True),
    Case(10**8, 20000, 20000),
    Case(10**7, 40000, 40000),
    Case(10**9, 65536, 65536),
    # Screen-sized canvases, where most people start (issue #18).
    Case(10**8, 2000, 2000),
    Case(10**9, 2000, 2000),
    # A value reduction: the mean of the x column per pixel.
    Case(10**6, 2000, 2000, check=True, agg='mean'),
    Case(10**8, 2000, 2000, agg='mean'),
)
CASE_GROUPS = {'small': CASES[:2], 'big': CASES[2:5], 'screen': CASES[5:7], 'mean': CASES[7:],
               'all': CASES}


@dataclass
class Run:
    """The outcome of one child process."""
    status: str  # 'ok', 'out of memory', 'refused (...)', 'crashed (...)', 'timeout (...)', 'skipped: ...'
    wall_s: float | None = None
    rss_bytes: int | None = None
    png_bytes: int | None = None
    detail: str = ''  # the error line behind a failure
    summary: str = ''  # the last stderr line of a success (gigaplot's own summary)
    stages: dict = field(default_factory=dict)
    walls: list = field(default_factory=list)  # every round's wall time (with --repeat)

    @property
    def ok(self):
        return self.status == 'ok'


def estimated_bytes(tool, case):
    """A lower bound of the memory a tool needs, fitted to runs from 2000x2000 to 8000x8000 on
    the reference machine (README.md); used only to skip runs that clearly cannot fit."""
    pixels = case.width * case.height
    if tool == 'datashader':  # columns + DataFrame copy; count grid, eq_hist, RGBA + PIL copy
        return 16 * case.points + 30 * pixels
    if tool == 'matplotlib':  # columns; float64 counts, norm, colour map, Agg canvas, PNG
        return 8 * case.points + 50 * pixels
    if tool == 'vaex':  # mapped columns; float64 counts and the shading's arrays
        return 8 * case.points + 40 * pixels
    return 0  # gigaplot works in a bounded budget


def tail(path, limit=4096):
    """The last `limit` bytes of a text file (an error message is at the end)."""
    with open(path, 'rb') as f:
        f.seek(max(0, os.path.getsize(path) - limit))
        return f.read().decode(errors='replace')


def last_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else ''


def classify(returncode, timed_out, timeout, stderr):
    """Turns a child's exit into a status and the error line behind it."""
    detail = last_line(stderr)
    if timed_out:
        return f'timeout (> {timeout:g} s)', ''
    if returncode == 0:
        return 'ok', ''
    if any(marker in stderr for marker in OOM_MARKERS):
        return 'out of memory', detail
    if returncode == 128 + signal.SIGKILL:
        return 'out of memory', 'killed by SIGKILL (the kernel OOM killer?)'
    if returncode > 128:
        return f'crashed ({signal.Signals(returncode - 128).name})', detail
    return f'refused ({detail or f"exit status {returncode}"})', detail


def measure(cmd, log_stem, mem_limit, timeout):
    """Runs `cmd` under GNU time, which forks it from its own tiny process so the peak RSS is
    the tool's (a child forked from this Python would inherit our RSS in ru_maxrss), with an
    address-space limit (RLIMIT_AS, inherited) and a wall-clock limit (the group is killed)."""
    log_stem.parent.mkdir(parents=True, exist_ok=True)
    out, err, rss = (log_stem.with_suffix(s) for s in ('.out', '.err', '.rss'))
    rss.unlink(missing_ok=True)

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    argv = [GNU_TIME, '-f', '%M', '-o', str(rss), *map(str, cmd)]
    with open(out, 'wb') as stdout, open(err, 'wb') as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=stdout, stderr=stderr, preexec_fn=limit,
                                 start_new_session=True)
        timed_out = False
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            if child.returncode is None:  # timeout or Ctrl-C: take the whole group down
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        wall = time.perf_counter() - start
    status, detail = classify(child.returncode, timed_out, timeout, tail(err))
    run = Run(status, wall_s=None if timed_out else round(wall, 3), detail=detail,
              summary=last_line(tail(err)) if status == 'ok' else '', stages=read_stages(out))
    if rss.exists() and last_line(rss.read_text()).isdigit():
        run.rss_bytes = int(last_line(rss.read_text())) * 1024
    return run


def read_stages(path):
    """The `STAGE name seconds` lines a Python tool prints."""
    stages = {}
    for line in path.read_text(errors='replace').splitlines():
        if line.startswith('STAGE '):
            name, _, seconds = line[len('STAGE '):].rpartition(' ')
            stages[name] = float(seconds)
    return stages


def png_size(path):
    """Width and height from a PNG's IHDR chunk."""
    with open(path, 'rb') as f:
        header = f.read(24)
    return int.from_bytes(header[16:20], 'big'), int.from_bytes(header[20:24], 'big')


def ensure_data(gigaplot, points):
    """Generates x.npy and y.npy (float32) for `points` once, reusing them when complete."""
    directory = WORK / 'data' / str(points)
    def complete(path):  # a .npy header is a multiple of 64 bytes, a few hundred at most
        extra = path.stat().st_size - 4 * points if path.exists() else -1
        return 0 < extra <= 4096 and extra % 64 == 0
    if not all(complete(directory / f'{c}.npy') for c in 'xy'):
        print(f'generating {points} points into {directory}', flush=True)
        subprocess.run([gigaplot, 'generate', '--points', str(points), '--out', str(directory)],
                       check=True)
    return directory


def command(tool, case, data, gigaplot, png=None, agg_out=None):
    """The command line that renders `case` with `tool` (`png` None: aggregate only)."""
    size = ['--width', str(case.width), '--height', str(case.height)]
    columns = ['--x', str(data / 'x.npy'), '--y', str(data / 'y.npy')]
    if tool == 'gigaplot':
        cmd = [gigaplot, 'render', '--bare', *columns, *size, f'--x-range={RANGE}', f'--y-range={RANGE}',
               '--how', 'eq-hist', '-o', png]
        if case.agg != 'count':
            cmd += ['--agg', case.agg, '--value', str(data / 'x.npy')]
    else:
        python = report.VAEX_PYTHON if tool == 'vaex' else sys.executable
        cmd = [python, HERE / f'tool_{tool}.py', *columns, *size, f'--range={RANGE}']
        if case.agg != 'count':
            cmd += ['--agg', case.agg]
        if png:
            cmd += ['--png', png]
    if agg_out:
        cmd += ['--agg-out', agg_out]
    return cmd


def skip_reason(tool, case, args):
    """Why `tool` is not run on `case` (it clearly cannot fit under the limit, or has no such
    reduction here), or None."""
    if tool == 'matplotlib' and case.agg != 'count':
        return 'skipped: counts only (np.histogram2d)'
    need = estimated_bytes(tool, case)
    if need > args.mem_limit and not args.no_skip:
        return f'skipped: needs ~{need / 1e9:.0f} GB'
    return None


def settle(data):
    """Drops the columns from the page cache once (written back first), so that the first
    warming reads them from disk, as any data set written earlier is read. How a file came
    into the cache decides how it is held: on Linux 6.18's ext4 a file read from disk is
    cached in 2 MiB folios, which a mapping maps 2 MiB at a time, while one just written
    with small writes sits in small folios (a fault every 64 KiB); on session 11's machine
    10^9 points at 2000^2 took 1.7 s against 2.1 s for the same gigaplot binary. Every
    tool then finds the same cache."""
    for column in ('x.npy', 'y.npy'):
        fd = os.open(data / column, os.O_RDONLY)
        try:
            os.fsync(fd)
            if hasattr(os, 'posix_fadvise'):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def warm(data):
    """Reads the columns through once so that every tool finds them in the page cache."""
    buffer = bytearray(16 << 20)
    for column in ('x.npy', 'y.npy'):
        with open(data / column, 'rb', buffering=0) as f:
            while f.readinto(buffer):
                pass


def run_tool(tool, case, data, args):
    """One timed run of `tool` on `case`, its inputs in the page cache."""
    warm(data)
    out = WORK / 'out' / case.slug
    png = out / f'{tool}.png'
    png.unlink(missing_ok=True)
    run = measure(command(tool, case, data, args.gigaplot, png=png),
                  out / 'logs' / tool, args.mem_limit, args.timeout)
    if run.ok and not png.exists():
        run.status = 'refused (exited 0 without writing the PNG)'
    elif run.ok:
        run.png_bytes = png.stat().st_size
        if png_size(png) != (case.width, case.height):
            run.status = 'wrong size ({}x{})'.format(*png_size(png))
    return run


def median_run(runs):
    """The run of median wall time among a tool's rounds (the lower median of an even count),
    carrying every round's wall time; the last run when any round failed."""
    if not all(run.ok for run in runs):
        return runs[-1]
    ordered = sorted(runs, key=lambda run: run.wall_s)
    median = ordered[(len(ordered) - 1) // 2]
    median.walls = [run.wall_s for run in runs]
    return median


def same_answer(case, data, args, runs):
    """Re-runs gigaplot and Datashader saving their aggregates, and counts differing pixels of
    the aggregates (and of the two PNGs of the timed runs)."""
    out = WORK / 'out' / case.slug
    aggs = {tool: out / f'{tool}-agg.npy' for tool in ('gigaplot', 'datashader')}
    pngs = {'gigaplot': out / 'gigaplot-check.png', 'datashader': None}
    for tool, agg in aggs.items():
        agg.unlink(missing_ok=True)
        run = measure(command(tool, case, data, args.gigaplot, png=pngs[tool], agg_out=agg),
                      out / 'logs' / f'{tool}-agg', args.mem_limit, args.timeout)
        if not run.ok:
            return {'error': f'{tool} --agg-out: {run.status} {run.detail}'.strip()}
    cmd = [sys.executable, HERE / 'same_answer.py', aggs['gigaplot'], aggs['datashader']]
    if all(runs[tool].ok for tool in aggs):
        cmd += ['--png', out / 'gigaplot.png', out / 'datashader.png']
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if done.returncode != 0:
        return {'error': last_line(done.stderr)}
    return json.loads(done.stdout)


def select(text, choices, groups, what):
    """The choices named in a comma list of names and group names, in their canonical order."""
    names = {getattr(choice, 'slug', choice): choice for choice in choices}
    picked = set()
    for name in text.split(','):
        if name in groups:
            picked.update(groups[name])
        elif name in names:
            picked.add(names[name])
        else:
            raise SystemExit(f'unknown {what} {name!r}; choose from '
                             + ', '.join([*groups, *names]))
    return [choice for choice in choices if choice in picked]


def parse_size(text):
    units = {'GiB': 1 << 30, 'MiB': 1 << 20, 'GB': 10**9, 'MB': 10**6}
    for unit, factor in units.items():
        if text.endswith(unit):
            return int(float(text[:-len(unit)]) * factor)
    return int(text)


def user_args():
    """Our command line without the --gigaplot that `run` adds."""
    args = sys.argv[1:]
    if '--gigaplot' in args:
        i = args.index('--gigaplot')
        del args[i:i + 2]
    return args


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--gigaplot', required=True, help='the gigaplot binary')
    parser.add_argument('--cases', default='all',
                        help='comma list of small, big, screen, all or case names such as 1e9-2000x2000')
    parser.add_argument('--tools', default='all', help='comma list of ' + ', '.join(TOOLS))
    parser.add_argument('--mem-limit', type=parse_size, default=parse_size('20GiB'),
                        help='address-space limit of every tool (default 20GiB)')
    parser.add_argument('--no-skip', action='store_true',
                        help='run a tool even when its estimated memory exceeds the limit')
    parser.add_argument('--timeout', type=float, default=1200, help='seconds per run (default 1200)')
    parser.add_argument('--repeat', type=int, default=1,
                        help='rounds per case (every tool once per round, each after warming the '
                             'inputs); the table keeps each tool\'s median run (default 1)')
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error('--repeat must be at least 1')
    args.cases = select(args.cases, CASES, CASE_GROUPS, 'case')
    args.tools = select(args.tools, TOOLS, {'all': TOOLS}, 'tool')
    return args


def main():
    args = parse_args()
    started = report.now()
    load_before = report.loadavg()
    results = []
    for case in args.cases:
        skips = {tool: skip_reason(tool, case, args) for tool in args.tools}
        data = None if all(skips.values()) else ensure_data(args.gigaplot, case.points)
        if data is not None:
            settle(data)
        rounds = {tool: [] for tool in args.tools}
        for _ in range(args.repeat):
            for tool in args.tools:
                if rounds[tool] and not rounds[tool][-1].ok:
                    continue  # a failure (or a skip) is not retried
                print(f'{case.name}: {tool} ...', end=' ', flush=True)
                run = Run(skips[tool]) if skips[tool] else run_tool(tool, case, data, args)
                rounds[tool].append(run)
                print(report.one_line(run), flush=True)
        runs = {tool: median_run(tool_runs) for tool, tool_runs in rounds.items()}
        check = None
        if case.check and {'gigaplot', 'datashader'} <= set(runs):
            check = same_answer(case, data, args, runs)
            print(f'{case.name}: same answer: {report.check_line(check)}', flush=True)
        results.append({'case': case, 'runs': runs, 'check': check})
    meta = {'started': started, 'load_before': load_before, 'load_after': report.loadavg(),
            'mem_limit': args.mem_limit, 'timeout': args.timeout, 'range': RANGE,
            'machine': report.machine(), 'versions': report.versions(args.gigaplot),
            'command': ' '.join(['benches/compare/run', *user_args()])}
    raw = [{'case': asdict(r['case']) | {'name': r['case'].name}, 'check': r['check'],
            'runs': {tool: asdict(run) for tool, run in r['runs'].items()}} for r in results]
    (WORK / 'results.json').write_text(json.dumps({'meta': meta, 'results': raw}, indent=1))
    text = report.markdown(meta, results)
    # RESULTS.md keeps earlier runs: the new one is appended below them
    results_md = HERE / 'RESULTS.md'
    earlier = results_md.read_text() if results_md.exists() else ''
    results_md.write_text(earlier + ('\n---\n\n' if earlier else '') + text)
    print('\n' + text)


if __name__ == '__main__':
    main()
