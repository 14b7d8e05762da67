"""Helpers shared by the app's tests (figures, pages, browser): runs, AppTest, chart data.

The page and browser tests use the shipped copy checkpoint (model.checkpoints.ASSETS,
i.e. assets/ unless NTM_ASSETS says otherwise) and skip only when it is missing.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from app import plotly_view
from model import checkpoints
from model.ntm import NTM, NTMConfig
from model.trace import Trace

ROOT = Path(__file__).resolve().parent.parent
ENTRY = ROOT / "app" / "main.py"
STEP_PAGE = "views/step_through.py"
HOME_PAGE = "views/home.py"
HAS_COPY = (checkpoints.ASSETS / "copy.safetensors").exists()
needs_copy = pytest.mark.skipif(not HAS_COPY, reason=f"no copy checkpoint in {checkpoints.ASSETS} yet")


# ---------------------------------------------------------------- runs

def small_ntm(seed: int = 0) -> NTM:
    """An untrained, small NTM for tests of the figures' data (no checkpoint needed)."""
    torch.manual_seed(seed)
    return NTM(NTMConfig(9, 8, controller_size=24, memory_rows=24, memory_width=6)).eval()


def synthetic_trace(steps: int = 4, rows: int = 8, width: int = 3) -> Trace:
    """A hand-made trace: the write head walks rows 2, 3, 4, ... by shifts of +1 (gate 0.05);
    the read head finds row 2 by content (gate 0.95, beta 20). Read head first, as the model orders heads."""
    t_idx = np.arange(steps)
    write = np.zeros((steps, rows), np.float32)
    write[t_idx, (2 + t_idx) % rows] = 1.0
    read = np.zeros((steps, rows), np.float32)
    read[:, 2] = 1.0
    weights = np.stack([read, write], axis=1)  # [T,2,N]
    shift = np.zeros((steps, 2, 3), np.float32)
    shift[:, 0, 1] = 1.0  # read: offset 0
    shift[:, 1, 2] = 1.0  # write: offset +1
    shift[0, 1] = [0, 0.5, 0.5]  # blurred at step 0, so the sentence can say where it came from
    gated = np.stack([read, np.roll(write, -1, axis=1)], axis=1)
    memory = np.cumsum(np.ones((steps, rows, width), np.float32) * write[:, :, None] * 0.5, axis=0)
    return Trace(
        inputs=np.zeros((steps, 9), np.float32), outputs=np.full((steps, 8), 0.9, np.float32),
        initial_memory=np.zeros((rows, width), np.float32), memory=memory,
        initial_weights=np.tile(np.eye(1, rows, dtype=np.float32), (2, 1)),  # both heads on row 0
        reads=np.ones((steps, 1, width), np.float32) * 0.25, key=np.zeros((steps, 2, width), np.float32),
        beta=np.array([[20.0, 0.5]] * steps, np.float32), gate=np.array([[0.95, 0.05]] * steps, np.float32),
        shift=shift, gamma=np.full((steps, 2), 2.0, np.float32), erase=np.full((steps, 1, width), 0.9, np.float32),
        add=np.full((steps, 1, width), 0.5, np.float32), content=gated.copy(), gated=gated,
        shifted=weights.copy(), weights=weights, head_kinds=("read", "write"),
    )


# ---------------------------------------------------------------- chart data

def decode(value):
    """Plotly's JSON arrays: plain lists, or typed arrays {"dtype", "bdata", "shape"} -> ndarray."""
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if shape:
            arr = arr.reshape([int(s) for s in str(shape).split(",")])
        return arr
    return np.asarray(value, dtype=float) if isinstance(value, list) and value and not isinstance(value[0], str) \
        else value


def spec_of(fig) -> dict:
    """A figure (go.Figure) as the JSON dict the browser receives."""
    return json.loads(fig.to_json())


def cursor_steps(spec: dict) -> list[float]:
    """Centres of every cursor shape in a figure spec."""
    return [(s["x0"] + s["x1"]) / 2 for s in spec["layout"].get("shapes", []) if s.get("name") == "cursor"]


def charts(at) -> dict[str, dict]:
    """The page's Plotly charts by key (io, heads, pipeline-<h>, vectors, animation): the step charts
    drawn in place by app/plotly_view.py and the charts of st.plotly_chart, as figure specs with their alt text."""
    out = {}
    for el in at.get("plotly_chart"):
        out[_key(el)] = json.loads(el.proto.spec) | {"alt": el.proto.alt}
    for el in at.get("bidi_component"):
        if el.proto.component_name == plotly_view.NAME:
            data = json.loads(el.proto.json)
            out[_key(el)] = json.loads(data["figure"]) | {"alt": data["alt"], "view": data}
    return out


def _key(el) -> str:
    return el.proto.id.split("-", 2)[2]  # "$$ID-<hash>-<key>"


def app_test(query: dict | None = None, page: str = STEP_PAGE):
    """AppTest of the entry script, opened on a page with URL query parameters, after one run."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    at.query_params.update(query or {})
    at.run()  # the entry script registers the pages first
    if page == HOME_PAGE:
        return at
    kept = dict(at.query_params)
    at.switch_page(page)
    at.query_params.update({**(query or {}), **kept})
    return at.run()


# ---------------------------------------------------------------- a real server and browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SETTLED = '[data-testid="stApp"][data-test-script-state="notRunning"]'
RESULTS = ROOT / "test-results"  # git-ignored


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log_path: Path):
    """The app as scripts/run_app.sh starts it (`python -m app.launch`, i.e. `streamlit run app/main.py` after
    the heavy imports), headless on 127.0.0.1:port; returns the process once /_stcore/health is ok."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.launch", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"streamlit did not answer /_stcore/health in 90 s; see {log_path}")


def stop_server(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except Exception:  # noqa: BLE001 - a server that ignores SIGTERM is killed
        proc.kill()
        proc.wait(timeout=15)


def settle(page, timeout: float = 90_000) -> None:
    """Wait until the script has finished and at least one chart is drawn."""
    page.wait_for_selector(SETTLED, timeout=timeout)
    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached", timeout=timeout)


# Streamlit's theme wraps chart titles in <b>; these read them as plain text.
TITLE_JS = "const title = gd => String((gd.layout && gd.layout.title && gd.layout.title.text) || '')" \
           ".replace(/<[^>]+>/g, ' ').replace(/\\s+/g, ' ').trim();"
CHART_TITLES_JS = "() => { " + TITLE_JS + " return [...document.querySelectorAll('.js-plotly-plot')].map(title); }"
CHART_JS = "(prefix) => { " + TITLE_JS + """
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => title(g).startsWith(prefix));
  if (!gd || !gd._fullData || !gd._fullData.length) return null;
  const cursors = (gd.layout.shapes || []).filter(s => s.name === 'cursor').map(s => (s.x0 + s.x1) / 2);
  const trace = gd._fullData.find(d => d.name === 'memory') || gd._fullData[0];
  let sum = 0;
  for (const row of trace.z || []) for (const v of row) sum += Number.isFinite(v) ? v : 0;
  return {title: title(gd), cursors: cursors, zsum: sum};  // zsum: of the memory panel, where there is one
}"""
