"""Run siamkit's GPU paths on a CUDA machine in one go (issue 17), and record what they do.

Parts, each with a time budget so that the whole fits in about 8 minutes on one H200:

  env     the Python packages needed (missing ones installed from ``--wheels DIR`` if given,
          nothing else ever installed), torch, its CUDA build and the GPU;
  tests   the CUDA tests, ``pytest -m cuda tests/cuda`` (device placement, float16 autocast with
          the gradient scaler, bfloat16, pinned-memory loading, NCCL under torchrun);
  train   the default MNIST image model of benchmarks/mnist_pairs.py part b (same protocol,
          configuration and curve) trained in float32, float16 AMP and bfloat16 AMP: time to
          99.5% test accuracy and training throughput;
  losses  the batch triplet losses at batch 4,096 and 16,384 beside pytorch-metric-learning
          (benchmarks/losses.py's cases, timed to the end of their kernels);
  encode  embeddings/s of 100,000 MNIST images (the 70,000 cycled) and 16,000 kjv-web sentences.

After every part the JSON (``benchmarks/results/gpu_check.json``) is rewritten, so a part that fails
or runs out of time leaves the others' figures; a summary is printed at the end. Exit code 0 when
every part ran, 1 otherwise.

    pip install -c constraints-gpu.txt -e ".[test]"       # a CUDA build of torch (see that file)
    SIAMKIT_DATA=/path/to/data python benchmarks/gpu_check.py
    python benchmarks/gpu_check.py --dry-run               # CPU, toy sizes, seconds

``--dry-run`` runs every part at toy size on the CPU (float16 is skipped there: it needs CUDA) and
writes ``gpu_check-quick.json``, which git ignores. Data: ``--data-dir`` or ``$SIAMKIT_DATA``
(``mnist/``, ``paraphrase/kjv_web_pairs.tsv``); without them the dry run uses stand-ins and says so.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

# import name -> distribution: what the parts import (siamkit's own needs, pytest, the peer)
NEEDS = {"torch": "torch", "numpy": "numpy", "sklearn": "scikit-learn",
         "safetensors": "safetensors", "faiss": "faiss-cpu", "matplotlib": "matplotlib",
         "tqdm": "tqdm", "PIL": "pillow", "pytest": "pytest",
         "pytorch_metric_learning": "pytorch-metric-learning"}
INSTALL_HINT = 'pip install -c constraints-gpu.txt -e ".[test]"'

# Seconds per part on an H200: caps, not estimates (about 4 minutes are expected in all). With the
# hard limits (budget + HARD_GRACE_S each) and the env part, a run ends within 9 minutes whatever
# happens; normally well inside 8. Then the sizes of a full run and of the dry run.
BUDGETS = {"tests": 90, "train": 180, "losses": 75, "encode": 45}
HARD_GRACE_S = 15
FULL = {"device": "cuda", "train_epochs": None, "train_encoder": None, "eval_every": 2,
        "train_images": None,
        "loss_sizes": [4096, 16384], "loss_repeats": 5, "images": 100_000, "sentences": 16_000,
        "image_batch": 2048, "text_batch": 512}
DRY = {"device": "cpu", "train_epochs": 1, "eval_every": 1, "train_images": 320,
       "train_encoder": {"preset": "default", "channels": [8, 16], "embedding_dim": 16},
       "loss_sizes": [32, 64], "loss_repeats": 1, "images": 512, "sentences": 64,
       "image_batch": 256, "text_batch": 32}
DRY_BUDGETS = {"tests": 120, "train": 120, "losses": 60, "encode": 60}
PRECISIONS = {"float32": False, "float16": "fp16", "bfloat16": "bf16"}
TARGET_ACCURACY = 0.995
ENV_BUDGET_S = 60  # imports, an offline pip install of a few wheels, nvidia-smi


class OutOfTime(BaseException):
    """A part ran past its hard limit (its budget plus a grace period). Not an ``Exception``, so
    that the ``except Exception`` keeping one precision's or dtype's failure from the others does
    not swallow it: it ends the whole part."""


class PartFailed(Exception):
    """A part that ran but did not succeed; ``result`` keeps what it measured."""

    def __init__(self, result: dict[str, Any], message: str) -> None:
        super().__init__(message)
        self.result = result


# ---- env ----------------------------------------------------------------------------------------

def missing_modules() -> list[str]:
    return [m for m in NEEDS if importlib.util.find_spec(m) is None]


def install_from_wheels(modules: list[str], wheels: Path, target: Path) -> list[str]:
    """pip-install (offline, no dependencies) the wheels in ``wheels`` of the distributions behind
    ``modules`` into ``target``, put it on the path (this process and its children); return the
    wheel files used. torch is never installed this way: it must be a CUDA build, chosen by hand."""
    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "_", name).lower()

    wanted = {norm(NEEDS[m]) for m in modules if m != "torch"}
    files = [w for w in sorted(wheels.glob("*.whl")) if norm(w.name.split("-")[0]) in wanted]
    if files:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                        "--no-compile", "--disable-pip-version-check", "--target", str(target),
                        *map(str, files)], check=True, timeout=120)
        sys.path.insert(0, str(target))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(target), *filter(None, [os.environ.get("PYTHONPATH")])])
        importlib.invalidate_caches()
    return [f.name for f in files]


def part_env(args: argparse.Namespace, size: dict[str, Any], budget: float,
             record: Callable[[dict], None]) -> dict[str, Any]:
    missing = missing_modules()
    installed: list[str] = []
    if missing and args.wheels:
        installed = install_from_wheels(missing, Path(args.wheels), Path(tempfile.mkdtemp()))
        missing = missing_modules()
    out: dict[str, Any] = {"installed_from_wheels": installed, "missing": missing}
    if "torch" in missing:
        raise RuntimeError(f"torch is not installed; a CUDA build: {INSTALL_HINT}")
    import torch

    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    out.update(torch=torch.__version__, torch_cuda=torch.version.cuda, cudnn=cudnn,
               cuda_available=torch.cuda.is_available(), device=size["device"])
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        out["gpu"] = {"name": props.name, "count": torch.cuda.device_count(),
                      "capability": f"{props.major}.{props.minor}",
                      "memory_gib": round(props.total_memory / 2**30, 1),
                      "multiprocessors": props.multi_processor_count,
                      "bf16_supported": torch.cuda.is_bf16_supported(),
                      "nccl": nccl_version(),
                      "driver": nvidia_smi("driver_version")}
    if missing:
        raise PartFailed(out, f"missing Python packages {', '.join(NEEDS[m] for m in missing)}: "
                              f"{INSTALL_HINT}, or --wheels DIR with their wheels")
    if size["device"] == "cuda" and not torch.cuda.is_available():
        build = "a CPU build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        raise PartFailed(out, f"CUDA is not available (torch {torch.__version__} is {build}): on "
                              f"a GPU machine install a CUDA build with {INSTALL_HINT}; without a "
                              "GPU use --dry-run")
    from _machine import machine_info  # imports siamkit, which needs the packages above

    out["machine"] = machine_info()
    return out


def nccl_version() -> str | None:
    """NCCL's version as torch reports it (a tuple in recent torch, an int in old ones)."""
    try:
        import torch.cuda.nccl as nccl

        version = nccl.version()
    except Exception:  # noqa: BLE001 - a build without NCCL: say so, measure the rest
        return None
    return ".".join(map(str, version)) if isinstance(version, tuple) else str(version)


