"""The explanatory text the pages render, kept in assets/ (home.md holds named sections)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"

DIAGRAM_ALT = (
    "Diagram of a Neural Turing Machine: the input x_t enters an LSTM controller, which sends a key, "
    "beta, gate, shift and gamma to a write head and a read head; the write head erases and adds to one "
    "row of a memory matrix of 128 rows by 20 columns; the read head reads a row back as the vector r_t, "
    "which returns to the controller with the next input; the controller emits the output y_t."
)
DIAGRAM_CAPTION = ("The NTM at one step: the controller drives a write head (solid arrows) and a read head "
                   "(dashed arrows) that address rows of the memory matrix.")

TOUR = [
    ("views/home.py", "Home", ":material/home:",
     "This page: what explicit memory is, why it matters, and how a head picks an address."),
    ("views/step_through.py", "Step through", ":material/play_circle:",
     "The heart of the explorer. Pick a task, type a text, draw a bit grid or draw a random example, then "
     "step, scrub or play through the run: where each head looks, the memory at every step, each stage of "
     "addressing with its equation, and one sentence per step in plain words. Use the Left and Right arrow "
     "keys to step. The page's link holds the view, so you can bookmark “step 23 of HELLO”; add "
     "`?lecture=true` for a projector."),
]


@lru_cache(maxsize=None)
def sections(name: str = "home.md") -> dict[str, str]:
    """Sections of an assets/ markdown file, split at `<!-- section: NAME -->` lines."""
    text = (ASSETS / name).read_text(encoding="utf-8")
    parts = re.split(r"^<!-- section: (\w+) -->\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def section(key: str, name: str = "home.md") -> str:
    return sections(name)[key]
