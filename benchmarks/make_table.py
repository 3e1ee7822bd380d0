"""Make the README's results table from the benchmark JSON in benchmarks/results/.

Each benchmark script writes its own JSON; one small function per benchmark here turns it into
table rows: what was measured, siamkit's figure, the peer's figure in the same run, and the target
(met or missed). A benchmark whose JSON is absent is listed as not run, never silently dropped;
the one exception is the GPU check (benchmarks/gpu_check.py), which needs a machine most never have:
its rows, each marked "GPU (<device>)", appear once a run on a GPU has written its JSON.

    python benchmarks/make_table.py            # rewrite the block between the README's markers
    python benchmarks/make_table.py --print    # print the table only
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
START, END = "<!-- results:start -->", "<!-- results:end -->"
Row = tuple[str, str, str, str]  # experiment, siamkit, peer (same run), target


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def _load(j: dict) -> str:
    for key in ("load_average_1min", "load_average_1min_before"):
        if isinstance(j.get(key), (int, float)):
            return f"{j[key]:.1f}"
    return "?"


def _met(ok: bool | None) -> str:
    return {True: "met", False: "**missed**", None: ""}[ok]


def losses(j: dict) -> list[Row]:
    rows = []
    for r in j["rows"]:
        if r["batch"] != max(x["batch"] for x in j["rows"] if x["loss"] == r["loss"]):
            continue
        rows.append((f"loss `{r['loss']}`, batch {r['batch']}, forward+backward",
                     f"{1e3 * r['siamkit_s']:.2f} ms, {r['siamkit_peak_mib']} MiB",
                     f"pytorch-metric-learning {1e3 * r['pml_s']:.2f} ms "
                     f"({r['speedup_vs_pml']:.1f}x), {r['pml_peak_mib']} MiB", "same value "
                     f"(abs diff {r['abs_diff']:.0e})"))
    rows += softmax_losses(j.get("softmax_rows", []))
    m = j.get("batch_all_over_batch_hard_peak_memory")
    if m:
        rows.append((f"batch-all vs batch-hard peak memory, batch {m['batch']}", f"{m['ratio']}x",
                     "", "O(B^2) memory, not O(B^3)"))
    return rows


def softmax_losses(found: list[dict]) -> list[Row]:
    """The class-weight, proxy and contrastive-softmax losses at their largest batch, against the
    issue's target: >= 2x PML's speed with no more peak memory."""
    rows = []
    for r in found:
        if r["batch"] != max(x["batch"] for x in found if x["loss"] == r["loss"]):
            continue
        floor = (f"; the 3 matrix products alone {1e3 * r['floor_s']:.2f} ms"
                 if r.get("floor_s") else "")
        peer = (f"pytorch-metric-learning {1e3 * r['pml_s']:.2f} ms ({r['speedup_vs_pml']:.1f}x), "
                f"{r['pml_peak_mib']} MiB" if r["pml_s"] else
                f"not run: {r['pml_skipped'].removeprefix('skipped: ')}")
        ran = [x for x in found if x["loss"] == r["loss"] and x["pml_s"]]
        if not r["pml_s"] and ran:  # the largest batch where the peer could run
            x = max(ran, key=lambda x: x["batch"])
            peer += (f"; at batch {x['batch']}: {1e3 * x['siamkit_s']:.2f} vs "
                     f"{1e3 * x['pml_s']:.2f} ms ({x['speedup_vs_pml']:.1f}x), "
                     f"{x['siamkit_peak_mib']} vs {x['pml_peak_mib']} MiB")
        rows.append((f"loss `{r['loss']}`, batch {r['batch']}, forward+backward",
                     f"{1e3 * r['siamkit_s']:.2f} ms, {r['siamkit_peak_mib']} MiB", peer + floor,
                     f">= 2x, <= memory: {_met(r['target_met']) or 'no peer'}"
                     + (f" (abs diff {r['abs_diff']:.0e})" if r["abs_diff"] is not None else "")))
    return rows


def gallery(j: dict) -> list[Row]:
    rows = []
    for r in j["rows"]:
        b = r["batched"]
        ok = r["batched_overhead"] < j.get("target_overhead", 0.2)
        rows.append((f"gallery identify, {r['references']:,} refs x {r['dim']}-d, "
                     f"batches of {r['batch']}", f"{b['gallery_queries_per_s']:,.0f} queries/s",
                     f"raw FAISS {b['raw_queries_per_s']:,.0f} queries/s",
                     f"overhead {_pct(r['batched_overhead'])} < 20%: {_met(ok)}"))
    return rows


def _bytes_per_ref(r: dict) -> str:
    b = r.get("memory_bytes_per_reference")
    return "memory not measured" if b is None else f"{b:.0f} B/ref"


def gallery_scale(j: dict) -> list[Row]:
    rows = []
    for size in j["synthetic"]:
        by_name = {r["name"]: r for r in size["rows"]}
        flat = by_name["Flat"]
        probes = ("" if size.get("probes", "fresh") == "fresh"
                  else ", queries = noisy copies of enrolled refs")
        for r in size["rows"]:
            if r is flat or "queries_per_s" not in r:
                continue
            overhead = r.get("overhead_vs_raw")
            rows.append((f"gallery {r['name']}, {size['references']:,} clustered refs x "
                         f"{size['dim']}-d{probes}", f"{r['queries_per_s']:,.0f} queries/s, recall@1 "
                         f"{r['recall_at_1']:.3f}, " + _bytes_per_ref(r),
                         f"flat {flat['queries_per_s']:,.0f} queries/s, "
                         f"{flat['memory_bytes_per_reference']:.0f} B/ref"
                         + ("" if overhead is None else
                            f"; raw FAISS {r['raw_queries_per_s']:,.0f}"),
                         "" if overhead is None else
                         f"overhead {_pct(overhead)} < 20%: {_met(overhead < 0.2)}"))
        t = size["ivfpq_vs_flat"]
        rows.append((f"IVF-PQ vs flat, {size['references']:,} refs{probes}",
                     f"{t['speedup']:.1f}x queries/s, {t['memory_ratio']:.3f}x memory, "
                     f"recall@1 {t['recall_at_1']:.3f}", "flat gallery, same run",
                     f">= 50x, <= 1/8, >= 0.95 (target at 10M): {_met(t['target_met'])}"))
    m = j.get("mnist", {})
    for r in m.get("rows", []):
        rows.append((f"MNIST embeddings, {r['name']}, {r['references']:,} refs",
                     f"recall@1 {r['recall_at_1']:.3f} (no rerank "
                     f"{r['recall_at_1_no_rerank']:.3f}), top-1 label "
                     f"{r['top1_label_accuracy']:.3f}, {r['memory_bytes_per_reference']:.0f} B/ref",
                     "exact search", ""))
    return rows


def gallery_integrity(j: dict) -> list[Row]:
    return [(f"gallery open with the index verified against SQLite, {r['references']:,} refs x "
             f"{r['dim']}-d (load {_load(j)})",
             f"{1e3 * r['open_verified_s']:.0f} ms; full check {r['full_check_s']:.2f} s",
             f"open unverified {1e3 * r['open_unverified_s']:.0f} ms ({r['open_ratio']:.2f}x)",
             "") for r in j["rows"]]


def serve_load(j: dict) -> list[Row]:
    rss = j["server_rss_mb"]
    load = j.get("load_average_1min", {}).get("before")
    backend = j.get("backend", "faiss")
    on = "" if backend == "faiss" else f" (gallery on {backend.title()} Lite)"
    rows = [
        (f"HTTP service with keys{on}, {j['clients']} clients x {j['duration_s']:.0f} s of enroll / "
         f"identify / delete / 4x4096² images / the 64x4096² request, then kill -9 "
         f"(load average {load})",
         f"{j['throughput_rps']:.0f} req/s, {j['failures']} failures, {j['lost']} of "
         f"{j['expected_in_sqlite']:,} acknowledged enrollments lost, "
         f"{j['deletions_undone']} deletions undone, reopened {j['reopened']['sample_identified']}"
         " identified", "",
         _met(j["failures"] == 0 and j["lost"] == 0 and j["deletions_undone"] == 0
              and j["wrong_identifications"] == 0 and j["reopened"]["all_identified"])),
        (f"HTTP service{on}: peak server RSS (VmHWM) under that load, default limits",
         f"{rss['peak_vmhwm']:,.0f} MB (at start {rss['at_start']:,.0f} MB)", "",
         f"<= {j['rss_budget_mb']:,} MB: {_met(j['rss_within_budget'])}"),
    ]
    alone = j.get("hostile_request_alone")
    if alone:
        this, before = alone["this"], alone["baseline"]
        rows.append(("HTTP service: the issue's request alone, 64 PNGs of 4096² (49 KB each) in "
                     "one identify", f"{this['status']} in {this['seconds']:.1f} s, peak RSS "
                     f"{this['peak_rss_mb_after']:,.0f} MB",
                     f"before the limits: {before['status']} in {before['seconds']:.0f} s, peak "
                     f"RSS {before['peak_rss_mb_after']:,.0f} MB", ""))
    return rows


def data_loading(j: dict) -> list[Row]:
    return [(f"pair batches from MNIST, batch {r['batch_size']}",
             f"{r['siamkit_pairs_per_s']:,.0f} pairs/s",
             f"naive Dataset + DataLoader {r['naive_pairs_per_s']:,.0f} pairs/s "
             f"({r['speedup']:.1f}x)", "") for r in j["results"]]


def kjv_duplicates(j: dict) -> list[Row]:
    s, peers, t = j["siamkit"], j["peers"], j["target"]
    tfidf = peers.get("tfidf_char_2_4", {})
    load = j.get("machine_at_start", {}).get("load_average_1_5_15_min", ["?"])[0]
    minutes = s["train_time_s"] / 60
    return [
        ("kjv-web duplicates (OT train, NT test): Recall@1 among 7,950 verses",
         f"{s['recall_at_1']:.3f} (R@5 {s['recall_at_5']:.3f})",
         f"TF-IDF char n-grams {tfidf.get('recall_at_1', float('nan')):.3f}; {_minilm_zero_shot()}",
         f">= {t['recall_at_1']}: {_met(t['recall_met'])}"),
        ("kjv-web duplicates: accuracy at a validation-chosen cosine threshold",
         f"{_pct(s['test_accuracy'])} (AUC {s['test_roc_auc']:.4f})",
         f"TF-IDF char n-grams {_pct(tfidf.get('test_accuracy', float('nan')))}", ""),
        ("kjv-web duplicates: training time, twin LSTM from scratch",
         f"{minutes:.1f} min (load average {load:.1f})" if isinstance(load, float) else
         f"{minutes:.1f} min", "", f"< {t['train_minutes']:.0f} min: "
         f"{_met(minutes < t['train_minutes'])}"),
    ]


def _minilm_zero_shot() -> str:
    path = RESULTS / "kjv_pretrained.json"
    if not path.exists():
        return "MiniLM zero-shot: kjv_pretrained not run"
    r = json.loads(path.read_text(encoding="utf-8"))["siamkit_zero_shot"]["recall_at_1"]
    return f"MiniLM zero-shot {r:.3f} (kjv_pretrained run)"


def kjv_pretrained(j: dict) -> list[Row]:
    st, sk0, ft = j["st_zero_shot"], j["siamkit_zero_shot"], j["siamkit_fine_tuned"]
    stft, t, d = j["st_fine_tuned"], j["targets"], j["data"]
    run = f"{d['train_pairs']:,} training pairs" + (", reduced run" if "reduced" in j["run"] else "")
    st_train, sk_train = stft["train"], ft["train"]
    rows = [
        ("kjv-web duplicates: all-MiniLM-L6-v2 (`hf_text`) zero-shot, Recall@1 among "
         f"{d['retrieval_references']:,} verses", f"{sk0['recall_at_1']:.3f} "
         f"(R@5 {sk0['recall_at_5']:.3f})", f"sentence-transformers {st['recall_at_1']:.3f}",
         "same model, same figure"),
        (f"kjv-web duplicates: MiniLM fine-tuned with `{ft['recipe']}` ({run}, 1 epoch)",
         f"{ft['recall_at_1']:.3f} (R@5 {ft['recall_at_5']:.3f}), train CPU "
         f"{sk_train['train_cpu_s'] / 60:.1f} min",
         f"sentence-transformers MNRL {stft['recall_at_1']:.3f}"
         f" (R@5 {stft['recall_at_5']:.3f}), train CPU {st_train['cpu_s'] / 60:.1f} min",
         f">= {t['fine_tuned_recall_at_1_at_least']}: {_met(t['fine_tuned_recall_met'])}; above "
         f"the peer: {_met(t['above_st_fine_tuned'])}"),
    ]
    caught = t["catch_up_step"] is not None
    rows.append((
        "MiniLM fine-tuning: training CPU until siamkit's validation Recall@1 reaches "
        f"sentence-transformers' final {t['catch_up_val_recall_at_1']:.3f}",
        (f"{t['catch_up_cpu_ratio']:.2f}x (step {t['catch_up_step']}; test Recall@1 there "
         f"{t['catch_up_test_recall_at_1']:.3f}, sentence-transformers' final "
         f"{stft['recall_at_1']:.3f})" if caught else "never reached"),
        f"sentence-transformers' whole epoch: {st_train['cpu_s'] / 60:.1f} min",
        f"<= {t['catch_up_cpu_ratio_at_most']}x with test there >= the peer's: "
        f"{_met(t['catch_up_met'])}"))
    tp = j["throughput"]
    rows.append((
        f"{tp['sentences']:,} kjv-web sentences embedded by MiniLM, "
        f"{j['machine_at_start'].get('torch_threads', 1)} thread(s)",
        f"{tp['siamkit_sentences_per_s']:.1f}/s ({tp['ratio']:.2f}x); ONNX Runtime "
        f"{tp['siamkit_onnx_sentences_per_s']:.1f}/s ({tp['onnx_ratio']:.2f}x)",
        f"sentence-transformers encode {tp['st_sentences_per_s']:.1f}/s",
        f">= {t['throughput_ratio_at_least']}x: {_met(t['throughput_met'])} (ONNX Runtime: "
        f"{_met(t['throughput_onnx_met'])})"))
    return rows


def tracking(j: dict) -> list[Row]:
    rows = []
    for preset, res in j["results"].items():
        if not isinstance(res, dict) or "siamfc" not in res:
            continue
        s = res["siamfc"]
        others = {name: r for name, r in res.items() if name != "siamfc" and isinstance(r, dict)}
        peers = [f"{name} {r['success_auc']:.3f}" for name, r in others.items()]
        best_peer = max(r["success_auc"] for r in others.values())
        rows.append((f"SiamFC tracking, MNIST sequences '{preset}': success AUC "
                     f"(precision@20)", f"{s['success_auc']:.3f} ({s['precision_20']:.3f})",
                     "NCC template matching: " + ", ".join(peers),
                     f"well above: {_met(s['success_auc'] > best_peer + 0.05)}"))
    for key, sp in j.get("speed", {}).items():
        rows.append((f"SiamFC tracking speed, 128x128 frames, {key.replace('_', ' ')}",
                     f"{sp['fps']:.0f} frames/s (load {_load(sp)})", "",
                     f">= 25 frames/s: {_met(sp['fps'] >= 25)}"))
    return rows


def anomaly(j: dict) -> list[Row]:
    m = j["mean_auroc"]
    return [("anomaly detection, MNIST one-class-out: mean AUROC over the 10 digits",
             f"{m['siamese']:.3f} (Siamese kNN)", f"raw-pixel kNN {m['pixels_knn']:.3f}",
             _met(m["siamese"] > m["pixels_knn"]))]


def mnist_pairs(j: dict) -> list[Row]:
    rows = []
    if "a" in j:
        a, s = j["a"], j["a"]["summary"]
        met, keras = s["targets_met"], a["keras_reference"]
        load = a.get("machine", {}).get("load_average_1min", "?")
        rows += [
            ("MNIST pairs, Keras-example tower, batch 16, 1 epoch: test accuracy",
             _pct(s["siamkit_test_accuracy"], 2), f"plain PyTorch loop "
             f"{_pct(s['plain_test_accuracy'], 2)}; Keras 3 {_pct(keras['test_accuracy'])} (quoted)",
             f">= Keras: {_met(met['accuracy'])}"),
            ("MNIST pairs, Keras-example tower, batch 16: training pairs/s",
             f"{s['siamkit_pairs_per_s']:,.0f} ({s['speedup_over_keras']:.1f}x Keras; load {load})",
             f"plain loop {s['plain_pairs_per_s']:,.0f} ({s['ratio_to_plain']:.2f}x); hand-tuned "
             f"channels-last loop {s['plain_channels_last_pairs_per_s']:,.0f} "
             f"({s['ratio_to_best_plain']:.2f}x)",
             f">= 4x Keras: {_met(met['pairs_per_s'])}; within 10% of the plain loop: "
             f"{_met(met['within_10pct_of_plain'])}, of the hand-tuned one: "
             f"{_met(met['within_10pct_of_best_plain'])}"),
        ]
    if "b" in j:
        b = j["b"]["summary"]
        load = j["b"].get("machine", {}).get("load_average_1min", "?")
        rows.append((
            "MNIST pairs, default image model: test accuracy and training time",
            f"{_pct(b['final_test_accuracy'], 2)} after {b['final_train_s']:.0f} s "
            f"({b['final_train_cpu_s']:.0f} CPU s; load {load})", "",
            f">= 99.5% within 300 s: {_met(b['target_met'])}"
            + (f" (time over by {b['time_over_by_s']:.0f} s)" if b["time_over_by_s"] > 0 else "")))
    return rows


def digits_mlp(j: dict) -> list[Row]:
    s = j["summary"]
    return [("scikit-learn digits as 64-d vectors, MLP encoder: kNN test accuracy (5 seeds)",
             f"{_pct(s['embedding_mean'], 2)} +- {_pct(s['embedding_sd'], 2)}",
             f"kNN on raw pixels {_pct(s['raw_pixels_mean'], 2)} +- {_pct(s['raw_pixels_sd'], 2)}",
             f">= raw pixels: {_met(s['target_met'])}")]


def scaling(j: dict) -> list[Row]:
    runs = {(r["kind"], r["processes"], r["threads"]): r for r in j["runs"]}
    rows = []
    for kind in dict.fromkeys(r["kind"] for r in j["runs"]):
        one, two = runs.get((kind, 1, 1)), runs.get((kind, 2, 1))
        if not one or not two:
            continue
        unit = one["unit"]
        rows.append((f"training throughput under torchrun, {kind}, batch "
                     f"{one['batch_per_process']} per process",
                     f"2 processes: {two['samples_per_s']:,.0f} {unit}/s "
                     f"({two['samples_per_s'] / one['samples_per_s']:.2f}x)",
                     f"1 process: {one['samples_per_s']:,.0f} {unit}/s", "plan for GPUs and "
                     "machines: `benchmarks/results/scaling.md`"))
    return rows


def one_shot_mnist(j: dict) -> list[Row]:
    peer = j["peer_raw_pixels_nn"]["test"]
    sel, target = j["selected_on_validation"], j["target"]["test_1_shot"]
    rows = []
    for r in j["recipes"]:
        if "test" not in r:
            continue
        t = r["test"]
        chosen = " (chosen on validation)" if r["recipe"] == sel["recipe"] else ""
        rows.append((f"one-shot MNIST, train digits 0-4, 5-way on unseen 5-9: `{r['recipe']}`"
                     f"{chosen}", f"1-shot {t['1_shot']['accuracy']:.3f}, 5-shot "
                     f"{t['5_shot']['accuracy']:.3f}", f"raw-pixel NN 1-shot "
                     f"{peer['1_shot']['accuracy']:.3f}, 5-shot {peer['5_shot']['accuracy']:.3f}"
                     if chosen else "",
                     f"1-shot >= {target}: {_met(t['1_shot']['accuracy'] >= target)}"
                     + (f", 5-shot >= {five}: {_met(t['5_shot']['accuracy'] >= five)}"
                        if (five := j["target"].get("test_5_shot")) else "") if chosen
                     else ""))
    return rows


def gradcache_memory(j: dict) -> list[Row]:
    c = j["cases"]
    big, cached, small = c["plain_big"], c["cached_big"], c["plain_64"]
    return [(f"MNRL step, {big['batch']:,} text pairs (LSTM), cached in chunks of "
             f"{cached['chunk']} (GradCache): peak memory",
             f"{cached['peak_rise_mib']:,.0f} MiB, {cached['step_s']:.1f} s; loss diff "
             f"{j['loss_abs_diff']:.0e}, grad diff {j['grad_max_abs_diff']:.0e}",
             f"plain {big['batch']:,}: {big['peak_rise_mib']:,.0f} MiB "
             f"({j['cached_over_plain_peak']:.2f}x), {big['step_s']:.1f} s; plain "
             f"{small['batch']}: {small['peak_rise_mib']:,.0f} MiB",
             f"the memory of a batch of 64: "
             f"{_met(j['cached_big_over_plain_64_peak'] <= 1.0)} "
             f"({j['cached_big_over_plain_64_peak']:.2f}x; the JSON's findings say what remains)")]


def onnx_runtime(j: dict) -> list[Row]:
    """ONNX Runtime against PyTorch eager, per model and batch, against the issue's >= 1.5x."""
    target = j.get("target_speedup", 1.5)
    quick = ", quick run" if j.get("quick") else ""
    return [(f"embed `{r['model']}` on CPU, batch {r['batch']}, {r['threads']} thread(s){quick}, "
             f"load {_load(j)}", f"ONNX Runtime {r['ort_items_per_s']:,.0f}/s",
             f"PyTorch eager {r['torch_items_per_s']:,.0f}/s ({r['speedup']:.2f}x"
             + (f"; {r['speedup_same_work']:.2f}x for the same work, ORT over the whole padded "
                f"batch" if "speedup_same_work" in r else "") + ")",
             f">= {target}x: {_met(r['speedup'] >= target)}") for r in j["rows"]]


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.2f} ms"