def nvidia_smi(field: str) -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={field}", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.strip().splitlines()
    return lines[0] if out.returncode == 0 and lines else None


# ---- tests --------------------------------------------------------------------------------------

def part_tests(args: argparse.Namespace, size: dict[str, Any], budget: float,
               record: Callable[[dict], None]) -> dict[str, Any]:
    report = Path(tempfile.mkdtemp()) / "cuda-tests.xml"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "cuda", "-rfEs",
           "tests/cuda", f"--junitxml={report}"]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=budget)
        output, rc = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        rc = "timeout"
    out: dict[str, Any] = {"command": "pytest -m cuda tests/cuda", "returncode": rc,
                           "output_tail": output[-3000:]}
    if report.exists():
        out.update(junit_counts(report))
    if rc != 0:
        raise PartFailed(out, f"CUDA tests: exit {rc}, {out.get('failed', '?')} failed, "
                              f"{out.get('errors', '?')} errors")
    return out


def junit_counts(path: Path) -> dict[str, Any]:
    root = ET.parse(path).getroot()
    cases = root.iter("testcase")
    outcome: dict[str, list[str]] = {"passed": [], "failed": [], "errors": [], "skipped": []}
    for case in cases:
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), None)
        key = {"failure": "failed", "error": "errors", "skipped": "skipped"}.get(kind, "passed")
        detail = next((c.get("message", "") for c in case if c.tag == kind), "")
        outcome[key].append(name if key == "passed" else f"{name}: {detail[:300]}")
    return {**{k: len(v) for k, v in outcome.items()}, "cases": outcome}


