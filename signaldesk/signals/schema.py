"""The rulebook's schema: pydantic models for rules, bands, groups and score settings.

Field validators check what a single value can get wrong (an unknown metric id, a transform that
is not registered, bands out of order, a template with an unknown placeholder); the loader in
`rulebook.py` turns their errors into messages naming the file and line. A model-level check
names its field as `@field message` so the loader can still point at the right line.
"""

from __future__ import annotations

import bisect
import itertools
import math
import string
from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator

from signaldesk.catalog import CATALOG
from signaldesk.langs import LANGS, to_traditional
from signaldesk.models import MetricKey, flat_to_key
from signaldesk.signals import transforms
from signaldesk.signals.levels_schema import LevelSettings, WatchSettings

#: Placeholders a reason template may use (see docs/rulebook.md).
PLACEHOLDERS = frozenset({"value", "x", "absx", "n", "ref", "gap", "pct", "days", "window", "label"})

State = Literal["bullish", "neutral", "bearish"]


def _check_metric(metric: str) -> str:
    if metric not in CATALOG:
        raise ValueError(f"unknown metric id {metric!r} (ids live in signaldesk/catalog.py)")
    return metric


def _check_flat(flat: str) -> str:
    _check_metric(flat_to_key(flat)[0])
    return flat


MetricId = Annotated[str, AfterValidator(_check_metric)]
"""A metric id of the catalog (the rules, inputs and classifiers all name one)."""
FlatKey = Annotated[str, AfterValidator(_check_flat)]
"""A `metric[:entity]` key whose metric is in the catalog."""


