"""The tables of every step that let the browser step the charts itself (app/plotly_view.py).

Applied to the figure of any step, a step's row of the table must give exactly the figure the
server draws at that step; a table is sent once per mounted chart and run."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from app import analysis, figures, inputs, plotly_view
from model.tasks import copy_example, encode_text
from app_fixtures import decode, small_ntm, spec_of

SPEC = inputs.SPECS["copy"]


@pytest.fixture(scope="module")
def run():
    example = copy_example(encode_text("HELLO"))
    return example, small_ntm().run(example.inputs).trace


def builders(example, trace):
    rows = analysis.display_rows(trace, True)
    return {
        "io": lambda t: figures.io_figure(SPEC, example, trace.outputs, t),
        "heads": lambda t: figures.heads_figure(trace, t, rows, 1.45),
        "pipeline-0": lambda t: figures.pipeline_figure(trace, t, 0, rows),
        "pipeline-1": lambda t: figures.pipeline_figure(trace, t, 1, rows),
        "vectors": lambda t: figures.vectors_figure(trace, t),
    }


def plain(value):
    """JSON figure data with typed arrays decoded and NaN made comparable."""
    if isinstance(value, dict) and "bdata" in value:
        return plain(decode(value).tolist())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return "NaN" if isinstance(value, float) and math.isnan(value) else value


def apply(spec: dict, row: dict) -> dict:
    """What the browser does (drawStep in plotly_view.JS): set or delete the parts that change."""
    for i, key, value in row["d"]:
        spec["data"][i].pop(key, None) if value is None else spec["data"][i].__setitem__(key, value)
    for key, value in row["l"]:
        spec["layout"].pop(key, None) if value is None else spec["layout"].__setitem__(key, value)
    return spec


@pytest.mark.parametrize("chart", ["io", "heads", "pipeline-0", "pipeline-1", "vectors"])
def test_the_table_rebuilds_the_figure_of_every_step_from_any_other(run, chart):
    build = builders(*run)[chart]
    steps = run[1].steps
    table = json.loads(plotly_view.step_table(f"test-{chart}", steps, build))
    assert table["ident"] == f"test-{chart}" and len(table["values"]) == steps
    for base_step in (0, 6):
        for t in range(steps):
            rebuilt = apply(spec_of(build(base_step)), json.loads(json.dumps(table["values"][t])))
            assert plain(rebuilt) == plain(spec_of(build(t))), f"{chart}: step {t} from step {base_step}"


def test_the_table_holds_only_what_changes(run):
    table = json.loads(plotly_view.step_table("test-io-parts", run[1].steps, builders(*run)["io"]))
    assert [part[1] for part in table["values"][0]["d"]] == []  # the bits do not change, only the cursor
    assert [part[0] for part in table["values"][0]["l"]] == ["shapes", "title"]


def test_a_table_too_large_or_of_changing_traces_is_not_sent(run, monkeypatch):
    build = builders(*run)["heads"]
    monkeypatch.setattr(plotly_view, "MAX_TABLE_BYTES", 1000)
    assert plotly_view.step_table("test-too-large", run[1].steps, build) is None
    odd = lambda t: figures.io_figure(SPEC, run[0], run[1].outputs, 0) if t else figures.vectors_figure(run[1], 0)  # noqa: E731
    assert plotly_view.step_table("test-changing", 3, odd) is None


def test_same_compares_arrays_with_nan_and_nested_parts():
    nan = np.array([1.0, np.nan], np.float32)
    assert plotly_view.same(nan, nan.copy()) and not plotly_view.same(nan, np.array([1.0, 2.0], np.float32))
    assert plotly_view.same({"a": [nan, 1]}, {"a": [nan.copy(), 1]}) and not plotly_view.same({"a": 1}, {"b": 1})
    assert not plotly_view.same(np.zeros(2), np.zeros(3)) and not plotly_view.same(np.zeros(2), [0.0, 0.0])
    assert not plotly_view.same(1, 1.0) and plotly_view.same("x", "x") and not plotly_view.same([1], [1, 2])


def test_encode_makes_plotly_typed_arrays_that_decode_to_the_same_values():
    z = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    spec = plotly_view.encode(z)
    assert spec["dtype"] == "f4" and spec["shape"] == "2, 3" and np.array_equal(decode(spec), z)
    assert plotly_view.encode(np.arange(3))["dtype"] == "i4"  # int64 is not a plotly.js typed array
    assert plotly_view.encode({"a": (np.float32(0.5), [np.int16(2)])}) == {"a": [0.5, [2]]}
    assert plotly_view.encode(np.array(["a", "b"])) == ["a", "b"]


class FakeState(dict):
    pass


def test_a_table_is_sent_again_only_when_the_chart_was_not_drawn_the_pass_before(monkeypatch):
    state = FakeState()
    monkeypatch.setattr(plotly_view.st, "session_state", state)
    passes = []

    def drawn(key, ident="run-a"):
        return plotly_view._table_missing(key, ident)

    plotly_view.new_pass()
    passes.append((drawn("io"), drawn("pipeline-1")))
    plotly_view.new_pass()
    passes.append((drawn("io"), drawn("vectors")))  # a tab switched: pipeline-1 unmounted
    plotly_view.new_pass()
    passes.append((drawn("io"), drawn("pipeline-1"), drawn("vectors", "run-b")))
    assert passes == [(True, True), (False, True), (False, True, True)]


def test_the_keys_report_moves_the_step_through_the_callback(monkeypatch):
    class Result:
        step = 7

    moved = []
    monkeypatch.setattr(plotly_view.st, "session_state", FakeState(io=Result()))
    plotly_view._report("io", moved.append)
    monkeypatch.setattr(plotly_view.st, "session_state", FakeState(io=type("R", (), {"step": None})()))
    plotly_view._report("io", moved.append)  # no step reported: nothing moves
    assert moved == [7]
