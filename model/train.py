"""Train an NTM or the LSTM baseline on one task: `python -m model.train --task copy`.

Seeded, batched (vectorised over the batch), resumable. Validates periodically on
fixed sequences that include lengths longer than training, keeps the checkpoint
that generalises best, and writes assets/<name>.safetensors with its JSON card.
For copy it also keeps snapshots along training for the Watch-it-learn page.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from model import checkpoints, evaluate, tasks
from model.lstm import LSTMBaseline, LSTMConfig
from model.ntm import NTM, NTMConfig

BEYOND_BAR = 0.0005  # copy: at most 0.05 % wrong bits at lengths 40, 80 and 120

# task -> (input size, output size, training sizes, training repeats, validation sets)
# a validation set is (size, repeats, in_range); beyond_bar: the most error rate allowed beyond the
# training range (copy); without one, the error there is only reported (repeat copy, recall)
TASKS = {
    "copy": dict(io=(9, 8), sizes=(1, 20), repeats=(1, 1), curriculum=None, blank_share=0.1, short_inputs=True,
                 beyond_bar=BEYOND_BAR, train_rows=24,
                 val=[(8, 1, True), (14, 1, True), (20, 1, True), (40, 1, False), (80, 1, False), (120, 1, False)]),
    "repeat_copy": dict(io=(10, 9), sizes=(1, 10), repeats=(1, 10), curriculum="repeats", patience=12, blank_share=0.05,
                        val=[(10, 10, True), (5, 5, True), (20, 10, False), (10, 20, False)],
                        # the large check also covers the edges of the range, where errors linger longest
                        edge=[(size, 10, True) for size in range(1, 11)] + [(10, reps, True) for reps in range(1, 10)]),
    "associative_recall": dict(io=(8, 6), sizes=(2, 6), repeats=(1, 1), curriculum=None,
                               val=[(6, 1, True), (3, 1, True), (12, 1, False)]),
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m model.train", description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=sorted(TASKS), default="copy")
    p.add_argument("--model", choices=["ntm", "lstm"], default="ntm")
    p.add_argument("--name", help="checkpoint name (default: the task, or lstm_<task>)")
    p.add_argument("--out", type=Path, default=checkpoints.ASSETS, help="folder for the checkpoint")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--optimizer", choices=["adam", "rmsprop"], default="adam")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lr-decay", type=float, default=0.3,
                   help="multiply the learning rate by this once the task is first solved (steadies it)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--clip", type=float, default=10.0, help="gradient-norm clip")
    p.add_argument("--head-noise", type=float, default=0.5,
                   help="Gaussian noise on the heads' raw parameters while training (robust margins; NTM only)")
    p.add_argument("--controller-noise", type=float, default=2.0,
                   help="while training, start each sequence from the controller's learned start state plus "
                        "Gaussian noise of a random size up to this (cell; 0.3x for the hidden state; NTM only)")
    p.add_argument("--train-rows", type=int, default=None,
                   help="while training, give each batch the first n rows of memory, n drawn from this..N, so that "
                        "writing past the end wraps onto rows still to be read (copy default 24; 0: always all N)")
    p.add_argument("--blank-share", type=float, default=None,
                   help="share of training input vectors made all-zero (copy 0.1, repeat copy 0.05): a blank "
                        "vector looks like the silent steps after the delimiter and is otherwise rare")
    p.add_argument("--top-share", type=float, default=0.0,
                   help="share of training batches drawn at the top of the range in one dimension, chosen at random "
                        "(the longest length, or for repeat copy the most repeats), where errors linger longest")
    p.add_argument("--hard-mining", type=int, default=1,
                   help="draw this many times the batch and train on the batch-size sequences with the smallest "
                        "margin (for polishing a model whose rare errors sit in the tail; 1: off)")
    p.add_argument("--polish", type=int, default=400,
                   help="updates without head noise after the task is solved, to sharpen the outputs")
    p.add_argument("--curriculum", action=argparse.BooleanOptionalAction, default=None,
                   help="grow the task's hardest dimension (lengths for copy, repeats for repeat copy) "
                        "as the model masters easier ones (default: on for repeat copy only)")
    p.add_argument("--curriculum-loss", type=float, default=0.05,
                   help="training loss below which the curriculum takes its next step")
    p.add_argument("--minutes", type=float, default=10.0, help="wall-time budget")
    p.add_argument("--max-updates", type=int, default=100_000)
    p.add_argument("--val-every", type=int, default=50, help="updates between validations")
    p.add_argument("--patience", type=int, default=None,
                   help="validations without a better validation loss before the learning rate halves "
                        "(0: never; default 12 for repeat copy, 0 otherwise)")
    p.add_argument("--val-batch", type=int, default=32)
    p.add_argument("--solved-streak", type=int, default=2,
                   help="large validations in a row that must meet the bars before stopping")
    p.add_argument("--stop-when-solved", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--resume", action="store_true", help="continue from <out>/<name>.train/")
    p.add_argument("--resume-lr", type=float, default=None,
                   help="with --resume: continue at this learning rate instead of the saved one")
    p.add_argument("--snapshots", type=int, default=None, help="snapshots to keep (default 10 for copy, 0 else)")
    p.add_argument("--controller-size", type=int, default=None)
    p.add_argument("--lstm-layers", type=int, default=3)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (1 is fastest for these small tensors)")
    return p.parse_args(argv)


def build_model(args):
    d_in, d_out = TASKS[args.task]["io"]
    if args.model == "lstm":
        return LSTMBaseline(LSTMConfig(d_in, d_out, args.controller_size or 256, args.lstm_layers))
    return NTM(NTMConfig(d_in, d_out, controller_size=args.controller_size or 100))


def masked_loss(logits, batch):
    m = batch.mask
    return torch.nn.functional.binary_cross_entropy_with_logits(logits[:, m], batch.targets[:, m])


def bit_errors(logits, batch) -> float:
    """Mean wrong bits per sequence."""
    m = batch.mask
    wrong = ((logits[:, m] > 0) != (batch.targets[:, m] > 0.5)).float()
    return wrong.sum().item() / logits.shape[0]


def validation_sets(task: str, batch: int, seed: int = 10_000, edge: int = 0):
    """Fixed validation batches, never drawn from the training generator; with `edge`, also that many
    sequences in each of the task's cells at the edges of its training range."""
    rng = np.random.default_rng(seed)
    cells = [(*cell, batch) for cell in TASKS[task]["val"]] + [(*cell, edge) for cell in TASKS[task].get("edge", [])]
    return [(size, reps, in_range, tasks.sample_batch(task, rng, n, size, reps))
            for size, reps, in_range, n in cells if n]


