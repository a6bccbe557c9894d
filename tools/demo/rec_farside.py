"""Demo recordings for Farside: SYNTHETIC "all data" pages for the BTC and ETH spot-ETF flows.

No copy of Farside's HTML exists in our references, so these pages are written to the structure
public scrapers describe (PROVIDERS.md §8): a `table.etf` whose header block names sponsors, then
tickers ending in `Total`, then a `Fee` row; one row per US trading day (`11 Jan 2024`), US$
millions with `(x)` negatives and `1,234.5` separators, `-` for a fund not yet launched, holiday
rows of zeros, and trailing `Total`/`Average`/`Maximum`/`Minimum` rows. Each page says in a
comment that it is synthetic.

The flows are generated: flows follow price momentum (the scenario's 7-day return), GBTC bleeds
after its conversion and ETHE after its own, and then the numbers seed 000 states are imposed:
- 2026-02-23 (the last row, as in the seed): total −$203.8M with IBIT −116.4, BITB −43.6,
  FBTC −27.9 (ARKB −9.8 and GBTC −6.1 make up the rest);
- ISO weeks 3 to 8 of 2026 are net outflow weeks and week 2 an inflow week, so the streak is
  −6 weeks on 2026-02-25;
- inflows before December 2025 are scaled so that the holdings implied by the flows
  (signaldesk.metrics.flows.etf_aum_usd) are worth $84.3B at the 2026-02-25 close of $62,900
  (about 1.34M BTC, ~$170B at the October 2025 high, as the seed says).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from signaldesk.metrics.flows import INITIAL_HOLDINGS
from signaldesk.providers.farside import URLS
from signaldesk.recordings import write_recording
from tools.demo import exactmath
from tools.demo.build import demo_request
from tools.demo.scenario import US_MARKET_HOLIDAYS, Scenario, rng

LAST_ROW = pd.Timestamp("2026-02-23")
AUM_TARGET = (pd.Timestamp("2026-02-25"), 84.3e9)
SEED_DAY = {"IBIT": -116.4, "BITB": -43.6, "FBTC": -27.9, "ARKB": -9.8, "GBTC": -6.1}
#: 2026 ISO weeks (Monday) that must net out with this sign.
WEEK_SIGNS = {
    pd.Timestamp("2026-01-05"): +1,
    **{pd.Timestamp("2026-01-12") + pd.Timedelta(weeks=i): -1 for i in range(6)},
}


# (ticker, sponsor, fee, launch, share of the non-Grayscale-trust flow, chance of a zero day)
BTC_FUNDS = (
    ("IBIT", "Blackrock", "0.25%", "2024-01-11", 0.52, 0.10),
    ("FBTC", "Fidelity", "0.25%", "2024-01-11", 0.20, 0.20),
    ("BITB", "Bitwise", "0.20%", "2024-01-11", 0.07, 0.45),
    ("ARKB", "Ark", "0.21%", "2024-01-11", 0.08, 0.40),
    ("BTCO", "Invesco", "0.25%", "2024-01-11", 0.02, 0.75),
    ("EZBC", "Franklin", "0.19%", "2024-01-11", 0.015, 0.75),
    ("BRRR", "Valkyrie", "0.25%", "2024-01-11", 0.015, 0.80),
    ("HODL", "VanEck", "0.20%", "2024-01-11", 0.03, 0.60),
    ("BTCW", "WTree", "0.25%", "2024-01-11", 0.005, 0.85),
    ("GBTC", "Grayscale", "1.50%", "2024-01-11", 0.0, 0.35),
    ("BTC", "Grayscale", "0.15%", "2024-07-31", 0.045, 0.50),
)
ETH_FUNDS = (
    ("ETHA", "Blackrock", "0.25%", "2024-07-23", 0.60, 0.15),
    ("FETH", "Fidelity", "0.25%", "2024-07-23", 0.18, 0.30),
    ("ETHW", "Bitwise", "0.20%", "2024-07-23", 0.06, 0.55),
    ("CETH", "21Shares", "0.21%", "2024-07-23", 0.02, 0.80),
    ("ETHV", "VanEck", "0.20%", "2024-07-23", 0.03, 0.70),
    ("QETH", "Invesco", "0.25%", "2024-07-23", 0.01, 0.85),
    ("EZET", "Franklin", "0.19%", "2024-07-23", 0.01, 0.85),
    ("ETHE", "Grayscale", "2.50%", "2024-07-23", 0.0, 0.35),
    ("ETH", "Grayscale", "0.15%", "2024-07-23", 0.09, 0.50),
)
TRUSTS = {"GBTC", "ETHE"}


def trading_days(start: str, end: pd.Timestamp) -> pd.DatetimeIndex:
    """US weekdays from `start` to `end`, holidays included (Farside shows them as zero rows)."""
    days = pd.date_range(start, end, freq="D")
    return days[days.day_of_week < 5]


def _momentum(close: pd.Series, days: pd.DatetimeIndex) -> np.ndarray:
    r7 = (close / close.shift(7) - 1.0).reindex(days).fillna(0.0)
    return r7.to_numpy()


def generate(
    funds: tuple, asset: str, close: pd.Series, *, level: float, swing: float, trust_bleed: float, bleed_days: float
) -> pd.DataFrame:
    """Daily flows per fund in US$m (NaN = not yet launched), before any seed constraint."""
    days = trading_days(funds[0][3], LAST_ROW)
    gen = rng(f"farside-{asset}")
    momentum = _momentum(close, days)
    demand = level + swing * exactmath.tanh(momentum / 0.06) + gen.normal(0.0, 0.35 * swing, len(days))
    age = np.arange(len(days))
    frame = pd.DataFrame(index=days)
    for ticker, _sponsor, _fee, launch, share, p_zero in funds:
        if ticker in TRUSTS:
            bleed = trust_bleed * exactmath.exp(-age / bleed_days) + 0.04 * trust_bleed
            values = -bleed * exactmath.exp(gen.normal(0.0, 0.45, len(days)))
            values += np.where(gen.random(len(days)) < 0.03, gen.uniform(5, 40, len(days)), 0.0)
        else:
            values = share * demand * exactmath.exp(gen.normal(0.0, 0.5, len(days)))
        zero = gen.random(len(days)) < p_zero
        if ticker == funds[0][0]:
            zero[-1] = False  # the largest fund has reported on the latest day
        values = np.where(zero, 0.0, values)
        frame[ticker] = np.where(days >= pd.Timestamp(launch), values, np.nan)
    holiday = frame.index.isin(pd.DatetimeIndex(sorted(US_MARKET_HOLIDAYS)))
    frame.loc[holiday] = frame.loc[holiday].where(frame.loc[holiday].isna(), 0.0)
    return frame


def _week_signs(frame: pd.DataFrame) -> None:
    """Make the 2026 weeks net out with the seed's signs: a week of the wrong sign has its
    funds' flows turned around (the trust's bleed stays) and scaled to a plausible weekly size."""
    gen = rng("farside-weeks")
    funds = [c for c in frame.columns if c not in TRUSTS]
    for monday, sign in WEEK_SIGNS.items():
        days = frame.index[(frame.index >= monday) & (frame.index < monday + pd.Timedelta(days=7))]
        total = float(np.nansum(frame.loc[days].to_numpy()))
        if np.sign(total) == sign and abs(total) >= 150:
            continue
        target = sign * float(gen.uniform(250.0, 900.0))
        turned = sign * frame.loc[days, funds].abs()
        trust = float(np.nansum(frame.loc[days, [c for c in frame.columns if c in TRUSTS]].to_numpy()))
        moved = float(np.nansum(turned.to_numpy()))
        frame.loc[days, funds] = turned * ((target - trust) / moved if moved else 0.0)


def _holdings(totals: pd.Series, close: pd.Series) -> float:
    return INITIAL_HOLDINGS["btc"] + float((totals * 1e6 / close.reindex(totals.index)).sum())


def _calibrate(frame: pd.DataFrame, close: pd.Series) -> None:
    """Scale pre-December-2025 inflows so the implied holdings are worth the seed's AUM."""
    day, aum = AUM_TARGET
    need = aum / float(close[day])
    early = frame.index < pd.Timestamp("2025-12-01")
    funds = [c for c in frame.columns if c not in TRUSTS]
    positive = frame.loc[early, funds].clip(lower=0.0).fillna(0.0)
    positive_coins = float((positive.sum(axis=1) * 1e6 / close.reindex(positive.index)).sum())
    other = _holdings(frame.sum(axis=1, min_count=1).fillna(0.0), close) - positive_coins
    k = (need - other) / positive_coins
    frame.loc[early, funds] = frame.loc[early, funds].where(frame.loc[early, funds] <= 0, frame.loc[early, funds] * k)


