"""The written plan of benchmarks/scaling.py: GPUs and several machines, with the measured figures.

Kept apart from the measuring script so that the text reads as one document; ``plan_markdown``
fills in the figures of the run that produced it.
"""

from __future__ import annotations

from typing import Any


def _table(runs: list[dict[str, Any]]) -> str:
    lines = ["| model | processes x threads | per-process batch | samples/s | images/s | "
             "vs 1 x 1 | load before / after |", "|---|---|---|---|---|---|---|"]
    for kind in dict.fromkeys(r["kind"] for r in runs):
        base = next(r for r in runs if r["kind"] == kind and r["processes"] == 1
                    and r["threads"] == 1)
        for r in (r for r in runs if r["kind"] == kind):
            name = ("contrastive pairs" if kind == "pairs" else "batch-hard (gathered)")
            lines.append(f"| {name} | {r['processes']} x {r['threads']} | "
                         f"{r['batch_per_process']} {r['unit']} | {r['samples_per_s']:.0f} "
                         f"{r['unit']}/s | {r['images_per_s']:.0f} | "
                         f"{r['samples_per_s'] / base['samples_per_s']:.2f}x | "
                         f"{r.get('load_average_1min_before')} / "
                         f"{r.get('load_average_1min_after')} |")
    return "\n".join(lines)


def plan_markdown(runs: list[dict[str, Any]], machine: dict[str, Any], args: Any) -> str:
    cores = machine.get("cpus_usable") or machine.get("cpu_count")
    return f"""# Scaling siamkit training: measured on one CPU machine, planned for GPUs, clusters

Measured with `{'benchmarks/scaling.py' + (' --quick' if args.quick else '')}` on
{machine['cpu_model']} ({cores} usable cores), torch {machine['torch']}, gloo backend, data:
{runs[0]['data']}; load average {machine['load_average_1min']} when it ended (a busy machine
makes these figures low and noisy). Each run: {args.steps} steps per process per epoch, the second
epoch timed. Model: convnet encoder (default preset), 64-dim embedding.

{_table(runs)}

## What this measurement can and cannot show
- On a {cores}-core machine, 2 processes of 1 thread share the same cores that 1 process of 2
  threads uses. The comparison "2 x 1" against "1 x 2" therefore shows the *cost* of data-parallel
  training (gradient all-reduce through gloo, the gathered embeddings of the in-batch loss,
  duplicated Python work per process), not a speed-up from more hardware. "2 x 1" against "1 x 1"
  shows how the work of a step (twice the samples) spreads over the 2 cores, an upper bound of what
  a second *machine* would add minus the network.
- Under load, "1 x 2" can fall far below "1 x 1": torch's OpenMP threads wait for each other
  at every operation, and when another user holds one of the 2 cores each step waits for a
  descheduled thread. Separate processes of 1 thread do not stall that way. On a busy shared
  machine, prefer 1 thread per process (`torch.set_num_threads(1)`, or `OMP_NUM_THREADS=1`).
- It cannot show network-bound effects (all-reduce over Ethernet/InfiniBand), GPU kernels, NCCL,
  or input pipelines that read from disk: everything here is in memory.
- The same code path runs in every layout: `siamkit.Trainer` joins the process group from
  torchrun's variables, wraps the model and loss in DistributedDataParallel, and (for in-batch
  losses) gathers embeddings with gradients so that each rank mines negatives from the global batch.

## The plan: GPUs and several machines
No GPU or second machine was measured: what follows is a plan built on the CPU figures above and
on what the code does today, not a measurement.

**What the user changes: the launch command only.** The training script is the same;
`Trainer(device="auto")` picks `cuda:LOCAL_RANK`, and `siamkit.training.distributed.setup()` picks
NCCL when CUDA is present (gloo otherwise).

    # one machine, 8 GPUs
    torchrun --standalone --nproc_per_node 8 train.py
    # 4 machines x 8 GPUs (run on each machine; one rendezvous endpoint)
    torchrun --nnodes 4 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint HOST:29500 train.py

What siamkit already does, and what each part needs at scale:
1. **Backend and DDP**: NCCL on GPUs, gloo on CPUs; the step module (model + loss) is wrapped in
   `DistributedDataParallel`, so gradients are averaged in buckets overlapped with the backward
   pass. Mixed precision is on by default on CUDA (`amp="auto"`: bfloat16 where supported, else
   float16 with a GradScaler); the convnet keeps NHWC weights, which cuDNN's tensor-core kernels
   prefer.
2. **Data sharding**: siamkit loaders take `rank`/`world_size` (or read them from the process
   group) and give each rank a disjoint share of each epoch's batches, reseeded per epoch so that a
   resumed run sees the same data; a `DataLoader` gets a `DistributedSampler`. For data larger than
   memory, each rank should read its own file shards (not implemented: today each process holds the
   whole dataset in memory, fine for MNIST-sized data, about 47 MB for MNIST's images per process).
3. **Batch sizes**: the per-process batch stays what fits one device; the global batch is
   `world_size x batch`. For pair losses (contrastive, triplets on given rows) that only averages
   more rows per step: scale the learning rate with the global batch (linear up to a few thousand,
   with a warm-up of a few hundred steps; Goyal et al. 2017) or use the same global batch with
   fewer steps. For P x K batches each rank draws its own P classes; the batch-hard loss sees
   `world_size x P` classes after the gather.
4. **Gathered negatives**: batch-hard/batch-all, hard-negative triplet and multiple-negatives
   ranking losses gather the embeddings of every rank *with gradients*
   (`distributed.gather_with_grad`, SimCLR-style), so that negatives come from the global batch;
   the gradient scaling under DDP's averaging is exact (tested with 2 processes). The gather costs
   `world_size x batch x dim` floats per step (64 x 64 float32 = 16 KB per rank here; 8 GPUs x 1024
   x 256 = 8 MB per step), small beside the gradient all-reduce of the weights.
5. **Validation and checkpoints**: rank 0 validates on the whole validation set while the others
   wait, and rank 0 alone writes checkpoints and the history. At GPU scale, validation should be
   sharded (each rank scores its share, then an all-gather of scores), otherwise it grows to a
   large share of epoch time; checkpoints stay rank-0 (DDP keeps the weights identical).
6. **Throughput to expect**: the single-machine figures above are the per-process baseline. On
   GPUs a step of this small convnet is launch-bound at these batch sizes: use per-GPU batches of
   256-1024 images and, for the in-batch loss, larger P x K; with DDP's overlap, scaling across
   GPUs of one machine is typically near-linear for such models, and across machines it is bound by
   the all-reduce of the gradients (the convnet's 28k parameters are 110 KB: negligible; an encoder
   of 100M parameters needs a fast interconnect).
"""
