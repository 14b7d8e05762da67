"""model/trace.py: a Trace saves to .npz and loads back losslessly, without pickle."""
from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
import torch

from model.ntm import NTM, NTMConfig
from model.trace import ARRAY_FIELDS, Trace


@pytest.fixture(scope="module")
def trace() -> Trace:
    torch.manual_seed(0)
    net = NTM(NTMConfig(5, 4, "lstm", 12, 8, 6, read_heads=2, write_heads=1))
    x = np.random.default_rng(0).integers(0, 2, size=(7, 5)).astype(np.float32)
    return net.run(x).trace


def test_every_array_field_is_listed(trace):
    fields = {f.name for f in dataclasses.fields(Trace)}
    assert set(ARRAY_FIELDS) == fields - {"head_kinds"}


def test_save_and_load_round_trip(trace, tmp_path):
    path = tmp_path / "run.npz"
    trace.save(path)
    loaded = Trace.load(path)
    assert loaded.equals(trace) and trace.equals(loaded)
    assert loaded.head_kinds == trace.head_kinds == ("read", "read", "write")
    assert isinstance(loaded.head_kinds, tuple) and all(type(k) is str for k in loaded.head_kinds)
    for name in ARRAY_FIELDS:
        a, b = getattr(trace, name), getattr(loaded, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert np.array_equal(a, b), name
        assert a.tobytes() == b.tobytes(), name  # bit for bit, not just numerically


def test_load_uses_no_pickle(trace, tmp_path, monkeypatch):
    path = tmp_path / "run.npz"
    trace.save(path)
    with np.load(path, allow_pickle=False) as data:  # no object arrays in the file
        assert all(data[k].dtype != object for k in data.files)

    def refuse(*args, **kwargs):
        raise AssertionError("something was unpickled")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    assert Trace.load(path).equals(trace)


def test_equals_notices_any_difference(trace):
    assert trace.equals(trace)
    for name in ARRAY_FIELDS:
        changed = getattr(trace, name).copy()
        changed.reshape(-1)[0] += 1.0
        assert not trace.equals(dataclasses.replace(trace, **{name: changed})), name
    assert not trace.equals(dataclasses.replace(trace, head_kinds=("read", "write", "write")))


def test_memory_before(trace):
    assert np.array_equal(trace.memory_before(0), trace.initial_memory)
    for t in range(1, trace.steps):
        assert np.array_equal(trace.memory_before(t), trace.memory[t - 1])


def test_heads_of(trace):
    assert trace.heads_of("read") == [0, 1]
    assert trace.heads_of("write") == [2]
    assert trace.heads_of("other") == []


def test_trace_is_frozen(trace):
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.inputs = np.zeros(1)
