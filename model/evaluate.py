"""Evaluate every shipped model on fresh seeds: `python -m model.evaluate`.

Writes assets/eval/<name>.json with bit error against sequence length (and against
repeats / items), and for NTMs how crisp the addressing is. Each row records the
seed and count it used, so any row can be recomputed exactly.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from model import checkpoints, tasks
from model.ntm import NTM

EVAL_SEED = 7_000_000  # far from the training and validation seeds
CHUNK = 100  # sequences per forward pass


def grid(task: str, sequences: int) -> list[tuple[int, int, int, bool]]:
    """(size, repeats, count, in training range) rows for a task."""
    if task == "copy":
        short = [(n, 1, max(sequences // 20, 1), True) for n in range(1, 21)]
        return short + [(n, 1, sequences // 10, False) for n in (30, 40, 60, 80, 100, 120)]
    if task == "repeat_copy":
        rows = [(n, r, max(sequences // 25, 1), True) for n in (1, 4, 7, 10) for r in (1, 4, 7, 10)]
        return rows + [(n, r, sequences // 20, False) for n, r in ((20, 5), (20, 10), (10, 15), (10, 20), (20, 20))]
    items = [(n, 1, max(sequences // 5, 1), True) for n in range(2, 7)]
    return items + [(n, 1, sequences // 10, False) for n in (8, 10, 12)]


def row_seed(size: int, repeats: int) -> int:
    return EVAL_SEED + 1000 * size + repeats


@torch.no_grad()
def wrong_bits(net, task: str, size: int, repeats: int, count: int, seed: int) -> np.ndarray:
    """Wrong bits of each of `count` fresh sequences [count]."""
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, count, CHUNK):
        batch = tasks.sample_batch(task, rng, min(CHUNK, count - start), size, repeats)
        logits, _ = net(batch.inputs)
        m = batch.mask
        wrong = (logits[:, m] > 0) != (batch.targets[:, m] > 0.5)
        out.append(wrong.flatten(1).sum(1).numpy())
    return np.concatenate(out)


@torch.no_grad()
def inexact(net, batch: tasks.Batch) -> int:
    """How many sequences of a batch have at least one wrong bit."""
    logits, _ = net(batch.inputs)
    wrong = (logits[:, batch.mask] > 0) != (batch.targets[:, batch.mask] > 0.5)
    return int(wrong.flatten(1).any(1).sum())


def every_short_copy(net, longest: int = 2, chunk: int = 8192) -> dict:
    """Copy: every input of lengths 1..longest (65,792 for 2), with how many are not copied exactly."""
    rows = []
    for length in range(1, longest + 1):
        seqs = tasks.every_sequence(length)
        bad = sum(inexact(net, tasks.copy_batch(seqs[i:i + chunk]))
                  for i in range(0, len(seqs), chunk))
        rows.append(dict(length=length, sequences=len(seqs), inexact=bad))
    return dict(rows=rows, sequences=sum(r["sequences"] for r in rows), inexact=sum(r["inexact"] for r in rows))


def in_range_sweep(net, task: str = "repeat_copy", count: int = 100) -> dict:
    """Repeat copy: `count` fresh sequences in every (length, repeats) cell of the training range
    (10,000 for 100), with the cells where any sequence is not reproduced exactly."""
    grid = [(size, reps) for size in range(1, 11) for reps in range(1, 11)]  # the paper's training range
    cells = []
    for size, reps in grid:
        rng = np.random.default_rng(row_seed(size, reps) + SWEEP_OFFSET)
        bad = inexact(net, tasks.sample_batch(task, rng, count, size, reps))
        cells += [[size, reps, bad]] if bad else []
    return dict(per_cell=count, sequences=count * len(grid), inexact=sum(c[2] for c in cells), inexact_cells=cells)


SWEEP_OFFSET = 500_000  # the sweep's seeds differ from the rows'


def error_row(net, task: str, size: int, repeats: int, count: int, in_range: bool) -> dict:
    seed = row_seed(size, repeats)
    wrong = wrong_bits(net, task, size, repeats, count, seed)
    example = tasks.sample_batch(task, np.random.default_rng(0), 1, size, repeats)
    bits = int(example.mask.sum()) * example.targets.shape[-1]
    return dict(size=size, repeats=repeats, sequences=count, seed=seed, in_range=in_range,
                bits_per_sequence=bits, mean_wrong_bits=float(wrong.mean()),
                bit_error_rate=float(wrong.mean() / bits), max_wrong_bits=int(wrong.max()),
                exact_share=float((wrong == 0).mean()))


@torch.no_grad()
def write_weights(net: NTM, inputs: torch.Tensor) -> torch.Tensor:
    """Final weighting of the first write head at every step, batched: [B,T,N]."""
    head = net.head_kinds.index("write")
    state, out = net.initial_state(inputs.shape[0]), []
    for t in range(inputs.shape[1]):
        step, state = net.step(inputs[:, t], state)
        out.append(step.stages[head].final)
    return torch.stack(out, dim=1)


def crispness(net: NTM, length: int = 20, count: int = 100, seed: int = EVAL_SEED + 1) -> dict:
    """Copy: mean largest write weight per input step; share of consecutive-row writes."""
    batch = tasks.sample_batch("copy", np.random.default_rng(seed), count, length)
    w = write_weights(net, batch.inputs)[:, :length]  # the steps that store the sequence
    focus = w.argmax(-1)  # [B,L]
    nxt = (focus[:, 1:] - focus[:, :-1]) % net.config.memory_rows == 1
    return dict(length=length, sequences=count, seed=seed,
                mean_max_write_weight=float(w.max(-1).values.mean()),
                consecutive_write_share=float(nxt.float().mean()))


def evaluate_model(name: str, sequences: int) -> dict:
    card = checkpoints.read_card(checkpoints.ASSETS / name)
    net = checkpoints.load(checkpoints.ASSETS / name)
    task, started = card["task"], time.time()
    rows = [error_row(net, task, s, r, c, ok) for s, r, c, ok in grid(task, sequences)]
    result = dict(name=name, kind=card["kind"], task=task, sha256=card["sha256"], rows=rows)
    if task == "copy" and isinstance(net, NTM):
        result["crispness"] = crispness(net)
    if task == "copy":
        result["every_short_input"] = every_short_copy(net)
    if task == "repeat_copy":
        result["in_range_sweep"] = in_range_sweep(net)
    result["seconds"] = round(time.time() - started, 1)
    return result


def shipped() -> list[str]:
    return sorted(p.stem for p in checkpoints.ASSETS.glob("*.safetensors"))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m model.evaluate", description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", help="names in assets/ (default: every shipped model)")
    p.add_argument("--sequences", type=int, default=1000, help="sequences per task range (>= 1000 for copy 1-20)")
    p.add_argument("--out", type=Path, default=checkpoints.ASSETS / "eval")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.models or shipped():
        result = evaluate_model(name, args.sequences)
        (args.out / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
        print(summary(result))


def summary(result: dict) -> str:
    lines = [f"{result['name']} ({result['kind']}, {result['task']}), {result['seconds']} s"]
    for r in result["rows"]:
        lines.append(f"  size {r['size']:>3} x{r['repeats']:<2} {'in ' if r['in_range'] else 'out'} "
                     f"n={r['sequences']:<4} wrong bits/seq {r['mean_wrong_bits']:8.3f} "
                     f"rate {100 * r['bit_error_rate']:7.3f}% exact {100 * r['exact_share']:5.1f}%")
    if "every_short_input" in result:
        e = result["every_short_input"]
        lines.append(f"  every input of length 1-2: {e['inexact']} of {e['sequences']:,} not copied exactly")
    if "in_range_sweep" in result:
        e = result["in_range_sweep"]
        lines.append(f"  every (length, repeats) cell of the training range, {e['per_cell']} each: {e['inexact']} of "
                     f"{e['sequences']:,} not reproduced exactly {e['inexact_cells'] or ''}")
    if "crispness" in result:
        c = result["crispness"]
        lines.append(f"  crispness: mean max write weight {c['mean_max_write_weight']:.3f}, "
                     f"consecutive writes {100 * c['consecutive_write_share']:.1f}%")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
