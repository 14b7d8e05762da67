"""model/checkpoints.py: safetensors + JSON card round trips, and every way a checkpoint can be bad."""
from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest
import torch

from model import checkpoints
from model.checkpoints import CheckpointError
from model.lstm import LSTMBaseline, LSTMConfig
from model.ntm import NTM, NTMConfig

NTM_CONFIG = NTMConfig(9, 8, "lstm", 16, 10, 6, read_heads=2, memory_init="learned")
LSTM_CONFIG = LSTMConfig(9, 8, hidden_size=12, layers=2)
X = np.random.default_rng(0).integers(0, 2, size=(7, 9)).astype(np.float32)


def make(kind: str):
    torch.manual_seed(3)
    return NTM(NTM_CONFIG) if kind == "ntm" else LSTMBaseline(LSTM_CONFIG)


@pytest.fixture
def saved(tmp_path):
    """An NTM saved as tmp_path/m.{safetensors,json}; returns (model, path)."""
    net = make("ntm")
    checkpoints.save(net, tmp_path / "m", "copy", training={"updates": 3}, evaluation={"errors": 0.5})
    return net, tmp_path / "m"


@pytest.fixture
def no_pickle(monkeypatch):
    """Make any unpickling during the test fail loudly."""
    def refuse(*args, **kwargs):
        raise AssertionError("something was unpickled")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(torch, "load", refuse)


# ---------------------------------------------------------------- round trip

@pytest.mark.parametrize("kind", ["ntm", "lstm"])
def test_round_trip_gives_identical_outputs(kind, tmp_path, no_pickle):
    net = make(kind)
    card = checkpoints.save(net, tmp_path / "sub" / "model", "copy")
    assert (tmp_path / "sub" / "model.safetensors").exists() and (tmp_path / "sub" / "model.json").exists()
    loaded = checkpoints.load(tmp_path / "sub" / "model")
    assert type(loaded) is type(net) and loaded.config == net.config
    assert not loaded.training  # eval mode
    for k, v in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    a, b = net.run(X), loaded.run(X)
    assert np.array_equal(a.outputs, b.outputs)
    if kind == "ntm":
        assert a.trace.equals(b.trace)
    assert card["kind"] == kind


def test_card_contents(saved):
    net, path = saved
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["name"] == "m" and card["kind"] == "ntm" and card["task"] == "copy"
    assert card["config"] == net.config.to_dict()
    assert NTMConfig(**card["config"]) == net.config
    assert card["training"] == {"updates": 3} and card["evaluation"] == {"errors": 0.5}
    assert card["weights"] == "m.safetensors"
    assert card["sha256"] == hashlib.sha256(path.with_suffix(".safetensors").read_bytes()).hexdigest()


def test_load_accepts_the_weights_path_too(saved):
    net, path = saved
    loaded = checkpoints.load(path.with_suffix(".safetensors"))
    assert np.array_equal(loaded.run(X).outputs, net.run(X).outputs)


# ---------------------------------------------------------------- bad checkpoints

def assert_names(err: pytest.ExceptionInfo, path) -> None:
    assert str(path) in str(err.value), str(err.value)

def edit_card(path, change) -> None:
    """Apply change(card) to the JSON card beside path and write it back."""
    card_path = path.with_suffix(".json")
    card = json.loads(card_path.read_text())
    change(card)
    card_path.write_text(json.dumps(card))



def test_missing_weights(saved):
    _, path = saved
    path.with_suffix(".safetensors").unlink()
    with pytest.raises(CheckpointError) as err:
        checkpoints.load(path)
    assert_names(err, path.with_suffix(".safetensors"))
    assert "missing" in str(err.value)


def test_missing_card(saved):
    _, path = saved
    path.with_suffix(".json").unlink()
    with pytest.raises(CheckpointError) as err:
        checkpoints.load(path)
    assert_names(err, path.with_suffix(".json"))


