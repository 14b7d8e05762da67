"""model.train's pieces that shape training: the perturbed start state and blank vectors."""
import numpy as np
import torch

from model import train


def trainer(tmp_path, *flags):
    return train.Trainer(train.parse_args(["--task", "copy", "--out", str(tmp_path), *flags]))


def test_start_state_perturbs_the_learned_controller_state_per_sequence(tmp_path):
    t = trainer(tmp_path, "--controller-noise", "2")
    base = t.model.initial_state(64)
    state = t.start_state(64)
    h, c = state.controller
    assert h.shape == base.controller[0].shape and c.shape == base.controller[1].shape
    dc = (c - base.controller[1]).std(dim=1)  # one noise size per sequence, drawn in [0, sigma)
    assert 0.0 < dc.min() < 0.6 and 1.2 < dc.max() < 2.4
    assert dc.std() > 0.3  # sizes differ from sequence to sequence
    dh = (h - base.controller[0]).std(dim=1)
    assert torch.allclose(dh / dc, torch.full_like(dc, 0.3), rtol=0.35)  # hidden state: 0.3x
    assert torch.equal(state.memory, base.memory) and torch.equal(state.weights, base.weights)


def test_start_state_is_the_plain_one_without_noise_or_for_the_lstm(tmp_path):
    assert trainer(tmp_path, "--controller-noise", "0").start_state(4) is None
    assert trainer(tmp_path, "--model", "lstm").start_state(4) is None


def test_gradients_reach_the_learned_start_state_through_the_noise(tmp_path):
    t = trainer(tmp_path, "--batch-size", "4")
    batch = t.sample()
    logits, _ = t.model(batch.inputs, t.start_state(4))
    train.masked_loss(logits, batch).backward()
    assert t.model.init_c.grad.abs().sum() > 0 and t.model.init_h.grad.abs().sum() > 0


def test_training_batches_hold_blank_vectors_by_default_for_copy(tmp_path):
    t = trainer(tmp_path, "--batch-size", "64")
    assert t.blank_share == 0.1
    assert trainer(tmp_path, "--blank-share", "0").blank_share == 0.0
    # every batch is one length L; its first L steps are the data, the rest silent (L+1 more)
    shares = []
    for _ in range(30):
        b = t.sample()
        length = (b.inputs.shape[1] - 1) // 2
        shares.append((b.inputs[:, :length, :8].sum(-1) == 0).float().mean().item())
    assert 0.08 < np.mean(shares) < 0.13  # 0.1 asked, plus 1/256 blank by chance


def test_recall_has_no_blank_share(tmp_path):
    t = train.Trainer(train.parse_args(["--task", "associative_recall", "--out", str(tmp_path)]))
    assert t.blank_share == 0.0


def test_short_inputs_are_every_byte_and_the_sparse_pairs():
    one, two = train.short_inputs()
    assert one.inputs.shape == (256, 3, 9) and two.inputs.shape == (4527, 5, 9)  # 9*256 + 256*9 - 9*9
    assert ((two.inputs[:, :2, :8].sum(-1) <= 1).any(1)).all()


def test_failures_counts_the_sequences_with_a_wrong_bit():
    def silent(x, state=None):  # outputs 0 everywhere: wrong wherever the target has a 1
        return torch.full(x.shape[:2] + (8,), -5.0), None
    one, two = train.short_inputs()
    assert train.failures(silent, [one]) == 255  # every byte but 00000000
    assert train.failures(silent, [one, two]) == 255 + 4526


def test_without_a_bar_beyond_the_range_only_the_training_range_decides():
    v = dict(in_range_errors=0, beyond_rate=0.02)
    assert not train.meets_bars(v) and train.meets_bars(v, None)
    assert not train.meets_bars(dict(in_range_errors=0.03, beyond_rate=0.0), None)


def test_the_score_ranks_in_range_errors_first_where_beyond_is_only_reported(tmp_path):
    t = train.Trainer(train.parse_args(["--task", "repeat_copy", "--out", str(tmp_path), "--val-batch", "2"]))
    with_bar, without = train.validate(t.model, t.val_sets), train.validate(t.model, t.val_sets, None)
    assert with_bar["score"] == with_bar["in_range_errors"] + with_bar["beyond_rate"]
    assert without["score"] == without["in_range_errors"] + 1e-3 * without["beyond_rate"]


