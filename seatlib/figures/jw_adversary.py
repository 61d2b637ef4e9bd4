"""JW Figures: epsilon-max JSD histogram per predicted class, and its violin by max-attention
bin."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seatlib.figures.common import JSD_UNIT, label_names, save_figure, violins_by_bin
from seatlib.metrics import max_attention_bin


def plot_adversary(adv: pd.DataFrame, pdf, png, class_names=None) -> None:
    names = label_names(adv["dataset"].iat[0], int(adv["pred"].max()) + 1,
                        class_names)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    bins = np.linspace(0, 0.7, 41)
    for k, c in enumerate(sorted(adv["pred"].unique())):
        vals = adv.loc[adv["pred"] == c, "emax_jsd"].to_numpy()
        ax1.hist(vals, bins=bins, density=True, alpha=0.55, color=f"C{k}",
                 label=f"predicted {names[int(c)]} (n={len(vals)})")
    ax1.axvline(np.log(2), color="k", lw=0.8, ls=":", label="ln 2")
    ax1.set_xlabel(f"epsilon-max JSD ({JSD_UNIT})")
    ax1.set_ylabel("density")
    ax1.legend(fontsize=8)
    violins_by_bin(ax2, adv["emax_jsd"], max_attention_bin(adv["max_attention"]), adv["pred"],
                   names)
    ax2.set_xlabel(f"epsilon-max JSD ({JSD_UNIT})")
    ax2.set_ylabel("max attention")
    fig.suptitle(f"adversarial attention: {adv['dataset'].iat[0]} {adv['model'].iat[0]} "
                 f"(test, n={len(adv)}, median {adv['emax_jsd'].median():.3f} {JSD_UNIT})")
    fig.tight_layout()
    save_figure(fig, pdf, png)
