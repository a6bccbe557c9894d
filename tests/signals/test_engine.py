from datetime import UTC, date, datetime

import pandas as pd
import pytest

from signaldesk.clock import pinned_now
from signaldesk.models import Observation, ProviderOutcome
from signaldesk.signals.engine import assess, assess_snapshot_file, assess_store
from signaldesk.signals.rulebook import load_rulebook
from tests.signals.helpers import seed_file, series, snapshot


def test_seed_day_from_a_snapshot_file(tmp_path):
    a = assess_snapshot_file(seed_file(tmp_path))
    states = {i.rule: i.state for i in a.indicators}
    # The seed's bearish signals and its contrarian bullish ones; funding at -0.002 %/8h is ~0, neutral as in the
    # seed's own table ("~0% / 8h 🟡 中性"), not the "funding turned negative" of its prose.
    assert {r for r, s in states.items() if s == "bearish"} >= {
        "etf_streak",
        "whale_ratio",
        "oi_change",
        "coinbase_premium",
    }
    assert states["funding_btc"] == "neutral"
    assert {r for r, s in states.items() if s == "bullish"} >= {"fear_greed", "eth_gas_low"}
    assert (a.phase, a.stance) == ("accelerating_decline", "defensive")
    assert a.band == "bearish" and 0 < a.score < 40
    assert a.phase_reasons == {"phase": "accelerating_decline", "also": "bottom_building"}
    assert states["btc_dominance"] == "bearish"  # altcoin view: 58 % dominance, no altcoin season
    # What a snapshot file cannot feed is listed, with a reason, never dropped.
    missing = {(m.id, m.entity) for m in a.missing}
    assert ("sth_cost_basis_usd", "") in missing and ("capex_yoy", "hyperscalers") in missing
    # Levels from round numbers alone (no history in the file): $60K below, $65K above.
    assert a.support[0].price == 60_000 and a.resistance[0].price == 65_000


def test_lang_picks_the_reason_language():
    a = assess(snapshot({("fear_greed", ""): 8}), lang="en")
    assert a.indicators[0].reason.startswith("Fear & Greed at 8/100")


def test_user_rulebook_changes_the_judgement(tmp_path):
    rules = tmp_path / "rules.toml"
    # Band texts are keyed by class; the classes the [phase] table names (extreme_fear, extreme_greed) must exist.
    rules.write_text(
        '[[rules]]\nid = "fear_greed"\nreading = "trend"\n'
        'bands = [{ below = 50, state = "bearish", strength = 1.0, text = "extreme_fear" }, { below = 90, state = "neutral" },'
        ' { state = "neutral", text = "extreme_greed" }]\n'
        '[rules.text]\nextreme_fear = { zh-CN = "恐惧 {value}", en = "Fear {value}" }\n'
        'neutral = { zh-CN = "平 {value}", en = "Calm {value}" }\nextreme_greed = { zh-CN = "贪 {value}", en = "Greed {value}" }\n'
    )
    a = assess_snapshot_file(seed_file(tmp_path), rulebook_path=rules)
    fg = next(i for i in a.indicators if i.rule == "fear_greed")
    assert (fg.state, fg.reasons["en"]) == ("bearish", "Fear 8/100")
    assert load_rulebook(rules).rule("fear_greed").reading == "trend"


def _obs(metric, entity, day, value, source):
    return Observation(metric, entity, datetime(day.year, day.month, day.day, tzinfo=UTC), float(value), source)


def test_assess_store_as_of_a_past_day(store):
    days = pd.date_range("2025-06-01", "2026-02-27")
    prices = pd.Series(range(len(days)), index=days, dtype=float) * -100 + 100_000
    fng = pd.Series(50.0, index=days)
    fng.loc["2026-02-26":] = 5.0  # after the as-of day: must not be seen
    obs = [_obs("price_usd", "btc", d.date(), v, "coinbase") for d, v in prices.items()]
    obs += [_obs("fear_greed", "", d.date(), v, "alternative_me") for d, v in fng.items()]
    store.write_observations(obs, run_id="import")
    with pinned_now(datetime(2026, 2, 25, 23, 30, tzinfo=UTC)):
        store.write_run(
            "run-1",
            mode="daily",
            as_of=date(2026, 2, 25),
            started_at=datetime(2026, 2, 25, 23, tzinfo=UTC),
            status="partial",
            observations=[],
            outcomes=[
                ProviderOutcome("alternative_me", "ok", observations=3),
                ProviderOutcome("binance", "failed", "HTTP 451 restricted location", error_type="UnavailableError"),
            ],
        )
    a = assess_store(store, date(2026, 2, 25), reasons={"funding_rate_8h": "binance failed: HTTP 451"})
    fg = next(i for i in a.indicators if i.rule == "fear_greed")
    assert fg.value == 50.0 and fg.state == "neutral"
    price = next(i for i in a.indicators if i.rule == "btc_drawdown")
    assert price.x == pytest.approx((100_000 - 269 * 100) / 100_000 - 1)  # 2026-02-25 is day 269 of the series
    assert next(m for m in a.missing if m.id == "funding_rate_8h").reason == "binance failed: HTTP 451"
    sources = {s.provider: s for s in a.sources}
    assert sources["alternative_me"].status == "ok" and sources["alternative_me"].latest == datetime(
        2026, 2, 25, tzinfo=UTC
    )
    assert sources["binance"].status == "failed" and sources["binance"].reason == "HTTP 451 restricted location"


def test_assess_snapshot_with_history_only():
    snap = snapshot({})
    snap.history[("fear_greed", "")] = series([30.0, 20.0, 8.0], "2026-02-23")
    a = assess(snap)
    assert a.indicators[0].value == 8.0 and a.indicators[0].percentile == pytest.approx(1 / 3, abs=1e-4)


def test_a_fallback_input_is_named_beside_the_missing_primary():
    a = assess(snapshot({("sopr", ""): 0.92}))
    assert next(i for i in a.indicators if i.rule == "sopr").id == "sopr"
    gap = next(m for m in a.missing if m.id == "sopr_7d_sma")
    assert gap.reason == "no data; rule sopr used sopr instead"
