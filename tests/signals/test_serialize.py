import json

from signaldesk.report.terminal import render_text
from signaldesk.signals.engine import assess_snapshot_file
from signaldesk.signals.serialize import assessment_to_dict
from tests.signals.helpers import seed_file


def test_signals_json_shape_and_order(tmp_path):
    a = assess_snapshot_file(seed_file(tmp_path))
    d = assessment_to_dict(a)
    assert list(d)[:10] == [
        "as_of",
        "score",
        "band",
        "phase",
        "stance",
        "indicators",
        "levels",
        "watchlist",
        "missing",
        "sources",
    ]
    assert d["as_of"] == "2026-02-25" and d["score"] == round(a.score, 1)
    # Ids only: the names are words, added by the report from its i18n files (tests/report).
    assert (d["phase"], d["stance"], d["band"]) == ("accelerating_decline", "defensive", "bearish")
    assert "phase_name" not in d and d["phase_reasons"] == {"phase": "accelerating_decline", "also": "bottom_building"}
    row = next(i for i in d["indicators"] if i["rule"] == "fear_greed")
    assert list(row)[:8] == ["id", "entity", "value", "state", "strength", "percentile", "reason", "contribution"]
    assert row["id"] == "fear_greed" and row["value"] == 8.0 and row["state"] == "bullish"
    assert row["reason"] == row["reasons"]["zh-CN"] and set(row["reasons"]) == {"zh-CN", "zh-TW", "en"}
    support = d["levels"]["support"][0]
    # A zone's reasons are codes and structured sources; their words are the report's (tests/report).
    assert support["why_codes"] == ["round_number:60000"] and "why" not in support and "whys" not in support
    assert [(s["kind"], s["price"], s["day"]) for s in support["sources"]] == [("round_number", 60_000.0, None)]
    assert (d["watchlist"][0]["id"], d["watchlist"][0]["direction"], d["watchlist"][0]["trigger"]) == (
        "etf_flow",
        "above",
        0.0,
    )
    assert d["levels"]["assets"]["btc"]["support"][0]["kind"] == "round_number"  # no structure in a one-day snapshot
    assert {m["id"] for m in d["missing"]} >= {"sth_cost_basis_usd"}
    assert [g["id"] for g in d["groups"]][-2:] == ["altcoins", "macro_ai"] and d["groups"][-1]["in_score"] is False
    assert d["bands"] == {"bearish_below": 40.0, "bullish_above": 60.0}
    json.dumps(d, ensure_ascii=False, allow_nan=False)  # strictly valid JSON: no NaN anywhere


def test_same_input_same_bytes(tmp_path):
    path = seed_file(tmp_path)
    one = json.dumps(assessment_to_dict(assess_snapshot_file(path)), ensure_ascii=False)
    two = json.dumps(assessment_to_dict(assess_snapshot_file(path)), ensure_ascii=False)
    assert one == two
    assert render_text(assess_snapshot_file(path), "en") == render_text(assess_snapshot_file(path), "en")


def test_render_text_in_each_language(tmp_path):
    a = assess_snapshot_file(seed_file(tmp_path))
    zh = render_text(a, "zh-CN")
    assert "综合评分" in zh and "加速下跌" in zh and "防御" in zh and "低于40偏空" in zh
    assert "恐惧与贪婪指数 8/100，极度恐惧" in zh
    assert "一周净流入能否转正" in zh and "触发值" not in zh  # watch items said in words, not as raw triggers
    en = render_text(a, "en")
    assert f"Score: {a.score:.0f}/100" in en and "Accelerating decline" in en and "(context, not scored)" in en
    assert "Missing data" in en and "sth_cost_basis_usd" in en
    assert "綜合評分" in render_text(a, "zh-TW")


def test_plain_contract_objects_serialise_too():
    """An Indicator built with only the required fields serialises with the whole contract, defaults filled in."""
    from datetime import date

    from signaldesk.models import Assessment, Indicator, Level, Missing

    a = Assessment(
        as_of=date(2026, 2, 25),
        score=None,
        band="unknown",
        phase="insufficient_data",
        stance="wait",
        coverage=0.0,
        indicators=[Indicator("fear_greed", "", 8.0, "bullish", 1.0, None, "恐惧 8")],
        support=[Level(price=60_000, low=60_000, high=60_000, why=("round_number:60000",))],
        missing=[Missing("mvrv", "", "no data")],
    )
    d = assessment_to_dict(a)
    assert d["score"] is None and d["score_text"] == "—" and d["phase"] == "insufficient_data"
    assert d["indicators"][0] == {
        "id": "fear_greed",
        "entity": "",
        "value": 8.0,
        "state": "bullish",
        "strength": 1.0,
        "percentile": None,
        "reason": "恐惧 8",
        "contribution": 0.0,
        "rule": "",
        "group": "",
        "stale": False,
        "label": {},
        "display": "",
        "x": None,
        "ref": None,
        "ref_id": "",
        "sub_score": None,
        "age_days": None,
        "reading": "",
        "weight": 0.0,
        "cls": "",
        "reasons": {},
    }
    assert d["levels"]["support"][0]["why_codes"] == ["round_number:60000"]
    text = render_text(a, "en")
    assert "Score: —" in text and "fear_greed: 8/100" in text and "mvrv: no data" in text
