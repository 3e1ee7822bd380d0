"""A tiny random BERT written as a Hugging Face model folder, for offline tests of ``hf_text``.

Two layers, hidden size 32, a WordPiece vocabulary of a few dozen entries written here; weights
from a seeded ``BertModel`` saved with ``save_pretrained`` (safetensors). ``with_tokenizer_json``
also writes the fast tokenizer's ``tokenizer.json``; without it the folder has only ``vocab.txt``,
as old BERT checkpoints do, and siamkit converts it.
"""

from __future__ import annotations

import json
from pathlib import Path

WORDS = ("the lord said unto moses and god saw light that it was good in beginning created heaven "
         "earth water day night he she they we you is are be to of for with his her ##s ##ed ##ing "
         "a e i o u , . ; : !").split()
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
CONFIG = {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": len(VOCAB),
          "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
          "intermediate_size": 64, "max_position_embeddings": 64, "type_vocab_size": 2,
          "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "pad_token_id": 0}
SENTENCES = ["The Lord said unto Moses.", "God saw the light, that it was good.",
             "In the beginning God created the heaven and the earth.", "light",
             "he said unto her", "zebra quantum", "and the water was good; and the day was good"]


def write_tiny_bert(folder: Path, seed: int = 0, with_tokenizer_json: bool = True,
                    **config: object) -> Path:
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    torch.manual_seed(seed)
    model = BertModel(BertConfig(**{**CONFIG, **config}))
    model.save_pretrained(folder)  # config.json + model.safetensors
    import inspect

    if "vocab" in inspect.signature(BertTokenizerFast.__init__).parameters:  # transformers 5
        tok = BertTokenizerFast(vocab={t: i for i, t in enumerate(VOCAB)}, do_lower_case=True)
    else:
        tok = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    if with_tokenizer_json:
        tok.save_pretrained(folder)
    else:
        (folder / "tokenizer_config.json").write_text(json.dumps(
            {"do_lower_case": True, "pad_token": "[PAD]", "unk_token": "[UNK]",
             "cls_token": "[CLS]", "sep_token": "[SEP]", "model_max_length": 64,
             "tokenizer_class": "BertTokenizer"}))
    return folder


_CACHED: dict[str, Path] = {}


def shared_tiny_bert() -> Path:
    """One tiny BERT folder per test process (a temporary folder, removed at exit)."""
    if "folder" not in _CACHED:
        import atexit
        import shutil
        import tempfile

        root = Path(tempfile.mkdtemp(prefix="siamkit-tiny-bert-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        _CACHED["folder"] = write_tiny_bert(root / "tiny-bert")
    return _CACHED["folder"]


def random_batch(b: int, length: int = 7, seed: int = 0):
    """``[b, length, 2]`` ids + mask as the hf_text adapter stores them: [CLS] words [SEP], the
    rows of different lengths (right padding)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(b, length, 2, dtype=torch.int64)
    for row in range(b):
        n = 3 + (row % (length - 2))
        x[row, :n, 0] = torch.randint(5, len(VOCAB), (n,), generator=g)
        x[row, 0, 0], x[row, n - 1, 0] = 2, 3
        x[row, :n, 1] = 1
    return x
