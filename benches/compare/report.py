"""The machine, the tool versions and the Markdown tables of RESULTS.md."""

import datetime
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

# Vaex needs pandas < 3 and Datashader 0.19 pandas 3, so Vaex has a virtualenv of its own.
VAEX_PYTHON = Path(__file__).resolve().parent / '.venv-vaex' / 'bin' / 'python'
PACKAGES = ('datashader', 'matplotlib', 'numpy', 'pandas', 'pillow', 'numba', 'xarray')
HEADER = ('Tool', 'Status', 'Wall time (s)', 'Peak RSS (MB)', 'PNG (MB)', 'gigaplot vs this tool')


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')


def loadavg():
    return Path('/proc/loadavg').read_text().split()[0]


def _proc_field(path, key):
    for line in Path(path).read_text().splitlines():
        if line.startswith(key):
            return line.split(':', 1)[1].strip()
    return 'unknown'


def machine():
    """nproc, memory, CPU model and kernel of this machine."""
    mem_kib = int(_proc_field('/proc/meminfo', 'MemTotal').split()[0])
    return {'nproc': len(os.sched_getaffinity(0)), 'memory': f'{mem_kib / 2**20:.1f} GiB',
            'cpu': _proc_field('/proc/cpuinfo', 'model name'), 'kernel': platform.release()}


