"""Shared test settings.

The model tests use tiny tensors: one intra-op thread is faster for them than
several, and keeps the suite light on a machine that is busy with other work.
"""
import torch

torch.set_num_threads(1)
