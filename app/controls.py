"""The widgets the pages share: lecture mode, the input panel and the step bar.

Widget keys double as URL query parameters (bind="query-params"), so a view is a link:
task, mode, text, grid, seed, size, repeats, query, step, zoom and lecture.
"""
from __future__ import annotations

import streamlit as st

from app import analysis, inputs, state
from app.inputs import Request, TaskSpec

TRUE = ("true", "1", "yes", "on")
LECTURE_SCALE = 1.45
LECTURE_CSS = """<style>
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-top: 2.5rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 3.4rem; }
[data-testid="stMainBlockContainer"] h2, [data-testid="stMainBlockContainer"] h3 { font-size: 2.2rem; }
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li,
[data-testid="stMainBlockContainer"] button, [data-testid="stMainBlockContainer"] label { font-size: 1.3rem; }
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] { font-size: 1.1rem; }
[data-testid="stMainBlockContainer"] .ntm-sentence { font-size: 1.55rem; line-height: 1.5; }
.katex { font-size: 1.5em; }
</style>"""


# ---------------------------------------------------------------- lecture mode

def lecture_requested() -> bool:
    """Lecture mode as the URL asks for it, readable before any widget (for set_page_config)."""
    if "lecture" in st.session_state:
        return bool(st.session_state["lecture"])
    return str(st.query_params.get("lecture", "")).strip().lower() in TRUE


def lecture_toggle() -> bool:
    on = st.sidebar.toggle("Lecture mode", key="lecture", bind="query-params",
                           help="For projectors: hides the input controls and enlarges text. "
                                "Share the page's link to open it this way (…?lecture=true).")
    if on:
        st.html(LECTURE_CSS)
    return on


def is_lecture() -> bool:
    return bool(st.session_state.get("lecture", False))


def scale() -> float:
    return LECTURE_SCALE if is_lecture() else 1.0


# ---------------------------------------------------------------- the input panel

def input_panel(specs: list[TaskSpec]) -> tuple[Request, str | None]:
    """Task, input form and presets in the sidebar; returns the request and the task's message if bad."""
    side = st.sidebar
    side.header("Input")
    names = [s.name for s in specs]
    task = side.selectbox("Task", names, format_func=lambda n: inputs.SPECS[n].label, key="task",
                          bind="query-params", on_change=lambda: apply(inputs.default_request(st.session_state["task"])))
    spec = inputs.SPECS[task]
    side.caption(f"Pretrained model `{spec.model}`: {state.trained_on(spec)}.")
    mode = side.radio("Enter the input as", spec.modes, format_func=inputs.MODE_LABELS.get, key="mode",
                      bind="query-params", horizontal=True, on_change=_prefill)
    request = Request(task=task, mode=mode, **_mode_fields(spec, mode))
    example, error = inputs.try_build(request)
    if error:
        side.error(f"**This input cannot be used:** {error}. The last good run stays on screen.", icon="⚠️")
    _presets(spec)
    return request, error


def _mode_fields(spec: TaskSpec, mode: str) -> dict:
    side = st.sidebar
    fields = {}
    if mode == "text":
        fields["text"] = side.text_input("Text: each character becomes its 8-bit code", "HELLO", key="text",
                                         bind="query-params", help="Plain ASCII: letters, digits, punctuation, spaces.")
    elif mode == "grid":
        fields["grid"] = side.text_area(f"Bit grid: one row of {spec.bits} bits (0 or 1) per line", key="grid",
                                        bind="query-params", height=180)
    else:
        fields["seed"] = side.text_input("Seed (a whole number)", "7", key="seed", bind="query-params")
        fields["size"] = side.number_input(f"How many {'items' if spec.size_name == 'items' else 'vectors'}", 1,
                                           spec.size_max, 8, key="size", bind="query-params")
    if spec.name == "repeat_copy":
        fields["repeats"] = side.number_input("Repeats", 1, 10, 2, key="repeats", bind="query-params")
    if spec.name == "associative_recall" and mode == "grid":
        fields["query"] = side.number_input("Query item", 1, spec.size_max, 1, key="query", bind="query-params")
    return fields


def _presets(spec: TaskSpec) -> None:
    st.sidebar.caption("Presets")
    for p in inputs.presets(spec):
        st.sidebar.button(p.label, help=p.note, key=f"preset-{p.label}", on_click=apply, args=(p.request,),
                          width="stretch")


def apply(request: Request) -> None:
    """Put a request into the widgets (a preset, or a link from another page) and go to step 0."""
    st.session_state.update(task=request.task, mode=request.mode, step=0)
    fields = {"text": ("text",), "grid": ("grid",), "random": ("seed", "size")}[request.mode]
    for name in fields:
        st.session_state[name] = getattr(request, name)
    if request.task == "repeat_copy":
        st.session_state["repeats"] = request.repeats


def _prefill() -> None:
    """On switching the input form, carry the current sequence over (text -> its bit grid, and back)."""
    shown = st.session_state.get("shown")
    if shown is None:
        return
    mode = st.session_state.get("mode")
    value = inputs.as_grid(shown) if mode == "grid" else inputs.as_text(shown) if mode == "text" else None
    if value:
        st.session_state[mode] = value


# ---------------------------------------------------------------- the step bar

def step_bar(task: str, example, steps: int, lecture: bool) -> int:
    """Previous / slider / Next (Left / Right keys) and jumps to landmarks; returns step t."""
    if st.session_state.get("step", 0) > steps - 1:
        st.session_state["step"] = steps - 1
    prev, slider, nxt = st.columns([1.6, 7, 1.6], vertical_alignment="bottom")
    # The Left / Right keys and these buttons step the charts in the browser first (app/plotly_view.py).
    prev.button("◀ Previous", key="step-prev", on_click=move, args=(-1, steps), width="stretch",
                help="Previous step (Left arrow key)")
    nxt.button("Next ▶", key="step-next", on_click=move, args=(1, steps), width="stretch",
               help="Next step (Right arrow key)")
    t = slider.slider("Step", 0, steps - 1, key="step", bind="query-params")
    if not lecture:
        _jumps(task, example)
    return t


def _jumps(task: str, example) -> None:
    marks = analysis.key_steps(task, example)
    cols = st.columns(len(marks) + 1)
    cols[0].caption("Jump to:")
    for col, (label, step) in zip(cols[1:], marks):
        col.button(f"{label} (step {step})", key=f"jump-{label}", on_click=go_to, args=(step,), type="tertiary")


def move(delta: int, steps: int) -> None:
    go_to(min(max(st.session_state.get("step", 0) + delta, 0), steps - 1))


def go_to(step: int) -> None:
    st.session_state["step"] = step
