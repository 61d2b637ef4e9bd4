"""Rule seat_substitutions: N random words of each test sentence -> nearest GloVe neighbour."""

from seatlib.logs import setup_logging
from seatlib.seat.steps import substitutions_from_files

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
substitutions_from_files(split=sm.input.split, vocab=sm.input.vocab, out=sm.output[0],
                         n_words=sm.params.n_words, seed=sm.params.seed)
