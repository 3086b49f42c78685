"""Render every verdict as a Markdown card: cards/<subsystem>/<name>.md (+ .svg), cards/README.md.

    Workspace + outcomes --plan--> {path: bytes} --compare--> Differences --write--> cards/

The templates live in the repository's templates/ directory and are rendered with
jinja2 (StrictUndefined, autoescape off). Text from driver files is untrusted: it
reaches a card only through the escaping filters below (md_text, md_cell, md_code,
md_link, md_rel_link, md_paragraphs), and the environment's `finalize` refuses to print
anything that did not pass through one of them, so a template cannot forget to escape.

Cards depend on nothing but the files they are rendered from: no clock, no absolute
path, no machine. The jinja2 environment and its templates are built once per process.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from checker.chart import month_title, monthly_svg, quarterly, sparkline
from checker.errors import CheckerError, Problem
from checker.evaluate.direction import deciding, finding_value, sign
from checker.fsutil import is_regular, read_file
from checker.layout import CARDS_DIR, managed_files
from checker.model import Driver, Finding, Month, Signals, Source
from checker.schemas import VERDICTS

if TYPE_CHECKING:
    import jinja2

    from checker.consistency import Outcome
    from checker.policy import Policy

TEMPLATES_DIR = "templates"
CARD_TEMPLATE = "card.md.j2"
INDEX_TEMPLATE = "index.md.j2"
INDEX_FILE = f"{CARDS_DIR}/README.md"
REGENERATE = "driver-policy render"
MINUS = "−"  # U+2212, as the seed cards write removed lines


# -- escaping ------------------------------------------------------------------------


class Markdown(str):
    """Text that may be placed in a card as it is: escaped, or built by this module."""

    __slots__ = ()


# Characters that are never printed as they are: C0/C1 controls and the Unicode
# bidirectional overrides and isolates that can make a reviewer read text in an order
# other than the one the parser sees ("trojan source").
# Also the invisible characters that make two strings look alike or hide text from a
# reviewer: Arabic letter mark, zero-width space, non-joiner and joiner, word joiner and
# invisible operators, the byte-order mark, and the tag characters (U+E0000-U+E007F).
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
# What a code host turns into a notification or a link in a comment: @user and
# @org/team mentions and e-mail addresses (an `@` before a name), issue and pull-request
# references (#123, GH-123), and bare www. and scheme:// autolinks. In the pull-request
# comment a zero-width space (as an entity, which no evidence can hold: `&` is escaped)
# is put after the `@`, the `#`, `GH-`, `www` and the scheme, which keeps the text
# readable and makes it inert.
_LIVE = re.compile(r"@(?=[\w-])|#(?=[0-9])|\bGH-(?=[0-9])|\bwww(?=\.)|\b[A-Za-z]{2,10}(?=://)",
                   re.IGNORECASE)
_ZWSP = "&#8203;"
# What makes a line start a block: an ATX heading, a list item, a thematic break or a
# setext underline ('>', '*', '_', '`', '~', '<' and '|' are escaped everywhere anyway).
_LINE_START = re.compile(
    r"^(#{1,6}(?=[ \t]|$)|[-+](?=[ \t]|$)|[0-9]{1,9}(?=[.)]([ \t]|$))"
    r"|=+[ \t]*$|-[- \t]*$)"
)
# What is backslash-escaped outside code spans: the characters of emphasis, links and
# images, raw HTML and autolinks, tables, strikethrough, GitHub's math, code spans and
# the escape character itself; '&' where it would start an entity; '_' unless it is
# inside a word (snake_case cannot open or close emphasis). The string's ends, and the
# backticks of a neighbouring code span, count as outside a word.
_SPECIAL = re.compile(
    r"[\\*\[\]<>|~$`]"
    r"|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)"
    r"|(?<![^\W_])_|_(?![^\W_])"
)


def _one_line(text: str) -> str:
    text = _INVISIBLE.sub("\N{REPLACEMENT CHARACTER}", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def _escape_plain(text: str) -> str:
    """Backslash-escape the characters of text that Markdown would interpret."""
    return _SPECIAL.sub(lambda match: "\\" + match.group(), text)


def _code_spans(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_code, part): a run of n backticks closed by the next run of
    exactly n backticks is a code span, as CommonMark reads it; an unclosed run is text."""
    if "`" not in text:
        return [(False, text)] if text else []
    parts: list[tuple[bool, str]] = []
    runs = list(re.finditer(r"`+", text))
    position, index = 0, 0
    while index < len(runs):
        opening = runs[index]
        closing = next(
            (r for r in runs[index + 1 :] if len(r.group()) == len(opening.group())), None
        )
        if closing is None:
            index += 1
            continue
        if opening.start() > position:
            parts.append((False, text[position : opening.start()]))
        parts.append((True, text[opening.start() : closing.end()]))
        position = closing.end()
        index = runs.index(closing) + 1
    if position < len(text):
        parts.append((False, text[position:]))
    return parts


def _inert(text: str) -> str:
    return _LIVE.sub(lambda match: match.group() + _ZWSP, text)


@functools.lru_cache(maxsize=16384)  # labels, figures and "unknown" recur on every card
def escape_inline(text: str, *, line_start: bool, comment: bool = False) -> str:
    """One line of untrusted text as Markdown that renders as exactly that text.

    Balanced code spans (`like_this`) are kept: their content is literal in every
    Markdown reader, so they can hold no link and no HTML. A code span containing a
    pipe is escaped as text instead, because a pipe would end a table cell.
    """
    text = _one_line(text)
    out = []
    parts = _code_spans(text)
    for is_code, part in parts:
        if is_code and "|" not in part:
            out.append(part)  # literal: no mention, reference or link is made in code
        else:
            out.append(_inert(_escape_plain(part)) if comment else _escape_plain(part))
    result = "".join(out)
    if line_start:
        result = _LINE_START.sub(_escape_line_start, result, count=1)
    return result


