"""Projected gradient ascent on attention or embeddings, batched over instances.

``pgd`` maximises a per-instance objective (B,) over x + delta with ||delta|| <= radius per
instance (l-inf: every entry; l2: all entries of an instance together), starting from a uniform
random point of the ball (the authors' ``PGDAttacker``), taking ``steps`` steps of size alpha
(sign of the gradient for l-inf, the l2-normalised gradient for l2) and projecting back after
each. ``mask`` says where delta may be non-zero. ``constrain`` keeps x + delta in a set (the
attention clamp or simplex, see ``attention_constraint``); embeddings get no clamp (the
released code's [0,1] clamp on embeddings is pain point 10.2).

``iat`` is interpretable AT: delta is a combination of given unit directions (towards other
words, or towards putting attention on another token), its coefficients raised by
normalised-gradient steps and rescaled into the ball.

The model's parameters should be frozen while attacking (``frozen``); attacks return detached
tensors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch

from seatlib.seat.settings import AttackConfig

TINY = 1e-12


@contextlib.contextmanager
def frozen(model):
    """Parameters do not require grad inside the block (the attack only needs input grads)."""
    flags = [(p, p.requires_grad) for p in model.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


def _per_instance(radius, x: torch.Tensor) -> torch.Tensor:
    """A float or (B,) radius -> shape (B, 1, ..., 1) broadcastable against x."""
    r = torch.as_tensor(radius, dtype=x.dtype, device=x.device)
    if r.dim() == 0:
        r = r.expand(x.shape[0])
    return r.view(-1, *([1] * (x.dim() - 1)))


def norm_of(delta: torch.Tensor, norm: str) -> torch.Tensor:
    """Per-instance norm (B,) over every non-batch dimension."""
    flat = delta.flatten(1)
    return flat.abs().amax(1) if norm == "linf" else flat.norm(dim=1)


def project_ball(delta: torch.Tensor, radius, norm: str) -> torch.Tensor:
    r = _per_instance(radius, delta)
    if norm == "linf":
        return torch.maximum(torch.minimum(delta, r), -r)
    n = norm_of(delta, "l2").view_as(r)
    return delta * torch.clamp(r / n.clamp_min(TINY), max=1.0)


def random_start(x: torch.Tensor, radius, norm: str, mask, generator=None) -> torch.Tensor:
    r = _per_instance(radius, x)
    if norm == "linf":
        u = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        delta = (2 * u - 1) * r
    else:
        g = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        g = g * mask if mask is not None else g
        u = torch.rand(x.shape[0], generator=generator, device=x.device, dtype=x.dtype)
        delta = g / norm_of(g, "l2").clamp_min(TINY).view_as(r) * r * u.view_as(r)
    return delta * mask if mask is not None else delta


def ascent_step(grad: torch.Tensor, alpha, norm: str) -> torch.Tensor:
    a = _per_instance(alpha, grad)
    if norm == "linf":
        return a * grad.sign()
    return a * grad / norm_of(grad, "l2").clamp_min(TINY).view_as(a)


def simplex_projection(v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Euclidean projection of each row of v (B, L) onto {a >= 0, sum a = 1} over the masked-in
    positions (0 elsewhere); sort-based (Duchi et al. 2008), batched."""
    big = torch.finfo(v.dtype).max / 4
    vm = v.masked_fill(~mask, -big)
    u, _ = vm.sort(dim=-1, descending=True)
    css = u.cumsum(-1)
    j = torch.arange(1, v.shape[-1] + 1, device=v.device, dtype=v.dtype)
    n_real = mask.sum(-1, keepdim=True)
    cond = (u - (css - 1) / j > 0) & (j <= n_real)
    rho = cond.sum(-1, keepdim=True).clamp_min(1)
    theta = (css.gather(-1, rho - 1) - 1) / rho.to(v.dtype)
    return torch.clamp(v - theta, min=0) * mask


