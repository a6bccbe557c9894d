"""The daily run, scheduled: a systemd user timer where systemd runs, else a crontab line.

By default the run starts at `DEFAULT_AT` in `DEFAULT_TZ` (06:00 UTC): a daily report is only as
good as the day it reads, and at 00:05 UTC several sources have not closed the day yet (see
`DEFAULT_AT`). systemd's `OnCalendar` understands time zones (`06:00 UTC`) and catches up after
sleep (`Persistent=true`); cron has no portable time-zone support, so for cron the wall time is
converted to the machine's zone for today and the entry says so (it drifts by an hour across DST
changes — another reason to prefer the timer). Output goes to a log file next to the store.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from signaldesk.errors import UsageError
from signaldesk.settings import data_dir, default_db

DEFAULT_AT = "06:00"
DEFAULT_TZ = "UTC"
"""When the UTC day just ended is final everywhere the run reads: CoinGecko's daily close appears
at 00:10 UTC, Coin Metrics publishes a day with about a day's lag (in the first hours of the next
UTC day), and Farside's US day (ETF flows) fills in through the US evening, after 21:00 UTC, with
late issuers hours later; 06:00 UTC (14:00 in Shanghai, 01:00 in New York) leaves all of them time,
and the providers still re-read their last days to pick up revisions."""
MARKER = "# signaldesk-daily"
UNIT = "signaldesk-daily"


@dataclass(frozen=True, slots=True)
class SchedulePlan:
    """What would be installed: the kind, the text to show, and the files (path → content)."""

    kind: str
    text: str
    command: str
    files: dict[Path, str] = field(default_factory=dict)
    cron_line: str = ""


def _hhmm(at: str) -> tuple[int, int]:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", at.strip())
    if not match:
        raise UsageError(f"--at wants HH:MM (24-hour), got {at!r}")
    return int(match.group(1)), int(match.group(2))


def _zone(tz: str | None) -> ZoneInfo | None:
    if tz is None:
        return None
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {tz!r} (want an IANA name such as Asia/Shanghai)") from None


def daily_command(*, db: Path | None, out: Path | None, site: Path | None, log: Path) -> str:
    """The shell command the scheduler runs: this interpreter's signaldesk, output appended to `log`."""
    parts = [sys.executable, "-m", "signaldesk", "daily", "--db", str(db or default_db())]
    if out is not None:
        parts += ["--out", str(out)]
    if site is not None:
        parts += ["--site", str(site)]
    return f"{shlex.join(parts)} >> {shlex.quote(str(log))} 2>&1"


def has_systemd_user() -> bool:
    """True when a systemd user manager can take timers here."""
    return shutil.which("systemctl") is not None and Path("/run/systemd/system").exists()


def plan_schedule(
    *,
    at: str | None = None,
    tz: str | None = None,
    db: Path | None = None,
    out: Path | None = None,
    site: Path | None = None,
    prefer: str | None = None,
    now: datetime | None = None,
) -> SchedulePlan:
    """Build the entry for a daily run at `at` (HH:MM) in `tz` (default: the machine's zone).

    Without `at`, the run is at `DEFAULT_AT` `DEFAULT_TZ`; a `tz` alone is refused rather than guessed at.
    """
    if at is None:
        if tz is not None:
            raise ValueError(f"--tz needs --at (without --at the run is at {DEFAULT_AT} {DEFAULT_TZ})")
        at, tz = DEFAULT_AT, DEFAULT_TZ
    hour, minute = _hhmm(at)
    zone = _zone(tz)
    log = data_dir() / "logs" / "daily.log"
    command = daily_command(db=db, out=out, site=site, log=log)
    kind = prefer or ("systemd" if has_systemd_user() else "cron")
    if kind == "systemd":
        unit_dir = Path.home() / ".config" / "systemd" / "user"
        calendar = f"*-*-* {hour:02d}:{minute:02d}:00" + (f" {tz}" if zone else "")
        service = (
            "[Unit]\nDescription=signaldesk daily market-signal report\nWants=network-online.target\n"
            "After=network-online.target\n\n[Service]\nType=oneshot\n"
            f"ExecStart=/bin/sh -c {shlex.quote(command)}\n"
        )
        timer = (
            "[Unit]\nDescription=Run signaldesk daily\n\n[Timer]\n"
            f"OnCalendar={calendar}\nPersistent=true\nRandomizedDelaySec=60\n\n[Install]\nWantedBy=timers.target\n"
        )
        files = {unit_dir / f"{UNIT}.service": service, unit_dir / f"{UNIT}.timer": timer}
        text = "".join(f"# {path}\n{content}\n" for path, content in files.items())
        return SchedulePlan("systemd", text, command, files)
    if kind != "cron":
        raise UsageError(f"unknown scheduler {kind!r}")
    local_hour, local_minute, note = hour, minute, ""
    if zone is not None:
        moment = (now or datetime.now(zone)).astimezone(zone).replace(hour=hour, minute=minute, second=0, microsecond=0)
        local = moment.astimezone()
        local_hour, local_minute = local.hour, local.minute
        note = f" ({at} {tz} = {local:%H:%M %Z} here today; cron does not follow DST changes of {tz})"
    line = f"{local_minute} {local_hour} * * * {command} {MARKER}"
    return SchedulePlan("cron", f"# crontab entry{note}\n{line}\n", command, cron_line=line)


def install_schedule(plan: SchedulePlan) -> str:
    """Write the plan: unit files + `systemctl --user enable --now`, or replace our crontab line."""
    if plan.kind == "systemd":
        for path, content in plan.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        subprocess.run(["systemctl", "--user", "daemon-reload"], check=True)
        subprocess.run(["systemctl", "--user", "enable", "--now", f"{UNIT}.timer"], check=True)
        return f"installed and started {UNIT}.timer (systemctl --user list-timers to check)"
    if shutil.which("crontab") is None:
        raise ValueError("neither systemd nor crontab is available: add the printed entry to your scheduler by hand")
    current = subprocess.run(["crontab", "-l"], check=False, capture_output=True, text=True)  # none yet: exit 1
    lines = [ln for ln in (current.stdout.splitlines() if current.returncode == 0 else []) if MARKER not in ln]
    lines.append(plan.cron_line)
    subprocess.run(["crontab", "-"], input="\n".join(lines) + "\n", text=True, check=True)
    (data_dir() / "logs").mkdir(parents=True, exist_ok=True)
    return "installed the crontab entry (crontab -l to check)"
