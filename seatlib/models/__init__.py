"""Models: encoders (one per file), attention layers and the attention classifier.

Every classifier in seatlib follows one contract (``seatlib.models.base``): ``forward`` takes
token ids and a mask of real tokens, optionally an attention override and an embedding override,
and returns a :class:`ModelOutput` with logits, attention and hidden states.
"""

from seatlib.models.base import ModelOutput, probabilities
from seatlib.models.classifier import AttentionClassifier, ModelConfig, build_model

__all__ = ["AttentionClassifier", "ModelConfig", "ModelOutput", "build_model", "probabilities"]
