"""``siamkit anomaly``: anomaly scores of inputs against a gallery of normal references.

    siamkit anomaly MODEL --gallery DIR --fit NORMAL [--fit ...] [--val VAL] [-k 5]
                    [--false-alarm-rate 0.05]
    siamkit anomaly MODEL --gallery DIR INPUTS... [--json]

The first embeds normal samples into a new detector folder (gallery + anomaly.json) and sets the
threshold on normal validation samples (default: a held-out fifth of NORMAL). The second prints
each input's anomaly score, the distance to its k nearest normal references: HIGHER = MORE
ANOMALOUS (the opposite of similarity scores), and flags those above the threshold. Inputs are read
by :mod:`siamkit.inputs`, the way the model reads them: image paths (a folder stands for its
images) for an image model, the arguments themselves as texts for a text model, .npy or .csv files
of vectors for a vector model. With --fit and inputs, --json prints two JSON documents, the
detector's summary on one line and then the scores.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..inputs import read_inputs
from ._common import add_command, add_json_flag, emit

DESCRIPTION = (
    "Score inputs by their distance to the k nearest normal references in a detector folder "
    "(gallery + anomaly.json): HIGHER = MORE ANOMALOUS, the opposite of similarity scores; inputs "
    "above the threshold are flagged. --fit builds the folder from normal samples and sets the "
    "threshold on normal validation samples (default: a held-out fifth) for a target false-alarm "
    "rate. Inputs are image paths or folders (image model), texts (text model) or .npy/.csv "
    "files of vectors (vector model)."
)
EXAMPLES = """\
  siamkit anomaly runs/mnist/model --gallery detector/ --fit normal_images/ --val more_normal/
  siamkit anomaly runs/mnist/model --gallery detector/ new_images/ --json
  siamkit anomaly runs/vectors/model --gallery det/ --fit normal.npy -k 10 \\
      --false-alarm-rate 0.01"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_command(
        subparsers,
        "anomaly",
        "score inputs by distance to normal references (higher = more anomalous)",
        DESCRIPTION,
        EXAMPLES,
    )
    p.add_argument("model", type=Path, help="model folder (config.json + model.safetensors)")
    p.add_argument(
        "inputs",
        nargs="*",
        help="inputs to score: image paths or folders, texts, or .npy/.csv files",
    )
    p.add_argument(
        "--gallery", "-g", required=True, type=Path, help="detector folder (gallery + anomaly.json)"
    )
    add_json_flag(p)
    p.add_argument(
        "--fit",
        action="append",
        metavar="NORMAL",
        help="build the detector from normal samples: a file or folder (repeatable)",
    )
    p.add_argument(
        "--val",
        action="append",
        metavar="VAL",
        help="normal validation samples for the threshold, with --fit (repeatable)",
    )
    p.add_argument("-k", type=int, default=5, help="nearest references per input")
    p.add_argument(
        "--aggregate", choices=("mean", "kth"), default="mean", help="of the k distances"
    )
    p.add_argument(
        "--false-alarm-rate",
        type=float,
        default=0.05,
        help="share of normal validation samples the threshold may flag",
    )
    p.set_defaults(func=run)
    _parse_intermixed(p)
    return p


def _parse_intermixed(parser: argparse.ArgumentParser) -> None:
    """Let INPUTS follow the options (``MODEL --gallery DIR INPUTS``): plain argparse (before
    Python 3.12) gives the empty INPUTS to the first positional run, ``MODEL``, and then refuses
    the later ones as unrecognised. Intermixed parsing collects every positional first."""
    base = type(parser)

    class IntermixedParser(base):  # type: ignore[misc, valid-type]
        def parse_known_args(self, args=None, namespace=None):  # noqa: ANN001, ANN202
            if getattr(self, "_parsing_intermixed", False):
                return super().parse_known_args(args, namespace)
            self._parsing_intermixed = True
            try:
                return self.parse_known_intermixed_args(args, namespace)
            finally:
                self._parsing_intermixed = False

    parser.__class__ = IntermixedParser


def _read(items: list[str], model: Any) -> Any:
    return read_inputs(model, items)[0]


def _names(data: Any) -> list[str]:
    """Paths or texts name themselves; vectors are numbered in reading order."""
    return list(data) if isinstance(data, list) else [f"#{i}" for i in range(len(data))]


def run(args: argparse.Namespace) -> int:
    from ..anomaly import AnomalyDetector
    from ..model import SiameseNetwork

    model = SiameseNetwork.load(args.model)
    if args.fit:
        if (args.gallery / "anomaly.json").exists():
            raise ConfigError(
                f"--gallery {args.gallery}: already holds a detector; choose a new folder"
            )
        det = AnomalyDetector(
            model, k=args.k, aggregate=args.aggregate, target_false_alarm_rate=args.false_alarm_rate
        )
        det.fit(_read(args.fit, model), None if not args.val else _read(args.val, model))
        det.save(args.gallery)
        summary = {
            "gallery": str(args.gallery),
            "references": det.n_references_,
            "threshold": det.threshold_,
            "validation_false_alarm_rate": det.val_false_alarm_rate_,
            "validation_samples": len(det.val_scores_),
        }
        text = (
            f"detector in {args.gallery}: {det.n_references_} normal references; threshold "
            f"{det.threshold_:.4g} flags {det.val_false_alarm_rate_:.1%} of "
            f"{len(det.val_scores_)} normal validation samples"
        )
        emit(args, summary, text, indent=None)  # one line: the scores' document may follow
        if not args.inputs:
            return 0
    elif not args.inputs:
        raise ConfigError("anomaly: name inputs to score (or --fit NORMAL to build a detector)")
    det = AnomalyDetector.load(args.gallery, model)
    data = _read(args.inputs, model)
    scores = det.score(data)
    flags = scores > det.threshold_
    names = _names(data)
    results = [
        {"input": n, "anomaly_score": float(s), "anomaly": bool(f)}
        for n, s, f in zip(names, scores, flags)
    ]
    lines = [f"anomaly score (higher = more anomalous), threshold {det.threshold_:.4g}"]
    lines += [f"{s:12.4f}  {'ANOMALY' if f else 'normal '}  {n}"
              for n, s, f in zip(names, scores, flags)]
    report = {"threshold": det.threshold_, "score": "higher = more anomalous", "results": results}
    emit(args, report, "\n".join(lines))
    return 0
