"""Figures of part two of the track: attribution trees, the layer x head heatmap of mean tau, the
distribution of tau by layer, and token heatmaps of attention beside attribution. Saved to disk
(PDF + PNG), never shown."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from seatlib.figures.common import save_figure  # noqa: E402

TITLES = {"lig": "IG (embeddings)", "saliency": "saliency", "gradshap": "GradientSHAP",
          "conductance": "conductance (same layer)"}


def draw_trees(edges: pd.DataFrame, pdf_path, png_path) -> None:
    """One panel per example: tokens as nodes at their height, an arrow from query to key per
    edge (labelled by its layer, 1-based as the paper)."""
    examples = list(dict.fromkeys(edges["example_id"]))
    fig, axes = plt.subplots(max(len(examples), 1), 1, figsize=(9, 3.2 * max(len(examples), 1)),
                             squeeze=False)
    for ax, ex in zip(axes[:, 0], examples, strict=False):
        g = edges[edges["example_id"] == ex]
        nodes = {}  # (position, height) -> token ([CLS] may be the root and a key)
        for r in g.itertuples(index=False):
            nodes[(r.query, r.query_height)] = r.query_token
            nodes[(r.key, r.key_height)] = r.key_token
        n = max(i for i, _ in nodes) + 1
        for r in g.itertuples(index=False):
            ax.annotate("", xy=(r.key / n, r.key_height), xytext=(r.query / n, r.query_height),
                        arrowprops={"arrowstyle": "->", "color": "0.35", "lw": 0.8})
            ax.text((r.key + r.query) / (2 * n), (r.key_height + r.query_height) / 2,
                    str(r.layer + 1), fontsize=6, color="C3")
        for (i, h), tok in nodes.items():
            ax.text(i / n, h, tok, ha="center", va="center", fontsize=8,
                    bbox={"boxstyle": "round", "fc": "w", "ec": "C0"})
        ax.set_xlim(-0.05, 1.0)
        ax.set_ylim(-0.1, 1.1)
        ax.set_ylabel("height (layer / L)")
        ax.set_xticks([])
        ax.set_title(f"attribution tree of {ex} (threshold {g['threshold'].iloc[0]:g}; edge "
                     "labels: layer)", fontsize=9)
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)


def _head_grid(tau: pd.DataFrame, method: str) -> np.ndarray:
    sel = tau[(tau["summary"] == "cls_head") & (tau["method"] == method)]
    if method == "conductance":
        sel = sel[sel["method_layer"] == sel["layer"]]
    m = sel.groupby(["layer", "head"])["tau"].mean()
    L, H = int(tau["layer"].max()) + 1, int(tau["head"].max()) + 1
    grid = np.full((L, H), np.nan)
    for (layer, head), v in m.items():
        grid[layer, head] = v
    return grid


def draw_bias(tau: pd.DataFrame, tokens: pd.DataFrame, out) -> None:
    """out: heads_pdf/png (layer x head mean tau of the [CLS] row per method), layers_pdf/png
    (tau of the head-mean [CLS] row by layer), tokens_pdf/png (token heatmaps)."""
    methods = list(dict.fromkeys(tau["method"]))
    fig, axes = plt.subplots(1, len(methods), figsize=(3 * len(methods), 3), squeeze=False)
    for ax, m in zip(axes[0], methods, strict=True):
        im = ax.imshow(_head_grid(tau, m), cmap="RdBu_r", vmin=-1, vmax=1, origin="lower",
                       aspect="auto")
        ax.set_title(f"[CLS] row vs {TITLES.get(m, m)}", fontsize=8)
        ax.set_xlabel("head")
        ax.set_ylabel("layer")
        fig.colorbar(im, ax=ax, fraction=0.05)
    fig.suptitle("mean Kendall tau per head", fontsize=9)
    fig.tight_layout()
    save_figure(fig, out.heads_pdf, out.heads_png)

    sel = tau[tau["summary"] == "mean_heads"]
    sel = sel[(sel["method"] != "conductance") | (sel["method_layer"] == sel["layer"])]
    L = int(tau["layer"].max()) + 1
    fig, ax = plt.subplots(figsize=(1.2 * L + 3, 3.2))
    width = 0.8 / max(len(methods), 1)
    for k, m in enumerate(methods):
        data = [sel[(sel["method"] == m) & (sel["layer"] == i)]["tau"].dropna().to_numpy()
                for i in range(L)]
        pos = np.arange(L) - 0.4 + width * (k + 0.5)
        keep = [j for j, d in enumerate(data) if len(d)]
        if keep:
            bp = ax.boxplot([data[j] for j in keep], positions=pos[keep], widths=width * 0.9,
                            patch_artist=True, showfliers=False)
            for box in bp["boxes"]:
                box.set_facecolor(f"C{k}")
                box.set_alpha(0.6)
        ax.plot([], [], color=f"C{k}", lw=6, alpha=0.6, label=TITLES.get(m, m))
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_xticks(range(L), [str(i + 1) for i in range(L)])
    ax.set_xlabel("layer")
    ax.set_ylabel("Kendall tau (head-mean [CLS] row)")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    save_figure(fig, out.layers_pdf, out.layers_png)

    examples = list(dict.fromkeys(tokens["example_id"]))
    fig, axes = plt.subplots(max(len(examples), 1), 1, squeeze=False,
                             figsize=(10, 0.28 * tokens.groupby("example_id").size().max() * max(
                                 len(examples), 1) + 1.2))
    for ax, ex in zip(axes[:, 0], examples, strict=False):
        g = tokens[tokens["example_id"] == ex]
        values = np.stack(g["values"].to_numpy())
        values = np.abs(values) / np.maximum(np.abs(values).max(1, keepdims=True), 1e-20)
        names = [s if layer < 0 else f"{s} L{layer + 1}"
                 for s, layer in zip(g["signal"], g["layer"], strict=True)]
        ax.imshow(values, cmap="Reds", vmin=0, vmax=1, aspect="auto")
        ax.set_yticks(range(len(names)), names, fontsize=6)
        toks = list(g["tokens"].iloc[0])
        ax.set_xticks(range(len(toks)), toks, rotation=60, ha="right", fontsize=7)
        ax.set_title(f"{ex}: attention (top rows) beside |attribution| (each row / its max)",
                     fontsize=8)
    fig.tight_layout()
    save_figure(fig, out.tokens_pdf, out.tokens_png)
