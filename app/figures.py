"""Pure Plotly builders: a traced run in, a go.Figure out. No Streamlit here.

Notation: T steps, H heads, N memory rows, M row width; `rows` is the list of memory
rows a view shows, top to bottom (see app.analysis.display_rows).

Colours: weights on viridis, bits and probabilities on cividis, both fixed to 0..1;
memory values on a diverging scale centred at 0 and fixed across the run. Read and write
are told apart by words and line style (dashed / solid), never by colour alone.

Figures are assembled as plain dicts and validated once by go.Figure at the end: the
step view rebuilds them on every step, and make_subplots / update_* cost ten times more.
"""
from __future__ import annotations

import contextvars
import html
from typing import Callable

import numpy as np
import plotly.graph_objects as go

from app import analysis
from app.inputs import TaskSpec, answer_text
from model.tasks import Example
from model.trace import Trace

WEIGHTS = "Viridis"
BITS = "Cividis"
MEMORY = "RdBu_r"
HEAD_COLOUR = {"write": "#E69F00", "read": "#0072B2"}  # Okabe-Ito orange / blue
HEAD_DASH = {"write": "solid", "read": "dash"}
WRONG = "#E7298A"
FONT = 13
_AS_DICT = contextvars.ContextVar("figures_as_dict", default=False)


# ---------------------------------------------------------------- layout helpers

def _ref(k: int) -> str:
    """Axis suffix of subplot k (1-based): '' for the first, then '2', '3', ..."""
    return "" if k == 1 else str(k)


def _domains(sizes, gap: float) -> list[list[float]]:
    """Split [0, 1] into parts proportional to sizes, with gaps between them (first part first)."""
    sizes = np.asarray(sizes, float)
    span = 1.0 - gap * (len(sizes) - 1)
    ends = np.cumsum(sizes / sizes.sum() * span)
    return [[float(e - s / sizes.sum() * span + gap * i), float(e + gap * i)] for i, (s, e) in enumerate(zip(sizes, ends))]


def _stacked(sizes, gap: float) -> list[list[float]]:
    """Vertical domains with the first part on top."""
    return [[1 - d[1], 1 - d[0]] for d in _domains(sizes, gap)]


def _subplot(layout: dict, k: int, xdom, ydom, x: dict | None = None, y: dict | None = None, title: str = "",
             share_y: bool = False) -> None:
    """Axes (and a title) for subplot k; with share_y, subplot k draws on subplot 1's y axis (one axis
    fewer to lay out and draw)."""
    r = _ref(k)
    layout[f"xaxis{r}"] = dict(domain=xdom, anchor="y" if share_y else f"y{r}", **(x or {}))
    if not share_y:
        layout[f"yaxis{r}"] = dict(domain=ydom, anchor=f"x{r}", **(y or {}))
    if title:
        layout.setdefault("annotations", []).append(dict(
            text=title, x=(xdom[0] + xdom[1]) / 2, y=ydom[1], xref="paper", yref="paper",
            xanchor="center", yanchor="bottom", showarrow=False, name="subplot title"))


def _match(k: int) -> dict:
    """Tie subplot k's x axis to the first one."""
    return {} if k == 1 else dict(matches="x")


def _on(trace: dict, k: int, share_y: bool = False) -> dict:
    return dict(trace, xaxis=f"x{_ref(k)}", yaxis="y" if share_y else f"y{_ref(k)}")


def _figure(data: list[dict], layout: dict, title: str, height: int, scale: float, frames=None) -> go.Figure:
    for note in layout.get("annotations", []):
        note.setdefault("font", dict(size=round(FONT * scale)))
    layout.update(
        title=dict(text=title, font=dict(size=round(16 * scale))), height=round(height * scale),
        font=dict(size=round(FONT * scale)), hoverlabel=dict(font_size=round(FONT * scale)),
    )
    layout.setdefault("margin", dict(l=60, r=20, t=round(75 * scale), b=45))
    _font_everywhere(layout, round(FONT * scale))
    if layout["margin"].get("autoexpand") is False:  # and the theme's axis automargin off too
        for key in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
            layout[key]["automargin"] = False
    spec = dict(data=data, layout=layout, frames=frames or [])
    return spec if _AS_DICT.get() else go.Figure(spec)


