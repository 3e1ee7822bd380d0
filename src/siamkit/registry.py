"""One registry mechanism for every named component: encoders, losses, heads, distances, miners,
datasets and data readers.

A component registers itself once, next to its definition, with the facts the rest of siamkit needs
to know about it (a loss's ``input_kind``, an encoder's ``modality``, a dataset's ``splits`` and
``options``, a reader's ``suffixes``)::

    from ..registry import LOSSES

    @LOSSES.register("contrastive", input_kind="pair_distances")
    class ContrastiveLoss(SiamkitLoss):
        ...

Everything that lists names reads the registries: the config schema and its checks, the CLI's
``--help`` listings, "did you mean" messages and the docs table. No other list of names is kept.

Each registry knows the modules that hold its built-in components and imports them the first time
it is asked for a name, so that a lookup never misses a built-in that simply was not imported yet;
this module itself imports nothing heavy.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, TypeVar

from .errors import ConfigError

T = TypeVar("T")


def did_you_mean(word: str, choices: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class Entry:
    """One registered component: its name, the object (class or factory), the names it also
    answers to, a one-line summary (the first line of its docstring) and its facts."""

    name: str
    obj: Any
    aliases: tuple[str, ...] = ()
    summary: str = ""
    info: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.info[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.info.get(key, default)


def _summary(obj: Any) -> str:
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return " ".join(doc.split("\n\n")[0].split()) if doc else ""


class Registry:
    """Named components of one kind (``"loss"``, ``"encoder"``, ...).

    ``modules`` are the import paths that register the built-in components; they are imported
    lazily, on the first lookup. ``normalize`` maps a user's spelling to a key (for example
    ``"Fashion_MNIST"`` -> ``"fashion-mnist"``); by default names are matched exactly.
    """

    def __init__(self, kind: str, modules: tuple[str, ...] = (),
                 normalize: Callable[[str], str] | None = None) -> None:
        self.kind = kind
        self._modules = tuple(modules)
        self._normalize = normalize or (lambda name: name)
        self._entries: dict[str, Entry] = {}
        self._aliases: dict[str, str] = {}
        self._loaded = False

    # ---- registering -------------------------------------------------------------------------

    def register(self, name: str, *, aliases: tuple[str, ...] = (), summary: str | None = None,
                 **info: Any) -> Callable[[T], T]:
        """Decorator: register the class or function below as ``name`` with ``info``."""

        def decorate(obj: T) -> T:
            self.add(name, obj, aliases=aliases, summary=summary, **info)
            return obj

        return decorate

    def add(self, name: str, obj: Any, *, aliases: tuple[str, ...] = (),
            summary: str | None = None, **info: Any) -> Entry:
        """Register ``obj`` as ``name``; a name or alias already taken by another object is an
        error (re-registering the same object, as a module reload does, is not)."""
        for key in (name, *aliases):
            owner = self._aliases.get(key, key if key in self._entries else None)
            if owner is not None and self._entries[owner].obj is not obj:
                raise ConfigError(f"{self.kind} name {key!r} is already registered to "
                                  f"{self._entries[owner].obj!r}")
        entry = Entry(name, obj, tuple(aliases), _summary(obj) if summary is None else summary,
                      dict(info))
        self._entries[name] = entry
        for alias in aliases:
            self._aliases[alias] = name
        if isinstance(obj, type) and not getattr(obj, "registered_name", None):
            obj.registered_name = name  # type: ignore[attr-defined]
        return entry

    def remove(self, name: str) -> None:
        """Forget ``name`` (for tests that register a component of their own)."""
        entry = self._entries.pop(name)
        for alias in entry.aliases:
            self._aliases.pop(alias, None)

    # ---- looking up --------------------------------------------------------------------------

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for module in self._modules:
                importlib.import_module(module)

    def _key(self, name: str) -> str | None:
        self._load()
        for key in (name, self._normalize(str(name))):
            if key in self._entries:
                return key
            if key in self._aliases:
                return self._aliases[key]
        return None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) is not None

    def entry(self, name: str, where: str = "") -> Entry:
        """The entry called ``name`` (or one of its aliases); an unknown name is a
        :class:`~siamkit.errors.ConfigError` that names it, suggests the closest and lists all."""
        key = self._key(name)
        if key is None:
            raise ConfigError(self.unknown_message(name, where))
        return self._entries[key]

    def get(self, name: str, where: str = "") -> Any:
        """The registered object (class or factory) called ``name``."""
        return self.entry(name, where).obj

    def unknown_message(self, name: Any, where: str = "") -> str:
        prefix = f"{where} " if where else ""
        names = self.names()
        return (f"{prefix}unknown {self.kind} {name!r}{did_you_mean(name, self.names(True))}; "
                f"choose one of {', '.join(names)}")

    def names(self, aliases: bool = False, **criteria: Any) -> list[str]:
        """Registered names, sorted; only those whose info matches ``criteria`` (a value, or a
        tuple/list/set of accepted values); with ``aliases`` the aliases too."""
        names = [e.name for e in self.entries(**criteria)]
        if aliases:
            names += [a for e in self.entries(**criteria) for a in e.aliases]
        return sorted(names)

    def entries(self, **criteria: Any) -> list[Entry]:
        """Registered entries, sorted by name, filtered like :meth:`names`."""
        self._load()

        def fits(entry: Entry) -> bool:
            for key, wanted in criteria.items():
                value = entry.info.get(key)
                if isinstance(wanted, (tuple, list, set, frozenset)):
                    if value not in wanted:
                        return False
                elif value != wanted:
                    return False
            return True

        return [self._entries[k] for k in sorted(self._entries) if fits(self._entries[k])]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._load()
        return len(self._entries)

    def table(self, columns: tuple[str, ...] = ()) -> str:
        """A Markdown table of the entries: name, the ``columns`` of their info, summary."""
        head = ["name", *columns, "what it is"]
        rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for e in self.entries():
            cells = [f"`{e.name}`", *(str(e.info.get(c, "")) for c in columns), e.summary]
            rows.append("| " + " | ".join(cells) + " |")
        return "\n".join(rows)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"


# The registries of siamkit's components, each with the modules that register its built-ins.
ENCODERS = Registry("encoder", ("siamkit.encoders",))
LOSSES = Registry("loss", ("siamkit.losses",))
HEADS = Registry("head", ("siamkit.heads",))
DISTANCES = Registry("distance", ("siamkit.distances",))
MINERS = Registry("miner", ("siamkit.miners",))
DATASETS = Registry("dataset", ("siamkit.data",),
                    normalize=lambda name: name.strip().lower().replace("_", "-"))
READERS = Registry("data source", ("siamkit.data",))
ADAPTERS = Registry("adapter", ("siamkit.adapters", "siamkit.backbone_input", "siamkit.hf_text_adapter"))

REGISTRIES: dict[str, Registry] = {
    "encoders": ENCODERS, "losses": LOSSES, "heads": HEADS, "distances": DISTANCES,
    "miners": MINERS, "datasets": DATASETS, "readers": READERS, "adapters": ADAPTERS,
}
