"""Snapshots along training, chosen where the behaviour changes (Watch-it-learn page)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np


def choose(snapshots: list, count: int) -> list:
    """From [updates, sequences, val loss] rows pick `count`, evenly spaced in log val loss.

    Always keeps the first (untrained) and the last; spacing by loss rather than by
    time puts the snapshots where the behaviour changes fastest.
    """
    if len(snapshots) <= count:
        return list(snapshots)
    logs = np.log(np.array([s[2] for s in snapshots]) + 1e-6)
    targets = np.linspace(logs[0], logs.min(), count)
    picked: list[int] = []
    for target in targets:
        order = np.argsort(np.abs(logs - target))
        picked.append(next(int(i) for i in order if int(i) not in picked))
    return [snapshots[i] for i in sorted(picked)]


def publish(src: Path, progress, dest: Path, count: int, training: dict) -> None:
    """Copy the chosen snapshots to dest with an index and the loss curve."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    chosen = choose(progress.snapshots, count)
    for updates, _, _ in chosen:
        for ext in (".safetensors", ".json"):
            shutil.copy(src / f"{updates:06d}{ext}", dest / f"{updates:06d}{ext}")
    index = dict(training=training,
                 snapshots=[dict(file=f"{u:06d}", updates=u, sequences=s, val_loss=l) for u, s, l in chosen],
                 curve=dict(columns=["sequences", "train_loss", "val_loss", "val_in_range_bit_errors"],
                            rows=progress.curve))
    (dest / "index.json").write_text(json.dumps(index, indent=1))