def btc_frame(scenario: Scenario) -> pd.DataFrame:
    """The demo's BTC flows table (US$m per fund, rounded like Farside) with seed 000's numbers."""
    close = scenario.btc
    frame = generate(BTC_FUNDS, "btc", close, level=95.0, swing=320.0, trust_bleed=450.0, bleed_days=45.0)
    _week_signs(frame)
    for ticker in frame.columns:
        frame.loc[LAST_ROW, ticker] = SEED_DAY.get(ticker, 0.0)
    _calibrate(frame, close)
    frame = frame.round(1)
    # Absorb the rounding in one early IBIT day, so the holdings hit the target within $0.1M.
    day, aum = AUM_TARGET
    residual_coins = aum / float(close[day]) - _holdings(frame.sum(axis=1, min_count=1).fillna(0.0), close)
    fix_day = pd.Timestamp("2024-03-12")
    frame.loc[fix_day, "IBIT"] = round(
        float(frame.loc[fix_day, "IBIT"]) + residual_coins * float(close[fix_day]) / 1e6, 1
    )
    return frame


def eth_frame(scenario: Scenario) -> pd.DataFrame:
    """The demo's ETH flows table (US$m per fund, rounded like Farside)."""
    frame = generate(ETH_FUNDS, "eth", scenario.eth, level=45.0, swing=160.0, trust_bleed=110.0, bleed_days=30.0)
    return frame.round(1)


