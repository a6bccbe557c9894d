"""Render the report model into a Hugo page bundle, one Markdown file per language.

`write_report` is the public entry point: model → charts → `signals.json` → optional LLM
narrative (checked) → Jinja2 templates → `content/posts/<yyyy-mm-dd>-market-signal/`.
Templates get words from `i18n/<lang>.toml` and numbers only through the formatting filters:
the environment's `finalize` refuses to print a raw number (so a template cannot compute one)
and Markdown-escapes every plain string (news titles, provider messages are untrusted). Only
i18n text and filter output, marked safe, pass through unchanged.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tomllib
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from signaldesk import fmt
from signaldesk.atomic import staged_dir
from signaldesk.errors import ReportError
from signaldesk.langs import LANGS, to_traditional
from signaldesk.models import Assessment, ProviderOutcome, Snapshot
from signaldesk.report import numbers
from signaldesk.report.emphasis import fit_bold
from signaldesk.report.inert import inert
from signaldesk.report.model import Cell, ReportModel, Row, Step, Watch, Zone
from signaldesk.report.sections import build_model
from signaldesk.report.signals_json import build_signals, dumps, thresholds

if TYPE_CHECKING:
    import jinja2
    import pandas as pd

    from signaldesk.report.narrative import NarrativeResult

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SLUG = "{day}-market-signal"


# -- escaping --------------------------------------------------------------------------------


def md_escape(text: str) -> Markup:
    """Untrusted text (news titles, provider messages, a model's prose) → inert Markdown: no
    structure, emphasis, links, HTML, shortcodes, invisible characters or secrets (`inert`)."""
    return Markup(inert(str(text)))


def safe_url(link: str) -> str:
    """An http(s) URL made safe inside `(...)`, or "" for anything else (javascript:, data:)."""
    link = str(link).strip()
    if not re.match(r"https?://[^\s]+$", link, flags=re.IGNORECASE):
        return ""
    return "".join(f"%{ord(ch):02X}" if ch in "()<>\"'` {}|\\^" else ch for ch in link)


# -- i18n ------------------------------------------------------------------------------------
def _marked(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _marked(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_marked(v) for v in tree]
    return Markup(tree) if isinstance(tree, str) else tree


def _load(lang: str) -> dict[str, Any]:
    path = HERE / "i18n" / f"{lang}.toml"
    if not path.exists():
        raise ReportError(f"no report language {lang!r}: expected {path}")
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _traditional(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _traditional(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_traditional(v) for v in tree]
    return to_traditional(tree) if isinstance(tree, str) else tree


def _overlay(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _overlay(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@cache
def i18n(lang: str) -> dict[str, Any]:
    """The words of one language (trusted text, marked safe).

    zh-TW is zh-CN converted to Taiwan usage (OpenCC s2twp and the market-term glossary, see
    `signaldesk.langs.to_traditional`), with `zh-TW.toml` holding only what must differ: one
    source of Chinese words, so the two cannot drift apart or mix mainland and Taiwan terms.
    """
    if lang == "zh-TW":
        return _marked(_overlay(_traditional(_load("zh-CN")), _load("zh-TW")))
    return _marked(_load(lang))


def lookup(words: Mapping[str, Any], key: str) -> Any:
    node: Any = words
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ReportError(f"missing i18n key {key!r} for {words.get('meta', {}).get('lang', '?')}")
        node = node[part]
    return node


def _arg(value: Any) -> str:
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, int | float):  # bool is an int too
        raise ReportError(f"raw number {value!r} passed to say(): format it with a filter first")
    return str(md_escape(value))


# -- filters (every number leaves through one of these) -----------------------------------------
class Formatter:
    """Jinja filters and globals for one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.words = i18n(lang)

    def say(self, key: str, **kwargs: Any) -> Markup:
        template = str(lookup(self.words, key))
        try:
            return Markup(template.format_map({k: _arg(v) for k, v in kwargs.items()}))
        except KeyError as exc:
            raise ReportError(f"i18n {key!r} needs {exc} ({self.lang})") from None

    def word(self, table: str, key: str) -> Markup:
        """A word from an i18n table, or the id itself (escaped) when the table lacks it."""
        found = self.words.get(table, {}).get(key)
        return found if found is not None else md_escape(key.replace("_", " "))

    def limits(self) -> dict[str, Markup]:
        """The rulebook's phase limits (fractions) as the percentages the text quotes."""
        return {
            k: Markup(fmt.pct(abs(v), signed=False, digits=0)) for k, v in thresholds().items() if isinstance(v, float)
        }

    def condition(self, phase: str) -> Markup:
        """The phase's condition in words (when its measured inputs are not at hand)."""
        return self.say(f"phase_condition.{phase}", **self.limits())

    def row_label(self, row: Row) -> Markup:
        """An indicator's name: the engine's (per language) when it has one."""
        if self.lang in row.label:
            return md_escape(row.label[self.lang])
        return self.label(row.id, row.entity)

    def group(self, phase: Any, name: str) -> Markup:
        labels = phase.group_labels.get(name, {})
        return md_escape(labels[self.lang]) if self.lang in labels else self.word("group", name)

    def reason(self, kind: str, price: float, day: date | None, *, priced: bool) -> Markup:
        """One reason of a zone in words: "STH cost basis $88,985", "swing low $65,299 (Feb 4)"."""
        name = self.word("why", kind)
        if kind == "round_number" or not priced:
            return (
                self.say("levels.reason.plain", name=name)
                if day is None
                else self.say("levels.reason.dated", name=name, day=Markup(fmt.day(day, self.lang)))
            )
        key = "levels.reason.priced_dated" if day is not None else "levels.reason.priced"
        return self.say(
            key,
            name=name,
            price=Markup(fmt.price(price)),
            day=Markup(fmt.day(day, self.lang)) if day is not None else Markup(""),
        )

    def zone_text(self, zone: Zone) -> Markup:
        """A zone's span and its reasons: a reason's own price is said only when the zone is a range."""
        sep = str(self.words["strategy"]["why_sep"])
        ranged = zone.high > zone.low
        reasons = sep.join(str(self.reason(r.kind, r.price, r.day, priced=ranged)) for r in zone.reasons)
        span = Markup(fmt.price_range(zone.low, zone.high))
        return self.say("levels.zone", span=span, why=Markup(reasons)) if reasons else span

    def cost_basis(self, rung: Any) -> Markup:
        side = "above" if rung.distance >= 0 else "below"
        return self.say(
            f"levels.cost_basis.{side}",
            name=self.word("why", rung.kind),
            price=Markup(fmt.price(rung.price)),
            distance=Markup(fmt.pct(abs(rung.distance), signed=False, digits=1)),
        )

    def action(self, step: Step) -> Markup:
        """A stance's conditional action (`[levels.action]`), with its zones and trigger price."""

        def span(z: Zone | None) -> Markup:
            return Markup(fmt.DASH) if z is None else Markup(fmt.price_range(z.low, z.high))

        zone = step.support if step.support is not None else step.resistance
        return self.say(
            f"levels.action.{step.id}",
            zone=span(zone),
            price=Markup(fmt.price(step.price)),
            support=span(step.support),
            resistance=span(step.resistance),
        )

    def watch_item(self, w: Watch) -> Markup:
        """A watch item in words (`[watch_item]`): which side of which threshold, in this language."""
        now = Markup(fmt.value(w.metric, w.current)) if w.current is not None else Markup(fmt.DASH)
        if w.id == "etf_flow":
            weeks = Markup(fmt.number(abs(w.reference or 0.0), 0))
            return self.say(f"watch_item.etf_flow_{w.direction}", weeks=weeks, current=now)
        if w.id in ("support", "resistance") and w.zone is not None:
            return self.say(
                f"watch_item.{w.id}",
                zone=Markup(fmt.price_range(w.zone.low, w.zone.high)),
                threshold=Markup(fmt.price(w.trigger)),
                current=now,
            )
        if w.id == "cost_basis" and w.zone is not None and w.zone.reasons:
            return self.say(
                f"watch_item.cost_basis_{w.direction}",
                name=self.word("why", w.zone.reasons[0].kind),
                threshold=Markup(fmt.price(w.trigger)),
                current=now,
            )
        if w.id == "ma200":
            return self.say(f"watch_item.ma200_{w.direction}", threshold=Markup(fmt.price(w.trigger)), current=now)
        zero = "_zero" if w.mode == "cross" and w.trigger == 0 else ""
        return self.say(
            f"watch_item.{w.mode}_{w.direction}{zero}",
            label=self.label(w.metric, w.entity),
            threshold=Markup(fmt.value(w.metric, w.trigger)),
            current=now,
        )

    def entity(self, entity: str) -> Markup:
        return (
            self.word("entity", entity)
            if entity in self.words.get("entity", {})
            else md_escape(entity.upper() if len(entity) <= 5 else entity.capitalize())
        )

    def label(self, metric: str, entity: str = "") -> Markup:
        base = self.word("metric", metric)
        if not entity:
            return base
        return self.say("meta.with_entity", label=base, entity=self.entity(entity))

    def value(self, cell: Any, metric: str | None = None) -> Markup:
        if isinstance(cell, Cell):
            return Markup(fmt.value(cell.id, cell.value))
        if cell is None:
            return Markup(fmt.DASH)
        return Markup(fmt.value(metric or "", float(cell)))

    def chart(self, model: ReportModel, name: str) -> Markup:
        files = model.charts.get(name, {})
        if self.lang not in files:
            return Markup("")
        alt = self.words["charts"][name]["title"]
        return Markup(f"![{alt}]({files[self.lang]})")

    def filters(self) -> dict[str, Callable[..., Markup]]:
        lang = self.lang

        def wrap(fn: Callable[..., str]) -> Callable[..., Markup]:
            return lambda *a, **k: Markup(fn(*a, **k))

        def raw(x: Any) -> float | None:
            return x.value if isinstance(x, Cell) else x

        def mag(fn: Callable[..., str]) -> Callable[..., Markup]:
            return lambda x, *a, **k: Markup(fn(None if raw(x) is None else abs(raw(x)), *a, **k))

        return {
            "v": self.value,
            "usd": wrap(lambda x: fmt.usd(raw(x))),
            "usd_abs": mag(lambda x: fmt.usd(x)),
            "price": wrap(lambda x: fmt.price(raw(x))),
            "pct": wrap(lambda x, digits=2: fmt.pct(raw(x), digits=digits)),
            "pct_abs": lambda x, digits=2: Markup(
                fmt.pct(None if raw(x) is None else abs(raw(x)), signed=False, digits=digits)
            ),
            "upct": wrap(lambda x, digits=1: fmt.pct(raw(x), signed=False, digits=digits)),
            "ic": wrap(
                lambda x: fmt.number(raw(x), 2) if raw(x) is None or raw(x) < 0 else "+" + fmt.number(raw(x), 2)
            ),
            "num": wrap(lambda x, digits=2: fmt.number(raw(x), digits)),
            "int_abs": lambda x: Markup(fmt.number(None if raw(x) is None else abs(raw(x)), 0)),
            "score": wrap(lambda x: fmt.score(raw(x))),
            "count": wrap(lambda x: fmt.count(raw(x), lang)),
            "day": wrap(lambda d: fmt.day(d, lang)),
            "date": wrap(lambda d: fmt.long_date(d, lang)),
            "ts": wrap(fmt.timestamp),
            "zone": lambda z: Markup(fmt.price_range(z.low, z.high)) if isinstance(z, Zone) else Markup(fmt.DASH),
            "zone_text": self.zone_text,
            "cost_basis": self.cost_basis,
            "action": self.action,
            "watch_item": self.watch_item,
            "pctile": wrap(lambda x: fmt.percentile(x)),
            "n": lambda i: Markup(str(int(i))),
            "md": md_escape,
            "url": lambda u: Markup(safe_url(u)),
            "label": self.label,
            "ent": self.entity,
            "susd": wrap(lambda x: fmt.signed_usd(raw(x))),
            "phase_name": lambda p: self.word("phases", p),
        }

    def functions(self) -> dict[str, Callable[..., Markup]]:
        return {
            "say": self.say,
            "word": self.word,
            "label": self.label,
            "chart": self.chart,
            "row_label": self.row_label,
            "group": self.group,
            "condition": self.condition,
            "limits": self.limits,
        }

    def context(self) -> dict[str, Any]:
        """Per-language names a template reads as variables."""
        return {"t": self.words, "th": thresholds(), "lang": self.lang}


@cache
def formatter(lang: str) -> Formatter:
    return Formatter(lang)


@cache
def _bound(lang: str, kind: str) -> dict[str, Callable[..., Markup]]:
    helper = formatter(lang)
    return helper.filters() if kind == "filter" else helper.functions()


def _dispatch(name: str, kind: str) -> Callable[..., Markup]:
    """A filter or function that uses the words of the language being rendered (`lang` in context)."""
    import jinja2

    @jinja2.pass_context
    def call(ctx: Any, *args: Any, **kwargs: Any) -> Markup:
        return _bound(ctx["lang"], kind)[name](*args, **kwargs)

    return call


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    if isinstance(value, int | float):  # bool is an int too
        raise ReportError(f"a template printed the raw number {value!r}; numbers must go through a filter")
    if value is None:
        raise ReportError("a template printed None")
    return md_escape(str(value))


def _bytecode_cache(directory: str | None = None) -> jinja2.BytecodeCache | None:
    """Jinja's own compiled-template cache, in its private per-user directory under the system's
    temporary directory: compiling the report's templates costs ~0.13 s of every run, loading them
    ~3 ms. Entries are keyed by each template's source, so an edited or user template is compiled
    afresh. A cache that cannot be created, read or written is simply not used."""
    import jinja2

    class QuietCache(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with suppress(OSError, ValueError, EOFError):
                super().load_bytecode(bucket)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with suppress(OSError):
                super().dump_bytecode(bucket)

    try:  # entries named by Jinja's version too: its compiled code may change between releases
        return QuietCache(directory, pattern=f"signaldesk-jinja2-{jinja2.__version__}-%s.cache")
    except (OSError, RuntimeError):  # no usable temporary directory
        return None


def environment(template_dir: Path | None = None) -> jinja2.Environment:
    """Jinja2 with StrictUndefined; a user template dir (when given) overrides the package's.

    Autoescaping is on so that macro output stays marked safe, but the escaping itself is done
    by `_finalize` (Markdown rules, not HTML ones): every plain string reaching the page is passed
    through `md_escape` first and arrives as Markup.
    """
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.FileSystemLoader(str(HERE / "templates")))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )


