"""``siamkit gallery check|backup|restore``: keeping a gallery folder whole.

``check`` runs the full integrity check (:mod:`siamkit.gallery.check`) and exits 1 while problems
remain; ``--repair`` deletes unusable rows and rebuilds the index. ``backup GALLERY OUT`` copies a
gallery that may be in use by another process (SQLite's online backup API) and ``restore BACKUP
GALLERY`` puts a backup into a new folder after checking it (:mod:`siamkit.gallery.backup`).
Registered by :mod:`siamkit.cli.gallery` as subcommands of ``siamkit gallery``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigError
from ..gallery.backup import backup_gallery, restore_gallery
from ..gallery.check import check_gallery
from ..gallery.persist import recorded_model_path
from ._common import HelpFormatter, add_json_flag, emit


def add_subcommands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    p = command("check", "check the database and the index; --repair mends what it can",
                _check)
    p.add_argument("--repair", action="store_true",
                   help="delete unusable references (each reported) and rebuild the index")

    p = sub.add_parser("backup", help="copy a gallery, even while it is in use",
                       description="Copy GALLERY into the new folder OUT: a consistent snapshot "
                       "of the database (SQLite online backup) and the index files.",
                       formatter_class=HelpFormatter)
    p.add_argument("gallery", type=Path)
    p.add_argument("out", type=Path)
    add_json_flag(p)
    p.set_defaults(func=_backup)

    p = sub.add_parser("restore", help="restore a backup into a new gallery folder",
                       description="Check the backup BACKUP and copy it into the new (or empty) "
                       "folder GALLERY; a stale index is rebuilt at the first open.",
                       formatter_class=HelpFormatter)
    p.add_argument("backup", type=Path)
    p.add_argument("gallery", type=Path)
    add_json_flag(p)
    p.set_defaults(func=_restore)


def _check(args: argparse.Namespace) -> int:
    from ..model import SiameseNetwork

    model_path = args.model or recorded_model_path(args.gallery)
    if model_path is None:
        raise ConfigError(f"gallery {args.gallery}: give the model with --model DIR")
    report = check_gallery(args.gallery, SiameseNetwork.load(model_path), repair=args.repair)
    lines = [f"problem: {p['message']}" + ("" if p["repairable"] else " (not repairable)")
             for p in report["problems"]]
    lines += [f"repaired: {r['kind']}: " + (f"deleted {r['deleted']} reference(s)"
                                            if "deleted" in r else f"filled {r['filled']}")
              for r in report["repaired"]]
    lines.append(f"index: {report['index']}")
    lines.append("ok" if report["ok"] else "problems remain")
    emit(args, report, "\n".join(lines))
    return 0 if report["ok"] else 1


def _backup(args: argparse.Namespace) -> int:
    manifest = backup_gallery(args.gallery, args.out)
    emit(args, manifest, f"backed up {args.gallery} to {args.out} ({manifest['identities']} "
                         f"identities, {manifest['references']} references)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    done = restore_gallery(args.backup, args.gallery)
    emit(args, done, f"restored {args.backup} into {args.gallery} ({done['identities']} "
                     f"identities, {done['references']} references)")
    return 0