def _escape_line_start(match: re.Match[str]) -> str:
    marker = match.group(1)
    if marker[0].isdigit():  # "2025. " would start an ordered list: escape what follows
        return marker + "\\"
    return "\\" + marker


def md_text(value: object) -> Markdown:
    """Untrusted text for a paragraph or a list item, on one line."""
    return Markdown(escape_inline(str(value), line_start=True))


def md_cell(value: object) -> Markdown:
    """Untrusted text for a table cell: pipes escaped, never more than one line."""
    return Markdown(escape_inline(str(value), line_start=False))


def _paragraphs(value: object) -> list[str]:
    """Blank-line separated paragraphs; one holding only a control character (NEL is
    whitespace to Python) is kept: it is shown as U+FFFD, not silently dropped."""
    parts = re.split(r"\n[ \t]*\n", str(value))
    return [p for p in parts if _INVISIBLE.sub("\N{REPLACEMENT CHARACTER}", p).strip()]


def md_paragraphs(value: object) -> Markdown:
    """Untrusted text of one or more paragraphs (separated by blank lines)."""
    paragraphs = _paragraphs(value)
    return Markdown("\n\n".join(md_text(p) for p in paragraphs))


def md_code(value: object) -> Markdown:
    """A code span holding value literally (also inside a table cell)."""
    text = _one_line(str(value))
    if not text:
        return Markdown("")
    if "|" in text:  # a pipe would end a table cell, and `\|` shows outside tables
        return md_cell(text)
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or text.startswith(" ") else ""
    return Markdown(f"{fence}{pad}{text}{pad}{fence}")


def safe_url(url: str) -> str | None:
    """An http(s) URL as a Markdown link destination, or None if it is not one.

    Checked again here (validation already refused other schemes): no whitespace or
    control characters, scheme http or https, a host. Characters that could end the
    destination or a table cell are percent-encoded.
    """
    if not url or any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return quote(url, safe="!#$%&'*+,/:;=?@~-._")


def md_link(text: object, url: object) -> Markdown:
    """[text](url) for an http(s) URL; the escaped text alone for anything else."""
    label = md_cell(text)
    destination = safe_url(str(url))
    if destination is None or not label:
        return label
    return Markdown(f"[{label}]({destination})")


def md_rel_link(text: object, target: str) -> Markdown:
    """A link to another file of this repository, relative to the card."""
    if ":" in target or target.startswith("/") or "\\" in target:
        raise ValueError(f"not a relative repository path: {target!r}")
    return Markdown(f"[{md_cell(text)}]({quote(target, safe='/._-+~')})")


def md_image(alt: object, target: str) -> Markdown:
    """An image stored beside the card."""
    link = md_rel_link(alt, target)
    return Markdown("!" + link)


def html_comment(value: object) -> Markdown:
    """A Markdown (HTML) comment holding trusted text, on one line."""
    text = _one_line(str(value)).replace("--", "- -").replace(">", "›")
    return Markdown(f"<!-- {text} -->")


def number(value: int) -> Markdown:
    """8987 -> 8,987 (as the seed cards write figures)."""
    return Markdown(f"{value:,}")


def points(value: float) -> Markdown:
    """A contribution to the score: +2, 0, −1."""
    if value == 0:
        return Markdown("0")
    text = f"{abs(value):g}"
    return Markdown(("+" if value > 0 else MINUS) + text)


def score(value: float) -> Markdown:
    """A score in running text: 7, 0, −7."""
    return Markdown(f"{value:g}".replace("-", MINUS))


def percent(value: float) -> Markdown:
    return Markdown(f"{round(value * 100)}%")


def _finalize(value: object) -> object:
    """Refuse to print what did not pass through an escaping filter (or is an int)."""
    if isinstance(value, Markdown) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(
        f"a template printed {value!r} ({type(value).__name__}) without an "
        "escaping filter (md_text, md_cell, md_code, md_link, ...)"
    )


def _comment_text(value: object) -> Markdown:
    return Markdown(escape_inline(str(value), line_start=True, comment=True))


def _comment_cell(value: object) -> Markdown:
    return Markdown(escape_inline(str(value), line_start=False, comment=True))


def _comment_paragraphs(value: object) -> Markdown:
    paragraphs = _paragraphs(value)
    return Markdown("\n\n".join(_comment_text(p) for p in paragraphs))


def _comment_code(value: object) -> Markdown:
    text = md_code(value)
    return text if text.startswith("`") or not text else _comment_cell(value)


def _comment_link(text: object, url: object) -> Markdown:
    label = _comment_cell(text)
    destination = safe_url(str(url))
    if destination is None or not label:
        return label
    return Markdown(f"[{label}]({destination})")


# The filters of the pull-request comment: the cards' escaping, and mentions, issue
# references and autolinks made inert (see _LIVE).
COMMENT_FILTERS: dict[str, Any] = {
    "md_text": _comment_text,
    "md_cell": _comment_cell,
    "md_code": _comment_code,
    "md_paragraphs": _comment_paragraphs,
    "md_link": _comment_link,
}


