"""gp.render writes the CLI's bytes; bad arguments raise ValueError/OSError with one-line messages."""
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import gigaplot as gp

ROOT = Path(__file__).resolve().parents[2]

def _cli() -> Path:
    """The command line to compare with: $GIGAPLOT_BIN (set by ./test, which built it: then it
    must exist), else the `ci` profile's build (`cargo test --profile ci`), else release's."""
    if os.environ.get("GIGAPLOT_BIN"):
        return Path(os.environ["GIGAPLOT_BIN"])
    ci = ROOT / "target" / "ci" / "gigaplot"
    return ci if ci.exists() else ROOT / "target" / "release" / "gigaplot"


CLI = _cli()
needs_cli = pytest.mark.skipif(not CLI.exists() and not os.environ.get("GIGAPLOT_BIN"),
                               reason=f"{CLI} is not built (run cargo build --release)")


@pytest.fixture(scope="module")
def files(arrays, tmp_path_factory):
    d = tmp_path_factory.mktemp("cols")
    for k in ("x", "y", "v", "c"):
        np.save(d / f"{k}.npy", arrays[k])
    return d


def cli(files, out, *flags):
    args = [str(CLI), "render", "--quiet", "--x", str(files / "x.npy"), "--y", str(files / "y.npy"),
            "-o", str(out), *flags]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


CASES = [
    ({"width": 300, "height": 200}, []),
    ({"width": 300, "height": 200, "bare": True, "x_range": (-3, 3), "y_range": (-2, 2), "how": "log",
      "cmap": "inferno"}, ["--bare", "--x-range", "-3,3", "--y-range", "-2,2", "--how", "log", "--cmap", "inferno"]),
    ({"width": 257, "height": 190, "agg": "mean", "value": "v", "bare": True, "background": "black",
      "memory": "96MiB", "tile": 64}, ["--agg", "mean", "--value", "{files}/v.npy", "--bare", "--background", "black",
                                       "--memory", "96MiB", "--tile", "64"]),
    ({"width": 320, "height": 240, "agg": gp.count_cat("c"), "title": "cats", "xlabel": "x", "grid": True},
     ["--agg", "count-cat", "--value", "{files}/c.npy", "--title", "cats", "--xlabel", "x", "--grid"]),
    ({"width": 300, "height": 200, "colorbar": True, "how": "eq_hist", "compression": "small"},
     ["--colorbar", "--how", "eq-hist", "--compression", "small"]),
    ({"width": 300, "height": 200, "bare": True, "spread": 2, "background": "white"},
     ["--bare", "--spread", "2", "--background", "white"]),
    ({"width": 300, "height": 200, "bare": True, "dynspread": True, "dynspread_max": 4},
     ["--bare", "--dynspread", "--dynspread-max", "4"]),
    ({"width": 200, "height": 150, "glyph": "lines", "bare": True, "threads": 1},
     ["--glyph", "lines", "--bare", "--threads", "1"]),
    # a list of colours, as gp.shade and Datashader take it
    ({"width": 200, "height": 150, "bare": True, "cmap": ["lightblue", (0, 0, 139)]},
     ["--bare", "--cmap", "lightblue,#00008b"]),
]


