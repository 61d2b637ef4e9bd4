"""Config checking with one-line errors (the workflow fills defaults with the same schema)."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml


class ConfigError(ValueError):
    pass


def load_schema(path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def check_config(config: dict, schema_path, source: str = "config.yaml") -> None:
    """Raise ConfigError naming the key path and what was expected, for the first problem."""
    schema = load_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        key = ".".join(str(p) for p in err.absolute_path) or "<top level>"
        expected = err.schema.get("description", "")
        hint = f" ({expected})" if expected and err.validator != "additionalProperties" else ""
        raise ConfigError(f"{source}: key {key}: {err.message}{hint}")
