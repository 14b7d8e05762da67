"""Plain words for what a run does at step t: the step sentence and the charts' alt text.

Pure: takes a Trace, an Example and a TaskSpec; no Streamlit, no Plotly.
"""
from __future__ import annotations

import numpy as np

from app import analysis
from app.inputs import TaskSpec, answer_text
from model.tasks import COPY_BITS, ITEM_STEPS, Example
from model.trace import Trace


def bits_text(bits: np.ndarray) -> str:
    return "".join("1" if b >= 0.5 else "0" for b in bits)


def quoted_char(spec: TaskSpec, bits: np.ndarray) -> str:
    """' “H” (01001000)' for text tasks, ' (01001000)' otherwise."""
    ch = answer_text(spec, bits[None, :COPY_BITS]) if spec.reads_text else None
    return (f" “{ch}”" if ch else "") + f" ({bits_text(bits[:COPY_BITS] if spec.reads_text else bits)})"


# ---------------------------------------------------------------- what the task is doing at t

def phase(spec: TaskSpec, example: Example, t: int) -> str:
    if spec.name == "associative_recall":
        return _recall_phase(example, t)
    marker = analysis.marker_step(spec.name, example)
    last = len(example.mask) - 1
    if t < marker:
        return f"presenting vector {t + 1} of {marker}:" + quoted_char(spec, example.inputs[t])
    if t == marker:
        return "the end marker: the input is over, and from the next step the copy must come out"
    if spec.name == "repeat_copy" and t == last:
        return "the last step: the model should raise the end flag"
    k = t - marker - 1
    rep = f", repeat {k // marker + 1}" if spec.name == "repeat_copy" else ""
    return f"recalling vector {k % marker + 1} of {marker}{rep}; the target is" + quoted_char(spec, example.targets[t])


def _recall_phase(example: Example, t: int) -> str:
    query = analysis.key_steps("associative_recall", example)[1][1]
    first = analysis.first_scored(example)
    block = ITEM_STEPS + 1
    if t < query:
        item, pos = divmod(t, block)
        return f"item {item + 1}: " + ("a delimiter" if pos == 0 else f"vector {pos} of {ITEM_STEPS}")
    if t < first:
        return "the query: which item came after this one?"
    return f"answering with vector {t - first + 1} of {ITEM_STEPS} of the item that followed the query"


# ---------------------------------------------------------------- what each head does at t

def head_sentence(trace: Trace, t: int, head: int, name: str) -> str:
    row, value = analysis.focus(trace.weights[t, head])
    where = f"The {name} focuses on row {row} ({value:.2f})" if value >= 0.5 else \
        f"The {name} is spread out; its strongest row is {row} ({value:.2f})"
    return f"{where}, {_how(trace, t, head, row)}{_action(trace, t, head, row)}."


def _how(trace: Trace, t: int, head: int, row: int) -> str:
    src, _ = analysis.focus(trace.gated[t, head])
    g, beta = float(trace.gate[t, head]), float(trace.beta[t, head])
    radius = (trace.shift.shape[-1] - 1) // 2
    offset = int(np.argmax(trace.shift[t, head])) - radius
    shift = f"{offset:+d}" if offset else "0"
    if g >= 0.5 and trace.content[t, head].max() >= 0.5:
        found = f"found by content at row {src} (gate g = {g:.2f}, key strength β = {beta:.1f})"
        return found + (f", then shifted by {shift}" if row != src else "")
    why = "by location, not content" if g < 0.5 else f"the content match is spread out, β = {beta:.1f}"
    if row == src:
        return f"staying where it was (shift {shift}; gate g = {g:.2f}: {why})"
    return f"moved there by a shift of {shift} from row {src} (gate g = {g:.2f}: {why})"


def _action(trace: Trace, t: int, head: int, row: int) -> str:
    kind = trace.head_kinds[head]
    if kind == "read":
        return "; what it reads goes to the controller and the output"
    w = trace.heads_of("write").index(head)
    erase, add = trace.erase[t, w], trace.add[t, w]
    return (f"; it erases {erase.mean():.0%} of that row's old contents "
            f"and adds a new pattern (average |a| = {np.abs(add).mean():.2f})")


def output_sentence(spec: TaskSpec, example: Example, outputs: np.ndarray, t: int) -> str:
    if not example.mask[t]:
        return "Nothing is scored at this step."
    wrong = int(analysis.wrong_bits(example, outputs)[t].sum())
    width = example.targets.shape[1]
    got = quoted_char(spec, outputs[t])
    verdict = f"all {width} bits right" if wrong == 0 else f"{wrong} of {width} bits wrong"
    return f"The output is{got}: {verdict}."


def step_sentence(spec: TaskSpec, example: Example, trace: Trace, t: int) -> str:
    """One plain-words paragraph: the step, what each head does, and the output."""
    names = analysis.head_names(trace)
    heads = " ".join(head_sentence(trace, t, h, names[h]) for h in analysis.head_order(trace))
    intro = f"Step {t} of {trace.steps - 1}: {phase(spec, example, t)}."
    return f"{intro} {heads} {output_sentence(spec, example, trace.outputs, t)}"


# ---------------------------------------------------------------- alt text for the charts

def rows_phrase(rows: np.ndarray, total: int) -> str:
    if len(rows) == total:
        return f"all {total} rows"
    return f"rows {rows[0]} to {rows[-1]} ({len(rows)} of {total})"


def alt_io(spec: TaskSpec, example: Example, trace: Trace, t: int) -> str:
    wrong = int(analysis.wrong_bits(example, trace.outputs).sum())
    return (f"Heatmaps of the {spec.label.lower()} task's input, target and output bits over "
            f"{trace.steps} steps, cursor at step {t}; {wrong} scored bits are wrong.")


def alt_heads(trace: Trace, t: int, rows: np.ndarray) -> str:
    names = analysis.head_names(trace)
    at = "; ".join(f"{names[h]} on row {analysis.focus(trace.weights[t, h])[0]}"
                   f" ({analysis.focus(trace.weights[t, h])[1]:.2f})" for h in analysis.head_order(trace))
    mem = trace.memory[t]
    written = [int(r) for h in trace.heads_of("write") for r in analysis.rows_hit(trace.weights[t, h])]
    span = rows_phrase(rows, mem.shape[0])
    return (f"Heatmaps of where each head looks, memory row by step, {span}, with a cursor at step {t}: {at}; "
            f"beside them the memory after step {t}, {mem.shape[1]} columns, values from {mem.min():.2f} to "
            f"{mem.max():.2f}; rows just written: {written or 'none'}.")


def alt_pipeline(trace: Trace, t: int, head: int, name: str) -> str:
    row, value = analysis.focus(trace.weights[t, head])
    return (f"Bar charts of the {name}'s addressing at step {t}: content, gated, shift and sharpened "
            f"weightings; it ends on row {row} ({value:.2f}).")


def alt_vectors(trace: Trace, t: int) -> str:
    return (f"Heatmaps of the vectors at step {t}: the written row before and after the write, "
            "the erase and add vectors, and the read vector.")


def alt_animation(trace: Trace) -> str:
    return (f"Animation of all {trace.steps} steps: where the write and read heads look and the memory "
            "after each step; it starts paused at step 0, press Play.")
