"""Shared pieces of the one-shot MNIST benchmark: data splits, recipes, one training run.

Everything goes through siamkit's public API: ``siamkit.data`` (load_dataset, class_disjoint_split,
train_val_split, make_loader, ImageAugment / AugmentedLoader), ``siamkit.encoders``,
``siamkit.SiameseNetwork``, ``siamkit.losses``, ``siamkit.Trainer`` and
``siamkit.evaluation.one_shot_accuracy``. See one_shot_mnist.py for the protocol.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import torch

import siamkit as sk
from siamkit.data import AugmentedLoader, ImageAugment, LabelledData, PairData
from siamkit.training.callbacks import Callback

TRAIN_DIGITS = (0, 1, 2, 3, 4)
TEST_DIGITS = (5, 6, 7, 8, 9)
VAL_IMAGES = 5000  # train-split images of digits 0-4 kept out of every training run, for selection


@dataclass
class Recipe:
    """One way to train an embedding. ``epochs`` is the budget (passes over the training images)."""

    name: str
    objective: str = "batch_hard"  # batch_hard | batch_all | contrastive | koch_bce | instance
    #                                  | prototypical | arcface | supcon
    channels: tuple[int, ...] = (32, 64, 128)
    convs_per_block: int = 1
    embedding_dim: int = 64
    normalize: bool = False
    dropout: float = 0.0
    distance: str = "euclidean"
    margin: float = 0.3
    scale: float = 10.0  # MNRL inverse temperature (instance)
    batch_size: int = 128
    samples_per_class: int = 32
    augment: dict[str, Any] | None = None
    class_transforms: tuple[str, ...] = ()  # e.g. ("rot90", "rot180", "rot270"): new classes
    image_fraction: float = 1.0  # train on a seeded share of the images (equal-compute pairs)
    epochs: int = 5
    lr: float = 1e-3
    weight_decay: float = 0.0
    optimizer: str = "adam"
    scheduler: str | None = None
    seed: int = 0
    n_way: int = 20  # prototypical episodes: classes, support and queries per class
    k_shot: int = 1
    n_query: int = 5
    temperature: float = 0.1  # supcon; prototypical with cosine

    def config(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Split:
    """Images and labels (original digit ids) of one side of the protocol."""

    x: torch.Tensor
    y: torch.Tensor

    def only(self, digits) -> Split:
        keep = torch.isin(self.y, torch.tensor(list(digits)))
        return Split(self.x[keep], self.y[keep])


def load_splits(data_dir: Any = None, seed: int = 0) -> dict[str, Split]:
    """``train`` (digits 0-4 of the train split, minus ``val``), ``val`` (VAL_IMAGES of them,
    stratified, for selection), ``test`` (digits 5-9 of the TEST split, final test only)."""
    train_all = sk.data.load_dataset("mnist", split="train", data_dir=data_dir)
    test_all = sk.data.load_dataset("mnist", split="test", data_dir=data_dir)
    seen, _ = sk.data.class_disjoint_split(train_all, [str(d) for d in TEST_DIGITS])
    frac = VAL_IMAGES / len(seen)
    train, val = sk.data.train_val_split(seen, frac, seed=seed)
    # class_disjoint_split returns (the other classes, the classes named): here 5-9, then 0-4.
    unseen, _ = sk.data.class_disjoint_split(test_all, [str(d) for d in TRAIN_DIGITS])
    digit = lambda d: torch.tensor([int(c) for c in d.classes])[d.y]  # noqa: E731  dense id -> digit
    splits = {"train": Split(train.x, digit(train)), "val": Split(val.x, digit(val)),
              "test": Split(unseen.x, digit(unseen))}
    for key, digits in (("train", TRAIN_DIGITS), ("val", TRAIN_DIGITS), ("test", TEST_DIGITS)):
        assert set(splits[key].y.unique().tolist()) == set(digits), key
    return splits


def build_model(r: Recipe) -> sk.SiameseNetwork:
    torch.manual_seed(r.seed)
    enc = sk.encoders.create_encoder(
        "convnet", in_channels=1, embedding_dim=r.embedding_dim, channels=r.channels,
        convs_per_block=r.convs_per_block, dropout=r.dropout, normalize=r.normalize)
    adapter = sk.adapters.ImageAdapter(channels=1, image_size=28, mean=[0.1307], std=[0.3081])
    head = "l1_sigmoid" if r.objective == "koch_bce" else None
    return sk.SiameseNetwork(enc, distance=r.distance, head=head, adapter=adapter)


def build_loss(r: Recipe, n_classes: int = 0) -> torch.nn.Module:
    L = sk.losses
    if r.objective == "batch_hard":
        return L.BatchHardTripletLoss(margin=r.margin, distance=r.distance)
    if r.objective == "batch_all":
        return L.BatchAllTripletLoss(margin=r.margin, distance=r.distance)
    if r.objective == "contrastive":
        return L.ContrastiveLoss(margin=r.margin)
    if r.objective == "koch_bce":
        return L.BinaryCrossEntropyLoss()
    if r.objective == "instance":
        return L.MultipleNegativesRankingLoss(scale=r.scale, symmetric=True)
    if r.objective == "prototypical":
        metric = "cosine" if r.distance == "cosine" else "squared_euclidean"
        return L.PrototypicalLoss(metric, r.temperature if metric == "cosine" else 1.0)
    if r.objective == "supcon":
        return L.SupConLoss(temperature=r.temperature)
    if r.objective == "arcface":  # class weights for the (expanded) training classes
        return L.ArcFaceLoss(n_classes, r.embedding_dim, margin=r.margin, scale=r.scale)
    raise ValueError(f"unknown objective {r.objective!r}")


def _rotate(degrees: float):
    """Rotation by any angle about the image centre (bilinear), as a class-making transform."""
    def fn(x: torch.Tensor) -> torch.Tensor:
        t = torch.tensor(degrees * torch.pi / 180)
        cos, sin = torch.cos(t), torch.sin(t)
        theta = torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]])
        grid = torch.nn.functional.affine_grid(theta.expand(len(x), 2, 3), list(x.shape),
                                               align_corners=False)
        out = torch.nn.functional.grid_sample(x.float(), grid, align_corners=False)
        return out.round().clamp(0, 255).to(x.dtype)
    return fn


#: Non-square-symmetry transforms by name, for ``Recipe.class_transforms``.
EXTRA_TRANSFORMS = {f"rot{a}": _rotate(a) for a in (45, 135, 225, 315)}


def build_loader(r: Recipe, train: Split) -> Any:
    data = LabelledData(train.x, train.y)  # labels are digit ids; absent digits have no samples
    if r.class_transforms:  # each rotation of a digit a new class (Santoro et al. 2016)
        named = {t: EXTRA_TRANSFORMS.get(t) or sk.data.SQUARE_SYMMETRIES[t]
                 for t in r.class_transforms}
        data = sk.data.expand_classes(data, named)
    x, y = data.x, data.y
    if r.image_fraction < 1.0:
        g = torch.Generator().manual_seed(r.seed)
        keep = torch.randperm(len(x), generator=g)[: round(r.image_fraction * len(x))]
        x, y = x[keep], y[keep]
        data = LabelledData(x, y)
    if r.objective == "prototypical":
        episodes = round(len(x) / (r.n_way * (r.k_shot + r.n_query)))
        loader = sk.data.make_loader("episodes", data, None, seed=r.seed, n_way=r.n_way,
                                     k_shot=r.k_shot, n_query=r.n_query, episodes=episodes)
    elif r.objective in ("batch_hard", "batch_all", "supcon", "arcface"):
        k = r.samples_per_class
        p = min(r.batch_size // k, len(torch.unique(y)))
        loader = sk.data.make_loader("labelled", data, p * k, seed=r.seed, samples_per_class=k)
    elif r.objective in ("contrastive", "koch_bce"):
        loader = sk.data.make_loader("pairs", data, r.batch_size, seed=r.seed)
    elif r.objective == "instance":
        n = len(x)
        pairs = PairData(x, x, torch.ones(n), groups=torch.arange(n))
        loader = sk.data.make_loader("duplicates", pairs, r.batch_size, seed=r.seed)
    else:
        raise ValueError(f"unknown objective {r.objective!r}")
    if r.augment is not None:
        loader = AugmentedLoader(loader, ImageAugment(**r.augment), seed=r.seed)
    return loader


class OneShotMonitor(Callback):
    """After each epoch, :func:`selection_metrics` on the selection images (train-split digits 0-4
    never trained on), into the epoch's log; keeps a copy of each epoch's weights."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, held_out=(), episodes: int = 1000,
                 seed: int = 1) -> None:
        self.x, self.y, self.held_out, self.episodes, self.seed = x, y, held_out, episodes, seed
        self.states: dict[int, dict] = {}

    def on_epoch_end(self, trainer, epoch, logs):
        logs.update(selection_metrics(trainer.model, self.x, self.y, self.held_out,
                                      self.episodes, self.seed))
        self.states[epoch] = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}


