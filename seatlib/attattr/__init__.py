"""The transformer track (Hao et al. AAAI 2021, AttAttr): a fine-tuned BERT-family classifier
whose attention we own (``model``), WordPiece splits (``tokenize``), fine-tuning through the
shared loop (``finetune``), self-attention attribution (``attribution``), head rankings
(``heads``) and head-pruning curves (``prune``). ``steps`` holds one function per rule of
``workflow/rules/attattr.smk``. See docs/attattr.md.
"""