def test_copy_trains_on_memories_of_24_to_n_rows(tmp_path):
    t = trainer(tmp_path, "--controller-noise", "0", "--batch-size", "4")
    assert t.train_rows == 24
    sizes = {t.training_state(4).memory.shape[1] for _ in range(60)}
    assert min(sizes) >= 24 and max(sizes) <= 128 and len(sizes) > 20
    state = t.training_state(4)
    n = state.memory.shape[1]
    assert state.weights.shape == (4, 2, n) and torch.equal(state.weights[:, :, 0], torch.ones(4, 2))
    logits, _ = t.model(t.sample().inputs, state)  # the model runs on any number of rows
    assert torch.isfinite(logits).all()


def test_train_rows_zero_keeps_every_row_and_the_lstm_has_none(tmp_path):
    assert trainer(tmp_path, "--train-rows", "0", "--controller-noise", "0").training_state(4) is None
    assert trainer(tmp_path, "--train-rows", "0").training_state(4).memory.shape[1] == 128
    assert trainer(tmp_path, "--model", "lstm").training_state(4) is None
    assert train.Trainer(train.parse_args(["--task", "associative_recall", "--out", str(tmp_path)])).train_rows == 0


def drawn_cells(t, monkeypatch, n=400):
    """The (size, repeats) of `n` training batches drawn by trainer `t`."""
    seen = []
    monkeypatch.setattr(train.tasks, "sample_batch", lambda task, rng, batch, size, reps=1, blanks=0.0: seen.append((size, reps)))
    for _ in range(n):
        t.sample()
    return seen


def test_top_share_draws_that_share_of_batches_at_the_top_of_one_dimension(tmp_path, monkeypatch):
    args = ["--task", "repeat_copy", "--out", str(tmp_path), "--no-curriculum"]
    plain = drawn_cells(train.Trainer(train.parse_args(args)), monkeypatch)
    topped = drawn_cells(train.Trainer(train.parse_args([*args, "--top-share", "0.5"])), monkeypatch)
    most_repeats = lambda cells: np.mean([reps == 10 for _, reps in cells])  # noqa: E731
    longest = lambda cells: np.mean([size == 10 for size, _ in cells])  # noqa: E731
    assert most_repeats(plain) < 0.16 and longest(plain) < 0.16  # 0.1 each
    assert 0.26 < most_repeats(topped) < 0.4 and 0.26 < longest(topped) < 0.4  # half the topped batches each: 0.325
    assert {size for size, _ in topped} == set(range(1, 11)) and {reps for _, reps in topped} == set(range(1, 11))


def test_top_share_draws_the_longest_copies_and_waits_for_the_curriculum(tmp_path, monkeypatch):
    topped = drawn_cells(trainer(tmp_path, "--top-share", "1"), monkeypatch, 50)
    assert {size for size, _ in topped} == {20}
    t = train.Trainer(train.parse_args(["--task", "repeat_copy", "--out", str(tmp_path), "--top-share", "1"]))
    assert t.progress.level < t.top and max(reps for _, reps in drawn_cells(t, monkeypatch, 50)) <= t.progress.level


def test_the_large_check_of_repeat_copy_covers_the_edges_of_its_range(tmp_path):
    t = train.Trainer(train.parse_args(["--task", "repeat_copy", "--out", str(tmp_path)]))
    cells = {(size, reps) for size, reps, in_range, _ in t.big_sets if in_range}
    assert {(size, 10) for size in range(1, 11)} | {(10, reps) for reps in range(1, 11)} <= cells
    sizes = [batch.inputs.shape[0] for *_, batch in t.big_sets]
    assert sizes == [128] * len(train.TASKS["repeat_copy"]["val"]) + [32] * len(train.TASKS["repeat_copy"]["edge"])
    assert len(t.val_sets) == len(train.TASKS["repeat_copy"]["val"])  # the quick check stays quick


def test_hard_mining_keeps_the_sequences_with_the_smallest_margin(tmp_path):
    t = trainer(tmp_path, "--batch-size", "4", "--hard-mining", "4")
    batch = t.sample()
    assert batch.inputs.shape[0] == 4
    pool = train.tasks.sample_batch("copy", np.random.default_rng(3), 16, 5)
    kept = t.hardest(pool)
    with torch.no_grad():
        logits, _ = t.model(pool.inputs)
    m = pool.mask
    margins = [min(float(logits[i, m][j, k] * (2 * pool.targets[i, m][j, k] - 1))
                   for j in range(int(m.sum())) for k in range(pool.targets.shape[-1])) for i in range(16)]
    lowest = sorted(range(16), key=margins.__getitem__)[:4]
    assert torch.equal(kept.inputs, pool.inputs[lowest]) and torch.equal(kept.targets, pool.targets[lowest])
    assert trainer(tmp_path, "--batch-size", "4").sample().inputs.shape[0] == 4  # off by default
