"""The ``wp:`` config block: the paper preset, lambda tags for paths, and one-line checks.

The schema (workflow/schemas/config.schema.yaml) fills every default; ``wp_settings`` then
applies ``wp.paper: true`` (Wiegreffe & Pinter's own settings) and derives the keys the rules
use; ``check_wp`` (run once, by ``seatlib.config.validated_config``) checks what a schema
cannot.
"""

from __future__ import annotations

import copy

from seatlib.config import ConfigError

# run_seeds.sh / seeds.txt: the 8 extra seeds WP trained beside their base model (seed 10)
PAPER_SEEDS = (50, 257, 500231, 100078, 12504, 90754789, 8988812, 2)
# run_adversarial.sh: 80 epochs, early stopping after 10 epochs without a drop in the training
# loss, model selection on the training loss. The repository takes lambda on the command line
# and fixes no sweep; the paper's diagnostic uses 1e-3. The preset sweeps a log grid around it.
# Every lambda here, in config.yaml and in paths is WP's own unit (their objective
# 1/2 |sigma(y_a) - y_b| - lambda KL, seatlib.wp.consistent_adversary), used as is.
PAPER_ADVERSARY = {"lambdas": [0.0001, 0.001, 0.01, 0.1, 1.0], "epochs": 80, "patience": 10,
                   "selection": "train_loss"}
GUIDES = ("uniform", "own", "base", "adversary")
SELECTIONS = ("dev_objective", "train_loss")


class WPConfigError(ConfigError):
    pass


def lambda_tag(lam: float) -> str:
    """The lambda as it appears in paths: 0.001 -> '0.001', 1.0 -> '1', 1e-05 -> '1e-05'."""
    return f"{float(lam):g}"


def adversary_name(base_model: str, lam: float) -> str:
    return f"{base_model}-adv-lambda{lambda_tag(lam)}"


def check_wp(config: dict, source: str = "config.yaml") -> None:
    """The ``wp`` block's cross-key checks on the effective block (called once, by
    ``seatlib.config``; the dataset names are checked by ``seatlib.config.check_names``)."""
    wp = wp_settings(config)
    base_seed = int(wp["base"]["seed"])
    if base_seed in wp["seeds"]:
        raise WPConfigError(f"{source}: key wp.seeds contains the base seed {base_seed} "
                            "(wp.base.seed); expected only the extra seeds")
    if len(set(wp["seeds"])) != len(wp["seeds"]):
        raise WPConfigError(f"{source}: key wp.seeds has repeated seeds {wp['seeds']}")
    tags = wp["lambda_tags"]
    if len(set(tags)) != len(tags):
        raise WPConfigError(f"{source}: key wp.adversary.lambdas has repeated values {tags}")
    if wp["adversary"]["selection"] not in SELECTIONS:
        raise WPConfigError(f"{source}: key wp.adversary.selection is "
                            f"{wp['adversary']['selection']!r}, expected one of {SELECTIONS}")
    guides = wp["guided"]["guides"]
    unknown = [g for g in guides if g not in GUIDES]
    if unknown:
        raise WPConfigError(f"{source}: key wp.guided.guides has {unknown}, expected a subset "
                            f"of {list(GUIDES)}")
    if "adversary" in guides:
        tag = lambda_tag(wp["guided"]["adversary_lambda"])
        if tag not in tags:
            raise WPConfigError(f"{source}: key wp.guided.adversary_lambda is {tag}, expected "
                                f"one of wp.adversary.lambdas {tags}")


def wp_settings(config: dict) -> dict:
    """The effective ``wp`` block of a validated config: the paper preset applied, the datasets
    resolved, and the derived keys base_model, adversary_seed, adversary_train, lambda_tags."""
    wp = copy.deepcopy(config["wp"])
    base_seed = int(wp["base"]["seed"])
    if wp["paper"]:
        wp["seeds"] = [s for s in PAPER_SEEDS if s != base_seed]
        wp["adversary"].update(copy.deepcopy(PAPER_ADVERSARY))
    if not wp["datasets"]:
        wp["datasets"] = list(config["experiments"]["datasets"])
    wp["base_model"] = f"{wp['base']['encoder']}-{wp['base']['attention']}"
    adv = wp["adversary"]
    wp["adversary_seed"] = base_seed if adv["seed"] is None else int(adv["seed"])
    # only what changes an adversary's training (so editing the lambda list re-runs no other)
    wp["adversary_train"] = {k: adv[k] for k in ("epochs", "patience", "selection",
                                                 "class_weight_quirk")}
    wp["lambda_tags"] = [lambda_tag(x) for x in adv["lambdas"]]
    return wp
