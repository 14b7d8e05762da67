"""Facts about one traced run that several views share. Pure NumPy, no Streamlit or Plotly.

Notation: T steps, H heads, N memory rows, M row width.
"""
from __future__ import annotations

import numpy as np

from model.tasks import COPY_BITS, RECALL_BITS, Example
from model.trace import Trace

IN_USE = 0.05  # a row is "in use" once some head puts at least this weight on it
WRITTEN = 0.1  # a row counts as just written (or read) when a head's weight on it is at least this


def rows_in_use(weights: np.ndarray, threshold: float = IN_USE, pad: int = 1) -> np.ndarray:
    """Rows any head visits in weights [T,H,N], as one circular span in display order.

    Memory is circular (shifts wrap around), so the span starts just after the longest
    run of unused rows: writes that go 0, 127, 126, ... show as one block. Returns all
    rows in order when nothing, or almost everything, is in use.
    """
    n = weights.shape[-1]
    used = weights.reshape(-1, n).max(axis=0) >= threshold
    used = np.any([np.roll(used, k) for k in range(-pad, pad + 1)], axis=0)
    if not used.any() or used.sum() > 0.75 * n:
        return np.arange(n)
    start, length = _longest_gap(~used)
    first = (start + length) % n
    return (first + np.arange(n - length)) % n


def _longest_gap(free: np.ndarray) -> tuple[int, int]:
    """(start, length) of the longest circular run of True in free."""
    n = len(free)
    best, run, run_start = (0, 0), 0, 0
    for i in range(2 * n):
        if free[i % n]:
            run_start = i if run == 0 else run_start
            run += 1
            if run > best[1]:
                best = (run_start % n, min(run, n))
        else:
            run = 0
    return best


def display_rows(trace: Trace, zoom: bool) -> np.ndarray:
    """The memory rows the views show, top to bottom."""
    return rows_in_use(trace.weights) if zoom else np.arange(trace.weights.shape[-1])


def wrong_bits(example: Example, outputs: np.ndarray) -> np.ndarray:
    """bool [T,D_out]: scored bits where the thresholded output differs from the target."""
    differs = (np.asarray(outputs) >= 0.5) != (example.targets >= 0.5)
    return differs & example.mask[:, None]


def previous_weights(trace: Trace, t: int, head: int) -> np.ndarray:
    """w_{t-1} [N] of one head, as the trace recorded it."""
    return trace.weights_before(t)[head]


def focus(w: np.ndarray) -> tuple[int, float]:
    """The row with the most weight and that weight."""
    row = int(np.argmax(w))
    return row, float(w[row])


def rows_hit(w: np.ndarray, threshold: float = WRITTEN) -> np.ndarray:
    """Rows where a weighting [N] is at least threshold."""
    return np.flatnonzero(w >= threshold)


def memory_scale(trace: Trace) -> float:
    """Half-width of the diverging colour range: the largest |value| anywhere in the run."""
    peak = max(float(np.abs(trace.memory).max()), float(np.abs(trace.initial_memory).max()))
    return max(peak, 1e-6)


def head_names(trace: Trace) -> list[str]:
    """'write head', 'read head' (numbered when a kind has more than one)."""
    names = []
    for i, kind in enumerate(trace.head_kinds):
        same = trace.heads_of(kind)
        names.append(f"{kind} head" + (f" {same.index(i) + 1}" if len(same) > 1 else ""))
    return names


def head_order(trace: Trace) -> list[int]:
    """Heads in the order the views show them: write heads first (they act first in time)."""
    return trace.heads_of("write") + trace.heads_of("read")


def marker_step(task: str, example: Example) -> int:
    """The step that ends the presented input: the end marker (copy tasks) or the last query delimiter."""
    channel = RECALL_BITS + 1 if task == "associative_recall" else COPY_BITS
    hits = np.flatnonzero(example.inputs[:, channel] > 0.5)
    return int(hits[-1]) if len(hits) else 0


def first_scored(example: Example) -> int:
    return int(np.argmax(example.mask))


def key_steps(task: str, example: Example) -> list[tuple[str, int]]:
    """Landmarks to jump to: (label, step)."""
    last = len(example.mask) - 1
    if task == "associative_recall":
        query = int(np.flatnonzero(example.inputs[:, RECALL_BITS + 1] > 0.5)[0])
        return [("First item", 0), ("Query", query), ("Answer", first_scored(example)), ("Last step", last)]
    return [("First write", 0), ("End marker", marker_step(task, example)),
            ("First read-back", first_scored(example)), ("Last step", last)]
