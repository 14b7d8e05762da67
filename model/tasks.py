"""The tasks of Graves et al. 2014 §4 with their standard encodings, and user input.

Notation: T steps, L sequence length, D_in / D_out input / output widths.

- copy: 8-bit vectors; input width 9 (8 data + end marker). L data steps, one
  marker step, then L blank steps; the answer is scored on the last L steps.
- repeat copy: input width 10 (8 data + marker + repeat count / 10 on the marker
  step); the answer is the sequence repeated that many times, then an end flag
  (output width 9).
- associative recall: items of 3 six-bit vectors, each after a delimiter step
  (channel 6); then the query item between two query delimiters (channel 7);
  the answer is the item that followed the query (3 steps, output width 6).

Random examples come from a private, seeded generator; user input (text, a bit
grid, a seed) is validated here, and every rejection is one `TaskInputError`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch


class TaskInputError(ValueError):
    """Input a task cannot encode; the message says what is wrong in plain words."""


@dataclass(frozen=True)
class Example:
    inputs: np.ndarray  # [T,D_in] float32
    targets: np.ndarray  # [T,D_out] float32 (zeros where nothing is scored)
    mask: np.ndarray  # [T] bool: the steps whose outputs are scored


@dataclass(frozen=True)
class Batch:
    inputs: torch.Tensor  # [B,T,D_in]
    targets: torch.Tensor  # [B,T,D_out]
    mask: torch.Tensor  # [T] bool


COPY_BITS = 8
RECALL_BITS = 6
ITEM_STEPS = 3
MAX_REPEATS_NORM = 10.0  # the repeat count is divided by this on its channel
MEMORY_ROWS = 128  # the shipped models' memory: caps on user input follow from it
MAX_COPY_LENGTH = 120  # the longest copy the memory holds, with a few rows to spare
MAX_REPEAT_TOTAL = MEMORY_ROWS  # length x repeats
MAX_RECALL_ITEMS = 24  # 24 items x 4 steps fill most of the memory


# ---------------------------------------------------------------- encodings

def copy_example(seq: np.ndarray) -> Example:
    """seq [L,8] of 0/1 -> the copy task's inputs [2L+1,9], targets [2L+1,8], mask."""
    seq = np.asarray(seq, dtype=np.float32)
    length = seq.shape[0]
    inputs = np.zeros((2 * length + 1, COPY_BITS + 1), np.float32)
    inputs[:length, :COPY_BITS] = seq
    inputs[length, COPY_BITS] = 1.0
    targets = np.zeros((2 * length + 1, COPY_BITS), np.float32)
    targets[length + 1 :] = seq
    mask = np.arange(2 * length + 1) > length
    return Example(inputs, targets, mask)


def repeat_copy_example(seq: np.ndarray, repeats: int) -> Example:
    """seq [L,8], repeats -> inputs [L+1+L*repeats+1, 10], targets [.., 9], mask."""
    seq = np.asarray(seq, dtype=np.float32)
    length = seq.shape[0]
    answer = length * repeats + 1
    steps = length + 1 + answer
    inputs = np.zeros((steps, COPY_BITS + 2), np.float32)
    inputs[:length, :COPY_BITS] = seq
    inputs[length, COPY_BITS] = 1.0
    inputs[length, COPY_BITS + 1] = repeats / MAX_REPEATS_NORM
    targets = np.zeros((steps, COPY_BITS + 1), np.float32)
    targets[length + 1 : steps - 1, :COPY_BITS] = np.tile(seq, (repeats, 1))
    targets[steps - 1, COPY_BITS] = 1.0
    mask = np.arange(steps) > length
    return Example(inputs, targets, mask)


