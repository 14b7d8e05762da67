"""Weights as safetensors with a JSON card beside them; nothing is ever unpickled.

A card holds: name, kind ("ntm" or "lstm"), task, config, training (how it was
trained), evaluation (figures), and the sha256 of the weights file.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from model.lstm import LSTMBaseline, LSTMConfig
from model.ntm import NTM, NTMConfig

ASSETS = Path(os.environ.get("NTM_ASSETS", Path(__file__).resolve().parent.parent / "assets"))
KINDS = {"ntm": (NTM, NTMConfig), "lstm": (LSTMBaseline, LSTMConfig)}


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, unreadable, truncated or does not match its card."""


def kind_of(model) -> str:
    return "ntm" if isinstance(model, NTM) else "lstm"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save(model, path: str | Path, task: str, training: dict | None = None, evaluation: dict | None = None) -> dict:
    """Write <path>.safetensors and <path>.json; return the card."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = path.with_suffix(".safetensors")
    tensors = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    save_file(tensors, str(weights))
    card = {
        "name": path.stem,
        "kind": kind_of(model),
        "task": task,
        "config": model.config.to_dict(),
        "training": training or {},
        "evaluation": evaluation or {},
        "weights": weights.name,
        "sha256": sha256(weights),
    }
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def read_card(path: str | Path) -> dict:
    card_path = Path(path).with_suffix(".json")
    try:
        card = json.loads(card_path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"the model card {card_path} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"the model card {card_path} is not valid JSON ({err})") from None
    if not isinstance(card, dict):
        raise CheckpointError(f"the model card {card_path} is not a JSON object")
    return card


def load(path: str | Path):
    """Load <path>.safetensors after checking it against <path>.json; eval mode."""
    path = Path(path)
    card = read_card(path)
    weights = path.with_suffix(".safetensors")
    if not weights.exists():
        raise CheckpointError(f"the weights file {weights} is missing")
    if sha256(weights) != card.get("sha256"):
        raise CheckpointError(f"the weights file {weights} does not match the checksum in its card: "
                              "it was changed or truncated")
    model = _build(card, path)
    try:
        model.load_state_dict(load_file(str(weights)))
    except (SafetensorError, RuntimeError, OSError) as err:
        raise CheckpointError(f"the weights file {weights} cannot be read: {err}") from None
    return model.eval()


def _build(card: dict, path: Path):
    try:
        module, config_cls = KINDS[card["kind"]]
        return module(config_cls(**card["config"]))
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"the model card {path.with_suffix('.json')} does not describe a model: {err}") from None


def load_pretrained(name: str):
    """A shipped model from assets/, e.g. "copy", "repeat_copy", "associative_recall", "lstm_copy"."""
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name or ""):
        raise CheckpointError(f"{name!r} is not a model name: use letters, digits, '_' or '-'")
    path = ASSETS / name
    if not path.with_suffix(".json").exists():
        available = sorted(p.stem for p in ASSETS.glob("*.safetensors"))
        raise CheckpointError(f"no pretrained model named {name!r} in {ASSETS}; available: {available}")
    return load(path)
