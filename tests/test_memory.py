"""model/memory.py: reading and writing (Graves et al. 2014 eqs. 2-4) on hand-computed cases.

Notation: B batch, N memory rows, M row width.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from model import memory

# A 3x2 memory; every number below is exact in binary, so the checks use equality.
MEM = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
W = [0.5, 0.25, 0.25]


def test_read_hand_computed():
    # r = 0.5*[1,2] + 0.25*[3,4] + 0.25*[5,6] = [0.5+0.75+1.25, 1+1+1.5]
    got = memory.read(torch.tensor([MEM]), torch.tensor([W]))
    assert got.shape == (1, 2)
    assert got.tolist() == [[2.5, 3.5]]


def test_read_one_hot_returns_the_row():
    mem = torch.tensor([MEM])
    for i in range(3):
        w = torch.zeros(1, 3)
        w[0, i] = 1.0
        assert memory.read(mem, w).tolist() == [MEM[i]]


def test_write_hand_computed():
    erase, add = [1.0, 0.5], [2.0, -1.0]
    # row 0, w=0.5:  [1*(1-0.5), 2*(1-0.25)] + 0.5*[2,-1]   = [0.5, 1.5] + [1, -0.5]     = [1.5, 1.0]
    # row 1, w=0.25: [3*(1-0.25), 4*(1-0.125)] + 0.25*[2,-1] = [2.25, 3.5] + [0.5, -0.25] = [2.75, 3.25]
    # row 2, w=0.25: [5*0.75, 6*0.875] + [0.5, -0.25]        = [3.75, 5.25] + ...          = [4.25, 5.0]
    want = [[1.5, 1.0], [2.75, 3.25], [4.25, 5.0]]
    got = memory.write(torch.tensor([MEM]), torch.tensor([W]), torch.tensor([erase]), torch.tensor([add]))
    assert got.shape == (1, 3, 2)
    assert got.tolist() == [want]


def test_write_batch_items_are_independent():
    mem = torch.tensor([MEM, MEM])
    w = torch.tensor([W, [0.0, 0.0, 1.0]])
    erase = torch.tensor([[1.0, 0.5], [0.0, 0.0]])
    add = torch.tensor([[2.0, -1.0], [1.0, 1.0]])
    got = memory.write(mem, w, erase, add)
    assert got[0].tolist() == [[1.5, 1.0], [2.75, 3.25], [4.25, 5.0]]
    assert got[1].tolist() == [[1.0, 2.0], [3.0, 4.0], [6.0, 7.0]]  # erase 0: pure add on row 2


@pytest.mark.parametrize("row", [0, 1, 2])
def test_erase_one_with_one_hot_replaces_a_row_exactly(row):
    w = torch.zeros(1, 3)
    w[0, row] = 1.0
    add = torch.tensor([[-0.375, 0.8125]])
    got = memory.write(torch.tensor([MEM]), w, torch.ones(1, 2), add)
    want = [list(r) for r in MEM]
    want[row] = add[0].tolist()
    assert got.tolist() == [want]


def test_zero_weighting_leaves_memory_unchanged():
    mem = torch.tensor([MEM])
    got = memory.write(mem, torch.zeros(1, 3), torch.ones(1, 2), torch.ones(1, 2))
    assert torch.equal(got, mem)


def test_read_and_write_are_pure():
    rng = np.random.default_rng(0)
    args = [torch.tensor(rng.random(s), dtype=torch.float32) for s in [(2, 5, 3), (2, 5), (2, 3), (2, 3)]]
    before = [a.clone() for a in args]
    out = memory.write(*args)
    read = memory.read(args[0], args[1])
    for a, b in zip(args, before):
        assert torch.equal(a, b)
    out += 1.0  # the result is a new tensor: changing it leaves the input alone
    read += 1.0
    assert torch.equal(args[0], before[0])


def test_gradients_reach_every_input_of_read_and_write():
    mem = torch.rand(1, 4, 2, requires_grad=True)
    w = torch.softmax(torch.randn(1, 4), -1).requires_grad_(True)
    erase = torch.rand(1, 2, requires_grad=True)
    add = torch.randn(1, 2, requires_grad=True)
    memory.read(memory.write(mem, w, erase, add), w).sum().backward()
    for p in (mem, w, erase, add):
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0


@settings(deadline=None, max_examples=40)
@given(st.integers(0, 2**31), st.integers(1, 3), st.integers(1, 6), st.integers(1, 4))
def test_read_and_write_match_loops(seed, b_size, n_rows, width):
    rng = np.random.default_rng(seed)
    mem = rng.normal(size=(b_size, n_rows, width))
    w = rng.random((b_size, n_rows))
    w /= w.sum(-1, keepdims=True)
    erase, add = rng.random((b_size, width)), rng.normal(size=(b_size, width))
    want_read = np.zeros((b_size, width))
    want_mem = np.zeros_like(mem)
    for b in range(b_size):
        for i in range(n_rows):
            for m in range(width):
                want_read[b, m] += w[b, i] * mem[b, i, m]
                want_mem[b, i, m] = mem[b, i, m] * (1 - w[b, i] * erase[b, m]) + w[b, i] * add[b, m]
    t = [torch.tensor(a) for a in (mem, w, erase, add)]
    np.testing.assert_allclose(memory.read(t[0], t[1]).numpy(), want_read, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(memory.write(*t).numpy(), want_mem, rtol=1e-12, atol=1e-14)
