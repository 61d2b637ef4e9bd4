"""JSD of attention and TVD of prediction vs embedding-PGD radius, one line per method."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from seatlib.figures.common import JSD_UNIT, TVD_NOTE, save_figure
from seatlib.figures.seat_common import LABELS, method_color, ordered


def radius_curves(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard error per method and radius, over instances (and seeds)."""
    g = df.groupby(["method", "radius"])
    out = g[["jsd", "tvd"]].mean()
    sem = g[["jsd", "tvd"]].sem(ddof=1).fillna(0.0).add_suffix("_sem")
    return out.join(sem).reset_index()


def plot_radius(df: pd.DataFrame, methods: list[str], pdf_path, png_path) -> None:
    curves = radius_curves(df)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for m in ordered(curves["method"], methods):
        c = curves[curves["method"] == m].sort_values("radius")
        for ax, col in zip(axes, ("jsd", "tvd"), strict=True):
            ax.errorbar(c["radius"], c[col], yerr=c[f"{col}_sem"], marker="o", ms=4,
                        capsize=2, color=method_color(m), label=LABELS.get(m, m))
    for ax, title, unit in zip(axes, ("attention JSD (clean vs perturbed)",
                                      "prediction TVD (clean vs perturbed)"),
                               (f"mean attention JSD ({JSD_UNIT})",
                                f"mean prediction TVD ({TVD_NOTE})"), strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log", nonpositive="clip")
        ax.set_xlabel("embedding PGD radius (l-inf)")
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8)
    n = df.groupby("method")["example_id"].nunique().max() if len(df) else 0
    fig.suptitle(f"{df['dataset'].iat[0]} {df['encoder'].iat[0]}: stability under embedding "
                 f"PGD ({n} test instances, {df['seed'].nunique()} seed(s))" if len(df) else "")
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)
