"""Charts that stay on the page between steps and change in place (a Streamlit v2 component).

`st.plotly_chart` rebuilds a chart from nothing whenever its figure changes, so every step
redrew every chart: the largest part of what a step cost the browser. This component keeps
one chart element per key and hands each new figure to `Plotly.react`, which redraws only
what changed (the cursor, the memory panel, the bars). It draws with the Plotly that
Streamlit itself ships (its chart bundle, loaded once), so nothing is downloaded from
elsewhere and the Play tab's `st.plotly_chart` shares the same code.
"""
from __future__ import annotations

import functools
from pathlib import Path

import plotly.graph_objects as go
import plotly.io
import streamlit as st

NAME = "ntm_plotly_view"
JS = r"""
function plotlyLoaded(bundle) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__ntmPlotly) {
    // Streamlit's entry script says where its chunks are served (behind any base URL path).
    const entry = document.querySelector('script[type="module"][src*="/static/js/index."]');
    window.__ntmPlotly = import(new URL(bundle, entry.src).href).then(() => {
      if (!window.Plotly) throw new Error("Plotly did not load");
      return window.Plotly;
    });
  }
  return window.__ntmPlotly;
}

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
    draw(window.Plotly).catch(failed);
    return;
  }
  // First draws go one per frame, so the first chart shows without waiting for the others.
  window.__ntmFirstDraws = (window.__ntmFirstDraws || Promise.resolve())
    .then(() => plotlyLoaded(data.bundle))
    .then((Plotly) => new Promise((done) => requestAnimationFrame(() => done(Plotly))))
    .then(draw)
    .catch(failed);
}
"""


@functools.cache
def _component():
    return st.components.v2.component(NAME, js=JS, isolate_styles=False)


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
                bundle=plotly_bundle(), step=-1 if step is None else step)
    _component()(data=data, key=key)