@cache
def shared_environment(template_dir: Path | None = None) -> jinja2.Environment:
    """One environment for every language (templates compile once); filters and functions look
    up the language being rendered in the template context."""
    env = environment(template_dir)
    for name in _bound("en", "filter"):
        env.filters[name] = _dispatch(name, "filter")
    for name in _bound("en", "function"):
        env.globals[name] = _dispatch(name, "function")
    import jinja2

    env.globals["judged"] = jinja2.pass_context(_judged)
    return env


def _judged(ctx: Any, metric: str, cls: str) -> str:
    """Record that a sentence classifies `metric` as `cls` (a rulebook class id) and return the id.

    Templates word every judgement through this, so the page's claims can be checked for
    contradictions: one class per metric per page (tests/report/test_contradictions.py)."""
    if cls:
        ctx["claims"].append((metric, str(cls)))
    return str(cls)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _strip_md(text: str) -> str:
    """Front matter holds plain text: drop Markdown escapes and emphasis marks."""
    return re.sub(r"\\(.)", r"\1", text.replace("**", ""))


def plain_text(markdown: str) -> str:
    """The report's wording as plain text (terminal, signals.json): escapes and bold marks dropped,
    HTML-escaped characters restored."""
    import html

    return html.unescape(_strip_md(str(markdown)))


