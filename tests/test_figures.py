"""The pure builders of the app (app/figures.py, app/analysis.py, app/explain.py, app/inputs.py):
their data, not their looks. No Streamlit, no checkpoint: a small untrained NTM or a hand-made trace."""
from __future__ import annotations

import numpy as np
import pytest

from app import analysis, explain, figures, inputs
from app.inputs import Request
from model.tasks import TaskInputError, copy_example, encode_text
from app_fixtures import cursor_steps, decode, small_ntm, spec_of, synthetic_trace

SPEC = inputs.SPECS["copy"]


@pytest.fixture(scope="module")
def run():
    example = copy_example(encode_text("HELLO"))
    return example, small_ntm().run(example.inputs).trace


def heatmaps(spec: dict) -> list[dict]:
    return [d for d in spec["data"] if d["type"] == "heatmap"]


# ---------------------------------------------------------------- input / target / output

@pytest.mark.parametrize("t", [0, 4, 10])
def test_io_cursor_is_at_t(run, t):
    example, trace = run
    spec = spec_of(figures.io_figure(SPEC, example, trace.outputs, t))
    assert cursor_steps(spec) and set(cursor_steps(spec)) == {t}
    assert f"step {t}" in spec["layout"]["title"]["text"]


def io_block(spec: dict, name: str) -> np.ndarray:
    """The rows of one block (Input / Target / Output) of the io heatmap, [channels, T]."""
    heat = heatmaps(spec)[0]
    rows = [i for i, label in enumerate(heat["y"]) if label.startswith(name + " ")]
    return decode(heat["z"])[rows]


def test_io_panels_hold_input_target_and_scored_output(run):
    example, trace = run
    spec = spec_of(figures.io_figure(SPEC, example, trace.outputs, 0))
    np.testing.assert_array_equal(io_block(spec, "Input"), example.inputs.T)
    scored = example.mask
    np.testing.assert_array_equal(io_block(spec, "Target")[:, scored], example.targets[scored].T)
    np.testing.assert_allclose(io_block(spec, "Output")[:, scored], trace.outputs[scored].T)
    assert np.isnan(io_block(spec, "Output")[:, ~scored]).all()  # nothing is shown where nothing is scored
    labels = heatmaps(spec)[0]["y"]
    assert labels[0] == "Input:" and labels[1] == "Input bit 1" and "Output bit 8" in labels


def test_wrong_bits_are_the_scored_bits_that_differ():
    example = copy_example(encode_text("HI"))
    outputs = example.targets.copy()
    outputs[3, 0] = 1 - outputs[3, 0]  # scored step: wrong
    outputs[4, 7] = 0.4 if outputs[4, 7] > 0.5 else 0.6  # scored step: wrong after thresholding
    outputs[0, 2] = 1.0  # input phase: not scored, so not wrong
    assert np.argwhere(analysis.wrong_bits(example, outputs)).tolist() == [[3, 0], [4, 7]]
    spec = spec_of(figures.io_figure(SPEC, example, outputs, 0))
    marks = next(d for d in spec["data"] if d.get("name") == "wrong bit")
    assert list(zip(decode(marks["x"]).tolist(), marks["y"])) == [(3, "Output bit 1"), (4, "Output bit 8")]
    assert any("2 wrong bits" in note["text"] for note in spec["layout"]["annotations"])


def test_io_titles_read_the_text_back(run):
    example, trace = run
    titles = figures.io_titles(SPEC, example, example.targets)
    assert titles[0] == "Input: “HELLO”" and titles[1] == "Target: “HELLO”"
    assert titles[2].startswith("Output: “HELLO” — 0 wrong bits")


# ---------------------------------------------------------------- weightings and memory

def named(spec: dict, name: str) -> dict:
    return next(d for d in spec["data"] if d.get("name") == name)


@pytest.mark.parametrize("zoom", [True, False])
def test_heads_hold_each_heads_weighting_and_the_cursor_is_at_t(run, zoom):
    _, trace = run
    rows = analysis.display_rows(trace, zoom)
    spec = spec_of(figures.heads_figure(trace, 3, rows))
    maps = heatmaps(spec)
    assert [m["name"] for m in maps] == ["write head", "read head", "memory"]  # write head first
    for heat, head in zip(maps, analysis.head_order(trace)):
        np.testing.assert_allclose(decode(heat["z"]), trace.weights[:, head][:, rows].T)
        np.testing.assert_array_equal(decode(heat["customdata"])[:, 0], rows)
    assert cursor_steps(spec) and set(cursor_steps(spec)) == {3}


def test_heads_differ_between_steps_only_by_the_cursor_and_the_memory(run):
    _, trace = run
    rows = analysis.display_rows(trace, True)
    a, b = spec_of(figures.heads_figure(trace, 1, rows)), spec_of(figures.heads_figure(trace, 2, rows))
    assert a["data"][:2] == b["data"][:2]
    assert set(cursor_steps(a)) == {1} and set(cursor_steps(b)) == {2}


