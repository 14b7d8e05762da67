"""model/lstm.py: the LSTM baseline's shapes and its step-by-step `run`.

Notation: B batch, T steps, L layers, H hidden units.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from model.lstm import LSTMBaseline, LSTMConfig, LSTMRun

CONFIG = LSTMConfig(input_size=9, output_size=8, hidden_size=12, layers=2)


@pytest.fixture
def net() -> LSTMBaseline:
    torch.manual_seed(0)
    return LSTMBaseline(CONFIG)


def inputs(steps: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, size=(steps, 9)).astype(np.float32)


def test_config_is_frozen_and_round_trips():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CONFIG.layers = 1
    assert LSTMConfig(**CONFIG.to_dict()) == CONFIG


@pytest.mark.parametrize("batch,steps", [(1, 1), (3, 7)])
def test_forward_shapes(net, batch, steps):
    logits, (h, c) = net(torch.rand(batch, steps, 9))
    assert logits.shape == (batch, steps, 8)
    assert h.shape == c.shape == (2, batch, 12)


def test_run_shapes(net):
    result = net.run(inputs(6))
    assert isinstance(result, LSTMRun)
    assert result.outputs.shape == (6, 8)
    assert result.hidden.shape == result.cell.shape == (6, 2, 12)
    assert all(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in result)
    assert ((result.outputs > 0) & (result.outputs < 1)).all()


def test_run_matches_forward(net):
    x = inputs(10, seed=1)
    logits, (h, c) = net(torch.from_numpy(x)[None])
    result = net.run(x)
    np.testing.assert_allclose(result.outputs, torch.sigmoid(logits[0]).detach().numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(result.hidden[-1], h[:, 0].detach().numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(result.cell[-1], c[:, 0].detach().numpy(), rtol=0, atol=1e-6)


def test_run_hidden_state_of_every_step(net):
    """hidden[t] is the state after step t: a forward over the first t+1 steps ends there."""
    x = inputs(5, seed=2)
    result = net.run(x)
    for t in range(5):
        _, (h, c) = net(torch.from_numpy(x[: t + 1])[None])
        np.testing.assert_allclose(result.hidden[t], h[:, 0].detach().numpy(), rtol=0, atol=1e-6)
        np.testing.assert_allclose(result.cell[t], c[:, 0].detach().numpy(), rtol=0, atol=1e-6)


def test_run_is_repeatable_and_leaves_the_module_unchanged(net):
    before = {k: v.clone() for k, v in net.state_dict().items()}
    a = net.run(inputs(6))
    net.run(inputs(3, seed=9))
    b = net.run(inputs(6))
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_gradients_reach_every_parameter(net):
    logits, _ = net(torch.from_numpy(inputs(5))[None])
    logits.sum().backward()
    for n, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, n