def recall_example(items: np.ndarray, query: int) -> Example:
    """items [n,3,6] of 0/1, query index < n-1 -> inputs [4n+8, 8], targets [.., 6], mask."""
    items = np.asarray(items, dtype=np.float32)
    n = items.shape[0]
    if not 0 <= query < n - 1:
        raise TaskInputError(f"the query must be one of items 1 to {n - 1} (an item that has a next one)")
    block = ITEM_STEPS + 1
    steps = n * block + block + 1 + ITEM_STEPS
    inputs = np.zeros((steps, RECALL_BITS + 2), np.float32)
    for i, item in enumerate(items):
        inputs[i * block, RECALL_BITS] = 1.0
        inputs[i * block + 1 : (i + 1) * block, :RECALL_BITS] = item
    q = n * block
    inputs[q, RECALL_BITS + 1] = 1.0
    inputs[q + 1 : q + block, :RECALL_BITS] = items[query]
    inputs[q + block, RECALL_BITS + 1] = 1.0
    targets = np.zeros((steps, RECALL_BITS), np.float32)
    targets[-ITEM_STEPS:] = items[query + 1]
    mask = np.arange(steps) >= steps - ITEM_STEPS
    return Example(inputs, targets, mask)


# ---------------------------------------------------------------- seeded random examples

