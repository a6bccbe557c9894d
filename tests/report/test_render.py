"""The report bundle: golden Markdown in three languages, the numbers rule, escaping, gaps in words.

The golden files are the rendering of the hand-made day in `tests/report/sample.py`. Regenerate
them only deliberately, after reading the diff: `SIGNALDESK_REGEN_GOLDEN=1 pytest tests/report`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from signaldesk.errors import ReportError
from signaldesk.langs import LANGS
from signaldesk.models import Assessment, Snapshot
from signaldesk.report import render
from signaldesk.report.render import (
    check_numbers,
    front_matter,
    md_escape,
    page_name,
    safe_url,
    write_report,
)
from signaldesk.signals.engine import assess
from tests.report import sample

GOLDEN = Path(__file__).resolve().parent / "golden"
SECTION_TITLES = {  # the indicator table is an appendix after the sources, above the page footer
    "zh-CN": [
        "引言",
        "AI行业",
        "加密市场",
        "链上结构",
        "期权结构",
        "全链流动性快照",
        "市场阶段判断",
        "操作建议",
        "总结",
        "未来24小时最需盯的信号",
        "数据来源与新鲜度",
        "附录：指标明细",
    ],
    "en": [
        "Introduction",
        "AI: the build-out",
        "Crypto market",
        "On-chain structure",
        "Options structure",
        "Chain liquidity snapshot",
        "Market phase",
        "Strategy",
        "Summary",
        "What to watch in the next 24 hours",
        "Data sources and freshness",
        "Appendix: every indicator",
    ],
}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    return write_report(
        sample.assessment(),
        sample.snapshot(),
        out_dir=out,
        demo=True,
        outcomes=sample.OUTCOMES,
        charts=False,
        use_llm=False,
        strict=True,
    )


def _pages(bundle: Path) -> dict[str, str]:
    return {lang: (bundle / page_name(lang)).read_text(encoding="utf-8") for lang in LANGS}


@pytest.mark.parametrize("lang", LANGS)
def test_golden(bundle: Path, lang: str) -> None:
    text = (bundle / page_name(lang)).read_text(encoding="utf-8")
    golden = GOLDEN / page_name(lang)
    if os.environ.get("SIGNALDESK_REGEN_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_bundle_layout_and_front_matter(bundle: Path) -> None:
    assert bundle.as_posix().endswith("content/posts/2026-02-25-market-signal")
    assert sorted(p.name for p in bundle.iterdir()) == [
        "index.en.md",
        "index.zh-cn.md",
        "index.zh-tw.md",
        "signals.json",
    ]
    head = front_matter(_pages(bundle)["zh-CN"])
    assert head["title"] == "【演示数据】2026年2月25日市场信号：AI与Crypto走势明显分化"
    assert head["date"].isoformat() == "2026-02-25T22:00:00+00:00"  # newest data time of the day (deribit)
    assert head["draft"] is False
    assert head["signal_score"] == 42 and head["band"] == "neutral"
    assert head["phase"] == "accelerating_decline" and head["stance"] == "defensive"
    assert head["demo"] is True and head["tags"][:2] == ["AI", "Crypto"]
    assert head["author"] == "signaldesk" and "AI篮子30d收益+4.20%" in head["description"]
    assert front_matter(_pages(bundle)["en"])["title"].startswith("[Demo data] Market signal, February 25, 2026")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_twelve_sections_in_order(bundle: Path, lang: str) -> None:
    titles = re.findall(r"^## (.+)$", _pages(bundle)[lang], flags=re.MULTILINE)
    assert titles == SECTION_TITLES[lang]


def test_every_number_in_the_text_is_in_signals_json(bundle: Path) -> None:
    signals = json.loads((bundle / "signals.json").read_text(encoding="utf-8"))
    for lang, text in _pages(bundle).items():
        assert check_numbers(text, signals) == [], lang
    # …and the check has teeth: an invented price is caught.
    assert [str(t) for t in check_numbers(_pages(bundle)["en"] + "\nBTC $65,432", signals)] == ["65432"]


def test_signals_json_holds_the_engine_part_and_the_report(bundle: Path) -> None:
    signals = json.loads((bundle / "signals.json").read_text(encoding="utf-8"))
    assert signals["as_of"] == "2026-02-25" and signals["score"] == 42.0 and signals["demo"] is True
    assert [i["id"] for i in signals["indicators"]][:3] == ["fear_greed", "gas_price_gwei", "etf_flow_streak_weeks"]
    assert signals["report"]["crypto"]["flow_total"]["value"] == -203.8e6
    assert [f["fund"] for f in signals["report"]["crypto"]["flows_by_fund"]] == ["IBIT", "BITB", "FBTC", "ARKB"]
    assert signals["narrative"] == {"source": "template", "model": "", "reason": ""}
    assert signals["phase_name"]["zh-CN"] == "加速下跌" and signals["stance_name"]["en"] == "Defensive"
    # Watch items keep their structure and carry the page's words (the dashboard and alerts show them).
    etf = signals["watchlist"][0]
    assert (etf["metric"], etf["direction"], etf["trigger"], etf["window"]) == (
        "etf_net_flow_usd_7d",
        "above",
        0.0,
        "7d",
    )
    assert etf["texts"]["zh-CN"] == etf["text"] == "BTC ETF：连续6周净流出后，一周净流入能否转正（近7日 -$612.5M）"
    assert etf["texts"]["en"].startswith("BTC ETFs: after 6 weeks of net outflows, does a week of net inflows return")
    # Zones keep their codes and sources and carry the page's words for their reasons, wherever they sit.
    zone = signals["levels"]["support"][0]
    assert zone["why_codes"] == ["swing_low:2026-02-05:63000", "round_number:60000"]
    assert list(zone)[:2] == ["price", "why"] and zone["why"] == ["2月5日波段低点 $63,000", "整数关口"]
    assert zone["whys"] == {
        "zh-CN": ["2月5日波段低点 $63,000", "整数关口"],
        "zh-TW": ["2月5日波段低點 $63,000", "整數關口"],
        "en": ["swing low $63,000 on Feb 5", "round number"],
    }
    assert signals["levels"]["assets"]["btc"]["support"][0]["whys"] == zone["whys"]
    assert signals["watchlist"][1]["level"]["whys"] == zone["whys"] == signals["actions"][0]["support"]["whys"]
    assert signals["levels"]["assets"]["eth"]["resistance"][0]["whys"]["en"] == [
        "swing high $2,110 on Feb 14",
        "range where price spent the most days $2,050",
    ]


def test_seed_values_and_bands_are_stated(bundle: Path) -> None:
    zh = _pages(bundle)["zh-CN"]
    assert "**2月23日单日净流出$203.8M**（IBIT -$116.4M, BITB -$43.6M, FBTC -$27.9M, ARKB -$15.9M）" in zh
    assert "**连续6周净流出**" in zh
    assert "恐惧与贪婪指数8/100（极度恐惧）**，创历史新低" in zh
    # TVL −3.1 % is "down" (edge −3 %), stablecoins +0.26 % and DEX −6.2 % are "flat": one down, none up.
    assert "| 以太坊 | $55.0B | $308.8B (7d +0.26%) | $2.00B | 中性/收缩 |" in zh
    assert "ETH Gas跌至1.41 Gwei" in zh
    assert "（低于40偏空，40–60中性，高于60偏多；当前中性）" in zh
    assert "> ⚠️ 以下为市场信号分析，仅供参考，不构成财务建议。" in zh
    en = _pages(bundle)["en"]
    assert "(below 40 bearish, 40–60 neutral, above 60 bullish; now neutral)" in en
    assert "It is not financial advice." in en
    body = en.split("---\n", 2)[2]
    assert body.rstrip().splitlines()[-1].startswith("*Generated by signaldesk")  # the footer closes the page
    assert body.index("## Appendix: every indicator") < body.index("*Generated by signaldesk")


def test_the_first_screen_tells_what_moved_and_why(bundle: Path) -> None:
    zh = _pages(bundle)["zh-CN"].split("## AI行业")[0]
    assert "**今日要点：**" in zh and "- **BTC报$62,900**，7日涨跌-7.23%，距历史高点回撤50.16%。" in zh
    assert "- **BTC现货ETF**：近7日净流出$612.5M，周度已连续6周净流出。" in zh
    assert "- **恐惧与贪婪指数8/100**：极度恐惧" in zh
    en = _pages(bundle)["en"].split("## AI: the build-out")[0]
    assert (
        "**What moved today:**" in en
        and "- **BTC at $62,900**, -7.23% over 7 days, 50.16% below its all-time high." in en
    )
    assert "Below, " not in en


def test_levels_actions_and_watch_items_in_words(bundle: Path) -> None:
    zh = _pages(bundle)["zh-CN"]
    strategy = zh.split("## 操作建议")[1].split("## 总结")[0]
    assert "- 支撑区：$60,000–63,000（2月5日波段低点 $63,000、整数关口）" in strategy
    assert "- 阻力区：$71,200（真实市场均值）" in strategy
    # Every major cost basis with its distance, however far: 88,400 / 62,900 − 1 = 40.5 %.
    assert (
        "短期持有者成本 $88,400（高于现价 40.5%）" in strategy
        and "长期持有者成本 $39,100（低于现价 37.8%）" in strategy
    )
    assert "1. 等待$60,000–63,000支撑确认后再考虑加仓" in strategy and "维持当前仓位" not in strategy
    eth = strategy.split("### ETH")[1]
    assert (
        "- 支撑区：$1,800（整数关口）" in eth
        and "- 阻力区：$2,050–2,110（2月14日波段高点 $2,110、价格停留密集区 $2,050）" in eth
    )
    watch = zh.split("## 未来24小时最需盯的信号")[1].split("##")[0]
    assert "1. BTC ETF：连续6周净流出后，一周净流入能否转正（近7日 -$612.5M）" in watch
    assert "4. 恐惧与贪婪指数（现 8/100）：能否维持在25/100以下" in watch and "触发值" not in watch
    en = _pages(bundle)["en"]
    assert "3. Does BTC hold above the realised price at $55,800 (now $62,900)?" in en


def test_phase_describes_and_outlook_is_evidence(bundle: Path) -> None:
    zh = _pages(bundle)["zh-CN"]
    assert "判定为加速下跌的依据：价格低于200日均线（-37.00%）；30日涨跌-24.90%，跌幅超过15%。" in zh
    assert (
        "同时具备底部构建的特征：距高点回撤50.16%，超过40%；恐惧与贪婪指数8/100，极度恐惧；MVRV 1.13，市值接近持币成本。"
        in zh
    )
    assert "以上是对当前状态的描述，不是预测。" in zh
    assert "秩相关IC为+0.13（置信区间-0.02至+0.27），方向命中率56%（412次判断）；同期28日动量基准的IC为+0.15" in zh
    assert "过去处于中性区间的640天里，随后30日收益的中位数为+1.20%，上涨占比54%" in zh
    # Each reason once: the flows group says its reason, its other indicators come as evidence.
    assert "- **资金流**：ETF连续6周流出（同组另见：Coinbase溢价 -0.12%）" in zh


def test_missing_metrics_show_a_dash_and_the_reason(bundle: Path) -> None:
    zh = _pages(bundle)["zh-CN"]
    # The reason in a few words, classified (coinglass was skipped for want of a key); raw text stays out.
    assert "| 24h多头爆仓（BTC） | — | ⚪ 缺失 | — | 无密钥 |" in zh
    assert "- 24h多头爆仓（BTC）：—（无密钥）" in zh
    assert "| okx | ❌ 失败 | — | 无法连接 |" in zh  # UnavailableError (HTTP 451)
    assert "**过期的指标：**\n\n- MVRV" in zh  # stale, said so
    assert "COINGLASS" not in zh and "HTTP 451" not in zh and "newest point" not in zh


def test_demo_is_marked_and_explained(bundle: Path) -> None:
    for text in _pages(bundle).values():
        assert "`tools.demo.scenario`" in text
    assert "**演示模式**：数据由 `tools.demo.scenario`（固定随机种子）生成" in _pages(bundle)["zh-CN"]


def test_untrusted_text_is_inert(bundle: Path) -> None:
    en = _pages(bundle)["en"]
    assert "<script>" not in en and "javascript:" not in en and "{{<" not in en
    assert "OpenAI ships \\*Codex\\* \\[agent\\] &lt;script&gt;alert(1)&lt;/script&gt; \\{\\{&lt; shortcode" in en
    assert md_escape("a|b_[c](d)") == "a\\|b\\_\\[c\\](d)"
    assert safe_url("javascript:alert(1)") == "" and safe_url("https://x.y/a(b)") == "https://x.y/a%28b%29"


def test_zh_tw_is_traditional_with_taiwan_phrasing(bundle: Path) -> None:
    from opencc import OpenCC

    tw = _pages(bundle)["zh-TW"]
    assert OpenCC("s2tw").convert(tw) == tw  # no simplified character left
    for phrase in ("資料", "訊號", "資本支出", "示範資料", "壓力區", "週淨流出", "部位"):
        assert phrase in tw, phrase
    assert "数据" not in tw


def test_deterministic(tmp_path: Path, bundle: Path) -> None:
    again = write_report(
        sample.assessment(),
        sample.snapshot(),
        out_dir=tmp_path,
        demo=True,
        outcomes=sample.OUTCOMES,
        charts=False,
        use_llm=False,
    )
    for name in ("index.zh-cn.md", "index.zh-tw.md", "index.en.md", "signals.json"):
        assert (again / name).read_bytes() == (bundle / name).read_bytes(), name


def test_site_dir_gets_a_copy(tmp_path: Path) -> None:
    site = tmp_path / "site"
    out = write_report(
        sample.assessment(),
        sample.snapshot(),
        out_dir=tmp_path / "out",
        langs=("en",),
        demo=False,
        site_dir=site,
        charts=False,
        use_llm=False,
    )
    copy = site / "content" / "posts" / "2026-02-25-market-signal" / "index.en.md"
    assert copy.read_text(encoding="utf-8") == (out / "index.en.md").read_text(encoding="utf-8")
    text = copy.read_text(encoding="utf-8")
    assert "Demo" not in text and front_matter(text)["demo"] is False
    assert not (out / "index.zh-cn.md").exists()


def test_empty_day_says_why_in_words(tmp_path: Path) -> None:
    bare = Assessment(
        as_of=sample.AS_OF, score=None, band="unknown", phase="insufficient_data", stance="wait", coverage=0.0
    )
    snap = Snapshot(
        as_of=sample.AS_OF,
        missing={("chain_tvl_usd", "ethereum"): "defillama: HTTP 503", ("atm_iv", "30d"): "deribit: HTTP 451"},
    )
    out = write_report(
        bare, snap, out_dir=tmp_path, langs=("zh-CN", "en"), demo=False, charts=False, use_llm=False, strict=True
    )
    zh = (out / "index.zh-cn.md").read_text(encoding="utf-8")
    # A section with no data collapses to one line that says why in a few words (no provider named in the
    # outcomes here, so the class is "no data yet"); the raw error text stays in signals.json.
    assert "## 期权结构\n\n本节今日无数据（暂无数据）。\n" in zh
    assert "## 全链流动性快照\n\n本节今日无数据（暂无数据）。\n" in zh
    assert "HTTP 451" not in zh and "HTTP 503" not in zh
    assert "## 期权结构" in zh and len(re.findall(r"^## ", zh, flags=re.MULTILINE)) == 12
    en = (out / "index.en.md").read_text(encoding="utf-8")
    assert "## Options structure\n\nNo data for this section today (no data yet).\n" in en
    assert front_matter(zh)["signal_score"] is None


def test_divergence_and_coupling_titles() -> None:
    snap = sample.snapshot()
    snap.values[("ai_crypto_divergence_z", "")] = 0.4
    snap.values[("ai_crypto_correlation_90d", "")] = 0.72
    model = render.build_model(sample.assessment(), snap)
    assert model.lead.theme == "coupling"
    text = render.render_markdown(model, "zh-CN")
    assert front_matter(text)["title"] == "2026年2月25日市场信号：AI与Crypto高度联动"
    snap.values[("ai_crypto_divergence_z", "")] = -2.3
    model = render.build_model(sample.assessment(), snap)
    assert (model.lead.theme, model.lead.direction) == ("divergence", "crypto_leads")


def _with_sources_template(tmp_path: Path, template: str, *, strict: bool = False) -> Path:
    """The English sample report with the sources section replaced by `template` (a user template)."""
    (tmp_path / "_12_sources.md.j2").write_text(template, encoding="utf-8")
    return write_report(
        sample.assessment(),
        sample.snapshot(),
        out_dir=tmp_path / "o",
        langs=("en",),
        demo=True,
        charts=False,
        use_llm=False,
        template_dir=tmp_path,
        strict=strict,
    )


def test_a_template_cannot_print_a_raw_number(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"raw number 42\.0"):
        _with_sources_template(tmp_path, "{{ m.score }}\n")


def test_strict_mode_rejects_an_unsupported_number(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="250K"):
        _with_sources_template(tmp_path, "BTC could reach $250K.\n", strict=True)


def test_unknown_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="fr"):
        write_report(sample.assessment(), sample.snapshot(), out_dir=tmp_path, langs=("fr",), demo=True, charts=False)


def test_i18n_files_share_one_key_set() -> None:
    import tomllib

    def keys(tree: dict, prefix: str = "") -> set[str]:
        out: set[str] = set()
        for k, v in tree.items():
            out |= keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k}
        return out

    sets = {
        lang: keys(tomllib.loads((render.HERE / "i18n" / f"{lang}.toml").read_text(encoding="utf-8"))) for lang in LANGS
    }
    assert sets["zh-CN"] == sets["en"]
    assert sets["zh-TW"] <= sets["zh-CN"]  # zh-TW is zh-CN converted; its file holds overrides only
    assert keys(dict(render.i18n("zh-TW"))) == sets["zh-CN"]


def test_stale_indicator_marked(bundle: Path) -> None:
    assert "| MVRV | 1.13（数据过期） | 🟢 偏多 | 18% |" in _pages(bundle)["zh-CN"]


def test_unknown_band_headline(tmp_path: Path) -> None:
    bare = Assessment(
        as_of=sample.AS_OF, score=None, band="unknown", phase="insufficient_data", stance="wait", coverage=0.0
    )
    out = write_report(
        bare,
        Snapshot(as_of=sample.AS_OF),
        out_dir=tmp_path,
        langs=("en",),
        demo=False,
        charts=False,
        use_llm=False,
        strict=True,
    )
    text = (out / "index.en.md").read_text(encoding="utf-8")
    assert front_matter(text)["title"] == "Market signal, February 25, 2026: not enough data"
    assert "there is not enough data for the signal engine" in text


def test_the_real_engine_output_renders_with_every_number_accounted_for(tmp_path: Path) -> None:
    snap = sample.snapshot()
    assessment = assess(snap)
    out = write_report(assessment, snap, out_dir=tmp_path, demo=False, charts=False, use_llm=False, strict=True)
    zh = (out / "index.zh-cn.md").read_text(encoding="utf-8")
    assert front_matter(zh)["phase"] == assessment.phase
    signals = json.loads((out / "signals.json").read_text(encoding="utf-8"))
    assert signals["score"] == (None if assessment.score is None else round(assessment.score, 1))


def test_site_as_the_only_destination(tmp_path: Path) -> None:
    out = write_report(
        sample.assessment(),
        sample.snapshot(),
        out_dir=tmp_path,
        langs=("en",),
        demo=False,
        site_dir=tmp_path,
        charts=False,
        use_llm=False,
    )
    assert out == tmp_path / "content" / "posts" / "2026-02-25-market-signal"
    assert (out / "index.en.md").exists()


def test_compiled_templates_are_cached_and_a_broken_cache_is_no_cache(tmp_path: Path) -> None:
    """The second environment loads the compiled code the first one wrote (keyed by the template's
    source); a cache directory that cannot be written is skipped, and rendering goes on."""
    import jinja2

    def environment(source: str, cache_dir: Path) -> jinja2.Environment:
        """One template `t` of `source`, with the report's bytecode cache in `cache_dir`."""
        return jinja2.Environment(
            loader=jinja2.DictLoader({"t": source}), bytecode_cache=render._bytecode_cache(str(cache_dir))
        )

    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    assert environment("{{ 6 * 7 }}", cache_dir).get_template("t").render() == "42"
    written = list(cache_dir.iterdir())
    assert len(written) == 1 and written[0].name.startswith(f"signaldesk-jinja2-{jinja2.__version__}-")
    second = environment("{{ 6 * 7 }}", cache_dir)
    second.compile = lambda *a, **k: pytest.fail("compiled again instead of loaded from the cache")  # type: ignore[method-assign]
    assert second.get_template("t").render() == "42"
    # another source: compiled afresh, not the cached 42
    assert environment("{{ 6 * 8 }}", cache_dir).get_template("t").render() == "48"

    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    assert environment("{{ 1 + 1 }}", not_a_dir).get_template("t").render() == "2"
