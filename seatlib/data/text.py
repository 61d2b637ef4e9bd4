"""Jain & Wallace's text cleaner, without spaCy.

JW tokenise with spaCy's English tokenizer, lower-case, and map any token containing a digit to
``qqq``. We approximate spaCy's rule-based tokenizer with one regular expression: words (inner
hyphens and apostrophes kept), English clitics split off (``he's`` -> ``he 's``, ``don't`` ->
``do n't``), numbers, and every other punctuation mark as its own token. HTML line breaks
(``<br />``, IMDB) become spaces. On SST, whose trees are already tokenised, the result is a
whitespace split. This is a documented deviation: no spaCy model installs offline.
"""

from __future__ import annotations

import re

DIGIT_TOKEN = "qqq"
PAD, UNK, SOS, EOS = "<PAD>", "<UNK>", "<SOS>", "<EOS>"
SPECIALS = (PAD, UNK, SOS, EOS)  # ids 0, 1, 2, 3 as in JW

_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TOKEN = re.compile(
    r"""n't\b            # negation clitic, split off as spaCy does
      | '(?:s|re|ve|ll|d|m)\b   # other English clitics
      | [^\W\d_]+(?:[-'][^\W\d_]+)*?(?=n't\b)   # word before n't
      | [\w]+(?:[-.][\w]+)*     # words, numbers, hyphenated words, 3.5
      | [^\w\s]                 # any single punctuation or symbol
    """,
    re.VERBOSE | re.IGNORECASE,
)
_WS = re.compile(r"\s+")


def tokenize(text: str) -> list[str]:
    """Split raw text into tokens (not yet lower-cased or digit-mapped)."""
    text = _HTML_BREAK.sub(" ", text)
    text = _WS.sub(" ", text).strip()
    return _TOKEN.findall(text)


def clean_tokens(tokens: list[str]) -> list[str]:
    """Lower-case and replace every token that contains a digit by ``qqq`` (JW's cleaner)."""
    return [DIGIT_TOKEN if any(ch.isdigit() for ch in t) else t.lower() for t in tokens]


def clean(text: str) -> list[str]:
    """JW's ``cleaner``: whitespace collapse, tokenise, lower-case, digits to ``qqq``."""
    return clean_tokens(tokenize(text))