# ---- train --------------------------------------------------------------------------------------

def part_train(args: argparse.Namespace, size: dict[str, Any], budget: float,
               record: Callable[[dict], None]) -> dict[str, Any]:
    """The three precisions in turn, each given a third of the budget (training time; evaluation
    after every ``eval_every`` epochs is not counted, as in mnist_pairs.py part b)."""
    import torch

    from _mnist_protocol import load_protocol

    mp = bench_module("mnist_pairs")
    protocol = load_protocol(args.data_dir, quick=args.dry_run)
    if size["train_images"]:
        protocol.train = protocol.train.subset(torch.arange(size["train_images"]))
    config = dict(mp.B_CONFIG, eval_every=size["eval_every"])
    if size["train_encoder"]:
        config["encoder"] = size["train_encoder"]
    if size["train_epochs"]:
        config["epochs"] = size["train_epochs"]
    out: dict[str, Any] = {"protocol": protocol.describe(), "config": config,
                           "target_test_accuracy": TARGET_ACCURACY, "runs": {}}
    started, failures = time.perf_counter(), []
    for k, (name, amp) in enumerate(PRECISIONS.items()):
        if size["device"] == "cpu" and amp == "fp16":
            out["runs"][name] = {"status": "skipped", "reason": "float16 autocast needs CUDA"}
            continue
        left = budget - (time.perf_counter() - started)
        share = left / (len(PRECISIONS) - k)
        try:
            out["runs"][name] = {"status": "ok", **train_run(mp, protocol, config, size["device"],
                                                             amp, share * 0.8, args.seed)}
        except Exception as exc:  # one precision failing must not lose the others
            failures.append(name)
            out["runs"][name] = {"status": "failed", "error": error_text(exc)}
        finally:
            if size["device"] == "cuda":
                torch.cuda.empty_cache()
        record(out)
    out["comparison"] = compare_precisions(out["runs"])
    if failures:
        raise PartFailed(out, f"training failed in {', '.join(failures)}")
    return out


def train_run(mp: Any, protocol: Any, config: dict[str, Any], device: str, amp: Any,
              budget_s: float, seed: int) -> dict[str, Any]:
    import torch

    import siamkit as sk

    model, loss, loader, optimizer = mp.build_b(protocol, config, seed)
    curve = mp.EpochCurve(protocol, config["distance"], budget_s, config["eval_every"])
    trainer = sk.Trainer(model, loss, optimizer=optimizer, scheduler=config["schedule"],
                         epochs=config["epochs"], progress=False, seed=seed, callbacks=[curve],
                         device=device, amp=amp)
    t0 = time.perf_counter()
    trainer.fit(loader)
    wall = time.perf_counter() - t0
    points = curve.points
    summary = mp.b_summary(points, torch.get_num_threads())
    reached = summary["first_reached_995_at_s"]
    images_per_s = summary["median_samples_per_s"]
    print(f"  train {str(trainer.amp_dtype_ or 'float32'):15s} final test accuracy "
          f"{summary['final_test_accuracy']:.4f} after {summary['final_train_s']:.1f} s, "
          f"{images_per_s:,.0f} images/s, 99.5% at {reached} s", flush=True)
    return {"amp": str(amp), "autocast_dtype": str(trainer.amp_dtype_),
            "grad_scaler": trainer.scaler_.is_enabled(), "device": str(trainer.device_),
            "epochs_run": trainer.epoch_, "stopped_by_budget": trainer.epoch_ < config["epochs"],
            "budget_s": round(budget_s, 1), "wall_s_with_evaluation": round(wall, 2),
            "time_to_target_s": reached,
            "final_test_accuracy": summary["final_test_accuracy"],
            "train_images_per_s": images_per_s,
            # The protocol counts an epoch of 30,000 anchors as 60,000 training pairs.
            "protocol_pairs_per_s": round(2 * images_per_s, 1),
            "summary": summary, "curve": points}


