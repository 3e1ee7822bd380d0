"""Training checkpoints: everything needed to continue a run as if it had never stopped.

``last.pt`` holds the model, optimizer, scheduler and GradScaler states, the position in the run
(epochs done, batches done in the current epoch, optimizer steps), the random number generator
states of torch (CPU and CUDA), numpy and Python, the loader's ``state_dict`` when it has one, the
callbacks' states, the history so far and the best metric. It is written to a temporary file in the
same folder and renamed over the old one (:func:`siamkit.atomic.atomic_path`), so a crash while saving
leaves the previous checkpoint intact; a write that fails (a full disk makes torch report
"unexpected pos") raises :class:`~siamkit.errors.WriteError` naming the checkpoint and the problem. Everything in it is a tensor, a number, a string, a list or a
dict, so it is read back with ``torch.load(weights_only=True)``: reading a checkpoint never runs code.
"""

from __future__ import annotations

import os
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..atomic import atomic_path, write_failure
from ..version import __version__
from ..errors import ConfigError, ModelFileError, WriteError
from . import distributed

CHECKPOINT_FILE = "last.pt"
BEST_DIR = "best"
FORMAT = "siamkit-checkpoint"
FORMAT_VERSION = 1


def rng_state() -> dict[str, Any]:
    """States of the torch (CPU, CUDA), numpy and Python generators, as tensors and numbers."""
    np_state = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {
            "keys": torch.from_numpy(np_state[1].astype(np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "python": {
            "version": py_version,
            "state": torch.tensor(py_state, dtype=torch.int64),
            "gauss_next": py_gauss,
        },
    }


def every_rank_rng_state() -> Any:
    """:func:`rng_state` of this process, or with several processes the list of every rank's (so
    that each resumes its own). Every rank must call it: it is a collective."""
    state: Any = rng_state()
    if distributed.is_distributed():
        states: list[Any] = [None] * distributed.world_size()
        torch.distributed.all_gather_object(states, state)
        state = states
    return state


def own_rng_state(saved: Any, rank: int) -> dict[str, Any]:
    """This rank's part of what :func:`every_rank_rng_state` returned."""
    return saved[rank] if isinstance(saved, list) else saved


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"].cpu())
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])
    npy = state["numpy"]
    np.random.set_state(
        (
            "MT19937",
            npy["keys"].numpy().astype(np.uint32),
            npy["pos"],
            npy["has_gauss"],
            npy["cached_gaussian"],
        )
    )
    py = state["python"]
    random.setstate((py["version"], tuple(int(v) for v in py["state"].tolist()), py["gauss_next"]))


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators (all devices)."""
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """A well-mixed 32-bit seed for (run seed, epoch, rank): each epoch's randomness (data order,
    dropout) depends on these alone, so a resumed run draws what an uninterrupted one would."""
    return int(
        np.random.SeedSequence([int(seed) % 2**32, int(epoch), int(rank)]).generate_state(1)[0]
    )


def check_safe(value: Any, key: str) -> None:
    """Raise a ConfigError unless ``value`` is made of what ``torch.load(weights_only=True)`` reads."""
    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor)):
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, (str, int)):
                raise ConfigError(
                    f"checkpoint {key}: key {k!r} is a {type(k).__name__}, not a str or int"
                )
            check_safe(v, f"{key}.{k}")
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_safe(v, f"{key}[{i}]")
        return
    raise ConfigError(
        f"checkpoint {key}: a {type(value).__name__} cannot be stored (tensors, numbers, "
        "strings, lists and dicts only, so that the checkpoint loads without pickle)"
    )


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write ``state`` (plus format and version) to ``path`` atomically."""
    path = Path(path)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "siamkit_version": __version__,
        **state,
    }
    try:
        with atomic_path(path, check=_complete_zip) as tmp:
            torch.save(payload, tmp)
    except RuntimeError as exc:  # a full disk inside torch: "[enforce fail ...] unexpected pos"
        raise WriteError(f"checkpoint {write_failure(path, exc)}") from None
    return path


def _complete_zip(file: Path) -> None:
    """torch.save writes a zip archive: one whose central directory cannot be read was cut short."""
    with zipfile.ZipFile(file) as archive:
        archive.infolist()


def find_checkpoint(path: str | os.PathLike) -> Path:
    """``path`` itself, or ``path/last.pt`` for a folder."""
    path = Path(path)
    return path / CHECKPOINT_FILE if path.is_dir() else path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (``weights_only=True``: no pickle)."""
    path = find_checkpoint(path)
    if not path.is_file():
        raise ModelFileError(f"checkpoint {path}: no such file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for truncated or foreign files
        raise ModelFileError(
            f"checkpoint {path}: not a readable siamkit checkpoint "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ModelFileError(
            f"checkpoint {path}: not a siamkit training checkpoint (no format: {FORMAT})"
        )
    version = state.get("format_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFileError(f"checkpoint {path}: format_version: expected a whole number >= 1, "
                             f"got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"checkpoint {path}: written by a newer siamkit "
            f"({state.get('siamkit_version')}); upgrade siamkit"
        )
    check_position(state, path)
    return state


def check_position(state: dict[str, Any], path: Path) -> None:
    """The header fields a resumed run trusts: where the run is (whole numbers >= 0) and its
    ``run`` record, so that a tampered checkpoint is refused in one line, not deep in ``fit``."""
    for key in ("epoch", "batch", "step"):
        value = state.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ModelFileError(f"checkpoint {path}: {key}: expected a whole number >= 0, "
                                 f"got {value!r}")
    run = state.get("run")
    if run is not None:
        if not isinstance(run, dict):
            raise ModelFileError(f"checkpoint {path}: run: expected a dict, got {run!r}"[:200])
        for key in ("seed", "world_size", "epochs"):
            value = run.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or (key != "seed" and value < 1)):
                raise ModelFileError(f"checkpoint {path}: run.{key}: expected a whole number"
                                     f"{'' if key == 'seed' else ' >= 1'}, got {value!r}")
