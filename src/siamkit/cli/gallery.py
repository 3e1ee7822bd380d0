"""``siamkit gallery enroll|identify|verify|remove|list`` (and ``check|backup|restore``, in
:mod:`siamkit.cli._gallery_admin`): the gallery from the shell.

``add_parser(subparsers)`` registers the command on the main ``siamkit`` parser; each subcommand
sets ``func(args) -> int``. Samples and probes are read by :mod:`siamkit.inputs`, the way the model
reads them: image paths or folders for an image model, the arguments themselves as texts for a
text model, ``.npy`` or ``.csv`` files of vectors for a vector model; ``--from-file`` reads one
sample (path or text) per line instead. ``enroll --folder ROOT`` enrolls a whole
``ROOT/<identity>/<images>`` tree, one identity per subfolder (or, with ``--name``, ROOT as the
folder of one identity). Exit status: 0 (a rejection is an answer, not an error:
read it from the output or --json); bad input raises a SiamkitError (exit status 1).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from ..gallery import AGGREGATES, BACKENDS, VECTORS, Gallery
from ..gallery.factory import ALIASES
from ..gallery.prototypes import SCORINGS
from ..gallery.persist import DB_FILE, recorded_model_path
from ..inputs import identity_folders, modality, read_inputs
from . import _gallery_admin
from ._common import HelpFormatter, add_command, add_json_flag, emit

DESCRIPTION = (
    "Enroll references of named identities into a gallery folder, then identify probes among "
    "them or verify a probe against a claimed identity. Samples are image paths (image model), "
    "the arguments themselves as texts (text model) or .npy/.csv files of vectors (vector "
    "model); --from-file reads one per line. Scores: higher = more similar. verify prints each "
    "decision and exits 0 either way, like `siamkit verify`; status 1 means an error."
)
EXAMPLES = """\
  siamkit gallery enroll -g gallery/ -m runs/mnist/model alice alice1.png alice2.png
  siamkit gallery enroll -g gallery/ bob --from-file bob_photos.txt --metadata '{"team": "b"}'
  siamkit gallery enroll -g gallery/ -m runs/faces/model --folder people/    people/<name>/*.jpg
  siamkit gallery enroll -g gallery/ --folder new_photos/carol --name carol
  siamkit gallery identify -g gallery/ probe.png -k 5       "unknown" below the threshold
  siamkit gallery verify -g gallery/ alice probe.png --json
  siamkit gallery list -g gallery/
  siamkit gallery enroll -g big/ --index IVF4096,PQ32 --vectors float16 ...   compressed
  siamkit gallery identify -g big/ probe.png --nprobe 64 --rerank 200
  siamkit gallery enroll -g g/ --backend milvus --uri refs.db alice a.png   Milvus Lite
  siamkit gallery check -g gallery/ --repair
  siamkit gallery backup gallery/ backups/monday && siamkit gallery restore backups/monday g2/"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "gallery",
                         "enroll references, identify and verify against them", DESCRIPTION,
                         EXAMPLES)
    sub = parser.add_subparsers(dest="gallery_command", required=True, metavar="COMMAND")

    def command(name: str, help: str, func: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, formatter_class=HelpFormatter)
        p.add_argument("--gallery", "-g", required=True, type=Path, help="gallery folder")
        p.add_argument("--model", "-m", type=Path,
                       help="model folder (default: the one that built the gallery)")
        add_gallery_options(p)
        add_json_flag(p)
        p.set_defaults(func=func)
        return p

    p = command("enroll", "add references of an identity (creates the gallery if new)", _enroll)
    p.add_argument("identity", nargs="?", help="the identity's name (not with --folder)")
    p.add_argument("samples", nargs="*", help="image paths, texts, or .npy/.csv vector files")
    p.add_argument("--from-file", type=Path, help="read samples from this file, one per line")
    p.add_argument("--folder", type=Path,
                   help="enroll a tree ROOT/<identity>/<images>, one identity per subfolder")
    p.add_argument("--name", help="with --folder: the folder holds the images of this one identity")
    p.add_argument("--metadata", help="JSON object merged into the identity's metadata")
    p.add_argument("--scoring", choices=SCORINGS,
                   help="how identify scores an identity: its nearest reference (default) or "
                        "the mean of its references, a prototype (kept with the gallery)")

    p = command("identify", "rank the enrolled identities for each probe", _identify)
    p.add_argument("probes", nargs="*")
    p.add_argument("--from-file", type=Path, help="read probes from this file, one per line")
    p.add_argument("-k", type=int, default=5, help="identities to rank (default 5)")
    p.add_argument("--scoring", choices=SCORINGS,
                   help="nearest reference or prototype (default: the gallery's; kept with it)")
    p.add_argument("--threshold", type=float, help="override the model's threshold")

    p = command("verify", "is each probe the claimed identity? (accept or reject each)",
                _verify)
    p.add_argument("identity")
    p.add_argument("probes", nargs="*")
    p.add_argument("--from-file", type=Path, help="read probes from this file, one per line")
    p.add_argument("--aggregate", choices=AGGREGATES, default="max",
                   help="over the identity's references")
    p.add_argument("--threshold", type=float, help="override the model's threshold")

    p = command("remove", "delete identities and their references", _remove)
    p.add_argument("identities", nargs="+")

    command("list", "list the enrolled identities", _list)
    _gallery_admin.add_subcommands(sub, command)
    return parser


# ---- opening ------------------------------------------------------------------------------------


def add_gallery_options(p: argparse.ArgumentParser) -> None:
    """The index and storage options of a gallery (``siamkit gallery`` and ``siamkit serve``)."""
    p.add_argument("--index", help=f"index of a new gallery: {', '.join(ALIASES)} or a FAISS "
                                   "factory string such as IVF4096,PQ32 or HNSW32,SQ8 "
                                   "(default flat; a different one rebuilds the index)")
    p.add_argument("--vectors", choices=VECTORS,
                   help="how a new gallery keeps each embedding besides its index (default "
                        "float32; none: only the index's codes)")
    p.add_argument("--nprobe", type=int, help="IVF cells searched per query (default 16)")
    p.add_argument("--ef-search", type=int, help="HNSW search breadth (default 128)")
    p.add_argument("--backend", choices=BACKENDS,
                   help="where a new gallery's vectors are searched (default faiss)")
    p.add_argument("--uri", help="milvus backend: a local .db file (Milvus Lite) or "
                                 "http(s)://host:port (a Milvus server)")
    p.add_argument("--collection", help="milvus backend: the collection (default siamkit)")
    p.add_argument("--rerank", type=int,
                   help="candidates rescored against the kept vectors (default 100 for a "
                        "compressed index, else 0)")


def gallery_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :class:`~siamkit.gallery.Gallery` from :func:`add_gallery_options`."""
    given = {"index": args.index, "vectors": args.vectors, "nprobe": args.nprobe,
             "ef_search": args.ef_search, "rerank": args.rerank, "backend": args.backend,
             "uri": args.uri, "collection": args.collection,
             "scoring": getattr(args, "scoring", None)}  # enroll and identify only
    for flag in ("nprobe", "ef_search"):
        if given[flag] is not None and given[flag] < 1:
            raise ConfigError(f"--{flag.replace('_', '-')}: expected a positive integer, "
                              f"got {given[flag]}")
    return {key: value for key, value in given.items() if value is not None}


def _open(args: argparse.Namespace, create: bool = False) -> Gallery:
    from ..model import SiameseNetwork

    if not create and not (args.gallery / DB_FILE).is_file():
        raise DataError(f"gallery {args.gallery}: no gallery there (enroll creates one)")
    model_path = args.model or recorded_model_path(args.gallery)
    if model_path is None:
        raise ConfigError(f"gallery {args.gallery}: give the model with --model DIR")
    gallery = Gallery(SiameseNetwork.load(model_path), args.gallery, **gallery_options(args))
    gallery.record_model_path(model_path)
    return gallery


def _samples(args: argparse.Namespace, items: list[str], gallery: Gallery) -> Any:
    what = "samples" if args.gallery_command == "enroll" else "probes"
    return read_inputs(gallery.model, items, args.from_file, what)[0]


# ---- commands -----------------------------------------------------------------------------------


def _enroll(args: argparse.Namespace) -> int:
    try:
        metadata = json.loads(args.metadata) if args.metadata else None
    except ValueError:
        raise ConfigError(f"--metadata: not valid JSON: {args.metadata[:60]}") from None
    if args.folder is not None:
        return _enroll_folder(args, metadata)
    if args.name is not None:
        raise ConfigError("--name goes with --folder; otherwise the identity is the first argument")
    if args.identity is None:
        raise ConfigError("enroll: name the identity and its samples, or give --folder ROOT")
    with _open(args, create=True) as gallery:
        ids = gallery.enroll(args.identity, _samples(args, args.samples, gallery), metadata)
        total = gallery.n_references_of(args.identity)
    emit(args, {"identity": args.identity, "reference_ids": ids, "n_references": total},
         f"enrolled {len(ids)} reference(s) of {args.identity!r} ({total} in all)")
    return 0


def _enroll_folder(args: argparse.Namespace, metadata: dict | None) -> int:
    """Each identity folder of ``--folder`` (or the one folder of ``--name``), enrolled in turn."""
    if args.identity is not None or args.samples or args.from_file:
        raise ConfigError("--folder: the identities are its subfolders' names; give no identity, "
                          "samples or --from-file with it (one identity's folder: --name NAME)")
    with _open(args, create=True) as gallery:
        kind = modality(gallery.model)
        if kind != "image":
            raise ConfigError(f"--folder: enrolls image files, but the model takes {kind} inputs")
        enrolled = []
        for identity, paths in identity_folders(args.folder, args.name):
            ids = gallery.enroll(identity, read_inputs(gallery.model, paths, what="samples")[0],
                                 metadata)
            enrolled.append({"identity": identity, "n_enrolled": len(ids),
                             "n_references": gallery.n_references_of(identity)})
    lines = [f"enrolled {e['n_enrolled']} reference(s) of {e['identity']!r} "
             f"({e['n_references']} in all)" for e in enrolled]
    lines.append(f"{sum(e['n_enrolled'] for e in enrolled)} references of {len(enrolled)} "
                 f"identities from {args.folder}")
    emit(args, enrolled, "\n".join(lines))
    return 0


def _identify(args: argparse.Namespace) -> int:
    with _open(args) as gallery:
        probes = _samples(args, args.probes, gallery)
        results = gallery.identify(probes, k=args.k, threshold=args.threshold)
    names = _names(args.probes, args, len(results))
    lines = []
    for name, r in zip(names, results):
        best = "unknown" if r.known is False else r.identity
        best = best if r.candidates else "(empty gallery)"
        ranked = ", ".join(f"{c.identity} {c.score:.4f}" for c in r.candidates)
        lines.append(f"{name}: {best}  [{ranked}]")
    emit(args, [{"probe": n, **r.to_dict()} for n, r in zip(names, results)], "\n".join(lines))
    return 0


def _verify(args: argparse.Namespace) -> int:
    with _open(args) as gallery:
        probes = _samples(args, args.probes, gallery)
        results = gallery.verify(args.identity, probes, aggregate=args.aggregate,
                                 threshold=args.threshold)
    names = _names(args.probes, args, len(results))
    text = "\n".join(f"{n}: {'accepted' if r.accepted else 'rejected'} as {r.identity!r} "
                     f"(score {r.score:.4f}, threshold {r.threshold:.4f})"
                     for n, r in zip(names, results))
    emit(args, [{"probe": n, **r.to_dict()} for n, r in zip(names, results)], text)
    return 0


def _remove(args: argparse.Namespace) -> int:
    with _open(args) as gallery:
        removed = {name: gallery.remove(name) for name in args.identities}
    emit(args, removed, "\n".join(f"removed {n!r} ({k} references)" for n, k in removed.items()))
    return 0


def _list(args: argparse.Namespace) -> int:
    with _open(args) as gallery:
        listed = [i.to_dict() for i in gallery.list()]
    text = "\n".join(f"{i['identity']}\t{i['n_references']}" for i in listed) or "(no identities)"
    emit(args, listed, text)
    return 0


def _names(items: list[str], args: argparse.Namespace, n: int) -> list[str]:
    """A label per probe row: the argument itself when one row each, else a row number."""
    if args.from_file is None and len(items) == n:
        return list(items)
    return [f"#{i}" for i in range(n)]
