"""Raw readers and user files: exact outputs on hand-written samples, counts on the mirror."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seatlib.data import readers
from seatlib.data.readers import (
    clean_newsgroup,
    parse_tree,
    read_dataset,
    seeded_sample,
    sst_text,
    strip_footer,
    strip_header,
    strip_quotes,
)
from seatlib.data.sources import DATASETS
from seatlib.data.user import read_user_dataset

SAMPLES = Path(__file__).resolve().parent / "data" / "samples"
MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason="no data mirror at ../shared/data")


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """The samples in mirror layout (folders sample_X -> X), CSVs gzipped as in the mirror."""
    out = tmp_path / "raw"
    for folder in SAMPLES.glob("sample_*"):
        shutil.copytree(folder, out / folder.name.removeprefix("sample_"))
    for folder in ("imdb", "20newsgroups"):
        for csv_path in (out / folder).glob("*.csv"):
            with open(csv_path, "rb") as src, gzip.open(f"{csv_path}.gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            csv_path.unlink()
    return out


def rows(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    columns = columns or ("example_id", "text", "label", "split")
    return list(frame[list(columns)].itertuples(index=False, name=None))


def check_frame(frame: pd.DataFrame, pair: bool = False) -> None:
    expected = ["example_id", "text", "label", "split"] + (["text_pair"] if pair else [])
    assert list(frame.columns) == expected
    assert frame["label"].dtype == np.int64
    assert frame["example_id"].is_unique
    assert set(frame["split"]) <= {"train", "dev", "test"}
    order = frame["split"].map({"train": 0, "dev": 1, "test": 2}).to_numpy()
    assert (np.diff(order) >= 0).all()
    for column in expected:
        if column != "label":
            assert all(isinstance(v, str) for v in frame[column])


# ---------------------------------------------------------------------------------------------
# SST


def test_sst_sample(raw: Path) -> None:
    frame = read_dataset("sst", raw)
    check_frame(frame)
    assert rows(frame) == [
        ("train-00000", "A lovely film", 1, "train"),
        ("train-00002", "Not good at all", 0, "train"),  # -LRB-/-RRB- dropped, '-' -> ' '
        ("train-00003", "The worst 8 1 2 isn t", 0, "train"),  # leaf "8 1\/2"
        ("train-00004", "Jean Claud Van Damme", 1, "train"),
        ("dev-00000", "Mostly dull", 0, "dev"),  # dev-00001 has a neutral root
        ("test-00000", "Worth seeing", 1, "test"),
        ("test-00001", "A triumph", 1, "test"),
    ]


def test_parse_tree_and_sst_text() -> None:
    root, leaves = parse_tree("(3 (2 (2 -LRB-) (2 a)) (4 (2 b-c) (2 -RRB-)))")
    assert root == 3
    assert leaves == ["-LRB-", "a", "b-c", "-RRB-"]
    assert sst_text(leaves) == "a b c"
    assert sst_text(["It", "'s", "crème", "brûlée", "."]) == "It s crème brûlée"


@pytest.mark.parametrize("tree, reason", [
    ("(3 (2 a) (2 b)", "unbalanced brackets"),
    ("(3 (2 a)) (2 b)", "text after the end of the tree"),
    ("(x (2 a) (2 b))", "a node without a numeric label"),
    ("(3 (2 a (2 b)))", "a node with both a word and children"),
    ("just words", "not a bracketed tree"),
    ("(7 (2 a) (2 b))", "root label 7 outside 0-4"),
])
def test_sst_malformed_tree(raw: Path, tree: str, reason: str) -> None:
    path = raw / "sst" / "dev.txt"
    path.write_text("(1 (2 Mostly) (1 dull))\n" + tree + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        read_dataset("sst", raw)
    assert str(err.value) == f"{path} line 2: unparseable tree ({reason})"


# ---------------------------------------------------------------------------------------------
# SST-2


def test_sst2_sample_keeps_quotes(raw: Path) -> None:
    frame = read_dataset("sst2", raw)
    check_frame(frame)
    assert rows(frame) == [
        ("train-00000", "hide the remote", 0, "train"),
        ("train-00001", 'a " genuinely " warm film', 1, "train"),
        ("train-00002", '" wow " , not', 0, "train"),
        ("train-00003", "charming", 1, "train"),
        ("dev-00000", 'it \'s a "mess', 0, "dev"),
        ("dev-00001", "what a ride .", 1, "dev"),
        ("test-00000", "brisk and funny .", 1, "test"),
    ]


def test_sst2_errors(raw: Path) -> None:
    path = raw / "sst2" / "dev.tsv"
    path.write_text("label\tcontent\n1\tgood\n5\tbad label\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        read_dataset("sst2", raw)
    assert str(err.value) == f"{path} line 3: label '5' is not one of 0, 1"
    path.write_text("label\tcontent\n1\tgood\textra\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        read_dataset("sst2", raw)
    assert str(err.value) == f"{path} line 2: expected 2 tab-separated fields, found 3"


# ---------------------------------------------------------------------------------------------
# IMDB


def test_imdb_sample(raw: Path) -> None:
    frame = read_dataset("imdb", raw)
    check_frame(frame)
    by_split = {s: list(frame.loc[frame.split == s, "example_id"]) for s in ("train", "dev",
                                                                           "test")}
    # train_neg_4 has 400 tokens in 200 words and test_neg_2 400 words: both dropped;
    # train_pos_4 has 399 tokens: kept
    assert by_split == {
        "train": ["train_neg_0", "train_neg_1", "train_neg_2", "train_neg_3", "train_pos_1",
                  "train_pos_2", "train_pos_3"],
        "dev": ["train_pos_0", "train_pos_4"],
        "test": ["test_neg_0"],
    }
    texts = dict(zip(frame.example_id, frame.text, strict=True))
    assert texts["train_neg_0"] == 'Dull.  Truly dull, I said "never again".'
    assert texts["train_neg_3"] == "Bad acting bad script."
    assert list(frame.label) == [0, 0, 0, 0, 1, 1, 1, 1, 1, 0]


def test_imdb_split_is_the_documented_seeded_sample() -> None:
    mask = seeded_sample(9, 0.2, readers.IMDB_SEED)
    assert mask.sum() == 2
    assert list(np.flatnonzero(mask)) == [4, 8]  # train_pos_0, train_pos_4 of the kept nine


def test_imdb_bad_label(raw: Path) -> None:
    path = raw / "imdb" / "test.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write("id,label,rating,text\r\ntest_neg_0,0,1,Fine.\r\ntest_neg_1,2,1,Odd.\r\n")
    with pytest.raises(ValueError) as err:
        read_dataset("imdb", raw)
    assert str(err.value) == f"{path} line 3: label '2' is not one of 0, 1"


def test_imdb_missing_column(raw: Path) -> None:
    path = raw / "imdb" / "train.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write("id,label,review\r\nx,0,Fine.\r\n")
    with pytest.raises(ValueError) as err:
        read_dataset("imdb", raw)
    assert str(err.value) == f"{path}: missing column 'text' (columns: id, label, review)"


# ---------------------------------------------------------------------------------------------
# Rotten Tomatoes


def test_rotten_tomatoes_sample(raw: Path) -> None:
    frame = read_dataset("rotten_tomatoes", raw)
    check_frame(frame)
    counts = frame.groupby(["split", "label"]).size().to_dict()
    assert counts == {("train", 0): 8, ("train", 1): 8, ("dev", 0): 1, ("dev", 1): 1,
                      ("test", 0): 1, ("test", 1): 1}
    assert rows(frame[frame.split != "train"]) == [
        ("neg-0001", "dull movie number 1 , sadly .", 0, "dev"),
        ("pos-0007", "bright film number 7 , happily .", 1, "dev"),
        ("neg-0009", "dull movie number 9 , sadly .", 0, "test"),
        ("pos-0002", "bright film number 2 , happily .", 1, "test"),
    ]


# ---------------------------------------------------------------------------------------------
# TweetEval


def test_tweet_emotion_keeps_anger_and_joy(raw: Path) -> None:
    frame = read_dataset("tweet_emotion", raw)
    check_frame(frame)
    assert rows(frame) == [
        ("train-00000", "so angry at the bus ", 0, "train"),
        ("train-00001", "@user this is great fun", 1, "train"),
        ("train-00004", "furious about #mondays", 0, "train"),
        ("dev-00000", "what a joy", 1, "dev"),
        ("test-00000", "rage", 0, "test"),
        ("test-00001", "smiles all round", 1, "test"),
    ]


def test_tweet_hate_sample(raw: Path) -> None:
    frame = read_dataset("tweet_hate", raw)
    check_frame(frame)
    assert rows(frame) == [
        ("train-00000", "have a nice day", 0, "train"),
        ("train-00001", "they should all go away", 1, "train"),
        ("dev-00000", "lovely weather", 0, "dev"),
        ("test-00000", "nobody wants them here", 1, "test"),
        ("test-00001", "see you at the game", 0, "test"),
    ]


def test_tweet_mismatched_line_counts(raw: Path) -> None:
    labels = raw / "tweeteval" / "hate" / "val_labels.txt"
    labels.write_text("0\n1\n")
    with pytest.raises(ValueError) as err:
        read_dataset("tweet_hate", raw)
    text = raw / "tweeteval" / "hate" / "val_text.txt"
    assert str(err.value) == f"{text} has 1 lines but {labels} has 2"


def test_tweet_label_outside_mapping(raw: Path) -> None:
    labels = raw / "tweeteval" / "emotion" / "test_labels.txt"
    labels.write_text("0\n7\n")
    with pytest.raises(ValueError) as err:
        read_dataset("tweet_emotion", raw)
    assert str(err.value) == f"{labels} line 2: label '7' is not one of 0, 1, 2, 3"


# ---------------------------------------------------------------------------------------------
# 20 Newsgroups


def test_20news_sample(raw: Path) -> None:
    frame = read_dataset("20news_sports", raw)
    check_frame(frame)
    # classes.txt of the sample lists baseball at 1 and hockey at 2; atheism, space and the
    # baseball message that is only quotes (104) are dropped; train and test are pooled
    assert rows(frame) == [
        ("rec.sport.baseball/101", "They will win the pennant.\n", 0, "train"),
        ("rec.sport.hockey/201", "The Leafs play tonight.\n", 1, "train"),
        ("rec.sport.hockey/203", "Who moves before the deadline?\n", 1, "train"),
        ("rec.sport.baseball/105", "His average is .300 this year.", 0, "train"),
        ("rec.sport.baseball/106", "Spring training starts soon.\n", 0, "train"),
        ("rec.sport.hockey/205", "I disagree.\n", 1, "train"),
        ("rec.sport.baseball/103", "The trade was a steal.\n", 0, "dev"),
        ("rec.sport.hockey/204", "Montreal again?\n", 1, "dev"),
        ("rec.sport.baseball/102", "Yankees 5, Red Sox 3.\nGreat game at the stadium.\n", 0,
         "test"),
        ("rec.sport.hockey/202", "Best save of the year.\n", 1, "test"),
    ]


def test_newsgroup_cleaning() -> None:
    message = ("From: a@b\nSubject: x\n\nIn article <1@b>, c@d writes:\n> quoted\n"
               "My reply.\n|barred\nMore.\n\n-- \nSig\n")
    assert strip_header(message).startswith("In article")
    assert strip_header("no blank line at all") == ""
    assert strip_footer("one\ntwo\n\n--\nsig") == "one\ntwo\n"
    assert strip_footer("no footer\nhere") == "no footer\nhere"
    assert strip_footer("\n\n--\nonly a signature\n") == "\n\n--\nonly a signature\n"
    assert strip_quotes("a\n> b\nc wrote:\nd said: hi\n|e\nf") == "a\nf"
    assert clean_newsgroup(message) == "My reply.\nMore.\n"


def test_20news_group_mismatch(raw: Path) -> None:
    path = raw / "20newsgroups" / "train.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write("id,label,group,text\r\n1,1,rec.sport.hockey,x\r\n")
    with pytest.raises(ValueError) as err:
        read_dataset("20news_sports", raw)
    assert str(err.value) == (f"{path} line 2: group 'rec.sport.hockey' does not match label 1 "
                              "(rec.sport.baseball)")


# ---------------------------------------------------------------------------------------------
# RTE


def test_rte_sample(raw: Path) -> None:
    frame = read_dataset("rte", raw)
    check_frame(frame, pair=True)
    assert len(frame) == 14
    assert rows(frame[frame.split != "train"], "example_id", "text", "text_pair", "label",
                "split") == [
        ("glue_train-0", "The cat sat on the mat.", "A cat sat.", 0, "dev"),
        ("glue_train-2", "Rain fell all day in Paris.", "Paris was dry.", 1, "dev"),
        ("glue_dev-0", "Snow covered the hills.", "The hills were white.", 0, "test"),
        ("glue_dev-1", "The shop sells shoes.", 'The shop sells "cars".', 1, "test"),
    ]
    texts = dict(zip(frame.example_id, frame.text, strict=True))
    assert texts["glue_train-1"] == 'Officials said it found "extensive" damage.'


def test_rte_unlabelled_rows_are_an_error(raw: Path) -> None:
    path = raw / "rte" / "dev.tsv"
    path.write_text("sentence1\tsentence2\tlabel\tidx\na\tb\t-1\t0\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        read_dataset("rte", raw)
    assert str(err.value) == f"{path} line 2: label '-1' is not one of 0, 1"


# ---------------------------------------------------------------------------------------------
# all readers


def test_unknown_dataset(raw: Path) -> None:
    with pytest.raises(ValueError, match="unknown dataset 'nope'; valid names: sst, sst2, imdb"):
        read_dataset("nope", raw)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_readers_are_deterministic(raw: Path, name: str) -> None:
    first = read_dataset(name, raw)
    check_frame(first, pair=name == "rte")
    pd.testing.assert_frame_equal(first, read_dataset(name, raw))


def test_missing_file_is_named(raw: Path) -> None:
    (raw / "sst" / "test.txt").unlink()
    with pytest.raises(ValueError) as err:
        read_dataset("sst", raw)
    assert str(err.value) == f"{raw / 'sst' / 'test.txt'}: file not found"


# ---------------------------------------------------------------------------------------------
# user datasets


def test_user_csv_with_split_column() -> None:
    path = SAMPLES / "user" / "reviews.csv"
    frame = read_user_dataset(path, "review", "stars", split_column="part")
    check_frame(frame)
    assert rows(frame) == [
        ("row-000001", 'Great, really "great" film', 1, "train"),
        ("row-000002", "Awful", 0, "train"),
        ("row-000003", "Fine enough", 1, "dev"),  # "validation"
        ("row-000004", "Not for me", 0, "test"),  # "Test"
    ]


def test_user_label_map() -> None:
    path = SAMPLES / "user" / "reviews.csv"
    frame = read_user_dataset(path, "review", "stars", split_column="part",
                              label_map={"pos": 0, "neg": 1})
    assert list(frame.label) == [0, 1, 0, 1]
    with pytest.raises(ValueError) as err:
        read_user_dataset(path, "review", "stars", split_column="part", label_map={"pos": 0})
    assert str(err.value) == f"{path} line 3: label 'neg' is not in label_map ('pos')"


def test_user_tsv_quoting_off_seeded_split() -> None:
    path = SAMPLES / "user" / "reviews.tsv"
    frame = read_user_dataset(path, "text", "label", seed=3, fractions=(0.4, 0.3, 0.3))
    check_frame(frame)
    assert sorted(frame.text) == sorted(['"quoted start', "plain line", 'another "one"',
                                         "and more", "more good", "more bad"])
    # labels sorted: bad = 0, good = 1; one of each class per split
    assert frame.groupby(["split", "label"]).size().to_dict() == {
        (s, c): 1 for s in ("train", "dev", "test") for c in (0, 1)}
    again = read_user_dataset(path, "text", "label", seed=3, fractions=(0.4, 0.3, 0.3))
    pd.testing.assert_frame_equal(frame, again)
    other = read_user_dataset(path, "text", "label", seed=4, fractions=(0.4, 0.3, 0.3))
    assert len(other) == 6


def test_user_numeric_labels_sort_numerically(tmp_path: Path) -> None:
    path = tmp_path / "d.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write("t,y,s\na,10,train\nb,2,train\nc,10,dev\nd,2,test\n")
    frame = read_user_dataset(path, "t", "y", split_column="s")
    assert list(frame.label) == [1, 0, 1, 0]


def test_user_parquet(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pd.DataFrame({"sentence": ["good", "bad", "fine", "poor"], "y": [1, 0, 1, 0],
                  "fold": ["train", "val", "test", "train"]}).to_parquet(path)
    frame = read_user_dataset(path, "sentence", "y", split_column="fold")
    assert rows(frame) == [("row-000001", "good", 1, "train"), ("row-000004", "poor", 0, "train"),
                           ("row-000002", "bad", 0, "dev"), ("row-000003", "fine", 1, "test")]
    frame = read_user_dataset(path, "sentence", "y", label_map={"0": 1, "1": 0},
                              fractions=(0.5, 0.0, 0.5))
    assert sorted(zip(frame.text, frame.label, strict=True)) == [
        ("bad", 1), ("fine", 0), ("good", 0), ("poor", 1)]
    assert frame.split.value_counts().to_dict() == {"train": 2, "test": 2}


def test_user_errors(tmp_path: Path) -> None:
    path = SAMPLES / "user" / "reviews.csv"
    with pytest.raises(ValueError) as err:
        read_user_dataset(path, "text", "stars")
    assert str(err.value) == f"{path}: missing column 'text' (columns: review, stars, part)"

    bad = tmp_path / "bad.tsv"
    bad.write_text("text\tlabel\tsplit\na\t1\ttrain\nb\t0\tholdout\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        read_user_dataset(bad, "text", "label", split_column="split")
    assert str(err.value) == (f"{bad} line 3: split value 'holdout' is not one of train, dev, "
                              "test (validation/val are read as dev)")

    pq = tmp_path / "bad.parquet"
    pd.DataFrame({"text": ["a", "b"], "label": ["x", None]}).to_parquet(pq)
    with pytest.raises(ValueError) as err:
        read_user_dataset(pq, "text", "label")
    assert str(err.value) == f"{pq} row 2: missing label in column 'label'"

    with pytest.raises(ValueError, match="unsupported file type"):
        read_user_dataset(SAMPLES / "sample_sst" / "train.txt", "text", "label")
    with pytest.raises(ValueError, match="fractions must be three"):
        read_user_dataset(path, "review", "stars", fractions=(0.5, 0.5))
    with pytest.raises(ValueError, match="file not found"):
        read_user_dataset(tmp_path / "absent.csv", "text", "label")


# ---------------------------------------------------------------------------------------------
# the mirror (../shared/data), when present


def counts(frame: pd.DataFrame) -> dict:
    return {split: (int((frame.split == split).sum()),
                    int(((frame.split == split) & (frame.label == 1)).sum()))
            for split in ("train", "dev", "test")}


# (n, n positive) per split, as measured on the mirror and documented in docs/datasets.md
MIRROR_COUNTS = {
    "sst": {"train": (6920, 3610), "dev": (872, 444), "test": (1821, 909)},
    "sst2": {"train": (67349, 37569), "dev": (872, 444), "test": (1821, 909)},
    "rotten_tomatoes": {"train": (8530, 4265), "dev": (1066, 533), "test": (1066, 533)},
    "tweet_emotion": {"train": (2108, 708), "dev": (257, 97), "test": (916, 358)},
    "tweet_hate": {"train": (9000, 3783), "dev": (1000, 427), "test": (2970, 1252)},
    "20news_sports": {"train": (1237, 624), "dev": (309, 156), "test": (387, 195)},
    "rte": {"train": (2241, 1117), "dev": (249, 124), "test": (277, 131)},
    "imdb": {"train": (16439, 8150), "dev": (4110, 2045), "test": (4156, 2078)},
}


@needs_mirror
@pytest.mark.parametrize("name", sorted(MIRROR_COUNTS))
def test_mirror_counts(name: str) -> None:
    frame = read_dataset(name, MIRROR)
    check_frame(frame, pair=name == "rte")
    assert counts(frame) == MIRROR_COUNTS[name]


@needs_mirror
def test_mirror_sst_matches_jain_wallace_preprocessing() -> None:
    """Our SST text, lower-cased, equals JW's preprocessed CSV except where spaCy split a
    word further ("gonna" -> "gon na", "28K" -> "28 k")."""
    ours = read_dataset("sst", MIRROR)
    jw = pd.read_csv(MIRROR / "sst" / "sst_dataset_jain_wallace.csv", keep_default_na=False)
    assert list(ours.split) == list(jw.exp_split)
    assert list(ours.label) == list(jw.label)
    differ = [(a, b) for a, b in zip(ours.text.str.lower(), jw.text, strict=True) if a != b]
    assert len(differ) == 2
    assert all(a.split() != b.split() and a.replace(" ", "") == b.replace(" ", "")
               for a, b in differ)