@pytest.mark.parametrize("t", [0, 5, 10])
def test_memory_heatmap_holds_the_memory_of_step_t(run, t):
    _, trace = run
    rows = analysis.display_rows(trace, False)
    spec = spec_of(figures.heads_figure(trace, t, rows))
    heat = named(spec, "memory")
    np.testing.assert_allclose(decode(heat["z"]), trace.memory[t][rows])
    scale = analysis.memory_scale(trace)
    assert (heat["zmin"], heat["zmax"], heat["zmid"]) == (pytest.approx(-scale), pytest.approx(scale), 0)
    assert f"Memory after step {t}" in [n["text"] for n in spec["layout"]["annotations"]]


def test_memory_scale_is_fixed_across_the_run(run):
    _, trace = run
    rows = analysis.display_rows(trace, True)
    ranges = {(h["zmin"], h["zmax"]) for t in range(trace.steps)
              for h in [named(spec_of(figures.heads_figure(trace, t, rows)), "memory")]}
    assert len(ranges) == 1


def memory_boxes(spec: dict, name: str) -> list[float]:
    """Display rows (centres) of the boxes called name, drawn on the memory panel (the last subplot)."""
    return [(s["y0"] + s["y1"]) / 2 for s in spec["layout"]["shapes"] if s["name"] == name and s["xref"] == "x3"]


def test_rows_just_written_and_read_are_boxed():
    trace = synthetic_trace()
    rows = np.arange(8)
    for t in range(trace.steps):
        spec = spec_of(figures.heads_figure(trace, t, rows))
        assert memory_boxes(spec, "written") == [2 + t] and memory_boxes(spec, "read") == [2]
        dashes = {s["line"].get("dash") for s in spec["layout"]["shapes"] if s["name"] == "read"}
        assert dashes == {"dash"}  # read is dashed, write solid: never told apart by colour alone


def test_boxes_follow_the_display_order_of_rows():
    trace = synthetic_trace()
    rows = np.array([6, 7, 0, 1, 2, 3, 4, 5])  # a wrapped view: row 2 is shown 5th
    assert memory_boxes(spec_of(figures.heads_figure(trace, 0, rows)), "read") == [4]


# ---------------------------------------------------------------- pipeline and vectors

def test_pipeline_shows_every_stage_of_the_head(run):
    _, trace = run
    rows, t = analysis.display_rows(trace, False), 6
    for head in range(2):
        bars = [d for d in spec_of(figures.pipeline_figure(trace, t, head, rows))["data"] if d["name"] != "w(t−1)"]
        stages = [trace.content, trace.gated, trace.shift, trace.shifted, trace.weights]
        for bar, stage in zip(bars, stages):
            want = stage[t, head] if stage is trace.shift else stage[t, head][rows]
            np.testing.assert_allclose(decode(bar["y"]), want, rtol=1e-6)
        assert [bars[2]["x"]] == [["-1", "0", "+1"]]


def test_pipeline_shows_the_previous_weighting_beside_the_gate(run):
    _, trace = run
    rows = analysis.display_rows(trace, False)
    line = next(d for d in spec_of(figures.pipeline_figure(trace, 0, 1, rows))["data"] if d["name"] == "w(t−1)")
    assert decode(line["y"])[0] == 1.0 and decode(line["y"])[1:].sum() == 0  # heads start on row 0
    line = next(d for d in spec_of(figures.pipeline_figure(trace, 4, 1, rows))["data"] if d["name"] == "w(t−1)")
    np.testing.assert_allclose(decode(line["y"]), trace.weights[3, 1][rows])


def test_vectors_show_the_written_row_before_and_after(run):
    _, trace = run
    t = 3
    row, _ = analysis.focus(trace.weights[t, 1])
    maps = heatmaps(spec_of(figures.vectors_figure(trace, t)))
    labels = [m["y"][0] for m in maps]
    assert labels[0].startswith(f"row {row} before") and labels[1:] == ["erase e", "add a", f"row {row} after", "read r"]
    np.testing.assert_allclose(decode(maps[0]["z"])[0], trace.memory[t - 1][row])
    np.testing.assert_allclose(decode(maps[3]["z"])[0], trace.memory[t][row])
    np.testing.assert_allclose(decode(maps[4]["z"])[0], trace.reads[t, 0])


# ---------------------------------------------------------------- animation

def test_animation_has_a_frame_per_step_and_starts_paused(run):
    _, trace = run
    rows = analysis.display_rows(trace, True)
    spec = spec_of(figures.animation_figure(trace, rows, frame_ms=250))
    assert [f["name"] for f in spec["frames"]] == [str(t) for t in range(trace.steps)]
    for t in (0, 7):
        frame = spec["frames"][t]
        np.testing.assert_allclose(decode(frame["data"][0]["z"]), trace.memory[t][rows])
        assert frame["traces"] == [2] and spec["data"][2]["name"] == "memory"
        assert set(cursor_steps(frame)) == {t}
    play, pause = spec["layout"]["updatemenus"][0]["buttons"]
    assert play["args"][1]["frame"]["duration"] == 250 and pause["args"][0] == [None]
    assert set(cursor_steps(spec)) == {0}