def render_markdown(
    model: ReportModel,
    lang: str,
    *,
    narrative: Mapping[str, str] | None = None,
    template_dir: Path | None = None,
    author: str = "signaldesk",
) -> str:
    """One language's `index.<lang>.md`: YAML front matter, then the twelve sections."""
    env = shared_environment(template_dir)
    helper = formatter(lang)
    words = helper.words
    claims: list[tuple[str, str]] = []
    context = {
        "m": model,
        "llm": {k: md_escape(v) for k, v in (narrative or {}).items()},
        "claims": claims,
        **helper.context(),
    }
    title = _strip_md(_one_line(env.get_template("title.j2").render(context)))
    description = _strip_md(_one_line(env.get_template("description.j2").render(context).replace("\n", "")))
    body = env.get_template("index.md.j2").render(context)
    body = fit_bold(re.sub(r"\n{3,}", "\n\n", body).strip()) + "\n"  # bold that renders next to CJK
    model.claims[lang] = sorted(set(claims))
    phase_name = str(helper.word("phases", model.phase_id))
    stance_name = str(helper.word("stance", model.stance))
    matter: list[tuple[str, Any]] = [
        ("title", title),
        ("date", model.published.isoformat()),
        ("draft", False),
        ("tags", list(words["meta"]["tags"])),
        ("categories", list(words["meta"]["categories"])),
        ("author", author),
        ("description", description),
        ("signal_score", None if model.score is None else int(f"{model.score:.0f}")),
        ("band", model.band),
        ("phase", model.phase_id),
        ("phase_name", _strip_md(phase_name)),
        ("stance", model.stance),
        ("stance_name", _strip_md(stance_name)),
        ("as_of", model.as_of.isoformat()),
        ("demo", model.demo),
        ("translationKey", SLUG.format(day=model.as_of.isoformat())),
    ]
    lines = ["---"]
    for key, value in matter:
        if key == "date":
            lines.append(f"{key}: {value}")
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + body


