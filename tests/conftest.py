"""Shared test settings.

The model tests use tiny tensors: one intra-op thread is faster for them than
several, and keeps the suite light on a machine that is busy with other work.
"""
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seeded_torch():
    """Every test draws the same random tensors: a failure is a bug, never bad luck."""
    torch.manual_seed(0)
