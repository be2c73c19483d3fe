"""progress=True draws tqdm bars (one per stage); a callable gets (stage, done, total)."""
import sys
import types

import numpy as np
import pytest

import gigaplot as gp


def _points(n=3_000_000):
    rng = np.random.default_rng(9)
    return {"x": rng.random(n, dtype=np.float32), "y": rng.random(n, dtype=np.float32)}


class FakeBar:
    """Records what gigaplot asks of a tqdm bar."""
    made = []

    def __init__(self, total=None, desc=None, leave=True):
        self.total, self.desc, self.leave, self.n, self.closed = total, desc, leave, 0, False
        FakeBar.made.append(self)

    def update(self, k):
        assert k >= 0, "a bar never goes backwards"
        self.n += k

    def close(self):
        self.closed = True


def test_progress_true_drives_a_tqdm_bar_per_stage(tmp_path, monkeypatch):
    fake = types.ModuleType("tqdm.auto")
    fake.tqdm = FakeBar
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    FakeBar.made = []
    gp.render(_points(), "x", "y", output=tmp_path / "p.png", width=5000, height=5000, bare=True,
              x_range=(0, 1), y_range=(0, 1), progress=True)
    assert FakeBar.made, "progress=True made no bar"
    stages = [bar.desc for bar in FakeBar.made]
    assert len(stages) == len(set(stages)), f"one bar per stage, not {stages}"
    assert all(bar.leave is False for bar in FakeBar.made)
    assert all(bar.closed for bar in FakeBar.made), "a bar stays open after the render"
    assert any(bar.n > 0 for bar in FakeBar.made), "no bar moved"
    assert all(bar.total is None or bar.n <= bar.total for bar in FakeBar.made)


def test_progress_true_with_the_real_tqdm(tmp_path, capsys):
    pytest.importorskip("tqdm")
    agg = gp.Canvas(2000, 2000, (0, 1), (0, 1)).points(_points(), "x", "y", progress=True)
    assert int(agg.values.sum()) == 3_000_000
    err = capsys.readouterr().err
    # tqdm draws its bars on stderr with carriage returns (and clears them: leave=False)
    assert "\r" in err and "it" in err, f"no tqdm bar on stderr: {err[-300:]!r}"


def test_progress_true_without_tqdm_renders_silently(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    agg = gp.Canvas(300, 300, (0, 1), (0, 1)).points(_points(200_000), "x", "y", progress=True)
    assert int(agg.values.sum()) == 200_000
    assert capsys.readouterr().err == ""


def test_bad_progress_is_refused():
    with pytest.raises(ValueError, match=r"^progress: give a callable"):
        gp.Canvas(10, 10, (0, 1), (0, 1)).points(_points(10), "x", "y", progress="yes")
