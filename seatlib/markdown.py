"""Markdown rendering of result tables."""

from __future__ import annotations

import math

import pandas as pd

from seatlib.io import write_text


def _fmt(v) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4f}"
    return str(v)


def to_markdown(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


def write_markdown(df: pd.DataFrame, path, title: str | None = None) -> None:
    text = to_markdown(df)
    write_text((f"# {title}\n\n" if title else "") + text, path)