def gpu_check(j: dict) -> list[Row]:
    """Rows of a GPU run; a dry run (CPU, toy sizes) gives none, a failed part says so."""
    if j.get("dry_run"):
        return []
    parts = j["parts"]
    env = parts.get("env", {})
    gpu = f"GPU ({env.get('gpu', {}).get('name', 'unknown')}, torch {env.get('torch')})"
    rows: list[Row] = []
    for name, part in parts.items():
        if part.get("status") != "ok":
            reason = (part.get("error") or part.get("reason") or "").splitlines()
            rows.append((f"{gpu}: `{name}` part", f"**{part.get('status')}**",
                         reason[0][:120].replace("|", "/") if reason else "", ""))
    tests = parts.get("tests", {})
    if "passed" in tests:
        rows.append((f"{gpu}: CUDA tests (`pytest -m cuda tests/cuda`)",
                     f"{tests['passed']} passed, {tests['failed']} failed, {tests['errors']} "
                     f"errors, {tests['skipped']} skipped", "", _met(not tests["failed"]
                                                                    and not tests["errors"])))
    train = parts.get("train", {})
    runs = train.get("runs", {})
    base = runs.get("float32", {})
    target = train.get("target_test_accuracy", 0.995)
    for precision, run in runs.items():
        if run.get("status") != "ok":
            continue
        reached = run["time_to_target_s"]
        peer = ""
        if precision != "float32" and base.get("status") == "ok":
            base_reached = base["time_to_target_s"]
            peer = (f"float32 same run: {base['train_images_per_s']:,.0f} images/s, "
                    + (f"{_pct(target)} at {base_reached:.0f} s" if base_reached
                       else f"final {_pct(base['final_test_accuracy'], 2)}"))
        rows.append((f"{gpu}: MNIST default image model, {precision}"
                     + (" AMP" if precision != "float32" else "")
                     + f": time to {_pct(target)} test accuracy",
                     (f"{reached:.0f} s" if reached else "not reached")
                     + f" (final {_pct(run['final_test_accuracy'], 2)} after "
                     f"{run['summary']['final_train_s']:.0f} s), "
                     f"{run['train_images_per_s']:,.0f} images/s", peer,
                     f">= {_pct(target)}: {_met(reached is not None)}"))
    for r in parts.get("losses", {}).get("rows", []):
        rows.append((f"{gpu}: loss `{r['loss']}`, batch {r['batch']:,}, forward+backward",
                     f"{_ms(r['siamkit_s'])}, {r['siamkit_peak_mib']:,} MiB",
                     f"pytorch-metric-learning {_ms(r['pml_s'])} ({r['speedup_vs_pml']:.1f}x), "
                     f"{r['pml_peak_mib']:,} MiB", f"same value (abs diff {r['abs_diff']:.0e})"))
    for kind, what in (("images", "MNIST images"), ("sentences", "kjv-web sentences")):
        e = parts.get("encode", {}).get(kind)
        if not e:
            continue
        figures = [f"{name} {r['embeddings_per_s']:,.0f}/s" for name, r in e["runs"].items()
                   if "embeddings_per_s" in r]
        rows.append((f"{gpu}: encode {e['count']:,} {what}, batch {e['batch_size']:,}",
                     ", ".join(figures) or "none ran", e["model"].split(" (")[0], ""))
    return rows