def selection_metrics(model, x, y, held_out=(), episodes=1000, seed=1) -> dict[str, float]:
    """``val_one_shot``: 5-way 1-shot over digits 0-4 (the held-out ones among them);
    ``val_unseen``: N-way 1-shot among the held-out digits only (N = how many, at least 2)."""
    if model is not None:
        emb = model.encode(x, batch_size=512)
    else:  # raw pixels
        emb = x.reshape(len(x), -1).float() / 255
    dist = model.distance_fn if model is not None else sk.distances.get_distance("euclidean")
    scorers = {"": lambda u, v: dist.to_score(dist.paired(u, v))}
    if model is not None and model.head is not None:  # Koch et al.: the L1 head's probability
        scorers["_head"] = model.score_embeddings
    out = {}
    for suffix, score in scorers.items():
        run = lambda score=score, **kw: sk.evaluation.one_shot_accuracy_from_embeddings(  # noqa: E731
            emb, y, score, k_shot=1, episodes=episodes, seed=seed, **kw)["accuracy"]
        out["val_one_shot" + suffix] = run(n_way=5)
        if len(held_out) >= 2:
            out["val_unseen" + suffix] = run(n_way=len(held_out), classes=list(held_out))
    return out


def train(r: Recipe, train_split: Split, monitor: OneShotMonitor | None = None,
          threads: int = 2) -> tuple[sk.SiameseNetwork, dict[str, Any]]:
    torch.set_num_threads(threads)
    model = build_model(r)
    loader = build_loader(r, train_split)
    labels = getattr(loader, "loader", loader).data.y  # under the augmentation, if any
    loss = build_loss(r, int(labels.max()) + 1 if r.objective == "arcface" else 0)
    trainer = sk.Trainer(model, loss, epochs=r.epochs, lr=r.lr, weight_decay=r.weight_decay,
                         optimizer=r.optimizer, scheduler=r.scheduler, seed=r.seed,
                         progress=False, device="cpu", callbacks=[monitor] if monitor else [])
    t0 = time.perf_counter()
    hist = trainer.fit(loader)
    seconds = time.perf_counter() - t0
    keys = ("epoch", "train_loss", "val_one_shot", "val_unseen", "val_one_shot_head",
            "val_unseen_head", "time_s")
    curve = [{k: e[k] for k in keys if k in e} for e in hist]
    return model, {"train_s": seconds, "steps": trainer.step_, "curve": curve}
