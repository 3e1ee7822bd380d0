"""Reading a Hugging Face ``transformers`` model folder as data: checked before anything is built.

A folder written by ``save_pretrained`` (or shipped by a package, or a siamkit model folder's
``backbone/``) holds ``config.json`` (the architecture), weights and tokenizer files. siamkit reads
it the way it reads its own model folders (see :mod:`siamkit.model`), never running code from it:

* no ``trust_remote_code``: a config (or ``tokenizer_config.json``) with an ``auto_map`` entry, the
  hook through which ``transformers`` imports Python files shipped with a model, is refused;
* the ``model_type`` must be one that the installed ``transformers`` provides
  (``CONFIG_MAPPING``), so the architecture is library code, not the folder's;
* the sizes in the config (hidden size, layers, heads, vocabulary, positions, ...) are bounded,
  one by one and as an estimated parameter count, before anything is allocated: a hostile
  ``config.json`` of a few bytes cannot ask for terabytes;
* weights only as safetensors; pickle files (``pytorch_model.bin``, ``*.pt``, ``*.ckpt``) are
  refused with a message that says how to convert them (an explicit step of the user's own).

A hub id (``"sentence-transformers/all-MiniLM-L6-v2"``) is accepted when the hub can be reached
(only the safetensors, config and tokenizer files are fetched); offline it is one line that asks
for a local folder. The ``text`` extra (``pip install siamkit[text]``) provides the libraries; without
it naming such an encoder is one line that says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ModelFileError

EXTRA_HINT = "pip install siamkit[text]"
CONFIG_FILE = "config.json"
MAX_JSON_BYTES = 1 << 20  # an architecture config is a few kB
# Per-key ceilings, well above any released encoder (BERT-large: 1024 hidden, 24 layers).
SIZE_LIMITS = {
    "vocab_size": 1_000_000, "hidden_size": 16_384, "d_model": 16_384, "n_embd": 16_384, "dim": 16_384,
    "embedding_size": 16_384, "intermediate_size": 131_072, "hidden_dim": 131_072, "d_ff": 131_072,
    "n_inner": 131_072, "encoder_ffn_dim": 131_072, "num_hidden_layers": 256, "n_layers": 256,
    "n_layer": 256, "num_layers": 256, "encoder_layers": 256, "num_attention_heads": 512,
    "n_heads": 512, "n_head": 512, "encoder_attention_heads": 512, "max_position_embeddings": 131_072,
    "n_positions": 131_072, "type_vocab_size": 1_024, "num_labels": 100_000,
}
MAX_PARAMETERS = 3_000_000_000  # estimated from the sizes above; about 12 GB of float32
SAFE_FILES = ("config.json", "*.safetensors", "model.safetensors.index.json", "tokenizer.json",
              "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
              "sentence_bert_config.json")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".h5", ".msgpack")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def require_transformers() -> Any:
    """The ``transformers`` module, or a ConfigError saying which extra installs it."""
    try:
        import tokenizers  # noqa: F401
        import transformers
    except ImportError:
        raise ConfigError(f"the Hugging Face libraries (transformers, tokenizers) are not "
                          f"installed: {EXTRA_HINT}") from None
    return transformers


def read_json(file: Path, what: str, limit: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """A JSON object from ``file``, size-checked; anything else is a ModelFileError naming it."""
    try:
        size = file.stat().st_size
    except OSError:
        raise ModelFileError(f"{what}: {file} is missing") from None
    if size > limit:
        raise ModelFileError(f"{what}: {file} is {size} bytes, more than the {limit} a config holds")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{what}: {file} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{what}: {file} is not a JSON object")
    return data


def refuse_remote_code(data: dict[str, Any], file: Path, what: str) -> None:
    if "auto_map" in data or data.get("trust_remote_code"):
        raise ModelFileError(f"{what}: {file} asks for code shipped with the model (auto_map); "
                             "siamkit never runs code from a model folder")


def check_sizes(data: dict[str, Any], file: Path, what: str) -> None:
    """Every size in ``data`` (and in nested configs) a positive integer under its ceiling, and
    the estimated parameter count under :data:`MAX_PARAMETERS`."""
    for key, value in data.items():
        if isinstance(value, dict):
            check_sizes(value, file, what)
        elif key in SIZE_LIMITS and value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ModelFileError(f"{what}: {file}: {key} must be a positive integer, got {value!r}")
            if value > SIZE_LIMITS[key]:
                raise ModelFileError(f"{what}: {file}: {key} = {value} exceeds siamkit's limit of "
                                     f"{SIZE_LIMITS[key]}")

    def first(*keys: str, default: int = 0) -> int:
        return next((int(data[k]) for k in keys if isinstance(data.get(k), int)), default)

    hidden = first("hidden_size", "d_model", "n_embd", "dim")
    inner = first("intermediate_size", "hidden_dim", "d_ff", "n_inner", "encoder_ffn_dim",
                  default=4 * hidden)
    layers = first("num_hidden_layers", "n_layers", "n_layer", "num_layers", "encoder_layers")
    rows = first("vocab_size") + first("max_position_embeddings", "n_positions") + first("type_vocab_size")
    estimate = rows * hidden + layers * (4 * hidden * hidden + 2 * hidden * inner)
    if estimate > MAX_PARAMETERS:
        raise ModelFileError(f"{what}: {file}: its sizes make about {estimate:.3g} parameters, more "
                             f"than siamkit's limit of {MAX_PARAMETERS:.3g}")


def backbone_config(folder: Path, what: str) -> Any:
    """The checked ``transformers`` config of ``folder/config.json`` (see the module docstring)."""
    transformers = require_transformers()
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    file = folder / CONFIG_FILE
    data = read_json(file, what)
    refuse_remote_code(data, file, what)
    model_type = data.get("model_type")
    if not isinstance(model_type, str) or model_type not in CONFIG_MAPPING:
        raise ModelFileError(f"{what}: {file}: model_type {model_type!r} is not an architecture "
                             f"transformers {transformers.__version__} provides")
    check_sizes(data, file, what)
    try:
        return CONFIG_MAPPING[model_type].from_dict(data)
    except Exception as exc:  # transformers' own checks of a config's values
        raise ModelFileError(f"{what}: {file}: not a valid {model_type} config ({exc})") from None


def weights_files(folder: Path, what: str) -> list[Path]:
    """The safetensors weights of ``folder``; pickle weights only are refused, naming them."""
    found = sorted(folder.glob("*.safetensors"))
    if found:
        return found
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise ModelFileError(
            f"{what}: {folder} has weights only as {', '.join(pickles[:3])} (pickle), which siamkit "
            "never loads; convert them yourself if you trust them (load with torch.load, write "
            "with safetensors.torch.save_file or save_pretrained(safe_serialization=True))")
    raise ModelFileError(f"{what}: {folder} holds no model.safetensors weights")


def resolve_folder(path: str, prefix: str = "") -> Path:
    """A local folder for ``path``: the folder itself, or the hub snapshot of a hub id (only the
    safe files); offline, one line asking for a local folder. ``prefix`` starts the messages."""
    folder = Path(path).expanduser()
    if folder.is_dir():
        return folder
    where = f"{prefix}path {str(path)!r}"
    if folder.exists():
        raise ConfigError(f"{where}: not a folder (a Hugging Face model folder holds "
                          f"{CONFIG_FILE}, model.safetensors and the tokenizer files)")
    if not _HUB_ID.match(str(path)) or str(path).startswith("."):
        raise ConfigError(f"{where}: no such folder")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id=str(path), allow_patterns=list(SAFE_FILES)))
    except ImportError:
        raise ConfigError(f"{where}: no such folder, and the hub client is not installed: "
                          f"{EXTRA_HINT}") from None
    except Exception as exc:  # offline mode, no connection, unknown repository, HTTP errors
        reason = (str(exc).strip().splitlines() or [""])[0].split(". ")[0][:160]
        raise ConfigError(f"{where}: no such folder, and it cannot be fetched from the Hugging "
                          f"Face hub ({type(exc).__name__}{': ' + reason if reason else ''}); "
                          "pass a local folder") from None
