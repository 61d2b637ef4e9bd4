"""Counterfactual attention (Jain & Wallace 2019, spec sections 4.4 and 4.5).

- :func:`permutation_experiment`: output change (TVD) when the attention over the real tokens is
  randomly permuted, median and mean over draws, per instance (schema "permutation").
- :func:`adversarial_attention`: per-instance adversarial attention with the model frozen,
  epsilon-max JSD selection (schema "adversary").

Both run the encoder once per batch and re-run only the decoder on the cached hidden states for
all draws / adversaries of all instances of the batch at once.
"""

from seatlib.counterfactual.adversary import (
    adversarial_attention,
    initial_log_weights,
    initial_noise,
    search_adversaries,
    select_emax,
)
from seatlib.counterfactual.permute import (
    permutation_experiment,
    permutation_indices,
    permute_real_tokens,
)

__all__ = [
    "adversarial_attention",
    "initial_log_weights",
    "initial_noise",
    "permutation_experiment",
    "permutation_indices",
    "permute_real_tokens",
    "search_adversaries",
    "select_emax",
]
