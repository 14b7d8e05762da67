"""What the user asks for, turned into a task example through model.tasks. No Streamlit here.

A `Request` is the shareable description of one run (task, how the input was entered,
the text / grid / seed / size); `build_example` encodes it or raises `TaskInputError`
with the task's own message.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from model import tasks
from model.tasks import Example, TaskInputError

MODES = ("text", "grid", "random")
MODE_LABELS = {"text": "Text", "grid": "Bit grid", "random": "Random"}  # the labels are what the URL shows


@dataclass(frozen=True)
class TaskSpec:
    """How the app offers one task: its pretrained model and its input forms."""

    name: str
    label: str
    model: str  # checkpoint name in assets/
    bits: int  # width of one row of the bit grid
    modes: tuple[str, ...]
    trained: str  # what the model saw in training, in words
    trained_max: int  # the longest sequence (or most items) seen in training
    size_name: str  # "length" or "items"
    size_max: int
    reads_text: bool  # whether inputs and outputs read as characters


SPECS = {
    "copy": TaskSpec("copy", "Copy", "copy", tasks.COPY_BITS, MODES,
                     "sequences of 1 to 20 random 8-bit vectors", 20, "length", tasks.MAX_COPY_LENGTH, True),
    "repeat_copy": TaskSpec("repeat_copy", "Repeat copy", "repeat_copy", tasks.COPY_BITS, MODES,
                            "sequences of 1 to 10 vectors, repeated 1 to 10 times", 10, "length", 40, True),
    "associative_recall": TaskSpec("associative_recall", "Associative recall", "associative_recall",
                                   tasks.RECALL_BITS, ("grid", "random"),
                                   "2 to 6 items of three 6-bit vectors", 6, "items", tasks.MAX_RECALL_ITEMS, False),
}


@dataclass(frozen=True)
class Request:
    """Everything that defines one run; every field is shareable in the URL."""

    task: str = "copy"
    mode: str = "text"
    text: str = "HELLO"
    grid: str = ""
    seed: str = "7"
    size: int = 8  # sequence length (copy tasks) or number of items (recall)
    repeats: int = 2  # repeat copy only
    query: int = 1  # associative recall with a bit grid: which item (1-based) to ask about


DEFAULT = Request()


def default_request(task: str) -> Request:
    """What a task shows first: HELLO for the copy tasks, a small random example for recall."""
    return Request(task=task) if task != "associative_recall" else Request(task=task, mode="random", size=3)


@dataclass(frozen=True)
class Preset:
    label: str
    request: Request
    note: str


def presets(spec: TaskSpec) -> list[Preset]:
    """Ready-made inputs, including one longer than anything seen in training."""
    if spec.name == "associative_recall":
        return [Preset("3 items (seed 7)", Request(spec.name, "random", size=3), "short"),
                Preset("6 items (seed 1)", Request(spec.name, "random", seed="1", size=6), "as long as in training"),
                Preset("12 items (seed 2)", Request(spec.name, "random", seed="2", size=12), "twice as many as in training")]
    base = Request(spec.name, "text")
    long_text = LONG_SENTENCE if spec.name == "copy" else "LONGER THAN TRAINING"
    return [
        Preset("HELLO", replace(base, text="HELLO"), "a short word"),
        Preset(f"{spec.trained_max} characters", replace(base, text=TRAINED_MAX_TEXT[: spec.trained_max]),
               "as long as the longest in training"),
        Preset(f"{len(long_text)} characters", replace(base, text=long_text),
               f"{len(long_text) / spec.trained_max:.0f}x longer than anything seen in training"),
        Preset("Random bits (seed 7)", replace(base, mode="random", seed="7", size=10), "random 8-bit vectors"),
    ]


LONG_SENTENCE = "A neural Turing machine keeps each letter at its own address"  # 60 characters
TRAINED_MAX_TEXT = "ATTENTION IS ADDRESS"  # 20 characters


# ---------------------------------------------------------------- encoding

def build_example(req: Request) -> Example:
    """The task example a request describes; TaskInputError with the task's message if it cannot be built."""
    spec = SPECS.get(req.task)
    if spec is None:
        raise TaskInputError(f"there is no task called {req.task!r}; choose one of {', '.join(SPECS)}")
    if req.mode not in spec.modes:
        raise TaskInputError(f"the {spec.label} task cannot take input as {req.mode!r}; use one of {', '.join(spec.modes)}")
    if spec.name == "associative_recall":
        return _recall_example(req, spec)
    seq = sequence_bits(req, spec)
    if spec.name == "repeat_copy":
        repeats = tasks.check_range("number of repeats", req.repeats, 1, 10)
        if len(seq) * repeats > tasks.MAX_REPEAT_TOTAL:
            raise TaskInputError(f"{len(seq)} vectors repeated {repeats} times make {len(seq) * repeats} steps; "
                                 f"the memory holds at most {tasks.MAX_REPEAT_TOTAL}")
        return tasks.repeat_copy_example(seq, repeats)
    return tasks.copy_example(seq)


