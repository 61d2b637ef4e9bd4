"""Fine-tuning a :class:`~seatlib.attattr.model.Classifier` through the shared loop
(``seatlib.fit.fit``): AdamW (no decay on biases and LayerNorm weights), linear warm-up over
the first ``warmup`` fraction of the steps then linear decay to 0 (Devlin et al.; the original
code's BertAdam schedule), cross-entropy averaged over the batch, dev-accuracy selection, JW's
length-bucketed batch order (which keeps dynamic padding short).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from seatlib.attattr.model import Classifier, batch_inputs
from seatlib.metrics import classification_scores


@dataclass(frozen=True)
class FinetuneConfig:
    epochs: int = 3
    batch_size: int = 32
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup: float = 0.1
    length_noise: float = 0.1
    eval_batch_size: int = 128

    @classmethod
    def from_dict(cls, d: dict) -> FinetuneConfig:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def adamw(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=lr)


def linear_warmup(optimizer, total_steps: int, warmup: float):
    """LambdaLR: factor step/w for step < w = ceil(warmup * total), then (total-step)/(total-w)."""
    w = math.ceil(warmup * total_steps)

    def factor(step: int) -> float:
        if step < w:
            return (step + 1) / w
        return max(0.0, (total_steps - step) / max(1, total_steps - w))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


@torch.no_grad()
def predict_probs(model: Classifier, token_ids, batch_size: int, device) -> np.ndarray:
    """Class probabilities [N, C] in the rows' order; batches of similar length."""
    model.eval()
    order = np.argsort([len(t) for t in token_ids], kind="stable")
    out = np.zeros((len(token_ids), model.config.n_labels), dtype=np.float64)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        ids, mask, types = batch_inputs(model, [token_ids[i] for i in idx], device)
        out[idx] = torch.softmax(model(ids, mask, types).logits.double(), -1).cpu().numpy()
    return out


def finetune(model: Classifier, train, dev, cfg: FinetuneConfig, seed: int, device,
             name: str = "attattr"):
    """train/dev: ``split`` frames (token_ids, label). -> (best state_dict, epochs frame,
    selected epoch)."""
    from seatlib.fit import fit

    model.to(device)
    train_ids = list(train["token_ids"])
    labels = torch.as_tensor(train["label"].to_numpy(), dtype=torch.long)
    lengths = np.array([len(t) for t in train_ids], dtype=np.float64)
    steps_per_epoch = math.ceil(len(train_ids) / cfg.batch_size)
    optimizer = adamw(model, cfg.lr, cfg.weight_decay)
    scheduler = linear_warmup(optimizer, cfg.epochs * steps_per_epoch, cfg.warmup)
    dev_ids = list(dev["token_ids"])
    dev_labels = dev["label"].to_numpy()

    def batch_loss(idx):
        ids, mask, types = batch_inputs(model, [train_ids[i] for i in idx], device)
        logits = model(ids, mask, types).logits
        loss = torch.nn.functional.cross_entropy(logits, labels[idx].to(device))
        return loss, {"train_loss": loss.item()}

    def evaluate():
        probs = predict_probs(model, dev_ids, cfg.eval_batch_size, device)
        model.train()
        scores = classification_scores(dev_labels, probs)
        return {f"dev_{k}": v for k, v in scores.items() if k != "roc_auc"}

    state, frame, epoch = fit(
        model, lengths, optimizer=optimizer, batch_size=cfg.batch_size,
        length_noise=cfg.length_noise, seed=seed, epochs=cfg.epochs, batch_loss=batch_loss,
        evaluate=evaluate, select="dev_accuracy", name=name, batch_mean=("train_loss",),
        scheduler=scheduler)
    model.load_state_dict(state)
    model.eval()
    return state, frame, epoch
