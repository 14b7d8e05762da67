"""Charts that stay on the page between steps and change in place (a Streamlit v2 component).

`st.plotly_chart` rebuilds a chart from nothing whenever its figure changes, so every step
redrew every chart: the largest part of what a step cost the browser. This component keeps
one chart element per key and hands each new figure to `Plotly.react`, which redraws only
what changed (the cursor, the memory panel, the bars).

It draws with Plotly's cartesian build (heatmaps, scatter and bars: all these charts use),
the same Plotly version as the Python package, served by the app itself from app/static/
(`server.enableStaticServing`). It is 1.5 MB against the 4.7 MB of the full build inside
Streamlit's chart bundle, and loading Plotly is most of what a new visitor waits for; should it
fail to load, the charts fall back to Streamlit's. Nothing is downloaded from elsewhere.
"""
from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import plotly.graph_objects as go
import plotly.io
import streamlit as st

from app import figures

NAME = "ntm_plotly_view"
PRELOAD = "ntm_plotly_preload"
LOADER = r"""
function entryUrl(path) {
  // Streamlit's entry script says where the server is (behind any base URL path).
  const entry = document.querySelector('script[type="module"][src*="/static/js/index."]');
  return new URL(path, entry ? entry.src : document.baseURI).href;
}

function classicScript(url) {
  return new Promise((resolve, reject) => {
    const before = window.Plotly;
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.onload = () => {
      const lib = window.Plotly;
      if (before) window.Plotly = before;  // leave Streamlit's own Plotly where it was
      lib && lib !== before ? resolve(lib) : reject(new Error("Plotly did not load from " + url));
    };
    script.onerror = () => reject(new Error("Plotly could not be loaded from " + url));
    document.head.appendChild(script);
  });
}

function streamlitPlotly(bundle) {
  return import(entryUrl(bundle)).then(() => {
    if (!window.Plotly) throw new Error("Plotly did not load");
    return window.Plotly;
  });
}

// Our Plotly: the cartesian build served from app/static (a third of the full one's size), or,
// should that fail, the full build inside Streamlit's chart bundle. Loaded once per page.
function plotlyLoaded(data) {
  if (!window.__ntmPlotly) {
    window.__ntmPlotly = classicScript(entryUrl(data.plotly))
      .catch((err) => { console.warn(err.message); return streamlitPlotly(data.bundle); })
      .then((lib) => { window.__ntmPlotlyLib = lib; return lib; });
  }
  return window.__ntmPlotly;
}
"""
# Loading Plotly is most of what a new visitor waits for; the page starts it with its first
# element, not when its first chart arrives at the end of the script.
PRELOAD_JS = LOADER + r"""
export default function ({ data, parentElement }) {
  const box = parentElement.closest('[data-testid="stElementContainer"]');
  if (box) box.style.display = "none";  // nothing to see: it only starts the download
  plotlyLoaded(data).catch(() => {});  // a failure shows on the charts themselves
}
"""
JS = LOADER + r"""
// ---- stepping in the browser: the Left / Right keys draw the next step from a table the server
// sent once per run, then tell the server, which updates the rest of the page (text, slider, URL).
const S = window.__ntmSteps || (window.__ntmSteps = {wanted: null, wantedAt: 0, server: 0, count: 0, run: null,
                                                       trigger: null, stepper: null, clientSteps: 0});
const PATIENCE_MS = 3000;  // how long the server may lag behind the keys before its step wins again

function inWidget(event) {
  for (const el of (event.composedPath ? event.composedPath() : [event.target])) {
    if (!el || !el.tagName) continue;
    if (["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || el.isContentEditable) return true;
    const role = el.getAttribute && el.getAttribute("role");
    if (["slider", "tab", "radio", "listbox", "option", "menuitem", "combobox", "spinbutton"].includes(role)) return true;
  }
  return false;
}

function wantedStep() {
  return S.wanted !== null && performance.now() - S.wantedAt < PATIENCE_MS ? S.wanted : S.server;
}

function onKey(event) {
  const delta = {ArrowRight: 1, ArrowLeft: -1}[event.key];
  if (!delta || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.defaultPrevented) return;
  if (!inWidget(event) && stepBy(delta)) event.preventDefault();
}

// The Previous / Next buttons (keys step-prev, step-next) step the same way; their click stops
// here, so the server hears of it once, from stepBy. Without this script they work on their own.
function onClick(event) {
  const button = event.target.closest && event.target.closest(".st-key-step-prev button, .st-key-step-next button");
  if (!button || button.disabled) return;
  const delta = button.closest(".st-key-step-next") ? 1 : -1;
  if (stepBy(delta)) event.stopPropagation();
}

function stepBy(delta) {
  if (!S.trigger || !S.stepper || !S.stepper.isConnected) return false;
  const from = wantedStep(), to = Math.min(Math.max(from + delta, 0), S.count - 1);
  if (to !== from) {
    S.wanted = to;
    S.wantedAt = performance.now();
    for (const chart of document.querySelectorAll(".ntm-chart")) drawStep(chart, to);
    S.trigger("step", to);
  }
  return true;
}

function drawStep(chart, step) {
  const own = chart.__ntm, lib = window.__ntmPlotlyLib;
  if (!own || !own.table || own.run !== S.run || !lib || !chart._fullLayout) return;  // the server will draw it
  const figure = JSON.parse(own.figure), change = structuredClone(own.table.values[step]);
  for (const [i, key, value] of change.d) setOrDelete(figure.data[i], key, value);
  for (const [key, value] of change.l) setOrDelete(figure.layout, key, value);
  own.drawn = step;
  chart.dataset.step = step;
  S.clientSteps += 1;
  lib.react(chart, figure.data, figure.layout, own.config);
}

function setOrDelete(object, key, value) {
  if (value === null) delete object[key]; else object[key] = value;
}

if (!window.__ntmKeys) {
  window.__ntmKeys = true;
  document.addEventListener("keydown", onKey);
  document.addEventListener("click", onClick, true);  // capture: before Streamlit's own handler
}

export default function ({ data, parentElement, setTriggerValue }) {
  let chart = parentElement.querySelector(":scope > .ntm-chart");
  if (!chart) {
    chart = document.createElement("div");
    chart.className = "ntm-chart";
    chart.setAttribute("role", "img");
    chart.style.width = "100%";
    parentElement.appendChild(chart);
  }
  const own = chart.__ntm || (chart.__ntm = {});
  const ident = data.run + "|" + data.view;
  if (data.table) own.table = JSON.parse(data.table);
  if (own.table && own.table.ident !== ident) own.table = null;  // a table of another run or view
  Object.assign(own, {figure: data.figure, config: data.config, run: data.run});
  if (data.stepper) Object.assign(S, {trigger: setTriggerValue, stepper: chart, count: data.count, run: data.run,
                                      server: data.step});
  chart.setAttribute("aria-label", data.alt);
  if (S.wanted !== null) {
    if (data.step === S.wanted) S.wanted = null;
    else if (data.run === S.run && performance.now() - S.wantedAt < PATIENCE_MS) return;  // the server is catching up
  }
  if (own.drawnIdent === ident && own.drawn === data.step) return;  // drawn already, from the table
  own.drawnIdent = ident;
  own.drawn = data.step;
  const figure = JSON.parse(data.figure);
  chart.style.minHeight = (figure.layout.height || 450) + "px";
  chart.dataset.step = data.step;
  const draw = (Plotly) => Plotly.react(chart, figure.data, figure.layout, data.config);
  const failed = (err) => { chart.textContent = "This chart could not be drawn: " + err.message; };
  if (chart._fullLayout) {  // drawn before: update it in place, now
    draw(window.__ntmPlotlyLib).catch(failed);
    return;
  }
  // First draws go one per frame, so the first chart shows without waiting for the others.
  window.__ntmFirstDraws = (window.__ntmFirstDraws || Promise.resolve())
    .then(() => plotlyLoaded(data))
    .then((Plotly) => new Promise((done) => requestAnimationFrame(() => done(Plotly))))
    .then(draw)
    .catch(failed);
}
"""


