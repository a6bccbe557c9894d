"""`signaldesk doctor`: one small live request per source, from this machine, and what it says.

Why: the daily job usually runs on a server, and many free APIs treat data-centre IPs differently
from a laptop (region blocks, Cloudflare challenges, client filters, tight per-IP limits). The
collector tells you *after* a run that a source failed; the doctor tells you beforehand, per
source: reachable or not, HTTP status, latency, the rate-limit headers it sent, whether a key is
present and accepted, and the likely cause when blocked. Its exit code says whether the daily job
can produce a full report from here (0), only a partial one (3), or nothing at all (1).

Each probe is the cheapest request that exercises the provider's real host, path family, headers
and client (browser impersonation where the provider uses it), built from the provider's own
constants. A probe never retries: the first answer is the diagnosis.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, Literal

import httpx

from signaldesk.clock import today_utc
from signaldesk.errors import MissingKeyError, UsageError
from signaldesk.http import USER_AGENT
from signaldesk.impersonate import BROWSER, BrowserRouting
from signaldesk.settings import secret

EXIT_FULL, EXIT_NOTHING, EXIT_PARTIAL = 0, 1, 3
DEFAULT_TIMEOUT_S = 15.0
RATE_LIMIT_HEADER = re.compile(
    r"^(?:retry-after|x-ratelimit-.*|ratelimit(?:-.*)?|x-rate-limit-.*|x-mbx-used-weight.*|x-bapi-limit.*|"
    r"x-cg-.*limit.*|cf-mitigated)$",
    re.IGNORECASE,
)
"""Headers that tell how close we are to a limit (IETF RateLimit, X-RateLimit-*, Binance weights, Bybit)."""
CHALLENGE_MARKERS = (
    "just a moment",
    "cf-chl",
    "challenge-platform",
    "cf-browser-verification",
    "attention required! | cloudflare",
    "enable javascript and cookies to continue",
)
BODY_HEAD = 20_000
"""Characters of a body searched for challenge markers."""

Verdict = Literal["ok", "blocked", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class Probe:
    """One small request. `key_env` with `key_header` (or `key_param`) sends the provider's key the way it does."""

    label: str
    url: str
    method: str = "GET"
    params: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    browser: bool = False
    key_env: str = ""
    key_header: str = ""
    key_prefix: str = ""
    key_param: str = ""
    key_required: bool = False


