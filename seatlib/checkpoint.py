"""Save and load trained models: weights as safetensors, configuration as JSON beside them."""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import load_file, save_file

from seatlib.io import atomic_path, write_json
from seatlib.models.classifier import ModelConfig, build_model


def save_model(model, weights_path, config_path, extra: dict | None = None) -> None:
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(weights_path) as tmp:
        save_file(state, str(tmp))
    write_json({"model": model.cfg.to_dict(), **(extra or {})}, config_path)


def load_model(weights_path, config_path, device="cpu"):
    """-> (model in eval mode on ``device``, the full JSON config)."""
    config = json.loads(Path(config_path).read_text())
    try:
        cfg = ModelConfig(**config["model"])
    except (KeyError, TypeError) as err:
        raise ValueError(f"{config_path}: 'model' must hold a ModelConfig ({err})") from err
    model = build_model(cfg)
    state = load_file(str(weights_path))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"{weights_path}: weights do not fit the model in {config_path} "
                         f"(missing {missing}, unexpected {unexpected})")
    return model.to(device).eval(), config