def compare_precisions(runs: dict[str, dict]) -> dict[str, Any]:
    base = runs.get("float32", {})
    out = {}
    for name, run in runs.items():
        if name == "float32" or run.get("status") != "ok" or base.get("status") != "ok":
            continue
        out[name] = {"throughput_vs_float32": round(run["train_images_per_s"]
                                                    / base["train_images_per_s"], 3),
                     "time_to_target_vs_float32":
                     round(run["time_to_target_s"] / base["time_to_target_s"], 3)
                     if run["time_to_target_s"] and base["time_to_target_s"] else None}
    return out


# ---- losses -------------------------------------------------------------------------------------

def part_losses(args: argparse.Namespace, size: dict[str, Any], budget: float,
                record: Callable[[dict], None]) -> dict[str, Any]:
    """benchmarks/losses.py's cases on the device: memory per implementation, then the two
    implementations timed call by call. A case that runs out of GPU memory is recorded as such;
    cases left when the budget is spent are listed as skipped. batch_all goes last at each size:
    pytorch-metric-learning enumerates its B^2 K triplets, the slowest case by far."""
    import pytorch_metric_learning
    import torch

    lb = bench_module("losses")
    device, sizes = size["device"], size["loss_sizes"]
    out: dict[str, Any] = {"device": device, "sizes": sizes, "dim": lb.DIM, "k_per_class": lb.K,
                           "margins": lb.MARGIN, "repeats": size["loss_repeats"],
                           "pytorch_metric_learning": pytorch_metric_learning.__version__,
                           "cases": [], "skipped": []}
    order = sorted(lb.LOSSES, key=lambda name: name == "batch_all")
    deadline = time.perf_counter() + budget
    for batch in sizes:
        for loss in order:
            if time.perf_counter() > deadline:
                out["skipped"].append(f"{loss} B={batch}: budget spent")
                continue
            out["cases"] += loss_cases(lb, loss, batch, size["loss_repeats"], device, deadline)
            if device == "cuda":
                torch.cuda.empty_cache()
            # the rows so far: a later case that overruns the hard limit keeps these
            out.update(lb.summarise([c for c in out["cases"] if "time_s" in c], sizes))
            record(out)
    return out


def loss_cases(lb: Any, loss: str, batch: int, repeats: int, device: str,
               deadline: float) -> list[dict]:
    """Both implementations of one loss at one batch: memory (one call each), then timing, with
    fewer repeats where the first calls show that ``repeats`` would not end before ``deadline``."""
    import statistics

    import torch

    cases, slowest = [], 0.0
    for impl in lb.IMPLS:
        case = {"loss": loss, "impl": impl, "batch": batch}
        t0 = time.perf_counter()
        try:
            case.update(lb.measure_cuda_memory(loss, impl, batch, device) if device == "cuda"
                        else lb.measure_memory(loss, impl, batch))
        except torch.cuda.OutOfMemoryError as exc:
            case["error"] = f"out of GPU memory: {str(exc).splitlines()[0][:200]}"
        slowest = max(slowest, time.perf_counter() - t0)
        cases.append(case)
    if all("error" in c for c in cases):
        return cases
    # each round calls both implementations; one warm-up round comes first
    fits = int((deadline - time.perf_counter()) / (2 * max(slowest, 1e-3))) - 1
    repeats = max(1, min(repeats, fits))
    try:
        timing = lb.measure_time(loss, batch, repeats, device)
    except torch.cuda.OutOfMemoryError as exc:
        timing = {"error": f"out of GPU memory while timing: {str(exc).splitlines()[0][:200]}"}
    for case in cases:
        if "error" in timing:
            case.setdefault("error", timing["error"])
        elif "error" not in case:
            ts = timing["times_s"][case["impl"]]
            case.update(time_s=statistics.median(ts), min_time_s=min(ts), times_s=ts,
                        repeats=repeats)
        shown = (f"{1e3 * case['time_s']:9.2f} ms, {case['peak_mib']} MiB" if "time_s" in case
                 else case.get("error", ""))
        print(f"  losses {loss:14s} {case['impl']:8s} B={batch:6d} {shown}", flush=True)
    return cases


