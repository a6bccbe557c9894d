from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from signaldesk.schedule import DEFAULT_AT, DEFAULT_TZ, MARKER, plan_schedule


def test_systemd_timer_keeps_the_time_zone(tmp_path):
    plan = plan_schedule(
        at="08:05", tz="Asia/Shanghai", db=tmp_path / "s.duckdb", site=tmp_path / "blog", prefer="systemd"
    )
    timer = next(content for path, content in plan.files.items() if path.name.endswith(".timer"))
    service = next(content for path, content in plan.files.items() if path.name.endswith(".service"))
    assert "OnCalendar=*-*-* 08:05:00 Asia/Shanghai" in timer and "Persistent=true" in timer
    assert "-m signaldesk daily --db" in service and str(tmp_path / "blog") in service
    assert "daily.log" in service


def test_cron_converts_the_wall_time_to_the_machine_zone(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    now = datetime(2026, 2, 25, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    plan = plan_schedule(at="08:05", tz="Asia/Shanghai", prefer="cron", now=now)
    minute, hour, *_ = plan.cron_line.split()
    assert (hour, minute) == ("0", "5")  # 08:05 in Shanghai (UTC+8) is 00:05 UTC
    assert plan.cron_line.endswith(MARKER) and ">>" in plan.cron_line


@pytest.mark.parametrize("bad", ["8", "24:00", "07:60", "noon"])
def test_bad_times_are_usage_errors(bad):
    with pytest.raises(ValueError, match="HH:MM"):
        plan_schedule(at=bad, prefer="cron")


def test_unknown_zone_is_a_usage_error():
    with pytest.raises(ValueError, match="time zone"):
        plan_schedule(at="08:00", tz="Mars/Olympus", prefer="cron")


def test_the_default_run_is_after_every_source_closed_the_day(monkeypatch):
    """00:05 UTC is before CoinGecko's 00:10 close, Coin Metrics' lagged day and Farside's late US issuers."""
    assert (DEFAULT_AT, DEFAULT_TZ) == ("06:00", "UTC")
    timer = next(c for p, c in plan_schedule(prefer="systemd").files.items() if p.name.endswith(".timer"))
    assert "OnCalendar=*-*-* 06:00:00 UTC" in timer
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    import time

    time.tzset()
    try:
        plan = plan_schedule(prefer="cron", now=datetime(2026, 2, 25, 12, 0, tzinfo=ZoneInfo("UTC")))
    finally:
        monkeypatch.undo()
        time.tzset()
    minute, hour, *_ = plan.cron_line.split()
    assert (hour, minute) == ("14", "0")  # 06:00 UTC on a machine in Shanghai (UTC+8)


def test_a_zone_without_a_time_is_a_usage_error():
    with pytest.raises(ValueError, match="--tz needs --at"):
        plan_schedule(tz="Asia/Shanghai", prefer="cron")
