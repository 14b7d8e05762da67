"""The README's Python example runs as written (as lucidrains/x-transformers tests its README)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from model import checkpoints
from model.ntm import NTM, NTMConfig

ROOT = Path(__file__).resolve().parent.parent


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def run_readme(capsys) -> list[str]:
    for block in python_blocks():
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    return capsys.readouterr().out.splitlines()


def test_readme_has_a_python_example():
    assert len(python_blocks()) >= 1


def test_readme_example_runs_with_the_shipped_model(capsys):
    if not (ROOT / "assets" / "copy.safetensors").exists():
        pytest.skip("assets/copy.safetensors is not shipped yet")
    config = checkpoints.load_pretrained("copy").config
    lines = run_readme(capsys)
    assert lines[0] == "HELLO"  # the README promises the copy comes back
    assert lines[1] == str((2 * 5 + 1, config.heads, config.memory_rows))  # [T, heads, memory rows]


def test_readme_example_runs_with_an_untrained_stand_in(capsys, monkeypatch, tmp_path):
    """The example's code paths work even before the shipped weights exist (the copy is garbage)."""
    torch.manual_seed(0)
    config = NTMConfig(9, 8, controller_size=16, memory_rows=16, memory_width=4)
    checkpoints.save(NTM(config), tmp_path / "copy", "copy")
    monkeypatch.setattr(checkpoints, "ASSETS", tmp_path)
    lines = run_readme(capsys)
    assert len(lines) == 2 and len(lines[0]) == 5  # five decoded characters
    assert lines[1] == str((11, 2, 16))