def as_dict(build: Callable[[], go.Figure]) -> dict:
    """What `build` (a call of any builder here) makes, as the plain dict, not validated by go.Figure:
    about 30x faster, for tables of every step (app/plotly_view.py). Same content, no template."""
    token = _AS_DICT.set(True)
    try:
        return build()
    finally:
        _AS_DICT.reset(token)


def fixed_margin(l: int, r: int, b: int, scale: float) -> dict:
    """Margins set in advance, large enough for the tick labels, axis titles and colour bars, with Plotly's
    margin pushing (axis automargin, colour bars) off: measuring and pushing draws a figure two or three
    times, the largest part of what a step costs the browser. Used by the figures redrawn on every step."""
    return dict(l=round(l * scale), r=round(r * scale), t=round(75 * scale), b=round(b * scale), autoexpand=False)


def _font_everywhere(layout: dict, size: int) -> None:
    """Tick labels, axis titles and colour bars at `size`: a theme's template would otherwise keep its own."""
    for key in [k for k in layout if k.startswith(("xaxis", "yaxis"))] + ["xaxis", "yaxis"]:
        axis = layout.setdefault(key, {})
        axis["tickfont"] = dict(size=size)
        if isinstance(axis.get("title"), dict):
            axis["title"].setdefault("font", dict(size=size))
    for key in [k for k in layout if k.startswith("coloraxis")]:
        layout[key].setdefault("colorbar", {})["tickfont"] = dict(size=size)


def _row_ticks(rows: np.ndarray, most: int = 16) -> dict:
    """A y axis of memory rows in display order, top to bottom, labelled with row numbers."""
    every = max(1, int(np.ceil(len(rows) / most)))
    idx = np.arange(0, len(rows), every)
    return dict(tickmode="array", tickvals=idx.tolist(), ticktext=[str(r) for r in rows[idx]],
                range=[len(rows) - 0.5, -0.5])


def _row_data(rows: np.ndarray, columns: int) -> np.ndarray:
    """customdata [rows, columns] holding each cell's memory row number (for hover text)."""
    return np.repeat(rows.astype(np.int16)[:, None], columns, axis=1)


def cursor(t: int, k: int = 1, span: tuple[float, float] | None = None, share_y: bool = False) -> list[dict]:
    """A box around step t spanning subplot k's height (or rows span[0]..span[1] of its y axis):
    black under white, visible on any colour. share_y: subplot k draws on subplot 1's y axis."""
    ya = "y" if share_y else f"y{_ref(k)}"
    y = dict(yref=ya, y0=span[0] - 0.5, y1=span[1] + 0.5) if span else dict(yref=f"{ya} domain", y0=0, y1=1)
    box = dict(type="rect", name="cursor", xref=f"x{_ref(k)}", x0=t - 0.5, x1=t + 0.5, **y)
    return [dict(box, line=dict(color="black", width=4.5)), dict(box, line=dict(color="white", width=2))]


def _row_box(i: int, width: int, kind: str, k: int = 1, share_y: bool = False) -> dict:
    """An outline around display row i of subplot k's [rows x width] heatmap; solid for write, dashed for read."""
    return dict(type="rect", name="written" if kind == "write" else "read", xref=f"x{_ref(k)}",
                yref="y" if share_y else f"y{_ref(k)}",
                x0=-0.5, x1=width - 0.5, y0=i - 0.5, y1=i + 0.5,
                line=dict(color="black", width=3 if kind == "write" else 2.5, dash=HEAD_DASH[kind]))


def _colorbar(title: str, x: float = 1.02, length: float = 0.9) -> dict:
    return dict(title=dict(text=title), x=x, len=length)


# ---------------------------------------------------------------- input / target / output

def channel_names(task: str, width: int, inputs: bool) -> list[str]:
    if task == "associative_recall":
        names = [f"bit {i + 1}" for i in range(6)]
        return names + ["item delim.", "query delim."] if inputs else names
    names = [f"bit {i + 1}" for i in range(8)]
    extra = {("copy", True): ["end"], ("repeat_copy", True): ["end", "repeats"], ("repeat_copy", False): ["end flag"]}
    return (names + extra.get((task, inputs), []))[:width]


