"""Tables of Jain & Wallace's study (seatlib.importance, seatlib.counterfactual,
seatlib.agreement)."""

import pyarrow as pa

from seatlib.schema.columns import EXAMPLE, LIST_F32, LIST_F64, MODEL_KEY, table

# one test example of a model, with its label, prediction and the model's max attention
_INSTANCE = [*MODEL_KEY, *EXAMPLE, ("label", pa.int64()), ("pred", pa.int64()),
             ("max_attention", pa.float32())]
_PAIR = [("method_a", pa.string()), ("method_b", pa.string()),
         ("scores", pa.string())]  # "magnitude" (|score| ranked) or "signed"

TABLES = {
    # attention permutation, one row per test example; seed is the model's seed; TVD of class
    # probabilities over the permutation draws
    "permutation": table(_INSTANCE, ("median_tvd", pa.float64()), ("mean_tvd", pa.float64())),
    # per-instance adversarial attention, eps-max JSD selection, one row per test example
    "adversary": table(
        _INSTANCE,
        ("emax_jsd", pa.float64()),  # JSD(chosen, original) in nats; 0 = original kept
        ("emax_tvd", pa.float64()),  # output TVD of the chosen candidate
        ("adversary_jsd", LIST_F64),  # per adversary, length k
        ("adversary_tvd", LIST_F64),  # per adversary, length k
        ("adversarial_attention", LIST_F32),  # chosen; over [SOS] tokens [EOS]
        ("attention", LIST_F32)),  # the model's own, same length
    # feature importance, long: one row per token of every example ([SOS]/[EOS] included, 0)
    "importance": table(
        MODEL_KEY, EXAMPLE, ("token_index", pa.int64()), ("token", pa.string()),
        ("method", pa.string()), ("score", pa.float64()),
        ("target", pa.string()),  # predicted | gold
        ("baseline", pa.string()),  # pad | unk | zero | random; none where not applicable
        ("n_steps", pa.int64()),  # 0 where not applicable
        ("n_samples", pa.int64())),  # 0 where not applicable
    # Kendall tau-b per example and pair (attention or a method vs a method), real tokens only
    "agreement": table(MODEL_KEY, EXAMPLE, ("pred", pa.int64()), ("label", pa.int64()), _PAIR,
                       ("tau", pa.float64()), ("p_value", pa.float64()),
                       ("n_tokens", pa.int64()),
                       # False: tau undefined (< 2 real tokens or constant scores); tau 0 and
                       # p-value 1 are placeholders, Table 2 counts the row as not significant
                       ("defined", pa.bool_())),
    # JW's Table 2: per pair and predicted class ("0", "1", ...) or "overall"
    "agreement_summary": table(
        MODEL_KEY, ("split", pa.string()), _PAIR, ("group", pa.string()),
        ("mean_tau", pa.float64()),
        ("std_tau", pa.float64()),  # population std (np.std)
        ("sig_frac", pa.float64()),  # fraction with p <= 0.05, of all n (undefined: not sig.)
        ("n", pa.int64()),  # instances, undefined tau included (JW's denominator)
        ("n_undefined", pa.int64())),  # of them, with an undefined tau (not in mean/std)
    # JW's CorrGL: per-instance tau(gradient, loo) - tau(attention, gradient) ("gl - ag") and
    # - tau(attention, loo) ("gl - al"), over the instances with all three taus defined
    "jw_corrgl": table(
        MODEL_KEY, ("split", pa.string()), ("difference", pa.string()),
        ("mean", pa.float64()), ("std", pa.float64()),  # population sd
        ("positive_share", pa.float64()),  # share of instances with a difference > 0
        ("n", pa.int64())),
}
