"""Every page headless (streamlit.testing AppTest): no exception; input and step drive the charts;
bad input shows the task's message and keeps the last good run; the URL restores a view.

Uses the shipped copy checkpoint; skips only when it is missing."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import plotly.offline
import pytest

from app import analysis, inputs, plotly_view
from model import checkpoints
from model.tasks import copy_example, encode_text
from app_fixtures import HOME_PAGE, ROOT, STEP_PAGE, app_test, charts, cursor_steps, decode, needs_copy

pytestmark = needs_copy


@pytest.fixture(scope="module")
def net():
    return checkpoints.load_pretrained("copy")


def trace_of(net, text: str):
    return net.run(copy_example(encode_text(text)).inputs).trace


def input_bits(at) -> np.ndarray:
    heat = charts(at)["io"]["data"][0]
    rows = [i for i, label in enumerate(heat["y"]) if label.startswith("Input ")]
    return decode(heat["z"])[rows].T  # [T, 9]


def memory_shown(at) -> np.ndarray:
    return decode(next(d for d in charts(at)["heads"]["data"] if d["name"] == "memory")["z"])


def shown_step(at) -> int:
    steps = set(cursor_steps(charts(at)["io"]))
    assert len(steps) == 1
    return int(steps.pop())


def messages(at) -> str:
    return " ".join(e.value for e in [*at.error, *at.warning])


# ---------------------------------------------------------------- every page renders

def test_home_renders_with_diagram_and_a_tour_of_every_page():
    at = app_test(page=HOME_PAGE)
    assert not at.exception
    assert {el.proto.label for el in at.get("page_link")} >= {"Home", "Step through"}
    assert any(el.proto.query_string == "text=HELLO" for el in at.get("page_link"))  # one click to a run
    assert at.get("image"), "the NTM diagram"
    text = " ".join(m.value for m in at.markdown)
    assert "attention" in text and "LSTM" in text


def test_step_through_renders_the_step_views_and_the_write_heads_addressing():
    at = app_test()
    assert not at.exception
    assert set(charts(at)) == {"io", "heads", "pipeline-1"}  # detail tabs are lazy: only the open one is drawn
    assert all(c["alt"] for c in charts(at).values()), "every chart has alt text"
    assert len(at.latex) == 4
    assert "Step 0 of 10" in at.markdown[0].value


@pytest.mark.parametrize("view, key", [("Addressing: read head", "pipeline-0"), ("Erase, add and read", "vectors"),
                                       ("Play the whole run", "animation")])
def test_every_detail_tab_renders(view, key):
    at = app_test({"view": view, "step": "3"})
    assert not at.exception
    assert set(charts(at)) == {"io", "heads", key}
    if key == "animation":
        assert len(charts(at)[key]["frames"]) == 11 and at.get("download_button")
    else:
        assert "step 3" in charts(at)[key]["layout"]["title"]["text"]


def test_lecture_mode_hides_the_controls_and_enlarges_text():
    normal, lecture = app_test(), app_test({"lecture": "true", "view": "Play the whole run"})
    assert not lecture.exception and lecture.toggle(key="lecture").value is True
    assert lecture.get("download_button") == [] and not any("Jump" in c.value for c in lecture.caption)
    size = lambda at: charts(at)["heads"]["layout"]["font"]["size"]  # noqa: E731
    assert size(lecture) > size(normal)
    assert any("font-size" in h.proto.body for h in lecture.get("html"))


# ---------------------------------------------------------------- input and step drive the charts

def test_changing_the_step_moves_every_view(net):
    at = app_test()
    trace = trace_of(net, "HELLO")
    at.slider(key="step").set_value(4).run()
    assert shown_step(at) == 4 and set(cursor_steps(charts(at)["heads"])) == {4}
    rows = analysis.display_rows(trace, True)
    np.testing.assert_allclose(memory_shown(at), trace.memory[4][rows], atol=1e-5)
    next_button = next(b for b in at.button if b.label.startswith("Next"))
    next_button.click().run()
    assert shown_step(at) == 5
    np.testing.assert_allclose(memory_shown(at), trace.memory[5][rows], atol=1e-5)
    assert "memory after step 5" in charts(at)["heads"]["layout"]["title"]["text"]
    assert "step 5" in charts(at)["pipeline-1"]["layout"]["title"]["text"]
    next(b for b in at.button if b.label.startswith("◀")).click().run()
    assert shown_step(at) == 4 and "Step 4 of 10" in at.markdown[0].value


def test_step_charts_keep_their_identity_while_their_figures_change():
    """The step charts are one element each across steps (app/plotly_view.py updates them in place)."""
    at = app_test()
    ids = lambda: {el.proto.id for el in at.get("bidi_component") if el.proto.component_name == plotly_view.NAME}  # noqa: E731
    first, figures_before = ids(), charts(at)
    at.slider(key="step").set_value(3).run()
    assert ids() == first and len(first) == 3
    assert charts(at)["heads"]["layout"]["shapes"] != figures_before["heads"]["layout"]["shapes"]
    assert charts(at)["io"]["view"]["step"] == 3


def test_next_stops_at_the_last_step_and_landmarks_jump():
    at = app_test({"step": "10"})
    next(b for b in at.button if b.label.startswith("Next")).click().run()
    assert shown_step(at) == 10
    next(b for b in at.button if b.label.startswith("First read-back")).click().run()
    assert shown_step(at) == 6


def test_changing_the_input_changes_the_charts(net):
    at = app_test()
    before = input_bits(at)
    at.text_input(key="text").set_value("HI").run()
    assert not at.exception
    after = input_bits(at)
    assert before.shape == (11, 9) and after.shape == (5, 9)
    np.testing.assert_array_equal(after, copy_example(encode_text("HI")).inputs)
    trace = trace_of(net, "HI")
    weights = decode(charts(at)["heads"]["data"][0]["z"])
    np.testing.assert_allclose(weights, trace.weights[:, 1][:, analysis.display_rows(trace, True)].T, atol=1e-5)


def test_a_preset_longer_than_training_runs():
    at = app_test()
    next(b for b in at.button if b.label == "60 characters").click().run()
    assert not at.exception
    assert at.text_input(key="text").value == inputs.LONG_SENTENCE
    assert input_bits(at).shape == (121, 9) and shown_step(at) == 0


def test_random_and_grid_inputs():
    at = app_test()
    at.radio(key="mode").set_value("grid").run()
    assert at.text_area(key="grid").value == inputs.as_grid(inputs.Request(text="HELLO"))  # carried over
    at.text_area(key="grid").set_value("11110000\n00001111").run()
    assert input_bits(at).shape == (5, 9) and input_bits(at)[0, :8].tolist() == [1, 1, 1, 1, 0, 0, 0, 0]
    at.radio(key="mode").set_value("random").run()
    at.text_input(key="seed").set_value("3").run()
    at.number_input(key="size").set_value(6).run()
    assert not at.exception and input_bits(at).shape == (13, 9)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("bad, words", [
    ("HÉLLO", "character 2"),
    ("", "empty"),
    ("x" * 121, "at most 120"),
])
def test_bad_text_shows_the_message_and_keeps_the_last_good_run(bad, words):
    at = app_test()
    at.text_input(key="text").set_value("HI").run()
    good = input_bits(at)
    at.text_input(key="text").set_value(bad).run()
    assert not at.exception
    assert words in messages(at)
    np.testing.assert_array_equal(input_bits(at), good)
    at.text_input(key="text").set_value("OK").run()
    assert not at.error and input_bits(at).shape == (5, 9)


def test_a_ragged_grid_shows_the_message_and_keeps_the_run():
    at = app_test()
    good = input_bits(at)
    at.radio(key="mode").set_value("grid").run()
    at.text_area(key="grid").set_value("01010101\n0101").run()
    assert "row 2 has 4 bits" in messages(at)
    np.testing.assert_array_equal(input_bits(at), good)


# ---------------------------------------------------------------- the URL holds the view

def test_url_restores_task_input_and_step():
    at = app_test({"task": "copy", "text": "NTM", "step": "5"})
    assert not at.exception
    assert at.text_input(key="text").value == "NTM" and at.slider(key="step").value == 5
    assert shown_step(at) == 5
    np.testing.assert_array_equal(input_bits(at), copy_example(encode_text("NTM")).inputs)


def test_url_restores_a_random_example():
    at = app_test({"mode": "Random", "seed": "11", "size": "4", "step": "2"})
    assert not at.exception and input_bits(at).shape == (9, 9) and shown_step(at) == 2


@pytest.mark.parametrize("query, words", [
    ({"text": "HELLO\u00e9"}, "cannot be encoded"),
    ({"mode": "Random", "seed": "-4"}, "seed"),
    ({"mode": "Bit grid", "grid": "012"}, "not a bit"),
])
def test_a_tampered_url_shows_the_message_and_a_good_run(query, words):
    at = app_test(query)
    assert not at.exception
    assert words in messages(at)
    assert charts(at)["io"]  # a run is on screen (the default one)


def test_an_impossible_step_in_the_url_is_ignored():
    at = app_test({"text": "HI", "step": "999"})
    assert not at.exception and shown_step(at) == 0


def test_without_any_checkpoint_the_page_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(checkpoints, "ASSETS", tmp_path)  # an empty assets folder
    at = app_test()
    assert not at.exception
    assert "No pretrained model" in messages(at) and not charts(at)


def test_only_tasks_with_a_checkpoint_are_offered():
    at = app_test()
    shipped = {p.stem for p in checkpoints.ASSETS.glob("*.safetensors")}
    assert set(at.selectbox(key="task").options) == {inputs.SPECS[n].label for n in inputs.SPECS
                                                     if inputs.SPECS[n].model in shipped}


@pytest.mark.skipif(not (checkpoints.ASSETS / "associative_recall.safetensors").exists(),
                    reason="no associative_recall checkpoint")
def test_switching_to_associative_recall_shows_its_own_input():
    at = app_test({"text": "HI"})
    at.selectbox(key="task").set_value("associative_recall").run()
    assert not at.exception and not at.error
    assert at.radio(key="mode").value == "random" and "Item" not in messages(at)
    labels = charts(at)["io"]["data"][0]["y"]
    assert "Input query delim." in labels and "Output bit 6" in labels
    assert any(b.label.startswith("Query (step") for b in at.button)
    at.selectbox(key="task").set_value("copy").run()
    assert at.text_input(key="text").value == "HELLO" and input_bits(at).shape == (11, 9)


@pytest.mark.parametrize("page", [HOME_PAGE, STEP_PAGE])
def test_every_page_starts_loading_plotly_first_from_the_file_the_app_serves(page):
    at = app_test(page=page)
    first = at.get("bidi_component")[0]
    assert first.proto.component_name == plotly_view.PRELOAD
    data = json.loads(first.proto.json)
    served = ROOT / "app" / "static" / Path(data["plotly"]).name
    assert data["plotly"] == "../../app/static/" + served.name and served.stat().st_size > 1_000_000
    header = served.read_text()[:200]  # the same plotly.js as the Python package's figures are made for
    assert f"plotly.js (cartesian - minified) v{plotly.offline.get_plotlyjs_version()}" in header
    assert plotly_view.CARTESIAN == served
    assert data["bundle"].startswith("PlotlyChart.")  # the fallback: Streamlit's own chart bundle


def test_step_tables_go_to_the_browser_once_per_run_and_again_for_a_new_run():
    at = app_test({"text": "HELLO"})
    views = lambda: {key: chart["view"] for key, chart in charts(at).items() if "view" in chart}  # noqa: E731
    first = views()
    assert set(first) == {"io", "heads", "pipeline-1"} and all(v.get("table") for v in first.values())
    for view in first.values():
        assert json.loads(view["table"])["ident"] == f"{view['run']}|{view['view']}" and view["count"] == 11
    assert [v["stepper"] for v in first.values()] == [True, False, False]  # one chart reports the keys' steps
    at.slider(key="step").set_value(3).run()
    assert not any("table" in v for v in views().values())  # the charts stayed mounted and keep theirs
    at.text_input(key="text").set_value("HI").run()
    again = views()
    assert all(v.get("table") for v in again.values()) and again["io"]["run"] != first["io"]["run"]