@needs_cli
@pytest.mark.parametrize("kwargs,flags", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_render_writes_the_cli_bytes(arrays, files, tmp_path, kwargs, flags):
    flags = [f.replace("{files}", str(files)) for f in flags]
    flags += ["--width", str(kwargs["width"]), "--height", str(kwargs["height"])]
    expected = cli(files, tmp_path / "cli.png", *flags)
    summary = gp.render(arrays, "x", "y", output=tmp_path / "py.png", **kwargs)
    assert (tmp_path / "py.png").read_bytes() == expected
    assert summary["points"] == len(arrays["x"])
    assert summary["output"] == str(tmp_path / "py.png")


@needs_cli
def test_render_agg_out_equals_cli(arrays, files, tmp_path):
    cli(files, tmp_path / "cli.png", "--agg-out", str(tmp_path / "cli.npy"), "--agg", "max", "--value",
        str(files / "v.npy"))
    gp.render(arrays, "x", "y", output=tmp_path / "py.png", agg_out=tmp_path / "py.npy", agg=gp.max("v"))
    assert (tmp_path / "py.npy").read_bytes() == (tmp_path / "cli.npy").read_bytes()
    assert (tmp_path / "py.png").read_bytes() == (tmp_path / "cli.png").read_bytes()


def test_render_reports_progress(tmp_path):
    n = 5_000_000
    rng = np.random.default_rng(3)
    points = {"x": rng.random(n, dtype=np.float32), "y": rng.random(n, dtype=np.float32)}
    seen = []
    gp.render(points, "x", "y", output=tmp_path / "p.png", width=6000, height=6000, bare=True,
              x_range=(0, 1), y_range=(0, 1), progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert seen, "the progress callback was never called"
    assert all(isinstance(s, str) and 0 <= d for s, d, _ in seen)


def test_an_exception_in_the_progress_callback_stops_the_render(tmp_path):
    n = 5_000_000
    points = {"x": np.linspace(0, 1, n), "y": np.linspace(0, 1, n)}

    def stop(stage, done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        gp.render(points, "x", "y", output=tmp_path / "p.png", width=6000, height=6000, bare=True, progress=stop)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kwargs,error,message", [
    ({"width": 0}, ValueError, "width"),
    ({"how": "nope"}, ValueError, "how: "),
    ({"cmap": "nope"}, ValueError, "cmap: unknown colormap 'nope'"),
    ({"memory": "lots"}, ValueError, "memory: "),
    # the library's own refusals, its fields spelled as gp.render's keywords
    ({"memory": "1KiB"}, ValueError, "memory: a budget of 1024 bytes cannot hold one band"),
    ({"threads": 0}, ValueError, "threads: "),
    ({"line_width": 2}, ValueError, "line_width: applies to glyph=\"lines\" only"),
    ({"x_range": (1, 2, 3)}, ValueError, "x_range: give (lo, hi)"),
    ({"agg": "mean"}, ValueError, "value"),
    ({"stats": "stats.json"}, ValueError, "stats: applies to pyramid= only"),
    ({"pyramid": "tiles", "x_range": (-3, 3), "y_range": (-2, 2), "shard": "0/2"}, ValueError,
     "shard: needs stats=FILE"),
    ({"projection": "mercator"}, ValueError, "projection: unknown projection \"mercator\""),
    ({"max_zoom": 3}, ValueError, "max_zoom: applies to pyramid= only"),
    ({"max_zoom": 3, "pyramid": "tiles", "x_range": (-3, 3), "y_range": (-2, 2)}, ValueError,
     "max_zoom: applies to the web-mercator projection only"),
    ({"basemap": "https://t/{z}/{x}/{y}.png", "pyramid": "tiles"}, ValueError,
     "basemap: applies to projection='web-mercator' only"),
    ({"projection": "web-mercator", "pyramid": "tiles"}, ValueError,
     "max_zoom: web-mercator tiles need max_zoom=\"Z\", their finest zoom"),
    ({"projection": "web-mercator", "pyramid": "tiles", "max_zoom": 23}, ValueError, "max_zoom: must be 0 to 22"),
    ({"projection": "web-mercator", "pyramid": "tiles", "max_zoom": 2, "width": 512}, ValueError,
     "width: web-mercator tiles are pyramid_tile x 2^Z pixels square; give max_zoom=Z instead"),
    ({"projection": "web-mercator", "pyramid": "tiles", "max_zoom": 2, "x_range": (0, 10)}, ValueError,
     "x_range: web-mercator tiles cover the world; give no ranges"),
    ({"pyramid": "tiles"}, ValueError, "x_range: a pyramid needs explicit"),
    ({"extent": (0, 1, 0, 1)}, ValueError, "extent: applies to raster= only"),
    ({"pyramid_tile": 128}, ValueError, "pyramid_tile: applies to pyramid= only"),
    ({"series": 2}, ValueError, "series: applies to glyph='lines' only"),
    ({"colour": "red"}, ValueError, "colour: unknown option"),
    ({"spread": 2, "dynspread": True}, ValueError, "dynspread: cannot be combined with spread"),
])
def test_render_bad_arguments(arrays, tmp_path, kwargs, error, message):
    with pytest.raises(error) as caught:
        gp.render(arrays, "x", "y", output=tmp_path / "bad.png", **kwargs)
    text = str(caught.value)
    assert message in text and "\n" not in text
    assert not (tmp_path / "bad.png").exists()
    assert os.listdir(tmp_path) == []


def test_render_output_name_and_directory(arrays, tmp_path):
    with pytest.raises(ValueError, match="^output: gigaplot writes PNG images"):
        gp.render(arrays, "x", "y", output=tmp_path / "a.jpg")
    with pytest.raises(OSError) as caught:
        gp.render(arrays, "x", "y", output=tmp_path / "missing" / "a.png", width=50, height=50)
    assert "missing" in str(caught.value) and "\n" not in str(caught.value)


def test_bad_sources_and_columns(arrays, tmp_path):
    with pytest.raises(ValueError, match="^nope: no such column"):
        gp.Canvas(10, 10).points(arrays, "x", "nope")
    with pytest.raises(ValueError, match="^source: expected"):
        gp.Canvas(10, 10).points(42, "x", "y")
    with pytest.raises(ValueError, match="^x: columns must hold numbers"):
        gp.Canvas(10, 10).points({"x": np.array(["a", "b"]), "y": np.zeros(2)}, "x", "y")
    with pytest.raises(OSError, match="no such file"):
        gp.Canvas(10, 10).points(tmp_path, "x", "y")
    with pytest.raises(ValueError, match="^x: .*same length|length"):
        gp.Canvas(10, 10).points({"x": np.zeros(3), "y": np.zeros(4)}, "x", "y")
    with pytest.raises(ValueError, match="^plot_height: 2147483648 pixels is more than"):
        gp.Canvas(10, 2**31)
    with pytest.raises(ValueError, match="^plot_width"):
        gp.Canvas(0, 10)
    with pytest.raises(ValueError, match="^by: the reduction must be"):
        gp.by("c", gp.count_cat("c"))


INTERRUPTED = textwrap.dedent("""
    import sys, time, numpy as np, gigaplot as gp
    n = 20_000_000
    x = np.random.default_rng(1).random(n, dtype=np.float32)
    y = np.random.default_rng(2).random(n, dtype=np.float32)
    print("ready", flush=True)
    try:
        gp.render({"x": x, "y": y}, "x", "y", output=sys.argv[1], width=80000, height=80000,
                  x_range=(0, 1), y_range=(0, 1), memory="128MiB", scratch_dir=sys.argv[2])
    except KeyboardInterrupt:
        print("interrupted", time.monotonic(), flush=True)
        sys.exit(3)
    print("finished", flush=True)
""")


def test_ctrl_c_raises_keyboard_interrupt_within_a_second_and_leaves_no_file(tmp_path):
    out_dir, scratch = tmp_path / "out", tmp_path / "scratch"
    out_dir.mkdir()
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPTED, str(out_dir / "big.png"), str(scratch)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    # Interrupted once its partition has begun (its scratch files exist), not after a fixed
    # time: the whole render takes 3.7 s here (2·10^7 points on 80000^2), and a faster
    # machine must not finish it first (30000^2 took 1.5 s, as long as the old fixed wait).
    deadline = time.monotonic() + 20
    while not any(scratch.glob("gigaplot-scratch-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the render ended before it could be interrupted"
    assert any(scratch.glob("gigaplot-scratch-*")), "the partition never began"
    sent = time.monotonic()
    proc.send_signal(2)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, (out, err)
    interrupted_at = float(out.split()[1])
    assert interrupted_at - sent < 1.0, f"KeyboardInterrupt came {interrupted_at - sent:.2f} s after SIGINT"
    assert os.listdir(out_dir) == []
    assert os.listdir(scratch) == []


def test_the_gil_is_released_while_rendering(tmp_path):
    import threading
    n = 5_000_000
    rng = np.random.default_rng(4)
    points = {"x": rng.random(n, dtype=np.float32), "y": rng.random(n, dtype=np.float32)}
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        started = time.monotonic()
        gp.render(points, "x", "y", output=tmp_path / "g.png", width=6000, height=6000, bare=True,
                  x_range=(0, 1), y_range=(0, 1))
        ended = time.monotonic()
    finally:
        stop.set()
        counter.join()
    during = [t for t in ticks if started < t < ended]
    # a thread holding the GIL for the whole render would let the counter tick only at the
    # 100 ms wake-ups; released, it ticks about every millisecond
    assert len(during) > 5 * (ended - started) / 0.1, (len(during), ended - started)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    d = tmp_path_factory.mktemp("grid")
    rng = np.random.default_rng(11)
    values = rng.normal(size=(90, 140)).astype(np.float32)
    values[30:40, 50:70] = np.nan
    np.save(d / "grid.npy", values)
    return d / "grid.npy", values


def run_cli(*args):
    done = subprocess.run([str(CLI), "render", "--quiet", *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


RASTER_CASES = [
    ({"width": 300, "height": 200}, []),
    ({"width": 70, "height": 45, "extent": (0, 14, -4.5, 4.5), "origin": "lower", "downsample": "max",
      "how": "linear", "cmap": "viridis", "colorbar": True},
     ["--extent", "0,14,-4.5,4.5", "--origin", "lower", "--downsample", "max", "--how", "linear", "--cmap",
      "viridis", "--colorbar"]),
    ({"width": 500, "height": 333, "upsample": "nearest", "bare": True, "x_range": (10, 100)},
     ["--upsample", "nearest", "--bare", "--x-range", "10,100"]),
]


@needs_cli
@pytest.mark.parametrize("kwargs,flags", RASTER_CASES, ids=[f"raster{i}" for i in range(len(RASTER_CASES))])
def test_render_raster_writes_the_cli_bytes(grid, tmp_path, kwargs, flags):
    path, values = grid
    run_cli("--raster", path, "-o", tmp_path / "cli.png", "--agg-out", tmp_path / "cli.npy",
            "--width", kwargs["width"], "--height", kwargs["height"], *flags)
    # a path, and an in-memory array (written to a temporary .npy file)
    for i, raster in enumerate((path, values)):
        summary = gp.render(raster=raster, output=tmp_path / f"py{i}.png", agg_out=tmp_path / f"py{i}.npy", **kwargs)
        assert (tmp_path / f"py{i}.png").read_bytes() == (tmp_path / "cli.png").read_bytes()
        assert (tmp_path / f"py{i}.npy").read_bytes() == (tmp_path / "cli.npy").read_bytes()
        assert summary["width"] == kwargs["width"]


@needs_cli
def test_render_series_writes_the_cli_bytes(tmp_path):
    k, n = 5, 3000
    t = np.linspace(0, 10, n)
    xs = np.tile(t, k)
    ys = np.concatenate([np.sin(t * (i + 1)) * np.exp(-t / 5) for i in range(k)])
    np.save(tmp_path / "x.npy", xs)
    np.save(tmp_path / "y.npy", ys)
    run_cli("--x", tmp_path / "x.npy", "--y", tmp_path / "y.npy", "--glyph", "lines", "--series", k,
            "--width", 400, "--height", 300, "--bare", "-o", tmp_path / "cli.png")
    gp.render({"x": xs, "y": ys}, "x", "y", glyph="lines", series=k, width=400, height=300, bare=True,
              output=tmp_path / "py.png")
    assert (tmp_path / "py.png").read_bytes() == (tmp_path / "cli.png").read_bytes()
    # without series= the K series are one line jumping back at each start: other pixels
    gp.render({"x": xs, "y": ys}, "x", "y", glyph="lines", width=400, height=300, bare=True,
              output=tmp_path / "joined.png")
    assert (tmp_path / "joined.png").read_bytes() != (tmp_path / "cli.png").read_bytes()


def _tree(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


@needs_cli
def test_render_pyramid_writes_the_cli_tiles(arrays, files, tmp_path):
    flags = ["--width", 1024, "--height", 512, "--x-range", "-3,3", "--y-range", "-2,2", "--pyramid-tile", 128,
             "--how", "log", "--cmap", "fire"]
    run_cli("--x", files / "x.npy", "--y", files / "y.npy", "--pyramid", tmp_path / "cli", *flags)
    summary = gp.render(arrays, "x", "y", pyramid=tmp_path / "py", width=1024, height=512, x_range=(-3, 3),
                        y_range=(-2, 2), pyramid_tile=128, how="log", cmap="fire")
    cli_tree, py_tree = _tree(tmp_path / "cli"), _tree(tmp_path / "py")
    assert sorted(py_tree) == sorted(cli_tree) and any(name.endswith(".png") for name in py_tree)
    for name in cli_tree:
        if name != "metadata.json":  # it names the input files
            assert py_tree[name] == cli_tree[name], name
    assert summary["pyramid"] == str(tmp_path / "py") and summary["output"] is None
    assert sorted(os.listdir(tmp_path)) == ["cli", "py"]


@needs_cli
@pytest.mark.parametrize("kwargs,flags", [
    ({"pyramid_format": "dzi"}, ["--pyramid-format", "dzi"]),
    ({"spread": 1, "agg": "mean", "value": "v"}, ["--spread", "1", "--agg", "mean", "--value"]),
], ids=["dzi", "spread-mean"])
def test_render_pyramid_formats_and_spreading_write_the_cli_files(arrays, files, tmp_path, kwargs, flags):
    common = ["--width", 1024, "--height", 512, "--x-range", "-3,3", "--y-range", "-2,2", "--pyramid-tile", 128,
              "--how", "log", "--cmap", "fire"]
    cli_flags = [f if f != "--value" else f"--value={files / 'v.npy'}" for f in flags]
    run_cli("--x", files / "x.npy", "--y", files / "y.npy", "--pyramid", tmp_path / "cli", *common, *cli_flags)
    gp.render(arrays, "x", "y", pyramid=tmp_path / "py", width=1024, height=512, x_range=(-3, 3),
              y_range=(-2, 2), pyramid_tile=128, how="log", cmap="fire", **kwargs)
    cli_tree, py_tree = _tree(tmp_path / "cli"), _tree(tmp_path / "py")
    assert sorted(py_tree) == sorted(cli_tree) and sum(name.endswith(".png") for name in py_tree) > 1
    if "pyramid_format" in kwargs:
        assert "pyramid.dzi" in py_tree and any(n.startswith("pyramid_files/") for n in py_tree)
    for name in cli_tree:
        if name != "metadata.json":  # it names the input files
            assert py_tree[name] == cli_tree[name], name


@needs_cli
@pytest.mark.parametrize("fmt", ["xyz", "dzi"])
def test_render_count_cat_pyramid_labels_write_the_cli_files(arrays, files, tmp_path, fmt):
    labels = ["north", "east & west", "<south>", "centre"]
    run_cli("--x", files / "x.npy", "--y", files / "y.npy", "--agg", "count-cat", "--value", files / "c.npy",
            "--labels", ",".join(labels), "--pyramid", tmp_path / "cli", "--pyramid-format", fmt, "--width", 512,
            "--height", 256, "--x-range", "-3,3", "--y-range", "-2,2", "--pyramid-tile", 128)
    gp.render(arrays, "x", "y", value="c", agg="count-cat", labels=labels, pyramid=tmp_path / "py",
              pyramid_format=fmt, width=512, height=256, x_range=(-3, 3), y_range=(-2, 2), pyramid_tile=128)
    cli_tree, py_tree = _tree(tmp_path / "cli"), _tree(tmp_path / "py")
    assert sorted(py_tree) == sorted(cli_tree)
    for name in cli_tree:
        if name != "metadata.json":  # it names the input files
            assert py_tree[name] == cli_tree[name], name
    if fmt == "xyz":
        import json
        meta = json.loads(py_tree["metadata.json"])
        assert [c["name"] for c in meta["categories"]] == labels
    else:
        assert b"&lt;south&gt;</div>" in py_tree["index.html"]


@needs_cli
def test_render_thumbnail_writes_the_cli_thumbnail(arrays, files, tmp_path):
    flags = ["--width", 900, "--height", 600, "--x-range", "-3,3", "--y-range", "-2,2", "--bare"]
    run_cli("--x", files / "x.npy", "--y", files / "y.npy", "-o", tmp_path / "cli.png", "--thumbnail", 90, *flags)
    gp.render(arrays, "x", "y", output=tmp_path / "py.png", thumbnail=90, width=900, height=600,
              x_range=(-3, 3), y_range=(-2, 2), bare=True)
    for kind in ("png", "thumb.png"):
        assert (tmp_path / f"py.{kind}").read_bytes() == (tmp_path / f"cli.{kind}").read_bytes(), kind
    from PIL import Image
    with Image.open(tmp_path / "py.thumb.png") as thumb:
        assert thumb.size == (90, 60)
    with pytest.raises(ValueError, match=r"^thumbnail: applies to output= only$"):
        gp.render(arrays, "x", "y", agg_out=tmp_path / "a.npy", thumbnail=90, width=90, height=60)


@needs_cli
@pytest.mark.parametrize("fmt", ["xyz", "dzi"])
def test_render_raster_pyramid_writes_the_cli_tiles(grid, tmp_path, fmt):
    path, values = grid
    run_cli("--raster", path, "--pyramid", tmp_path / "cli", "--pyramid-format", fmt, "--width", 300, "--height",
            200, "--pyramid-tile", 64, "--how", "linear", "--downsample", "max")
    for i, raster in enumerate((path, values)):
        gp.render(raster=raster, pyramid=tmp_path / f"py{i}", pyramid_format=fmt, width=300, height=200,
                  pyramid_tile=64, how="linear", downsample="max")
        cli_tree, py_tree = _tree(tmp_path / "cli"), _tree(tmp_path / f"py{i}")
        assert py_tree == cli_tree and sum(name.endswith(".png") for name in py_tree) > 4


def test_render_raster_bad_arguments(grid, tmp_path):
    path, _ = grid
    with pytest.raises(ValueError, match=r"^raster: give the raster or a source with x and y, not both$"):
        gp.render({"x": np.zeros(2)}, "x", "x", raster=path, output=tmp_path / "r.png")
    with pytest.raises(ValueError, match=r"^raster: expected a 2-D array"):
        gp.render(raster=np.zeros(5), output=tmp_path / "r.png")
    with pytest.raises(ValueError, match=r"^extent: .* is not an extent"):
        gp.render(raster=path, extent=(1, 0, 0, 1), output=tmp_path / "r.png", width=10, height=10)
    with pytest.raises(ValueError, match=r"^span_from_level: pyramids of a raster shade every level"):
        gp.render(raster=path, pyramid=tmp_path / "p", width=10, height=10, span_from_level=1)
    assert os.listdir(tmp_path) == []


def test_render_raster_refuses_a_projection(grid, tmp_path):
    path, _ = grid
    with pytest.raises(ValueError, match=r"^projection: applies to points, not to raster=$"):
        gp.render(raster=path, output=tmp_path / "r.png", projection="web-mercator")
    assert os.listdir(tmp_path) == []


def run_stats(*args):
    done = subprocess.run([str(CLI), "stats", "--quiet", *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


PYRAMID = {"width": 1024, "height": 512, "x_range": (-3, 3), "y_range": (-2, 2), "pyramid_tile": 128}
PYRAMID_FLAGS = ["--width", 1024, "--height", 512, "--x-range", "-3,3", "--y-range", "-2,2", "--pyramid-tile", 128]


@needs_cli
def test_render_sharded_pyramid_with_a_stats_file_writes_the_cli_tiles(files, tmp_path):
    stats = tmp_path / "stats.json"
    run_stats("--x", files / "x.npy", "--y", files / "y.npy", "-o", stats, *PYRAMID_FLAGS)
    for shard in ("0/2", "1/2"):
        run_cli("--x", files / "x.npy", "--y", files / "y.npy", "--pyramid", tmp_path / "cli", "--stats", stats,
                "--shard", shard, "--how", "log", *PYRAMID_FLAGS)
    # shard 0 from the directory of .npy files, shard 1 from np.memmap columns of the same files
    first = gp.render(files, "x", "y", pyramid=tmp_path / "py", stats=stats, shard="0/2", how="log", **PYRAMID)
    assert not (tmp_path / "py" / "metadata.json").exists(), "one shard of two finished the pyramid"
    mapped = {k: np.load(files / f"{k}.npy", mmap_mode="r") for k in ("x", "y")}
    gp.render(mapped, "x", "y", pyramid=tmp_path / "py", stats=stats, shard="1/2", how="log", **PYRAMID)
    cli_tree, py_tree = _tree(tmp_path / "cli"), _tree(tmp_path / "py")
    assert sorted(py_tree) == sorted(cli_tree) and "metadata.json" in py_tree
    assert sum(name.endswith(".png") for name in py_tree) > 4
    for name in cli_tree:
        assert py_tree[name] == cli_tree[name], name
    assert first["pyramid"] == str(tmp_path / "py")


def test_render_shards_of_a_mean_pyramid_write_the_one_process_files(tmp_path):
    # any pyramid but plain counts shards without a statistics file (each shard computes
    # them), from in-memory arrays too; the shards together write the files of one render
    rng = np.random.default_rng(7)
    points = {"x": rng.normal(0, 1, 20000), "y": rng.normal(0, 0.7, 20000), "v": rng.normal(5, 2, 20000)}
    mean = {"agg": "mean", "value": "v", "how": "linear", **PYRAMID}
    gp.render(points, "x", "y", pyramid=tmp_path / "one", **mean)
    for shard in ("1/2", "0/2"):
        gp.render(points, "x", "y", pyramid=tmp_path / "shards", shard=shard, **mean)
        assert ("metadata.json" in os.listdir(tmp_path / "shards")) == (shard == "0/2")
    one, shards = _tree(tmp_path / "one"), _tree(tmp_path / "shards")
    assert sorted(shards) == sorted(one) and sum(name.endswith(".png") for name in one) > 4
    for name in one:
        assert shards[name] == one[name], name


@needs_cli
def test_render_sharded_web_mercator_pyramid_with_a_stats_file_writes_the_one_process_tiles(files, tmp_path):
    # x and y (within +-3) read as longitudes and latitudes; statistics from the command line
    stats = tmp_path / "stats.json"
    mercator = ["--projection", "web-mercator", "--max-zoom", 2]
    run_stats("--x", files / "x.npy", "--y", files / "y.npy", "-o", stats, *mercator)
    run_cli("--x", files / "x.npy", "--y", files / "y.npy", "--pyramid", tmp_path / "one", *mercator)
    web = {"projection": "web-mercator", "max_zoom": 2}
    for shard in ("1/2", "0/2"):
        gp.render(files, "x", "y", pyramid=tmp_path / "py", stats=stats, shard=shard, **web)
    one, py = _tree(tmp_path / "one"), _tree(tmp_path / "py")
    assert sorted(py) == sorted(one) and "tilejson.json" in py
    for name in one:
        assert py[name] == one[name], name


@needs_cli
def test_render_refuses_stats_of_other_data_or_of_arrays_in_memory(arrays, files, tmp_path):
    stats = tmp_path / "stats.json"
    run_stats("--x", files / "x.npy", "--y", files / "y.npy", "-o", stats, *PYRAMID_FLAGS)
    with pytest.raises(ValueError, match=r"^stats: the statistics name the files they were computed for"):
        gp.render(arrays, "x", "y", pyramid=tmp_path / "p", stats=stats, shard="0/2", **PYRAMID)
    other = tmp_path / "other"
    other.mkdir()
    np.save(other / "x.npy", arrays["x"][::-1].copy())
    np.save(other / "y.npy", arrays["y"])
    with pytest.raises(ValueError) as caught:
        gp.render(other, "x", "y", pyramid=tmp_path / "p", stats=stats, shard="0/2", **PYRAMID)
    text = str(caught.value)
    assert text.startswith(f"{stats}: was computed for other contents of x.npy") and "\n" not in text, text
    with pytest.raises(ValueError, match=r"^shard: "):
        gp.render(files, "x", "y", pyramid=tmp_path / "p", stats=stats, shard="2/2", **PYRAMID)
    assert sorted(os.listdir(tmp_path)) == ["other", "stats.json"]


@pytest.fixture(scope="module")
def lonlat(tmp_path_factory):
    d = tmp_path_factory.mktemp("lonlat")
    rng = np.random.default_rng(5)
    lon = rng.uniform(-180, 180, 40_000)
    lat = np.clip(rng.normal(20, 35, 40_000), -89.9, 89.9).astype(np.float32)
    np.save(d / "lon.npy", lon)
    np.save(d / "lat.npy", lat)
    return d, {"lon": lon, "lat": lat}


@needs_cli
def test_render_web_mercator_pyramid_writes_the_cli_tiles(lonlat, tmp_path):
    d, columns = lonlat
    template = "https://tile.example.org/{z}/{x}/{y}.png"
    run_cli("--x", d / "lon.npy", "--y", d / "lat.npy", "--projection", "web-mercator", "--max-zoom", 2,
            "--pyramid-tile", 128, "--pyramid", tmp_path / "cli", "--basemap", template, "--how", "log")
    summary = gp.render(columns, "lon", "lat", projection="web-mercator", max_zoom=2, pyramid_tile=128,
                        pyramid=tmp_path / "py", basemap=template, how="log")
    cli_tree, py_tree = _tree(tmp_path / "cli"), _tree(tmp_path / "py")
    assert sorted(py_tree) == sorted(cli_tree) and "tilejson.json" in py_tree and "2/3/1.png" in py_tree
    for name in cli_tree:
        if name != "metadata.json":  # it names the input files
            assert py_tree[name] == cli_tree[name], name
    import json
    meta = json.loads(py_tree["metadata.json"])
    assert (meta["projection"], meta["basemap"], meta["width"]) == ("web-mercator", template, 512)
    assert (summary["width"], summary["height"], summary["x_range"]) == (512, 512, (-180.0, 180.0))


@needs_cli
@pytest.mark.parametrize("kwargs,flags", [
    ({}, []),
    ({"x_range": (-30, 60), "y_range": (-10, 70), "bare": True}, ["--x-range", "-30,60", "--y-range", "-10,70", "--bare"]),
], ids=["world", "ranges"])
def test_render_web_mercator_image_writes_the_cli_bytes(lonlat, tmp_path, kwargs, flags):
    d, columns = lonlat
    run_cli("--x", d / "lon.npy", "--y", d / "lat.npy", "--projection", "web-mercator", "--width", 400,
            "--height", 300, "-o", tmp_path / "cli.png", "--agg-out", tmp_path / "cli.npy", *flags)
    summary = gp.render(columns, "lon", "lat", projection="web-mercator", width=400, height=300,
                        output=tmp_path / "py.png", agg_out=tmp_path / "py.npy", **kwargs)
    assert (tmp_path / "py.png").read_bytes() == (tmp_path / "cli.png").read_bytes()
    assert (tmp_path / "py.npy").read_bytes() == (tmp_path / "cli.npy").read_bytes()
    if kwargs:
        assert summary["y_range"] != (-10.0, 70.0)  # the projected latitudes
    # unprojected, the same columns draw another picture
    gp.render(columns, "lon", "lat", width=400, height=300, output=tmp_path / "flat.png", **kwargs)
    assert (tmp_path / "flat.png").read_bytes() != (tmp_path / "cli.png").read_bytes()


@needs_cli
def test_render_category_and_delimiter_write_the_cli_bytes(arrays, files, tmp_path):
    # category="c" is --category: agg count-cat of that column
    run_cli("--x", files / "x.npy", "--y", files / "y.npy", "--category", files / "c.npy", "--width", 200,
            "--height", 150, "-o", tmp_path / "cli_cat.png")
    gp.render(arrays, "x", "y", category="c", width=200, height=150, output=tmp_path / "py_cat.png")
    assert (tmp_path / "py_cat.png").read_bytes() == (tmp_path / "cli_cat.png").read_bytes()
    with pytest.raises(ValueError, match=r"^category: is the column of agg count-cat, not of agg mean"):
        gp.render(arrays, "x", "y", category="c", agg="mean", output=tmp_path / "bad.png")
    # delimiter= reaches the columns of a CSV file, as --delimiter
    n = 2000
    table = tmp_path / "pts.csv"
    with open(table, "w") as f:
        f.write("x;y\n" + "".join(f"{float(arrays['x'][i])!r};{float(arrays['y'][i])!r}\n" for i in range(n)))
    done = subprocess.run([str(CLI), "render", "--quiet", str(table), "--x", "x", "--y", "y", "--delimiter", ";",
                           "--width", "120", "--height", "90", "-o", str(tmp_path / "cli_csv.png")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    gp.render(table, "x", "y", delimiter=";", width=120, height=90, output=tmp_path / "py_csv.png")
    assert (tmp_path / "py_csv.png").read_bytes() == (tmp_path / "cli_csv.png").read_bytes()
    with pytest.raises(ValueError, match=r"^delimiter: must be one ASCII character"):
        gp.render(table, "x", "y", delimiter=";;", width=120, height=90, output=tmp_path / "bad.png")
    with pytest.raises(ValueError):  # split at commas, the file has one column "x;y"
        gp.render(table, "x", "y", width=120, height=90, output=tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
