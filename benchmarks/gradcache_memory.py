"""Peak memory of one training step of the multiple negatives ranking loss on a batch of 4,096
text pairs: plain (one graph over the whole batch) against cached (GradCache, Gao et al. 2021,
``CachedMultipleNegativesRankingLoss``, chunks of 64), beside a plain batch of 64, in the same run.

Each case runs in a fresh process (the resident set's high-water mark, see _peak_memory.py): an
LSTM text encoder (siamkit's ``rnn``: vocabulary 5,000, 128-d tokens, 256-d hidden state) on random
token ids of length 32; one forward + backward, the optimizer left out (its state is the same for
both). Also measured: the seconds of the step, and that the cached loss and gradients equal the
plain ones (max abs difference) where both ran.

    python benchmarks/gradcache_memory.py            # ~1-3 minutes on 2 cores
    python benchmarks/gradcache_memory.py --quick    # batch 512, seconds
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import command_line, load_average, machine_info, set_threads  # noqa: E402
from _peak_memory import peak_rise_mib  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
VOCAB, LENGTH = 5000, 32


def _step(batch: int, chunk: int | None) -> dict:
    import siamkit as sk

    torch.manual_seed(0)
    model = sk.SiameseNetwork(sk.encoders.create_encoder(
        "rnn", vocab_size=VOCAB, token_dim=128, hidden_dim=256), distance="cosine")
    g = torch.Generator().manual_seed(1)
    a = torch.randint(1, VOCAB, (batch, LENGTH), generator=g)
    p = torch.randint(1, VOCAB, (batch, LENGTH), generator=g)

    def work():
        t0 = time.perf_counter()
        if chunk is None:
            value = sk.losses.MultipleNegativesRankingLoss()(*model(a, p))
            value.backward()
        else:
            loss = sk.losses.CachedMultipleNegativesRankingLoss(chunk_size=chunk)
            value = loss.cached_backward(model, [a, p])
        return float(value), time.perf_counter() - t0

    rise, method, (value, seconds) = peak_rise_mib(work)
    grads = {k: v.grad for k, v in model.named_parameters()}
    torch.save(grads, Path(sys.argv[-1]))
    return {"batch": batch, "chunk": chunk, "peak_rise_mib": round(rise, 1), "method": method,
            "loss": value, "step_s": round(seconds, 2)}


def _case(batch: int, chunk: int | None, threads: int, tmp: Path) -> dict:
    grads = tmp / f"grads_{batch}_{chunk}.pt"
    code = (f"import sys, json, torch; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"torch.set_num_threads({threads}); import gradcache_memory as b; "
            f"print(json.dumps(b._step({batch}, {chunk})))")
    out = subprocess.run([sys.executable, "-c", code, str(grads)], capture_output=True, text=True,
                         check=True)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["grads_file"] = grads
    return row


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="batch 512: seconds, not a result")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    set_threads(args.threads)
    big = 512 if args.quick else 4096
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        load_before = load_average()
        rows = {"plain_big": _case(big, None, args.threads, Path(tmp)),
                "cached_big": _case(big, 64, args.threads, Path(tmp)),
                "plain_64": _case(64, None, args.threads, Path(tmp))}
        g_plain = torch.load(rows["plain_big"].pop("grads_file"), weights_only=True)
        g_cached = torch.load(rows["cached_big"].pop("grads_file"), weights_only=True)
        rows["plain_64"].pop("grads_file")
    grad_diff = max(float((g_plain[k] - g_cached[k]).abs().max()) for k in g_plain)
    result = {
        "benchmark": "gradcache_memory",
        "command": command_line("benchmarks/gradcache_memory.py", argv),
        "machine": machine_info() | {"threads": args.threads},
        "load_average_1min_before": load_before, "load_average_1min_after": load_average(),
        "quick": args.quick,
        "encoder": f"rnn (LSTM), vocab {VOCAB}, 128-d tokens, 256-d hidden, length {LENGTH}",
        "cases": rows,
        "cached_over_plain_peak": round(rows["cached_big"]["peak_rise_mib"]
                                        / rows["plain_big"]["peak_rise_mib"], 3),
        "cached_big_over_plain_64_peak": round(rows["cached_big"]["peak_rise_mib"]
                                               / max(rows["plain_64"]["peak_rise_mib"], 1e-9), 2),
        "loss_abs_diff": abs(rows["cached_big"]["loss"] - rows["plain_big"]["loss"]),
        "grad_max_abs_diff": grad_diff,
    }
    out = args.out or RESULTS / ("gradcache_memory-quick.json" if args.quick
                                 else "gradcache_memory.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("machine",)}, indent=1))
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
