"""A tiny random BERT and WordPiece tokenizer built in code (no download), shared by the attattr
tests."""

from __future__ import annotations

from pathlib import Path

import torch

WORDS = ("good great fine fun bad awful poor dull the film is a movie this was not very "
         "really plot acting").split()
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def tiny_config(layers=2, heads=4, hidden=16, labels=2, init=0.3):
    from transformers import BertConfig

    return BertConfig(vocab_size=len(SPECIALS) + len(WORDS), hidden_size=hidden,
                      num_hidden_layers=layers, num_attention_heads=heads,
                      intermediate_size=2 * hidden, max_position_embeddings=40,
                      num_labels=labels, initializer_range=init, attn_implementation="eager")


def tiny_hf(seed=0, **kw):
    from transformers import BertForSequenceClassification

    torch.manual_seed(seed)
    return BertForSequenceClassification(tiny_config(**kw)).eval()


def tiny_classifier(seed=0, **kw):
    from seatlib.attattr.model import Classifier

    return Classifier(tiny_hf(seed, **kw)).eval()


def tiny_tokenizer(folder: Path):
    from transformers import BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(SPECIALS + list(WORDS)) + "\n")
    tokens = SPECIALS + list(WORDS)
    return BertTokenizer(vocab={t: i for i, t in enumerate(tokens)}, do_lower_case=True)


def save_tiny_encoder(folder: Path, seed=0) -> Path:
    """A tiny BertModel (no classification head, like MiniLM) and its tokenizer in folder."""
    from transformers import BertModel

    torch.manual_seed(seed)
    BertModel(tiny_config()).save_pretrained(folder)
    tiny_tokenizer(folder).save_pretrained(folder)
    return folder


ROWS = [[2, 5, 6, 7, 3], [2, 8, 9, 3], [2, 10, 11, 12, 13, 14, 3], [2, 15, 3, 16, 17, 3]]
LABELS = [0, 1, 1, 0]
