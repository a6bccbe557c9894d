"""Demo recording for alternative.me: the full Fear & Greed history, newest first, tab-indented."""

from __future__ import annotations

from pathlib import Path

from signaldesk.providers.alternative_me import URL
from tools.demo.build import demo_request, write_json
from tools.demo.scenario import Scenario


def _label(value: int) -> str:
    if value < 25:
        return "Extreme Fear"
    if value < 47:
        return "Fear"
    if value < 55:
        return "Neutral"
    if value < 76:
        return "Greed"
    return "Extreme Greed"


def record(directory: Path, scenario: Scenario) -> None:
    series = scenario.fear_greed
    rows = []
    for i, (day, value) in enumerate(sorted(series.items(), reverse=True)):
        row = {
            "value": str(int(value)),
            "value_classification": _label(int(value)),
            "timestamp": str(int(day.timestamp())),
        }
        if i == 0:
            row["time_until_update"] = "3600"
        rows.append(row)
    payload = {"name": "Fear and Greed Index", "data": rows, "metadata": {"error": None}}
    write_json(directory, demo_request("GET", URL, params={"limit": 0}), payload, indent="\t")
