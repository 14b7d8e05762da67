"""Step through: watch the NTM read and write its memory, one step at a time."""
import hashlib
import html

import streamlit as st

from app import analysis, controls, explain, figures, inputs, state
from app.plotly_view import Steps, new_pass, plotly_view

PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
SPEEDS = {"slow": 900, "normal": 450, "fast": 150}

EQUATIONS = {
    "content": r"w^c_t(i) = \frac{e^{\beta_t K[k_t, M_{t-1}(i)]}}{\sum_j e^{\beta_t K[k_t, M_{t-1}(j)]}},"
               r"\quad K[u,v] = \frac{u \cdot v}{\lVert u\rVert \lVert v\rVert}",
    "gated": r"w^g_t = g_t\, w^c_t + (1 - g_t)\, w_{t-1}",
    "shifted": r"\tilde w_t(i) = \sum_{j} w^g_t(j)\, s_t(i - j)",
    "final": r"w_t(i) = \frac{\tilde w_t(i)^{\gamma_t}}{\sum_j \tilde w_t(j)^{\gamma_t}}",
}
MEMORY_EQUATIONS = (r"M_t(i) = M_{t-1}(i)\,[\mathbf{1} - w_t(i)\, e_t] + w_t(i)\, a_t",
                    r"r_t = \sum_i w_t(i)\, M_{t-1}(i)")


def chart(build, alt: str, key: str, t: int, result, view: str, on_step=None) -> None:
    """A chart of run `result` that changes with step t (build(t) draws it; `view` names what else it
    depends on): drawn once, then updated in place, and by the Left / Right keys straight from a table
    of every step (app/plotly_view.py)."""
    steps = Steps(run=run_id(result), view=f"{key}|{view}", count=result.trace.steps, build=build)
    plotly_view(build(t), alt, key, PLOTLY_CONFIG, t, steps, on_step)


def run_id(result) -> str:
    """Names the traced run by the request it ran on (the request's task decides the model)."""
    return hashlib.sha1(repr(result.request).encode()).hexdigest()[:16]


def pipeline(result, t: int, head: int, rows, scale: float) -> None:
    trace = result.trace
    name = analysis.head_names(trace)[head]
    chart(lambda u: figures.pipeline_figure(trace, u, head, rows, scale), explain.alt_pipeline(trace, t, head, name),
          f"pipeline-{head}", t, result, f"{rows.tolist()}|{scale}")
    for col, key in zip(st.columns(4), EQUATIONS):
        col.latex(EQUATIONS[key])
    st.caption("Graves, Wayne & Danihelka (2014), §3.3, equations 5–9: the key is compared with every row "
               "of the memory as the step found it, M(t−1). The dotted line beside the gate is w(t−1).")


def vectors(result, t: int, scale: float) -> None:
    trace = result.trace
    chart(lambda u: figures.vectors_figure(trace, u, scale), explain.alt_vectors(trace, t), "vectors", t,
          result, str(scale))
    for col, eq in zip(st.columns(2), MEMORY_EQUATIONS):
        col.latex(eq)
    st.caption("Equations 3–4 (write: erase, then add) and 2 (read). The read head reads the memory as the "
               "step found it; the write comes after.")


def animation(result, model: str, zoom: bool, scale: float, lecture: bool) -> None:
    speed = "normal"
    if not lecture:
        speed = st.columns([1, 2])[0].select_slider("Speed of Play", list(SPEEDS), value="normal", key="speed")
    fig = state.animation(result, model, result.request, zoom, SPEEDS[speed], scale)
    st.plotly_chart(fig, key="animation", alt=explain.alt_animation(result.trace), config=PLOTLY_CONFIG)
    if not lecture:
        r = result.request
        st.download_button("Download this animation (one HTML file that plays offline)",
                           data=lambda: figures.standalone_html(fig), file_name=f"ntm-{r.task}-{r.mode}.html",
                           mime="text/html", on_click="ignore", icon=":material/download:")


def details(result, model: str, t: int, zoom: bool, scale: float, lecture: bool) -> None:
    """The detail views in tabs; only the open one is computed and drawn, which keeps a step fast."""
    trace, rows = result.trace, analysis.display_rows(result.trace, zoom)
    heads, names = analysis.head_order(trace), analysis.head_names(trace)
    labels = [f"Addressing: {names[h]}" for h in heads] + ["Erase, add and read", "Play the whole run"]
    tabs = st.tabs(labels, key="view", on_change="rerun", bind="query-params")
    for tab, h in zip(tabs, heads):
        if tab.open:
            with tab:
                pipeline(result, t, h, rows, scale)
    if tabs[-2].open:
        with tabs[-2]:
            vectors(result, t, scale)
    if tabs[-1].open:
        with tabs[-1]:
            animation(result, model, zoom, scale, lecture)


@st.fragment
def step_view(result, spec, lecture: bool, scale: float) -> None:
    """Everything that depends on the step: stepping reruns only this part of the page."""
    new_pass()
    trace, example, count = result.trace, result.example, result.trace.steps
    t = controls.step_bar(spec.name, example, count, lecture)
    sentence = explain.step_sentence(spec, example, trace, t)
    st.markdown(f'<div class="ntm-sentence">{html.escape(sentence, quote=False)}</div>', unsafe_allow_html=True)
    chart(lambda u: figures.io_figure(spec, example, trace.outputs, u, scale), explain.alt_io(spec, example, trace, t),
          "io", t, result, str(scale), on_step=lambda u: controls.go_to(min(max(u, 0), count - 1)))
    zoom = st.toggle("Zoom to the rows in use", value=True, key="zoom", bind="query-params",
                     help="Show only the memory rows the heads visit in this run (memory wraps around).")
    rows = analysis.display_rows(trace, zoom)
    chart(lambda u: figures.heads_figure(trace, u, rows, scale), explain.alt_heads(trace, t, rows), "heads", t,
          result, f"{rows.tolist()}|{scale}")
    details(result, spec.model, t, zoom, scale, lecture)


st.title("Step through")
st.caption("Watch the Neural Turing Machine write a sequence into its memory and read it back, one step at a time.")
specs = state.available_specs()
if not specs:
    st.error("No pretrained model was found in assets/. Train one with `python -m model.train --task copy`.")
    st.stop()

request, error = controls.input_panel(specs)
shown = state.remember(request, error)
st.session_state["shown"] = shown
spec = inputs.SPECS[shown.task]
result = state.run_cached(state.load_model(spec.model), spec.model, shown)
if error:
    st.warning(f"Your input cannot be used: {error}. Still showing the last good run.", icon="⚠️")

step_view(result, spec, controls.is_lecture(), controls.scale())
