"""Saving figures as PDF and PNG, atomically and reproducibly; the shared look of figures:
class names, max-attention bin labels, units and data-driven axis limits."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np

from seatlib.io import atomic_path
from seatlib.metrics import MAX_ATTENTION_BINS, max_attention_bin_label

JSD_UNIT = "nats"  # JSD uses the natural log: bounded by ln 2 = 0.693
TVD_NOTE = "unitless, in [0, 1]"


def save_figure(fig, pdf_path, png_path, dpi: int = 150) -> None:
    with atomic_path(pdf_path) as tmp:
        fig.savefig(tmp, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)


# the one notation of the max-attention bins in every figure: "[0, 0.25)" .. "[0.75, 1]"
BIN_LABELS = tuple(max_attention_bin_label(
    np.asarray([(lo + hi) / 2 for lo, hi in zip(MAX_ATTENTION_BINS[:-1], MAX_ATTENTION_BINS[1:],
                                                strict=True)])).tolist())


def label_names(dataset: str, n_classes: int | None = None, given=None) -> list[str]:
    """The label names of ``dataset`` (the data track's registry), index = class id.

    ``given`` (a list or a {class: name} dict) wins; a dataset the registry does not know, or
    with fewer labels than ``n_classes``, falls back to "class <i>"."""
    if given:
        if isinstance(given, dict):
            n = max(n_classes or 0, max(int(k) for k in given) + 1)
            return [str(given.get(i, f"class {i}")) for i in range(n)]
        return [str(x) for x in given]
    from seatlib.data.sources import DATASETS

    spec = DATASETS.get(str(dataset))
    if spec is not None and (n_classes is None or n_classes <= len(spec.label_names)):
        return list(spec.label_names)
    return [f"class {i}" for i in range(n_classes or 2)]


def example_title(dataset: str, example_id: str, split: str | None = None) -> str:
    """A readable name of one example: "sst, test split, example 1192" for "test-01192"."""
    m = re.fullmatch(r"(?:(?P<split>[A-Za-z_]+)[-_])?0*(?P<num>\d+)", str(example_id))
    if m is None:
        return f"{dataset}, {split + ' split, ' if split else ''}example {example_id}"
    split = split or m.group("split")
    return f"{dataset}, {split + ' split, ' if split else ''}example {int(m.group('num'))}"


def data_limits(values, lo: float = 0.0, hi: float = 1.0, margin: float = 0.08,
                full_above: float = 0.5) -> tuple[float, float]:
    """Axis limits for values that live in [lo, hi]: the full range when the data spread over
    more than ``full_above`` of it, else the data's own range widened by ``margin`` of it
    (clipped to [lo, hi])."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return lo, hi
    vmin, vmax = float(v.min()), float(v.max())
    if vmax - lo > full_above * (hi - lo) or vmax - vmin > full_above * (hi - lo):
        return lo, hi
    span = max(vmax - vmin, 1e-3 * (hi - lo))
    return max(lo, vmin - margin * span), min(hi, vmax + margin * span)


def class_color(k: int) -> str:
    return f"C{k % 10}"


def color_violin(parts, face, line) -> None:
    """Face colour of the bodies and one fixed colour for every median/extrema/quantile line."""
    for body in parts["bodies"]:
        body.set_facecolor(face)
        body.set_edgecolor(face)
        body.set_alpha(0.6)
    for key in ("cmedians", "cmins", "cmaxes", "cbars", "cmeans", "cquantiles"):
        if key in parts:
            parts[key].set_color(line)


def violins_by_bin(ax, values, bins, classes, class_names=None, vert=False) -> None:
    """Violins of ``values`` per max-attention bin (axis) and class (offset hue), JW style;
    bin ticks carry n per bin, legend entries n per class."""
    values, bins, classes = map(np.asarray, (values, bins, classes))
    uniq = sorted(set(classes.tolist()))
    width = 0.8 / max(len(uniq), 1)
    for j, c in enumerate(uniq):
        data, pos = [], []
        for b in range(len(BIN_LABELS)):
            sel = values[(bins == b) & (classes == c)]
            if len(sel) >= 2:
                data.append(sel)
                pos.append(b - 0.4 + width * (j + 0.5))
            elif len(sel):
                p = np.full(len(sel), b - 0.4 + width * (j + 0.5))
                ax.plot(*((sel, p) if not vert else (p, sel)), "o", color=class_color(j), ms=3)
        color = class_color(j)
        if data:
            parts = ax.violinplot(data, positions=pos, widths=width * 0.95,
                                  orientation="vertical" if vert else "horizontal",
                                  showmedians=True)
            color_violin(parts, color, color)
        name = class_names[int(c)] if class_names is not None else c
        ax.plot([], [], color=color, lw=6, alpha=0.6,
                label=f"predicted {name} (n={int((classes == c).sum())})")
    ticks = (ax.set_yticks if not vert else ax.set_xticks)
    ticks(range(len(BIN_LABELS)),
          [f"{lab}\nn={int((bins == b).sum())}" for b, lab in enumerate(BIN_LABELS)])
    ax.legend(loc="best", fontsize=8)