def io_titles(spec: TaskSpec, example: Example, outputs: np.ndarray) -> list[str]:
    marker = analysis.marker_step(spec.name, example)
    shown = {"Input": answer_text(spec, example.inputs[:marker]),
             "Target": answer_text(spec, example.targets[example.mask]),
             "Output": answer_text(spec, outputs[example.mask])}
    wrong = int(analysis.wrong_bits(example, outputs).sum())
    titles = [f"{k}: “{html.escape(v)}”" if v is not None else k for k, v in shown.items()]  # Plotly reads tags
    titles[2] += f" — {wrong} wrong bit{'s' * (wrong != 1)} (marked ×)"
    return titles


def io_panels(example: Example, outputs: np.ndarray) -> list[np.ndarray]:
    """[input, target, output] as [T, channels]; target and output are blank (NaN) where nothing is scored."""
    scored = np.where(example.mask[:, None], 1.0, np.nan).astype(np.float32)
    return [example.inputs, example.targets * scored, np.asarray(outputs, np.float32) * scored]


def io_figure(spec: TaskSpec, example: Example, outputs: np.ndarray, t: int, scale: float = 1.0) -> go.Figure:
    """Input, target and output over time (channel x step) on one axis, wrong bits marked, cursor at t.

    One heatmap with a blank title row above each block: one pair of axes draws faster than three."""
    z, labels, ticks = io_grid(spec.name, example, outputs)
    titles = io_titles(spec, example, outputs)
    heat = dict(type="heatmap", z=z, y=labels, coloraxis="coloraxis", name="bits", xgap=0,
                hovertemplate="step %{x}, %{y}: %{z:.2f}<extra></extra>")
    notes = [dict(text=title, x=0.5, xref="paper", y=labels[i], yref="y", showarrow=False, name="block title")
             for title, i in zip(titles, [i for i, label in enumerate(labels) if label.endswith(":")])]
    titled = [i for i, label in enumerate(labels) if label.endswith(":")] + [len(labels)]
    cursors = [shape for a, b in zip(titled, titled[1:]) for shape in cursor(t, 1, (a + 1, b - 1))]
    data = [heat, _wrong_markers(example, outputs, spec.name)]
    layout = dict(shapes=cursors, showlegend=False, annotations=notes,  # the cursor skips the title rows
                  xaxis=dict(title=dict(text="step")),
                  yaxis=dict(autorange="reversed", tickmode="array", tickvals=ticks, ticktext=[l.split(" ", 1)[1] for l in ticks]),
                  coloraxis=dict(colorscale=BITS, cmin=0, cmax=1, colorbar=_colorbar("bit / p(1)")),
                  margin=fixed_margin(max(60, 12 + 7.5 * max(len(l.split(" ", 1)[1]) for l in ticks)), 127, 74, scale))
    return _figure(data, layout, f"Input, target and output — cursor at step {t}", 520, scale)


def io_grid(task: str, example: Example, outputs: np.ndarray) -> tuple[np.ndarray, list[str], list[str]]:
    """z [rows, T] stacking a blank title row and the channels of input, target and output;
    the row labels ("Input:", "Input bit 1", ...) and the labels that get a tick."""
    blocks, labels, ticks = [], [], []
    for name, z in zip(("Input", "Target", "Output"), io_panels(example, outputs)):
        channels = [f"{name} {c}" for c in channel_names(task, z.shape[1], inputs=name == "Input")]
        blocks += [np.full((1, z.shape[0]), np.nan, np.float32), z.T.astype(np.float32)]
        labels += [f"{name}:"] + channels
        ticks += channels
    return np.concatenate(blocks), labels, ticks


def _wrong_markers(example: Example, outputs: np.ndarray, task: str) -> dict:
    steps, channels = np.nonzero(analysis.wrong_bits(example, outputs))
    names = channel_names(task, example.targets.shape[1], inputs=False)
    return dict(type="scatter", x=steps.astype(np.int16), y=[f"Output {names[c]}" for c in channels],
                mode="markers", name="wrong bit",
                marker=dict(symbol="x", size=11, color=WRONG, line=dict(color="white", width=1)),
                hovertemplate="wrong bit: step %{x}, %{y}<extra></extra>")