def attention_constraint(projection: str, radius, norm: str, mask: torch.Tensor) -> Callable:
    """x_adv, x -> x_adv kept feasible for attention, inside the ball:
    clamp: x_adv in [0, 1] (the authors; no renormalisation);
    simplex: a non-negative distribution over the real tokens (the projection of x_adv onto the
    simplex, pulled back towards x just enough to stay in the ball; x is on the simplex, so the
    result is feasible for both, though not the exact projection onto their intersection);
    none: unchanged."""

    def constrain(x_adv: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if projection == "clamp":
            return x_adv.clamp(0, 1)
        if projection == "simplex":
            delta = simplex_projection(x_adv, mask) - x
            r = _per_instance(radius, delta)
            n = norm_of(delta, norm).view_as(r)
            return x + delta * torch.clamp(r / n.clamp_min(TINY), max=1.0)
        return x_adv

    return constrain


def pgd(objective: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, radius,
        attack: AttackConfig, mask: torch.Tensor | None = None,
        constrain: Callable | None = None, generator=None,
        start: torch.Tensor | None = None) -> torch.Tensor:
    """Maximise ``objective(x_adv)`` (per instance, (B,)) over the ball around x; -> x_adv
    (detached). radius: float or (B,) (``attack.radius`` is not used here); the step is
    ``attack.step_size``, or 2 * radius / steps when that is null. ``start``: the initial delta
    (already drawn, e.g. by ``random_start`` over a larger batch) instead of drawing one here.
    The per-step broadcast tensors (radius, step, mask) are built once, before the loop."""
    x = x.detach()
    if mask is not None:
        mask = mask.to(x.dtype)
    if attack.step_size is not None:
        alpha = float(attack.step_size)
    else:
        alpha = 2.0 * torch.as_tensor(radius, dtype=x.dtype, device=x.device) / max(
            attack.steps, 1)
    if start is not None:
        delta = start.to(x.dtype)
    elif attack.random_start:
        delta = random_start(x, radius, attack.norm, mask, generator)
    else:
        delta = torch.zeros_like(x)
    x_adv = x + delta
    if constrain is not None:
        x_adv = constrain(x_adv, x)
    r = _per_instance(radius, x)
    a = _per_instance(alpha, x)
    neg_r = -r
    for _ in range(attack.steps):
        x_adv = x_adv.detach().requires_grad_(True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(objective(x_adv).sum(), x_adv)
        if attack.norm == "linf":  # ascent_step and project_ball, the same ops in one place
            step = a * grad.sign()
        else:
            step = a * grad / norm_of(grad, "l2").clamp_min(TINY).view_as(a)
        if mask is not None:
            step = step * mask
        delta = x_adv.detach() + step - x
        if attack.norm == "linf":
            delta = torch.maximum(torch.minimum(delta, r), neg_r)
        else:
            delta = delta * torch.clamp(r / norm_of(delta, "l2").view_as(r).clamp_min(TINY),
                                        max=1.0)
        x_adv = x + delta
        if constrain is not None:
            x_adv = constrain(x_adv, x)
    return x_adv.detach()


def word_directions(embedding: torch.nn.Embedding, input_ids: torch.Tensor, n: int,
                    generator=None, first_word_id: int = 4) -> torch.Tensor:
    """(B, L, n, E) unit vectors from each token's embedding towards n random vocabulary words
    (special ids excluded)."""
    vocab = embedding.num_embeddings
    rand = torch.randint(first_word_id, max(vocab, first_word_id + 1),
                         (*input_ids.shape, n), generator=generator, device=input_ids.device)
    w = embedding.weight.detach()
    d = w[rand] - w[input_ids].unsqueeze(-2)
    return d / d.norm(dim=-1, keepdim=True).clamp_min(TINY)


def attention_directions(att: torch.Tensor, real_mask: torch.Tensor, n: int,
                         generator=None) -> torch.Tensor:
    """(B, n, L) unit vectors from the attention towards all mass on a random real token."""
    weights = real_mask.to(att.dtype)
    weights = torch.where(weights.sum(-1, keepdim=True) > 0, weights, torch.ones_like(weights))
    pos = torch.multinomial(weights, n, replacement=True, generator=generator)  # (B, n)
    target = torch.nn.functional.one_hot(pos, att.shape[-1]).to(att.dtype)
    d = (target - att.detach().unsqueeze(1)) * real_mask.unsqueeze(1)
    return d / d.norm(dim=-1, keepdim=True).clamp_min(TINY)


def iat(objective: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
        directions: torch.Tensor, equation: str, radius, steps: int, step: float, norm: str,
        mask: torch.Tensor | None = None, constrain: Callable | None = None) -> torch.Tensor:
    """Interpretable AT: delta = einsum(equation, c, directions) with c of shape
    directions.shape[:-1] ("blj,blje->ble" for words, "bj,bjl->bl" for attention); c starts at 0,
    rise by ``step`` times the gradient normalised per instance (largest entry moves by
    ``step``), and are rescaled so that ||delta|| <= radius. -> x_adv (detached)."""
    x = x.detach()
    c = torch.zeros(directions.shape[:-1], dtype=x.dtype, device=x.device)
    m = mask.to(x.dtype) if mask is not None else None

    def combine(coef):
        d = torch.einsum(equation, coef, directions)
        return d * m if m is not None else d

    for _ in range(steps):
        c = c.detach().requires_grad_(True)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(objective(x + combine(c)).sum(), c)
        c = c.detach() + step * g / norm_of(g, "linf").clamp_min(TINY).view(
            -1, *([1] * (g.dim() - 1)))
        n = norm_of(combine(c), norm)
        r = torch.as_tensor(radius, dtype=x.dtype, device=x.device).expand(x.shape[0])
        c = c * torch.clamp(r / n.clamp_min(TINY), max=1.0).view(-1, *([1] * (c.dim() - 1)))
    x_adv = x + combine(c.detach())
    if constrain is not None:
        x_adv = constrain(x_adv, x)
    return x_adv.detach()
