"""alternative.me Crypto Fear & Greed Index, full daily history.

Endpoint: `GET https://api.alternative.me/fng/?limit=0` (docs: https://alternative.me/crypto/fear-and-greed-index/#api).
Keyless, about 60 requests/minute. Quirks: values and timestamps are *strings*; the body is
pretty-printed with tabs; errors arrive as HTTP 200 with `metadata.error` set; newest first.
"""

from __future__ import annotations

from typing import Any

from signaldesk.clock import epoch_s_to_utc
from signaldesk.errors import MalformedError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window

NAME = "alternative_me"
URL = "https://api.alternative.me/fng/"


def parse_fng(payload: Any) -> list[Observation]:
    """`/fng/` body → one `fear_greed` observation per UTC day, oldest first."""
    body = as_mapping(payload, field="body")
    error = (body.get("metadata") or {}).get("error")
    if error:
        raise MalformedError(f"alternative.me reported an error: {error}")
    rows = as_list(get_path(body, ["data"]), field="data")
    observations = []
    for i, row in enumerate(rows):
        value = as_float(get_path(row, ["value"]), field=f"data[{i}].value")
        ts = epoch_s_to_utc(as_float(get_path(row, ["timestamp"]), field=f"data[{i}].timestamp"))
        observations.append(Observation("fear_greed", "", ts, value, NAME))
    observations.sort(key=lambda o: o.ts)
    return check_observations(observations)


class AlternativeMe(Provider):
    """Fear & Greed: the whole history on the first run, then only the days since the last one."""

    name = NAME
    metrics = ("fear_greed",)
    capabilities = Capabilities(
        hosts={"api.alternative.me": 1.0},
        history="full (since 2018-02-01)",
        docs="https://alternative.me/crypto/fear-and-greed-index/#api",
    )

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        limit = 0 if window.days is None else max(2, window.days + 2)
        return parse_fng(await http.get_json(URL, params={"limit": limit}))
