"""Every metric on a hand-built six-output chain, with the arithmetic done by hand in comments.

Prices: $10 on days 0–99, $40 on days 100–199, $30 on day 200.
Outputs (BTC, created day → spent day):
  A 2.0  0 → unspent        B 1.0  0 → 100        F 0.5  50 → unspent
  C 3.0 100 → 200           D 1.0 100 → unspent    E 3.0 200 → unspent
Supply at the end of each day: days 0–49: A+B = 3; 50–99: 3.5; 100–199: A+F+C+D = 6.5;
day 200: A+F+D+E = 6.5.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from signaldesk.onchain.engine import OnchainResult, compute, logistic_weight
from tests.onchain.chains import BTC, day, price_series, write_outputs

CHAIN = [
    (2 * BTC, 0, None),  # A
    (1 * BTC, 0, 100),  # B
    (BTC // 2, 50, None),  # F
    (3 * BTC, 100, 200),  # C
    (1 * BTC, 100, None),  # D
    (3 * BTC, 200, None),  # E
]


def hand_price(d: int) -> float:
    return 10.0 if d < 100 else (40.0 if d < 200 else 30.0)


@pytest.fixture(scope="module")
def chain_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_outputs(tmp_path_factory.mktemp("hand") / "outputs.parquet", CHAIN)


@pytest.fixture(scope="module")
def result(chain_file: Path) -> OnchainResult:
    return compute(chain_file, price_series(201, hand_price), urpd_buckets=4)


def at(result: OnchainResult, d: int) -> dict[str, float]:
    return result.daily.loc[day(d)].to_dict()


def test_as_of_defaults_to_the_last_day(result: OnchainResult) -> None:
    assert result.as_of == date(2020, 7, 19)  # 2020-01-01 + 200 days
    assert result.outputs == 6
    assert len(result.daily) == 201


def test_supply_and_realised_cap(result: OnchainResult) -> None:
    # Day 100: A 2×10 + F 0.5×10 + C 3×40 + D 1×40 = 20 + 5 + 120 + 40 = 185 over 6.5 BTC.
    d100 = at(result, 100)
    assert d100["supply_btc"] == 6.5
    assert d100["realized_cap_usd"] == pytest.approx(185.0, abs=1e-9)
    assert d100["realized_price_usd"] == pytest.approx(185 / 6.5)
    # Day 200: C leaves (−120), E arrives at 30 (+90): 155 over 6.5 BTC; MVRV = 6.5×30 / 155.
    d200 = at(result, 200)
    assert d200["realized_cap_usd"] == pytest.approx(155.0, abs=1e-9)
    assert d200["realized_price_usd"] == pytest.approx(155 / 6.5)
    assert d200["mvrv"] == pytest.approx(195 / 155)
    assert at(result, 49)["supply_btc"] == 3.0 and at(result, 50)["supply_btc"] == 3.5


def test_sharp_sth_lth_split(result: OnchainResult) -> None:
    # Day 154: A is 154 days old, still STH; on day 155 it turns LTH (B, as old, left on day 100).
    assert at(result, 154)["lth_supply_btc"] == 0.0
    assert at(result, 155)["lth_supply_btc"] == 2.0
    assert at(result, 155)["lth_cost_basis_usd"] == pytest.approx(10.0)
    # Day 200: LTH = A (age 200); F is 150 days old, D and E younger → STH 0.5 + 1 + 3 = 4.5 BTC
    # with cap 5 + 40 + 90 = 135 → cost basis 30.
    d200 = at(result, 200)
    assert d200["lth_supply_btc"] == 2.0
    assert d200["sth_supply_btc"] == 4.5
    assert d200["sth_cost_basis_usd"] == pytest.approx(30.0)
    assert d200["lth_cost_basis_usd"] == pytest.approx(10.0)
    assert math.isnan(at(result, 100)["lth_cost_basis_usd"])  # no LTH yet: undefined, not 0


def test_realised_profit_loss_and_sopr(result: OnchainResult) -> None:
    # Day 100: B (1 BTC bought at 10) moves at 40 → profit 30, SOPR 40/10 = 4, CDD 1 × 100 days.
    d100 = at(result, 100)
    assert d100["realized_profit_usd"] == pytest.approx(30.0)
    assert d100["realized_loss_usd"] == 0.0
    assert d100["sopr"] == pytest.approx(4.0)
    assert d100["coin_days_destroyed"] == pytest.approx(100.0)
    assert d100["realized_profit_usd_7d_sma"] == pytest.approx(30 / 7)
    assert d100["sopr_7d_sma"] == pytest.approx(4.0)  # the only SOPR in days 94–100
    # Day 200: C (3 BTC bought at 40) moves at 30 → loss 30, SOPR 90/120 = 0.75, CDD 300.
    d200 = at(result, 200)
    assert d200["realized_loss_usd"] == pytest.approx(30.0)
    assert d200["realized_profit_usd"] == 0.0
    assert d200["sopr"] == pytest.approx(0.75)
    assert d200["coin_days_destroyed"] == pytest.approx(300.0)
    assert d200["realized_loss_usd_7d_sma"] == pytest.approx(30 / 7)
    assert math.isnan(at(result, 150)["sopr"])  # nothing spent that day


def test_unrealised_loss_and_supply_in_profit(result: OnchainResult) -> None:
    # Day 200 at $30: only D (1 BTC @40) is under water, by 10 → 10 / (6.5 × 30).
    # In profit: A and F (bought at 10) = 2.5 of 6.5; E (bought at 30) is neither.
    d200 = at(result, 200)
    assert d200["relative_unrealized_loss"] == pytest.approx(10 / 195)
    assert d200["supply_in_profit"] == pytest.approx(2.5 / 6.5)
    # Day 100 at $40: nothing above 40 → no unrealised loss; A and F in profit.
    assert at(result, 100)["relative_unrealized_loss"] == 0.0
    assert at(result, 100)["supply_in_profit"] == pytest.approx(2.5 / 6.5)


def test_liveliness_active_supply_and_true_market_mean(result: OnchainResult) -> None:
    # Coin-days created up to day 100 = Σ supply at the end of days 0..99 = 50×3 + 50×3.5 = 325;
    # destroyed = 100 (B) → liveliness 100/325, active supply 6.5 × 100/325 = 2.0 BTC.
    # Thermocap by day 100: +3 @10 (day 0) + 0.5 @10 (day 50) + 3 @40 (day 100) = 155;
    # investor cap = 185 − 155 = 30 → true market mean = 30 / 2.0 = 15.
    d100 = at(result, 100)
    assert d100["liveliness"] == pytest.approx(100 / 325)
    assert d100["active_supply_btc"] == pytest.approx(2.0)
    assert d100["thermocap_usd"] == pytest.approx(155.0)
    assert d100["investor_cap_usd"] == pytest.approx(30.0)
    assert d100["true_market_mean_usd"] == pytest.approx(15.0)
    # Day 200: created 325 + 100×6.5 = 975, destroyed 100 + 300 = 400; no issuance that day,
    # so thermocap stays 155 and investor cap = 155 − 155 = 0.
    d200 = at(result, 200)
    assert d200["liveliness"] == pytest.approx(400 / 975)
    assert d200["active_supply_btc"] == pytest.approx(6.5 * 400 / 975)
    assert d200["investor_cap_usd"] == pytest.approx(0.0, abs=1e-9)
    assert d200["true_market_mean_usd"] == pytest.approx(0.0, abs=1e-9)
    assert math.isnan(at(result, 0)["liveliness"])  # nothing has aged yet


def test_urpd_buckets(result: OnchainResult) -> None:
    # ATH 40 → four $10 buckets. Unspent on day 200: A, F at 10 → [10, 20); D at 40 (the top,
    # kept in the last bucket) and E at 30 → [30, 40].
    assert result.urpd["price_low"].tolist() == [0.0, 10.0, 20.0, 30.0]
    assert result.urpd["price_high"].tolist() == [10.0, 20.0, 30.0, 40.0]
    assert result.urpd["supply_btc"].tolist() == [0.0, 2.5, 0.0, 4.0]


def test_exact_integers(result: OnchainResult) -> None:
    # The engine's own totals, in satoshi and satoshi × cent: 155 USD = 155 × 10^8 × 100.
    last = result.exact.iloc[-1]
    assert last["supply"] == 650_000_000
    assert last["realized_cap"] == 155 * 10**10
    assert last["loss"] == 30 * 10**10


def test_logistic_split(chain_file: Path) -> None:
    # Day 200: A is 200 days old, F 150, D 100, E 0 — each weighted by 1 / (1 + e^−(age−155)/10).
    res = compute(chain_file, price_series(201, hand_price), lth_mode="logistic")
    w = logistic_weight
    lth = 2 * w(200) + 0.5 * w(150) + 1 * w(100) + 3 * w(0)
    lth_cap = 2 * 10 * w(200) + 0.5 * 10 * w(150) + 1 * 40 * w(100) + 3 * 30 * w(0)
    d200 = at(res, 200)
    assert w(155) == 0.5 and w(177) == pytest.approx(0.9, abs=0.001)
    assert d200["lth_supply_btc"] == pytest.approx(lth, rel=1e-9)
    assert d200["sth_supply_btc"] == pytest.approx(6.5 - lth, rel=1e-9)
    assert d200["lth_cost_basis_usd"] == pytest.approx(lth_cap / lth, rel=1e-9)
    assert d200["sth_cost_basis_usd"] == pytest.approx((155 - lth_cap) / (6.5 - lth), rel=1e-9)


def test_as_of_cuts_the_chain(chain_file: Path) -> None:
    # As of day 150: E does not exist yet and C's spend on day 200 has not happened.
    res = compute(chain_file, price_series(201, hand_price), as_of=date(2020, 5, 30))
    assert res.as_of == date(2020, 5, 30) and len(res.daily) == 151
    last = res.daily.iloc[-1]
    assert last["supply_btc"] == 6.5
    assert last["realized_cap_usd"] == pytest.approx(185.0)
    assert res.urpd["supply_btc"].sum() == pytest.approx(6.5)
