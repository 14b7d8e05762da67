"""Speed figures for the NTM: `python benchmarks/speed.py [--seconds 10] [--threads N]`.

Prints, for the copy task with the shipped configuration (NTMConfig(9, 8), controller 100,
memory 128 x 20, one read and one write head):

- training throughput (sequences/s) of one batched forward + backward + Adam step, as
  `python -m model.train` does it (random lengths 1-20, gradient clip 10), at batch 1 and 32;
- the same batch of 32 done as 32 separate batch-1 passes (a per-item loop), the baseline
  that shows what vectorising over the batch gains;
- the latency of `run` with the full trace on a length-20 copy (median of several), beside a
  plain no-grad forward of the same sequence, to show what tracing costs.

Figures depend on the machine and on whatever else is running; nothing is asserted.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import torch

from model import tasks
from model.ntm import NTM, NTMConfig
from model.train import masked_loss

LENGTHS = (1, 20)  # training draws copy lengths from this range, as model.train does
CLIP = 10.0


def build(seed: int = 0) -> tuple[NTM, torch.optim.Optimizer]:
    torch.manual_seed(seed)
    net = NTM(NTMConfig(9, 8, controller_size=100))
    return net, torch.optim.Adam(net.parameters(), lr=1e-3)  # the learning rate does not change the speed


def batched_update(net, opt, batch) -> None:
    """One training update exactly as model.train.Trainer.update does it."""
    logits, _ = net(batch.inputs)
    loss = masked_loss(logits, batch)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), CLIP)
    opt.step()


def per_item_update(net, opt, batch) -> None:
    """The same update (same mean loss, same gradient) as B separate batch-1 passes."""
    size = batch.inputs.shape[0]
    opt.zero_grad()
    for b in range(size):
        item = tasks.Batch(batch.inputs[b : b + 1], batch.targets[b : b + 1], batch.mask)
        logits, _ = net(item.inputs)
        (masked_loss(logits, item) / size).backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), CLIP)
    opt.step()


def throughput(update, batch_size: int, seconds: float, warmup: int, seed: int = 0) -> list[float]:
    """Time `update` for about `seconds`; return the seconds of each timed update.

    Every call draws the same sequence of lengths, so the first k updates of two calls
    see the same lengths and their times compare directly.
    """
    net, opt = build(seed)
    length_rng = np.random.default_rng(seed)  # its own generator: every row sees the same lengths
    data_rng = np.random.default_rng(seed + 1)

    def sample():
        length = int(length_rng.integers(LENGTHS[0], LENGTHS[1] + 1))
        return tasks.sample_batch("copy", data_rng, batch_size, length)

    for _ in range(warmup):
        update(net, opt, sample())
    times: list[float] = []
    while sum(times) < seconds:
        batch = sample()  # data generation is not timed
        start = time.perf_counter()
        update(net, opt, batch)
        times.append(time.perf_counter() - start)
    return times


def latency(fn, repeats: int) -> float:
    """Median wall time of fn() in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0, help="timed seconds per throughput figure")
    p.add_argument("--warmup", type=int, default=3, help="untimed updates before each throughput figure")
    p.add_argument("--repeats", type=int, default=15, help="calls per latency figure (median)")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}")
    print(f"NTM copy task, controller 100 (LSTM), memory 128 x 20, lengths {LENGTHS[0]}-{LENGTHS[1]}, "
          f"~{a.seconds:g} s timed per row\n")

    rows = []
    for label, update, size in [("batched, batch 1", batched_update, 1),
                                ("batched, batch 32", batched_update, 32),
                                ("per-item loop, 32 x batch 1", per_item_update, 32)]:
        times = throughput(update, size, a.seconds, a.warmup)
        rows.append((label, len(times) * size / sum(times), times))
    width = max(len(r[0]) for r in rows)
    print(f"{'training step (fwd+bwd+Adam)':<{width}}  {'sequences/s':>11}  {'updates':>7}")
    for label, rate, times in rows:
        print(f"{label:<{width}}  {rate:>11.1f}  {len(times):>7d}")
    matched = len(rows[2][2])  # the per-item loop's updates saw the same lengths as the batched run's first ones
    gain = sum(rows[2][2]) / sum(rows[1][2][:matched])
    print(f"vectorisation gain at batch 32 (per-item loop time / batched time, same {matched} batches): "
          f"{gain:.1f}x\n")

    net, _ = build()
    net.eval()
    example = tasks.random_copy(seed=0, length=20)  # 41 steps
    x = torch.from_numpy(example.inputs)[None]

    def forward_only():
        with torch.no_grad():
            net(x)

    traced = latency(lambda: net.run(example.inputs), a.repeats)
    plain = latency(forward_only, a.repeats)
    print(f"{'inference, length-20 copy (41 steps)':<38}  {'median ms':>9}")
    print(f"{'run() with the full trace':<38}  {traced:>9.1f}")
    print(f"{'forward(), no grad, no trace':<38}  {plain:>9.1f}")
    print(f"tracing overhead: {traced / plain:.2f}x (median of {a.repeats})")


if __name__ == "__main__":
    main()
