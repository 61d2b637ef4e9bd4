import numpy as np
import pandas as pd
import pytest

from seatlib.data.pipeline import subsample
from seatlib.data.prepare import build_vocab, encode, length_keep, prepare, read_vocab
from seatlib.data.text import clean
from seatlib.schema import SchemaError, read_table, to_arrow, write_table


def raw_frame():
    return pd.DataFrame({
        "example_id": [f"e{i}" for i in range(6)],
        "text": ["Good movie , 10 stars", "bad bad film", "good film", "I hated it",
                 "a good bad one", "x"],
        "label": [1, 0, 1, 0, 1, 0],
        "split": ["train", "train", "train", "dev", "test", "test"],
    })


def test_cleaner_lowercases_and_maps_digits():
    assert clean("He's 10 years OLD <br /> in 1990s!") == ["he", "'s", "qqq", "years", "old",
                                                           "in", "qqq", "!"]
    assert clean("don't") == ["do", "n't"]


def test_vocab_from_train_only_with_min_df_and_specials():
    vocab = build_vocab([["good", "film"], ["bad", "bad", "film"], ["good", "film"]], min_df=2)
    assert vocab == ["<PAD>", "<UNK>", "<SOS>", "<EOS>", "film", "good"]
    index = {w: i for i, w in enumerate(vocab)}
    assert encode(["good", "bad"], index) == [2, 5, 1, 3]


def test_length_filter_is_jw_strict_rule_on_tokens_without_sos_eos():
    # JW's filterbylength: min_len < n < max_len, n without the two markers (the old rule
    # min_len < n + 2 < max_len kept 4 and 5 and dropped 11 here)
    keep = length_keep(np.array([4, 5, 6, 11, 12]), min_len=5, max_len=12)
    assert keep.tolist() == [False, False, True, True, False]
    assert length_keep(np.array([0, 7]), None, None).tolist() == [True, True]


def test_sst_length_bound_drops_five_token_sentences():
    # SST's min_len 5: a 5-token sentence goes, a 6-token one stays (JW: 6356 / 822 / 1726)
    raw = pd.DataFrame({"example_id": ["a", "b", "c", "d", "e"], "label": [1, 0, 1, 0, 0],
                        "text": ["one two three four five", "one two three four five six",
                                 "one two three four five six seven",
                                 "one two three four five six", "two three four five one"],
                        "split": ["train", "test", "test", "dev", "train"]})
    with pytest.raises(ValueError, match="split train is empty"):
        prepare(raw, "toy", min_df=1, min_len=5, max_len=None, n_classes=2)
    raw.loc[[0, 4], "text"] += " six"
    p = prepare(raw, "toy", min_df=1, min_len=5, max_len=7, n_classes=2)
    assert list(p.splits["test"]["example_id"]) == ["b"]  # 7 tokens is not < 7


def test_prepare_splits_vocab_and_stats():
    p = prepare(raw_frame(), "toy", min_df=1, min_len=1, max_len=None, n_classes=2)
    assert list(p.splits["train"]["example_id"]) == ["e0", "e1", "e2"]
    assert list(p.splits["test"]["example_id"]) == ["e4"]  # "x" has 1 token, not > 1
    assert "hated" not in p.vocab  # dev words stay out of the vocabulary
    dev_ids = p.splits["dev"]["token_ids"].iat[0]
    assert dev_ids[0] == 2 and dev_ids[-1] == 3 and dev_ids.count(1) == 3  # i, hated, it
    stats = p.stats.set_index("split")
    assert stats.loc["test", "n_dropped_by_length"] == 1
    assert stats.loc["all", "n_examples"] == 5
    assert stats.loc["train", "positive_fraction"] == pytest.approx(2 / 3)
    assert stats.loc["train", "mean_tokens"] == pytest.approx((5 + 3 + 2) / 3)
    to_arrow(p.stats, "dataset_stats")
    for split in p.splits.values():
        to_arrow(split, "split")


def test_prepare_rejects_unknown_split():
    df = raw_frame()
    df.loc[0, "split"] = "validation"
    with pytest.raises(ValueError, match=r"split value\(s\) \['validation'\]"):
        prepare(df, "toy", 1, None, None, 2)


def test_subsample_is_seeded_and_capped():
    df = pd.DataFrame({"split": ["train"] * 50 + ["dev"] * 20 + ["test"] * 20,
                       "example_id": range(90)})
    a = subsample(df, 10, 5)
    b = subsample(df, 10, 5)
    assert a.equals(b)
    assert a["split"].value_counts().to_dict() == {"train": 10, "dev": 5, "test": 5}
    assert list(a["example_id"]) == sorted(a["example_id"])


def test_read_vocab_checks_specials(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\n")
    with pytest.raises(ValueError, match="vocab.txt: the first lines must be"):
        read_vocab(path)


def test_schema_rejects_missing_columns_and_bad_types(tmp_path):
    p = prepare(raw_frame(), "toy", 1, None, None, 2)
    bad = p.splits["train"].drop(columns=["tokens"])
    with pytest.raises(SchemaError, match=r"table 'split' lacks column\(s\) \['tokens'\]"):
        write_table(bad, tmp_path / "x.parquet", "split")
    assert not (tmp_path / "x.parquet").exists()
    assert list(tmp_path.iterdir()) == []  # no partial or temporary file left
    typed = p.splits["train"].assign(label=["a", "b", "c"])
    msg = "column 'label' of table 'split' is (large_)?string, expected int64"
    with pytest.raises(SchemaError, match=msg):
        write_table(typed, tmp_path / "y.parquet", "split")
    write_table(p.splits["train"], tmp_path / "ok.parquet", "split")
    back = read_table(tmp_path / "ok.parquet", "split")
    assert back["tokens"].map(list).tolist() == p.splits["train"]["tokens"].tolist()