# ---- encode -------------------------------------------------------------------------------------

def part_encode(args: argparse.Namespace, size: dict[str, Any], budget: float,
                record: Callable[[dict], None]) -> dict[str, Any]:
    out: dict[str, Any] = {"images": images_throughput(args, size)}
    record(out)
    out["sentences"] = text_throughput(args, size)
    failed = [k for k, v in out.items() for r in v["runs"].values() if "error" in r]
    if failed:
        raise PartFailed(out, f"encoding failed for {', '.join(sorted(set(failed)))}")
    return out


def timed_encode(encode: Callable[[], Any], device: str, dtype: Any) -> float:
    """Seconds of one ``encode()`` after one untimed warm-up call, under autocast ``dtype``."""
    import torch

    def run() -> None:
        ctx = (torch.autocast(device_type=device, dtype=dtype) if dtype is not None
               else contextlib.nullcontext())
        with ctx:
            encode()

    run()
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    run()  # model.encode returns CPU tensors: the copy back ends the GPU's work
    return time.perf_counter() - t0


def throughput_runs(encode_all: Callable[[], Any], n: int, device: str,
                    skip_bf16: str | None = None) -> dict[str, Any]:
    import torch

    runs: dict[str, Any] = {}
    for name, dtype in (("float32", None), ("bfloat16", torch.bfloat16)):
        if dtype is not None and skip_bf16:
            runs[name] = {"skipped": skip_bf16}
            continue
        try:
            seconds = timed_encode(encode_all, device, dtype)
            runs[name] = {"seconds": round(seconds, 3), "embeddings_per_s": round(n / seconds, 1)}
        except Exception as exc:  # e.g. an op without bfloat16 kernels: keep the other dtype
            runs[name] = {"error": error_text(exc)}
    return runs


def images_throughput(args: argparse.Namespace, size: dict[str, Any]) -> dict[str, Any]:
    import torch

    import siamkit as sk
    from siamkit.adapters import ImageAdapter
    from siamkit.data import load_dataset
    from siamkit.errors import SiamkitError

    try:
        parts = [load_dataset("mnist", s, args.data_dir, download=False, progress=False).x
                 for s in ("train", "test")]
        source = "mnist train + test (70,000 images), cycled"
    except SiamkitError:
        if not args.dry_run:
            raise
        from _mnist_protocol import load_protocol

        parts, source = [load_protocol(args.data_dir, quick=True).train.x], "stand-in images"
    pool = torch.cat(parts)
    x = pool[torch.arange(size["images"]) % len(pool)]
    mp = bench_module("mnist_pairs")
    torch.manual_seed(args.seed)
    encoder = sk.encoders.create_encoder("convnet", in_channels=1, **mp.B_CONFIG["encoder"])
    model = sk.SiameseNetwork(encoder, distance="cosine", adapter=ImageAdapter(1, 28))
    model.to(size["device"])
    runs = throughput_runs(lambda: model.encode(x, batch_size=size["image_batch"]), len(x),
                           size["device"])
    for name, r in runs.items():
        print(f"  encode images    {name:9s} {r.get('embeddings_per_s', r.get('error'))}",
              flush=True)
    return {"count": len(x), "source": source, "batch_size": size["image_batch"],
            "model": f"convnet {mp.B_CONFIG['encoder']} (untrained: speed only)",
            "timing": "model.encode of every image (uint8 to the device, embeddings back to the "
                      "CPU), after one untimed pass", "runs": runs}