def _git(directory, *args):
    done = subprocess.run(['git', '-C', str(directory), *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ''


def versions(gigaplot):
    """gigaplot's version and commit (of the checkout holding the binary), Python's, the packages'."""
    version = subprocess.run([gigaplot, '--version'], capture_output=True, text=True).stdout.strip()
    directory = Path(gigaplot).resolve().parent
    # A binary copied out of its checkout (GIGAPLOT=...) says its commit in GIGAPLOT_COMMIT.
    commit = os.environ.get('GIGAPLOT_COMMIT', '').strip()
    dirty = ''
    if not commit:
        commit = _git(directory, 'rev-parse', '--short', 'HEAD')
        dirty = ' (uncommitted changes)' if _git(directory, 'status', '--porcelain', '--', ':/src') else ''
    version = version.removeprefix('gigaplot ') or '?'
    found = {'gigaplot': f'{version} ({gigaplot}, commit {commit or "?"}{dirty})',
             'python': platform.python_version()}
    return found | {name: _installed(name) for name in PACKAGES} | {'vaex-core': _vaex_version()}


def _vaex_version():
    """vaex-core's version in Vaex's own virtualenv (made by `run`)."""
    if not VAEX_PYTHON.exists():
        return 'not installed'
    script = 'import importlib.metadata as m; print(m.version("vaex-core"))'
    found = subprocess.run([VAEX_PYTHON, '-c', script], capture_output=True, text=True)
    return found.stdout.strip() or '?'


def _installed(name):
    """The installed version of package `name`, or 'not installed' (a run of some tools only
    needs only theirs)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return 'not installed'


def _number(value, scale=1.0, digits=2):
    return '' if value is None else f'{value / scale:.{digits}f}'


def _ratio(value):
    return f'{value:.0f}' if value >= 10 else f'{value:.1f}'


def versus(gigaplot, other):
    """'gigaplot is 12.3x faster, uses 1/25 of the RSS' when both runs succeeded."""
    if gigaplot is other or not (gigaplot.ok and other.ok and gigaplot.rss_bytes and other.rss_bytes):
        return ''
    speed = other.wall_s / gigaplot.wall_s
    speed = f'{_ratio(speed)}x faster' if speed >= 1 else f'{_ratio(1 / speed)}x slower'
    memory = other.rss_bytes / gigaplot.rss_bytes
    memory = f'1/{_ratio(memory)} of' if memory >= 1 else f'{_ratio(1 / memory)}x'
    return f'gigaplot is {speed}, uses {memory} the RSS'


def one_line(run):
    """A run as one line for the progress output."""
    if not run.ok:
        return f'{run.status} {run.detail}'.strip()
    return f'ok, {run.wall_s:.2f} s, {run.rss_bytes / 1e6:.0f} MB peak RSS'


def check_line(check):
    """The same-answer result as one line."""
    if 'error' in check:
        return f'not checked: {check["error"]}'
    agg = check['aggregate']
    if 'differing' not in agg:
        return f'aggregate shapes differ: {agg["shape_a"]} vs {agg["shape_b"]}'
    what = 'sums of the values' if isinstance(agg['total_a'], float) else 'total counts'
    text = (f'{agg["differing"]} differing pixels in the aggregate; {what} '
            f'{agg["total_a"]} (gigaplot) and {agg["total_b"]} (Datashader)')
    png = check.get('png')
    if png:
        text += (f'; {png["differing"]} differing pixels in the PNGs' if 'differing' in png
                 else f'; PNG sizes differ: {png["size_a"]} vs {png["size_b"]}')
    return text


def _table(runs):
    gigaplot = runs.get('gigaplot')
    rows = [HEADER, ('---',) * len(HEADER)]
    for tool, run in runs.items():
        wall = _number(run.wall_s)
        if len(run.walls) > 1:
            wall += ' (' + ', '.join(_number(w) for w in run.walls) + ')'
        rows.append((tool, run.status.replace('|', '/'), wall,
                     _number(run.rss_bytes, 1e6, 0), _number(run.png_bytes, 1e6, 1),
                     versus(gigaplot, run) if gigaplot else ''))
    lines = ['| ' + ' | '.join(row) + ' |' for row in rows]
    for tool, run in runs.items():
        if run.stages:
            stages = ', '.join(f'{name} {seconds:.2f} s' for name, seconds in run.stages.items())
            lines.append(f'\n{tool} stages: {stages}.')
        if run.detail:
            lines.append(f'\n{tool} error: `{run.detail}`')
        if run.summary:
            lines.append(f'\n{tool} summary: `{run.summary}`')
    return '\n'.join(lines)


def _busy_note(meta):
    """A warning when other work shared the CPUs: wall times are then inflated, RSS is not."""
    if max(float(meta['load_before']), float(meta['load_after'])) <= meta['machine']['nproc']:
        return []
    return ['', '**The machine was busy (load average above the number of CPUs): the wall times '
            'are inflated; peak RSS is unaffected.**']


def markdown(meta, results):
    """RESULTS.md: the machine, the versions, one table per case and the same-answer checks."""
    m, v = meta['machine'], meta['versions']
    out = ['# gigaplot vs Datashader vs Matplotlib vs Vaex', '',
           f'Measured {meta["started"]} with `{meta["command"]}` (see README.md for the method).', '',
           f'- Machine: {m["nproc"]} CPUs ({m["cpu"]}), {m["memory"]} RAM, Linux {m["kernel"]}; '
           f'load average {meta["load_before"]} at the start, {meta["load_after"]} at the end.',
           f'- Limits per run: address space {meta["mem_limit"] / 2**30:g} GiB, '
           f'wall time {meta["timeout"]:g} s. Data range {meta["range"]} on both axes.',
           '- Versions: ' + ', '.join(f'{name} {version}' for name, version in v.items()) + '.',
           *_busy_note(meta),
           '', 'Wall time is the whole child process (start-up, imports, loading the .npy '
           'columns, binning, shading, PNG). Peak RSS is its maximum resident set (ru_maxrss).']
    for result in results:
        out += ['', f'## {result["case"].name}', '', _table(result['runs'])]
    checks = [(r['case'].name, r['check']) for r in results if r['check']]
    if checks:
        out += ['', '## Same answer (gigaplot --agg-out vs Datashader\'s aggregate, flipped to '
                'image order)', '']
        out += [f'- {name}: {check_line(check)}.' for name, check in checks]
    return '\n'.join(out) + '\n'
