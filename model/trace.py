"""`Trace`: what one run of an NTM did, step by step, as NumPy arrays.

Notation: T steps, H heads (read heads first, then write heads), W write heads,
R read heads, N memory rows, M row width, S shift offsets.
Saved to and loaded from a NumPy `.npz` file without pickling, losslessly.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ARRAY_FIELDS = (
    "inputs", "outputs", "initial_memory", "initial_weights", "memory", "reads",
    "key", "beta", "gate", "shift", "gamma", "erase", "add",
    "content", "gated", "shifted", "weights",
)


@dataclass(frozen=True, eq=False)
class Trace:
    inputs: np.ndarray  # [T,D_in]
    outputs: np.ndarray  # [T,D_out] probabilities
    initial_memory: np.ndarray  # [N,M] memory before step 0
    initial_weights: np.ndarray  # [H,N] head weightings before step 0 (w_{-1})
    memory: np.ndarray  # [T,N,M] memory after the write of step t
    reads: np.ndarray  # [T,R,M] read vectors
    key: np.ndarray  # [T,H,M]
    beta: np.ndarray  # [T,H]
    gate: np.ndarray  # [T,H]
    shift: np.ndarray  # [T,H,S] weights of offsets -R..+R
    gamma: np.ndarray  # [T,H]
    erase: np.ndarray  # [T,W,M]
    add: np.ndarray  # [T,W,M]
    content: np.ndarray  # [T,H,N] w^c
    gated: np.ndarray  # [T,H,N] w^g
    shifted: np.ndarray  # [T,H,N] w~
    weights: np.ndarray  # [T,H,N] final w
    head_kinds: tuple[str, ...]  # "read" / "write" per head

    @property
    def steps(self) -> int:
        return self.inputs.shape[0]

    def heads_of(self, kind: str) -> list[int]:
        """Indices (into the H axis) of the heads of one kind."""
        return [i for i, k in enumerate(self.head_kinds) if k == kind]

    def memory_before(self, t: int) -> np.ndarray:
        """Memory [N,M] as step t found it (after the write of step t-1)."""
        return self.initial_memory if t == 0 else self.memory[t - 1]

    def weights_before(self, t: int) -> np.ndarray:
        """Head weightings [H,N] as step t found them (w_{t-1})."""
        return self.initial_weights if t == 0 else self.weights[t - 1]

    @classmethod
    def from_steps(cls, inputs, steps, head_kinds, initial_memory, initial_weights) -> "Trace":
        """Build from the model's per-step records (batch of 1)."""
        def stack(get):
            return np.stack([get(s) for s in steps]).astype(np.float32)

        def per_head(get, kinds=("read", "write")):
            idx = [i for i, k in enumerate(head_kinds) if k in kinds]
            return stack(lambda s: np.stack([get(s, i) for i in idx]))

        return cls(
            inputs=np.asarray(inputs, dtype=np.float32),
            outputs=stack(lambda s: _np(s.logits.sigmoid())),
            initial_memory=np.asarray(initial_memory, dtype=np.float32),
            initial_weights=np.asarray(initial_weights, dtype=np.float32),
            memory=stack(lambda s: _np(s.memory)),
            reads=stack(lambda s: _np(s.reads)),
            key=per_head(lambda s, i: _np(s.params[i].key)),
            beta=per_head(lambda s, i: _np(s.params[i].beta)[0]),
            gate=per_head(lambda s, i: _np(s.params[i].gate)[0]),
            shift=per_head(lambda s, i: _np(s.params[i].shift)),
            gamma=per_head(lambda s, i: _np(s.params[i].gamma)[0]),
            erase=per_head(lambda s, i: _np(s.params[i].erase), ("write",)),
            add=per_head(lambda s, i: _np(s.params[i].add), ("write",)),
            content=per_head(lambda s, i: _np(s.stages[i].content)),
            gated=per_head(lambda s, i: _np(s.stages[i].gated)),
            shifted=per_head(lambda s, i: _np(s.stages[i].shifted)),
            weights=per_head(lambda s, i: _np(s.stages[i].final)),
            head_kinds=tuple(head_kinds),
        )

    def save(self, path: str | Path) -> None:
        arrays = {name: getattr(self, name) for name in ARRAY_FIELDS}
        np.savez_compressed(path, head_kinds=np.array(self.head_kinds, dtype=str), **arrays)

    @classmethod
    def load(cls, path: str | Path) -> "Trace":
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in ARRAY_FIELDS}
            kinds = tuple(str(k) for k in data["head_kinds"])
        return cls(head_kinds=kinds, **arrays)

    def equals(self, other: "Trace") -> bool:
        """Exact equality of every array and the head kinds."""
        return self.head_kinds == other.head_kinds and all(
            np.array_equal(getattr(self, f), getattr(other, f)) for f in ARRAY_FIELDS
        )


def _np(t) -> np.ndarray:
    """First batch item of a tensor as a NumPy array."""
    return t[0].detach().cpu().numpy()
