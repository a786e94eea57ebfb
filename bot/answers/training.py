"""Train a classifier in a child process, so the bot never holds scikit-learn's memory nor waits on the GIL.

scikit-learn and SciPy add some 200 MB to a process and keep it; the bot itself serves from numpy arrays. So
training runs as `python -m bot.answers.training`: texts, labels and settings go in as JSON on standard input,
the weights come back as an .npz on standard output.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from bot.answers.classifier import ClassifierSettings, Weights, settings_from_dict, train
from bot.knowledge.catalogue import KnowledgeError

TIMEOUT = 600.0  # seconds: a catalogue many times today's still trains in well under a minute


class TrainingError(KnowledgeError):
    """The knowledge could not be learned (the trainer's last error lines are in the message).

    A KnowledgeError, so start-up stops with one line and /reload keeps the running knowledge and says why.
    """

    def __init__(self, problem: str):
        super().__init__([problem])
        self.args = (f"the classifier could not be trained from the knowledge: {problem}",)


def train_in_child(texts: Sequence[str], labels: Sequence[str], settings: ClassifierSettings) -> Weights:
    """Train in `python -m bot.answers.training` and return the exported weights."""
    payload = json.dumps({"texts": list(texts), "labels": list(labels), "settings": dataclasses.asdict(settings)})
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
    try:
        result = subprocess.run([sys.executable, "-m", "bot.answers.training"], input=payload.encode("utf-8"),
                                capture_output=True, env=env, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TrainingError(str(exc)) from None
    if result.returncode != 0:
        tail = " | ".join(result.stderr.decode("utf-8", "replace").strip().splitlines()[-3:])
        raise TrainingError(f"the trainer exited with {result.returncode}: {tail}")
    with np.load(io.BytesIO(result.stdout), allow_pickle=False) as data:
        return Weights.from_arrays(data)


def _exit_with_parent(parent: int) -> None:
    """A bot killed mid-training must not leave its trainer running: stop when the parent is gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def main() -> None:
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    weights = train(request["texts"], request["labels"], settings_from_dict(request["settings"]))
    buffer = io.BytesIO()
    np.savez(buffer, **weights.arrays())
    sys.stdout.buffer.write(buffer.getvalue())
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
