"""The optional LLM narrative against a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from signaldesk.report import narrative
from signaldesk.report.render import front_matter, page_name, write_report
from signaldesk.report.sections import build_model
from signaldesk.report.signals_json import build_signals
from tests.report import sample

FAITHFUL = {
    "lead": "AI与Crypto明显分化：AI篮子30日收益+4.20%，BTC同期-23.60%；ETF已连续6周净流出，2月23日单日流出$203.8M。"
    "恐惧与贪婪指数跌至8/100，综合评分42/100。",
    "summary": "AI侧：五大云厂商TTM资本开支$405.0B，同比+67.0%。Crypto侧：BTC报$62,900，"
    "支撑区$60,000–63,000，阻力区$68,000–70,000。",
    "crypto": "资金费率转负（-0.0020% / 8h），Coinbase溢价-0.12%，机构买盘疲软。",
}
TITLES = ["Anthropic发布面向企业智能体的Claude Opus 4.6", "AMD与Meta签署6GW芯片供应协议", "OpenAI推出Codex编程智能体"]
"""The sample's AI news titles translated, newest first (the order of report.ai.news)."""
HALLUCINATED = dict(FAITHFUL, summary="BTC有望在本周反弹至$75,000，ETF将转为净流入$500.0M。")
BAD_LEVEL = dict(FAITHFUL, summary="关键支撑位在$62,900附近。")


def _chat(parts: dict[str, str]) -> Any:
    def handler(request: Request) -> Response:
        body = request.get_json()
        assert body["model"] == "fake-model" and body["temperature"] == 0
        assert body["messages"][1]["content"].startswith("<signals-json>\n{")
        assert request.headers.get("Authorization") == "Bearer sk-test-secret"
        answer = {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": "```json\n" + json.dumps(parts, ensure_ascii=False) + "\n```",
                    }
                }
            ]
        }
        return Response(json.dumps(answer), content_type="application/json")

    return handler


@pytest.fixture
def llm_env(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    monkeypatch.setenv("SIGNALDESK_LLM_BASE_URL", httpserver.url_for("/v1"))
    monkeypatch.setenv("SIGNALDESK_LLM_MODEL", "fake-model")
    monkeypatch.setenv("SIGNALDESK_LLM_API_KEY", "sk-test-secret")
    return httpserver


def _signals() -> dict[str, Any]:
    return build_signals(sample.assessment(), build_model(sample.assessment(), sample.snapshot()))


def test_faithful_answer_is_used(llm_env: HTTPServer, tmp_path: Path) -> None:
    llm_env.expect_request("/v1/chat/completions", method="POST").respond_with_handler(_chat(FAITHFUL))
    out = write_report(
        sample.assessment(),
        sample.snapshot(),
        out_dir=tmp_path,
        langs=("zh-CN", "en"),
        demo=True,
        charts=False,
        strict=True,
    )
    zh = (out / page_name("zh-CN")).read_text(encoding="utf-8")
    assert FAITHFUL["lead"] in zh and "AI与Crypto明显分化" in zh
    assert "Crypto侧：BTC报$62,900，支撑区$60,000–63,000，阻力区$68,000–70,000。" in zh
    assert "资金费率转负（-0.0020% / 8h）" in zh
    assert "引言、总结与点评由语言模型（fake-model）根据signals.json撰写，所有数字均已核对。" in zh
    signals = json.loads((out / "signals.json").read_text(encoding="utf-8"))
    assert signals["narrative"] == {"source": "llm", "model": "fake-model", "reason": ""}
    assert len(llm_env.log) == 2  # one request per language
    for path in out.iterdir():
        assert "sk-test-secret" not in path.read_text(encoding="utf-8")


def test_news_titles_are_translated_and_checked(llm_env: HTTPServer, tmp_path: Path) -> None:
    llm_env.expect_request("/v1/chat/completions", method="POST").respond_with_handler(
        _chat({**FAITHFUL, "news_titles": TITLES})
    )
    out = write_report(
        sample.assessment(), sample.snapshot(), out_dir=tmp_path, langs=("zh-CN",), demo=True, charts=False, strict=True
    )
    zh = (out / page_name("zh-CN")).read_text(encoding="utf-8")
    assert "[Anthropic发布面向企业智能体的Claude Opus 4.6](https://www.anthropic.com/news/claude-opus-4-6)" in zh
    assert "Anthropic releases Claude Opus 4.6" not in zh
    signals = json.loads((out / "signals.json").read_text(encoding="utf-8"))
    assert signals["report"]["ai"]["news"][1]["title_translated"] == {"zh-CN": TITLES[1]}


async def test_a_translated_title_with_an_invented_number_is_rejected(httpserver: HTTPServer) -> None:
    bad = [TITLES[0], "AMD与Meta签署价值$90.0B的芯片协议", TITLES[2]]
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        {"choices": [{"message": {"content": json.dumps({**FAITHFUL, "news_titles": bad}, ensure_ascii=False)}}]}
    )
    result = await narrative.generate(_signals(), ("zh-CN",), narrative.LLMConfig(httpserver.url_for("/v1"), "m"))
    assert result.info.source == "template" and result.info.reason == "zh-CN news_titles: 90.0B not in signals.json"
    assert narrative.check_titles(TITLES[:2], _signals()) == "2 translated titles for 3 news items"