@torch.no_grad()
def validate(model, sets, beyond_bar: float | None = BEYOND_BAR) -> dict:
    """Bit errors on the validation sets. The score ranks checkpoints: wrong bits per sequence in
    the training range, plus the error rate beyond it; where beyond the range is only reported
    (beyond_bar None), that rate only breaks ties."""
    rows = []
    for size, reps, in_range, batch in sets:
        logits, _ = model(batch.inputs)
        bits = int(batch.mask.sum()) * batch.targets.shape[-1]
        err = bit_errors(logits, batch)
        rows.append(dict(size=size, repeats=reps, in_range=in_range, loss=masked_loss(logits, batch).item(),
                         bit_errors=err, bit_error_rate=err / bits))
    in_range = max(r["bit_errors"] for r in rows if r["in_range"])
    beyond = max((r["bit_error_rate"] for r in rows if not r["in_range"]), default=0.0)
    return dict(rows=rows, in_range_errors=in_range, beyond_rate=beyond,
                loss=float(np.mean([r["loss"] for r in rows if r["in_range"]])),
                score=in_range + (beyond if beyond_bar is not None else 1e-3 * beyond))


def short_inputs() -> list[tasks.Batch]:
    """Copy: every input of length 1, and every one of length 2 with a blank or one-bit byte (4,783 in all).

    These are where a model most easily takes a sparse byte (a space is 00100000) for the end of the
    input; a random sample rarely holds them. Checking all 65,792 inputs of lengths 1-2 takes 17 s,
    too long to repeat during training; `model.evaluate` does it once.
    """
    one = tasks.every_sequence(1)
    two = tasks.every_sequence(2)
    sparse = two.sum(-1) <= 1  # [65536, 2]
    return [tasks.copy_batch(one), tasks.copy_batch(two[sparse.any(1)])]


