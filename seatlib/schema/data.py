"""Tables of the data track (seatlib.data)."""

import pyarrow as pa

from seatlib.schema.columns import LIST_INT, LIST_STR, table

TABLES = {
    # one row per example of a prepared split; tokens excludes SOS/EOS, token_ids includes them
    "split": table(("example_id", pa.string()), ("text", pa.string()), ("tokens", LIST_STR),
                   ("token_ids", LIST_INT), ("label", pa.int64())),
    # dataset statistics, one row per split (and one for "all")
    "dataset_stats": table(
        ("dataset", pa.string()), ("split", pa.string()), ("n_examples", pa.int64()),
        ("n_dropped_by_length", pa.int64()), ("mean_tokens", pa.float64()),
        ("median_tokens", pa.float64()), ("max_tokens", pa.int64()),
        ("positive_fraction", pa.float64()), ("n_classes", pa.int64()),
        ("vocab_size", pa.int64()), ("unk_rate", pa.float64())),
}
