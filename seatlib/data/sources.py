"""Where each built-in dataset comes from: files, pinned checksums, public URLs, label names.

Every dataset is a tuple of :class:`RemoteFile`, each named by its path in the *mirror layout*
(the layout of ``../shared/data``, see its README). ``sha256`` is the digest of that mirror file.

Three kinds of file (details and reasons in ``docs/datasets.md``):

* **byte-identical**: the file at ``url`` (or the ``member`` of the archive at ``url``) is the
  mirror file itself (SST trees, TweetEval).
* **derived** (``DERIVED``): the mirror file is a re-layout of the public original (IMDB and
  20 Newsgroups as CSV, GLUE RTE/SST-2 train as exported TSV, rt-polarity re-encoded as UTF-8).
  Without a mirror, the download step fetches the original at ``url`` and converts it
  (``seatlib.data.download``); ``member`` then names the archive member or folder the
  converter reads. The converted file is checked against ``sha256``; for gzip files, whose
  compressed bytes depend on the compressor, against ``PAYLOAD_SHA256`` (the digest of the
  decompressed bytes) instead.
* **mirror only** (``MIRROR_ONLY``): no public file or conversion is known to reproduce the
  mirror file; ``url`` names the public origin for provenance and fetching needs a mirror.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteFile:
    path: str  # relative path in the mirror layout, e.g. "sst/train.txt"
    sha256: str  # digest of the mirror file
    url: str  # public source
    member: str | None = None  # member (or, for a converter, folder) inside the archive at url


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    files: tuple[RemoteFile, ...]
    label_names: tuple[str, ...]
    min_df: int  # vocabulary: keep words seen in at least min_df train documents
    min_len: int | None  # JW's strict filter: keep iff min_len < n_tokens < max_len, tokens
    # counted without SOS/EOS (filterbylength); JW's values: sst 5, imdb 6, 20news 6 and 500
    max_len: int | None
    description: str


SST_ZIP = "https://nlp.stanford.edu/sentiment/trainDevTestTrees_PTB.zip"
GLUE_SST2_ZIP = "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip"
GLUE_RTE_ZIP = "https://dl.fbaipublicfiles.com/glue/data/RTE.zip"
IMDB_TAR = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
RT_TAR = "https://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz"
TWEETEVAL_RAW = "https://raw.githubusercontent.com/cardiffnlp/tweeteval/main/datasets"
NEWS_TAR = "http://qwone.com/~jason/20Newsgroups/20news-bydate.tar.gz"

# mirror path -> name of the converter in seatlib.data.download that builds it from url/member
DERIVED: dict[str, str] = {
    "sst2/train.tsv": "glue_sst2_train",
    "imdb/train.csv.gz": "imdb_csv",
    "imdb/test.csv.gz": "imdb_csv",
    "rt_polarity/rt-polarity.pos": "cp1252_to_utf8",
    "rt_polarity/rt-polarity.neg": "cp1252_to_utf8",
    "20newsgroups/train.csv.gz": "news_csv",
    "20newsgroups/test.csv.gz": "news_csv",
    "20newsgroups/classes.txt": "news_classes",
    "rte/train.tsv": "glue_rte",
    "rte/dev.tsv": "glue_rte",
}

# sha256 of the decompressed payload of derived gzip files (the gzip container is not
# reproducible across compressors; the CSV inside is)
PAYLOAD_SHA256: dict[str, str] = {
    "imdb/train.csv.gz": "7bc722dcc0c6f24afc5092f15c6702f338fa112cb4286fb519c5da888887f897",
    "imdb/test.csv.gz": "3d41912a5b80dc6d9959f4f7123ea1c1588c765993c02f7a73570a1f92a3ab28",
    "20newsgroups/train.csv.gz": "395fa0b84fde8c01a288a1850225c6e6eb30ccf61795115cdb62fc5f6c5d8bfb",
    "20newsgroups/test.csv.gz": "cabce99a283bc64db6ef0d3935d291a18bd6bc55e853ee627f84c842ba7d7936",
}

# files with no known public byte-identical source or reproducible conversion
MIRROR_ONLY: frozenset[str] = frozenset({"sst2/dev.tsv", "sst2/test_with_labels.tsv"})


def _tweeteval(task: str, digests: dict[str, str]) -> tuple[RemoteFile, ...]:
    return tuple(
        RemoteFile(f"tweeteval/{task}/{name}", digest, f"{TWEETEVAL_RAW}/{task}/{name}")
        for name, digest in digests.items()
    )


_SST = (
    RemoteFile("sst/train.txt",
               "e2f3f41b0b1e6d4dddc0effe3bfc2d27ed8928079aa9a03d652311614fc5feb7",
               SST_ZIP, "trees/train.txt"),
    RemoteFile("sst/dev.txt",
               "0e9336aed6e4730e19f58d00a77b3f0297efdb755f7b5e598c98a05e3f97ea40",
               SST_ZIP, "trees/dev.txt"),
    RemoteFile("sst/test.txt",
               "6e54806dee95cf80cd918e7dfb3f6770f6df24bf826f289a4d1f709e1c8f6761",
               SST_ZIP, "trees/test.txt"),
)

_SST2 = (
    RemoteFile("sst2/train.tsv",
               "e981ceb4fe6c9acd1c79851d0d091b9e78103f1f2a399ca83dda27915d41c56c",
               GLUE_SST2_ZIP, "SST-2/train.tsv"),
    RemoteFile("sst2/dev.tsv",
               "84207e6be5873fb18db798cc6faec86871f5a426554650ff64a1c34e87665f6f",
               GLUE_SST2_ZIP),
    RemoteFile("sst2/test_with_labels.tsv",
               "fcd46f967b7b8efd8b5398481dadf873886298d092195167af907fd532e81e1c",
               GLUE_SST2_ZIP),
)

_IMDB = (
    RemoteFile("imdb/train.csv.gz",
               "cf6ba3e3056661ea6a7ef72fbb97dd4bb0c3beae1a6745b2b850c6b36da20a7d",
               IMDB_TAR, "aclImdb/train"),
    RemoteFile("imdb/test.csv.gz",
               "9838fa069396895a9676af402702f4feda3c89db27beabdc592b08442a6d059e",
               IMDB_TAR, "aclImdb/test"),
)

_RT = (
    RemoteFile("rt_polarity/rt-polarity.pos",
               "4134882974a28d0c7b5151256f0e33a6169984ee7372c279e673f1114f475d58",
               RT_TAR, "rt-polaritydata/rt-polarity.pos"),
    RemoteFile("rt_polarity/rt-polarity.neg",
               "2d11cfbc790f1cd96d78339f41ce53ced1efa83cd22d37d6788fa3fe3d17e2fd",
               RT_TAR, "rt-polaritydata/rt-polarity.neg"),
)

_EMOTION = _tweeteval("emotion", {
    "mapping.txt": "656dea85d149716af96206ca19bec0d94e9dc6de3f5079f5c7c2a241ec76cadb",
    "train_text.txt": "2c62f67aeb3eac1aea0e5a9c3d0f4bc337992581f3f858061786a1fb4d79d95e",
    "train_labels.txt": "987e767d8679e18abdf7de37a6d2bcd0a40a296ddd704e8d515cf0e3033c8d9c",
    "val_text.txt": "e2e30c86b8cbb97944d6543aedc06eace3bb275cb2f381aba787b838b4f23ca5",
    "val_labels.txt": "313730630160b7e0a6b4235b800c76683f4aeeb72d094eb69646630cd5cfe338",
    "test_text.txt": "7e1070f5d3e3fcece5bc73680bff9981e90d8f7b2f1009bfe7a01d059d1c6091",
    "test_labels.txt": "245072348c711961785be6d395997f97cf7fcda3effeae7805664171dc75f913",
})

_HATE = _tweeteval("hate", {
    "mapping.txt": "3fc75504ffae64ddc82e13afb5790af7798cd3167d7d35790abe78b39b991896",
    "train_text.txt": "6572bb3a42143128a5dfa99af8debeb0668e637c34b2d1e3140dac47316fe2c2",
    "train_labels.txt": "4e8fde025a453a25c94632794254131dedeac4e57228ad64157c41571cc88f71",
    "val_text.txt": "1ff78b1ed4c5ce43284b9eba32eb7d60c6d45d0d1b3b4d6df456ae01640764f1",
    "val_labels.txt": "5092badf1a0e70036ea6264bcd0b78afc07d0f4a512fa6af34c2c4973600656b",
    "test_text.txt": "bc4762876a8dd8baa55c3cd7b03108e3231a5d691e80b8b1ef97c5be31b9da9a",
    "test_labels.txt": "c14adca6b3627616a835c5ccea8a1cceb0235cd79417257f093eb0e16a69c62f",
})

_NEWS = (
    RemoteFile("20newsgroups/classes.txt",
               "e639d15e21a5fef5fa90955acc42bbf428a9bd3a379cd3084b9595cb0066831b",
               NEWS_TAR, "20news-bydate-train"),
    RemoteFile("20newsgroups/train.csv.gz",
               "865e723f5c095b99a290e3545cd0c82d3f185bb0e015dc37175e656a3000de5b",
               NEWS_TAR, "20news-bydate-train"),
    RemoteFile("20newsgroups/test.csv.gz",
               "70b2147a7514e1acef8627a1cd28d1fee6d38538f2fbce201036eaba54f82f73",
               NEWS_TAR, "20news-bydate-test"),
)

_RTE = (
    RemoteFile("rte/train.tsv",
               "0222fd1ea26f263d325d28f5bf5cee4c58dd91cf15f1efa87f79eb714a991dc4",
               GLUE_RTE_ZIP, "RTE/train.tsv"),
    RemoteFile("rte/dev.tsv",
               "e7e42b7ee79c36ebd780ebbdba525b939017da4ef9624c9e78b9ac2e69e36c28",
               GLUE_RTE_ZIP, "RTE/dev.tsv"),
)

_NEG_POS = ("negative", "positive")

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("sst", _SST, _NEG_POS, min_df=1, min_len=5, max_len=None,
                    description="Stanford Sentiment Treebank, binary sentence level "
                                "(neutral roots dropped), standard splits; JW's SST tokeniser"),
        DatasetSpec("sst2", _SST2, _NEG_POS, min_df=1, min_len=1, max_len=None,
                    description="GLUE SST-2: phrase-level train, sentence-level labelled "
                                "dev and test"),
        DatasetSpec("imdb", _IMDB, _NEG_POS, min_df=10, min_len=6, max_len=None,
                    description="IMDB reviews under 400 tokens; 80/20 train/dev (seed 1378), "
                                "test = seeded 20% of the kept test reviews"),
        DatasetSpec("rotten_tomatoes", _RT, _NEG_POS, min_df=1, min_len=2, max_len=None,
                    description="Pang & Lee sentence polarity v1.0, stratified 80/10/10 "
                                "(seed 2005)"),
        DatasetSpec("tweet_emotion", _EMOTION, ("anger", "joy"), min_df=2, min_len=2,
                    max_len=None,
                    description="TweetEval emotion reduced to anger (0) vs joy (1)"),
        DatasetSpec("tweet_hate", _HATE, ("not-hate", "hate"), min_df=2, min_len=2,
                    max_len=None, description="TweetEval hate speech, splits as given"),
        DatasetSpec("20news_sports", _NEWS, ("rec.sport.baseball", "rec.sport.hockey"),
                    min_df=2, min_len=6, max_len=500,
                    description="20 Newsgroups baseball (0) vs hockey (1), headers/footers/"
                                "quotes removed, stratified 80/20 test and dev (seed 13478)"),
        DatasetSpec("rte", _RTE, ("entailment", "not_entailment"), min_df=1, min_len=1,
                    max_len=None,
                    description="GLUE RTE sentence pairs; test = GLUE dev, dev = seeded 10% "
                                "of GLUE train"),
    )
}


def get_spec(name: str) -> DatasetSpec:
    """The spec of a built-in dataset; ValueError (one line) for an unknown name."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(
            f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}"
        ) from None