# ---------------------------------------------------------------- where the heads look, and the memory

def heads_figure(trace: Trace, t: int, rows: np.ndarray, scale: float = 1.0) -> go.Figure:
    """Each head's weighting over time (memory row x step, cursor at t) beside the memory after
    step t (row x column, the rows just written and read boxed), on the same rows."""
    data, layout, cols = _heads_panels(trace, t, rows, f"Memory after step {t}")
    layout.update(shapes=_step_shapes(trace, t, rows, cols), margin=fixed_margin(90, 160, 74, scale))
    return _figure(data, layout, f"Where the heads look, and the memory after step {t}", 470, scale)


def _heads_panels(trace: Trace, t: int, rows: np.ndarray, memory_title: str) -> tuple[list, dict, int]:
    order, names = analysis.head_order(trace), analysis.head_names(trace)
    cols = len(order) + 1
    xdoms = _domains([1.25] * len(order) + [1], 0.035)
    data, layout = [], {}
    for k, (h, xdom) in enumerate(zip(order, xdoms), start=1):
        style = "solid" if trace.head_kinds[h] == "write" else "dashed"
        data.append(_on(_weights_heatmap(trace.weights[:, h][:, rows].T, rows, names[h]), k, share_y=True))
        _subplot(layout, k, xdom, [0, 1], x=dict(title=dict(text="step")), y=_rows_yaxis(rows),
                 title=f"{names[h].capitalize()} ({style} boxes)", share_y=k > 1)
    data.append(_on(_memory_heatmap(trace, t, rows), cols, share_y=True))  # all panels on one y axis of rows
    _subplot(layout, cols, xdoms[-1], [0, 1], x=dict(title=dict(text="column")), title=memory_title, share_y=True)
    layout["coloraxis"] = dict(colorscale=WEIGHTS, cmin=0, cmax=1, colorbar=_colorbar("weight", 1.01, 0.9))
    return data, layout, cols


def _step_shapes(trace: Trace, t: int, rows: np.ndarray, cols: int) -> list[dict]:
    """Cursors at step t on every weighting panel, and the boxes of the rows used at t on the memory panel."""
    cursors = [shape for k in range(1, cols) for shape in cursor(t, k, share_y=True)]
    return cursors + row_boxes(trace, t, rows, cols, share_y=True)


def _rows_yaxis(rows: np.ndarray) -> dict:
    return dict(title=dict(text="memory row"), **_row_ticks(rows))


def _weights_heatmap(z: np.ndarray, rows: np.ndarray, name: str) -> dict:
    """z [rows, T] of one head's weights."""
    return dict(type="heatmap", z=z.astype(np.float32), coloraxis="coloraxis", name=name,
                customdata=_row_data(rows, z.shape[1]),
                hovertemplate=f"{name}<br>step %{{x}}, row %{{customdata}}: %{{z:.3f}}<extra></extra>")


def _memory_heatmap(trace: Trace, t: int, rows: np.ndarray) -> dict:
    """Memory after step t on the run's fixed diverging scale."""
    zmax = analysis.memory_scale(trace)
    z = trace.memory[t][rows].astype(np.float32)
    return dict(type="heatmap", z=z, zmin=-zmax, zmax=zmax, zmid=0, colorscale=MEMORY, name="memory",
                colorbar=_colorbar("memory", 1.1, 0.9), customdata=_row_data(rows, z.shape[1]),
                hovertemplate="row %{customdata}, column %{x}: %{z:.3f}<extra></extra>")


def row_boxes(trace: Trace, t: int, rows: np.ndarray, k: int = 1, share_y: bool = False) -> list[dict]:
    """Outlines (on subplot k) of the rows the heads wrote or read at step t, those in view."""
    where, width = {int(r): i for i, r in enumerate(rows)}, trace.memory.shape[-1]
    return [_row_box(where[int(r)], width, kind, k, share_y)
            for h, kind in enumerate(trace.head_kinds)
            for r in analysis.rows_hit(trace.weights[t, h]) if int(r) in where]


# ---------------------------------------------------------------- the addressing pipeline