@functools.cache
def _component():
    return st.components.v2.component(NAME, js=JS, isolate_styles=False)


@functools.cache
def _preloader():
    return st.components.v2.component(PRELOAD, js=PRELOAD_JS, isolate_styles=False)


def preload() -> None:
    """Start loading Plotly in the browser now (call it first thing on every page); it shows nothing."""
    _preloader()(data=sources(), key="plotly-preload")


CARTESIAN = Path(__file__).parent / "static" / "plotly-cartesian.min.js"  # served at app/static/ (see config.toml)


@functools.cache
def sources() -> dict:
    """Where the browser finds Plotly: our cartesian build first, Streamlit's full one as the fallback."""
    if not CARTESIAN.is_file():
        raise RuntimeError(f"{CARTESIAN} is missing: the charts need it (it ships with the app)")
    return dict(plotly="../../app/static/" + CARTESIAN.name, bundle=plotly_bundle())


@functools.cache
def plotly_bundle() -> str:
    """The file name of Streamlit's Plotly chart bundle (it defines window.Plotly when loaded)."""
    found = sorted((Path(st.__file__).parent / "static" / "static" / "js").glob("PlotlyChart.*.js"))
    if not found:
        raise RuntimeError("Streamlit's Plotly bundle was not found; this Streamlit version is not supported")
    return found[0].name


