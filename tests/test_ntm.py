"""model/ntm.py: shapes, gradients, statelessness, and a trace that replays exactly.

Notation: B batch, T steps, N memory rows, M row width, H heads (reads first).
Small configurations only: nothing here trains.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from model import addressing, heads, memory
from model.ntm import NTM, NTMConfig, Run, State
from model.trace import Trace

D_IN, D_OUT, N_ROWS, WIDTH = 5, 4, 8, 6

CONFIGS = {
    "lstm-1read": NTMConfig(D_IN, D_OUT, "lstm", 16, N_ROWS, WIDTH, read_heads=1),
    "lstm-2read": NTMConfig(D_IN, D_OUT, "lstm", 16, N_ROWS, WIDTH, read_heads=2),
    "ff-1read": NTMConfig(D_IN, D_OUT, "feedforward", 16, N_ROWS, WIDTH, read_heads=1),
    "ff-2read": NTMConfig(D_IN, D_OUT, "feedforward", 16, N_ROWS, WIDTH, read_heads=2),
    "lstm-2read-2write-learned": NTMConfig(D_IN, D_OUT, "lstm", 16, N_ROWS, WIDTH, read_heads=2, write_heads=2,
                                           shift_range=2, memory_init="learned"),
}


def make(name: str, seed: int = 0) -> NTM:
    torch.manual_seed(seed)
    return NTM(CONFIGS[name])


def inputs(steps: int = 7, seed: int = 1, batch: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (steps, D_IN) if batch is None else (batch, steps, D_IN)
    return rng.integers(0, 2, size=shape).astype(np.float32)


@pytest.fixture(params=sorted(CONFIGS))
def name(request):
    return request.param


# ---------------------------------------------------------------- config

def test_config_is_frozen():
    c = CONFIGS["lstm-1read"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.memory_rows = 3
    assert c.to_dict()["memory_rows"] == N_ROWS
    assert NTMConfig(**c.to_dict()) == c


@pytest.mark.parametrize("bad", [dict(controller="gru"), dict(controller="LSTM"), dict(memory_init="zeros"),
                                 dict(read_heads=0), dict(write_heads=0)])
def test_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        NTMConfig(D_IN, D_OUT, **bad)


def test_config_derived_sizes():
    c = CONFIGS["lstm-2read-2write-learned"]
    assert (c.shifts, c.heads) == (5, 4)


# ---------------------------------------------------------------- forward

@pytest.mark.parametrize("batch,steps", [(1, 1), (3, 6)])
def test_forward_shapes(name, batch, steps):
    net, c = make(name), CONFIGS[name]
    logits, state = net(torch.from_numpy(inputs(steps, batch=batch)))
    assert logits.shape == (batch, steps, D_OUT)
    assert isinstance(state, State)
    assert state.memory.shape == (batch, N_ROWS, WIDTH)
    assert state.reads.shape == (batch, c.read_heads, WIDTH)
    assert state.weights.shape == (batch, c.heads, N_ROWS)
    if c.controller == "lstm":
        assert [s.shape for s in state.controller] == [(batch, 16), (batch, 16)]
    else:
        assert state.controller is None
    torch.testing.assert_close(state.weights.sum(-1), torch.ones(batch, c.heads))


def test_forward_continues_from_a_state():
    """Two halves with the state passed along equal one pass over the whole sequence."""
    net = make("lstm-2read")
    x = torch.from_numpy(inputs(8, batch=2))
    whole, _ = net(x)
    first, state = net(x[:, :3])
    second, _ = net(x[:, 3:], state)
    torch.testing.assert_close(torch.cat([first, second], 1), whole, rtol=0, atol=1e-6)


def test_batch_items_are_independent():
    net = make("ff-2read")
    x = torch.from_numpy(inputs(6, batch=3))
    batched, _ = net(x)
    for b in range(3):
        single, _ = net(x[b : b + 1])
        torch.testing.assert_close(single[0], batched[b], rtol=1e-5, atol=1e-6)


def test_gradients_reach_every_parameter(name):
    net = make(name)
    x = torch.from_numpy(inputs(5, batch=3))
    targets = torch.from_numpy(inputs(5, seed=2, batch=3)[..., :D_OUT])
    logits, _ = net(x)
    torch.nn.functional.binary_cross_entropy_with_logits(logits, targets).backward()
    names = {n for n, _ in net.named_parameters()}
    assert "init_reads" in names
    if CONFIGS[name].controller == "lstm":
        assert {"init_h", "init_c"} <= names
    if CONFIGS[name].memory_init == "learned":
        assert "init_memory" in names
    for n, p in net.named_parameters():
        assert p.grad is not None, n
        assert torch.isfinite(p.grad).all(), n
        assert p.grad.abs().sum() > 0, n


def test_constant_memory_init_is_a_buffer_not_a_parameter():
    net = make("lstm-1read")
    assert "init_memory" not in dict(net.named_parameters())
    assert torch.equal(net.init_memory, torch.full((N_ROWS, WIDTH), 1e-6))


# ---------------------------------------------------------------- run

def test_run_shapes_and_types(name):
    net, c = make(name), CONFIGS[name]
    steps = 7
    result = net.run(inputs(steps))
    assert isinstance(result, Run) and isinstance(result.trace, Trace)
    tr = result.trace
    h, w = c.heads, c.write_heads
    expected = dict(inputs=(steps, D_IN), outputs=(steps, D_OUT), initial_memory=(N_ROWS, WIDTH),
                    memory=(steps, N_ROWS, WIDTH), reads=(steps, c.read_heads, WIDTH), key=(steps, h, WIDTH),
                    beta=(steps, h), gate=(steps, h), shift=(steps, h, c.shifts), gamma=(steps, h),
                    erase=(steps, w, WIDTH), add=(steps, w, WIDTH), content=(steps, h, N_ROWS),
                    gated=(steps, h, N_ROWS), shifted=(steps, h, N_ROWS), weights=(steps, h, N_ROWS))
    for field, shape in expected.items():
        arr = getattr(tr, field)
        assert isinstance(arr, np.ndarray) and arr.dtype == np.float32, field
        assert arr.shape == shape, field
    assert tr.head_kinds == ("read",) * c.read_heads + ("write",) * c.write_heads
    assert tr.steps == steps
    assert result.outputs is tr.outputs or np.array_equal(result.outputs, tr.outputs)
    assert ((tr.outputs > 0) & (tr.outputs < 1)).all()
    assert (tr.beta >= 0).all() and (tr.gamma >= 1).all()
    assert ((tr.gate >= 0) & (tr.gate <= 1)).all() and ((tr.erase >= 0) & (tr.erase <= 1)).all()
    np.testing.assert_allclose(tr.shift.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(tr.weights.sum(-1), 1.0, rtol=1e-5)


def test_run_is_repeatable_and_carries_no_state(name):
    net = make(name)
    x, other = inputs(7, seed=1), inputs(9, seed=5)
    first = net.run(x)
    net.run(other)
    net(torch.from_numpy(inputs(4, batch=2)))  # a training-style call in between changes nothing either
    again = net.run(x)
    assert np.array_equal(first.outputs, again.outputs)
    assert first.trace.equals(again.trace)
    assert not first.trace.equals(net.run(other).trace)  # a different input does give a different trace


def test_run_equals_sigmoid_of_forward(name):
    net = make(name)
    x = inputs(9, seed=3)
    logits, _ = net(torch.from_numpy(x)[None])
    np.testing.assert_allclose(net.run(x).outputs, torch.sigmoid(logits[0]).detach().numpy(), rtol=0, atol=1e-6)


def test_run_accepts_lists_and_records_the_input():
    net = make("lstm-1read")
    x = inputs(4)
    result = net.run(x.tolist())
    assert np.array_equal(result.trace.inputs, x)
    assert np.array_equal(result.outputs, net.run(x).outputs)


def test_run_leaves_the_module_unchanged(name):
    net = make(name)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    attrs = dict(vars(net))
    net.run(inputs(6))
    after = net.state_dict()
    assert before.keys() == after.keys()
    for k in before:
        assert torch.equal(before[k], after[k]), k
    assert vars(net).keys() == attrs.keys()
    assert all(vars(net)[k] is attrs[k] for k in attrs)  # nothing rebound on the module
    assert all(p.grad is None for p in net.parameters())


# ---------------------------------------------------------------- the trace replays

def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a))[None]


def test_trace_memory_replays_the_writes(name):
    """memory.write(memory_before(t), traced weights, erase, add) == traced memory, for every t."""
    net = make(name)
    tr = net.run(inputs(9, seed=4)).trace
    writes = tr.heads_of("write")
    assert np.array_equal(tr.initial_memory, net.init_memory.detach().numpy())
    for t in range(tr.steps):
        mem = _t(tr.memory_before(t))
        for j, h in enumerate(writes):  # write heads write in order
            mem = memory.write(mem, _t(tr.weights[t, h]), _t(tr.erase[t, j]), _t(tr.add[t, j]))
        np.testing.assert_allclose(mem[0].numpy(), tr.memory[t], rtol=0, atol=1e-7)
    assert not np.array_equal(tr.memory[-1], tr.initial_memory)  # the writes did something


def test_trace_reads_replay(name):
    """Read heads read the memory as the step found it."""
    net = make(name)
    tr = net.run(inputs(9, seed=4)).trace
    for t in range(tr.steps):
        for r, h in enumerate(tr.heads_of("read")):
            got = memory.read(_t(tr.memory_before(t)), _t(tr.weights[t, h]))[0].numpy()
            np.testing.assert_allclose(got, tr.reads[t, r], rtol=0, atol=1e-7)


def test_trace_addressing_stages_replay(name):
    """Every recorded stage follows from the recorded parameters and the previous weighting."""
    net = make(name)
    c = CONFIGS[name]
    tr = net.run(inputs(9, seed=6)).trace
    for t in range(tr.steps):
        mem = _t(tr.memory_before(t))
        for h, kind in enumerate(tr.head_kinds):
            w_prev = net.init_weights[h][None] if t == 0 else _t(tr.weights[t - 1, h])
            stages = addressing.address(mem, w_prev, _t(tr.key[t, h]), _t(tr.beta[t, h : h + 1]),
                                        _t(tr.gate[t, h : h + 1]), _t(tr.shift[t, h]), _t(tr.gamma[t, h : h + 1]))
            for got, field in zip(stages, ("content", "gated", "shifted", "weights")):
                np.testing.assert_allclose(got[0].numpy(), getattr(tr, field)[t, h], rtol=1e-5, atol=1e-6)
            if kind == "write":  # a later write head addresses the memory the earlier one wrote
                j = tr.heads_of("write").index(h)
                mem = memory.write(mem, _t(tr.weights[t, h]), _t(tr.erase[t, j]), _t(tr.add[t, j]))
    assert c.heads == len(tr.head_kinds)


def test_initial_weights_focus_on_row_zero():
    net = make("lstm-2read")
    state = net.initial_state(2)
    expected = torch.zeros(2, 3, N_ROWS)
    expected[:, :, 0] = 1.0
    assert torch.equal(state.weights, expected)


# ---------------------------------------------------------------- heads (the activations the NTM uses)

def test_head_param_sizes():
    assert heads.param_size(6, 3, is_write=False) == 6 + 1 + 1 + 3 + 1
    assert heads.param_size(6, 3, is_write=True) == 6 + 1 + 1 + 3 + 1 + 6 + 6


def test_head_activations_on_known_values():
    width, shifts = 2, 3
    raw = torch.zeros(1, heads.param_size(width, shifts, True))
    p = heads.split_params(raw, width, shifts, True)
    assert p.key.tolist() == [[0.0, 0.0]] and p.add.tolist() == [[0.0, 0.0]]  # tanh(0)
    assert p.gate.tolist() == [[0.5]] and p.erase.tolist() == [[0.5, 0.5]]  # sigmoid(0)
    torch.testing.assert_close(p.beta, torch.tensor([[np.log(2.0)]], dtype=torch.float32))  # softplus(0)
    torch.testing.assert_close(p.gamma, torch.tensor([[1 + np.log(2.0)]], dtype=torch.float32))
    torch.testing.assert_close(p.shift, torch.full((1, 3), 1 / 3))
    read = heads.split_params(raw[:, : heads.param_size(width, shifts, False)], width, shifts, False)
    assert read.erase is None and read.add is None


def test_head_slices_go_to_the_right_parameters():
    # width 2, 3 shifts: key 0:2, beta 2, gate 3, shift 4:7, gamma 7, erase 8:10, add 10:12
    raw = (torch.arange(12, dtype=torch.float32)[None] - 6) / 4
    p = heads.split_params(raw, 2, 3, True)
    torch.testing.assert_close(p.key, torch.tanh(raw[:, 0:2]))
    torch.testing.assert_close(p.beta, torch.nn.functional.softplus(raw[:, 2:3]))
    torch.testing.assert_close(p.gate, torch.sigmoid(raw[:, 3:4]))
    torch.testing.assert_close(p.shift, torch.softmax(raw[:, 4:7], -1))
    torch.testing.assert_close(p.gamma, 1 + torch.nn.functional.softplus(raw[:, 7:8]))
    torch.testing.assert_close(p.erase, torch.sigmoid(raw[:, 8:10]))
    torch.testing.assert_close(p.add, torch.tanh(raw[:, 10:12]))


def test_head_raw_outputs_are_clipped():
    huge = torch.full((1, heads.param_size(2, 3, True)), 1e6)
    p = heads.split_params(huge, 2, 3, True)
    clipped = torch.nn.functional.softplus(torch.tensor(heads.CLIP))
    torch.testing.assert_close(p.beta, clipped.reshape(1, 1))
    torch.testing.assert_close(p.gamma, (1 + clipped).reshape(1, 1))
    assert all(torch.isfinite(t).all() for t in p)


def test_untrained_heads_lean_to_shift_plus_one(name):
    """With a zero controller output (bias only), every head's shift puts most mass on offset +1."""
    net, c = make(name), CONFIGS[name]
    raw = torch.split(net.head_layer.bias.detach()[None], net.head_sizes, dim=-1)
    for kind, r in zip(net.head_kinds, raw):
        p = heads.split_params(r, c.memory_width, c.shifts, kind == "write")
        assert int(p.shift.argmax()) == c.shift_range + 1, kind


def test_trace_records_the_weightings_before_the_first_step():
    net = NTM(NTMConfig(D_IN, D_OUT, memory_rows=N_ROWS, memory_width=WIDTH))
    tr = net.run(torch.rand(4, D_IN)).trace
    assert np.array_equal(tr.weights_before(0), net.init_weights.numpy())
    assert np.array_equal(tr.weights_before(3), tr.weights[2])
    assert np.allclose(tr.initial_weights.sum(-1), 1.0)


def test_head_noise_is_for_training_only():
    net = NTM(NTMConfig(D_IN, D_OUT, memory_rows=N_ROWS, memory_width=WIDTH))
    x = torch.rand(2, 5, D_IN)
    clean, _ = net(x)
    assert torch.equal(clean, net(x)[0])  # no noise unless asked
    noisy, _ = net(x, noise=0.5)
    assert not torch.allclose(clean, noisy)
    assert np.allclose(net.run(x[0]).outputs, torch.sigmoid(clean[0]).detach().numpy(), atol=1e-6)