FILTERS: dict[str, Any] = {
    "md_text": md_text,
    "md_cell": md_cell,
    "md_code": md_code,
    "md_paragraphs": md_paragraphs,
    "md_link": md_link,
    "md_rel_link": md_rel_link,
    "md_image": md_image,
    "html_comment": html_comment,
    "number": number,
    "points": points,
    "percent": percent,
    "score": score,
}


@functools.lru_cache(maxsize=8)
def environment(templates: Path) -> jinja2.Environment:
    """One environment per templates directory and process (templates are cached in it).

    Templates come from the repository, so a pull request can change them: they run in
    jinja2's sandbox, which refuses access to Python internals (`__class__`, function
    globals, ...) and to anything that would modify the values they are given.
    """

    if not (templates / CARD_TEMPLATE).exists() or not (templates / INDEX_TEMPLATE).exists():
        raise CheckerError(
            f"{TEMPLATES_DIR}/: the templates {CARD_TEMPLATE} and {INDEX_TEMPLATE} are missing"
        )
    return sandboxed_environment(templates, _finalize, auto_reload=False,
                                 bytecode_cache=_bytecode_cache(templates.parent))


def sandboxed_environment(templates: Path, finalize: Callable[[object], object],
                          **options: Any) -> jinja2.Environment:
    """The settings every project template renders with: jinja2's immutable sandbox,
    strict undefined values, no autoescape (the escaping filters do it, and `finalize`
    refuses anything printed without one) and the project's filters."""
    import jinja2
    from jinja2 import sandbox

    env = sandbox.ImmutableSandboxedEnvironment(
        loader=_repository_loader()(templates),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize,
        **options,
    )
    env.filters.update(FILTERS)
    return env


MAX_TEMPLATE_BYTES = 1024 * 1024


@functools.cache
def _repository_loader() -> Callable[[Path], jinja2.BaseLoader]:
    import jinja2

    from checker.fsutil import FileAccessError, read_text

    class RepositoryLoader(jinja2.BaseLoader):
        """Templates read through the one door (checker.fsutil.read_file): a template,
        or a directory on its way, that is a symbolic link is refused (a link to
        `.git/config` would print it into a card), as is a FIFO or a file over
        MAX_TEMPLATE_BYTES. A refusal is a TemplateError at the template."""

        def __init__(self, directory: Path) -> None:
            self.directory = directory

        def get_source(self, environment: jinja2.Environment,
                       template: str) -> tuple[str, str, Callable[[], bool]]:
            parts = jinja2.loaders.split_template_path(template)  # refuses '..'
            path = self.directory.joinpath(*parts)
            shown = f"{TEMPLATES_DIR}/{'/'.join(parts)}"
            if not path.exists() and not path.is_symlink():
                raise jinja2.TemplateNotFound(template)
            try:
                source = read_text(path, shown, root=self.directory.parent,
                                   limit=MAX_TEMPLATE_BYTES)
            except FileAccessError as exc:
                raise TemplateError(Problem(shown, 1, 1, "", exc.reason,
                                            rule="template")) from None
            return source, str(path), lambda: True

    return RepositoryLoader


def _bytecode_cache(root: Path) -> jinja2.BytecodeCache | None:
    """Compiled templates kept beside the check cache, so a short run does not compile
    the card template again.

    A cache file is code that jinja2 runs (and unpickles), and the cache directory sits
    in the repository, where a pull request could add files. So the files are named by
    a hash keyed with the check cache's per-user secret (checker.cache, kept outside any
    repository): a planted file never has the name of one this process reads. A cache
    directory that is a symbolic link is not used.
    """
    import os

    from checker.cache import CACHE_DIR, code_signature, secret_key

    if os.environ.get("DRIVER_POLICY_NO_CACHE", "") not in ("", "0"):
        return None
    configured = os.environ.get("DRIVER_POLICY_CACHE_DIR")
    base = Path(configured) if configured else root / CACHE_DIR
    directory = base / "jinja"
    if (not configured and base.is_symlink()) or directory.is_symlink():
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _keyed_bytecode_cache()(str(directory), secret_key(), code_signature())


@functools.cache
def _keyed_bytecode_cache() -> Callable[[str, bytes, str], jinja2.BytecodeCache]:
    import hashlib

    import jinja2

    class KeyedBytecodeCache(jinja2.FileSystemBytecodeCache):
        """jinja2's file cache with file names that only this user can compute (a keyed
        hash under the cache's per-user secret), which change with the checker's code
        (compiled templates depend on the environment's options, not only on their
        source, which is all jinja2 checks)."""

        def __init__(self, directory: str, key: bytes, code: str) -> None:
            super().__init__(directory, "t-%s.cache")
            self._key, self._code = key[:64], code

        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            digest = hashlib.blake2b(key=self._key, digest_size=20)
            digest.update(f"{self._code}|{name}|{filename}".encode())
            return digest.hexdigest()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            """A cache that cannot be written (read-only, disk full) only costs time."""
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            """A damaged file (jinja2 only catches some damage) is a cache miss."""
            try:
                super().load_bytecode(bucket)
            except Exception:  # truncated or garbled: compile the template again
                bucket.reset()

    return KeyedBytecodeCache


# -- what a card shows ---------------------------------------------------------------


def card_path(driver: Driver) -> str:
    return f"{CARDS_DIR}/{driver.id}.md"


def chart_path(driver: Driver) -> str:
    return f"{CARDS_DIR}/{driver.id}.svg"