class Input(BaseModel):
    """One input series: `metric:entity`, optionally divided by another key (`over`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: MetricId
    entity: str = ""
    over: FlatKey | None = None

    @property
    def key(self) -> MetricKey:
        return self.metric, self.entity

    @property
    def over_key(self) -> MetricKey | None:
        return None if self.over is None else flat_to_key(self.over)


class Band(BaseModel):
    """Values below `below` (and at or above the previous band's) get this state and strength."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    below: float | None = Field(None, allow_inf_nan=False)
    state: State
    strength: float = Field(0.0, ge=0.0, le=1.0)
    text: str | None = None

    @model_validator(mode="after")
    def _strength_matches_state(self) -> Band:
        if self.state == "neutral" and self.strength != 0:
            raise ValueError("a neutral band has strength 0")
        if self.state != "neutral" and self.strength <= 0:
            raise ValueError(f"a {self.state} band needs a strength above 0 (up to 1)")
        return self

    @property
    def text_key(self) -> str:
        return self.text or self.state


class Rule(BaseModel):
    """One rule: input → transform → bands → state, strength and a sub-score 0–100."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    metric: MetricId
    entity: str = ""
    over: FlatKey | None = None
    fallback: tuple[Input, ...] = ()
    transform: str = "level"
    days: int | None = Field(None, ge=1)
    window: int | None = Field(None, ge=2)
    min_periods: int | None = Field(None, ge=2)
    reading: Literal["trend", "contrarian"]
    group: str
    weight: float = Field(1.0, ge=0.0)
    enabled: bool = True
    label: dict[str, str]
    bands: tuple[Band, ...]
    text: dict[str, dict[str, str]]
    note: str = ""

    @field_validator("transform")
    @classmethod
    def _known_transform(cls, value: str) -> str:
        try:
            transforms.get(value)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        return value

    @field_validator("bands")
    @classmethod
    def _ordered_bands(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        if not bands:
            raise ValueError("at least one band is needed")
        for i, band in enumerate(bands[:-1]):
            if band.below is None:
                raise ValueError(f"band {i} has no `below`: only the last band is open-ended")
        if bands[-1].below is not None:
            raise ValueError("the last band must not set `below` (it takes every value above the others)")
        cuts = [b.below for b in bands[:-1]]
        if any(upper <= lower for lower, upper in itertools.pairwise(cuts)):
            raise ValueError(f"band `below` values must increase strictly, got {cuts}")
        return bands

    @field_validator("label")
    @classmethod
    def _label_languages(cls, label: dict[str, str]) -> dict[str, str]:
        return _complete_languages(label, "label")

    @field_validator("text")
    @classmethod
    def _text_languages(cls, text: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        out = {}
        for key, by_lang in text.items():
            try:
                out[key] = _complete_languages(by_lang, f"text.{key}")
            except ValueError as exc:
                raise ValueError(f"@{key} {exc}") from None
            for lang, template in out[key].items():
                try:
                    _check_template(template, f"text.{key}.{lang}")
                except ValueError as exc:
                    raise ValueError(f"@{key}.{lang} {exc}") from None
        return out

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        spec = transforms.get(self.transform)
        for param in spec.needs:
            if getattr(self, param) is None:
                raise ValueError(f"@transform transform {spec.name!r} needs `{param}`")
        for i, band in enumerate(self.bands):
            if band.text_key not in self.text:
                raise ValueError(f"@bands.{i} band {i} uses text {band.text_key!r}, but [rules.text] has no such entry")
        return self

    # -- conveniences ----------------------------------------------------------------------
    @property
    def key(self) -> MetricKey:
        return self.metric, self.entity

    @cached_property
    def inputs(self) -> tuple[Input, ...]:
        """The primary input, then the fallbacks in order."""
        return (Input(metric=self.metric, entity=self.entity, over=self.over), *self.fallback)

    @property
    def params(self) -> transforms.Params:
        return transforms.Params(days=self.days, window=self.window, min_periods=self.min_periods)

    @property
    def transform_spec(self) -> transforms.Transform:
        return transforms.get(self.transform)

    @property
    def cuts(self) -> tuple[float, ...]:
        return tuple(float(b.below) for b in self.bands[:-1] if b.below is not None)  # validated: all set

    def input_keys(self) -> list[MetricKey]:
        """Every key this rule can read."""
        out: list[MetricKey] = []
        for item in self.inputs:
            for key in (item.key, item.over_key):
                if key is not None and key not in out:
                    out.append(key)
        return out


def _complete_languages(by_lang: dict[str, str], where: str) -> dict[str, str]:
    """Require zh-CN and en; derive zh-TW from zh-CN with OpenCC (s2twp) when it is not given."""
    unknown = sorted(set(by_lang) - set(LANGS))
    if unknown:
        raise ValueError(f"{where}: unknown language {unknown[0]!r} (use {', '.join(LANGS)})")
    for lang in ("zh-CN", "en"):
        if not by_lang.get(lang, "").strip():
            raise ValueError(f"{where}: the {lang} text is missing")
    out = dict(by_lang)
    if not out.get("zh-TW", "").strip():
        out["zh-TW"] = to_traditional(out["zh-CN"])
    return {lang: out[lang] for lang in LANGS}


def _check_template(template: str, where: str) -> None:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"{where}: broken template: {exc}") from None
    for name in fields:
        if name not in PLACEHOLDERS:
            raise ValueError(f"{where}: unknown placeholder {{{name}}} (use {', '.join(sorted(PLACEHOLDERS))})")


class Group(BaseModel):
    """A data family; groups are weighted so that one family cannot dominate the score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = Field(1.0, ge=0.0)
    in_score: bool = True
    label: dict[str, str]
    note: str = ""

    @field_validator("label")
    @classmethod
    def _label_languages(cls, label: dict[str, str]) -> dict[str, str]:
        return _complete_languages(label, "label")


class ScoreSettings(BaseModel):
    """Bands of the composite score and how stale data is treated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bearish_below: float = Field(40.0, ge=0, le=100)
    bullish_above: float = Field(60.0, ge=0, le=100)
    stale_strength_cap: float = Field(0.3, ge=0.0, le=1.0)
    expire_factor: float = Field(5.0, ge=1.0)
    min_coverage: float = Field(0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> ScoreSettings:
        if self.bearish_below > self.bullish_above:
            raise ValueError("bearish_below must not exceed bullish_above")
        return self


class ClassBand(BaseModel):
    """Values below `below` (and at or above the previous band's) are in class `class`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    below: float | None = Field(None, allow_inf_nan=False)
    name: str = Field(alias="class", pattern=r"^[a-z][a-z0-9_]*$")


class Classifier(BaseModel):
    """A judgement the report states but the score does not use (a chain's TVL moving, say).

    Metrics a rule judges are classified by that rule's bands (their text keys are the class
    ids); a classifier covers the rest, and a test holds its edges to any rule on the same metric.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: MetricId
    bands: tuple[ClassBand, ...]
    note: str = ""

    @field_validator("bands")
    @classmethod
    def _ordered(cls, bands: tuple[ClassBand, ...]) -> tuple[ClassBand, ...]:
        cuts = [b.below for b in bands[:-1] if b.below is not None]
        if not bands or len(cuts) < len(bands) - 1 or bands[-1].below is not None:
            raise ValueError("every band but the last needs `below`; the last is open-ended")
        if any(upper <= lower for lower, upper in itertools.pairwise(cuts)):
            raise ValueError(f"band `below` values must increase strictly, got {cuts}")
        return bands

    @property
    def cuts(self) -> tuple[float, ...]:
        return tuple(float(b.below) for b in self.bands[:-1] if b.below is not None)  # validated: all set

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.bands)


class Classes(RootModel[dict[str, Classifier]]):
    """`[classes.<name>]`: every classifier by name."""

    root: dict[str, Classifier] = {}


class PhaseSettings(BaseModel):
    """The phase conditions' limits (docs/rulebook.md, "Phase"). Sentiment and valuation enter as
    classes of their rules (`rule:class`), so "extreme fear" means one thing everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    overheated_trend: float = 0.10
    overheated_classes: tuple[str, ...] = ("fear_greed:extreme_greed", "mvrv:overheated")
    distribution_drawdown: float = -0.25
    distribution_mom30: float = -0.05
    recovery_trend: float = -0.10
    recovery_mom30: float = 0.05
    recovery_drawdown: float = -0.20
    bull_trend: float = 0.03
    decline_mom30: float = -0.15
    decline_mom7: float = -0.10
    bottom_drawdown: float = -0.40
    bottom_classes: tuple[str, ...] = ("fear_greed:extreme_fear", "mvrv:below_cost", "mvrv:near_cost")

    @field_validator("overheated_classes", "bottom_classes")
    @classmethod
    def _rule_class(cls, refs: tuple[str, ...]) -> tuple[str, ...]:
        for ref in refs:
            if ref.count(":") != 1:
                raise ValueError(f"{ref!r}: write a class as `rule_id:class`")
        return refs


class Thresholds(BaseModel):
    """Presentation judgements on derived quantities that are not metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    near_level: float = Field(0.05, gt=0, lt=1)
    """Price within this fraction of the nearest zone is 'near' it."""
    iv_term_flat: float = Field(0.01, ge=0)
    """ATM IV of the longest and shortest tenor within this (vol points) is a flat term structure."""
    position: dict[str, tuple[float, float]] = {
        "offensive": (0.6, 0.8),
        "neutral": (0.4, 0.6),
        "defensive": (0.0, 0.3),
        "wait": (0.0, 0.2),
    }
    """Position size (share of capital, low–high) each stance advises; the strategy text quotes it."""


class Rulebook(BaseModel):
    """A validated, merged rulebook (rules in file order, disabled ones removed)."""

    model_config = ConfigDict(frozen=True)

    version: int = 1
    score: ScoreSettings = ScoreSettings()
    levels: LevelSettings = LevelSettings()
    watch: WatchSettings = WatchSettings()
    groups: dict[str, Group]
    rules: tuple[Rule, ...]
    classes: dict[str, Classifier] = {}
    phase: PhaseSettings = PhaseSettings()
    thresholds: Thresholds = Thresholds()
    files: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _phase_refs_exist(self) -> Rulebook:
        known = {r.id: {b.text_key for b in r.bands} for r in self.rules}
        for ref in (*self.phase.overheated_classes, *self.phase.bottom_classes):
            rule_id, name = ref.split(":")
            if rule_id in known and name not in known[rule_id]:
                raise ValueError(
                    f"phase: rule {rule_id!r} has no class {name!r} (its classes: {sorted(known[rule_id])})"
                )
        return self

    def class_of(self, rule_id: str, value: float | None) -> str:
        """The class id (band text key) rule `rule_id` gives `value`; "" when unknown."""
        if value is None or not math.isfinite(value):
            return ""
        rule = self.rule(rule_id)
        return rule.bands[bisect.bisect_right(rule.cuts, value)].text_key

    def classify(self, name: str, value: float | None) -> str:
        """The class id of `value` under classifier `name` (`[classes.<name>]`); "" when unknown."""
        if value is None or not math.isfinite(value):
            return ""
        spec = self.classes[name]
        return spec.names[bisect.bisect_right(spec.cuts, value)]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"no rule {rule_id!r} in the rulebook")

    @property
    def scoring_rules(self) -> tuple[Rule, ...]:
        """Rules that move the composite score (their group is in the score, weight > 0)."""
        return tuple(r for r in self.rules if self.groups[r.group].in_score and r.weight > 0)

    def input_keys(self) -> list[MetricKey]:
        """Every key any rule can read, in rule order."""
        out: list[MetricKey] = []
        for rule in self.rules:
            out.extend(k for k in rule.input_keys() if k not in out)
        return out