def pipeline_stages(trace: Trace, t: int, head: int) -> dict[str, np.ndarray]:
    return {"previous": analysis.previous_weights(trace, t, head), "content": trace.content[t, head],
            "gated": trace.gated[t, head], "shifted": trace.shifted[t, head], "final": trace.weights[t, head]}


def pipeline_figure(trace: Trace, t: int, head: int, rows: np.ndarray, scale: float = 1.0) -> go.Figure:
    """content -> gated -> shift -> shifted -> sharpened for one head at step t, as bars over rows."""
    kind, name = trace.head_kinds[head], analysis.head_names(trace)[head]
    stages, labels = pipeline_stages(trace, t, head), [str(r) for r in rows]
    titles = [f"1 content w<sup>c</sup> (β = {trace.beta[t, head]:.1f})",
              f"2 gated w<sup>g</sup> (g = {trace.gate[t, head]:.2f})", "shift s",
              "3 shifted w̃", f"4 sharpened w (γ = {trace.gamma[t, head]:.1f})"]
    panels = [("content", labels), ("gated", labels), ("shift", _offset_labels(trace)),
              ("shifted", labels), ("final", labels)]
    data, layout = [], dict(showlegend=False, bargap=0.1, margin=fixed_margin(72, 20, 66, scale))
    for k, ((key, x), xdom, title) in enumerate(zip(panels, _domains([3, 3, 1.1, 3, 3], 0.045), titles), start=1):
        y = trace.shift[t, head] if key == "shift" else stages[key][rows]
        data.append(_on(_bars(x, y, kind, key) if key == "shift" else _steps_area(x, y, kind, key), k, share_y=True))
        _subplot(layout, k, xdom, [0, 1], x=_pipeline_xaxis(k, x), y=_pipeline_yaxis(k), title=title, share_y=k > 1)
    data.append(_on(_previous_line(labels, stages["previous"][rows]), 2, share_y=True))
    return _figure(data, layout, f"How the {name} addresses memory at step {t}", 320, scale)


def _pipeline_xaxis(k: int, labels: list[str], most: int = 5) -> dict:
    title = {1: "memory row", 3: "offset"}.get(k)
    shown = labels[:: max(1, int(np.ceil(len(labels) / most)))]
    return dict(type="category", tickangle=0, tickmode="array", tickvals=shown, ticktext=shown,
                title=dict(text=title) if title else None)


def _pipeline_yaxis(k: int) -> dict:
    return dict(range=[0, 1.02], showticklabels=k == 1, title=dict(text="weight") if k == 1 else None)


def _offset_labels(trace: Trace) -> list[str]:
    radius = (trace.shift.shape[-1] - 1) // 2
    return [f"{k:+d}" if k else "0" for k in range(-radius, radius + 1)]


def _bars(x: list[str], y: np.ndarray, kind: str, name: str) -> dict:
    return dict(type="bar", x=x, y=np.asarray(y, np.float32), name=name, marker=dict(color=HEAD_COLOUR[kind]),
                hovertemplate=f"{name}: %{{x}} → %{{y:.3f}}<extra></extra>")


def _steps_area(x: list[str], y: np.ndarray, kind: str, name: str) -> dict:
    """A weighting over rows drawn like bars but as one filled outline: one SVG path instead of one per
    row, which keeps a step fast."""
    return dict(type="scatter", x=x, y=np.asarray(y, np.float32), name=name, mode="lines", fill="tozeroy",
                line=dict(color=HEAD_COLOUR[kind], shape="hvh", width=1.5), fillcolor=HEAD_COLOUR[kind],
                hovertemplate=f"{name}: row %{{x}} → %{{y:.3f}}<extra></extra>")


def _previous_line(x: list[str], y: np.ndarray) -> dict:
    return dict(type="scatter", x=x, y=np.asarray(y, np.float32), mode="lines", name="w(t−1)",
                line=dict(color="black", dash="dot", shape="hvh", width=1.5),
                hovertemplate="previous w: row %{x} → %{y:.3f}<extra></extra>")


# ---------------------------------------------------------------- erase, add and read vectors

