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

import functools
from pathlib import Path

import plotly.graph_objects as go
import plotly.io
import streamlit as st

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
export default function ({ data, parentElement }) {
  let chart = parentElement.querySelector(":scope > .ntm-chart");
  if (!chart) {
    chart = document.createElement("div");
    chart.className = "ntm-chart";
    chart.setAttribute("role", "img");
    chart.style.width = "100%";
    parentElement.appendChild(chart);
  }
  const figure = JSON.parse(data.figure);
  chart.setAttribute("aria-label", data.alt);
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


def plotly_view(fig: go.Figure, alt: str, key: str, config: dict, step: int | None = None) -> None:
    """Draw fig under `key`; later calls with the same key update the same chart in place."""
    data = dict(figure=plotly.io.to_json(fig, validate=False), alt=alt, config=dict(config, responsive=True),
                step=-1 if step is None else step, **sources())
    _component()(data=data, key=key)
