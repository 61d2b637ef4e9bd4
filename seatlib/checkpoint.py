"""Save and load trained models: weights as safetensors, configuration as JSON beside them.

Loading checks before it loads: a file that is missing, truncated, not safetensors (random
bytes, or a pickle / ``torch.save`` file, which is refused and never unpickled), or whose tensor
names and shapes do not fit the model its ``config.json`` describes, is a one-line ``ValueError``
naming the file and what was expected.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from seatlib.io import atomic_path, write_json
from seatlib.models.classifier import ModelConfig, build_model

PICKLE_MAGIC = (b"\x80", b"PK\x03\x04")  # pickle protocol >= 2; torch.save's zip archive
REWRITE = "delete it and re-run the job that writes it"


def save_model(model, weights_path, config_path, extra: dict | None = None) -> None:
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(weights_path) as tmp:
        save_file(state, str(tmp))
    write_json({"model": model.cfg.to_dict(), **(extra or {})}, config_path)


def tensor_shapes(path) -> dict[str, list[int]]:
    """{name: shape} from a safetensors header, or a one-line error naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    try:  # safetensors only parses a JSON header: nothing is ever unpickled here
        with safe_open(str(path), framework="pt") as fh:
            return {k: list(fh.get_slice(k).get_shape()) for k in fh.keys()}
    except (SafetensorError, OSError) as err:
        with open(path, "rb") as fh:
            head = fh.read(8)
        # a valid header length may start with 0x80, so the magic only names a failed parse
        if head.startswith(PICKLE_MAGIC):
            raise ValueError(f"{path}: a pickle or torch.save file, not safetensors; refused "
                             "(it is never unpickled)") from None
        reason = " ".join(str(err).split())
        raise ValueError(f"{path}: not a readable safetensors file ({reason}); truncated or "
                         f"corrupt? {REWRITE}") from None


def read_safetensors(path, expected: dict[str, list[int]] | None = None,
                     described_by: str = "the model") -> dict[str, torch.Tensor]:
    """The tensors of ``path``, after checking its header (and, with ``expected``, that it holds
    exactly those names with those shapes; ``described_by`` says where they come from)."""
    shapes = tensor_shapes(path)
    if expected is not None:
        missing = [k for k in expected if k not in shapes]
        unexpected = [k for k in shapes if k not in expected]
        if missing or unexpected:
            raise ValueError(f"{path}: tensors do not fit {described_by} (missing "
                             f"{missing[:3]}{'...' if len(missing) > 3 else ''}, unexpected "
                             f"{unexpected[:3]}{'...' if len(unexpected) > 3 else ''})")
        for name, shape in expected.items():
            if list(shapes[name]) != list(shape):
                raise ValueError(f"{path}: tensor {name!r} has shape {shapes[name]}, but "
                                 f"{described_by} needs {list(shape)}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as err:
        reason = " ".join(str(err).split())
        raise ValueError(f"{path}: not a readable safetensors file ({reason}); truncated or "
                         f"corrupt? {REWRITE}") from None


def read_json(path) -> dict:
    """A JSON object from ``path``, or a one-line error naming the file (and line)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text ({err.reason})") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON (line {err.lineno} column {err.colno}: "
                         f"{err.msg}); truncated? {REWRITE}") from None
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a JSON object, found {type(obj).__name__}")
    return obj


def load_model(weights_path, config_path, device="cpu"):
    """-> (model in eval mode on ``device``, the full JSON config)."""
    config = read_json(config_path)
    try:
        cfg = ModelConfig(**config["model"])
        model = build_model(cfg)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{config_path}: 'model' must hold a valid ModelConfig "
                         f"({' '.join(str(err).split())})") from None
    expected = {k: list(v.shape) for k, v in model.state_dict().items()}
    state = read_safetensors(weights_path, expected,
                             f"the model of {config_path} ({cfg.encoder}, hidden_size "
                             f"{cfg.hidden_size}, vocab_size {cfg.vocab_size}, n_classes "
                             f"{cfg.n_classes})")
    model.load_state_dict(state, strict=True)
    return model.to(device).eval(), config