def vector_rows(trace: Trace, t: int) -> list[tuple[str, np.ndarray]]:
    """(label, vector [M]) for the write (row before, erase, add, row after) and each read."""
    out = []
    for w, h in enumerate(trace.heads_of("write")):
        row, _ = analysis.focus(trace.weights[t, h])
        before = trace.memory_before(t)[row]
        empty = " (≈ 0)" if np.abs(before).max() < 0.01 else ""
        out += [(f"row {row} before{empty}", before), ("erase e", trace.erase[t, w]),
                ("add a", trace.add[t, w]), (f"row {row} after", trace.memory[t][row])]
    for r in range(trace.reads.shape[1]):
        out.append(("read r" + (f"{r + 1}" if trace.reads.shape[1] > 1 else ""), trace.reads[t, r]))
    return out


def vectors_figure(trace: Trace, t: int, scale: float = 1.0) -> go.Figure:
    """The write's erase / add and the focused row before and after, and the read vectors, at step t."""
    items = vector_rows(trace, t)
    zmax = max(analysis.memory_scale(trace), 1.0)
    data, layout = [], {}
    for k, ((label, vec), ydom) in enumerate(zip(items, _stacked([1] * len(items), 0.03)), start=1):
        axis = "coloraxis2" if label.startswith("erase") else "coloraxis"
        data.append(_on(dict(type="heatmap", z=np.asarray(vec, np.float32)[None, :], y=[label], coloraxis=axis,
                             name=label, hovertemplate=f"{label}, column %{{x}}: %{{z:.3f}}<extra></extra>"), k))
        last = k == len(items)
        _subplot(layout, k, [0, 1], ydom, x=dict(_match(k), showticklabels=last,
                                                  title=dict(text="column") if last else None))
    layout["coloraxis"] = dict(colorscale=MEMORY, cmin=-zmax, cmax=zmax, colorbar=_colorbar("value", 1.0))
    layout["coloraxis2"] = dict(colorscale=BITS, cmin=0, cmax=1, colorbar=_colorbar("erase", 1.09))
    return _figure(data, layout, f"What the heads write and read at step {t}", 80 + 45 * len(items), scale)


# ---------------------------------------------------------------- animation (plays in the browser)

def animation_figure(trace: Trace, rows: np.ndarray, frame_ms: int = 400, scale: float = 1.0) -> go.Figure:
    """The heads-and-memory view as Plotly frames, one per step, with Play / Pause and a slider.
    Starts paused at step 0; the frames replace the memory panel and move the cursors and boxes."""
    data, layout, cols = _heads_panels(trace, 0, rows, "Memory after the step")
    layout.update(shapes=_step_shapes(trace, 0, rows, cols), updatemenus=[_play_buttons(frame_ms)],
                  sliders=[_frame_slider(trace.steps)], margin=dict(l=60, r=90, t=round(75 * scale), b=150))
    frames = [dict(name=str(t), data=[dict(type="heatmap", z=trace.memory[t][rows].astype(np.float32))],
                   traces=[cols - 1], layout=dict(shapes=_step_shapes(trace, t, rows, cols)))
              for t in range(trace.steps)]
    return _figure(data, layout, "The whole run, step by step (press Play)", 560, scale, frames)


def _play_buttons(frame_ms: int) -> dict:
    play = dict(frame=dict(duration=frame_ms, redraw=True), fromcurrent=True, transition=dict(duration=0))
    pause = dict(frame=dict(duration=0, redraw=False), mode="immediate", transition=dict(duration=0))
    return dict(type="buttons", direction="left", x=0.0, y=-0.22, xanchor="left", yanchor="top", showactive=False,
                buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                         dict(label="❚❚ Pause", method="animate", args=[[None], pause])])


def _frame_slider(steps: int) -> dict:
    go_to = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    return dict(active=0, x=0.25, y=-0.16, len=0.75, xanchor="left", yanchor="top",
                currentvalue=dict(prefix="step "),
                steps=[dict(label=str(t), method="animate", args=[[str(t)], go_to]) for t in range(steps)])


def standalone_html(fig: go.Figure, title: str = "NTM Explorer animation") -> str:
    """One HTML file that plays offline: plotly.js embedded, starts paused."""
    html = fig.to_html(include_plotlyjs=True, full_html=True, auto_play=False)
    return html.replace("<head>", f"<head><meta charset=\"utf-8\"><title>{title}</title>", 1)
