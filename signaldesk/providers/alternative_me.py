"""alternative.me Crypto Fear & Greed Index, full daily history.

Endpoint: `GET https://api.alternative.me/fng/?limit=0` (docs: https://alternative.me/crypto/fear-and-greed-index/#api).
Keyless, about 60 requests/minute. Quirks: values and timestamps are *strings*; the body is
pretty-printed with tabs; errors arrive as HTTP 200 with `metadata.error` set; newest first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from signaldesk.clock import epoch_s_to_utc, today_utc, utc_day
from signaldesk.errors import MalformedError
from signaldesk.http import HttpClient
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider

NAME = "alternative_me"
URL = "https://api.alternative.me/fng/"


def parse_fng(payload: Any) -> list[Observation]:
    """`/fng/` body → one `fear_greed` observation per UTC day, oldest first."""
    body = as_mapping(payload, field="body", provider=NAME)
    error = (body.get("metadata") or {}).get("error")
    if error:
        raise MalformedError(f"alternative.me reported an error: {error}", provider=NAME)
    rows = as_list(get_path(body, ["data"], provider=NAME), field="data", provider=NAME)
    observations = []
    for i, row in enumerate(rows):
        value = as_float(get_path(row, ["value"], provider=NAME), field=f"data[{i}].value", provider=NAME)
        ts = epoch_s_to_utc(as_float(get_path(row, ["timestamp"], provider=NAME), field=f"data[{i}].timestamp", provider=NAME))
        observations.append(Observation("fear_greed", "", ts, value, NAME))
    observations.sort(key=lambda o: o.ts)
    return check_observations(observations, provider=NAME)


class AlternativeMe(Provider):
    """Fear & Greed: the whole history on the first run, then only the days since the last one."""

    name = NAME
    metrics = ("fear_greed",)
    capabilities = Capabilities(hosts={"api.alternative.me": 1.0}, history="full (since 2018-02-01)",
                                docs="https://alternative.me/crypto/fear-and-greed-index/#api")

    async def fetch(self, client: HttpClient, since: date | None) -> list[Observation]:
        limit = 0 if since is None else max(2, (today_utc() - since).days + 2)
        payload = await client.get_json(URL, params={"limit": limit}, provider=NAME)
        observations = parse_fng(payload)
        return [o for o in observations if since is None or utc_day(o.ts) >= since]
