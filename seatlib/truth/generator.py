"""The planted-evidence task: real sentences whose label depends only on inserted markers.

Markers are real vocabulary words that carry no label information in the source: a word is a
candidate when it occurs (document frequency) in at least ``min_count`` and at most
``max_count`` training sentences (frequent enough to be learnt; rare enough that dropping the
sentences that contain a marker, below, costs few) and the label distribution of those
sentences is within ``balance`` of the training split's own, for every class
(``max_c |P(label = c | word in sentence) - P(label = c)| <= balance``). It must be
alphabetic (letters, inner hyphens or apostrophes), not a special token nor ``qqq``. The
candidates are sorted and the marker sets drawn from them with the seeded generator.

Every sentence gets a new label drawn uniformly (binary), independently of its source label
(kept as ``source_label``), and markers are inserted at uniformly random positions:

- ``one``: one marker of the label's set;
- ``several``: ``n_planted`` markers of the label's set;
- ``distractor``: ``n_planted`` markers of the label's set and ``n_distractors`` (fewer) of the
  other class's set; the label is the majority class;
- ``xor``: two features a, b ~ U{0, 1}, one marker of set ``a<a>`` and one of set ``b<b>``; the
  label is a XOR b, so neither marker alone says anything about it.

Sentences that already contain a marker word are dropped, so the planted markers are the only
ones. ``planted`` holds the 0-based word positions (in ``tokens``, no SOS) of the evidence, and
``distractors`` those of the distractor markers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seatlib.data.text import DIGIT_TOKEN, EOS, SOS, SPECIALS

VARIANTS = ("one", "several", "xor", "distractor")
_WORD = re.compile(r"[a-z]+(?:[-'][a-z]+)*")


@dataclass(frozen=True)
class TruthSpec:
    """The generator's settings (config ``truth:``)."""

    variant: str = "several"
    n_markers: int = 4  # words per marker set
    n_planted: int = 3  # evidence markers per sentence (several, distractor)
    n_distractors: int = 1  # other-class markers per sentence (distractor)
    min_count: int = 20  # sentences of the train split a marker word occurs in, at least
    max_count: int = 100  # and at most
    balance: float = 0.05  # largest label-distribution gap of a marker word
    seed: int = 0

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"truth.variant {self.variant!r} is unknown; expected one of "
                             f"{list(VARIANTS)}")
        if self.variant == "distractor" and not 0 < self.n_distractors < self.n_planted:
            raise ValueError(f"truth.n_distractors must be in 1..n_planted-1 "
                             f"({self.n_planted - 1}) for variant distractor, got "
                             f"{self.n_distractors}")

    @property
    def groups(self) -> tuple[str, ...]:
        return ("a0", "a1", "b0", "b1") if self.variant == "xor" else ("0", "1")

    @property
    def n_inserted(self) -> int:
        return {"one": 1, "several": self.n_planted, "xor": 2,
                "distractor": self.n_planted + self.n_distractors}[self.variant]

    @classmethod
    def from_config(cls, truth: dict) -> TruthSpec:
        return cls(variant=truth["variant"], n_markers=int(truth["n_markers"]),
                   n_planted=int(truth["n_planted"]), n_distractors=int(truth["n_distractors"]),
                   min_count=int(truth["min_count"]), max_count=int(truth["max_count"]),
                   balance=float(truth["balance"]),
                   seed=int(truth["data_seed"]))


def marker_candidates(train_df: pd.DataFrame, vocab: list[str], min_count: int,
                      max_count: int, balance: float) -> pd.DataFrame:
    """Words of ``vocab`` without label information in ``train_df`` (schema "split"), sorted:
    columns word, count (sentences containing it), label_gap (max over classes of
    |P(c | word) - P(c)|)."""
    labels = train_df["label"].to_numpy()
    classes = np.unique(labels)
    prior = np.array([(labels == c).mean() for c in classes])
    long = pd.DataFrame({"row": np.repeat(np.arange(len(train_df)),
                                          train_df["tokens"].map(len).to_numpy()),
                         "word": np.concatenate([np.asarray(t, dtype=object)
                                                 for t in train_df["tokens"]])
                         if len(train_df) else np.zeros(0, dtype=object)})
    long = long.drop_duplicates()
    long["label"] = labels[long["row"].to_numpy()]
    counts = pd.crosstab(long["word"], long["label"]).reindex(columns=classes, fill_value=0)
    total = counts.sum(axis=1)
    gap = (counts.div(total, axis=0) - prior).abs().max(axis=1)
    frame = pd.DataFrame({"word": counts.index.astype(str), "count": total.to_numpy(),
                          "label_gap": gap.to_numpy()})
    in_vocab = set(vocab) - set(SPECIALS) - {DIGIT_TOKEN}
    ok = (frame["count"].between(min_count, max_count) & (frame["label_gap"] <= balance)
          & frame["word"].map(lambda w: w in in_vocab and _WORD.fullmatch(w) is not None))
    return frame[ok].sort_values("word", kind="stable").reset_index(drop=True)


