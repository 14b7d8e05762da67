"""The Neural Turing Machine (Graves, Wayne & Danihelka 2014) with a traced `run`.

Notation: B batch, T steps, N memory rows, M row width, R read heads, H heads
(read heads first, then write heads), S = 2*shift_range + 1 shift offsets.

Recurrent state is an immutable `State` passed in and returned; nothing mutable
lives on the module, so one model object can serve many callers at once.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from model import addressing, heads, memory
from model.trace import Trace


@dataclass(frozen=True)
class NTMConfig:
    """Everything that defines an NTM's shape; stored in every checkpoint card."""

    input_size: int
    output_size: int
    controller: str = "lstm"  # "lstm" or "feedforward"
    controller_size: int = 100
    memory_rows: int = 128  # N
    memory_width: int = 20  # M
    read_heads: int = 1
    write_heads: int = 1
    shift_range: int = 1  # offsets -R..+R
    memory_init: str = "constant"  # "constant" (Collier & Beel 2018) or "learned"
    memory_init_value: float = 1e-6

    def __post_init__(self) -> None:
        if self.controller not in ("lstm", "feedforward"):
            raise ValueError(f"controller must be 'lstm' or 'feedforward', not {self.controller!r}")
        if self.memory_init not in ("constant", "learned"):
            raise ValueError(f"memory_init must be 'constant' or 'learned', not {self.memory_init!r}")
        if self.read_heads < 1 or self.write_heads < 1:
            raise ValueError("an NTM needs at least one read head and one write head")

    @property
    def shifts(self) -> int:
        return 2 * self.shift_range + 1

    @property
    def heads(self) -> int:
        return self.read_heads + self.write_heads

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class State(NamedTuple):
    """The recurrent state between steps."""

    controller: tuple[torch.Tensor, torch.Tensor] | None  # LSTM (h, c), each [B,C]; None if feed-forward
    memory: torch.Tensor  # [B,N,M]
    reads: torch.Tensor  # [B,R,M] read vectors of the previous step
    weights: torch.Tensor  # [B,H,N] head weightings of the previous step


class Step(NamedTuple):
    """What one step did, for tracing (references only; cheap to build)."""

    logits: torch.Tensor  # [B,D_out]
    params: list[heads.HeadParams]  # one per head
    stages: list[addressing.Stages]  # one per head
    reads: torch.Tensor  # [B,R,M]
    memory: torch.Tensor  # [B,N,M] after the write


class Run(NamedTuple):
    """What `run` returns: output probabilities [T,D_out] and the full trace."""

    outputs: np.ndarray
    trace: Trace


