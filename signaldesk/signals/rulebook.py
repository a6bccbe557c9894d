"""The rulebook: which indicators the engine judges, how, and how much each one counts.

The default rulebook is `rulebook.toml`, shipped in this package. A user file (same format) can
override a shipped rule by id (only the keys it sets change; `enabled = false` drops it), add new
rules, retune groups and score settings, or replace the default entirely with `extends = false`.
Every file is validated against `signals.schema`; a problem is raised as `RulebookError` naming
the file, the line (found in the TOML text: the TOML parser keeps no positions) and what is
wrong, because a user editing thresholds at 7 am needs to know where, not a pydantic traceback.

`python -m signaldesk.signals.rulebook --docs` regenerates the rule table in docs/rulebook.md.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from signaldesk.errors import RulebookError
from signaldesk.signals.levels_schema import LevelSettings, WatchSettings
from signaldesk.signals.schema import (  # noqa: F401  (re-exported: the rulebook's vocabulary)
    PLACEHOLDERS,
    Band,
    Classes,
    Classifier,
    Group,
    Input,
    PhaseSettings,
    Rule,
    Rulebook,
    ScoreSettings,
    Thresholds,
)

DEFAULT_PATH = Path(__file__).resolve().parent / "rulebook.toml"
DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "rulebook.md"


# -- loading -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Source:
    path: str
    text: str
    data: dict[str, Any]


_RULES_HEADER = re.compile(r"^\s*\[\[\s*rules\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[")


class _Locator:
    """Find the line of a key in the TOML text (best effort: the TOML parser keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def _rule_blocks(self) -> list[tuple[int, int]]:
        starts = [i for i, line in enumerate(self.lines) if _RULES_HEADER.match(line)]
        blocks = []
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(self.lines)
            for j in range(start + 1, end):
                line = self.lines[j]
                if _TABLE_HEADER.match(line) and not re.match(r"^\s*\[\s*rules\.", line):
                    end = j
                    break
            blocks.append((start, end))
        return blocks

    def rule_block(self, rule_id: str | None, index: int | None) -> tuple[int, int] | None:
        blocks = self._rule_blocks()
        if rule_id:
            pattern = re.compile(rf"^\s*id\s*=\s*[\"']{re.escape(rule_id)}[\"']")
            for start, end in blocks:
                if any(pattern.match(line) for line in self.lines[start:end]):
                    return start, end
        if index is not None and 0 <= index < len(blocks):
            return blocks[index]
        return None

    def table_block(self, header: str) -> tuple[int, int] | None:
        pattern = re.compile(rf"^\s*\[\s*{re.escape(header)}\s*\]")
        for i, line in enumerate(self.lines):
            if pattern.match(line):
                end = next(
                    (j for j in range(i + 1, len(self.lines)) if _TABLE_HEADER.match(self.lines[j])), len(self.lines)
                )
                return i, end
        return None

    def find(self, block: tuple[int, int] | None, loc: Iterable[Any]) -> int:
        """1-based line of the deepest key of `loc` found inside `block` (else the block's first line)."""
        if block is None:
            return 1
        start, end = block
        keys = [part for part in loc if isinstance(part, str)]
        indices = [part for part in loc if isinstance(part, int)]
        # A band: the n-th `{` after `bands =`.
        if keys[:1] == ["bands"] and indices:
            begin = next((i for i in range(start, end) if re.match(r"^\s*bands\s*=", self.lines[i])), None)
            if begin is not None:
                seen = -1
                for i in range(begin, end):
                    seen += self.lines[i].count("{")
                    if seen >= indices[0]:
                        return i + 1
        # Narrow down key by key: each key is searched from the line where the previous one was found.
        line = None
        position = start
        for key in keys:
            pattern = re.compile(rf"(^|[\s{{,.\[])\"?{re.escape(key)}\"?\s*(=|\]|\.)")
            hit = next((i for i in range(position, end) if pattern.search(self.lines[i])), None)
            if hit is None:
                break
            line = position = hit
        if line is not None:
            return line + 1
        return start + 1


def _read(path: Path) -> _Source:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulebookError(f"{path}: cannot read rulebook: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = found.group(1) if found else "?"
        raise RulebookError(f"{path}:{line}: invalid TOML: {exc}") from exc
    return _Source(str(path), text, data)


def _pinpoint(loc: tuple[Any, ...], msg: str) -> tuple[tuple[Any, ...], str]:
    """Model-level checks name their field as `@field.index message`: move it into the location."""
    msg = msg.removeprefix("Value error, ")
    found = re.match(r"@(\S+) (.*)", msg, flags=re.DOTALL)
    if found is None:
        return tuple(loc), msg
    extra = tuple(int(p) if p.isdigit() else p for p in found.group(1).split("."))
    return (*loc, *extra), found.group(2)


def _problem(loc: tuple[Any, ...], msg: str) -> str:
    loc, msg = _pinpoint(loc, msg)
    where = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc).replace(".[", "[")
    return f"{where}: {msg}" if where else msg


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Keys set in `override` win; nested tables merge (so a user can change one language's text)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, source: _Source, line: int, what: str) -> None:
        self.items.append(f"{source.path}:{line}: {what}")

    def raise_if_any(self) -> None:
        if self.items:
            more = f" (+{len(self.items) - 1} more problem(s))" if len(self.items) > 1 else ""
            error = RulebookError(self.items[0] + more)
            error.problems = list(self.items)  # type: ignore[attr-defined]
            raise error


_TOP_KEYS = {"version", "extends", "score", "levels", "watch", "groups", "rules", "classes", "phase", "thresholds"}


def _settings(sources: list[_Source], name: str, model: type[Any], problems: _Problems) -> Any:
    """A settings table (`[score]`, `[levels]`, `[watch]`) merged over every file, then validated."""
    merged: dict[str, Any] = {}
    for source in sources:
        merged = _merge(merged, source.data.get(name, {}))
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        source = next((s for s in reversed(sources) if name in s.data), sources[-1])
        loc = _Locator(source.text)
        for err in exc.errors():
            where, _ = _pinpoint(err["loc"], err["msg"])
            problems.add(source, loc.find(loc.table_block(name), where), _problem((name, *err["loc"]), err["msg"]))
        return model()


# A table merged over the files, and which file set each of its top-level keys (to point at the right line).
_Owned = tuple[dict[str, Any], dict[str, _Source]]
# A rule merged over the files, its owners, and its index in the last file that set it (to find its block).
_OwnedRule = tuple[dict[str, Any], dict[str, _Source], int]


def _build(sources: list[_Source]) -> Rulebook:
    problems = _Problems()
    groups: dict[str, _Owned] = {}
    rules: dict[str, _OwnedRule] = {}
    order: list[str] = []
    version = 1
    for source in sources:
        locator = _Locator(source.text)
        _check_top_keys(source, locator, problems)
        version = int(source.data.get("version", version))
        _merge_groups(source, groups)
        _merge_rules(source, locator, rules, order, problems)
    problems.raise_if_any()

    score_model = _settings(sources, "score", ScoreSettings, problems)
    level_model = _settings(sources, "levels", LevelSettings, problems)
    watch_model = _settings(sources, "watch", WatchSettings, problems)
    class_model = _settings(sources, "classes", Classes, problems)
    phase_model = _settings(sources, "phase", PhaseSettings, problems)
    threshold_model = _settings(sources, "thresholds", Thresholds, problems)

    group_models = _validate_groups(groups, sources[-1], problems)
    rule_models = _validate_rules(rules, order, set(groups), sources[-1], problems)
    problems.raise_if_any()
    if not rule_models:
        problems.add(sources[-1], 1, "the rulebook has no enabled rules")
        problems.raise_if_any()
    try:
        return Rulebook(
            version=version,
            score=score_model,
            levels=level_model,
            watch=watch_model,
            groups=group_models,
            rules=tuple(rule_models),
            classes=class_model.root,
            phase=phase_model,
            thresholds=threshold_model,
            files=tuple(s.path for s in sources),
        )
    except ValidationError as exc:  # cross-table checks (a phase class its rule lacks)
        source = next((s for s in reversed(sources) if "phase" in s.data), sources[-1])
        loc = _Locator(source.text)
        problems.add(source, loc.find(loc.table_block("phase"), []), _problem((), exc.errors()[0]["msg"]))
        problems.raise_if_any()
        raise


def _check_top_keys(source: _Source, locator: _Locator, problems: _Problems) -> None:
    """Flag unknown top-level keys: a typo there (`rule` for `rules`) would otherwise be silently ignored."""
    for key in sorted(set(source.data) - _TOP_KEYS):
        problems.add(source, locator.find((0, len(locator.lines)), [key]), f"unknown top-level key {key!r}")


def _merge_groups(source: _Source, groups: dict[str, _Owned]) -> None:
    """Merge this file's `[groups.*]` tables over the earlier files', remembering which file set each key."""
    for name, table in (source.data.get("groups") or {}).items():
        merged, owners = groups.get(name, ({}, {}))
        groups[name] = (_merge(merged, table), {**owners, **{k: source for k in table}})


def _merge_rules(
    source: _Source, locator: _Locator, rules: dict[str, _OwnedRule], order: list[str], problems: _Problems
) -> None:
    """Merge this file's `[[rules]]` by id over the earlier files' (new ids keep file order).

    Each rule keeps its index in the file that last touched it, so a validation error can find its block.
    """
    raw_rules = source.data.get("rules", [])
    if not isinstance(raw_rules, list):
        problems.add(source, 1, "`rules` must be an array of tables ([[rules]])")
        return
    seen_here: set[str] = set()
    for index, raw in enumerate(raw_rules):
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(rule_id, str):
            line = locator.find(locator.rule_block(None, index), [])
            problems.add(source, line, f"rules[{index}]: every rule needs a string `id`")
            continue
        if rule_id in seen_here:
            line = locator.find(locator.rule_block(None, index), ["id"])
            problems.add(source, line, f"rule {rule_id!r} is defined twice in this file")
            continue
        seen_here.add(rule_id)
        if rule_id in rules:
            merged, owners, _ = rules[rule_id]
            rules[rule_id] = (_merge(merged, raw), {**owners, **{k: source for k in raw}}, index)
        else:
            rules[rule_id] = (dict(raw), {k: source for k in raw}, index)
            order.append(rule_id)


def _owner_of(owners: dict[str, _Source], loc: tuple[Any, ...], fallback: _Source) -> _Source:
    """The file that set the top-level key of `loc`, so an error points into the file the user must edit."""
    top = next((p for p in loc if isinstance(p, str)), None)
    return owners[top] if top is not None and top in owners else next(iter(owners.values()), fallback)


def _validate_groups(groups: dict[str, _Owned], fallback: _Source, problems: _Problems) -> dict[str, Group]:
    """Validate each merged group; each problem names the file and line of the offending key."""
    group_models: dict[str, Group] = {}
    for name, (table, owners) in groups.items():
        try:
            group_models[name] = Group.model_validate(table)
        except ValidationError as exc:
            for err in exc.errors():
                source = _owner_of(owners, err["loc"], fallback)
                loc = _Locator(source.text)
                problems.add(
                    source,
                    loc.find(loc.table_block(f"groups.{name}"), err["loc"]),
                    _problem(("groups", name, *err["loc"]), err["msg"]),
                )
    return group_models


def _validate_rules(
    rules: dict[str, _OwnedRule], order: list[str], group_names: set[str], fallback: _Source, problems: _Problems
) -> list[Rule]:
    """Validate the enabled rules in file order, each against the schema and the known groups."""
    rule_models: list[Rule] = []
    for rule_id in order:
        raw, owners, index = rules[rule_id]
        if raw.get("enabled", True) is False:
            continue
        try:
            rule = Rule.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                where, _ = _pinpoint(err["loc"], err["msg"])
                source = _owner_of(owners, where, fallback)
                loc = _Locator(source.text)
                block = loc.rule_block(rule_id, index)
                problems.add(source, loc.find(block, where), f"rule {rule_id!r}: {_problem(err['loc'], err['msg'])}")
            continue
        if rule.group not in group_names:
            source = _owner_of(owners, ("group",), fallback)
            loc = _Locator(source.text)
            known = ", ".join(sorted(group_names))
            problems.add(
                source,
                loc.find(loc.rule_block(rule_id, index), ["group"]),
                f"rule {rule_id!r}: group: unknown group {rule.group!r} (known: {known})",
            )
            continue
        rule_models.append(rule)
    return rule_models


def load_rulebook(path: str | Path | None = None) -> Rulebook:
    """The shipped rulebook, merged with the user file at `path` when one is given.

    A user file with `extends = false` at the top replaces the shipped rulebook instead.
    """
    if path is None:
        return default_rulebook()
    user = _read(Path(path))
    if user.data.get("extends", True) is False:
        return _build([user])
    return _build([_read(DEFAULT_PATH), user])


@cache
def default_rulebook() -> Rulebook:
    """The shipped rulebook (parsed once per process)."""
    return _build([_read(DEFAULT_PATH)])


def loads(text: str, *, name: str = "<string>", extends: bool = True) -> Rulebook:
    """Build a rulebook from TOML text (tests, docs), merged onto the shipped one by default."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise RulebookError(f"{name}:{found.group(1) if found else '?'}: invalid TOML: {exc}") from exc
    source = _Source(name, text, data)
    if not extends or data.get("extends", True) is False:
        return _build([source])
    return _build([_read(DEFAULT_PATH), source])


def markdown_table(rulebook: Rulebook, lang: str = "en") -> str:
    """The rule table of docs/rulebook.md, generated so the docs cannot lag the shipped rules."""
    rows = [
        "| id | group | input | transform | reading | weight | bands (value → state strength) |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in rulebook.rules:
        item = rule.inputs[0]
        source = f"`{item.metric}{':' + item.entity if item.entity else ''}`"
        if item.over:
            source += f" / `{item.over}`"
        for extra in rule.fallback:
            alt = f"`{extra.metric}{':' + extra.entity if extra.entity else ''}`" + (
                f" / `{extra.over}`" if extra.over else ""
            )
            source += f", else {alt}"
        spec = rule.transform_spec
        params = ", ".join(f"{p}={getattr(rule, p)}" for p in ("days", "window") if getattr(rule, p) is not None)
        transform = spec.name + (f"({params})" if params else "")
        bands = []
        lower = "−∞"
        for band in rule.bands:
            upper = "∞" if band.below is None else f"{band.below:g}"
            word = band.state if band.state == "neutral" else f"{band.state} {band.strength:g}"
            bands.append(f"[{lower}, {upper}) → {word}")
            lower = upper
        group = rule.group + ("" if rulebook.groups[rule.group].in_score else " (context)")
        rows.append(
            f"| `{rule.id}` | {group} | {source} | {transform} | {rule.reading} | {rule.weight:g} | {'; '.join(bands)} |"
        )
    return "\n".join(rows)


def write_docs(path: Path = DOCS_PATH) -> bool:
    """Replace the table between `<!-- rules:start -->` and `<!-- rules:end -->`; True when it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index("<!-- rules:start -->"), text.index("<!-- rules:end -->")
    updated = text[:start] + "<!-- rules:start -->\n" + markdown_table(default_rulebook()) + "\n" + text[end:]
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text


if __name__ == "__main__":
    if sys.argv[1:] != ["--docs"]:
        sys.exit("usage: python -m signaldesk.signals.rulebook --docs")
    print("docs/rulebook.md " + ("updated" if write_docs() else "already current"))
