"""Models: encoders (one per file), attention layers and the attention classifier.

Every classifier in seatlib follows one contract (``seatlib.models.base``): ``forward`` takes
token ids and a mask of real tokens, optionally an attention override and an embedding override,
and returns a :class:`ModelOutput` with logits, attention and hidden states.

Import from the submodules (``seatlib.models.classifier``, ``seatlib.models.base``): this package
imports nothing itself, so that ``seatlib.models.steps`` loads torch only in the steps that
need it.
"""