def text_throughput(args: argparse.Namespace, size: dict[str, Any]) -> dict[str, Any]:
    import torch

    from siamkit.data import load_dataset
    from siamkit.errors import SiamkitError

    try:
        train = load_dataset("kjv-web", "train", args.data_dir, val_fraction=0.1, seed=0)
        half = size["sentences"] // 2  # as many KJV verses as WEB ones (the WEB's are longer)
        texts = list(train.x1[:half]) + list(train.x2[:size["sentences"] - half])
        source = "kjv-web Old Testament verses, half KJV, half WEB"
    except SiamkitError:
        if not args.dry_run:
            raise
        words = "and the lord said unto them go ye into all the world light was good".split()
        gen = torch.Generator().manual_seed(0)
        texts = [" ".join(words[i] for i in torch.randint(0, len(words), (12,), generator=gen))
                 for _ in range(size["sentences"])]
        source = "stand-in sentences"
    texts = texts[:size["sentences"]]
    kjv = bench_module("kjv_duplicates")
    cfg = kjv.Config()
    model = kjv.build_model(cfg, texts).to(size["device"])
    t0 = time.perf_counter()
    model.adapter.prepare(texts)
    tokenize_s = time.perf_counter() - t0
    runs = throughput_runs(lambda: model.encode(texts, batch_size=size["text_batch"]), len(texts),
                           size["device"], skip_bf16="no bfloat16 LSTM in oneDNN on many CPUs; "
                           "run on the GPU only" if size["device"] == "cpu" else None)
    for name, r in runs.items():
        print(f"  encode sentences {name:9s} {r.get('embeddings_per_s', r.get('error', r))}",
              flush=True)
    return {"count": len(texts), "source": source, "batch_size": size["text_batch"],
            "model": f"twin {'Bi' if cfg.bidirectional else ''}{cfg.cell.upper()} of "
                     f"benchmarks/kjv_duplicates.py (token {cfg.token_dim}, hidden "
                     f"{cfg.hidden_dim}; untrained: speed only)",
            "tokenize_all_s": round(tokenize_s, 3),
            "timing": "model.encode of every sentence (tokenised on the CPU), after one untimed "
                      "pass", "runs": runs}


# ---- running the parts --------------------------------------------------------------------------

_MODULES: dict[str, Any] = {}


def bench_module(name: str) -> Any:
    """Another benchmark script of this folder, imported once under a name of its own (so that
    ``losses`` cannot be mistaken for another module of that name)."""
    if name not in _MODULES:
        spec = importlib.util.spec_from_file_location(f"_gpu_check_{name}", HERE / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        _MODULES[name] = module
    return _MODULES[name]


def error_text(exc: BaseException) -> str:
    tail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-1500:]
    return f"{type(exc).__name__}: {exc}\n{tail}"


