"""Figure-1 style heatmap: each method's attention on a clean test sentence and on the same
sentence with words replaced by their nearest GloVe neighbour, with the JSD of the attentions,
the TVD of the predictions and P(positive) of each."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seatlib.figures.common import JSD_UNIT, example_title, label_names, save_figure
from seatlib.figures.seat_common import LABELS

MAX_WORDS = 12


def pick_example(test: pd.DataFrame, subst: pd.DataFrame, instances: list[pd.DataFrame],
                 example_id: str | None = None) -> str:
    """The configured example, else the short sentence (<= MAX_WORDS words, the most words
    substituted) on which the first model's (vanilla's) prediction changes most."""
    if example_id is not None:
        if example_id not in set(test["example_id"]):
            raise ValueError(f"seat.figures.heatmap_example {example_id!r} is not an example_id "
                             "of the test split")
        return example_id
    n_words = test["tokens"].map(len).to_numpy()
    changed = subst["n_changed"].to_numpy()
    ok = (n_words <= MAX_WORDS) & (changed == changed.max()) & (changed > 0)
    if not ok.any():
        ok = changed > 0 if (changed > 0).any() else np.ones(len(test), bool)
    ref = instances[0].set_index("example_id").loc[test["example_id"], "subst_tvd"].to_numpy()
    score = np.where(ok, ref, -np.inf)
    return str(test["example_id"].iat[int(np.argmax(score))])


def plot_heatmap(test: pd.DataFrame, subst: pd.DataFrame, instances: list[pd.DataFrame],
                 pdf_path, png_path, example_id: str | None = None, class_names=None) -> None:
    ex = pick_example(test, subst, instances, example_id)
    dataset = instances[0]["dataset"].iat[0]
    names = label_names(dataset, len(instances[0]["prob"].iat[0]), class_names)
    words = list(test.set_index("example_id").at[ex, "tokens"])
    s = subst.set_index("example_id").loc[ex]
    new_words = list(words)
    for pos, rep in zip(s["positions"], s["replacement"], strict=True):
        new_words[int(pos) - 1] = rep  # positions count SOS
    swapped = {int(p) - 1 for p in s["positions"]}
    rows, labels, texts = [], [], []
    for inst in instances:
        r = inst.set_index("example_id").loc[ex]
        name = LABELS.get(r["method"], r["method"])
        att = np.asarray(r["attention"])[1:-1]
        att_sub = np.asarray(r["subst_attention"])[1:-1]
        rows += [att, att_sub]
        texts += [words, new_words]
        labels += [f"{name}: clean  P({names[-1]})={r['prob'][-1]:.3f}",
                   f"{name}: substituted  P({names[-1]})={r['subst_prob'][-1]:.3f}\n"
                   f"JSD={r['subst_jsd']:.2e} {JSD_UNIT}  TVD={r['subst_tvd']:.3f}"]
    grid = np.stack(rows)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.0 * len(words) + 3), 0.62 * len(rows) + 1.4))
    im = ax.imshow(grid, cmap="Reds", vmin=0, vmax=max(float(grid.max()), 1e-6), aspect="auto")
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01, label="attention weight")
    for i, toks in enumerate(texts):
        for j, tok in enumerate(toks):
            bold = i % 2 == 1 and j in swapped
            ax.text(j, i, tok, ha="center", va="center", fontsize=8,
                    fontweight="bold" if bold else "normal",
                    color="white" if grid[i, j] > 0.6 * grid.max() else "black")
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.set_xticks([])
    for i in range(2, len(rows), 2):
        ax.axhline(i - 0.5, color="black", lw=1.2)
    gold = names[int(instances[0].set_index('example_id').at[ex, 'label'])]
    ax.set_title(f"{example_title(dataset, ex, 'test')} ({instances[0]['encoder'].iat[0]}, "
                 f"true label {gold}):\nattention on the clean and the word-substituted "
                 "sentence (bold: substituted)", fontsize=9)
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)