TABLES: dict[str, tuple[Callable[[dict], list[Row]], str]] = {
    "mnist_pairs": (mnist_pairs, "benchmarks/mnist_pairs.py"),
    "one_shot_mnist": (one_shot_mnist, "benchmarks/one_shot_mnist.py"),
    "kjv_duplicates": (kjv_duplicates, "benchmarks/kjv_duplicates.py"),
    "kjv_pretrained": (kjv_pretrained, "benchmarks/kjv_pretrained.py"),
    "digits_mlp": (digits_mlp, "benchmarks/digits_mlp.py"),
    "losses": (losses, "benchmarks/losses.py"),
    "gradcache_memory": (gradcache_memory, "benchmarks/gradcache_memory.py"),
    "gallery": (gallery, "benchmarks/gallery.py"),
    "gallery_scale": (gallery_scale, "benchmarks/gallery_scale.py"),
    "gallery_integrity": (gallery_integrity, "benchmarks/gallery_integrity.py"),
    "serve_load": (serve_load, "benchmarks/serve_load.py"),
    "serve_load_milvus": (serve_load, "benchmarks/serve_load.py --backend milvus"),
    "data_loading": (data_loading, "benchmarks/data_loading.py"),
    "scaling": (scaling, "benchmarks/scaling.py"),
    "tracking": (tracking, "benchmarks/tracking.py"),
    "anomaly": (anomaly, "benchmarks/anomaly.py"),
    "onnx_runtime": (onnx_runtime, "benchmarks/onnx_runtime.py"),
    # the all-MiniLM-L6-v2 row, run on its own (--models minilm --out .../onnx_runtime_minilm.json)
    "onnx_runtime_minilm": (onnx_runtime, "benchmarks/onnx_runtime.py --models minilm "
                                           "--out benchmarks/results/onnx_runtime_minilm.json"),
    "gpu_check": (gpu_check, "benchmarks/gpu_check.py"),
}
OPTIONAL = {"gpu_check"}  # not listed as "not run" while absent (see the module docstring)


