"""Tables of the foundation's word models (seatlib.models)."""

import pyarrow as pa

from seatlib.schema.columns import DEV_SCORES, EXAMPLE, LIST_F32, LIST_STR, MODEL_KEY, SCORES, table

TABLES = {
    # one row per training epoch
    "epoch_metrics": table(MODEL_KEY, ("epoch", pa.int64()), ("train_loss", pa.float64()),
                           DEV_SCORES, ("dev_roc_auc", pa.float64()), ("selected", pa.bool_()),
                           ("seconds", pa.float64())),
    # one row per example: prediction, attention over [SOS] tokens [EOS]
    "predictions": table(
        MODEL_KEY, EXAMPLE, ("label", pa.int64()), ("pred", pa.int64()),
        ("prob", LIST_F32),  # class probabilities, length n_classes
        ("tokens", LIST_STR),  # incl. <SOS> and <EOS>
        ("attention", LIST_F32),  # same length as tokens; 0 at SOS/EOS
        ("max_attention", pa.float32())),
    # test-set scores of one model
    "test_metrics": table(MODEL_KEY, ("split", pa.string()), ("n", pa.int64()), SCORES,
                          ("roc_auc", pa.float64()), ("selected_epoch", pa.int64())),
}