def verdict_line(driver: Driver, value: str, confidence: float) -> str:
    """The seed cards' one-line header: verdict, conf=, then the assessment inputs."""
    fields = [value, f"conf={confidence:.2f}"]
    if driver.hardware.last_sold is not None:
        fields.append(f"last_sold={driver.hardware.last_sold}")
    fields += [
        f"deploy={driver.deployment}",
        f"replacement={driver.replacement.status}",
        f"subsystem={driver.subsystem}",
        f"category={driver.category}",
    ]
    return " ".join(fields)


def probe_rows(findings: Sequence[Finding], value: str) -> list[dict[str, Any]]:
    """Every probe: those that decided first (largest first), then those against the
    verdict, then those that gave nothing, and the unknown ones last."""
    first = deciding(findings, value)
    names = {f.probe for f in first}
    direction = sign(value)

    def group(f: Finding) -> int:
        if f.probe in names:
            return 0
        if f.contribution * direction < 0:
            return 1
        return 2 if f.known else 3

    rest = sorted(
        (f for f in findings if f.probe not in names),
        key=lambda f: (group(f), -abs(f.contribution), f.probe),
    )
    return [
        {
            "probe": f.probe,
            "value": finding_value(f),
            "points": f.contribution,
            "reason": f.reason,
            "deciding": f.probe in names,
        }
        for f in first + rest
    ]


def _unknown(value: object, text: str = "unknown") -> str:
    return text if value is None else str(value)


def signal_rows(signals: Signals) -> list[tuple[str, str]]:
    """(label, value) pairs, unknown values said as such."""
    months = signals.months
    share = round(100 * signals.active_months / months) if months else 0
    if signals.substantive_commits is None and signals.mechanical_commits is None:
        split = "unknown (not split)"
    else:
        split = (
            f"{_unknown(signals.substantive_commits)} substantive / "
            f"{_unknown(signals.mechanical_commits)} mechanical"
        )
    broken = signals.depends_on_broken
    dates = " / ".join(
        _unknown(d)
        for d in (signals.first_commit, signals.last_commit, signals.last_substantive_commit)
    )
    rows = [
        ("Window", f"{signals.window_start} → {signals.window_end} ({months} months)"),
        ("Files", f"{signals.files:,}"),
        ("Source lines", f"{signals.source_lines:,}"),
        ("Commits", f"{signals.commits:,}"),
        ("Substantive / mechanical commits", split),
        ("Lines added / removed", f"+{signals.lines_added:,} / {MINUS}{signals.lines_removed:,}"),
        ("Authors", f"{signals.authors:,}"),
        ("Active months", f"{signals.active_months} of {months} ({share}%)"),
        ("Last month with commits", signals.last_active_month() or "none in the window"),
        ("First / last / last substantive commit", dates),
        ("Device ids", _unknown(signals.device_ids)),
        ("Depends on BROKEN", "unknown" if broken is None else ("yes" if broken else "no")),
        ("MAINTAINERS entry", _unknown(signals.maintainers_entry)),
        ("Kernel revision", _unknown(signals.kernel_rev, "not recorded")),
        ("Computed by", signals.computed_by),
    ]
    return rows


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_grid(monthly: Sequence[Month]) -> dict[str, Any]:
    """A calendar of the window: one row per month of the year, one column per year, each
    cell the month's commits and lines (empty outside the window), then the year's totals."""
    by_year: dict[str, dict[int, Month]] = {}
    for month in monthly:
        by_year.setdefault(month.month[:4], {})[int(month.month[5:7])] = month
    years = sorted(by_year)
    rows = []
    for number, name in enumerate(MONTH_NAMES, start=1):
        cells = []
        for year in years:
            m = by_year[year].get(number)
            if m is None:
                cells.append("")
            elif m.commits or m.added or m.removed:
                cells.append(f"{m.commits} (+{m.added:,} {MINUS}{m.removed:,})")
            else:
                cells.append("0")
        rows.append({"month": name, "cells": cells})
    commits = [sum(m.commits for m in by_year[y].values()) for y in years]
    lines = [
        f"+{sum(m.added for m in by_year[y].values()):,} "
        f"{MINUS}{sum(m.removed for m in by_year[y].values()):,}"
        for y in years
    ]
    return {"years": years, "rows": rows, "commits": commits, "lines": lines}


def source_rows(sources: Sequence[Source]) -> list[dict[str, Any]]:
    rows = []
    for number, source in enumerate(sources, start=1):
        rows.append(
            {
                "number": number,
                "domain": source.domain,
                "url": source.url,
                "domain_only": source.domain_only,
                "date": str(source.date) if source.date is not None else "undated",
                "retrieved": str(source.retrieved) if source.retrieved is not None else None,
                "claim": source.claim,
            }
        )
    return rows


def refs(numbers: Sequence[int]) -> str:
    """Source numbers as the card lists them: 'source 1', 'sources 1, 2'."""
    if not numbers:
        return ""
    word = "source" if len(numbers) == 1 else "sources"
    return f"{word} " + ", ".join(str(n) for n in numbers)


