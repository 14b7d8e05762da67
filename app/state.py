"""Loading models, running them once per input (cached), and remembering the last good input.

The only module besides the pages that touches Streamlit: caching and session state.
"""
from __future__ import annotations

from typing import NamedTuple

import streamlit as st

import plotly.graph_objects as go

from app import analysis, figures, inputs
from app.inputs import Request, TaskSpec
from model import checkpoints, load_pretrained
from model.tasks import Example
from model.trace import Trace


class Result(NamedTuple):
    """One run: the example the input became and what the model did with it."""

    request: Request
    example: Example
    trace: Trace


def available_specs() -> list[TaskSpec]:
    """The tasks whose pretrained checkpoint ships in assets/ (NTM_ASSETS)."""
    return [s for s in inputs.SPECS.values() if (checkpoints.ASSETS / f"{s.model}.safetensors").exists()]


@st.cache_resource(show_spinner="Loading the pretrained model…")
def load_model(name: str):
    return load_pretrained(name)


@st.cache_resource(show_spinner=False)
def model_card(name: str) -> dict:
    return checkpoints.read_card(checkpoints.ASSETS / name)


@st.cache_data(max_entries=32, show_spinner="Running the model…")
def run_cached(_net, model_name: str, request: Request) -> Result:
    """Run the model once on a (validated) request; reruns with the same input hit the cache."""
    example = inputs.build_example(request)
    return Result(request, example, _net.run(example.inputs).trace)


@st.cache_resource(max_entries=8, show_spinner=False)
def animation(_result: Result, model_name: str, request: Request, zoom: bool, frame_ms: int, scale: float) -> go.Figure:
    """The animated figure of a run: built once per run and setting (it does not depend on the step),
    shared, never mutated."""
    rows = analysis.display_rows(_result.trace, zoom)
    return figures.animation_figure(_result.trace, rows, frame_ms, scale)


def trained_on(spec: TaskSpec) -> str:
    """What the model was trained on, from its card when the card says (else the task's usual range)."""
    sizes = model_card(spec.model).get("training", {}).get("training_sizes")
    if not (isinstance(sizes, list) and len(sizes) == 2):
        return f"trained on {spec.trained}"
    unit = "items" if spec.size_name == "items" else "vectors"
    return f"trained on {sizes[0]} to {sizes[1]} {unit} per example"


def remember(request: Request, error: str | None) -> Request:
    """The request to show: this one if it is good, else the last good one of the same task."""
    store = st.session_state.setdefault("last_good", {})
    if error is None:
        store[request.task] = request
        return request
    return store.get(request.task) or inputs.default_request(request.task)