def test_truncated_weights(saved):
    _, path = saved
    weights = path.with_suffix(".safetensors")
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(CheckpointError) as err:
        checkpoints.load(path)
    assert_names(err, weights)


def test_truncated_weights_with_a_matching_card(saved):
    """Even when the card's checksum was updated, an unreadable file is a CheckpointError."""
    _, path = saved
    weights = path.with_suffix(".safetensors")
    weights.write_bytes(weights.read_bytes()[:-100])
    edit_card(path, lambda c: c.update(sha256=hashlib.sha256(weights.read_bytes()).hexdigest()))
    with pytest.raises(CheckpointError) as err:
        checkpoints.load(path)
    assert_names(err, weights)


def test_tampered_weights(saved):
    _, path = saved
    weights = path.with_suffix(".safetensors")
    data = bytearray(weights.read_bytes())
    data[len(data) - 10] ^= 0x01  # one bit of one tensor value
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError) as err:
        checkpoints.load(path)
    assert_names(err, weights)
    assert "checksum" in str(err.value)


def test_wrong_checksum_in_card(saved):
    _, path = saved
    edit_card(path, lambda c: c.update(sha256="0" * 64))
    with pytest.raises(CheckpointError) as err:
        checkpoints.load(path)
    assert_names(err, path.with_suffix(".safetensors"))


@pytest.mark.parametrize("text", ["{not json", "", "\xff\xfe", '{"kind": "ntm"'])
def test_card_that_is_not_json(saved, text):
    _, path = saved
    card_path = path.with_suffix(".json")
    card_path.write_bytes(text.encode("latin-1"))
    with pytest.raises(CheckpointError) as err:
        checkpoints.load(path)
    assert_names(err, card_path)


@pytest.mark.parametrize("text", ["[]", '"copy"', "null", "3"])
def test_card_that_is_json_but_not_an_object(saved, text):
    _, path = saved
    card_path = path.with_suffix(".json")
    card_path.write_text(text)
    with pytest.raises(CheckpointError) as err:
        checkpoints.load(path)
    assert_names(err, card_path)


@pytest.mark.parametrize("change", [
    lambda c: c.pop("kind"), lambda c: c.update(kind="gru"), lambda c: c["config"].update(controller="gru"),
    lambda c: c["config"].update(unknown=1), lambda c: c.pop("config")])
def test_card_that_describes_no_model(saved, change):
    _, path = saved
    card_path = path.with_suffix(".json")
    edit_card(path, change)
    with pytest.raises(CheckpointError) as err:
        checkpoints.load(path)
    assert_names(err, card_path)


def test_weights_of_another_shape(saved):
    """A card whose config does not fit the weights (checksum intact) is a CheckpointError."""
    _, path = saved
    edit_card(path, lambda c: c["config"].update(memory_rows=11))
    with pytest.raises(CheckpointError) as err:
        checkpoints.load(path)
    assert_names(err, path.with_suffix(".safetensors"))


# ---------------------------------------------------------------- load_pretrained

def test_load_pretrained_from_assets(saved, monkeypatch, no_pickle):
    net, path = saved
    monkeypatch.setattr(checkpoints, "ASSETS", path.parent)
    loaded = checkpoints.load_pretrained("m")
    assert not loaded.training
    assert np.array_equal(loaded.run(X).outputs, net.run(X).outputs)


def test_load_pretrained_unknown_name_lists_what_is_available(saved, monkeypatch):
    _, path = saved
    checkpoints.save(make("lstm"), path.parent / "lstm_m", "copy")
    monkeypatch.setattr(checkpoints, "ASSETS", path.parent)
    with pytest.raises(CheckpointError) as err:
        checkpoints.load_pretrained("nope")
    message = str(err.value)
    assert "'nope'" in message and "'m'" in message and "'lstm_m'" in message


def test_load_pretrained_is_exported_from_the_package():
    import model

    assert model.load_pretrained is checkpoints.load_pretrained
    assert model.CheckpointError is CheckpointError