def draw_markers(candidates: pd.DataFrame, spec: TruthSpec, dataset: str) -> pd.DataFrame:
    """The marker sets (table "truth_markers"): ``n_markers`` words per group, seeded."""
    need = spec.n_markers * len(spec.groups)
    if len(candidates) < need:
        raise ValueError(f"dataset {dataset!r}: {len(candidates)} candidate marker words "
                         f"(truth.min_count {spec.min_count}, truth.max_count {spec.max_count}, "
                         f"truth.balance {spec.balance}), {need} needed; widen the count range "
                         "or raise truth.balance")
    rng = np.random.default_rng([spec.seed, 0])
    pick = candidates.iloc[rng.choice(len(candidates), size=need, replace=False)]
    return pd.DataFrame({"dataset": dataset, "variant": spec.variant,
                         "group": np.repeat(spec.groups, spec.n_markers),
                         "word": pick["word"].to_numpy(), "count": pick["count"].to_numpy(),
                         "label_gap": pick["label_gap"].to_numpy()})


def _marker_matrix(rng, spec: TruthSpec, n: int, sets: dict[str, np.ndarray]):
    """-> labels (n,), marker ids (n, m), kind (m,) with 1 = evidence, 2 = distractor."""
    pick = rng.integers(0, spec.n_markers, size=(n, spec.n_inserted))
    if spec.variant == "xor":
        a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
        first = np.stack([sets["a0"], sets["a1"]])[a, pick[:, 0]]
        second = np.stack([sets["b0"], sets["b1"]])[b, pick[:, 1]]
        return a ^ b, np.stack([first, second], axis=1), np.ones(2, dtype=np.int8)
    y = rng.integers(0, 2, n)
    both = np.stack([sets["0"], sets["1"]])  # (2, n_markers)
    kind = np.ones(spec.n_inserted, dtype=np.int8)
    cls = np.repeat(y[:, None], spec.n_inserted, axis=1)
    if spec.variant == "distractor":
        kind[spec.n_planted:] = 2
        cls[:, spec.n_planted:] = 1 - y[:, None]
    return y, both[cls, pick], kind


def plant(split_df: pd.DataFrame, markers: pd.DataFrame, vocab: list[str], spec: TruthSpec,
          split: str) -> pd.DataFrame:
    """The planted version of one split (schema "split") -> table "truth_split"."""
    index = {w: i for i, w in enumerate(vocab)}
    words = set(markers["word"])
    clean = ~split_df["tokens"].map(lambda t: not words.isdisjoint(t))
    df = split_df[clean.to_numpy()].reset_index(drop=True)
    sets = {g: np.array([index[w] for w in markers["word"][markers["group"] == g]])
            for g in spec.groups}
    rng = np.random.default_rng([spec.seed, 1, ["train", "dev", "test"].index(split)
                                 if split in ("train", "dev", "test") else 3])
    n, m = len(df), spec.n_inserted
    labels, marker_ids, kind = _marker_matrix(rng, spec, n, sets)
    lengths = df["tokens"].map(len).to_numpy()
    slots = lengths + m
    starts = np.cumsum(slots) - slots
    row = np.repeat(np.arange(n), slots)
    order = np.lexsort((rng.random(int(slots.sum())), row))  # by row, then the random key
    rank = np.empty(len(row), dtype=np.int64)
    rank[order] = np.arange(len(row)) - starts[row[order]]
    planted = rank < m  # the m slots of smallest key; rank = the marker column placed there
    ids = np.empty(len(row), dtype=np.int64)
    original = [np.asarray(t, dtype=np.int64)[1:-1] for t in df["token_ids"]]
    ids[~planted] = np.concatenate(original) if n else []
    ids[planted] = marker_ids[row[planted], rank[planted]]
    position = np.arange(len(row)) - starts[row]
    token_kind = np.zeros(len(row), dtype=np.int8)
    token_kind[planted] = kind[rank[planted]]
    cuts = np.cumsum(slots)[:-1]
    vocab_arr = np.asarray(vocab, dtype=object)
    # out-of-vocabulary source words keep their text (their id is UNK)
    flat_text = np.empty(len(row), dtype=object)
    flat_text[~planted] = np.concatenate([np.asarray(t, dtype=object) for t in df["tokens"]]) \
        if n else []
    flat_text[planted] = vocab_arr[ids[planted]]
    tokens = [list(t) for t in np.split(flat_text, cuts)] if n else []
    sos, eos = index[SOS], index[EOS]
    token_ids = [np.concatenate(([sos], t, [eos])).astype(np.int32)
                 for t in np.split(ids, cuts)] if n else []
    ev = np.split(np.where(token_kind == 1, position, -1), cuts) if n else []
    di = np.split(np.where(token_kind == 2, position, -1), cuts) if n else []
    return pd.DataFrame({
        "example_id": df["example_id"].to_numpy(),
        "text": [" ".join(t) for t in tokens],
        "tokens": tokens,
        "token_ids": token_ids,
        "label": labels.astype(np.int64),
        "source_label": df["label"].to_numpy().astype(np.int64),
        "planted": [p[p >= 0].astype(np.int32) for p in ev],
        "distractors": [d[d >= 0].astype(np.int32) for d in di],
    })
