"""``siamkit search MODEL --corpus FILES QUERY...``: the corpus entries most similar to each query.

As sentence-transformers' ``util.semantic_search``, for any model: texts, images or vectors
(:func:`siamkit.semantic_search`). The corpus is read by :mod:`._corpus`; the queries like the
inputs of ``siamkit embed``. Prints ``query, rank, score, corpus entry`` as tab-separated rows, or
one JSON document with ``--json``. Scores: higher = more similar.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import ConfigError
from ..inputs import read_inputs
from ..mining import semantic_search
from ._common import Parser, add_command, add_json_flag, emit, load_model
from ._corpus import read_corpus

EXAMPLES = """\
  siamkit search runs/questions/model --corpus faq.txt "how do I reset my password"
  siamkit search runs/questions/model --corpus pairs.tsv --from-file queries.txt -k 3 --json
  siamkit search runs/products/model --corpus catalog_photos/ query.jpg -k 10"""


class _Intermixed(Parser):
    """Queries may follow ``--corpus``: ``search MODEL --corpus faq.txt "a query"`` (plain argparse
    would take the queries as empty at MODEL and then refuse the query as an extra argument)."""

    _inside = False

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if self._inside:  # parse_known_intermixed_args calls back here, twice
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_command(subparsers, "search", "find the corpus entries most similar to each query",
                    "Semantic search: embed a corpus and the queries with a trained model and "
                    "list, for each query, the top-k corpus entries by score (higher = more "
                    "similar). Corpus: image files or folders (image model); text files, one "
                    "text per line, or a CSV/TSV with a 'text' column or question1/question2 "
                    "pairs (text model); .npy/.csv vector files (vector model).", EXAMPLES)
    p.__class__ = _Intermixed
    p.add_argument("model", help="model folder (config.json + model.safetensors)")
    p.add_argument("queries", nargs="*", help="query texts, images or vector files")
    p.add_argument("--corpus", "-c", action="append", required=True, metavar="PATH",
                   help="corpus file or folder (repeat for several)")
    p.add_argument("--from-file", help="read queries from this file, one per line")
    p.add_argument("-k", "--top-k", type=int, default=5, help="entries per query")
    p.add_argument("--batch-size", type=int, default=256, help="inputs per forward pass")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    add_json_flag(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    if args.top_k < 1:
        raise ConfigError(f"-k: must be >= 1, got {args.top_k}")
    model = load_model(args.model, args.device)
    corpus, corpus_names = read_corpus(model, args.corpus)
    queries, query_names = read_inputs(model, args.queries, args.from_file, "queries")
    found = semantic_search(model.encode(queries, batch_size=args.batch_size),
                            model.encode(corpus, batch_size=args.batch_size),
                            model.pairwise_scores, top_k=args.top_k)
    data = [{"query": q, "hits": [{"rank": r + 1, "corpus_index": j, "corpus": corpus_names[j],
                                   "score": s} for r, (j, s) in enumerate(hits)]}
            for q, hits in zip(query_names, found)]
    lines = ["query\trank\tscore\tcorpus"] + [
        f"{_cell(d['query'])}\t{h['rank']}\t{h['score']:.4f}\t{_cell(h['corpus'])}"
        for d in data for h in d["hits"]]
    emit(args, {"score_kind": model.score_kind, "results": data}, "\n".join(lines))
    return 0


def _cell(text: str) -> str:
    """One TSV cell: tabs and line breaks inside a text become spaces."""
    return " ".join(str(text).split())