def input_rows(driver: Driver) -> list[tuple[str, str]]:
    hw = driver.hardware
    sold = {True: "yes", False: "no", None: "unknown"}[hw.sold_new]
    replacement = driver.replacement.status
    if driver.replacement.by:
        replacement += f": {driver.replacement.by}"
    rows = [
        ("Deployment", driver.deployment),
        ("Hardware", hw.kind),
        ("Still sold new", sold),
        ("Last sold", _unknown(hw.last_sold)),
        ("Replacement", replacement),
    ]
    if driver.replacement.note:
        rows.append(("Replacement note", driver.replacement.note))
    rows += [
        ("MAINTAINERS status", driver.maintainers_status),
        ("Kconfig", ", ".join(driver.kconfig) if driver.kconfig else "none recorded"),
        ("Granularity", driver.granularity),
    ]
    if driver.granularity_note:
        rows.append(("Granularity note", driver.granularity_note))
    paths = ", ".join(driver.include)
    if driver.exclude:
        paths += " (excluding " + ", ".join(driver.exclude) + ")"
    rows.append(("Paths", paths))
    facts = driver.kernel_facts
    if facts is not None:  # recorded by hand, with sources (no signals needed)
        cited = f" ({refs(facts.sources)})"
        if facts.depends_on_broken is not None:
            rows.append(("Depends on BROKEN", ("yes" if facts.depends_on_broken else "no")
                         + cited))
        if facts.device_ids is not None:
            rows.append(("Device ids", f"{facts.device_ids}{cited}"))
        if facts.maintainers_entry is not None:
            rows.append(("MAINTAINERS entry", f"{facts.maintainers_entry}{cited}"))
    return rows


def decided(outcome: Outcome, policy: Policy) -> dict[str, Any]:
    verdict = outcome.computed
    rules = {rule.id: rule for rule in policy.rules}
    thresholds = policy.thresholds
    bands = "; ".join(f"{name} ≥ {score(thresholds[name])}" for name in VERDICTS[:-1])
    bands += f"; remove below {score(thresholds[VERDICTS[-2]])}"
    rule = rules.get(verdict.rule) if verdict.rule != "score" else None
    held = []
    for rule_id in verdict.rules_held:
        held_rule = rules.get(rule_id)
        if held_rule is None:
            continue
        effect = {"verdict": "sets", "at_most": "at most", "at_least": "at least"}
        held.append(
            {
                "id": rule_id,
                "effect": f"{effect[held_rule.effect]} {held_rule.target}",
                "why": held_rule.why,
                "decided": rule_id == verdict.rule,
            }
        )
    return {
        "by_rule": rule is not None,
        "rule_id": verdict.rule,
        "rule_effect": (
            {
                "verdict": "sets the verdict to",
                "at_most": "caps the verdict at",
                "at_least": "raises the verdict to",
            }[rule.effect]
            + " "
            + rule.target
        )
        if rule
        else "",
        "rule_why": rule.why if rule else "",
        "score": verdict.score,
        "score_verdict": verdict.score_verdict,
        "bands": bands,
        "held": held,
    }


def confidence_rows(outcome: Outcome) -> list[dict[str, Any]]:
    return [
        {"part": part, "value": f"{value:.3f}", "weight": f"{weight:g}"}
        for part, value, weight in outcome.computed.confidence_parts
    ]


def card_context(outcome: Outcome, policy: Policy, *, sealed: bool = False) -> dict[str, Any]:
    driver, verdict = outcome.driver, outcome.computed
    signals = driver.signals
    name = driver.id.rsplit("/", 1)[-1]
    recorded = driver.verdict
    override = recorded.override if recorded else None
    header = generated_header([driver.file, policy.file, f"{TEMPLATES_DIR}/{CARD_TEMPLATE}"])
    context: dict[str, Any] = {
        "header": header + (f" {SEAL_MARK}{UNSEALED}" if sealed else ""),
        "driver": driver,
        "name": name,
        "verdict": verdict,
        "effective": outcome.effective,
        "overridden": outcome.overridden,
        "override": override,
        "recorded": recorded,
        "mismatch": recorded is not None
        and not driver.draft
        and not outcome.overridden
        and recorded.value != verdict.value,
        "draft": driver.draft,
        "unfinished": list(driver.unfinished),
        "needs_review": recorded is not None and recorded.needs_review,
        "policy_label": policy.label,
        "policy_file": policy.file,
        "verdict_line": verdict_line(driver, outcome.effective, verdict.confidence),
        "decided": decided(outcome, policy),
        "probes": probe_rows(verdict.findings, verdict.value),
        "confidence_rows": confidence_rows(outcome),
        "evidence_link": f"../../{driver.file}",
        "index_link": "../README.md",
        "inputs": input_rows(driver),
        "upstream": [
            {
                "date": str(u.date),
                "action": u.action,
                "tree": u.tree,
                "kernel": u.kernel,
                "commit": u.commit,
                "subject": u.subject,
                "summary": u.summary,
                "refs": refs(u.sources),
            }
            for u in driver.upstream
        ],
        "users": [
            {"date": str(r.date), "who": r.who, "claim": r.claim, "refs": refs(r.sources)}
            for r in driver.users_reported
        ],
        "sources": source_rows(driver.sources),
        "signals": signals,
    }
    if signals is not None:
        context.update(
            {
                "signal_rows": signal_rows(signals),
                "chart": f"{name}.svg",
                "chart_alt": chart_caption(driver, signals),
                "sparkline": sparkline([m.commits for m in signals.monthly]),
                "activity": activity_line(signals),
                "grid": month_grid(signals.monthly),
            }
        )
    return context


def activity_line(signals: Signals) -> str:
    return (
        f"{signals.window_start} → {signals.window_end} · {signals.commits:,} commits · "
        f"active in {signals.active_months}/{signals.months} months"
    )


def chart_caption(driver: Driver, signals: Signals) -> str:
    return f"Monthly commits to {driver.path}, {activity_line(signals)}"