def test_standalone_html_embeds_plotly_and_does_not_autoplay(run):
    _, trace = run
    html = figures.standalone_html(figures.animation_figure(trace, analysis.display_rows(trace, True)))
    assert len(html) > 1_000_000 and "<script src=" not in html  # plotly.js inline, no CDN
    assert '"frames"' in html or "frames" in html
    assert "Plotly.animate" not in html


# ---------------------------------------------------------------- analysis

def test_rows_in_use_wrap_around_the_memory():
    w = np.zeros((3, 2, 16), np.float32)
    w[0, 0, 15] = w[1, 0, 0] = w[2, 1, 1] = 1.0
    assert analysis.rows_in_use(w, pad=1).tolist() == [14, 15, 0, 1, 2]


def test_rows_in_use_all_rows_when_nothing_or_most_is_used():
    assert analysis.rows_in_use(np.zeros((2, 2, 10))).tolist() == list(range(10))
    assert analysis.rows_in_use(np.ones((2, 2, 10)) / 10 + 0.01).tolist() == list(range(10))


def test_key_steps_of_copy():
    example = copy_example(encode_text("HELLO"))
    assert analysis.key_steps("copy", example) == [("First write", 0), ("End marker", 5),
                                                   ("First read-back", 6), ("Last step", 10)]


# ---------------------------------------------------------------- plain words

def test_step_sentence_names_row_weight_shift_and_source():
    trace = synthetic_trace()
    example = copy_example(np.zeros((1, 8)))  # 3 steps; the trace has 4, only phases differ
    words = explain.head_sentence(trace, 2, 1, "write head")
    assert words.startswith("The write head focuses on row 4 (1.00), moved there by a shift of +1 from row 3")
    assert "erases 90%" in words and "adds" in words
    read = explain.head_sentence(trace, 2, 0, "read head")
    assert "found by content at row 2" in read and "β = 20.0" in read
    full = explain.step_sentence(SPEC, example, trace, 1)
    assert full.startswith("Step 1 of 3: the end marker")
    assert full.index("write head") < full.index("read head")


def test_output_sentence_counts_wrong_bits():
    example = copy_example(encode_text("A"))
    outputs = example.targets.copy()
    assert explain.output_sentence(SPEC, example, outputs, 0) == "Nothing is scored at this step."
    assert "all 8 bits right" in explain.output_sentence(SPEC, example, outputs, 2)
    outputs[2, :2] = 1 - outputs[2, :2]
    assert "2 of 8 bits wrong" in explain.output_sentence(SPEC, example, outputs, 2)


def test_alt_texts_say_what_and_where(run):
    example, trace = run
    rows = analysis.display_rows(trace, False)
    words = explain.alt_heads(trace, 4, rows)
    assert "step 4" in words and "write head on row" in words and "memory after step 4" in words
    assert "wrong" in explain.alt_io(SPEC, example, trace, 4)


# ---------------------------------------------------------------- user input

def test_requests_encode_through_the_task():
    ex = inputs.build_example(Request(text="HI"))
    np.testing.assert_array_equal(ex.inputs, copy_example(encode_text("HI")).inputs)
    grid = inputs.build_example(Request(mode="grid", grid="01001000\n0100 1001\n"))
    np.testing.assert_array_equal(grid.inputs, ex.inputs)
    rand = inputs.build_example(Request(mode="random", seed="3", size=5))
    assert rand.inputs.shape == (11, 9)


@pytest.mark.parametrize("request_, words", [
    (Request(text="HÉLLO"), "character 2"),
    (Request(text=""), "empty"),
    (Request(text="x" * 121), "at most 120"),
    (Request(mode="grid", grid="0101\n01010101"), "row 1 has 4 bits"),
    (Request(mode="grid", grid="0102"), "not a bit"),
    (Request(mode="random", seed="abc"), "seed"),
    (Request(task="nope"), "no task"),
])
def test_bad_requests_give_the_tasks_message(request_, words):
    with pytest.raises(TaskInputError, match=words):
        inputs.build_example(request_)
    example, message = inputs.try_build(request_)
    assert example is None and words in message


def test_presets_include_one_longer_than_training():
    lengths = [len(p.request.text) for p in inputs.presets(SPEC) if p.request.mode == "text"]
    assert max(lengths) == 60 > SPEC.trained_max
    for p in inputs.presets(SPEC):
        inputs.build_example(p.request)  # every preset is valid


def test_text_and_grid_convert_into_each_other():
    grid = inputs.as_grid(Request(text="HI"))
    assert grid == "01001000\n01001001"
    assert inputs.as_text(Request(mode="grid", grid=grid)) == "HI"
    assert inputs.as_text(Request(mode="grid", grid="00000001")) is None  # not printable


def test_user_text_cannot_become_markup():
    example = copy_example(encode_text("a<b>*c&"))
    titles = figures.io_titles(SPEC, example, example.targets)
    assert titles[0] == "Input: “a&lt;b&gt;*c&amp;”"