@contextlib.contextmanager
def hard_limit(seconds: float):
    """Raise OutOfTime in this (main) thread after ``seconds``; a no-op where SIGALRM is absent."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def alarm(signum: int, frame: Any) -> None:
        raise OutOfTime(f"ran past its hard limit of {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, max(1.0, seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_parts(args: argparse.Namespace) -> dict[str, Any]:
    size, budgets = (DRY, DRY_BUDGETS) if args.dry_run else (FULL, BUDGETS)
    if args.device:
        size = {**size, "device": args.device}
    result: dict[str, Any] = {"benchmark": "gpu_check", "dry_run": args.dry_run,
                              "command": command(args), "budgets_s": budgets, "sizes": size,
                              "parts": {}}
    started = time.perf_counter()

    def save() -> None:
        result["elapsed_s"] = round(time.perf_counter() - started, 1)
        write_json(result, args.output)

    def run(name: str, fn: Callable[..., dict], budget: float) -> None:
        part_started = time.perf_counter()
        entry: dict[str, Any] = {"status": "running"}
        result["parts"][name] = entry

        def record(partial: dict) -> None:  # what a long part has so far, saved as it goes
            entry.update(partial)
            save()

        print(f"{name}: started, budget {budget:.0f} s", flush=True)
        try:
            with hard_limit(budget + HARD_GRACE_S):
                entry.update(fn(args, size, budget, record), status="ok")
        except PartFailed as exc:
            entry.update(exc.result, status="failed", error=str(exc))
        except BaseException as exc:  # noqa: BLE001 - record anything, then carry on or stop
            entry.update(status="failed", error=error_text(exc))
            if isinstance(exc, KeyboardInterrupt):
                raise
        entry["seconds"] = round(time.perf_counter() - part_started, 1)
        print(f"{name}: {entry['status']} in {entry['seconds']} s", flush=True)
        save()

    run("env", part_env, ENV_BUDGET_S)
    env_ok = result["parts"]["env"]["status"] == "ok"
    for name, fn in (("tests", part_tests), ("train", part_train), ("losses", part_losses),
                     ("encode", part_encode)):
        if args.parts and name not in args.parts:
            continue
        if not env_ok:
            result["parts"][name] = {"status": "skipped", "reason": "env failed (see parts.env)"}
            continue
        run(name, fn, budgets[name] * args.budget_scale)
    result["summary"] = summarise(result)
    save()
    return result


def command(args: argparse.Namespace) -> str:
    from _machine import command_line

    return command_line("benchmarks/gpu_check.py", sys.argv[1:] if args.argv is None
                        else args.argv)


def write_json(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=2, default=str) + "\n")
    tmp.replace(path)


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    parts = result["parts"]
    env = parts.get("env", {})
    out: dict[str, Any] = {
        "parts": {name: p.get("status") for name, p in parts.items()},
        "device": env.get("gpu", {}).get("name") or env.get("device"),
        "torch": env.get("torch"), "cuda": env.get("torch_cuda"),
    }
    tests = parts.get("tests", {})
    if "passed" in tests:
        out["cuda_tests"] = {k: tests[k] for k in ("passed", "failed", "errors", "skipped")}
    for name, run in parts.get("train", {}).get("runs", {}).items():
        if run.get("status") == "ok":
            out[f"train_{name}"] = {k: run[k] for k in ("time_to_target_s", "final_test_accuracy",
                                                        "train_images_per_s")}
    for row in parts.get("losses", {}).get("rows", []):
        out[f"loss_{row['loss']}_{row['batch']}"] = {
            "siamkit_ms": round(1e3 * row["siamkit_s"], 3), "pml_ms": round(1e3 * row["pml_s"], 3),
            "speedup_vs_pml": row["speedup_vs_pml"]}
    for kind in ("images", "sentences"):
        runs = parts.get("encode", {}).get(kind, {}).get("runs")
        if runs:
            out[f"encode_{kind}_per_s"] = {k: r.get("embeddings_per_s") for k, r in runs.items()}
    return out


def print_summary(result: dict[str, Any]) -> None:
    print("\ngpu_check summary" + (" (dry run, CPU, toy sizes)" if result["dry_run"] else ""))
    for name, part in result["parts"].items():
        reason = part.get("error") or part.get("reason") or ""
        print(f"  {name:7s} {part.get('status', '?'):8s} {part.get('seconds', '')!s:>6s} s  "
              f"{reason.splitlines()[0][:110] if reason else ''}")
    for key, value in result["summary"].items():
        if key != "parts":
            print(f"  {key}: {value}")
    print(f"wrote {result.get('output')}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="every part at toy size on the CPU (writes gpu_check-quick.json)")
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ and paraphrase/ "
                        "(default: $SIAMKIT_DATA)")
    parser.add_argument("--wheels", default=None, help="folder of wheels to install missing "
                        "packages from (offline; never torch)")
    parser.add_argument("--parts", nargs="+", choices=("tests", "train", "losses", "encode"),
                        help="run only these parts (env always runs)")
    parser.add_argument("--device", default=None, help="override the device (cuda; dry run: cpu)")
    parser.add_argument("--budget-scale", type=float, default=1.0,
                        help="multiply every part's time budget")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON path (results/gpu_check.json; --dry-run: gpu_check-quick.json)")
    args = parser.parse_args(argv)
    args.argv = argv
    args.output = args.output or RESULTS / ("gpu_check-quick.json" if args.dry_run
                                            else "gpu_check.json")
    result = run_parts(args)
    result["output"] = str(args.output)
    print_summary(result)
    return result


if __name__ == "__main__":
    sys.exit(0 if all(s == "ok" for s in main()["summary"]["parts"].values()) else 1)
