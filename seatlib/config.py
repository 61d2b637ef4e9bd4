"""The config, validated once: the JSON-Schema (workflow/schemas/config.schema.yaml: every key,
its type, range, description and default) and one checker for what a schema cannot say (names
that must exist, keys that must agree). Every error is one line naming the key.

``validated_config(config, schema_path)`` returns the config with every default filled in (the
same defaults Snakemake's ``validate`` would fill), or raises ``ConfigError``.
"""

from __future__ import annotations

import copy
import difflib
import re
from pathlib import Path

import jsonschema
import yaml
from jsonschema import validators


class ConfigError(ValueError):
    pass


USER_DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # also the schema's propertyNames
RESERVED_NAMES = ("tables", "figures")  # folders beside the dataset folders of results/


def load_schema(path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def _with_defaults(validator_class):
    """A validator that fills each property's ``default`` before validating it (the
    jsonschema FAQ recipe, which Snakemake's ``validate`` uses too)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(prop, copy.deepcopy(sub["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(validator_class, {"properties": set_defaults})


def _first_error(validator, config, source: str) -> None:
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        key = ".".join(str(p) for p in err.absolute_path) or "<top level>"
        expected = err.schema.get("description", "")
        hint = f" ({expected})" if expected and err.validator != "additionalProperties" else ""
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            hint = _did_you_mean(err.instance, err.schema.get("properties", {}))
        raise ConfigError(f"{source}: key {key}: {err.message}{hint}")


def _did_you_mean(instance: dict, properties: dict) -> str:
    """'; did you mean 'epochs'?' for the first unknown key that is close to a known one."""
    for name in instance:
        if name not in properties:
            close = difflib.get_close_matches(str(name), list(properties), n=1, cutoff=0.6)
            if close:
                return f"; did you mean {close[0]!r} for {name!r}?"
    return ""


def check_config(config: dict, schema_path, source: str = "config.yaml") -> None:
    """Raise ConfigError naming the key path and what was expected, for the first problem of
    the config as written (before defaults)."""
    _first_error(jsonschema.Draft202012Validator(load_schema(schema_path)), config, source)


def check_names(config: dict, source: str = "config.yaml") -> None:
    """What the schema cannot say: every dataset a study names is built in or a user dataset."""
    from seatlib.data.sources import DATASETS

    for name in config["data"]["user_datasets"]:
        key = f"data.user_datasets.{name}"
        if name in DATASETS:
            raise ConfigError(f"{source}: key {key}: {name!r} is the name of a built-in "
                              "dataset; give your dataset another name (built-in: "
                              f"{', '.join(sorted(DATASETS))})")
        if name in RESERVED_NAMES or not USER_DATASET_NAME.match(name):
            raise ConfigError(f"{source}: key {key}: {name!r} is not a valid dataset name "
                              "(expected a lower-case letter, then lower-case letters, digits "
                              f"or underscores, and not {' or '.join(RESERVED_NAMES)})")
    known = [*DATASETS, *config["data"]["user_datasets"]]
    lists = {"experiments.datasets": config["experiments"]["datasets"],
             "seat.datasets": config["seat"]["datasets"],
             "wp.datasets": config["wp"]["datasets"] or [],
             "attattr.datasets": (config.get("attattr") or {}).get("datasets", []),
             "truth.datasets": (config.get("truth") or {}).get("datasets", [])}
    for key, names in lists.items():
        for name in names:
            if name not in known:
                raise ConfigError(f"{source}: key {key} has {name!r}, expected one of "
                                  f"{sorted(DATASETS)} or a key of data.user_datasets")


def validated_config(config: dict, schema_path, source: str = "config.yaml") -> dict:
    """The config checked against the schema, defaults filled in, then the cross-key checks of
    every track (``check_names``; ``seatlib.wp.settings.check_wp``)."""
    from seatlib.wp.settings import check_wp

    check_config(config, schema_path, source)
    filled = copy.deepcopy(dict(config))
    schema = load_schema(schema_path)
    _first_error(_with_defaults(jsonschema.Draft202012Validator)(schema), filled, source)
    check_names(filled, source)
    check_wp(filled, source)
    return filled
