import json
from datetime import UTC, date, datetime

import httpx
import pytest

from signaldesk.errors import ImplausibleError, MalformedError
from signaldesk.http import HttpClient
from signaldesk.providers.alternative_me import URL, AlternativeMe, parse_fng
from tests.conftest import shared_file


def test_parse_own_fixture_oldest_first(fixtures):
    payload = json.loads((fixtures / "alternative_me" / "fng__two_days.json").read_text())
    obs = parse_fng(payload)
    assert [o.value for o in obs] == [11.0, 8.0]
    assert obs[-1].ts == datetime(2026, 2, 25, tzinfo=UTC)
    assert {o.metric for o in obs} == {"fear_greed"}


def test_parse_real_sample():
    payload = json.loads(shared_file("api-samples", "alternative-me", "fng_limit2.json").read_text())
    obs = parse_fng(payload)
    assert [o.value for o in obs] == [71.0, 71.0]
    assert obs[1].ts == datetime.fromtimestamp(1790294400, tz=UTC)


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"name": "x", "data": [], "metadata": {"error": None}}, MalformedError),
        ({"name": "x", "data": [{"value": "8"}], "metadata": {"error": None}}, MalformedError),
        ({"name": "x", "data": [{"val": "8", "timestamp": "1771977600"}], "metadata": {"error": None}}, MalformedError),
        ({"data": None, "metadata": {"error": "Limit exceeded"}}, MalformedError),
        (
            {"name": "x", "data": [{"value": "150", "timestamp": "1771977600"}], "metadata": {"error": None}},
            ImplausibleError,
        ),
        (
            {"name": "x", "data": [{"value": "abc", "timestamp": "1771977600"}], "metadata": {"error": None}},
            MalformedError,
        ),
    ],
)
def test_nonsense_raises_typed_error(payload, error):
    with pytest.raises(error):
        parse_fng(payload)


async def test_fetch_since_asks_for_recent_days_only(fixtures):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, content=(fixtures / "alternative_me" / "fng__two_days.json").read_bytes())

    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        obs = await AlternativeMe().fetch(client, since=date(2026, 2, 25))
    assert seen[0].host == httpx.URL(URL).host
    assert int(seen[0].params["limit"]) >= 2
    assert [o.value for o in obs] == [8.0]
