"""The rulebook's `[levels]` and `[watch]` tables: the thresholds behind zones, actions and watch items.

Kept apart from `schema.py` (the rules' schema) because it has its own vocabulary: the level
kinds a zone can be made of, the families they belong to, and the actions a stance can state.
`signals/levels.py` and `signals/watchlist.py` read these settings; nothing here computes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Every kind of level candidate → its family. Cost bases are on-chain (BTC); clusters come from
#: URPD buckets or the price history (volume-by-price, or days-at-price without volume); swings are
#: confirmed pivots of the close; the 200-day mean is the trend line; round numbers are a fallback.
KIND_FAMILY: dict[str, str] = {
    "sth_cost_basis": "cost_basis",
    "lth_cost_basis": "cost_basis",
    "realized_price": "cost_basis",
    "true_market_mean": "cost_basis",
    "urpd_cluster": "supply_cluster",
    "volume_cluster": "supply_cluster",
    "dwell_cluster": "supply_cluster",
    "swing_high": "swing",
    "swing_low": "swing",
    "ma200": "trend",
    "round_number": "round_number",
}
KINDS = tuple(KIND_FAMILY)
STANCES = ("offensive", "neutral", "defensive", "wait")
#: Conditional actions the strategy can state (words: the report's i18n `[levels.action]`).
ACTIONS = (
    "add_on_pullback",  # buy dips into the nearest support zone
    "add_on_breakout",  # add on a close above the nearest resistance
    "cut_below_support",  # a close below the nearest support ends the bullish view
    "trade_range",  # between the nearest support and resistance, do not chase
    "reduce_on_breakdown",  # a close below the nearest support means reducing further
    "wait_for_support",  # add nothing until the nearest support is confirmed
    "no_chase",  # do not buy a bounce into the nearest resistance
    "reassess_above_resistance",  # a close above the nearest resistance breaks the bearish structure
)


class LevelSettings(BaseModel):
    """How level candidates are found, weighed, merged into zones and listed; actions per stance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    atr_days: int = Field(14, ge=2)
    zone_atr: float = Field(1.5, gt=0)
    zone_min: float = Field(0.01, ge=0, lt=1)
    zone_max: float = Field(0.04, gt=0, lt=1)
    line_below: float = Field(0.005, ge=0, lt=1)
    range: float = Field(0.30, gt=0, lt=1)
    round_gap: float = Field(0.08, ge=0, lt=1)
    max_zones: int = Field(3, ge=1)
    swing_radius: int = Field(5, ge=1)
    swing_lookback_days: int = Field(120, ge=10)
    profile_days: int = Field(365, ge=30)
    profile_bin: float = Field(0.02, gt=0, lt=0.5)
    cluster_peak: float = Field(1.5, gt=0)
    ma_days: int = Field(200, ge=2)
    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "sth_cost_basis": 2.0,
            "lth_cost_basis": 1.5,
            "realized_price": 2.0,
            "true_market_mean": 2.0,
            "urpd_cluster": 2.0,
            "volume_cluster": 1.5,
            "dwell_cluster": 1.0,
            "swing_high": 1.0,
            "swing_low": 1.0,
            "ma200": 1.5,
            "round_number": 0.5,
        }
    )
    actions: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: {
            "offensive": ("add_on_pullback", "add_on_breakout", "cut_below_support"),
            "neutral": ("trade_range", "add_on_breakout", "reduce_on_breakdown"),
            "defensive": ("wait_for_support", "reduce_on_breakdown", "no_chase", "reassess_above_resistance"),
            "wait": ("wait_for_support", "no_chase", "reassess_above_resistance"),
        }
    )

    @field_validator("weights")
    @classmethod
    def _known_kinds(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown level kind {unknown[0]!r} (known: {', '.join(KINDS)})")
        if any(w < 0 for w in weights.values()):
            raise ValueError("level weights must be 0 or more")
        return {kind: float(weights.get(kind, 0.0)) for kind in KINDS}

    @field_validator("actions")
    @classmethod
    def _known_actions(cls, actions: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for stance, ids in actions.items():
            if stance not in STANCES:
                raise ValueError(f"unknown stance {stance!r} (known: {', '.join(STANCES)})")
            unknown = [a for a in ids if a not in ACTIONS]
            if unknown:
                raise ValueError(f"stance {stance!r}: unknown action {unknown[0]!r} (known: {', '.join(ACTIONS)})")
        return actions

    @model_validator(mode="after")
    def _ordered_widths(self) -> LevelSettings:
        if self.zone_min > self.zone_max:
            raise ValueError("@zone_min zone_min must not exceed zone_max")
        return self


class WatchSettings(BaseModel):
    """When a level, a streak or a rule's state earns a place on the next 24 h watch list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_items: int = Field(6, ge=1)
    support_reach: float = Field(0.08, gt=0, lt=1)
    resistance_reach: float = Field(0.12, gt=0, lt=1)
    cost_basis_reach: float = Field(0.15, gt=0, lt=1)
    ma_reach: float = Field(0.05, gt=0, lt=1)
    etf_min_streak: int = Field(2, ge=1)
    rules: tuple[str, ...] = ("fear_greed", "funding_btc", "coinbase_premium")