def sequence_bits(req: Request, spec: TaskSpec) -> np.ndarray:
    """The sequence [L, bits] of a copy-style request."""
    if req.mode == "text":
        return tasks.encode_text(req.text, max_length=spec.size_max)
    if req.mode == "grid":
        return tasks.parse_bits(req.grid, spec.bits, max_rows=spec.size_max)
    seed = tasks.check_seed(req.seed)
    length = tasks.check_range(spec.size_name, req.size, 1, spec.size_max)
    return tasks.random_bits(np.random.default_rng(seed), (length, spec.bits))


def _recall_example(req: Request, spec: TaskSpec) -> Example:
    if req.mode == "random":
        items = tasks.check_range("number of items", req.size, 2, spec.size_max)
        return tasks.random_recall(tasks.check_seed(req.seed), items)
    rows = tasks.parse_bits(req.grid, spec.bits, max_rows=spec.size_max * tasks.ITEM_STEPS)
    if len(rows) % tasks.ITEM_STEPS or len(rows) < 2 * tasks.ITEM_STEPS:
        raise TaskInputError(f"the grid has {len(rows)} rows; items are {tasks.ITEM_STEPS} rows each, "
                             "so write a multiple of 3 rows, at least 6 (two items)")
    items = rows.reshape(-1, tasks.ITEM_STEPS, spec.bits)
    query = tasks.check_range("query item", req.query, 1, len(items) - 1)
    return tasks.recall_example(items, query - 1)


def try_build(req: Request) -> tuple[Example | None, str | None]:
    """(example, None) for good input, (None, message) for bad."""
    try:
        return build_example(req), None
    except TaskInputError as err:
        return None, str(err)


def as_grid(req: Request) -> str | None:
    """The request's sequence written as a bit grid (to prefill the grid box), or None."""
    spec = SPECS.get(req.task)
    if spec is None or spec.name == "associative_recall" or req.mode == "grid":
        return req.grid if req.mode == "grid" else None
    try:
        return tasks.format_bits(sequence_bits(req, spec))
    except TaskInputError:
        return None


def as_text(req: Request) -> str | None:
    """The request's sequence as text when every vector is a printable character, or None."""
    spec = SPECS.get(req.task)
    if spec is None or not spec.reads_text or req.mode == "text":
        return req.text if req.mode == "text" else None
    try:
        bits = sequence_bits(req, spec)
    except TaskInputError:
        return None
    text = tasks.decode_text(bits, unknown="\0")
    return None if "\0" in text else text


def answer_text(spec: TaskSpec, bits: np.ndarray) -> str | None:
    """Answer bits [L, >=8] as characters for text tasks (unprintable codes as ·), else None."""
    if not spec.reads_text or len(bits) == 0:
        return None
    return tasks.decode_text(np.asarray(bits)[:, : tasks.COPY_BITS])
