"""A bad config.toml is found before any work: one line naming the file, the key and its line, exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signaldesk.cli import app
from signaldesk.config import Config, line_of, validate
from signaldesk.errors import UsageError

GOOD = """
[alerts]
score_change = 12
deadline_s = 30
channels = [
  { name = "ops", kind = "webhook", url = "http://127.0.0.1:9000/hook" },
  { name = "team", kind = "slack", url_env = "SIGNALDESK_SLACK_WEBHOOK_URL" },
  { name = "me", kind = "telegram", token_env = "TG_TOKEN", chat_id = 12345 },
]

[news]
feeds = ["https://example.com/rss", { url = "https://other.example/feed", name = "Other" }]

[equities]
ai = ["NVDA", "MSFT"]
range = "2y"

[miners]
efficiency_j_per_th = 18

[report]
byline = "Our desk"
"""


def test_a_full_good_file_validates(tmp_path: Path) -> None:
    import tomllib

    config = validate(tomllib.loads(GOOD), tmp_path / "config.toml", GOOD)
    assert config.alerts.channels[2].chat_id == 12345
    assert config.miners.efficiency_j_per_th == 18.0
    assert config.news.feeds is not None and len(config.news.feeds) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[alerts]\nchannels = "x"\n', ":2: alerts.channels: Input should be a valid list, got 'x'"),
        (
            '[alerts]\nchannels = [\n  { name = "a", kind = "pager" },\n]\n',
            ":3: alerts.channels.0.kind: Input should be 'webhook', 'slack' or 'telegram', got 'pager'",
        ),
        ('[alerts]\nscore_change = "abc"\n', ":2: alerts.score_change: Input should be a valid number, got 'abc'"),
        (
            '[news]\nfeeds = "http://example.com/rss"\n',
            ":2: news.feeds: Input should be a valid list, got 'http://example.com/rss'",
        ),
        (
            "\n[miners]\nefficiency_j_per_th = -3\n",
            ":3: miners.efficiency_j_per_th: Input should be greater than 0, got -3",
        ),
        ('[report]\nbyline = "x"\nbylin = "typo"\n', ":3: report.bylin: unknown key (a typo?)"),
        ("[sec_edgar]\ncontact = 7\n", ":2: sec_edgar.contact: Input should be a valid string, got 7"),
    ],
)
def test_each_mistake_is_one_line_with_file_key_and_line(tmp_path: Path, text: str, expected: str) -> None:
    import tomllib

    path = tmp_path / "config.toml"
    with pytest.raises(UsageError) as caught:
        validate(tomllib.loads(text), path, text)
    assert str(caught.value) == f"{path}{expected}"


def test_line_of_finds_the_deepest_key_inside_a_section() -> None:
    text = "[news]\nfeeds = []\n\n[alerts]\nscore_change = 1\nchannels = [\n  { kind = 'x' },\n]\n"
    assert line_of(text, ["alerts", "channels", "kind"]) == 7
    assert line_of(text, ["alerts", "score_change"]) == 5
    assert line_of(text, ["alerts"]) == 4
    assert line_of(text, ["absent", "x"]) is None


def test_every_section_the_code_reads_is_in_the_model() -> None:
    """A module reading `settings.section("x")` for an x the model does not know would make every
    user file with that section invalid: the model and the code must name the same sections."""
    import re

    root = Path(__file__).resolve().parent.parent / "signaldesk"
    read = set()
    for path in root.rglob("*.py"):
        read |= set(re.findall(r"section\(\s*[\"']([a-z_]+)[\"']\s*\)", path.read_text(encoding="utf-8")))
    read |= {"sec_edgar"}  # read through the provider's NAME constant
    assert read <= set(Config.model_fields), read - set(Config.model_fields)


@pytest.fixture
def cli_with_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    from signaldesk import settings

    def run(text: str, *args: str) -> object:
        path = tmp_path / "config.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("SIGNALDESK_CONFIG", str(path))
        settings.reload()
        return CliRunner().invoke(app, [*args, "--db", str(tmp_path / "s.duckdb")])

    yield run
    settings.reload()


@pytest.mark.parametrize("command", [["collect"], ["daily"], ["signals", "--as-of", "2026-02-25"]])
def test_the_cli_checks_the_file_before_any_work(cli_with_config, tmp_path: Path, command: list[str]) -> None:
    result = cli_with_config('[alerts]\nchannels = "x"\n', *command)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"signaldesk: error: {tmp_path / 'config.toml'}:2: alerts.channels: Input should be a valid list, got 'x'"
    )
    assert not (tmp_path / "s.duckdb").exists()  # nothing collected, no store created


def test_broken_toml_is_a_usage_error_naming_the_file(cli_with_config, tmp_path: Path) -> None:
    result = cli_with_config("[alerts\nx = 1\n", "collect")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"signaldesk: error: {tmp_path / 'config.toml'}: not valid TOML: ")
