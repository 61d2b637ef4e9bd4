"""seatlib.config.validated_config: Snakemake's defaults, one-line errors naming the key."""

import copy

import pytest
import yaml
from snakemake.utils import validate

from seatlib.config import ConfigError, validated_config
from tests.conftest import REPO

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
BUILT_IN = ("['20news_sports', 'imdb', 'rotten_tomatoes', 'rte', 'sst', 'sst2', 'tweet_emotion', "
            "'tweet_hate']")


def snakemake_filled(config: dict) -> dict:
    """The config as Snakemake's own validate(config, schema) leaves it (it fills in place)."""
    filled = copy.deepcopy(config)
    validate(filled, str(SCHEMA))
    return filled


@pytest.mark.parametrize("config", [
    yaml.safe_load((REPO / "config.yaml").read_text()),
    {},
    {"jw": {"importance": {"n_steps": 7}}, "experiments": {"seeds": [3, 4]}},
], ids=["config.yaml", "empty", "partial"])
def test_defaults_are_filled_as_snakemake_fills_them(config):
    before = copy.deepcopy(config)
    ours = validated_config(config, SCHEMA)
    assert ours == snakemake_filled(config)
    assert config == before  # the argument is not modified
    assert ours["train"]["epochs"] == 8 and ours["experiments"]["datasets"] == ["sst"]


def test_partial_config_keeps_its_values():
    ours = validated_config({"jw": {"importance": {"n_steps": 7}}}, SCHEMA)
    assert ours["jw"]["importance"]["n_steps"] == 7
    assert ours["jw"]["importance"]["methods"][0] == "gradient"  # siblings take defaults


@pytest.mark.parametrize("key", ["experiments.datasets", "seat.datasets", "wp.datasets",
                                 "attattr.datasets"])
def test_unknown_dataset_names_the_key(key):
    section, name = key.split(".")
    with pytest.raises(ConfigError) as err:
        validated_config({section: {name: ["sst", "mnist"]}}, SCHEMA)
    assert str(err.value) == (f"config.yaml: key {key} has 'mnist', expected one of {BUILT_IN} "
                              "or a key of data.user_datasets")


def test_user_dataset_name_is_known(tmp_path):
    user = {"mine": {"path": str(tmp_path / "mine.csv"), "text_column": "text",
                     "label_column": "label"}}
    config = {"data": {"user_datasets": user}, "seat": {"datasets": ["mine"]},
              "experiments": {"datasets": ["sst", "mine"]}}
    assert validated_config(config, SCHEMA)["seat"]["datasets"] == ["mine"]


@pytest.mark.parametrize("config, message", [
    ({"train": {"epochs": "eight"}},
     "key train.epochs: 'eight' is not of type 'integer' (Training epochs.)"),
    ({"train": {"epochs": 0}}, "key train.epochs: 0 is less than the minimum of 1 (Training "
                               "epochs.)"),
    ({"jw": {"importance": {"n_steps": 1.5}}},
     "key jw.importance.n_steps: 1.5 is not of type 'integer' (Integrated-gradients "
     "interpolation steps.)"),
    ({"experiments": {"encoders": ["gru"]}},
     "key experiments.encoders.0: 'gru' is not one of ['bilstm', 'cnn', 'average', 'rnn']"),
    ({"bogus": 1}, "key <top level>: Additional properties are not allowed ('bogus' was "
                   "unexpected)"),
])
def test_wrong_value_names_the_key(config, message):
    with pytest.raises(ConfigError) as err:
        validated_config(config, SCHEMA, source="my.yaml")
    assert str(err.value) == f"my.yaml: {message}"
    assert "\n" not in str(err.value)
