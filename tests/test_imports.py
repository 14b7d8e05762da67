"""The model package imports on its own, without Streamlit or Plotly (DESIGN.md: model/ never imports them)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["model", "model.addressing", "model.memory", "model.heads", "model.ntm", "model.trace",
           "model.tasks", "model.lstm", "model.checkpoints", "model.train", "model.evaluate", "model.snapshots"]
PRESENT = [m for m in MODULES if (ROOT / (m.replace(".", "/") + ".py")).exists() or m == "model"]


def test_model_imports_without_streamlit_or_plotly():
    code = (
        f"import importlib, sys\n"
        f"for name in {PRESENT!r}:\n"
        f"    importlib.import_module(name)\n"
        f"ui = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly'))\n"
        f"assert not ui, ui\n"
        f"print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize("module", [m for m in PRESENT if m != "model"])
def test_no_ui_import_in_source(module):
    source = (ROOT / (module.replace(".", "/") + ".py")).read_text()
    for ui in ("streamlit", "plotly"):
        assert f"import {ui}" not in source and f"from {ui}" not in source, module