class NTM(nn.Module):
    def __init__(self, config: NTMConfig):
        super().__init__()
        self.config = config
        c = config
        ctrl_in = c.input_size + c.read_heads * c.memory_width
        if c.controller == "lstm":
            self.controller = nn.LSTMCell(ctrl_in, c.controller_size)
        else:
            self.controller = nn.Sequential(nn.Linear(ctrl_in, c.controller_size), nn.ReLU())
        self.head_kinds = ["read"] * c.read_heads + ["write"] * c.write_heads
        self.head_sizes = [heads.param_size(c.memory_width, c.shifts, k == "write") for k in self.head_kinds]
        self.head_layer = nn.Linear(c.controller_size, sum(self.head_sizes))
        self._tilt_shifts_forward()
        self.output_layer = nn.Linear(c.controller_size + c.read_heads * c.memory_width, c.output_size)
        self.init_reads = nn.Parameter(torch.randn(c.read_heads, c.memory_width) * 0.01)
        if c.memory_init == "learned":
            self.init_memory = nn.Parameter(torch.randn(c.memory_rows, c.memory_width) * 0.01)
        else:
            self.register_buffer("init_memory", torch.full((c.memory_rows, c.memory_width), c.memory_init_value))
        if c.controller == "lstm":
            self.init_h = nn.Parameter(torch.zeros(c.controller_size))
            self.init_c = nn.Parameter(torch.zeros(c.controller_size))
        w0 = torch.zeros(c.heads, c.memory_rows)
        w0[:, 0] = 1.0  # every head starts focused on row 0: normalised, never learned
        self.register_buffer("init_weights", w0)

    @torch.no_grad()
    def _tilt_shifts_forward(self, logit: float = 1.0) -> None:
        """Start every head's shift distribution leaning to offset +1.

        Forward and backward walks are equally good programs; the tilt breaks the tie so
        trained heads walk memory in reading order (row 11, then 12), which is easier to follow.
        """
        c, start = self.config, 0
        for size in self.head_sizes:
            offset_plus_one = start + c.memory_width + 2 + c.shift_range + 1  # after key, beta, gate
            self.head_layer.bias[offset_plus_one] += logit
            start += size

    def initial_state(self, batch: int) -> State:
        ctrl = None
        if self.config.controller == "lstm":
            ctrl = (self.init_h.expand(batch, -1), self.init_c.expand(batch, -1))
        return State(
            controller=ctrl,
            memory=self.init_memory.expand(batch, -1, -1),
            reads=torch.tanh(self.init_reads).expand(batch, -1, -1),
            weights=self.init_weights.expand(batch, -1, -1),
        )

    def _control(self, x: torch.Tensor, state: State):
        """Controller step: returns its output [B,C] and new controller state."""
        inp = torch.cat([x, state.reads.flatten(1)], dim=-1)
        if self.config.controller == "lstm":
            h, c = self.controller(inp, state.controller)
            return h, (h, c)
        return self.controller(inp), None

    def step(self, x: torch.Tensor, state: State, noise: float = 0.0) -> tuple[Step, State]:
        """One time step. Read heads read M_{t-1}; write heads then write M_t.

        `noise` (training only) adds Gaussian noise of that size to the heads' raw
        parameters, so that what the heads learn holds with a margin.
        """
        c = self.config
        out, ctrl = self._control(x, state)
        raw = self.head_layer(out)
        if noise:
            raw = raw + noise * torch.randn_like(raw)
        raw = torch.split(raw, self.head_sizes, dim=-1)
        params, stages, reads = [], [], []
        mem = state.memory
        for i, kind in enumerate(self.head_kinds):
            p = heads.split_params(raw[i], c.memory_width, c.shifts, kind == "write")
            s = addressing.address(mem, state.weights[:, i], p.key, p.beta, p.gate, p.shift, p.gamma)
            if kind == "read":
                reads.append(memory.read(mem, s.final))
            else:
                mem = memory.write(mem, s.final, p.erase, p.add)
            params.append(p)
            stages.append(s)
        reads_t = torch.stack(reads, dim=1)  # [B,R,M]
        logits = self.output_layer(torch.cat([out, reads_t.flatten(1)], dim=-1))
        weights = torch.stack([s.final for s in stages], dim=1)  # [B,H,N]
        return Step(logits, params, stages, reads_t, mem), State(ctrl, mem, reads_t, weights)

    def forward(self, x: torch.Tensor, state: State | None = None, noise: float = 0.0):
        """Batched training path: x [B,T,D_in] -> logits [B,T,D_out], final state. Records nothing."""
        state = self.initial_state(x.shape[0]) if state is None else state
        logits = []
        for t in range(x.shape[1]):
            step, state = self.step(x[:, t], state, noise)
            logits.append(step.logits)
        return torch.stack(logits, dim=1), state

    @torch.no_grad()
    def run(self, inputs) -> Run:
        """Run one sequence inputs [T,D_in]; return probabilities [T,D_out] and a Trace."""
        x = torch.as_tensor(np.asarray(inputs), dtype=torch.float32)
        state = self.initial_state(1)
        steps = []
        for t in range(x.shape[0]):
            step, state = self.step(x[t : t + 1], state)
            steps.append(step)
        trace = Trace.from_steps(x.numpy(), steps, self.head_kinds, self.init_memory.detach().numpy(),
                                 self.init_weights.detach().numpy())
        return Run(trace.outputs, trace)