def _cell(value: float) -> str:
    if np.isnan(value):
        return "-"
    text = f"{abs(value):,.1f}"
    return f"({text})" if value < 0 else text


def _span(text: str, css: str = "tabletext") -> str:
    return f'<span class="{css}">{text}</span>'


def render(frame: pd.DataFrame, funds: tuple, title: str) -> str:
    """The page: a WordPress-like shell around Farside's table layout."""
    tickers = list(frame.columns)
    totals = frame.sum(axis=1, min_count=1).round(1)
    head = [
        "<tr><th></th>" + "".join(f"<th>{_span(f[1])}</th>" for f in funds) + "<th></th></tr>",
        "<tr><th></th>" + "".join(f"<th>{_span(t)}</th>" for t in tickers) + f"<th>{_span('Total')}</th></tr>",
        f"<tr><th>{_span('Fee')}</th>" + "".join(f"<th>{_span(f[2])}</th>" for f in funds) + "<th></th></tr>",
    ]
    body = []
    for day, row in frame.iterrows():
        cells = []
        for value in [*row.to_numpy(), totals[day]]:
            text = _cell(float(value))
            cells.append(f"<td>{_span(text, 'redFont') if text.startswith('(') else _span(text)}</td>")
        body.append(f"<tr><td>{_span(f'{day.day:02d} {day:%b %Y}')}</td>{''.join(cells)}</tr>")
    all_cols = frame.assign(Total=totals)
    for label, stat in (
        ("Total", all_cols.sum()),
        ("Average", all_cols.mean()),
        ("Maximum", all_cols.max()),
        ("Minimum", all_cols.min()),
    ):
        cells = "".join(f"<td>{_span(_cell(round(float(v), 1)))}</td>" for v in stat.to_numpy())
        body.append(f"<tr><td>{_span(label)}</td>{cells}</tr>")
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="UTF-8">\n'
        f"<title>{title} &#8211; Farside Investors</title>\n</head>\n<body>\n"
        "<!-- SYNTHETIC PAGE: generated by tools.demo.rec_farside for the offline demo. It follows the "
        "structure of farside.co.uk's flow tables; it is not a copy of the site and its numbers are not real. -->\n"
        f'<div class="entry-content">\n<h1>{title}</h1>\n'
        "<p>All data in US$m. Data for the most recent day may be incomplete.</p>\n"
        '<table class="etf">\n<thead>\n'
        + "\n".join(head)
        + "\n</thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody>\n</table>\n</div>\n</body>\n</html>\n"
    )


def record(directory: Path, scenario: Scenario) -> None:
    pages = {
        "btc": render(btc_frame(scenario), BTC_FUNDS, "Bitcoin ETF Flow &#8211; All Data"),
        "eth": render(eth_frame(scenario), ETH_FUNDS, "Ethereum ETF Flow &#8211; All Data"),
    }
    for asset, html in pages.items():
        write_recording(
            directory, demo_request("GET", URLS[asset]), html.encode(), content_type="text/html; charset=utf-8"
        )
