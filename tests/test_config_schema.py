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


# ---------------------------------------------------------------------------------------------
# the schema's enums are the registries' keys


def enums(node: dict, path=()):
    """(dotted key, enum values) of every enum in a schema, array items under their array."""
    if "enum" in node:
        yield ".".join(path), list(node["enum"])
    if isinstance(node.get("items"), dict):
        yield from enums(node["items"], path)
    for key, sub in node.get("properties", {}).items():
        yield from enums(sub, (*path, key))
    if isinstance(node.get("additionalProperties"), dict):
        yield from enums(node["additionalProperties"], (*path, "*"))


def registries() -> dict[str, set[str]]:
    from seatlib.data.sources import DATASETS
    from seatlib.importance import METHODS
    from seatlib.models.attention import ATTENTIONS
    from seatlib.models.classifier import ENCODERS
    from seatlib.seat.objectives import OBJECTIVES

    return {"encoders": set(ENCODERS), "attentions": set(ATTENTIONS),
            # the attentions a model is trained with: all but the frozen uniform baseline
            "trained attentions": set(ATTENTIONS) - {"uniform"},
            "importance methods": set(METHODS), "SEAT methods": set(OBJECTIVES),
            "datasets": set(DATASETS)}


# schema key -> the registry its enum must equal
REGISTRY_OF = {
    "experiments.encoders": "encoders",
    "wp.base.encoder": "encoders",
    "wp.uniform_encoders": "encoders",
    "seat.encoders": "encoders",
    "experiments.attentions": "attentions",
    "wp.base.attention": "trained attentions",
    "jw.importance.methods": "importance methods",
    "seat.methods": "SEAT methods",
    "truth.encoders": "encoders",
    "truth.attentions": "attentions",
}


def test_schema_enums_equal_the_registry_keys():
    found = dict(enums(load_schema(SCHEMA)))
    reg = registries()
    assert {key: sorted(found.get(key, [])) for key in REGISTRY_OF} == {
        key: sorted(reg[name]) for key, name in REGISTRY_OF.items()}
    # every other enum drawn from a registry (two or more of its names, nothing else) is listed
    # above; dataset names are free strings checked by seatlib.config.check_names
    unlisted = [(key, name) for key, values in found.items() if key not in REGISTRY_OF
                for name, names in reg.items() if len(values) > 1 and set(values) <= names]
    assert unlisted == []
    for key in ("experiments.datasets", "seat.datasets", "wp.datasets"):
        assert key not in found


def test_enum_walk_finds_items_and_nested_keys():
    schema = {"properties": {"a": {"type": "array", "items": {"enum": ["x", "y"]}},
                             "b": {"properties": {"c": {"enum": [1]}}},
                             "d": {"additionalProperties": {"properties": {"e": {"enum": [2]}}}}}}
    assert list(enums(schema)) == [("a", ["x", "y"]), ("b.c", [1]), ("d.*.e", [2])]
