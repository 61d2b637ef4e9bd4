"""The shipped config.yaml and the config schema describe the same defaults.

Snakemake fills keys a user's config leaves out from the schema's defaults, so a schema default
that differs from config.yaml would make a partial config run something other than the
documented default experiment.
"""

import yaml

from seatlib.config import load_schema
from tests.conftest import REPO

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def leaves(config: dict, schema: dict, path=()):
    """(dotted key, value, schema node or None) for every leaf of ``config``."""
    for key, value in config.items():
        node = schema.get("properties", {}).get(key)
        here = (*path, key)
        if node is not None and isinstance(value, dict) and value and "properties" in node:
            yield from leaves(value, node, here)
        else:
            yield ".".join(here), value, node


def test_every_config_key_is_declared_with_description_and_same_default():
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    rows = list(leaves(config, load_schema(SCHEMA)))
    assert len(rows) > 60  # the walk reached the nested sections
    undeclared = [key for key, _, node in rows if node is None]
    assert undeclared == []
    no_description = [key for key, _, node in rows if not node.get("description")]
    assert no_description == []
    drift = [(key, value, node.get("default")) for key, value, node in rows
             if node.get("default", value) != value or "default" not in node]
    assert drift == []


def test_walk_reports_drift():
    schema = {"properties": {"a": {"type": "object", "properties": {
        "b": {"default": 1, "description": "x"}}}}}
    assert list(leaves({"a": {"b": 2}, "c": 0}, schema)) == [
        ("a.b", 2, {"default": 1, "description": "x"}), ("c", 0, None)]
