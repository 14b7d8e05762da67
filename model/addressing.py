"""Addressing by content and by location, Graves, Wayne & Danihelka 2014, §3.3.

Notation: B batch, N memory rows, M row width, S = 2R+1 shift offsets.
Every function is pure and batch-first; the model, the tests and the Addressing
lab all call these same functions.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

EPS = 1e-8  # keeps the cosine finite for all-zero rows or keys
TINY = 1e-30  # floor before the log in sharpening, so underflowed weights stay finite


class Stages(NamedTuple):
    """Every stage of one head's addressing at one step, each [B,N]."""

    content: torch.Tensor
    gated: torch.Tensor
    shifted: torch.Tensor
    final: torch.Tensor


def cosine_similarity(memory: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
    """K[u, v] = u·v / (|u| |v|) between each row of memory [B,N,M] and key [B,M] (eq. 6)."""
    dot = torch.einsum("bnm,bm->bn", memory, key)  # [B,N]
    row_norm = torch.sqrt((memory * memory).sum(-1) + EPS)  # [B,N]
    key_norm = torch.sqrt((key * key).sum(-1, keepdim=True) + EPS)  # [B,1]
    return dot / (row_norm * key_norm)


def content_weights(memory: torch.Tensor, key: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """w^c_t(i) = softmax_i(beta_t K[k_t, M_t(i)]) (eq. 5). Returns [B,N]."""
    return torch.softmax(beta * cosine_similarity(memory, key), dim=-1)


def interpolate(w_content: torch.Tensor, w_prev: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
    """w^g_t = g_t w^c_t + (1 - g_t) w_{t-1} (eq. 7). Returns [B,N]."""
    return gate * w_content + (1.0 - gate) * w_prev


def shift(w: torch.Tensor, shift_weights: torch.Tensor) -> torch.Tensor:
    """Circular convolution w~_t(i) = sum_j w^g_t(j) s_t(i - j) (eq. 8).

    shift_weights [B,S] hold offsets -R..+R; column R is offset 0, and all mass on
    offset +1 moves the focus from row i to row i+1. Vectorised: one roll per offset.
    """
    radius = (shift_weights.shape[-1] - 1) // 2
    rolled = torch.stack([torch.roll(w, k - radius, dims=-1) for k in range(2 * radius + 1)], dim=1)
    return torch.einsum("bsn,bs->bn", rolled, shift_weights)  # [B,N]


def sharpen(w: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    """w_t(i) = w~_t(i)^gamma / sum_j w~_t(j)^gamma (eq. 9), computed in log space.

    A softmax of gamma * log(w) equals the normalised power but stays finite for
    large gamma and for weights that underflow to zero.
    """
    return torch.softmax(gamma * torch.log(w.clamp_min(TINY)), dim=-1)


def address(
    memory: torch.Tensor,
    w_prev: torch.Tensor,
    key: torch.Tensor,
    beta: torch.Tensor,
    gate: torch.Tensor,
    shift_weights: torch.Tensor,
    gamma: torch.Tensor,
) -> Stages:
    """The whole pipeline of Figure 2: content -> gated -> shifted -> sharpened."""
    content = content_weights(memory, key, beta)
    gated = interpolate(content, w_prev, gate)
    shifted = shift(gated, shift_weights)
    return Stages(content, gated, shifted, sharpen(shifted, gamma))
