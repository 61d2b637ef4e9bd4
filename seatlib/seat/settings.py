"""The ``seat:`` block of config.yaml as frozen dataclasses; defaults are the paper's values
(README command of the released code, spec section 3) unless a comment says otherwise."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

NORMS = ("linf", "l2")
PROJECTIONS = ("clamp", "simplex", "none")
INITS = ("scratch", "vanilla")
STABILITY_TARGETS = ("vanilla", "self")
SELECTION_METRICS = ("macro_f1", "f1", "accuracy", "roc_auc")


def _from_dict(cls, d: dict | None, where: str):
    d = dict(d or {})
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(d) - set(known))
    if unknown:
        raise ValueError(f"config key {where}: unknown key(s) {unknown}; expected some of "
                         f"{sorted(known)}")
    kwargs = {}
    for name, value in d.items():
        sub = known[name].metadata.get("cls")
        if sub:  # a nested block: given keys override that field's own defaults
            value = _from_dict(sub, {**asdict(known[name].default_factory()), **(value or {})},
                               f"{where}.{name}")
        kwargs[name] = value
    return cls(**kwargs)


def _check_choice(value, choices, where: str) -> None:
    if value not in choices:
        raise ValueError(f"config key {where}: {value!r} is not one of {list(choices)}")


@dataclass(frozen=True)
class AttackConfig:
    """One PGD adversary: ``steps`` signed (l-inf) or normalised (l2) ascent steps of size
    ``step_size`` (null: 2 * radius / steps, the authors'), from a uniform random start."""

    radius: float = 0.001
    steps: int = 10
    step_size: float | None = None
    norm: str = "linf"
    random_start: bool = True
    projection: str = "clamp"  # attention only: clamp to [0,1], simplex, or none

    def __post_init__(self):
        _check_choice(self.norm, NORMS, "seat.*.norm")
        _check_choice(self.projection, PROJECTIONS, "seat.train.attention_pgd.projection")
        if self.radius < 0 or self.steps < 0:
            raise ValueError(f"config key seat.*_pgd: radius {self.radius} and steps "
                             f"{self.steps} must be >= 0")

    @property
    def alpha(self) -> float:
        if self.step_size is not None:
            return float(self.step_size)
        return 2.0 * self.radius / max(self.steps, 1)


@dataclass(frozen=True)
class IATConfig:
    """Interpretable AT (Sato et al. 2018, simplified as in the released code): the
    perturbation lies in the span of ``directions`` unit directions towards random other words
    (word-iAT) or towards random other tokens' one-hot attention (attention-iAT)."""

    directions: int = 8
    step: float = 0.01


@dataclass(frozen=True)
class SeatTrainConfig:
    epochs: int = 20  # SEAT and seat-released; README; config.yaml lowers it for the CPU budget
    baseline_epochs: int | None = None  # the baselines (null: epochs)
    init: str = "scratch"  # the authors train SEAT from scratch (embeddings pretrained)
    lambda1: float = 1.0
    lambda2: float = 1000.0
    topk: int = 7
    attention_pgd: AttackConfig = field(default_factory=AttackConfig,
                                        metadata={"cls": AttackConfig})
    embedding_pgd: AttackConfig = field(
        default_factory=lambda: AttackConfig(radius=0.01, steps=10, projection="none"),
        metadata={"cls": AttackConfig})
    iat: IATConfig = field(default_factory=IATConfig, metadata={"cls": IATConfig})
    stability_target: str = "vanilla"  # D2 against vanilla p (authors' code) or SEAT's own
    adv_through_attention: bool = False  # authors' code detaches a* entirely
    selection_metric: str = "macro_f1"  # on dev (the authors used test)

    def __post_init__(self):
        _check_choice(self.init, INITS, "seat.train.init")
        _check_choice(self.stability_target, STABILITY_TARGETS, "seat.train.stability_target")
        _check_choice(self.selection_metric, SELECTION_METRICS, "seat.train.selection_metric")
        if self.topk < 1 or self.epochs < 1 or (self.baseline_epochs or 1) < 1:
            raise ValueError(f"config key seat.train: topk ({self.topk}), epochs ({self.epochs})"
                             f" and baseline_epochs ({self.baseline_epochs}) must be >= 1")

    def epochs_for(self, method: str) -> int:
        """SEAT's variants train ``epochs``; the baselines ``baseline_epochs`` (or epochs)."""
        if method.startswith("seat") or self.baseline_epochs is None:
            return self.epochs
        return self.baseline_epochs

    @classmethod
    def from_dict(cls, d: dict | None) -> SeatTrainConfig:
        return _from_dict(cls, d, "seat.train")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SeatEvalConfig:
    radius: float = 0.01  # headline radius of the JSD/TVD columns (x_pgd_radius)
    radii: tuple = (0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125)  # curves and Sens
    steps: int = 10
    norm: str = "linf"
    random_start: bool = True
    max_examples: int | None = None  # test examples attacked (null: all)
    batch_size: int = 64
    erasure_k: int = 5
    substitution_words: int = 2
    seed: int = 0

    def __post_init__(self):
        _check_choice(self.norm, NORMS, "seat.eval.norm")
        if not self.radii or min(self.radii) <= 0 or self.radius <= 0:
            raise ValueError("config key seat.eval.radii/radius: expected positive radii, got "
                             f"{list(self.radii)} and {self.radius}")

    @classmethod
    def from_dict(cls, d: dict | None) -> SeatEvalConfig:
        d = dict(d or {})
        if "radii" in d:
            d["radii"] = tuple(float(r) for r in d["radii"])
        return _from_dict(cls, d, "seat.eval")

    @property
    def all_radii(self) -> list[float]:
        """Every radius attacked: the curve/Sens radii and the headline one, ascending."""
        return sorted({float(r) for r in self.radii} | {float(self.radius)})

    def attack(self, radius: float) -> AttackConfig:
        return AttackConfig(radius=radius, steps=self.steps, norm=self.norm,
                            random_start=self.random_start, projection="none")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["radii"] = list(self.radii)
        return d