def test_hallucinated_number_is_rejected_with_the_reason(llm_env: HTTPServer, tmp_path: Path) -> None:
    llm_env.expect_request("/v1/chat/completions", method="POST").respond_with_handler(_chat(HALLUCINATED))
    out = write_report(
        sample.assessment(), sample.snapshot(), out_dir=tmp_path, langs=("zh-CN",), demo=True, charts=False, strict=True
    )
    zh = (out / page_name("zh-CN")).read_text(encoding="utf-8")
    assert "75,000" not in zh and "$500.0M" not in zh
    assert "2026年2月25日，市场信号呈现出一个引人注目的现象" in zh  # the template's lead
    signals = json.loads((out / "signals.json").read_text(encoding="utf-8"))
    assert signals["narrative"]["source"] == "template"
    assert signals["narrative"]["reason"] == "zh-CN summary: 75000, 500.0M not in signals.json"
    # The page says the text was replaced, in words; the raw reason is for the log and signals.json only.
    assert "语言模型的文字未通过数字核对，已改用模板文字（原因见日志与signals.json）。" in zh
    assert "not in signals.json" not in zh
    assert front_matter(zh)["title"].endswith("AI与Crypto走势明显分化")


def test_a_price_called_support_must_be_a_level() -> None:
    signals = _signals()
    assert narrative.check_text(FAITHFUL["summary"], signals) == ""
    assert narrative.check_text(BAD_LEVEL["summary"], signals) == (
        "level $62900 is not a support or resistance level in signals.json"
    )


async def test_generate_accepts_all_languages_or_none(httpserver: HTTPServer) -> None:
    answers = iter([FAITHFUL, HALLUCINATED])
    httpserver.expect_request("/v1/chat/completions").respond_with_handler(
        lambda request: Response(
            json.dumps({"choices": [{"message": {"content": json.dumps(next(answers))}}]}),
            content_type="application/json",
        )
    )
    config = narrative.LLMConfig(httpserver.url_for("/v1"), "m")
    result = await narrative.generate(_signals(), ("zh-CN", "en"), config)
    assert result.texts == {} and result.info.source == "template"
    assert result.info.reason.startswith("en summary: 75000")


async def test_server_errors_and_garbage_fall_back(httpserver: HTTPServer) -> None:
    config = narrative.LLMConfig(httpserver.url_for("/v1"), "m")
    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        "<html>busy</html>", status=200, content_type="text/html"
    )
    result = await narrative.generate(_signals(), ("en",), config)
    assert result.info.source == "template" and result.info.reason.startswith("LLM request failed")
    httpserver.clear()
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        {"choices": [{"message": {"content": "no json"}}]}
    )
    result = await narrative.generate(_signals(), ("en",), config)
    assert result.info.reason == "LLM request failed: the answer holds no JSON object"
    httpserver.clear()
    httpserver.expect_request("/v1/chat/completions").respond_with_json({"error": "rate"}, status=403)
    result = await narrative.generate(_signals(), ("en",), config)
    assert "HTTP 403" in result.info.reason


def test_not_configured_means_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGNALDESK_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("SIGNALDESK_LLM_MODEL", raising=False)
    assert narrative.config_from_env() is None
    assert narrative.generate_from_env(_signals(), ("en",)) is None


def test_parse_answer_requires_lead_and_summary() -> None:
    assert narrative.parse_answer('{"lead": "a", "summary": "b", "other": "x"}') == {"lead": "a", "summary": "b"}
    with pytest.raises(ValueError, match="lacks summary"):
        narrative.parse_answer('{"lead": "a"}')


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("$60K支撑 — 若放量跌破", True),
        ("resistance at $68,000", True),
        ("$66,000 resistance", False),
        ("支撑位$58,000", False),
        ("BTC报$62,900，支撑区$60,000", True),
    ],
)
def test_level_claims_in_both_orders(text: str, ok: bool) -> None:
    signals = _signals()
    signals["report"]["extra_prices"] = [66_000.0, 58_000.0]  # known numbers, but not levels
    assert (narrative.check_text(text, signals) == "") is ok
