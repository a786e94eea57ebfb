"""Trained weights kept on disk (DATA_DIR) and in memory, keyed by what they were trained from: train only on change.

The key hashes the training texts and labels, the settings and the classifier's CODE_VERSION, so editing the
knowledge (or the training code) retrains, and a restart or /reload with unchanged knowledge loads an .npz in
milliseconds. The folder is DATA_DIR (writable by the bot), never the code or knowledge/ (read-only installs); when
it cannot be written the weights are trained in memory and one warning says so. Within one process the last few
trained weights are also remembered, so engines built twice from the same knowledge (tests, /reload) share them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bot.answers.classifier import CODE_VERSION, ClassifierSettings, Weights
from bot.answers.training import train_in_child

log = logging.getLogger(__name__)
FOLDER = "classifier"          # under DATA_DIR
MEMORY_SLOTS = 32              # weights remembered per process: the intents, each entry's short answers, a reload or two
Trainer = Callable[[Sequence[str], Sequence[str], ClassifierSettings], Weights]
_memory: OrderedDict[str, Weights] = OrderedDict()
_warned: set[str] = set()


def training_key(name: str, texts: Sequence[str], labels: Sequence[str], settings: ClassifierSettings) -> str:
    """Hash of everything the weights depend on."""
    payload = json.dumps([CODE_VERSION, name, dataclasses.asdict(settings), list(texts), list(labels)],
                         ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclasses.dataclass
class WeightsCache:
    """Where trained weights are kept: `data_dir`/classifier/<name>-<key>.npz; None keeps them in memory only."""

    data_dir: Path | None = None
    trainer: Trainer = train_in_child
    trained: int = 0              # how many times this cache had to train (tests read it)

    @property
    def folder(self) -> Path | None:
        return Path(self.data_dir) / FOLDER if self.data_dir is not None else None

    def weights(self, name: str, texts: Sequence[str], labels: Sequence[str],
                settings: ClassifierSettings) -> Weights:
        """The weights for this training data: remembered, read from disk, or trained (and then written)."""
        key = training_key(name, texts, labels, settings)
        path = self.folder / f"{name}-{key[:24]}.npz" if self.folder is not None else None
        if key in _memory:  # trained or read already in this process: make sure DATA_DIR has it too
            _memory.move_to_end(key)
            if path is not None and not path.is_file():
                self._write(path, _memory[key])
            return _memory[key]
        weights = self._read(path) if path is not None else None
        if weights is None:
            weights = self.trainer(texts, labels, settings)
            self.trained += 1
            if path is not None:
                self._write(path, weights)
        _memory[key] = weights
        while len(_memory) > MEMORY_SLOTS:
            _memory.popitem(last=False)
        return weights

    @staticmethod
    def _read(path: Path) -> Weights | None:
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return Weights.from_arrays(data)
        except Exception as exc:  # noqa: BLE001 - a damaged cache file is retrained, never fatal
            log.warning("classifier cache %s is unreadable (%s): training again", path, exc)
            return None

    def _write(self, path: Path, weights: Weights) -> None:
        """Atomically (temp file, then rename); older weights of the same name are removed."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".npz")
            try:
                with os.fdopen(fd, "wb") as handle:
                    np.savez(handle, **weights.arrays())
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
            for old in path.parent.glob(f"{path.name.rsplit('-', 1)[0]}-*.npz"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            folder = str(path.parent)
            if folder not in _warned:
                _warned.add(folder)
                log.warning("cannot keep the trained classifier in %s (%s): it is trained in memory at every "
                            "start; set DATA_DIR to a writable folder", folder, exc.strerror or exc)