def front_matter(markdown: str) -> dict[str, Any]:
    """Parse the YAML front matter of a rendered page (tests, site tools)."""
    import yaml

    _, head, _ = markdown.split("---\n", 2)
    return yaml.safe_load(head)


def check_numbers(
    markdown: str, signals: Mapping[str, Any], *, known: set[numbers.Token] | None = None
) -> list[numbers.Token]:
    """Numbers in the title, description and body that `signals.json` does not hold (`known`: the
    allowed tokens, computed once for all languages)."""
    head = front_matter(markdown)
    body = markdown.split("---\n", 2)[2]
    text = "\n".join([str(head.get("title", "")), str(head.get("description", "")), body])
    return numbers.unknown_numbers(text, signals, known=known)


def _with_titles(ai: Any, titles: Mapping[str, Sequence[str]]) -> Any:
    """The AI side with each news item's checked translated title per language."""
    import dataclasses

    news = [
        dataclasses.replace(item, title_translated={lang: str(ts[i]) for lang, ts in sorted(titles.items())})
        for i, item in enumerate(ai.news)
    ]
    return dataclasses.replace(ai, news=news)


# -- the entry point ---------------------------------------------------------------------------
def bundle_dir(root: Path, as_of: date) -> Path:
    return root / "content" / "posts" / SLUG.format(day=as_of.isoformat())


