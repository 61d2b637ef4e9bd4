"""WordPiece splits in the ``split`` table shape of the word models (schema ``split``):
``example_id``, ``text``, ``tokens`` (the WordPiece strings between [CLS] and the last [SEP]),
``token_ids`` ([CLS] .. [SEP] ids, like the word models' [SOS] .. [EOS]) and ``label``.

A sentence pair (RTE) is encoded as ``[CLS] a [SEP] b [SEP]``; its ``text`` is ``a <sep> b``
(the data track's pair separator) and its segment ids are recovered from the first [SEP]
(:func:`token_type_ids`). A text longer than ``max_length`` WordPieces is truncated (longest
first for pairs) and the log says how many were; an empty text is a one-line error naming the
row.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from seatlib.data.prepare import PAIR_SEPARATOR

log = logging.getLogger("seatlib.attattr.tokenize")


def load_tokenizer(name: str):
    """The tokenizer saved with the model ``name`` (builtin name, folder or hub name)."""
    from transformers import AutoTokenizer

    from seatlib.attattr.model import resolve_model_path

    try:
        return AutoTokenizer.from_pretrained(resolve_model_path(name))
    except (OSError, ValueError) as err:
        raise ValueError(f"attattr.model: no tokenizer for {name!r} ({type(err).__name__})"
                         ) from None


def subsample(df: pd.DataFrame, n: int | None, seed: int) -> pd.DataFrame:
    """A seeded subset of ``n`` rows in their original order (all rows if n is None or >=)."""
    if n is None or n >= len(df):
        return df.reset_index(drop=True)
    keep = np.sort(np.random.default_rng(seed).permutation(len(df))[:n])
    return df.iloc[keep].reset_index(drop=True)


def encode_split(df: pd.DataFrame, tokenizer, max_length: int, where: str = "<split>"
                 ) -> tuple[pd.DataFrame, int]:
    """Frame with example_id, text, label (and text_pair) -> (``split`` table, number of
    truncated texts)."""
    pair = "text_pair" in df.columns
    for column in ["text", "text_pair"] if pair else ["text"]:
        empty = df[column].astype(str).str.strip() == ""
        if empty.any():
            raise ValueError(f"{where}: example {df.loc[empty, 'example_id'].iloc[0]!r} has an "
                             f"empty {column}")
    first = df["text"].tolist()
    second = df["text_pair"].tolist() if pair else None
    full = tokenizer(first, second, add_special_tokens=True, truncation=False,
                     verbose=False)["input_ids"]
    enc = tokenizer(first, second, add_special_tokens=True, truncation=True,
                    max_length=max_length)["input_ids"]
    n_truncated = sum(len(a) > len(b) for a, b in zip(full, enc, strict=True))
    if n_truncated:
        log.info("%s: %d of %d texts truncated to %d WordPieces", where, n_truncated, len(df),
                 max_length)
    text = df["text"] if not pair else df["text"] + f" {PAIR_SEPARATOR} " + df["text_pair"]
    out = pd.DataFrame({
        "example_id": df["example_id"].astype(str).to_numpy(),
        "text": text.astype(str).to_numpy(),
        "tokens": [tokenizer.convert_ids_to_tokens(ids[1:-1]) for ids in enc],
        "token_ids": [np.asarray(ids, dtype=np.int32) for ids in enc],
        "label": df["label"].astype("int64").to_numpy(),
    })
    return out, n_truncated


def token_type_ids(token_ids: list[int], sep_id: int) -> list[int]:
    """Segment ids of ``[CLS] a [SEP] (b [SEP])``: 0 up to the first [SEP], 1 after it."""
    ids = list(token_ids)
    cut = ids.index(sep_id) + 1 if sep_id in ids else len(ids)
    return [0] * cut + [1] * (len(ids) - cut)
