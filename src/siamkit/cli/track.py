"""``siamkit track``: follow a target through a folder of frames with a SiamFC tracker, or train.

    siamkit track MODEL --frames DIR --box x,y,w,h [--out DIR] [--set window_influence=0.3]
    siamkit track MODEL --train [--data-dir DIR | --shapes] [--steps 1000]

The first writes ``boxes.csv`` (frame, x, y, w, h) and ``track.gif`` (the frames with the boxes
drawn) into ``--out`` and reports the tracker's frames per second. The second trains a tracker on
synthetic sequences of MNIST training digits (or of drawn shapes) and saves it as MODEL; its
progress goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from ._common import add_command, add_json_flag, emit

DESCRIPTION = (
    "Follow a target through a folder of frames with a SiamFC tracker (Bertinetto et al. 2016): "
    "give the target's box in the first frame; writes boxes.csv (frame, x, y, w, h) and track.gif "
    "(the frames with the boxes drawn) into --out and reports the frames per second. With --train, "
    "train a tracker on synthetic sequences of MNIST training digits (or drawn shapes) instead and "
    "save it as MODEL."
)
EXAMPLES = """\
  siamkit track runs/tracker --frames video/ --box 40,52,18,24 --out tracked/
  siamkit track runs/tracker --frames video/ --box 40,52,18,24 --set window_influence=0.4 --no-gif
  siamkit track runs/tracker --train --data-dir data/ --steps 1500
  siamkit track runs/toy-tracker --train --shapes --steps 200"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_command(
        subparsers,
        "track",
        "track an object through frames with a SiamFC tracker (or train one)",
        DESCRIPTION,
        EXAMPLES,
    )
    p.add_argument(
        "model",
        help="tracker folder (config.json + model.safetensors); with --train, where to save it",
    )
    p.add_argument("--frames", help="folder of frames (image files, in natural sort order)")
    p.add_argument(
        "--box", help="the target in the first frame: x,y,w,h in pixels (x, y = top-left)"
    )
    p.add_argument("--out", default="track-out", help="output folder for boxes.csv and track.gif")
    p.add_argument("--no-gif", action="store_true", help="write boxes.csv only")
    p.add_argument("--gif-fps", type=float, default=10.0, help="frame rate of the GIF")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a search setting, e.g. window_influence=0.3 (repeatable)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1: a frame is ~2 ms of small operations; on a busy "
        "2-core machine two threads ran 5-50x slower, each waiting for the other's core)",
    )
    add_json_flag(p)
    g = p.add_argument_group("training (with --train)")
    g.add_argument("--train", action="store_true", help="train a tracker and save it as MODEL")
    g.add_argument("--data-dir", default=None, help="folder with mnist/ (default: $SIAMKIT_DATA)")
    g.add_argument(
        "--shapes",
        action="store_true",
        help="train on drawn shapes instead of MNIST (no data needed)",
    )
    g.add_argument("--steps", type=int, default=1500, help="training steps")
    g.add_argument("--sequences", type=int, default=200, help="training sequences")
    g.add_argument("--length", type=int, default=60, help="frames per training sequence")
    g.add_argument("--batch-size", type=int, default=32, help="exemplar-search pairs per step")
    g.add_argument(
        "--tune-sequences",
        type=int,
        default=16,
        help="validation sequences to tune the search settings on (0: keep the defaults)",
    )
    g.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)
    return p


def _overrides(pairs: list[str]) -> dict[str, str]:
    out = {}
    for item in pairs:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--set {item!r}: expected NAME=VALUE, e.g. window_influence=0.3")
        out[name.strip()] = value.strip()
    return out


def run(args: argparse.Namespace) -> int:
    if args.threads is not None:
        import torch

        if args.threads < 1:
            raise ConfigError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    return _train(args) if args.train else _track(args)


def _train(args: argparse.Namespace) -> int:
    from ..tracking import make_sequences, mnist_glyphs, shape_glyphs, train_tracker, tune_tracker

    for name in ("steps", "sequences", "length", "batch_size"):
        if getattr(args, name) < (2 if name == "length" else 1):
            raise ConfigError(f"--{name.replace('_', '-')} is too small: {getattr(args, name)}")
    if args.shapes:
        train_glyphs, val_glyphs = (
            shape_glyphs(10, seed=args.seed),
            shape_glyphs(10, seed=args.seed + 1),
        )
    else:  # digits 50,000 on are kept for tuning, as in benchmarks/tracking.py
        x, y = mnist_glyphs("train", args.data_dir)
        train_glyphs, val_glyphs = (x[:50000], y[:50000]), (x[50000:], y[50000:])
    seqs = make_sequences(
        *train_glyphs, n=args.sequences, seed=args.seed, length=args.length, preset="hard"
    )
    print(
        f"training on {len(seqs)} sequences of "
        f"{'shapes' if args.shapes else 'MNIST training digits'}, "
        f"{args.steps} steps",
        file=sys.stderr,
        flush=True,
    )
    model = train_tracker(
        seqs,
        steps=args.steps,
        batch_size=args.batch_size,
        seed=args.seed,
        log_every=max(args.steps // 10, 1),
        callback=lambda s, v: print(f"  step {s:5d}  loss {v:.4f}", file=sys.stderr, flush=True),
    )
    model.metadata["trained_on"] = "shapes" if args.shapes else "mnist-train"
    if args.tune_sequences:
        half = max(args.tune_sequences // 2, 1)
        val = make_sequences(
            *val_glyphs, n=half, seed=99, length=100, preset="distractors"
        ) + make_sequences(*val_glyphs, n=half, seed=98, length=100, preset="hard")
        report = tune_tracker(model, val)
        print(
            f"tuned the search settings on {len(val)} validation sequences: success AUC "
            f"{report['validation_auc_before']:.3f} -> {report['validation_auc']:.3f}",
            file=sys.stderr,
            flush=True,
        )
    model.save(args.model)
    seconds = model.metadata["training"]["seconds"]
    emit(args, {"model": args.model, "seconds": seconds},
         f"saved {args.model} ({seconds} s of training)")
    return 0


def _track(args: argparse.Namespace) -> int:
    from ..tracking import SiamFCTracker, track
    from ..tracking.frames import as_box, list_frames, read_frames, write_boxes_csv, write_gif

    if not args.frames or not args.box:
        raise ConfigError(
            "track: --frames DIR and --box x,y,w,h are needed (or --train to train a tracker)"
        )
    box = as_box(args.box, "--box")
    model = SiamFCTracker.load(args.model)
    names = [p.name for p in list_frames(args.frames)]
    frames = read_frames(args.frames)
    height, width = frames[0].shape[:2]
    if box[0] >= width or box[1] >= height or box[0] + box[2] <= 0 or box[1] + box[3] <= 0:
        raise DataError(
            f"--box {args.box}: lies outside the first frame ({width}x{height}, {names[0]})"
        )
    result = track(model, frames, box, **_overrides(args.set))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = write_boxes_csv(out / "boxes.csv", result.boxes, names)
    gif_path = (
        None
        if args.no_gif
        else write_gif(out / "track.gif", frames, result.boxes, fps=args.gif_fps)
    )
    summary = {
        "frames": len(frames),
        "fps": round(result.fps, 1),
        "seconds": round(result.seconds, 3),
        "boxes": str(csv_path),
        "gif": None if gif_path is None else str(gif_path),
    }
    emit(
        args,
        summary,
        f"tracked {len(frames)} frames at {result.fps:.1f} frames/s (tracker alone); "
        f"wrote {csv_path}" + ("" if gif_path is None else f" and {gif_path}"),
    )
    return 0
