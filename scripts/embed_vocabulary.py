"""Rule embed_vocabulary: pretrained vectors for the dataset's vocabulary."""

from seatlib.data.prepare import read_vocab
from seatlib.embeddings import load_glove_6b_50d, save_embeddings, vocab_matrix
from seatlib.logs import setup_logging

sm = snakemake  # noqa: F821
log = setup_logging(sm.log[0])
vocab = read_vocab(sm.input.vocab)
words, vectors = load_glove_6b_50d()
matrix, coverage = vocab_matrix(vocab, words, vectors)
save_embeddings(matrix, sm.output[0], sm.params.source, coverage)
log.info("%s: %d words, %.1f%% found in %s", sm.wildcards.dataset, len(vocab), 100 * coverage,
         sm.params.source)
