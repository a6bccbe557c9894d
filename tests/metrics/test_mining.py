import pandas as pd
import pytest

from signaldesk.metrics.derive import derive_all
from signaldesk.metrics.mining import block_subsidy_btc, hashprice_usd_per_ph_day


def days(*texts: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Timestamp(t) for t in texts])


def test_subsidy_schedule_at_the_halvings():
    index = days(
        "2009-01-03",
        "2012-11-27",
        "2012-11-28",
        "2016-07-09",
        "2020-05-10",
        "2020-05-11",
        "2024-04-19",
        "2024-04-20",
        "2026-02-25",
    )
    assert list(block_subsidy_btc(index).to_numpy()) == [50, 50, 25, 12.5, 12.5, 6.25, 6.25, 3.125, 3.125]


def test_subsidy_before_genesis_is_unknown():
    assert block_subsidy_btc(days("2008-12-31")).isna().all()


def test_hashprice_by_hand():
    d = days("2026-02-24")
    hashrate = pd.Series([1_000.0], index=d)  # EH/s = 1,000,000 PH/s
    close = pd.Series([62_900.0], index=d)
    fees = pd.Series([0.02], index=d)  # BTC per block
    # 144 × (3.125 + 0.02) BTC = 452.88 BTC/day × $62,900 = $28,486,152/day ÷ 1,000,000 PH/s
    assert hashprice_usd_per_ph_day(hashrate, close, fees).iloc[0] == pytest.approx(28.486152)


def test_hashprice_across_the_2024_halving():
    d = days("2024-04-19", "2024-04-20")
    hashrate = pd.Series([600.0, 600.0], index=d)
    close = pd.Series([60_000.0, 60_000.0], index=d)
    fees = pd.Series([0.0, 0.0], index=d)
    # 144 × 6.25 × 60,000 / 600,000 = 90; then half: 45.
    assert list(hashprice_usd_per_ph_day(hashrate, close, fees).to_numpy()) == pytest.approx([90.0, 45.0])


def test_fees_carried_at_most_three_days():
    d = pd.date_range("2026-02-01", periods=5)
    hashrate = pd.Series(1_000.0, index=d)
    close = pd.Series(60_000.0, index=d)
    fees = pd.Series([0.5], index=d[:1])
    out = hashprice_usd_per_ph_day(hashrate, close, fees)
    assert list(out.index) == list(d[:4])  # day 5 is 4 days after the last fee value: no hashprice
    assert out.iloc[3] == pytest.approx(144 * 3.625 * 60_000 / 1e6)


def test_no_value_without_hashrate_or_price_that_day():
    hashrate = pd.Series([1_000.0], index=days("2026-02-24"))
    close = pd.Series([62_900.0], index=days("2026-02-25"))
    fees = pd.Series([0.02], index=days("2026-02-24"))
    assert hashprice_usd_per_ph_day(hashrate, close, fees).empty


def test_derivation_registered():
    d = days("2026-02-24")
    out = derive_all(
        {
            ("hashrate_ehs", ""): pd.Series([1_000.0], index=d),
            ("price_usd", "btc"): pd.Series([62_900.0], index=d),
            ("btc_fee_per_block_btc", ""): pd.Series([0.02], index=d),
        }
    )
    assert out[("hashprice_usd_per_ph_day", "")].iloc[0] == pytest.approx(28.486152)


def test_derivation_waits_for_its_inputs():
    d = days("2026-02-24")
    out = derive_all(
        {("hashrate_ehs", ""): pd.Series([1_000.0], index=d), ("price_usd", "btc"): pd.Series([62_900.0], index=d)}
    )
    assert ("hashprice_usd_per_ph_day", "") not in out