@dataclass(frozen=True)
class Steps:
    """How a chart changes with the step: `build(t)` makes its figure at any step t < count. `run`
    names the traced run (the step space every chart of the page shares); `view` names everything
    else the figure depends on besides t (chart, rows shown, head, scale)."""

    run: str
    view: str
    count: int
    build: Callable[[int], go.Figure]

    @property
    def ident(self) -> str:
        return f"{self.run}|{self.view}"


def plotly_view(fig: go.Figure, alt: str, key: str, config: dict, step: int | None = None,
                steps: Steps | None = None, on_step: Callable[[int], None] | None = None) -> None:
    """Draw fig under `key`; later calls with the same key update the same chart in place.

    With `steps`, the browser also gets (once per run and view) a table of what changes from step to
    step, so the Left / Right keys redraw the chart at once; with `on_step` (one chart per page),
    the keys report the step they moved to, and `on_step(t)` runs before the rerun that follows."""
    data = dict(figure=plotly.io.to_json(fig, validate=False), alt=alt, config=dict(config, responsive=True),
                step=-1 if step is None else step, run="", view="", **sources())
    if steps is not None:
        data.update(run=steps.run, view=steps.view, count=steps.count, stepper=on_step is not None)
        if _table_missing(key, steps.ident):
            data["table"] = step_table(steps.ident, steps.count, steps.build)
    callbacks = {"on_step_change": lambda: _report(key, on_step)} if on_step else {}
    _component()(data=data, key=key, **callbacks)


def _report(key: str, on_step: Callable[[int], None]) -> None:
    result = st.session_state.get(key)
    step = getattr(result, "step", None) if result is not None else None
    if isinstance(step, int) and not isinstance(step, bool):
        on_step(step)


# ---------------------------------------------------------------- the step tables

def new_pass() -> None:
    """Call once at the start of every run of the code that draws the step charts (a fragment)."""
    st.session_state["_ntm_passes"] = st.session_state.get("_ntm_passes", 0) + 1


def _table_missing(key: str, ident: str) -> bool:
    """Whether the browser lacks this chart's table: unless the same run and view were drawn under this
    key in the pass just before (the element stayed mounted and keeps its table), it is sent."""
    passes = st.session_state.get("_ntm_passes", 0)
    sent = st.session_state.setdefault("_ntm_tables", {})
    before, sent[key] = sent.get(key), (ident, passes)
    return before != (ident, passes - 1) and before != (ident, passes)


@st.cache_resource(max_entries=48, show_spinner=False)
def step_table(ident: str, count: int, _build: Callable[[int], go.Figure]) -> str | None:
    """JSON {ident, values}: for every step, the values of the figure's parts that differ between steps
    (trace keys, layout keys; null: absent), or None when the table would be too large to send or the
    figure's traces differ in number between steps (then the server draws every step)."""
    specs = [figures.as_dict(lambda t=t: _build(t)) for t in range(count)]
    base = specs[0]
    if any(len(s["data"]) != len(base["data"]) for s in specs):
        return None
    trace_keys = sorted({(i, k) for s in specs[1:] for i, (a, b) in enumerate(zip(s["data"], base["data"]))
                         for k in a.keys() | b.keys() if not same(a.get(k), b.get(k))})
    layout_keys = sorted({k for s in specs[1:] for k in s["layout"].keys() | base["layout"].keys()
                          if not same(s["layout"].get(k), base["layout"].get(k))})
    values = [dict(d=[[i, k, encode(s["data"][i].get(k))] for i, k in trace_keys],
                   l=[[k, encode(s["layout"].get(k))] for k in layout_keys]) for s in specs]
    text = json.dumps(dict(ident=ident, values=values), separators=(",", ":"))
    return text if len(text) <= MAX_TABLE_BYTES else None


MAX_TABLE_BYTES = 2_500_000  # the 60-character preset's memory view fits (1.8 MB); beyond, the server draws each step
TYPED = {"float64": "f8", "float32": "f4", "int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2",
         "int32": "i4", "uint32": "u4"}


def same(a, b) -> bool:
    """Equality of figure parts that may hold numpy arrays."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape):
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f" and b.dtype.kind == "f"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and bool(a == b)


def encode(value):
    """A figure part as JSON-ready data; numeric arrays as Plotly's typed arrays (base64, as go.Figure does)."""
    if isinstance(value, np.ndarray):
        if value.dtype.name == "int64" and value.size and np.abs(value).max() < 2**31:
            value = value.astype(np.int32)
        if value.dtype.name not in TYPED or value.ndim > 2:
            return value.tolist()
        spec = dict(dtype=TYPED[value.dtype.name], bdata=base64.b64encode(np.ascontiguousarray(value).tobytes()).decode())
        return spec | ({"shape": f"{value.shape[0]}, {value.shape[1]}"} if value.ndim == 2 else {})
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value