def generated_header(sources: Sequence[str]) -> str:
    return (
        f"Generated by `{REGENERATE}` from "
        + ", ".join(sources)
        + f". Do not edit by hand: change those files and run `{REGENERATE}`."
    )


def render_card(
    templates: Path, outcome: Outcome, policy: Policy, inputs: str | None = None
) -> str:
    """The card; with `inputs` (see inputs_digest) it is sealed: its header records a
    digest of its inputs and of itself, so `check` can trust it without rendering it."""
    text = render_template(environment(templates), templates, CARD_TEMPLATE,
                           card_context(outcome, policy, sealed=inputs is not None))
    return text if inputs is None else seal(text, inputs)


# -- seals: a generated file that proves it is current -------------------------------
#
# `check` must tell whether every card is what `render` would write. Rendering all of
# them to compare costs more than the rest of a check, so a card (and a chart) records
# in its header comment one digest: of the digest of its inputs (the driver file's path
# and bytes, the policy, the templates, the package version and RENDER_FORMAT) and of
# its own bytes with that digest blanked. A card whose seal verifies for the current
# inputs is current unless someone forged the seal; a hand-edited card fails it and is
# rendered to be compared. `render --check` always renders everything.

RENDER_FORMAT = "1"  # raise when the rendering code changes what a card says
SEAL_MARK = "Seal: "
UNSEALED = "0" * 32
_SEAL_RE = re.compile(rb"Seal: ([0-9a-f]{32})")


def inputs_key(templates: Path, policy_bytes: bytes) -> str:
    """What every card depends on besides its driver file."""
    import hashlib

    from checker import __version__

    hasher = hashlib.blake2b(digest_size=16)
    for part in (__version__.encode(), RENDER_FORMAT.encode(), policy_bytes):
        hasher.update(len(part).to_bytes(8, "big") + part)
    if templates.is_dir():
        from checker.fsutil import FileAccessError, read_file

        root = templates.parent
        # every entry that is not a directory, links included: a link or a special file
        # is refused as the template loader refuses it (a TemplateError at the file)
        for path in sorted(p for p in templates.rglob("*") if not p.is_dir() or p.is_symlink()):
            rel = path.relative_to(root).as_posix()
            try:
                data = read_file(path, rel, root=root)
            except FileAccessError as exc:
                raise TemplateError(Problem(rel, 1, 1, "", exc.reason, rule="template")) from None
            for part in (path.relative_to(templates).as_posix().encode(), data):
                hasher.update(len(part).to_bytes(8, "big") + part)
    return hasher.hexdigest()


def inputs_digest(key: str, rel: str, raw: bytes) -> str:
    """The inputs of one driver's card and chart: `key` (inputs_key), its path, its bytes."""
    import hashlib

    hasher = hashlib.blake2b(digest_size=16)
    for part in (key.encode(), rel.encode(), raw):
        hasher.update(len(part).to_bytes(8, "big") + part)
    return hasher.hexdigest()


def inputs_of(templates: Path, policy_bytes: bytes, drivers: Mapping[str, bytes]) -> dict[str, str]:
    """inputs_digest of each driver file (path -> bytes), for plan()."""
    key = inputs_key(templates, policy_bytes)
    return {rel: inputs_digest(key, rel, raw) for rel, raw in drivers.items()}


def _seal_of(inputs: str, blanked: bytes) -> str:
    import hashlib

    return hashlib.blake2b(inputs.encode() + b"\0" + blanked, digest_size=16).hexdigest()


def seal(text: str, inputs: str) -> str:
    """`text` with its seal filled in (text without a blank seal is returned as it is)."""
    blank = SEAL_MARK + UNSEALED
    if blank not in text:
        return text
    return text.replace(blank, SEAL_MARK + _seal_of(inputs, text.encode()), 1)


def sealed(data: bytes, inputs: str) -> bool:
    """Whether `data` carries a valid seal for `inputs`: it is what render would write."""
    match = _SEAL_RE.search(data)
    if match is None:
        return False
    blanked = data[: match.start(1)] + UNSEALED.encode() + data[match.end(1) :]
    return _seal_of(inputs, blanked) == match.group(1).decode()