@dataclass(frozen=True, slots=True)
class Check:
    """A provider's probes: `need="all"` — every part feeds the report (venues, pages, feeds);
    `"any"` — alternatives (RPC endpoints, Yahoo or its Stooq fallback)."""

    provider: str
    probes: tuple[Probe, ...]
    need: Literal["all", "any"] = "all"
    skip_reason: str = ""


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one probe saw. `cause` is the likely reason in words when the verdict is not ok."""

    provider: str
    label: str
    host: str
    verdict: Verdict
    reachable: bool
    status: int | None = None
    latency_ms: float | None = None
    rate_limit: dict[str, str] = field(default_factory=dict)
    key: str = "not needed"
    cause: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    """Every probe's result, each provider's verdict and the exit code the CLI returns."""

    results: tuple[ProbeResult, ...]
    providers: dict[str, Verdict]

    @property
    def exit_code(self) -> int:
        judged = [v for v in self.providers.values() if v != "skipped"]
        if judged and all(v != "ok" for v in judged):
            return EXIT_NOTHING
        return EXIT_PARTIAL if any(v != "ok" for v in judged) else EXIT_FULL

    def to_json(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "full_report_possible": self.exit_code == EXIT_FULL,
            "providers": self.providers,
            "probes": [asdict(r) for r in self.results],
        }


# -- the probes ----------------------------------------------------------------------------------------
def _checks() -> dict[str, Callable[[], Check]]:
    """Provider name → its check, built from the provider module's own constants."""
    from signaldesk.providers import (
        alternative_me,
        bitview,
        coinbase,
        coingecko,
        coinglass,
        coinmetrics,
        cryptoquant,
        defillama,
        deribit,
        ethgas,
        farside,
        glassnode,
        mempool,
        news,
        sec_edgar,
        stooq,
        yahoo,
    )

    recent = today_utc() - timedelta(days=3)

    def sec() -> Check:
        try:
            agent = sec_edgar.user_agent()
        except MissingKeyError as exc:
            return Check("sec_edgar", (), skip_reason=str(exc))
        msft = sec_edgar.COMPANIES["MSFT"].cik
        return Check(
            "sec_edgar",
            (
                Probe(
                    "sec_edgar",
                    sec_edgar.concept_url(msft, sec_edgar.PPE),
                    headers={"User-Agent": agent, "Accept": "application/json"},
                ),
            ),
        )

    return {
        "alternative_me": lambda: Check("alternative_me", (Probe("fng", alternative_me.URL, params={"limit": "1"}),)),
        "bitview": lambda: Check(
            "bitview",
            (
                Probe(
                    "series",
                    bitview.SERIES_URL.format(name=bitview.SERIES[0].name),
                    params={"start": recent.isoformat()},
                ),
            ),
        ),
        "coinbase": lambda: Check("coinbase", (Probe("ticker", f"{coinbase.COINBASE}/products/BTC-USD/ticker"),)),
        "coingecko": lambda: Check(
            "coingecko",
            (
                Probe(
                    "ping",
                    f"{coingecko.BASE}/ping",
                    key_env=coingecko.KEY_ENV,
                    key_header=coingecko.CoinGecko.capabilities.key_header,
                ),
            ),
        ),
        "coinglass": lambda: Check(
            "coinglass",
            (
                Probe(
                    "liquidations",
                    coinglass.URL,
                    params=coinglass.request_params(recent),
                    key_env=coinglass.KEY_ENV,
                    key_header=coinglass.CoinGlass.capabilities.key_header,
                    key_required=True,
                ),
            ),
        ),
        "coinmetrics": lambda: Check(
            "coinmetrics",
            (
                Probe(
                    "asset-metrics",
                    coinmetrics.URL,
                    params=coinmetrics.request_params(["PriceUSD"], recent.isoformat()),
                ),
            ),
        ),
        "cryptoquant": lambda: Check(
            "cryptoquant",
            (
                Probe(
                    "whale-ratio",
                    cryptoquant.URL,
                    params=cryptoquant.request_params(recent, today_utc()),
                    key_env=cryptoquant.KEY_ENV,
                    key_header="Authorization",
                    key_prefix="Bearer ",
                    key_required=True,
                ),
            ),
        ),
        "defillama": lambda: Check(
            "defillama",
            (
                Probe("tvl", defillama.TVL_URL.format(chain="Ethereum")),
                Probe("stablecoins", f"https://{defillama.STABLES_HOST}/stablecoinchains"),
            ),
        ),
        "deribit": lambda: Check("deribit", (Probe("index", deribit.INDEX_URL, params={"index_name": "btc_usd"}),)),
        "ethgas": lambda: Check(
            "ethgas",
            tuple(
                Probe(
                    httpx.URL(url).host,
                    url,
                    method="POST",
                    json_body={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
                )
                for url in ethgas.endpoints()
            ),
            need="any",
        ),
        "exchanges": lambda: Check(
            "exchanges",
            (
                Probe("binance", "https://fapi.binance.com/fapi/v1/ping"),
                Probe("bybit", "https://api.bybit.com/v5/market/time"),
                Probe("okx", "https://www.okx.com/api/v5/public/time"),
            ),
        ),
        "farside": lambda: Check(
            "farside", tuple(Probe(asset, url, browser=True) for asset, url in farside.URLS.items())
        ),
        "glassnode": lambda: Check(
            "glassnode",
            (
                Probe(
                    "metrics",
                    glassnode.BASE_URL + next(iter(glassnode.PATHS.values())),
                    params=glassnode.request_params(recent),
                    key_env=glassnode.KEY_ENV,
                    key_header=glassnode.Glassnode.capabilities.key_header,
                    key_required=True,
                ),
            ),
        ),
        "mempool": lambda: Check("mempool", (Probe("fees", mempool.FEES_URL),)),
        "news": lambda: Check(
            "news", tuple(Probe(feed.name, feed.url, headers={"Accept": news.ACCEPT}) for feed in news.feeds())
        ),
        "sec_edgar": sec,
        "yahoo": lambda: Check(
            "yahoo",
            (
                Probe("chart", yahoo.URL.format(ticker="NVDA"), params={"range": "5d", "interval": "1d"}, browser=True),
                Probe(
                    "stooq fallback",
                    stooq.URL,
                    params={"s": "nvda.us", "i": "d"},
                    browser=True,
                    key_env=stooq.KEY_ENV,
                    key_param="apikey",
                ),
            ),
            need="any",
        ),
    }


def checks(only: Sequence[str] | None = None) -> list[Check]:
    """The checks of every registered provider (or those in `only`; an unknown name is a `UsageError`)."""
    from signaldesk.providers import registry

    known = registry()
    chosen = list(only) if only else list(known)
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise UsageError(f"unknown provider(s): {', '.join(unknown)}; known: {', '.join(known)}")
    table = _checks()
    return [
        table[name]() if name in table else Check(name, (), skip_reason="no probe defined for this provider")
        for name in chosen
    ]


# -- diagnosis -----------------------------------------------------------------------------------------
def diagnose(status: int, headers: httpx.Headers, body: str, *, key_sent: str = "") -> tuple[Verdict, str]:
    """An answer → (verdict, likely cause). Pure, so every case is testable without a network."""
    lowered = body[:BODY_HEAD].lower()
    cloudflare = "cf-ray" in headers or headers.get("server", "").lower() == "cloudflare"
    challenge = headers.get("cf-mitigated", "").lower() == "challenge" or any(m in lowered for m in CHALLENGE_MARKERS)
    if challenge:
        return "blocked", (
            f"Cloudflare challenge (HTTP {status}): a JavaScript bot check that browsers pass; "
            "usual from data-centre IPs — run from a residential IP or another host"
        )
    if 200 <= status < 300:
        return "ok", ""
    if status == 451:
        return "blocked", (
            "region block (HTTP 451): the service refuses this country or cloud region — run from an allowed region"
        )
    if status in (401, 403) and key_sent:
        return "failed", f"key refused (HTTP {status}): check {key_sent} (value or plan)"
    if status == 401:
        return "failed", "HTTP 401: the service wants a key"
    if status == 429:
        wait = headers.get("retry-after")
        return (
            "blocked",
            f"rate limited (HTTP 429{f', Retry-After {wait} s' if wait else ''}): this IP's quota is spent",
        )
    if status == 403:
        where = "Cloudflare" if cloudflare else "the service"
        return "blocked", f"forbidden by {where} (HTTP 403): an IP-range or client block"
    return "failed", f"HTTP {status}"


async def _send(client: httpx.AsyncClient, probe: Probe, key: str | None, *, browser: bool) -> httpx.Response:
    headers = dict(probe.headers)
    params = dict(probe.params)
    if key and probe.key_param:
        params[probe.key_param] = key
    elif key:
        headers[probe.key_header] = probe.key_prefix + key
    return await client.request(
        probe.method,
        probe.url,
        params=params,
        headers=headers,
        json=probe.json_body,
        extensions={BROWSER: True} if browser else None,
    )


async def run_probe(client: httpx.AsyncClient, provider: str, probe: Probe, timeout: float) -> ProbeResult:
    """Send one probe (and, when a plain request is refused, the same one as a browser, to tell a
    client filter from an IP block)."""
    host = httpx.URL(probe.url).host
    key = secret(probe.key_env) if probe.key_env else None
    key_state = "not needed" if not probe.key_env else ("present" if key else "missing")

    def unanswered(verdict: Verdict, cause: str) -> ProbeResult:
        return ProbeResult(provider, probe.label, host, verdict, False, key=key_state, cause=cause)

    if probe.key_required and key is None:
        return unanswered("skipped", f"no key: set {probe.key_env} to enable {provider}")
    started = time.perf_counter()
    try:
        response = await _send(client, probe, key, browser=probe.browser)
    except httpx.TimeoutException:
        return unanswered("failed", f"timed out after {timeout:g} s: a firewall, or the host drops this network")
    except httpx.TransportError as exc:
        return unanswered("failed", f"cannot connect ({type(exc).__name__}: {exc}): DNS, firewall or no route")
    latency = round((time.perf_counter() - started) * 1000, 1)
    verdict, cause = diagnose(
        response.status_code, response.headers, response.text, key_sent=probe.key_env if key else ""
    )
    if key:
        key_state = "refused" if cause.startswith("key refused") else ("accepted" if verdict == "ok" else "present")
    if verdict == "blocked" and response.status_code in (403, 429) and not probe.browser:
        try:
            as_browser = await _send(client, probe, key, browser=True)
        except httpx.HTTPError:
            as_browser = None
        if as_browser is not None and diagnose(as_browser.status_code, as_browser.headers, as_browser.text)[0] == "ok":
            cause = (
                f"client filtered (HTTP {response.status_code}): refuses signaldesk's HTTP client but answers a "
                "browser — the User-Agent/TLS filter needs the provider to use browser impersonation"
            )
    rate = {k.lower(): v for k, v in response.headers.items() if RATE_LIMIT_HEADER.match(k)}
    return ProbeResult(
        provider, probe.label, host, verdict, True, response.status_code, latency, rate, key_state, cause
    )


def _provider_verdict(check: Check, results: Sequence[ProbeResult]) -> Verdict:
    if check.skip_reason or not results:
        return "skipped"
    judged = [r.verdict for r in results if r.verdict != "skipped"]
    if not judged:
        return "skipped"
    good = [v == "ok" for v in judged]
    if all(good) or (check.need == "any" and any(good)):
        return "ok"
    return "blocked" if any(v == "blocked" for v in judged) else "failed"


async def run_doctor(
    only: Sequence[str] | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Report:
    """Probe every provider (or those in `only`) at once; `transport` replaces the live one (tests)."""
    chosen = checks(only)
    async with httpx.AsyncClient(
        transport=transport or BrowserRouting(),
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
    ) as client:
        per_check = await asyncio.gather(
            *(asyncio.gather(*(run_probe(client, c.provider, p, timeout) for p in c.probes)) for c in chosen)
        )
    results: list[ProbeResult] = []
    verdicts: dict[str, Verdict] = {}
    for check, found in zip(chosen, per_check, strict=True):
        if check.skip_reason:
            found = [ProbeResult(check.provider, "—", "—", "skipped", False, cause=check.skip_reason)]
        results.extend(found)
        verdicts[check.provider] = _provider_verdict(check, found)
    return Report(tuple(results), verdicts)


def table(report: Report) -> Any:
    """The report as a rich table, one row per probe, for the terminal."""
    from rich.table import Table

    colours = {"ok": "green", "blocked": "red", "failed": "red", "skipped": "dim"}
    out = Table(
        title=f"signaldesk doctor — exit {report.exit_code}"
        f" ({'full report possible' if report.exit_code == EXIT_FULL else 'sources will be missing'})"
    )
    for column in ("provider", "probe", "reachable", "status", "latency", "rate-limit headers", "key", "verdict"):
        out.add_column(column, overflow="fold")
    for r in report.results:
        verdict = f"[{colours[r.verdict]}]{r.verdict}[/]" + (f": {r.cause}" if r.cause else "")
        out.add_row(
            r.provider,
            r.label,
            "yes" if r.reachable else "no",
            "—" if r.status is None else str(r.status),
            "—" if r.latency_ms is None else f"{r.latency_ms:.0f} ms",
            ", ".join(f"{k}: {v}" for k, v in r.rate_limit.items()) or "—",
            r.key,
            verdict,
        )
    return out