def page_name(lang: str) -> str:
    """`index.zh-cn.md`: Hugo language keys are lower-case, and a mixed-case suffix makes Hugo
    publish bundle resources under a doubled path, so files use the lower-case code."""
    return f"index.{lang.lower()}.md"


def write_report(
    assessment: Assessment,
    snapshot: Snapshot,
    *,
    out_dir: Path,
    langs: Sequence[str] = LANGS,
    demo: bool,
    site_dir: Path | None = None,
    outcomes: Sequence[ProviderOutcome] = (),
    score_history: pd.Series | None = None,
    charts: bool = True,
    png: bool = True,
    narrative: NarrativeResult | None = None,
    use_llm: bool = True,
    published: datetime | None = None,
    author: str = "signaldesk",
    template_dir: Path | None = None,
    strict: bool = False,
    meanwhile: Callable[[], object] | None = None,
) -> Path:
    """Write the day's page bundle under `out_dir` (and copy it into `site_dir`); return its path.

    Args:
        score_history: daily composite scores (for the score chart), indexed by day; by default
            the engine recomputes the last year's from `snapshot.history`.
        narrative: an already generated LLM narrative; when None and `use_llm`, one is requested
            if the `SIGNALDESK_LLM_*` variables are set. Rejected text falls back to the templates.
        published: the front matter's date; by default the newest data time of the as-of day,
            so the same data gives the same file.
        strict: raise `ReportError` when a number in the text is not in `signals.json`
            (otherwise it is logged as a warning).
        meanwhile: other work of the caller (the dashboard) to do once the text is written,
            while the charts are still being drawn in other processes.
    """
    unknown = [lang for lang in langs if lang not in LANGS]
    if unknown:
        raise ReportError(f"unknown report language(s) {', '.join(unknown)}; choose from {', '.join(LANGS)}")
    model = build_model(assessment, snapshot, outcomes=outcomes, demo=demo, published=published)
    bundle = bundle_dir(Path(out_dir), model.as_of)
    # Written aside and swapped in whole: Hugo or a reader never sees a page without its signals.json
    # or charts (a run of other languages keeps the bundle's other pages).
    with staged_dir(bundle, keep_existing=True) as staging:
        _write_bundle(
            staging,
            assessment,
            snapshot,
            model,
            langs=langs,
            charts=charts,
            png=png,
            score_history=score_history,
            narrative=narrative,
            use_llm=use_llm,
            author=author,
            template_dir=template_dir,
            strict=strict,
            meanwhile=meanwhile,
        )
    if site_dir is not None:
        target = bundle_dir(Path(site_dir), model.as_of)
        if target.resolve() != bundle.resolve():  # out_dir may be the site itself
            with staged_dir(target, keep_existing=True) as staging:
                shutil.copytree(bundle, staging, dirs_exist_ok=True)
    return bundle


