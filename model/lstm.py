"""The LSTM baseline: no explicit memory, the same input/output contract as the NTM.

Notation: B batch, T steps, L layers, H hidden units.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class LSTMConfig:
    input_size: int
    output_size: int
    hidden_size: int = 256
    layers: int = 3

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class LSTMRun(NamedTuple):
    outputs: np.ndarray  # [T,D_out] probabilities
    hidden: np.ndarray  # [T,L,H] hidden state after each step
    cell: np.ndarray  # [T,L,H] cell state after each step


class LSTMBaseline(nn.Module):
    def __init__(self, config: LSTMConfig):
        super().__init__()
        self.config = config
        self.lstm = nn.LSTM(config.input_size, config.hidden_size, config.layers, batch_first=True)
        self.output_layer = nn.Linear(config.hidden_size, config.output_size)

    def forward(self, x: torch.Tensor, state=None):
        """x [B,T,D_in] -> logits [B,T,D_out], final (h, c) each [L,B,H]."""
        out, state = self.lstm(x, state)
        return self.output_layer(out), state

    @torch.no_grad()
    def run(self, inputs) -> LSTMRun:
        """One sequence [T,D_in] -> probabilities and the hidden/cell state of every step."""
        x = torch.as_tensor(np.asarray(inputs), dtype=torch.float32)[None]  # [1,T,D]
        state, outs, hs, cs = None, [], [], []
        for t in range(x.shape[1]):
            logits, state = self(x[:, t : t + 1], state)
            outs.append(torch.sigmoid(logits[0, 0]))
            hs.append(state[0][:, 0])
            cs.append(state[1][:, 0])
        return LSTMRun(torch.stack(outs).numpy(), torch.stack(hs).numpy(), torch.stack(cs).numpy())
