"""Embedding -> encoder -> attention -> linear decoder on the attention-weighted context."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from seatlib.models.attention import build_attention
from seatlib.models.average import AverageEncoder
from seatlib.models.base import ModelOutput
from seatlib.models.bilstm import BiLSTMEncoder
from seatlib.models.cnn import CNNEncoder
from seatlib.models.rnn import RNNEncoder

ENCODERS = {"bilstm": BiLSTMEncoder, "cnn": CNNEncoder, "average": AverageEncoder,
            "rnn": RNNEncoder}


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int
    embed_dim: int
    encoder: str = "bilstm"
    attention: str = "tanh"
    hidden_size: int = 128
    n_classes: int = 2

    def to_dict(self) -> dict:
        return asdict(self)


class AttentionClassifier(nn.Module):
    """Jain & Wallace's classifier: y = Linear(sum_t a_t h_t); one sigmoid logit for 2 classes."""

    def __init__(self, cfg: ModelConfig, embeddings: torch.Tensor | None = None):
        super().__init__()
        if cfg.encoder not in ENCODERS:
            raise ValueError(f"encoder {cfg.encoder!r} is unknown; expected one of "
                             f"{sorted(ENCODERS)}")
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.embed_dim, padding_idx=0)
        if embeddings is not None:
            if tuple(embeddings.shape) != (cfg.vocab_size, cfg.embed_dim):
                raise ValueError(f"embedding matrix has shape {tuple(embeddings.shape)}, "
                                 f"expected {(cfg.vocab_size, cfg.embed_dim)}")
            with torch.no_grad():
                self.embedding.weight.copy_(embeddings)
        self.encoder = ENCODERS[cfg.encoder](cfg.embed_dim, cfg.hidden_size)
        self.attention = build_attention(cfg.attention, self.encoder.output_dim)
        n_out = 1 if cfg.n_classes == 2 else cfg.n_classes
        self.decoder = nn.Linear(self.encoder.output_dim, n_out)

    def encode(self, input_ids, real_mask, embedding_override=None):
        """-> (embeddings (B, L, E), hidden (B, L, H))."""
        emb = self.embedding(input_ids) if embedding_override is None else embedding_override
        lengths = (input_ids != 0).sum(-1)
        return emb, self.encoder(emb, lengths)

    def decode(self, hidden: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        """Logits from hidden states (B, L, H) and attention (B, L), or (B, K, L) for K
        attentions per instance (permutations, adversaries) -> (B, K, n_out)."""
        if attention.dim() == 3:
            context = torch.einsum("bkl,blh->bkh", attention, hidden)
        else:
            context = torch.einsum("bl,blh->bh", attention, hidden)
        return self.decoder(context)

    def forward(self, input_ids, real_mask, attention_override=None, embedding_override=None,
                detach_attention: bool = False) -> ModelOutput:
        emb, hidden = self.encode(input_ids, real_mask, embedding_override)
        if attention_override is None:
            attention = self.attention(hidden, real_mask)
        else:
            attention = attention_override
        if detach_attention:
            attention = attention.detach()
        logits = self.decode(hidden, attention)
        return ModelOutput(logits=logits, attention=attention, hidden=hidden, embeddings=emb)

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """Parameters split the way JW's optimisers are (attention gets no weight decay)."""
        return {
            "encoder": list(self.embedding.parameters()) + list(self.encoder.parameters()),
            "attention": list(self.attention.parameters()),
            "decoder": list(self.decoder.parameters()),
        }


def build_model(cfg: ModelConfig, embeddings: torch.Tensor | None = None) -> AttentionClassifier:
    return AttentionClassifier(cfg, embeddings)