def _apply_narrative(
    narrative: NarrativeResult, model: ReportModel, signals: dict[str, Any]
) -> dict[str, dict[str, str]]:
    """Record the narrative's outcome in the model and, when the LLM's text was accepted, its
    translated news titles in the model and `signals.json`; return its texts per language."""
    model.narrative = narrative.info
    if narrative.info.reason:
        log.warning("LLM narrative: %s", narrative.info.reason)
    if narrative.info.source != "llm":
        return {}
    if narrative.titles:
        model.ai = _with_titles(model.ai, narrative.titles)
        for item, news in zip(signals["report"]["ai"]["news"], model.ai.news, strict=True):
            item["title_translated"] = dict(news.title_translated)
    return narrative.texts


def _write_bundle(
    bundle: Path,
    assessment: Assessment,
    snapshot: Snapshot,
    model: ReportModel,
    *,
    langs: Sequence[str],
    charts: bool,
    png: bool,
    score_history: pd.Series | None,
    narrative: NarrativeResult | None,
    use_llm: bool,
    author: str,
    template_dir: Path | None,
    strict: bool,
    meanwhile: Callable[[], object] | None,
) -> None:
    """Charts (drawn in other processes meanwhile), `signals.json` and one page per language."""
    pending_charts = None
    if charts:
        from signaldesk.report.charts import start_charts

        if score_history is None:
            from signaldesk.report.scores import recent_scores

            score_history = recent_scores(snapshot.history, model.as_of)
        pending_charts = start_charts(bundle, model, snapshot, langs=langs, score_history=score_history, png=png)
        model.charts = pending_charts.files  # final names; the files are drawn in another process meanwhile
    signals = build_signals(assessment, model)
    texts: dict[str, dict[str, str]] = {}
    if narrative is None and use_llm:
        from signaldesk.report.narrative import generate_from_env

        narrative = generate_from_env(signals, langs)
    if narrative is not None:
        texts = _apply_narrative(narrative, model, signals)
    signals["narrative"] = {
        "source": model.narrative.source,
        "model": model.narrative.model,
        "reason": model.narrative.reason,
    }
    known = numbers.allowed(signals)
    for lang in langs:
        markdown = render_markdown(model, lang, narrative=texts.get(lang), template_dir=template_dir, author=author)
        bad = check_numbers(markdown, signals, known=known)
        if bad:
            message = f"{lang}: numbers not in signals.json: {', '.join(map(str, bad))}"
            if strict:
                raise ReportError(message)
            log.warning(message)
        (bundle / page_name(lang)).write_text(markdown, encoding="utf-8")
    (bundle / "signals.json").write_text(dumps(signals), encoding="utf-8")
    if meanwhile is not None:
        meanwhile()
    if pending_charts is not None:
        pending_charts.wait()
