"""Reading and writing, Graves, Wayne & Danihelka 2014, §3.1–3.2.

Notation: B batch, N memory rows, M row width. Both functions are pure: they
return new tensors and never change their arguments.
"""
from __future__ import annotations

import torch


def read(memory: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """r_t = sum_i w_t(i) M_t(i) (eq. 2). memory [B,N,M], w [B,N] -> [B,M]."""
    return torch.einsum("bn,bnm->bm", w, memory)


def write(memory: torch.Tensor, w: torch.Tensor, erase: torch.Tensor, add: torch.Tensor) -> torch.Tensor:
    """Erase then add (eqs. 3–4): M_t(i) = M_{t-1}(i) [1 - w_t(i) e_t] + w_t(i) a_t.

    memory [B,N,M], w [B,N], erase [B,M] in [0,1], add [B,M] -> [B,N,M].
    """
    w = w.unsqueeze(-1)  # [B,N,1]
    erased = memory * (1.0 - w * erase.unsqueeze(1))
    return erased + w * add.unsqueeze(1)
