"""model/tasks.py: encodings built by hand, user-input validation, seeded examples.

Notation: T steps, L sequence length. Every expected array below is written out
step by step from the module docstring, not computed with the module's helpers.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import tasks
from model.tasks import TaskInputError

SETTINGS = settings(deadline=None, max_examples=150)
PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126)


def bits(seed: int, shape) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, size=shape).astype(np.float32)


# ---------------------------------------------------------------- copy

@pytest.mark.parametrize("length", [1, 3, 20])
def test_copy_encoding(length):
    seq = bits(length, (length, 8))
    ex = tasks.copy_example(seq)
    steps = 2 * length + 1
    want_in = np.zeros((steps, 9), np.float32)
    want_out = np.zeros((steps, 8), np.float32)
    for t in range(length):  # data steps: 8 bits, marker channel off
        for k in range(8):
            want_in[t, k] = seq[t, k]
    want_in[length, 8] = 1.0  # the end marker, alone on its step
    for t in range(length):  # answer on the last L steps, inputs blank there
        want_out[length + 1 + t] = seq[t]
    want_mask = np.array([t >= length + 1 for t in range(steps)])
    assert ex.inputs.dtype == np.float32 and ex.targets.dtype == np.float32 and ex.mask.dtype == bool
    assert np.array_equal(ex.inputs, want_in)
    assert np.array_equal(ex.targets, want_out)
    assert np.array_equal(ex.mask, want_mask)
    assert ex.mask.sum() == length
    assert np.array_equal(ex.targets[ex.mask], seq)


# ---------------------------------------------------------------- repeat copy

@pytest.mark.parametrize("length,repeats", [(1, 1), (2, 3), (5, 10)])
def test_repeat_copy_encoding(length, repeats):
    seq = bits(length + repeats, (length, 8))
    ex = tasks.repeat_copy_example(seq, repeats)
    steps = length + 1 + length * repeats + 1
    want_in = np.zeros((steps, 10), np.float32)
    want_out = np.zeros((steps, 9), np.float32)
    want_in[:length, :8] = seq
    want_in[length, 8] = 1.0  # marker
    want_in[length, 9] = np.float32(repeats / 10)  # the repeat count, normalised, on the marker step
    t = length + 1
    for _ in range(repeats):
        for row in seq:
            want_out[t, :8] = row
            t += 1
    want_out[t, 8] = 1.0  # the end flag after the last repeat, on the last step
    assert t == steps - 1
    assert np.array_equal(ex.inputs, want_in)
    assert np.array_equal(ex.targets, want_out)
    assert np.array_equal(ex.mask, np.arange(steps) >= length + 1)
    assert ex.inputs[:, 9].sum() == pytest.approx(repeats / 10)  # the count channel is used only once


# ---------------------------------------------------------------- associative recall

@pytest.mark.parametrize("n,query", [(2, 0), (3, 1), (6, 4), (6, 0)])
def test_recall_encoding(n, query):
    items = bits(n * 10 + query, (n, 3, 6))
    ex = tasks.recall_example(items, query)
    rows = []
    for item in items:  # each item: a delimiter step (channel 6), then its 3 six-bit steps
        rows.append([0] * 6 + [1, 0])
        rows.extend(list(step) + [0, 0] for step in item)
    rows.append([0] * 6 + [0, 1])  # query delimiter (channel 7)
    rows.extend(list(step) + [0, 0] for step in items[query])
    rows.append([0] * 6 + [0, 1])  # closing query delimiter
    rows.extend([[0] * 8] * 3)  # blank steps on which the answer is read
    want_in = np.array(rows, np.float32)
    steps = 4 * n + 8
    assert want_in.shape == (steps, 8)
    want_out = np.zeros((steps, 6), np.float32)
    want_out[steps - 3 :] = items[query + 1]
    assert np.array_equal(ex.inputs, want_in)
    assert np.array_equal(ex.targets, want_out)
    assert np.array_equal(ex.mask, np.arange(steps) >= steps - 3)


@pytest.mark.parametrize("query", [-1, 2, 3])
def test_recall_rejects_a_query_without_a_next_item(query):
    with pytest.raises(TaskInputError, match="query"):
        tasks.recall_example(bits(0, (3, 3, 6)), query)


# ---------------------------------------------------------------- batches and seeded examples

@pytest.mark.parametrize("task,size,reps,d_in,d_out,steps", [
    ("copy", 4, 1, 9, 8, 9), ("repeat_copy", 3, 2, 10, 9, 11), ("associative_recall", 3, 1, 8, 6, 20)])
def test_sample_batch_shapes(task, size, reps, d_in, d_out, steps):
    batch = tasks.sample_batch(task, np.random.default_rng(0), 5, size, reps)
    assert batch.inputs.shape == (5, steps, d_in)
    assert batch.targets.shape == (5, steps, d_out)
    assert batch.mask.shape == (steps,)
    assert not np.array_equal(batch.inputs[0].numpy(), batch.inputs[1].numpy())  # items differ


def test_sample_batch_items_are_the_single_encodings():
    batch = tasks.sample_batch("copy", np.random.default_rng(3), 4, 6)
    for b in range(4):
        seq = batch.inputs[b, :6, :8].numpy()
        ex = tasks.copy_example(seq)
        assert np.array_equal(batch.inputs[b].numpy(), ex.inputs)
        assert np.array_equal(batch.targets[b].numpy(), ex.targets)


@pytest.mark.parametrize("task,reps", [("copy", 1), ("repeat_copy", 3)])
def test_blank_share_zeroes_whole_vectors_in_inputs_and_targets_alike(task, reps):
    batch = tasks.sample_batch(task, np.random.default_rng(4), 200, 10, reps, blank_share=0.3)
    for b in range(200):
        seq = batch.inputs[b, :10, :8].numpy()
        ex = tasks.copy_example(seq) if task == "copy" else tasks.repeat_copy_example(seq, reps)
        assert np.array_equal(batch.targets[b].numpy(), ex.targets)  # the target copies the blanks too
    share = (batch.inputs[:, :10, :8].sum(-1) == 0).float().mean().item()
    assert 0.25 < share < 0.35  # 0.3 asked, plus 1/256 blank by chance


def test_every_sequence_lists_each_byte_string_once_in_counting_order():
    one, two = tasks.every_sequence(1), tasks.every_sequence(2)
    assert one.shape == (256, 1, 8) and two.shape == (65536, 2, 8)
    assert len({r.tobytes() for r in two}) == 65536
    assert tasks.decode_text(one[65]) == "A" and tasks.decode_text(two[65 * 256 + 66]) == "AB"


def test_blank_share_zero_draws_nothing_extra():
    """Share 0 leaves the generator where it was: evaluation and validation sets stay as they were."""
    plain, shared = np.random.default_rng(8), np.random.default_rng(8)
    a = tasks.sample_batch("copy", plain, 3, 5)
    b = tasks.sample_batch("copy", shared, 3, 5, blank_share=0.0)
    assert np.array_equal(a.inputs.numpy(), b.inputs.numpy())
    assert plain.integers(1 << 30) == shared.integers(1 << 30)


def test_blank_share_one_blanks_every_vector():
    batch = tasks.sample_batch("copy", np.random.default_rng(0), 4, 6, blank_share=1.0)
    assert batch.inputs[:, :6, :8].sum() == 0 and batch.targets.sum() == 0


def test_sample_batch_rejects_an_unknown_task():
    with pytest.raises(ValueError, match="unknown task"):
        tasks.sample_batch("sort", np.random.default_rng(0), 2, 3)


@pytest.mark.parametrize("make", [lambda s: tasks.random_copy(s, 12), lambda s: tasks.random_repeat_copy(s, 4, 3),
                                  lambda s: tasks.random_recall(s, 5)])
def test_seeded_examples_are_reproducible_and_leave_global_state_alone(make):
    np.random.seed(1234)
    before = np.random.get_state()
    a, b, c = make(7), make(7), make(8)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
    for field in ("inputs", "targets", "mask"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.inputs, c.inputs)


def test_random_copy_is_the_copy_of_its_bits():
    ex = tasks.random_copy(42, 5)
    want = np.random.default_rng(42).integers(0, 2, size=(5, 8)).astype(np.float32)
    assert np.array_equal(ex.inputs[:5, :8], want)


# ---------------------------------------------------------------- text

def test_encode_text_known_codes():
    got = tasks.encode_text("A ~")
    assert got.dtype == np.float32
    assert got.tolist() == [[0, 1, 0, 0, 0, 0, 0, 1],  # 'A' = 65, most significant bit first
                            [0, 0, 1, 0, 0, 0, 0, 0],  # ' ' = 32
                            [0, 1, 1, 1, 1, 1, 1, 0]]  # '~' = 126


@SETTINGS
@given(st.text(alphabet=PRINTABLE, min_size=1, max_size=tasks.MAX_COPY_LENGTH))
def test_decode_inverts_encode(text):
    encoded = tasks.encode_text(text)
    assert encoded.shape == (len(text), 8)
    for row, ch in zip(encoded, text):  # independent reference: the binary digits of the code
        assert "".join(str(int(b)) for b in row) == format(ord(ch), "08b")
    assert tasks.decode_text(encoded) == text


def test_decode_thresholds_probabilities_and_marks_unprintable_codes():
    probs = tasks.encode_text("Hi") * 0.4 + 0.55  # ones -> 0.95, zeros -> 0.55: everything >= 0.5
    assert tasks.decode_text(probs) == "··"  # code 255 is not printable
    assert tasks.decode_text(tasks.encode_text("Hi") * 0.8 + 0.1) == "Hi"
    assert tasks.decode_text(np.zeros((2, 8)), unknown="?") == "??"


def _first_bad(text: str):
    return next((i for i, ch in enumerate(text, 1) if not 32 <= ord(ch) <= 126), None)


@SETTINGS
@given(st.text(max_size=tasks.MAX_COPY_LENGTH + 10) | st.text(alphabet=PRINTABLE, max_size=tasks.MAX_COPY_LENGTH + 3))
def test_encode_text_accepts_or_raises_task_input_error(text):
    bad = _first_bad(text)
    try:
        encoded = tasks.encode_text(text)
    except TaskInputError as err:
        message = str(err)
        assert message
        if text == "":
            assert "empty" in message
        elif bad is not None:
            assert f"character {bad} " in message
        else:
            assert len(text) > tasks.MAX_COPY_LENGTH and str(len(text)) in message
        return
    assert text and bad is None and len(text) <= tasks.MAX_COPY_LENGTH
    assert encoded.shape == (len(text), 8)
    assert set(np.unique(encoded)) <= {0.0, 1.0}


@pytest.mark.parametrize("text,needle", [("", "empty"), ("héllo", "character 2"), ("ab\ncd", "character 3"),
                                         ("tab\there", "character 4"), ("a" * 121, "121"), ("😀", "character 1")])
def test_encode_text_rejections(text, needle):
    with pytest.raises(TaskInputError) as info:
        tasks.encode_text(text)
    assert needle in str(info.value)


def test_encode_text_length_cap():
    assert tasks.encode_text("a" * tasks.MAX_COPY_LENGTH).shape == (tasks.MAX_COPY_LENGTH, 8)
    assert tasks.encode_text("abc", max_length=3).shape == (3, 8)
    with pytest.raises(TaskInputError, match="at most 3"):
        tasks.encode_text("abcd", max_length=3)


def test_encode_text_rejects_non_strings():
    with pytest.raises(TaskInputError):
        tasks.encode_text(None)


# ---------------------------------------------------------------- bit grids

@SETTINGS
@given(st.integers(1, 40), st.integers(1, 12), st.integers(0, 2**31))
def test_parse_inverts_format(rows, width, seed):
    b = bits(seed, (rows, width))
    text = tasks.format_bits(b)
    assert text.splitlines() == ["".join(str(int(x)) for x in row) for row in b]
    parsed = tasks.parse_bits(text, width)
    assert parsed.dtype == np.float32
    assert np.array_equal(parsed, b)


def test_parse_bits_ignores_spaces_and_blank_lines():
    got = tasks.parse_bits("1 0 1\n\n  0\t11 \r\n", 3)
    assert got.tolist() == [[1, 0, 1], [0, 1, 1]]


def _expected_parse(grid: str, width: int, max_rows: int):
    """Independent reference: the rows, or the 1-based row number the error must name."""
    rows = [r for r in (line.replace(" ", "").replace("\t", "") for line in grid.splitlines()) if r]
    if not rows or len(rows) > max_rows:
        return "count", None
    for i, row in enumerate(rows, 1):
        if set(row) - {"0", "1"} or len(row) != width:
            return "row", i
    return "ok", rows


GRIDS = st.text(alphabet=st.sampled_from("01 \t\n\r2x."), max_size=60) | st.text(max_size=40)


@SETTINGS
@given(GRIDS, st.integers(1, 5))
def test_parse_bits_accepts_or_raises_task_input_error(grid, width):
    kind, detail = _expected_parse(grid, width, max_rows=6)
    try:
        parsed = tasks.parse_bits(grid, width, max_rows=6)
    except TaskInputError as err:
        message = str(err)
        assert message and kind != "ok"
        if kind == "row":
            assert f"row {detail}" in message
        return
    assert kind == "ok"
    assert parsed.tolist() == [[int(c) for c in row] for row in detail]


@pytest.mark.parametrize("grid,needle", [
    ("", "empty"), (" \n\t\n", "empty"), ("101\n10\n", "row 2 has 2 bits"), ("101\n1011", "row 2 has 4 bits"),
    ("101\n1x1", "row 2, position 2"), ("102", "row 1, position 3"), ("1\n" * 7, "7 rows")])
def test_parse_bits_rejections(grid, needle):
    with pytest.raises(TaskInputError) as info:
        tasks.parse_bits(grid, 3, max_rows=6)
    assert needle in str(info.value)


def test_parse_bits_rejects_non_strings():
    with pytest.raises(TaskInputError):
        tasks.parse_bits(None, 8)


# ---------------------------------------------------------------- seeds and ranges

@pytest.mark.parametrize("seed,want", [(0, 0), ("42", 42), (" 7 ", 7), (2**32 - 1, 2**32 - 1), (np.int64(5), 5)])
def test_check_seed_accepts(seed, want):
    got = tasks.check_seed(seed)
    assert got == want and type(got) is int


@pytest.mark.parametrize("seed", [-1, 2**32, "abc", "", "1.5", 1.5, None, "0x10", "seed"])
def test_check_seed_rejects(seed):
    with pytest.raises(TaskInputError) as info:
        tasks.check_seed(seed)
    assert "seed" in str(info.value) and "4294967295" in str(info.value)


@SETTINGS
@given(st.text(max_size=12) | st.integers(-(2**40), 2**40).map(str))
def test_check_seed_never_raises_anything_else(seed):
    try:
        value = tasks.check_seed(seed)
    except TaskInputError as err:
        assert str(err)
        return
    assert 0 <= value < 2**32


@pytest.mark.parametrize("value,want", [(1, 1), ("20", 20), (" 5", 5)])
def test_check_range_accepts(value, want):
    assert tasks.check_range("length", value, 1, 20) == want


@pytest.mark.parametrize("value", [0, 21, "-3", "ten", None, "2.0"])
def test_check_range_rejects_and_names_the_limits(value):
    with pytest.raises(TaskInputError) as info:
        tasks.check_range("length", value, 1, 20)
    message = str(info.value)
    assert "length" in message and "1" in message and "20" in message