def failures(model, batches: list[tasks.Batch]) -> int:
    """How many sequences of the batches are not copied exactly."""
    return sum(evaluate.inexact(model, batch) for batch in batches)


def meets_bars(v: dict, beyond_bar: float | None = BEYOND_BAR) -> bool:
    """No wrong bit in the training range and, where there is a bar beyond it, at most that error rate."""
    return v["in_range_errors"] == 0 and (beyond_bar is None or v["beyond_rate"] <= beyond_bar)


@dataclass
class Progress:
    """Everything that resuming needs besides weights and optimizer state."""

    updates: int = 0
    sequences: int = 0
    seconds: float = 0.0
    level: int = 0  # curriculum: the largest size (or repeat count) drawn now
    best_score: float = float("inf")
    best_updates: int = 0
    solved_streak: int = 0
    decayed: bool = False
    best_val_loss: float = float("inf")
    stale: int = 0  # validations since the validation loss last improved
    curve: list = field(default_factory=list)  # [sequences, train loss, val loss, val errors]
    snapshots: list = field(default_factory=list)  # [updates, sequences, val loss]
    rng_state: dict | None = None


class Trainer:
    def __init__(self, args):
        self.args = args
        spec = TASKS[args.task]
        self.spec = spec
        torch.manual_seed(args.seed)
        self.model = build_model(args)
        lr = self.lr = args.lr
        opt = torch.optim.Adam if args.optimizer == "adam" else _rmsprop
        self.opt = opt(self.model.parameters(), lr=lr)
        self.rng = np.random.default_rng(args.seed)
        self.name = args.name or (args.task if args.model == "ntm" else f"lstm_{args.task}")
        self.work = args.out / f"{self.name}.train"
        if args.curriculum is None:
            args.curriculum = spec["curriculum"] is not None
        self.dim = (spec["curriculum"] or "sizes") if args.curriculum else None
        self.progress = Progress(level=2 if self.dim else self.top)
        self.val_sets = validation_sets(args.task, args.val_batch)
        self.big_sets = validation_sets(args.task, 4 * args.val_batch, seed=30_000, edge=args.val_batch)
        self.short_sets = short_inputs() if spec.get("short_inputs") else []
        self.head_noise = args.head_noise  # polishing turns it off; args keep what was asked, for the card
        self.snap_count = args.snapshots if args.snapshots is not None else (10 if args.task == "copy" else 0)

    # ------------------------------------------------------------ data
    def sample(self):
        (lo, hi), (r_lo, r_hi) = self.spec["sizes"], self.spec["repeats"]
        hi = min(hi, self.progress.level) if self.dim == "sizes" else hi
        r_hi = min(r_hi, self.progress.level) if self.dim == "repeats" else r_hi
        size = int(self.rng.integers(lo, max(lo, hi) + 1))
        reps = int(self.rng.integers(r_lo, max(r_lo, r_hi) + 1))
        if self.args.top_share and self.progress.level >= self.top and self.rng.random() < self.args.top_share:
            tops = [dim for dim, (a, b) in (("sizes", (lo, hi)), ("repeats", (r_lo, r_hi))) if b > a]
            size, reps = (hi, reps) if tops[int(self.rng.integers(len(tops)))] == "sizes" else (size, r_hi)
        mining = max(1, self.args.hard_mining)
        batch = tasks.sample_batch(self.args.task, self.rng, self.args.batch_size * mining, size, reps, self.blank_share)
        return self.hardest(batch) if mining > 1 else batch

    @torch.no_grad()
    def hardest(self, batch: tasks.Batch) -> tasks.Batch:
        """The batch-size sequences of `batch` the model gets least right: smallest margin, the logit
        times the target's sign, over every scored bit."""
        logits, _ = self.model(batch.inputs)
        m = batch.mask
        margin = (logits[:, m] * (2 * batch.targets[:, m] - 1)).flatten(1).min(1).values
        keep = margin.argsort()[: self.args.batch_size]
        return tasks.Batch(batch.inputs[keep], batch.targets[keep], batch.mask)

    @property
    def blank_share(self) -> float:
        share = self.args.blank_share
        return self.spec.get("blank_share", 0.0) if share is None else share

    @property
    def train_rows(self) -> int:
        rows = self.args.train_rows
        return self.spec.get("train_rows", 0) if rows is None else rows

    def training_state(self, batch: int):
        """The start state for one training batch: start_state, on a memory of n <= N rows.

        In a memory of N = 128 rows, a copy of 20 vectors never wraps: whatever the write head does
        after the input lands on empty rows, so nothing teaches it to stop writing there. On longer
        inputs those rows hold the sequence still to be read, and a diffuse write corrupts it. A
        smaller memory (n drawn from train_rows..N per batch) makes the wrap, and its cost, part of
        training; the model's parameters do not depend on N, and it is evaluated with all N rows.
        """
        state = self.start_state(batch)
        if not self.train_rows or self.args.model != "ntm":
            return state
        state = state if state is not None else self.model.initial_state(batch)
        n = int(self.rng.integers(self.train_rows, self.model.config.memory_rows + 1))
        return state._replace(memory=state.memory[:, :n], weights=state.weights[:, :, :n].contiguous())

    def start_state(self, batch: int):
        """The NTM's start state with its controller state perturbed (training only), or None.

        A random offset per sequence (up to `controller_noise`) keeps the controller from
        leaning on one fixed trajectory of its state, a clock that runs past anything seen
        in training on long inputs; measured, it also shortened the plateau before the
        model finds its memory (seeds 0 and 1: solved after about 1,150 updates).
        """
        sigma = self.args.controller_noise
        if self.args.model != "ntm" or not sigma or self.model.config.controller != "lstm":
            return None
        state = self.model.initial_state(batch)
        h, c = state.controller
        size = torch.rand(c.shape[0], 1)
        return state._replace(controller=(h + 0.3 * sigma * size * torch.randn_like(h),
                                          c + sigma * size * torch.randn_like(c)))

    # ------------------------------------------------------------ loop
    def update(self) -> tuple[float, float]:
        batch = self.sample()
        noise = {"noise": self.head_noise} if self.args.model == "ntm" and self.head_noise else {}
        logits, _ = self.model(batch.inputs, self.training_state(batch.inputs.shape[0]), **noise)
        loss = masked_loss(logits, batch)
        self.opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.args.clip)
        self.opt.step()
        p = self.progress
        p.updates += 1
        p.sequences += self.args.batch_size
        return loss.item(), bit_errors(logits.detach(), batch)

    @property
    def top(self) -> int:
        """The curriculum's last level: the largest size or repeat count of the task."""
        return self.spec["repeats" if self.dim == "repeats" else "sizes"][1]

    def grow_curriculum(self, loss: float | None) -> None:
        p = self.progress
        if self.dim and p.level < self.top and loss is not None and loss < self.args.curriculum_loss:
            p.level += 1

    def run(self) -> dict:
        if self.args.resume:
            self.restore()
        a, p = self.args, self.progress
        start = time.time() - p.seconds
        if p.updates == 0:
            self.checkpoint(None)  # the untrained model: first point of the curve
        bar = tqdm(total=a.max_updates, initial=p.updates, unit="upd", dynamic_ncols=True)
        recent = []
        while p.updates < a.max_updates and time.time() - start < a.minutes * 60:
            loss, err = self.update()
            recent = (recent + [(loss, err)])[-20:]
            avg_loss, avg_err = np.mean(recent, axis=0)
            bar.update(1)
            bar.set_postfix(loss=f"{avg_loss:.4f}", bits_wrong=f"{avg_err:.2f}", level=p.level)
            if p.updates % a.val_every == 0:
                p.seconds = time.time() - start
                if self.checkpoint(avg_loss) and a.stop_when_solved:
                    break
        p.seconds = time.time() - start
        bar.close()
        if p.solved_streak >= a.solved_streak and a.head_noise and a.polish:
            self.polish(start)
        self.save_state()
        return self.finish()

    def polish(self, start: float) -> None:
        """Train `polish` more updates without noise; keep the result if it still meets the bars."""
        a, p = self.args, self.progress
        self.head_noise, p.best_score = 0.0, 1e6  # any polished checkpoint that passes the large check wins
        tqdm.write(f"polishing: {a.polish} updates without head noise")
        for _ in range(a.polish):
            loss, _ = self.update()
            if p.updates % a.val_every == 0:
                p.seconds = time.time() - start
                self.checkpoint(loss)
        p.seconds = time.time() - start

    def checkpoint(self, train_loss: float | None) -> bool:
        """Validate, keep the best, snapshot; return True when the task is solved.

        A quick check on a few sequences runs every time; only when it passes does a
        larger one (4x as many per size) decide whether this is the best checkpoint so far.
        """
        p = self.progress
        self.grow_curriculum(train_loss)
        bar = self.spec.get("beyond_bar")
        v = validate(self.model, self.val_sets, bar)
        p.curve.append([p.sequences, train_loss, v["loss"], v["in_range_errors"]])
        full = p.level >= self.top
        solved, score, missed = False, 1e6 + v["score"], 0
        if full and meets_bars(v, bar):
            solved, score, missed = self.large_check(bar)
        if full and score <= p.best_score:
            p.best_score, p.best_updates = score, p.updates
            checkpoints.save(self.model, self.work / "best", self.args.task)
        if self.snap_count:
            checkpoints.save(self.model, self.work / "snapshots" / f"{p.updates:06d}", self.args.task)
            p.snapshots.append([p.updates, p.sequences, v["loss"]])
        tqdm.write(f"[{p.seconds:6.1f}s] updates {p.updates} seqs {p.sequences} level {p.level} "
                   f"val loss {v['loss']:.4f} in-range err {v['in_range_errors']:.3f} "
                   f"beyond rate {v['beyond_rate']:.5f}{' large check passed' if solved else ''}"
                   f"{f' short inputs failed: {missed}' if missed else ''}")
        if solved and not p.decayed:
            p.decayed = True
            self.scale_lr(self.args.lr_decay)
        self.watch_plateau(v["loss"])
        p.solved_streak = p.solved_streak + 1 if solved else 0
        self.save_state()
        return p.solved_streak >= self.args.solved_streak

    def large_check(self, bar: float | None) -> tuple[bool, float, int]:
        """The check that decides: 4x the sequences per size, then (copy) every short input.
        Returns solved, the score (lower is better) and how many short inputs failed."""
        big = validate(self.model, self.big_sets, bar)
        if not meets_bars(big, bar) or not self.short_sets:
            return meets_bars(big, bar), big["score"], 0
        missed = failures(self.model, self.short_sets)
        return missed == 0, big["score"] + missed, missed

    def scale_lr(self, factor: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = max(group["lr"] * factor, 1e-5)

    def watch_plateau(self, val_loss: float) -> None:
        """Halve the learning rate when the validation loss has stalled for `patience` checks."""
        p = self.progress
        p.best_val_loss, p.stale = (val_loss, 0) if val_loss < p.best_val_loss else (p.best_val_loss, p.stale + 1)
        patience = self.args.patience if self.args.patience is not None else self.spec.get("patience", 0)
        if patience and p.stale >= patience:
            self.scale_lr(0.5)
            p.stale = 0
            tqdm.write(f"validation loss stalled: learning rate now {self.opt.param_groups[0]['lr']:.2e}")

    # ------------------------------------------------------------ resume
    def save_state(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        self.progress.rng_state = self.rng.bit_generator.state
        torch.save({"model": self.model.state_dict(), "opt": self.opt.state_dict()}, self.work / "state.pt")
        (self.work / "progress.json").write_text(json.dumps(self.progress.__dict__, default=int))

    def restore(self) -> None:
        state = torch.load(self.work / "state.pt", weights_only=True)
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        if self.args.resume_lr:
            for group in self.opt.param_groups:
                group["lr"] = self.args.resume_lr
        self.progress = Progress(**json.loads((self.work / "progress.json").read_text()))
        self.rng.bit_generator.state = self.progress.rng_state
        self.progress.best_score = float(self.progress.best_score)
        self.progress.best_val_loss = float(self.progress.best_val_loss)

    # ------------------------------------------------------------ output
    def training_card(self) -> dict:
        a, p = self.args, self.progress
        return dict(task=a.task, model=a.model, seed=a.seed, optimizer=a.optimizer, lr=self.lr,
                    batch_size=a.batch_size, gradient_clip=a.clip, curriculum=a.curriculum,
                    head_noise=a.head_noise if a.model == "ntm" else 0.0, polish_updates=a.polish,
                    controller_noise=a.controller_noise if a.model == "ntm" else 0.0, blank_share=self.blank_share,
                    train_rows=self.train_rows if a.model == "ntm" else 0,
                    training_sizes=list(self.spec["sizes"]), training_repeats=list(self.spec["repeats"]),
                    sequences_seen=p.sequences, updates=p.updates, wall_seconds=round(p.seconds, 1),
                    best_at_updates=p.best_updates, best_at_sequences=p.best_updates * a.batch_size,
                    torch=torch.__version__, command="python -m model.train " + " ".join(_argv(a)))

    def finish(self) -> dict:
        best = self.work / "best"
        if not best.with_suffix(".json").exists():
            checkpoints.save(self.model, best, self.args.task)
        model = checkpoints.load(best)
        final = validate(model, validation_sets(self.args.task, 64, seed=20_000), self.spec.get("beyond_bar"))
        card = checkpoints.save(model, self.args.out / self.name, self.args.task, self.training_card(),
                                {"validation": final})
        if self.snap_count:
            self.publish_snapshots()
        tqdm.write(f"saved {self.args.out / self.name}.safetensors: in-range errors {final['in_range_errors']}, "
                   f"beyond rate {final['beyond_rate']:.5f}")
        return card

    def publish_snapshots(self) -> None:
        """Keep snapshots spaced evenly in validation log-loss, from untrained to converged."""
        from model.snapshots import publish
        publish(self.work / "snapshots", self.progress, self.args.out / "snapshots" / self.name,
                self.snap_count, self.training_card())


def _rmsprop(params, lr):
    return torch.optim.RMSprop(params, lr=lr, momentum=0.9, alpha=0.95, eps=1e-4)


def _argv(a) -> list[str]:
    out = []
    for k, v in vars(a).items():
        flag = f"--{k.replace('_', '-')}"
        if isinstance(v, bool):
            out += [flag] if v else ([f"--no-{k.replace('_', '-')}"] if k != "resume" else [])
        elif v is not None and k != "out":
            out += [flag, str(v)]
    return out


def main(argv=None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    Trainer(args).run()


if __name__ == "__main__":
    main()
