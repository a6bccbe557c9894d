"""The user configuration file, typed: every section and key signaldesk reads, checked before a run.

`config.toml` used to be read piecemeal by each module, so a typo surfaced only where it was read —
after a whole collect, or after the report for `[alerts]` — as `AttributeError: 'str' object has no
attribute 'get'`. This model (pydantic, unknown keys forbidden, no type coercion) is checked first by
`settings.preflight()`: a bad file costs one line naming the file, the key and its line, exit 2.
Keys left out keep the built-in defaults of the module that reads them (named in each description);
secrets are never keys here, only the *names* of the environment variables that hold them.
The configuration reference (`docs/configuration.md`) is generated from this module.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from signaldesk.errors import UsageError

HttpUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
PositiveNumber = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Section(BaseModel):
    """A `[table]` of config.toml: exact types, no unknown keys (a typo is an error, not a silent default)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Channel(Section):
    name: str | None = Field(None, description="Name used in logs and de-duplication (default: kind-index).")
    kind: Literal["webhook", "slack", "telegram"] = Field("webhook", description="Where alerts go.")
    url: HttpUrl | None = Field(None, description="A plain JSON webhook's URL (not secret).")
    url_env: EnvName | None = Field(None, description="Environment variable holding a secret webhook URL (Slack).")
    token_env: EnvName | None = Field(None, description="Environment variable holding a Telegram bot token.")
    chat_id: str | int | None = Field(None, description="Telegram chat id.")
    api_base: HttpUrl | None = Field(None, description="Telegram API base (tests point it at loopback).")


class Alerts(Section):
    score_change: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = Field(
        None, description="Alert when the composite score moves at least this much (default 10)."
    )
    deadline_s: PositiveNumber | None = Field(
        None, description="Bound on the whole alerts stage, seconds (default 60)."
    )
    channels: list[Channel] = Field([], description="Destinations; none means no alerts are sent.")


class Feed(Section):
    url: HttpUrl = Field(description="RSS or Atom feed URL.")
    name: str | None = Field(None, description="Outlet name shown in the report (default: the host).")


class News(Section):
    feeds: list[HttpUrl | Feed] | None = Field(None, description="Feeds to read instead of the built-in list.")


class EthGas(Section):
    endpoints: list[HttpUrl] | None = Field(None, description="Ethereum JSON-RPC endpoints, tried in order.")


class ChainSpelling(Section):
    tvl: str | None = Field(None, description="The chain's name on DeFiLlama's TVL endpoint.")
    stablecoins: str | None = Field(None, description="… on the stablecoins endpoint.")
    dex: str | None = Field(None, description="… on the DEX-volume endpoint.")


class DefiLlama(Section):
    chains: list[str] | None = Field(
        None, description="Chains to follow (default: ethereum, solana, bsc, base, arbitrum, tron)."
    )
    names: dict[str, ChainSpelling] = Field({}, description="Per-chain endpoint spellings, for chains not built in.")


class CoinGecko(Section):
    assets: dict[str, str] | None = Field(None, description="Symbol → CoinGecko coin id (default btc, eth, sol).")
    altseason: bool | None = Field(None, description="Compute the altcoin season index (default true).")
    altseason_top: Annotated[int, Field(ge=1, le=250)] | None = Field(
        None, description="How many top coins the altseason index compares with BTC (default 50)."
    )


class Equities(Section):
    ai: list[str] | None = Field(None, description="AI basket tickers.")
    miners: list[str] | None = Field(None, description="Listed bitcoin-miner tickers.")
    etfs: list[str] | None = Field(None, description="AI/semiconductor ETF tickers.")
    range: Literal["5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "max"] | None = Field(
        None, description="How much history the first run asks Yahoo for."
    )


class Miners(Section):
    efficiency_j_per_th: PositiveNumber | None = Field(None, description="Fleet efficiency, J/TH.")
    hosting_usd_per_kwh: PositiveNumber | None = Field(None, description="AI hosting price, USD/kWh.")


class Signals(Section):
    rulebook: str | None = Field(None, description="A rulebook TOML merged onto the shipped one.")


class SecEdgar(Section):
    contact: str | None = Field(
        None, description="Your name and e-mail for SEC EDGAR's User-Agent rule (or SIGNALDESK_SEC_CONTACT)."
    )


class Report(Section):
    byline: str | None = Field(None, description="The reports' author line (default signaldesk).")


class Config(Section):
    """The whole file. Each section belongs to the module that reads it."""

    alerts: Alerts = Alerts()
    news: News = News()
    ethgas: EthGas = EthGas()
    defillama: DefiLlama = DefiLlama()
    coingecko: CoinGecko = CoinGecko()
    equities: Equities = Equities()
    miners: Miners = Miners()
    signals: Signals = Signals()
    sec_edgar: SecEdgar = SecEdgar()
    report: Report = Report()


def validate(raw: dict[str, Any], path: Path, text: str = "") -> Config:
    """The parsed file as a `Config`, or UsageError naming the file, the key, its line and the problem."""
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        line = line_of(text, [str(part) for part in error["loc"] if not isinstance(part, int)])
        where = f"{path}:{line}" if line else str(path)
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise UsageError(f"{where}: {key}: {_plain(error)}{more}") from None


def _plain(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (a typo?)"
    return f"{error['msg']}, got {error['input']!r}" if "input" in error else error["msg"]


def line_of(text: str, keys: list[str]) -> int | None:
    """The line (1-based) where the dotted key path is set: its `[table]` header, then the key in it."""
    if not keys:
        return None
    section, rest = keys[0], keys[1:]
    header = re.compile(rf"^\s*\[\[?\s*{re.escape(section)}(\.[\w.]+)?\s*\]\]?\s*$")
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return None
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if re.match(r"^\s*\[", lines[i]) and not lines[i].strip().startswith(f"[[{section}.")
        ),
        len(lines),
    )
    for key in reversed(rest):  # the deepest key first: `kind` inside `channels = [{…}]`
        pattern = re.compile(rf"(^|[\s{{,]){re.escape(key)}\s*=")
        found = next((i for i in range(start + 1, end) if pattern.search(lines[i])), None)
        if found is not None:
            return found + 1
    return start + 1