def table(results: Path = RESULTS) -> str:
    lines = ["| experiment | siamkit | peer, same run | target |", "|---|---|---|---|"]
    commands = []
    for name, (make_rows, script) in TABLES.items():
        path = results / f"{name}.json"
        if not path.exists():
            if name not in OPTIONAL:
                lines.append(f"| `{script}` | not run | | |")
            continue
        try:
            rows = make_rows(json.loads(path.read_text(encoding="utf-8")))
        except (KeyError, TypeError, ValueError) as exc:
            lines.append(f"| `{script}` | results in `{path.name}` not tabulated ({exc}) | | |")
            continue
        lines += [f"| {' | '.join(row)} |" for row in rows]
        commands.append(f"`PYTHONPATH=src python {script}`")
    return "\n".join(lines) + "\n\nCommands: " + ", ".join(commands) + ".\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the table, change nothing")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args(argv)
    text = table()
    if args.print:
        print(text)
        return 0
    readme = args.readme.read_text(encoding="utf-8")
    if START not in readme or END not in readme:
        print(f"{args.readme}: markers {START} and {END} not found", file=sys.stderr)
        return 1
    head, rest = readme.split(START, 1)
    tail = rest.split(END, 1)[1]
    args.readme.write_text(f"{head}{START}\n{text}{END}{tail}", encoding="utf-8")
    print(f"wrote the results table into {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
