"""How a head turns the controller's output into its parameters (Graves et al. 2014, §3.3).

Notation: B batch, M row width, S = 2R+1 shift offsets. All activations live here:
key tanh, beta softplus, gate sigmoid, shift softmax, gamma 1 + softplus,
erase sigmoid, add tanh. Raw outputs are clipped to +-CLIP first (Collier & Beel 2018).
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

CLIP = 20.0


class HeadParams(NamedTuple):
    """One head's parameters at one step. erase/add are None for a read head."""

    key: torch.Tensor  # [B,M]
    beta: torch.Tensor  # [B,1]
    gate: torch.Tensor  # [B,1]
    shift: torch.Tensor  # [B,S]
    gamma: torch.Tensor  # [B,1]
    erase: torch.Tensor | None  # [B,M]
    add: torch.Tensor | None  # [B,M]


def param_size(width: int, shifts: int, is_write: bool) -> int:
    """How many raw controller outputs one head needs."""
    return width + 3 + shifts + (2 * width if is_write else 0)


def split_params(raw: torch.Tensor, width: int, shifts: int, is_write: bool) -> HeadParams:
    """Slice raw [B, param_size] into activated head parameters."""
    raw = raw.clamp(-CLIP, CLIP)
    sizes = [width, 1, 1, shifts, 1] + ([width, width] if is_write else [])
    parts = torch.split(raw, sizes, dim=-1)
    key, beta, gate, shift, gamma = parts[:5]
    erase, add = (torch.sigmoid(parts[5]), torch.tanh(parts[6])) if is_write else (None, None)
    return HeadParams(
        key=torch.tanh(key),
        beta=F.softplus(beta),
        gate=torch.sigmoid(gate),
        shift=torch.softmax(shift, dim=-1),
        gamma=1.0 + F.softplus(gamma),
        erase=erase,
        add=add,
    )