def random_bits(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.integers(0, 2, size=shape).astype(np.float32)


def random_copy(seed: int, length: int) -> Example:
    return copy_example(random_bits(np.random.default_rng(seed), (length, COPY_BITS)))


def random_repeat_copy(seed: int, length: int, repeats: int) -> Example:
    return repeat_copy_example(random_bits(np.random.default_rng(seed), (length, COPY_BITS)), repeats)


def random_recall(seed: int, items: int) -> Example:
    if items < 2:
        raise TaskInputError("associative recall needs at least 2 items: a query and the item after it")
    rng = np.random.default_rng(seed)
    query = int(rng.integers(0, items - 1))
    return recall_example(random_bits(rng, (items, ITEM_STEPS, RECALL_BITS)), query)


def stack(examples: list[Example]) -> Batch:
    """Stack examples of equal shape into a training batch."""
    return Batch(
        inputs=torch.from_numpy(np.stack([e.inputs for e in examples])),
        targets=torch.from_numpy(np.stack([e.targets for e in examples])),
        mask=torch.from_numpy(examples[0].mask),
    )


def sample_batch(task: str, rng: np.random.Generator, batch: int, size: int, repeats: int = 1,
                 blank_share: float = 0.0) -> Batch:
    """A batch of one task at one size (length, or items for recall), vectorised.

    `blank_share` (copy and repeat copy; for training): the share of input vectors made
    all-zero. A blank vector looks exactly like the silent steps after the delimiter, and
    at random it comes once in 256 vectors, so a model rarely trained on one may take it
    for the end of the input. Evaluation keeps the plain distribution (share 0).
    """
    if task in ("copy", "repeat_copy"):
        bits = with_blanks(rng, random_bits(rng, (batch, size, COPY_BITS)), blank_share)
        if task == "copy":
            return copy_batch(bits)
        return stack([repeat_copy_example(s, repeats) for s in bits])
    if task == "associative_recall":
        items = random_bits(rng, (batch, size, ITEM_STEPS, RECALL_BITS))
        queries = rng.integers(0, size - 1, size=batch)
        return stack([recall_example(it, int(q)) for it, q in zip(items, queries)])
    raise ValueError(f"unknown task {task!r}")


def every_sequence(length: int) -> np.ndarray:
    """All 256**length copy sequences of `length` bytes, [256**length, length, 8], in counting order."""
    codes = ((np.arange(256)[:, None] >> np.arange(COPY_BITS - 1, -1, -1)) & 1).astype(np.float32)
    index = np.stack(np.meshgrid(*[np.arange(256)] * length, indexing="ij"), -1).reshape(-1, length)
    return codes[index]


def copy_batch(seqs: np.ndarray) -> Batch:
    """The copy task's batch for sequences [B,L,8] of one length."""
    return stack([copy_example(s) for s in seqs])


def with_blanks(rng: np.random.Generator, bits: np.ndarray, share: float) -> np.ndarray:
    """Zero a random `share` of the vectors of bits [B,L,W], in place; draws nothing when share is 0."""
    if share > 0:
        bits[rng.random(bits.shape[:2]) < share] = 0
    return bits


# ---------------------------------------------------------------- user input

def encode_text(text: str, max_length: int = MAX_COPY_LENGTH) -> np.ndarray:
    """Text -> bits [L,8], each character as its 8-bit code (most significant bit first).

    Printable ASCII (space to ~) is accepted; anything else raises TaskInputError.
    """
    if not isinstance(text, str) or text == "":
        raise TaskInputError("the input is empty: type at least one character")
    for pos, ch in enumerate(text, start=1):
        if not " " <= ch <= "~":
            shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
            raise TaskInputError(
                f"character {pos} ({shown}) cannot be encoded: use plain ASCII letters, digits, "
                "punctuation and spaces (codes 32 to 126)"
            )
    if len(text) > max_length:
        raise TaskInputError(
            f"the text has {len(text)} characters; the memory holds at most {max_length}"
        )
    codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.unpackbits(codes[:, None], axis=1).astype(np.float32)


def decode_text(bits: np.ndarray, unknown: str = "·") -> str:
    """Bits [L,8] (or probabilities, thresholded at 0.5) -> text; unprintable codes show as `unknown`."""
    codes = np.packbits((np.asarray(bits) >= 0.5).astype(np.uint8), axis=1)[:, 0]
    return "".join(chr(c) if 32 <= c <= 126 else unknown for c in codes)


def parse_bits(grid: str, width: int, max_rows: int = MAX_COPY_LENGTH) -> np.ndarray:
    """A bit grid written as rows of 0/1 (one row per line) -> bits [L,width].

    Spaces inside a row are ignored; blank lines are skipped.
    """
    if not isinstance(grid, str):
        raise TaskInputError("the bit grid must be text: rows of 0 and 1, one per line")
    rows = [line.replace(" ", "").replace("\t", "") for line in grid.splitlines()]
    rows = [r for r in rows if r]
    if not rows:
        raise TaskInputError(f"the bit grid is empty: write at least one row of {width} bits (0 or 1)")
    if len(rows) > max_rows:
        raise TaskInputError(f"the grid has {len(rows)} rows; the memory holds at most {max_rows}")
    for i, row in enumerate(rows, start=1):
        bad = next((j for j, ch in enumerate(row, start=1) if ch not in "01"), None)
        if bad is not None:
            raise TaskInputError(f"row {i}, position {bad}: {row[bad - 1]!r} is not a bit; use only 0 and 1")
        if len(row) != width:
            raise TaskInputError(f"row {i} has {len(row)} bits; every row needs exactly {width}")
    return np.array([[float(ch) for ch in row] for row in rows], dtype=np.float32)


def format_bits(bits: np.ndarray) -> str:
    """Bits [L,width] -> the grid text that parse_bits reads back."""
    return "\n".join("".join("1" if b >= 0.5 else "0" for b in row) for row in np.asarray(bits))


def _whole(value) -> int:
    """Plain ASCII digits (an optional minus sign) as an int, else ValueError."""
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]{1,12}", text):
        raise ValueError(text)
    return int(text)


def check_seed(seed) -> int:
    """A seed must be a whole number from 0 to 2**32 - 1."""
    try:
        value = _whole(seed)
    except ValueError:
        raise TaskInputError(f"the seed {seed!r} is not a whole number; use one from 0 to 4294967295") from None
    if not 0 <= value < 2**32:
        raise TaskInputError(f"the seed {value} is out of range; use one from 0 to 4294967295")
    return value


def check_range(name: str, value, low: int, high: int) -> int:
    """A whole number within [low, high], or TaskInputError naming the limits."""
    try:
        number = _whole(value)
    except ValueError:
        raise TaskInputError(f"the {name} {value!r} is not a whole number; use one from {low} to {high}") from None
    if not low <= number <= high:
        raise TaskInputError(f"the {name} must be from {low} to {high}, not {number}")
    return number
