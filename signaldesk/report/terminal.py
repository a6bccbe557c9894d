"""The terminal view of an assessment (`signaldesk signals`), in rich markup, worded from i18n.

It lives in the report package because it is words: phase, stance and band names, headings and
the state marks come from `report/i18n/<lang>.toml` like the report's, so the terminal and the
page always say the same thing.
"""

from __future__ import annotations

from signaldesk import fmt
from signaldesk.models import Assessment
from signaldesk.report.render import formatter, i18n, plain_text
from signaldesk.report.sections import watch_items, zone
from signaldesk.signals.rulebook import Rulebook, default_rulebook
from signaldesk.signals.score import band_edges

_STATE_MARK = {"bullish": "[green]🟢[/green]", "neutral": "[yellow]🟡[/yellow]", "bearish": "[red]🔴[/red]"}


def _esc(text: str) -> str:
    """Escape rich markup in data-derived text."""
    return str(text).replace("[", "\\[")


def _plain(markdown: str) -> str:
    """The report's Markdown wording for a terminal, with rich markup escaped."""
    return _esc(plain_text(markdown))


def render_text(assessment: Assessment, lang: str = "zh-CN", *, rulebook: Rulebook | None = None) -> str:
    """A terminal view of the assessment in `lang` (rich markup; print with rich's Console)."""
    w = i18n(lang)
    t = w["terminal"]
    rb = rulebook or default_rulebook()
    groups = rb.groups
    band = w["band"].get(assessment.band, assessment.band)
    low, high = band_edges(assessment.outlook, rb)
    bands = str(w["phase"]["bands"]).format(low=f"{low:.0f}", high=f"{high:.0f}", band=band)
    lines = [
        f"[bold]{t['score']}: {fmt.score(assessment.score)}[/bold]{bands}  {t['coverage']}: {assessment.coverage * 100:.0f}%",
        (
            f"[bold]{t['phase']}:[/bold] {w['phases'].get(assessment.phase, assessment.phase)}    "
            f"[bold]{t['stance']}:[/bold] {w['stance'].get(assessment.stance, assessment.stance)}"
        ),
        "",
        f"[bold]{t['indicators']}[/bold]",
    ]
    for ind in assessment.indicators:
        label = ind.label.get(lang, ind.id)
        display = ind.display or fmt.value(ind.id, ind.value)
        scored = groups.get(ind.group) is not None and groups[ind.group].in_score
        context = "" if scored else t["context"]
        stale = t["stale"] if ind.stale else ""
        contribution = f"{ind.contribution:+.1f}" if scored else "  · "
        lines.append(f" {_STATE_MARK[ind.state]} {contribution:>5}  {_esc(label)}: {_esc(display)}{stale}{context}")
        lines.append(f"          {_esc(ind.reasons.get(lang, ind.reason))}")
    words = formatter(lang)
    for title, zones in ((t["support"], assessment.support), (t["resistance"], assessment.resistance)):
        if zones:
            lines += ["", f"[bold]{title}[/bold]"]
            lines += [f" {_plain(words.zone_text(zone(level)))}" for level in zones]
    if assessment.watchlist:
        lines += ["", f"[bold]{t['watch']}[/bold]"]
        lines += [f" {n}. {_plain(words.watch_item(item))}" for n, item in enumerate(watch_items(assessment), 1)]
    if assessment.missing:
        lines += ["", f"[bold]{t['missing']}[/bold]"]
        for gap in assessment.missing:
            key = f"{gap.id}:{gap.entity}" if gap.entity else gap.id
            lines.append(f" — {key}: {_esc(gap.reason)}")
    return "\n".join(lines)