class TemplateError(CheckerError):
    """A template that cannot be rendered, with where and why (a Problem)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.problem = problem


def render_template(env: jinja2.Environment, templates: Path, name: str,
                    context: Mapping[str, Any]) -> str:
    """Render templates/`name`; a template that does not compile or fails while
    rendering (a syntax error, an undefined name, an unescaped value, something the
    sandbox refuses, an error in its own expressions) is a TemplateError at its line."""
    import jinja2

    try:
        result: str = env.get_template(name).render(context)
    except CheckerError:
        raise
    except (jinja2.TemplateError, ArithmeticError, AssertionError, AttributeError,
            LookupError, RecursionError, TypeError, ValueError) as exc:
        # AssertionError: jinja2's own filters assert on their arguments (truncate(-5))
        raise TemplateError(template_problem(templates, name, exc)) from None
    return result


def template_problem(templates: Path, name: str, exc: BaseException) -> Problem:
    """Where in which template `exc` happened (the innermost template frame), and what."""
    import traceback

    import jinja2

    where, line = name, 1
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where, line = exc.name or name, exc.lineno or 1
    else:  # jinja2 rewrites the traceback: template frames carry the template's lines
        bases = {str(templates) + "/", str(templates.resolve()) + "/"}
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            filename = frame.f_code.co_filename
            base = next((b for b in bases if filename.startswith(b)), None)
            if base is not None:
                where, line = filename[len(base):], lineno
    if isinstance(exc, jinja2.TemplateNotFound):
        reason = f"template {exc.name!r} not found in {TEMPLATES_DIR}/"
    elif isinstance(exc, RecursionError):
        reason = "templates include or call each other without end"
    else:
        text = str(getattr(exc, "message", None) or exc).strip()
        reason = text.splitlines()[0] if text else type(exc).__name__
    return Problem(f"{TEMPLATES_DIR}/{where}", max(line, 1), 1, "",
                   f"cannot render the template: {reason}", rule="template")


def render_chart(outcome: Outcome, inputs: str | None = None) -> str | None:
    driver = outcome.driver
    signals = driver.signals
    if signals is None:
        return None
    peak = max((m for m in signals.monthly), key=lambda m: (m.commits, m.month), default=None)
    busiest = f"; the busiest month was {month_title(peak)}" if peak and peak.commits else ""
    description = (
        f"Bar chart of commits per month to {driver.path} from "
        f"{signals.monthly[0].month} to {signals.monthly[-1].month}: "
        f"{signals.commits:,} commits, active in {signals.active_months} of "
        f"{signals.months} months{busiest}."
    )
    comment = (
        f"Generated by {REGENERATE} from {driver.file} (signals.monthly). Do not edit "
        f"by hand: change that file and run {REGENERATE}."
        + (f" {SEAL_MARK}{UNSEALED}" if inputs is not None else "")
    )
    svg = monthly_svg(
        signals.monthly,
        caption=f"Monthly commits · {activity_line(signals)}",
        description=description,
        comment=comment,
    )
    return svg if inputs is None else seal(svg, inputs)


def index_row(outcome: Outcome) -> dict[str, Any]:
    """What the index shows of one driver: plain data (picklable), so that a pipeline can
    compute rows in worker processes and render the index from them."""
    driver = outcome.driver
    signals = driver.signals
    return {
        "id": driver.id,
        "subsystem": driver.subsystem,
        "name": driver.name,
        "effective": outcome.effective,
        "computed": outcome.computed.value,
        "overridden": outcome.overridden,
        "confidence": outcome.computed.confidence,
        "deployment": driver.deployment,
        "sparkline": sparkline(quarterly(signals.monthly)) if signals else None,
        "commits": signals.commits if signals else None,
        # a draft (status: draft) or no recorded verdict yet: a scaffold to finish
        "draft": driver.draft or driver.verdict is None,
    }


def index_context(rows: Sequence[Mapping[str, Any]], policy: Policy,
                  subsystem: str | None = None) -> dict[str, Any]:
    """The summary (cards/README.md, `subsystem` None) or one subsystem's index
    (cards/<subsystem>/README.md): no page lists every driver of a large tree."""
    ordered = sorted(rows, key=lambda r: str(r["id"]))
    every = ordered
    if subsystem is not None:
        ordered = [r for r in ordered if r["subsystem"] == subsystem]
    counts = Counter(str(r["effective"]) for r in ordered)
    subsystems: dict[str, Counter[str]] = {}
    for row in every:
        subsystems.setdefault(str(row["subsystem"]), Counter())[str(row["effective"])] += 1
    prefix = "" if subsystem is None else "../"
    linked = [{**r, "link": f"{prefix}{r['id']}.md" if subsystem is None
               else f"{str(r['id']).split('/', 1)[1]}.md"} for r in ordered]
    return {
        "header": generated_header(
            [
                f"drivers/{subsystem or '*'}/*.yaml ({len(ordered)} files)",
                policy.file,
                f"{TEMPLATES_DIR}/{INDEX_TEMPLATE}",
            ]
        ),
        "policy_label": policy.label,
        "subsystem": subsystem,
        "verdicts": [(v, counts.get(v, 0)) for v in VERDICTS],
        "total": len(ordered),
        "overrides": sum(1 for r in ordered if r["overridden"]),
        "subsystems": [
            (name, sum(c.values()), [c.get(v, 0) for v in VERDICTS])
            for name, c in sorted(subsystems.items())
        ],
        "verdict_names": VERDICTS,
        "rows": linked,
        "leaving": [r for r in linked if r["computed"] in ("deprecate", "remove")],
        "drafts": sum(1 for r in ordered if r.get("draft")),
        "draft_subsystems": sorted(Counter(str(r["subsystem"]) for r in ordered
                                           if r.get("draft")).items()),
    }


def render_index_rows(templates: Path, rows: Sequence[Mapping[str, Any]], policy: Policy,
                      ) -> dict[str, str]:
    """cards/README.md and cards/<subsystem>/README.md from index rows (see index_row)."""
    env = environment(templates)
    pages = {INDEX_FILE: render_template(env, templates, INDEX_TEMPLATE,
                                         index_context(rows, policy))}
    for subsystem in sorted({str(r["subsystem"]) for r in rows}):
        pages[f"{CARDS_DIR}/{subsystem}/README.md"] = render_template(
            env, templates, INDEX_TEMPLATE, index_context(rows, policy, subsystem))
    return pages


def render_index(templates: Path, outcomes: Sequence[Outcome], policy: Policy) -> str:
    """cards/README.md alone (the summary)."""
    return render_index_rows(templates, [index_row(o) for o in outcomes], policy)[INDEX_FILE]


def is_index(path: str) -> bool:
    return path == INDEX_FILE or (path.startswith(f"{CARDS_DIR}/") and path.endswith("/README.md"))


# -- planning, comparing, writing ---------------------------------------------------


def plan(
    templates: Path,
    outcomes: Sequence[Outcome],
    policy: Policy,
    inputs: Mapping[str, str],
    progress: Callable[[int], None] | None = None,
) -> dict[str, bytes]:
    """Every file `render` writes under cards/, by repository-relative path; `inputs`
    maps each driver file to its inputs_digest (the seal of its card and chart);
    `progress` is told of each card rendered (a bar on long runs)."""
    files: dict[str, bytes] = {}
    for outcome in outcomes:
        digest = inputs[outcome.driver.file]
        files[card_path(outcome.driver)] = render_card(templates, outcome, policy, digest).encode()
        chart = render_chart(outcome, digest)
        if chart is not None:
            files[chart_path(outcome.driver)] = chart.encode()
        if progress is not None:
            progress(1)
    for path, text in render_index_rows(templates, [index_row(o) for o in outcomes],
                                        policy).items():
        files[path] = text.encode()
    return dict(sorted(files.items()))


@dataclass(frozen=True)
class Difference:
    """One file of cards/ that is not what `render` would write."""

    path: str
    state: str  # "stale", "missing" or "orphaned"
    diff: str = ""  # a unified diff, for a stale file

    @property
    def kind(self) -> str:
        if is_index(self.path):
            return "card index"
        return "chart" if self.path.endswith(".svg") else "card"

    @property
    def message(self) -> str:
        return f"{self.kind} is {self.state}; run: {REGENERATE}"

    def __str__(self) -> str:
        return f"{self.path}:1:1: {self.message}"


def unified_diff(path: str, current: bytes, wanted: bytes) -> str:
    old = current.decode("utf-8", errors="replace").splitlines(keepends=True)
    new = wanted.decode("utf-8", errors="replace").splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, fromfile=f"a/{path}", tofile=f"b/{path}")
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def compare(
    root: Path, wanted: Mapping[str, bytes], ignore: Iterable[str] = ()
) -> list[Difference]:
    """What differs between cards/ on disk and `wanted`; paths in `ignore` are not judged.

    cards/ and the directories in it must be real directories (a CheckerError says which
    is not): a symbolic link there would make `render` read, write and remove files
    outside the repository. A card that is itself a symbolic link is stale and is not
    read (its target could be any file); `render` replaces the link with the card.
    """
    _refuse_linked_dirs(root, f"{CARDS_DIR}/")
    skip = set(ignore)
    out = []
    for rel, data in wanted.items():
        path = root / rel
        _refuse_linked_dirs(root, rel)
        if not path.exists() and not path.is_symlink():
            out.append(Difference(rel, "missing"))
            continue
        if not is_regular(path):  # a link, a FIFO, a directory: never read, replaced
            out.append(Difference(rel, "stale"))
            continue
        current = read_file(path, rel, root=root)
        if current != data:
            out.append(Difference(rel, "stale", unified_diff(rel, current, data)))
    for rel in managed_files(root):
        if rel not in wanted and rel not in skip:
            out.append(Difference(rel, "orphaned"))
    return sorted(out, key=lambda d: d.path)


def write(root: Path, differences: Iterable[Difference], wanted: Mapping[str, bytes]) -> None:
    """Bring cards/ in line: write stale and missing files atomically, remove orphans."""
    from checker.fsutil import write_atomic, write_error

    for difference in differences:
        path = root / difference.path
        _refuse_linked_dirs(root, difference.path)
        if difference.state == "orphaned":
            try:
                path.unlink()
            except FileNotFoundError:
                pass  # another render removed it first
            except OSError as exc:
                raise write_error(difference.path, exc) from None
            _remove_empty_dirs(path.parent, root / CARDS_DIR)
        else:
            if path.is_dir() and not path.is_symlink():
                raise CheckerError(f"{difference.path}: is a directory where the card "
                                   "belongs; remove it, then run: driver-policy render")
            write_atomic(path, wanted[difference.path], display=difference.path)


def _refuse_linked_dirs(root: Path, rel: str) -> None:
    """A CheckerError when a directory on the way from `root` to `rel` is a symbolic link
    (cards/ itself included)."""
    path = root
    for part in rel.split("/")[:-1]:
        path = path / part
        if path.is_symlink():
            raise CheckerError(
                f"{path.relative_to(root).as_posix()} is a symbolic link; {CARDS_DIR}/ must "
                "hold real directories only (render would write outside the repository): "
                "remove the link, then run: driver-policy render")
        if path.exists() and not path.is_dir():
            raise CheckerError(
                f"{path.relative_to(root).as_posix()}: is a file where {CARDS_DIR}/ needs a "
                "directory; remove it, then run: driver-policy render")


def _remove_empty_dirs(directory: Path, stop: Path) -> None:
    """Remove directories left empty, up to `stop`; another render removing or filling
    one at the same time is not an error."""
    import contextlib

    while directory != stop:
        with contextlib.suppress(OSError):
            if any(directory.iterdir()):
                return
        try:
            directory.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            return  # not empty any more, or not ours to remove: leave it
        directory = directory.parent


def unrenderable(root: Path, drivers: Sequence[Driver]) -> list[str]:
    """Card paths of driver files on disk that did not validate (their cards are kept)."""
    from checker.layout import relative
    from checker.repository import driver_files
    from checker.validate import driver_id

    valid = {d.id for d in drivers}
    out = []
    for path in driver_files(root):
        ident = driver_id(relative(root, path))
        if ident is not None and ident not in valid:
            out += [f"{CARDS_DIR}/{ident}.md", f"{CARDS_DIR}/{ident}.svg"]
    return out
