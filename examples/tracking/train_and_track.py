"""Train a SiamFC tracker on moving MNIST digits, then follow a digit through a folder of frames.

    SIAMKIT_DATA=/path/to/data PYTHONPATH=src \
        python examples/tracking/train_and_track.py --out runs/tracking
    PYTHONPATH=src python examples/tracking/train_and_track.py --shapes --steps 200  # no data

Steps: (1) synthetic training sequences of MNIST *training* digits (moving, bouncing, changing size
and angle, among look-alike distractors, behind an occluding bar); (2) ``train_tracker`` (logistic
loss on score maps); (3) one new sequence of *test* digits written as PNG frames, the way a user's
video would arrive; (4) the tracker run over that folder with the same code as
``siamkit track MODEL --frames DIR --box x,y,w,h``, writing boxes.csv and track.gif; (5) its success
AUC and precision at 20 pixels against the ground truth, beside template matching.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from siamkit.tracking import (
    NCCTracker,
    SiamFCTracker,
    make_sequences,
    mnist_glyphs,
    read_frames,
    run_tracker,
    sequence_scores,
    shape_glyphs,
    track,
    train_tracker,
    write_boxes_csv,
    write_gif,
)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="runs/tracking")
    p.add_argument("--shapes", action="store_true", help="drawn shapes instead of MNIST")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--model", default=None, help="use this trained tracker instead of training")
    p.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (1: see siamkit track)"
    )
    args = p.parse_args()
    torch.set_num_threads(args.threads)  # a frame is ~2 ms of small ops; more threads wait on cores
    out = Path(args.out)
    train_glyphs = shape_glyphs(20, seed=0) if args.shapes else mnist_glyphs("train")
    test_glyphs = shape_glyphs(20, seed=1) if args.shapes else mnist_glyphs("test")

    if args.model:
        model = SiamFCTracker.load(args.model)
    else:
        train = make_sequences(*train_glyphs, n=200, seed=0, length=60, preset="hard")
        model = train_tracker(
            train,
            steps=args.steps,
            seed=0,
            log_every=100,
            callback=lambda step, loss: print(f"step {step:5d}  loss {loss:.4f}"),
        )
        model.save(out / "model")
        print(f"saved {out / 'model'}")

    seq = make_sequences(*test_glyphs, n=1, seed=123, length=100, preset="distractors")[0]
    frames_dir = out / "frames"
    frames_dir.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(seq.frames):
        Image.fromarray(frame).save(frames_dir / f"frame{i:04d}.png")
    box = seq.boxes[0]
    print(
        f"wrote {len(seq)} frames to {frames_dir}; the target is at x,y,w,h = "
        + ",".join(f"{v:g}" for v in box)
    )

    frames = read_frames(frames_dir)
    result = track(model, frames, box)
    write_boxes_csv(out / "boxes.csv", result.boxes)
    write_gif(out / "track.gif", frames, result.boxes, truth=seq.boxes, scale=2)
    ncc = run_tracker(NCCTracker("window"), frames, box)
    for name, boxes in (("SiamFC", result.boxes), ("NCC template matching", ncc.boxes)):
        s = sequence_scores(boxes, seq.boxes)
        print(
            f"{name:22s} success AUC {s['success_auc']:.3f}  precision@20 {s['precision_20']:.3f}"
        )
    print(
        f"SiamFC: {result.fps:.0f} frames/s; wrote {out / 'boxes.csv'} and {out / 'track.gif'} "
        "(red: tracker, green: truth)"
    )


if __name__ == "__main__":
    np.set_printoptions(precision=2)
    main()
