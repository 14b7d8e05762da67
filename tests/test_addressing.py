"""model/addressing.py against plain NumPy loops of Graves, Wayne & Danihelka 2014, eqs. 5-9.

Notation: B batch, N memory rows, M row width, S = 2R+1 shift offsets.
The references below loop over batch items, rows and offsets one at a time and share
no code with the module under test.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from model import addressing

SETTINGS = settings(deadline=None, max_examples=40)


# ---------------------------------------------------------------- NumPy references (loops)

def ref_cosine(memory: np.ndarray, key: np.ndarray) -> np.ndarray:
    """eq. 6, K[u, v] = u.v / (|u| |v|), for memory [B,N,M], key [B,M] -> [B,N]."""
    b_size, n_rows, width = memory.shape
    out = np.zeros((b_size, n_rows))
    for b in range(b_size):
        key_norm = math.sqrt(sum(key[b, m] ** 2 for m in range(width)))
        for i in range(n_rows):
            dot = sum(memory[b, i, m] * key[b, m] for m in range(width))
            row_norm = math.sqrt(sum(memory[b, i, m] ** 2 for m in range(width)))
            out[b, i] = dot / (row_norm * key_norm)
    return out


def ref_content(memory: np.ndarray, key: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """eq. 5, w^c(i) = exp(beta K(i)) / sum_j exp(beta K(j))."""
    sim = ref_cosine(memory, key)
    out = np.zeros_like(sim)
    for b in range(sim.shape[0]):
        exps = [math.exp(beta[b, 0] * sim[b, i]) for i in range(sim.shape[1])]
        total = sum(exps)
        for i in range(sim.shape[1]):
            out[b, i] = exps[i] / total
    return out


def ref_interpolate(w_content: np.ndarray, w_prev: np.ndarray, gate: np.ndarray) -> np.ndarray:
    """eq. 7, w^g = g w^c + (1 - g) w_prev."""
    out = np.zeros_like(w_content)
    for b in range(out.shape[0]):
        for i in range(out.shape[1]):
            out[b, i] = gate[b, 0] * w_content[b, i] + (1 - gate[b, 0]) * w_prev[b, i]
    return out


def ref_shift(w: np.ndarray, s: np.ndarray) -> np.ndarray:
    """eq. 8, w~(i) = sum_j w(j) s(i - j), indices mod N; s column R + o is offset o."""
    b_size, n_rows = w.shape
    radius = (s.shape[1] - 1) // 2
    out = np.zeros_like(w)
    for b in range(b_size):
        for i in range(n_rows):
            for j in range(n_rows):
                for offset in range(-radius, radius + 1):
                    if (i - j - offset) % n_rows == 0:
                        out[b, i] += w[b, j] * s[b, offset + radius]
    return out


def ref_sharpen(w: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """eq. 9, w(i) = w~(i)^gamma / sum_j w~(j)^gamma."""
    out = np.zeros_like(w)
    for b in range(w.shape[0]):
        powered = [w[b, i] ** gamma[b, 0] for i in range(w.shape[1])]
        total = sum(powered)
        for i in range(w.shape[1]):
            out[b, i] = powered[i] / total
    return out


# ---------------------------------------------------------------- helpers

def t(x) -> torch.Tensor:
    return torch.tensor(np.asarray(x), dtype=torch.float64)


def simplex(rng: np.random.Generator, shape) -> np.ndarray:
    """Random positive weightings that sum to 1 along the last axis."""
    w = rng.random(shape) + 0.05
    return w / w.sum(-1, keepdims=True)


def random_case(seed: int, b_size: int, n_rows: int, width: int, radius: int) -> dict:
    """Every input of `address`, in float64.

    Rows and keys have norms in [0.5, 2], so the module's stabiliser EPS (absent from
    eq. 6) moves a cosine by under 1e-7 relative; the all-zero cases are tested apart.
    """
    rng = np.random.default_rng(seed)
    memory = rng.normal(size=(b_size, n_rows, width)) + 1e-3
    memory *= rng.uniform(0.5, 2.0, size=(b_size, n_rows, 1)) / np.linalg.norm(memory, axis=-1, keepdims=True)
    key = rng.normal(size=(b_size, width)) + 1e-3
    key *= rng.uniform(0.5, 2.0, size=(b_size, 1)) / np.linalg.norm(key, axis=-1, keepdims=True)
    return dict(
        memory=memory,
        w_prev=simplex(rng, (b_size, n_rows)),
        key=key,
        beta=rng.uniform(0.0, 20.0, size=(b_size, 1)),
        gate=rng.uniform(0.0, 1.0, size=(b_size, 1)),
        shift_weights=simplex(rng, (b_size, 2 * radius + 1)),
        gamma=rng.uniform(1.0, 5.0, size=(b_size, 1)),
    )


def assert_weighting(w: torch.Tensor, atol: float = 1e-6) -> None:
    """Finite, non-negative, each row summing to 1."""
    assert torch.isfinite(w).all()
    assert (w >= 0).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[0], dtype=w.dtype), atol=atol, rtol=0)


shapes = st.tuples(
    st.integers(0, 2**31),  # seed
    st.integers(1, 4),  # B
    st.integers(1, 9),  # N
    st.integers(1, 5),  # M
    st.integers(0, 3),  # R
)


# ---------------------------------------------------------------- each stage against its loop

@SETTINGS
@given(shapes)
def test_cosine_similarity_matches_loop(shape):
    case = random_case(*shape)
    got = addressing.cosine_similarity(t(case["memory"]), t(case["key"]))
    np.testing.assert_allclose(got.numpy(), ref_cosine(case["memory"], case["key"]), rtol=1e-6, atol=1e-7)


@SETTINGS
@given(shapes)
def test_content_weights_match_loop(shape):
    case = random_case(*shape)
    got = addressing.content_weights(t(case["memory"]), t(case["key"]), t(case["beta"]))
    want = ref_content(case["memory"], case["key"], case["beta"])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-7)
    assert_weighting(got)


@SETTINGS
@given(shapes)
def test_interpolate_matches_loop(shape):
    case = random_case(*shape)
    w_content = simplex(np.random.default_rng(shape[0] + 1), case["w_prev"].shape)
    got = addressing.interpolate(t(w_content), t(case["w_prev"]), t(case["gate"]))
    np.testing.assert_allclose(got.numpy(), ref_interpolate(w_content, case["w_prev"], case["gate"]), rtol=1e-12)
    assert_weighting(got)


@SETTINGS
@given(shapes)
def test_shift_matches_loop(shape):
    case = random_case(*shape)
    got = addressing.shift(t(case["w_prev"]), t(case["shift_weights"]))
    np.testing.assert_allclose(got.numpy(), ref_shift(case["w_prev"], case["shift_weights"]), rtol=1e-12)
    assert_weighting(got)


@SETTINGS
@given(shapes)
def test_sharpen_matches_loop(shape):
    case = random_case(*shape)
    got = addressing.sharpen(t(case["w_prev"]), t(case["gamma"]))
    np.testing.assert_allclose(got.numpy(), ref_sharpen(case["w_prev"], case["gamma"]), rtol=1e-9, atol=1e-12)
    assert_weighting(got)


@SETTINGS
@given(shapes)
def test_address_chains_the_four_stages(shape):
    case = random_case(*shape)
    stages = addressing.address(*(t(case[k]) for k in
                                  ("memory", "w_prev", "key", "beta", "gate", "shift_weights", "gamma")))
    content = ref_content(case["memory"], case["key"], case["beta"])
    gated = ref_interpolate(content, case["w_prev"], case["gate"])
    shifted = ref_shift(gated, case["shift_weights"])
    final = ref_sharpen(shifted, case["gamma"])
    for got, want in zip(stages, (content, gated, shifted, final)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-7)
        assert_weighting(got)
    assert stages._fields == ("content", "gated", "shifted", "final")


def test_hand_computed_small_case():
    """N=3: key equal to row 0, beta=ln(...) chosen so the numbers are easy to check by hand."""
    memory = t([[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]])  # cosines with key [1,0]: 1, 0, -1
    key, beta = t([[2.0, 0.0]]), t([[math.log(2.0)]])  # exp(beta*K) = 2, 1, 1/2
    content = addressing.content_weights(memory, key, beta)
    np.testing.assert_allclose(content.numpy(), [[2 / 3.5, 1 / 3.5, 0.5 / 3.5]], rtol=1e-7)
    shifted = addressing.shift(t([[0.5, 0.5, 0.0]]), t([[0.0, 0.25, 0.75]]))  # 25% stay, 75% move +1
    np.testing.assert_allclose(shifted.numpy(), [[0.125, 0.5, 0.375]], rtol=1e-12)
    sharpened = addressing.sharpen(t([[0.5, 0.25, 0.25]]), t([[2.0]]))  # .25, .0625, .0625 / .375
    np.testing.assert_allclose(sharpened.numpy(), [[2 / 3, 1 / 6, 1 / 6]], rtol=1e-9)


# ---------------------------------------------------------------- invariants

@pytest.mark.parametrize("n_rows", [1, 2, 5, 8])
@pytest.mark.parametrize("radius", [1, 2])
def test_one_hot_shift_plus_one_is_np_roll(n_rows, radius):
    s = torch.zeros(1, 2 * radius + 1)
    s[0, radius + 1] = 1.0  # all mass on offset +1
    w = torch.rand(1, n_rows)
    np.testing.assert_array_equal(addressing.shift(w, s).numpy(), np.roll(w.numpy(), 1, axis=-1))
    for i in range(n_rows):  # focus moves from row i to row i+1, the last row wraps to row 0
        onehot = torch.zeros(1, n_rows)
        onehot[0, i] = 1.0
        moved = addressing.shift(onehot, s)[0]
        assert int(moved.argmax()) == (i + 1) % n_rows
        assert float(moved[(i + 1) % n_rows]) == 1.0


def test_one_hot_shift_minus_one_and_zero():
    w = torch.rand(2, 6)
    s_minus = torch.tensor([[1.0, 0.0, 0.0]] * 2)
    s_zero = torch.tensor([[0.0, 1.0, 0.0]] * 2)
    np.testing.assert_array_equal(addressing.shift(w, s_minus).numpy(), np.roll(w.numpy(), -1, axis=-1))
    np.testing.assert_array_equal(addressing.shift(w, s_zero).numpy(), w.numpy())


@SETTINGS
@given(shapes)
def test_gamma_one_is_the_identity(shape):
    case = random_case(*shape)
    w = t(case["w_prev"])
    got = addressing.sharpen(w, torch.ones(w.shape[0], 1, dtype=w.dtype))
    np.testing.assert_allclose(got.numpy(), case["w_prev"], rtol=1e-12)


@SETTINGS
@given(shapes)
def test_gate_zero_keeps_previous_gate_one_takes_content(shape):
    case = random_case(*shape)
    w_content = t(simplex(np.random.default_rng(shape[0] + 7), case["w_prev"].shape))
    w_prev = t(case["w_prev"])
    zeros = torch.zeros(w_prev.shape[0], 1, dtype=w_prev.dtype)
    assert torch.equal(addressing.interpolate(w_content, w_prev, zeros), w_prev)
    assert torch.equal(addressing.interpolate(w_content, w_prev, zeros + 1), w_content)


@SETTINGS
@given(shapes)
def test_every_stage_is_a_weighting_in_float32(shape):
    case = random_case(*shape)
    args = [torch.tensor(case[k], dtype=torch.float32) for k in
            ("memory", "w_prev", "key", "beta", "gate", "shift_weights", "gamma")]
    for stage in addressing.address(*args):
        assert stage.dtype == torch.float32
        assert_weighting(stage, atol=1e-5)


@SETTINGS
@given(shapes)
def test_batch_of_one_and_of_b_agree(shape):
    case = random_case(*shape)
    names = ("memory", "w_prev", "key", "beta", "gate", "shift_weights", "gamma")
    batched = addressing.address(*(t(case[k]) for k in names))
    for b in range(shape[1]):
        single = addressing.address(*(t(case[k][b : b + 1]) for k in names))
        for got, want in zip(single, batched):
            np.testing.assert_allclose(got[0].numpy(), want[b].numpy(), rtol=1e-12, atol=1e-15)


def test_functions_do_not_change_their_inputs():
    case = random_case(0, 3, 6, 4, 1)
    args = [t(case[k]) for k in ("memory", "w_prev", "key", "beta", "gate", "shift_weights", "gamma")]
    before = [a.clone() for a in args]
    addressing.address(*args)
    for a, b in zip(args, before):
        assert torch.equal(a, b)


# ---------------------------------------------------------------- numerical edge cases

def _zero_row_zero_key_case():
    memory = torch.randn(2, 5, 4)
    memory[:, 2] = 0.0  # an all-zero memory row (the untouched rows of a fresh memory)
    key = torch.randn(2, 4)
    key[1] = 0.0  # an all-zero key in the second batch item
    w_prev = torch.softmax(torch.randn(2, 5), -1)
    beta = torch.tensor([[3.0], [5.0]])
    gate = torch.tensor([[0.7], [0.4]])
    s = torch.softmax(torch.randn(2, 3), -1)
    gamma = torch.tensor([[2.0], [1.5]])
    return [memory, w_prev, key, beta, gate, s, gamma]


def test_zero_row_and_zero_key_give_no_nan():
    memory, _, key, beta, *_ = _zero_row_zero_key_case()
    sim = addressing.cosine_similarity(memory, key)
    assert torch.isfinite(sim).all()
    assert torch.equal(sim[:, 2], torch.zeros(2))  # zero row: similarity 0
    assert torch.equal(sim[1], torch.zeros(5))  # zero key: similarity 0 with every row
    content = addressing.content_weights(memory, key, beta)
    torch.testing.assert_close(content[1], torch.full((5,), 0.2))  # zero key: uniform
    for stage in addressing.address(*_zero_row_zero_key_case()):
        assert_weighting(stage, atol=1e-6)


def test_zero_row_and_zero_key_give_finite_gradients():
    args = [a.clone().requires_grad_(True) for a in _zero_row_zero_key_case()]
    stages = addressing.address(*args)
    loss = sum((stage * torch.randn_like(stage)).sum() for stage in stages)
    loss.backward()
    for a in args:
        assert a.grad is not None
        assert torch.isfinite(a.grad).all()
    assert args[0].grad.abs().sum() > 0 and args[2].grad.abs().sum() > 0


def test_extreme_beta_is_finite_and_picks_the_best_row():
    memory = torch.randn(3, 7, 5)
    key = memory[torch.arange(3), torch.tensor([4, 0, 6])] * 2.0  # parallel to rows 4, 0, 6
    beta = torch.full((3, 1), 1e4, requires_grad=True)
    w = addressing.content_weights(memory, key, beta)
    assert_weighting(w)
    assert w.argmax(-1).tolist() == [4, 0, 6]
    assert (w.max(-1).values > 0.999).all()
    w[:, 0].sum().backward()
    assert torch.isfinite(beta.grad).all()


def test_extreme_gamma_is_finite_and_one_hot():
    w = torch.softmax(torch.randn(4, 9), -1)
    gamma = torch.full((4, 1), 1e3, requires_grad=True)
    out = addressing.sharpen(w, gamma)
    assert_weighting(out)
    assert torch.equal(out.argmax(-1), w.argmax(-1))
    assert (out.max(-1).values > 0.999).all()
    (out * torch.randn_like(out)).sum().backward()
    assert torch.isfinite(gamma.grad).all()


@pytest.mark.parametrize("gamma", [1.0, 3.0, 1e3])
def test_underflowing_weights_stay_finite(gamma):
    w = torch.tensor([[1e-45, 1.0 - 2e-7, 1e-45, 2e-7], [1e-45, 1e-45, 1e-45, 1e-45], [0.0, 0.0, 1.0, 0.0]])
    w.requires_grad_(True)
    out = addressing.sharpen(w, torch.full((3, 1), gamma))
    assert_weighting(out)
    assert int(out[0].argmax()) == 1 and int(out[2].argmax()) == 2
    torch.testing.assert_close(out[1], torch.full((4,), 0.25))  # all tiny and equal: uniform
    out.sum().backward()
    assert torch.isfinite(w.grad).all()


def test_full_pipeline_with_extremes_is_finite():
    memory = torch.zeros(2, 6, 3)
    memory[0, 1] = 1.0
    args = [memory, torch.tensor([[1e-45] * 5 + [1.0]] * 2), torch.zeros(2, 3), torch.full((2, 1), 1e4),
            torch.tensor([[1.0], [0.0]]), torch.tensor([[0.0, 0.0, 1.0]] * 2), torch.full((2, 1), 1e3)]
    for stage in addressing.address(*args):
        assert_weighting(stage, atol=1e-5)
