"""Hypothesis strategies for hostile input, and the oracles their results are checked with.

Used by tests/test_hostile.py, tests/test_fuzz.py and tests/test_faults.py:

- text: `hostile_text` (Markdown, HTML, `javascript:`/`data:` links, pipes, backticks,
  link-reference definitions, control and bidirectional characters, odd Unicode);
- documents: `driver_documents` draws a *valid* driver document as plain data (every
  cross-field rule holds); `to_yaml` writes one in a choice of styles;
- mutations: `mutated_documents` breaks a valid document (drop, retype, duplicate and
  reorder keys, odd Unicode and control characters, very long strings, deep nesting,
  raw byte and line edits);
- oracles: `run_pipeline` takes bytes through load -> validate -> evaluate -> render
  the way `check` does; `check_card` parses a card (CommonMark + GFM tables) and
  asserts that untrusted text made no HTML, no link, no image and no broken table.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from checker.validate import schemas

ROOT = Path(__file__).resolve().parent.parent
REL = "drivers/infiniband/fuzzed.yaml"  # where generated documents are loaded from
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])

# -- text ------------------------------------------------------------------------------

# Pieces of Markdown and HTML that would do something if they were not escaped.
FRAGMENTS = (
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b>", "</b>", "<!--", "-->",
    "<https://evil.example/>", "<javascript:alert(1)>", "[x](javascript:alert(1))",
    "[d](data:text/html;base64,PHNjcmlwdD4=)", "![i](https://evil.example/p.png)",
    "[ref]: https://evil.example/", '[r]: <javascript:x> "t"', "[ref]", "[x][ref]",
    "javascript:", "data:", "vbscript:", "http://", "https://", "www.evil.example",
    "mailto:a@b.c", "a@b.c", "|", "||", "| a | b |", "|---|", "`", "``", "```", "~~~", "\\",
    "\\|", "*", "**", "_", "__", "~~", "$", "$$", "#", "# ", "## ", "- ", "+ ", "* ", "1. ",
    "2) ", "> ", "---", "===", "&", "&amp;", "&lt;", "&#60;", "&#x3C;", "&#X3c;", "&nbsp;",
    "(", ")", "[", "]", "!", ":", "<", ">", '"', "'", "=", "\n", "\n\n", "\t", "    ", " ",
    "\r\n", "\x00", "\x07", "\x1b[2J", "\x7f", "\x85", "\u00a0", "\u200b", "\u200e", "\u202e",
    "\u2066", "\u2028", "\u2029", "\ufeff", "\ufffd", "e\u0301", "\U0001f600", "ǅ", "ﬁ",
    "-->", "]]>", "{{ x }}", "{% if %}", "%0A", "::error::x", "snake_case", "a_b_", "x",
    "word", "0.4", "2025", "drivers/net/x.c",
    # what GitHub links or notifies without markup (cmark-gfm's autolinks, mentions,
    # references), after the characters that let an autolink start
    "x_www.evil.example", "_https://evil.example/p", "*www.evil.example", "~www.evil.example",
    "(www.evil.example)", "x1https://evil.example", "ftp://evil.example", "FTP://e.example",
    "xmpp:a@b.example/r", "MAILTO:a@b.example", "eve@example.org", "a+b@c.example", "@octocat",
    "@org/team", "#12", "GH-12", "owner/repo#3",
    # invisible characters, by class: soft hyphen, fillers, variation selectors,
    # combining grapheme joiner, Mongolian vowel separator, bidi, tags, unassigned
    "\u00ad", "\u3164", "\u115f", "\uffa0", "\u2800", "\ufe0f", "\U000e0100", "\u034f",
    "\u180e", "\u061c", "\u2067", "\U000e0041", "\u0600", "\U0001d173", "\u17b4",
    "\u2065", "\ufff0",
)
_ODD = st.characters(
    blacklist_categories=("Cs",),  # lone surrogates cannot be written in UTF-8
)


def hostile_text(min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[str]:
    """Text made of dangerous fragments and odd characters."""
    piece = st.one_of(st.sampled_from(FRAGMENTS), st.text(_ODD, min_size=1, max_size=4))
    return st.lists(piece, min_size=min_size, max_size=max_size).map("".join)


_FOLDED = "\t\n\x0b\x0c\r\u2028\u2029"  # whitespace to Markdown: folded into one space


def visible(text: str) -> str:
    """What a card shows of untrusted text, for comparing with what a parser sees: NFC,
    hidden characters (checker.core.hidden, by Unicode class) as U+FFFD, and without
    whitespace or backticks (code spans drop their backticks and the spaces next to
    them)."""
    from checker.core.hidden import hidden

    text = unicodedata.normalize("NFC", text)
    text = "".join("\ufffd" if ch not in _FOLDED and hidden(ord(ch)) else ch for ch in text)
    return "".join(ch for ch in text if not ch.isspace() and ch != "`")


def shown(parsed: str) -> str:
    """visible() of what a parser read from a card or a comment: the zero-width spaces
    that escaping put in to break autolinks and mentions left out (untrusted text's own
    became U+FFFD)."""
    return visible(parsed.replace("\u200b", ""))


# -- valid driver documents -------------------------------------------------------------


@functools.cache
def default_categories() -> tuple[str, ...]:
    """The categories policies/default.yaml lists."""
    from ruamel.yaml import YAML

    policy = YAML(typ="safe", pure=True).load((ROOT / "policies/default.yaml").read_text())
    return tuple(policy["categories"]["names"])


def _text(max_size: int, hostile: bool) -> st.SearchStrategy[str]:
    words = st.text("abcdefghij klmnop", min_size=1, max_size=40)
    raw = st.one_of(words, hostile_text()) if hostile else words
    # a finished file holds no TODO text (docs/evidence.md, "Drafts")
    return raw.filter(lambda t: t != "").map(lambda t: t[:max_size].replace("TODO", "T0DO"))


_PATH_PART = st.text("abcdefghijklmnopqrstuvwxyzABC0123456789_.,+-", min_size=1, max_size=8) \
    .filter(lambda p: p not in (".", ".."))
KERNEL_PATHS = st.lists(_PATH_PART, min_size=1, max_size=4).map("/".join)
SYMBOLS = st.from_regex(r"\A[A-Z0-9_]{1,12}\Z").filter(lambda s: not s.startswith("CONFIG_"))


@st.composite
def partial_dates(draw: st.DrawFn, start: int = 1995, end: int = 2030,
                  until: date | None = None) -> Any:
    """A partial date; with `until`, one that starts no later (the evidence date)."""
    day = draw(st.dates(date(start, 1, 1), until or date(end, 12, 31)))
    form = draw(st.sampled_from(("year", "month", "day", "date")))
    if form == "date":
        return day  # an unquoted YYYY-MM-DD: a date
    return {"year": f"{day:%Y}", "month": f"{day:%Y-%m}", "day": f"{day:%Y-%m-%d}"}[form]


def _year_of(value: Any) -> int:
    return value.year if isinstance(value, date) else int(str(value)[:4])


@st.composite
def urls(draw: st.DrawFn, domain_only: bool = False) -> str:
    scheme = draw(st.sampled_from(("http", "https", "HTTPS")))
    host = draw(st.from_regex(r"\A[a-z0-9]{1,10}(\.[a-z0-9]{1,8}){0,2}\Z"))
    if domain_only:
        return f"{scheme}://{host}/"
    tail = draw(st.text("abcXYZ019-._~!$&'()*+,;=:@/?#%|[]^{}é", max_size=20))
    return f"{scheme}://{host}/{tail}"


@st.composite
def signals(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.dates(date(2000, 1, 1), date(2026, 1, 1)))
    end = start + timedelta(days=draw(st.integers(1, 800)))
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    counts = st.integers(0, 3000)
    monthly = [
        {"month": m, "commits": draw(st.integers(0, 40)), "added": draw(counts),
         "removed": draw(counts)}
        for m in months
    ]
    commits = sum(m["commits"] for m in monthly)
    data: dict[str, Any] = {
        "computed_by": draw(_text(500, True)),
        "kernel_rev": draw(st.one_of(st.none(), st.from_regex(r"\A[0-9a-f]{7,40}\Z"))),
        "window": {"start": start, "end": end},
        "files": draw(st.integers(0, 10**6)),
        "source_lines": draw(st.integers(0, 10**9)),
        "commits": commits,
    }
    if draw(st.booleans()):
        substantive = draw(st.integers(0, commits))
        data["substantive_commits"] = substantive
        data["mechanical_commits"] = commits - substantive
    data.update({
        "lines_added": sum(m["added"] for m in monthly),
        "lines_removed": sum(m["removed"] for m in monthly),
        "authors": draw(st.integers(0, 500)),
        "active_months": sum(1 for m in monthly if m["commits"]),
        "monthly": monthly,
    })
    if draw(st.booleans()):
        low = start if commits else date(1991, 1, 1)
        three = sorted(draw(st.lists(st.dates(low, end), min_size=3, max_size=3)))
        data["first_commit"], data["last_substantive_commit"], data["last_commit"] = three
    for key, value in (("device_ids", st.one_of(st.none(), st.integers(0, 5000))),
                       ("depends_on_broken", st.one_of(st.none(), st.booleans())),
                       ("maintainers_entry", st.one_of(st.none(), _text(500, True)))):
        if draw(st.booleans()):
            data[key] = draw(value)
    if draw(st.booleans()):  # written by collect (older files lack it)
        data["copyright_year"] = draw(st.one_of(st.none(), st.integers(1970, 2099)))
    if draw(st.booleans()):  # written by collect (older files lack it)
        data["id_entries"] = draw(st.one_of(st.none(), st.integers(0, 5000)))
    if draw(st.booleans()):  # written by collect when the tree says anything about usage
        counts = st.one_of(st.none(), st.integers(0, 5000))
        data["usage"] = draw(st.one_of(st.none(), st.fixed_dictionaries({
            "configs": counts, "configs_read": st.integers(0, 5000),
            "enabled_in": st.lists(_text(500, True), max_size=10), "selected": counts,
            "dt_users": counts, "deprecated": st.one_of(st.none(), st.booleans()),
            "staging": st.booleans()}, optional={  # older files lack configs_changed
                "configs_changed": st.one_of(st.none(), st.dates(date(1990, 1, 1),
                                                                 date(2030, 12, 31))),
                "tree_built": st.one_of(st.none(), st.floats(0, 1))})))
    return data


@st.composite
def driver_documents(draw: st.DrawFn, hostile: bool = True) -> dict[str, Any]:
    """A valid driver document for REL (subsystem infiniband), as plain data."""
    text, short = _text(20000, hostile), _text(500, hostile)
    collected = draw(st.one_of(st.none(), signals()))
    # with signals, no claim may be dated after their window's end (the evidence date)
    dates = partial_dates(until=collected["window"]["end"] if collected else None)
    sources = []
    for _ in range(draw(st.integers(1, 4))):
        only = draw(st.booleans())
        source: dict[str, Any] = {"url": draw(urls(domain_only=only))}
        if only or draw(st.booleans()):
            source["domain_only"] = only
        source["claim"] = draw(text)
        source["date"] = draw(st.one_of(st.none(), dates))
        if draw(st.booleans()):
            source["retrieved"] = draw(partial_dates())
        sources.append(source)
    refs = st.lists(st.integers(1, len(sources)), min_size=1, max_size=3)
    upstream = []
    for _ in range(draw(st.integers(0, 3))):
        event: dict[str, Any] = {
            "action": draw(st.sampled_from(schemas.UPSTREAM_ACTIONS)),
            "date": draw(dates),
        }
        for key, value in (("tree", short), ("subject", short),
                           ("kernel", st.from_regex(r"\Av?[0-9]{1,2}\.[0-9]{1,2}(-rc[0-9])?\Z")),
                           ("commit", st.from_regex(r"\A[0-9a-f]{7,40}\Z"))):
            if draw(st.booleans()):
                event[key] = draw(st.one_of(st.none(), value))
        event["summary"] = draw(text)
        event["sources"] = draw(refs)
        upstream.append(event)
    users = [
        {"who": draw(short), "claim": draw(text), "date": draw(dates),
         "sources": draw(refs)}
        for _ in range(draw(st.integers(0, 3)))
    ]
    if collected is None and all(s["date"] is None for s in sources) and not upstream \
            and not users:
        sources[0]["date"] = draw(partial_dates())  # time must be measurable
    if collected is not None:
        year = collected["window"]["end"].year
    else:
        dated = [s["date"] for s in sources if s["date"] is not None]
        dated += [u["date"] for u in upstream]
        year = max((_year_of(d) for d in dated), default=9999)
    doc: dict[str, Any] = {
        "schema": 1,
        "name": draw(short),
        "subsystem": "infiniband",
        "category": draw(st.sampled_from(default_categories())),
        "path": draw(KERNEL_PATHS),
        "paths": {"include": draw(st.lists(KERNEL_PATHS, min_size=1, max_size=3))},
        "granularity": draw(st.sampled_from(schemas.GRANULARITY)),
    }
    if draw(st.booleans()):
        doc["paths"]["exclude"] = draw(st.lists(KERNEL_PATHS, max_size=2))
    if draw(st.booleans()):
        doc["granularity_note"] = draw(st.one_of(st.none(), text))
    doc["kconfig"] = draw(st.lists(SYMBOLS, max_size=3))
    doc["summary"] = draw(text)
    if draw(st.booleans()):
        doc["provenance"] = draw(st.one_of(st.none(), text))
    level = draw(st.sampled_from(schemas.DEPLOYMENT))
    refs = st.lists(st.integers(1, len(sources)), min_size=1, max_size=3)
    doc["deployment"] = draw(st.one_of(st.just(level), refs.map(
        lambda r: {"level": level, "sources": r}))) if sources else level
    doc["hardware"] = {
        "kind": draw(st.sampled_from(schemas.HARDWARE_KIND)),
        "sold_new": draw(st.sampled_from((True, False, "unknown"))),
        "last_sold": draw(st.one_of(st.none(), st.integers(1970, min(year, 2200)))),
    }
    replacement: dict[str, Any] = {"status": draw(st.sampled_from(schemas.REPLACEMENT_STATUS))}
    for key, value in (("by", short), ("note", text)):
        if draw(st.booleans()):
            replacement[key] = draw(st.one_of(st.none(), value))
    doc["replacement"] = replacement
    doc["maintainers_status"] = draw(st.sampled_from(schemas.MAINTAINERS_STATUS))
    doc["upstream"] = upstream
    doc["users_reported"] = users
    if collected is not None or draw(st.booleans()):
        doc["signals"] = collected
    doc["sources"] = sources
    verdict: dict[str, Any] = {"value": draw(st.sampled_from(schemas.VERDICTS))}
    if draw(st.booleans()):
        verdict["confidence"] = draw(st.one_of(
            st.none(), st.sampled_from((0, 1)),
            st.floats(0, 1, allow_nan=False).map(lambda f: round(f, 3))))
    verdict["recommendation"] = draw(text)
    if draw(st.booleans()):
        verdict["notes"] = draw(st.one_of(st.none(), text))
    if draw(st.booleans()):
        verdict["override"] = draw(st.one_of(st.none(), st.fixed_dictionaries({
            "verdict": st.sampled_from(schemas.VERDICTS), "reason": text, "by": short,
            "until": st.dates(date(2000, 1, 1), date(2100, 1, 1))})))
    doc["verdict"] = draw(st.one_of(st.just(verdict), st.just(verdict), st.none()))
    return doc


# -- writing YAML -----------------------------------------------------------------------


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes, plus escapes for what YAML will not
    take raw: C0/C1 controls, line and paragraph separators, U+FEFF, U+FFFE/U+FFFF)."""
    out = []
    for char in json.dumps(text, ensure_ascii=False)[1:-1]:
        code = ord(char)
        if code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029, 0xFEFF) \
                or code in (0xFFFE, 0xFFFF):
            out.append(f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        return text if "." in text or "e" in text else text + ".0"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return quoted(value)
    raise TypeError(f"cannot write {value!r}")


def to_yaml(data: Any, *, flow_from: int = 99) -> str:
    """YAML text for plain data: block style, and flow style (JSON-like) for collections
    nested `flow_from` levels or deeper. Keys are written as they are when plain."""
    lines: list[str] = []

    def flow(value: Any) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{key(k)}: {flow(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(flow(v) for v in value) + "]"
        return scalar(value)

    def key(k: Any) -> str:
        if isinstance(k, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) \
                and k not in ("null", "true", "false", "y", "n", "yes", "no", "on", "off"):
            return k
        return scalar(k) if not isinstance(k, (dict, list)) else flow(k)

    def block(value: Any, indent: int, depth: int) -> None:
        pad = " " * indent
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, (dict, list)) and v and depth + 1 < flow_from:
                    lines.append(f"{pad}{key(k)}:")
                    block(v, indent + 2, depth + 1)
                else:
                    lines.append(f"{pad}{key(k)}: {flow(v)}")
        else:
            for v in value:
                if isinstance(v, (dict, list)) and v and depth + 1 < flow_from:
                    lines.append(f"{pad}-")
                    block(v, indent + 2, depth + 1)
                else:
                    lines.append(f"{pad}- {flow(v)}")

    if isinstance(data, dict) and data:
        block(data, 0, 0)
        return "\n".join(lines) + "\n"
    return flow(data) + "\n"


@st.composite
def driver_yaml(draw: st.DrawFn, hostile: bool = True) -> tuple[dict[str, Any], bytes]:
    data = draw(driver_documents(hostile=hostile))
    text = to_yaml(data, flow_from=draw(st.sampled_from((1, 2, 3, 99))))
    if draw(st.booleans()):
        text = "# yaml-language-server: $schema=../../schema/driver.schema.json\n" + text
    return data, text.encode()


# -- mutations --------------------------------------------------------------------------

Path_ = tuple[Any, ...]


def _paths(data: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every key path in a document (its root excluded)."""
    items = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, list) else ()
    for k, v in items:
        yield (*prefix, k)
        yield from _paths(v, (*prefix, k))


def _get(data: Any, path: Path_) -> Any:
    for k in path:
        data = data[k]
    return data


def _copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.sampled_from((0, -1, 10**400)),
    st.floats(allow_nan=True, allow_infinity=True), st.dates(), hostile_text(),
    st.sampled_from(("", " ", "unknown", "null", "2025", "2025-13", "yes", "0x1F", "~")),
    st.lists(st.integers(-5, 5), max_size=3), st.dictionaries(st.sampled_from("abc"),
                                                               st.integers(), max_size=2),
)


@st.composite
def mutated_data(draw: st.DrawFn) -> Any:
    """A valid document with one to three data-level edits."""
    return mutate(draw, _copy(draw(driver_documents())))


@st.composite
def mutated_policies(draw: st.DrawFn) -> bytes:
    """The default policy with one to three data-level edits, as a candidate's text."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=False).load((ROOT / "policies/default.yaml").read_text())
    return to_yaml(mutate(draw, data), flow_from=draw(st.sampled_from((2, 3, 99)))).encode()


def mutate(draw: st.DrawFn, data: Any) -> Any:
    """One to three edits: drop, retype, reorder, rename or add a key, odd Unicode in a
    string, a very long string, deep nesting."""
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(data))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _get(data, path[:-1]), path[-1]
        kind = draw(st.sampled_from(("drop", "retype", "reorder", "unicode", "long", "deep",
                                     "extra", "rename")))
        if kind == "drop":
            del parent[last]
        elif kind == "retype":
            parent[last] = draw(ODD_VALUES)
        elif kind == "reorder" and isinstance(parent, dict):
            keys = draw(st.permutations(list(parent)))
            reordered = {k: parent[k] for k in keys}
            parent.clear()
            parent.update(reordered)
        elif kind == "unicode" and isinstance(parent[last], str):
            value = parent[last]
            at = draw(st.integers(0, len(value)))
            parent[last] = value[:at] + draw(hostile_text(1, 3)) + value[at:]
        elif kind == "long":
            parent[last] = draw(st.sampled_from(("x", "|", "<b>", "é", "\x07"))) * draw(
                st.sampled_from((501, 20001, 120_000)))
        elif kind == "deep":
            depth = draw(st.integers(5, 40))
            wrapped = parent[last]
            for level in range(depth):
                wrapped = [wrapped] if level % 2 else {"a": wrapped}
            parent[last] = wrapped
        elif kind == "extra" and isinstance(parent, dict):
            parent[draw(st.sampled_from(("sumary", "x", "schema2", "verdict_value", "é")))] = \
                draw(ODD_VALUES)
        elif kind == "rename" and isinstance(parent, dict):
            parent[str(last).upper()] = parent.pop(last)
    return data


YAML_JUNK = (
    "&a ", "*a", "!!python/object/apply:os.system ['id']", "!local ", "? ", "---", "...",
    "%YAML 1.1", "<<: *a", "\t", "- ", "{", "}", "[", "]", ": ", "#", "'", '"', "|", ">-",
    "@", "`", "%", "\ufeff", "\x00", "\x85", "\u2028", "a: &x [1]\nb: *x", "!!binary aGk=",
    "!!timestamp 2001-12-14t21:59:43.10-05:00", "2021-02-30", "0o17", ".nan", "1e400",
    "9" * 5000,
)


@st.composite
def mutated_text(draw: st.DrawFn) -> bytes:
    """A valid document's text with one to three byte- or line-level edits."""
    _, raw = draw(driver_yaml())
    for _ in range(draw(st.integers(1, 3))):
        lines = raw.split(b"\n")
        at = draw(st.integers(0, max(0, len(lines) - 1)))
        kind = draw(st.sampled_from(("dup-line", "del-line", "swap", "junk", "bytes", "cut",
                                     "indent", "dup-key")))
        if kind == "dup-line":
            lines.insert(at, lines[at])
        elif kind == "del-line":
            del lines[at]
        elif kind == "swap":
            other = draw(st.integers(0, max(0, len(lines) - 1)))
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "junk":
            junk = draw(st.sampled_from(YAML_JUNK)).encode()
            col = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:col] + junk + lines[at][col:]
        elif kind == "bytes":
            col = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:col] + draw(st.binary(min_size=1, max_size=4)) + lines[at][col:]
        elif kind == "cut":
            return b"\n".join(lines)[: draw(st.integers(0, len(raw)))]
        elif kind == "indent":
            lines[at] = draw(st.sampled_from((b" ", b"\t", b"   "))) + lines[at]
        elif kind == "dup-key":
            keyed = [i for i, line in enumerate(lines) if re.match(rb"^\s*[A-Za-z_]+:", line)]
            if keyed:
                index = draw(st.sampled_from(keyed))
                lines.insert(index + 1, lines[index])
        raw = b"\n".join(lines)
    return raw


def mutated_documents() -> st.SearchStrategy[bytes]:
    """Bytes from data-level or text-level mutations of valid documents."""
    return st.one_of(
        mutated_data().map(lambda d: to_yaml(d).encode()),
        mutated_text(),
    )


# -- oracles ----------------------------------------------------------------------------


def run_policy(raw: bytes) -> list[Any]:
    """A policy candidate through load and validate, then, when valid, every seed driver
    evaluated under it and its card rendered. Returns the candidate's problems."""
    from checker.evaluate.consistency import check_driver
    from checker.load.document import parse_document
    from checker.render.cards import render_card
    from checker.validate.policy import validate_policy

    doc, problems = parse_document(raw, "policies/candidate.yaml")
    if doc is None:
        return problems
    policy, problems = validate_policy(doc)
    if policy is None:
        return problems
    for driver in seed_drivers():
        outcome, _ = check_driver(driver, policy, date(2026, 11, 21), lambda _f, _k: (1, 1))
        check_card(render_card(ROOT / "templates", outcome, policy), driver)
    return []


@functools.cache
def seed_drivers() -> tuple[Any, ...]:
    from checker.validate.workspace import load_workspace

    return tuple(load_workspace(ROOT).drivers)


@dataclass
class Outcome:
    problems: list[Any]
    card: str | None = None
    chart: str | None = None
    driver: Any = None
    index: dict[str, str] | None = None  # cards/README.md and the subsystem's index


@functools.cache
def default_policy() -> Any:
    from checker.validate.workspace import load_workspace

    policy = load_workspace(ROOT).policy
    assert policy is not None
    return policy


def run_pipeline(raw: bytes, rel: str = REL) -> Outcome:
    """load -> validate -> evaluate (with the recorded-verdict check) -> render, as one
    driver file goes through `check`. Exceptions are not caught: none may escape."""
    from checker.evaluate.consistency import check_driver
    from checker.load.document import parse_document
    from checker.render.cards import render_card
    from checker.render.chart import render_chart
    from checker.render.index import index_row, render_index_rows
    from checker.validate.driver import validate_driver

    doc, problems = parse_document(raw, rel)
    if doc is None:
        return Outcome(problems)
    driver, problems = validate_driver(doc)
    if driver is None:
        return Outcome(problems)
    policy = default_policy()
    outcome, problems = check_driver(driver, policy, date(2026, 11, 21),
                                     lambda _f, keys: doc.locate(keys))
    templates = ROOT / "templates"
    card = render_card(templates, outcome, policy)
    index = render_index_rows(templates, [index_row(outcome)], policy)
    return Outcome(problems, card, render_chart(outcome), driver, index)


def check_problems(problems: list[Any], raw: bytes, rel: str = REL) -> None:
    """Every problem has a place in the file and says something."""
    lines = raw.count(b"\n") + 1
    for problem in problems:
        assert problem.path == rel, problem
        assert 1 <= problem.line <= lines + 1, (problem, lines)
        assert problem.col >= 1, problem
        assert problem.message.strip(), problem
        assert "Traceback" not in problem.message


def flat(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        yield from flat(token.children or [])


def tables(tokens: list[Token]) -> list[list[int]]:
    """For each table, the number of cells of each row (header first)."""
    out: list[list[int]] = []
    cells = 0
    for token in tokens:
        if token.type == "table_open":
            out.append([])
        elif token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            out[-1].append(cells)
    return out


def text_of(tokens: list[Token]) -> str:
    """The visible text of a parsed document (text and code spans)."""
    return "".join(t.content for t in flat(tokens) if t.type in ("text", "code_inline"))


CARD_H2 = ["Recommendation", "Why", "Evidence", "Repository signals", "Sources",
           "Reasoning notes"]


class _GfmReader:
    """Links and the text outside code of GitHub's rendering of a Markdown document."""

    def __init__(self, markdown: str) -> None:
        import html.parser

        import cmarkgfm
        from cmarkgfm.cmark import Options

        self.links: list[str] = []
        self.text: list[str] = []
        depth = {"code": 0}
        reader = self

        class Parser(html.parser.HTMLParser):
            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                if tag == "a":
                    reader.links.append(dict(attrs).get("href") or "")
                if tag in ("code", "pre"):
                    depth["code"] += 1

            def handle_endtag(self, tag: str) -> None:
                if tag in ("code", "pre"):
                    depth["code"] -= 1

            def handle_data(self, data: str) -> None:
                if not depth["code"]:
                    reader.text.append(data)

        parser = Parser(convert_charrefs=True)
        parser.feed(cmarkgfm.github_flavored_markdown_to_html(
            markdown, options=Options.CMARK_OPT_UNSAFE))
        parser.close()


# What GitHub turns into a notification or a reference in a comment's text.
NOTIFIES = re.compile(r"@[A-Za-z0-9-]|#[0-9]|GH-[0-9]", re.IGNORECASE)


def check_gfm(markdown: str, allowed: set[str], *, comment: bool = False) -> None:
    """GitHub's own renderer (cmark-gfm, with its autolink extension) makes no link of
    untrusted text but an http(s) one in a card, and none at all in a comment (where
    also no mention or issue reference is left in the text outside code)."""
    page = _GfmReader(markdown)
    for href in page.links:
        if href in allowed:
            continue
        assert not comment, f"a link in the comment: {href!r}"
        assert href.lower().startswith(("http://", "https://")), f"a link: {href!r}"
    if comment:
        text = "".join(page.text)
        assert not NOTIFIES.search(text), NOTIFIES.search(text)


def no_hidden(text: str) -> None:
    """No hidden character (checker.core.hidden) reached the reader: each became U+FFFD,
    or is a zero-width space that escaping put in."""
    from checker.core.hidden import hidden

    leaked = {ch for ch in text if ch not in " \n\u200b" and hidden(ord(ch))}
    assert not leaked, sorted(map(hex, map(ord, leaked)))


def check_card(card: str, driver: Any) -> list[Token]:
    """A card of `driver` parses into the structure the template gives it, whatever the
    driver file holds: only the generated-file comment is HTML, every link is one of the
    card's own (the evidence file, the index, the sources' http(s) addresses), the only
    image is the chart, headings are the template's, and every table row has as many
    cells as its header."""
    from checker.render.markdown import safe_url

    tokens = MD.parse(card)
    html = [t for t in flat(tokens) if t.type in ("html_block", "html_inline")]
    assert html == [tokens[0]] and tokens[0].content.startswith("<!-- Generated by"), html
    assert tokens[0].content.count("-->") == 1
    links = [str(t.attrs["href"]) for t in flat(tokens) if t.type == "link_open"]
    allowed = {f"../../{driver.file}", "../README.md"}
    allowed |= {MD.normalizeLink(u) for u in (safe_url(s.url) for s in driver.sources)
                if u is not None}
    assert set(links) <= allowed, set(links) - allowed
    for link in links:
        assert link.startswith(("http://", "https://", "HTTP://", "HTTPS://", "../")), link
    images = [str(t.attrs["src"]) for t in flat(tokens) if t.type == "image"]
    name = driver.id.rsplit("/", 1)[-1]
    assert images == ([f"{name}.svg"] if driver.signals is not None else []), images
    levels = [(t.tag, tokens[i + 1].content) for i, t in enumerate(tokens)
              if t.type == "heading_open"]
    assert [tag for tag, _ in levels].count("h1") == 1
    assert [text for tag, text in levels if tag == "h2"][1:] == CARD_H2
    assert all(tag in ("h1", "h2", "h3") for tag, _ in levels), levels
    for rows in tables(tokens):
        assert len(set(rows)) == 1, f"a row has another number of cells than the header: {rows}"
    no_hidden(text_of(tokens))
    check_gfm(card, set(links))
    return tokens


def check_index(index: str) -> None:
    tokens = MD.parse(index)
    assert [t for t in flat(tokens) if t.type.startswith("html")] == [tokens[0]]
    for rows in tables(tokens):
        assert len(set(rows)) == 1, rows
    links = [str(t.attrs["href"]) for t in flat(tokens) if t.type == "link_open"]
    assert all(link.endswith(".md") and ":" not in link for link in links), links


def check_chart(svg: str) -> None:
    """Well-formed XML with no script, no link and no event attribute."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        assert tag not in ("script", "a", "foreignObject", "use", "image"), tag
        for attribute in element.attrib:
            name = attribute.rsplit("}", 1)[-1].lower()
            assert not name.startswith("on") and name != "href", attribute


def untrusted_strings(driver: Any) -> Iterator[str]:
    """The free text of a driver that a card prints."""
    yield driver.name
    yield driver.summary
    for value in (driver.provenance, driver.granularity_note, driver.replacement.by,
                  driver.replacement.note):
        if value:
            yield value
    for source in driver.sources:
        yield source.claim
    for event in driver.upstream:
        yield event.summary
        if event.subject:
            yield event.subject
    for report in driver.users_reported:
        yield report.who
        yield report.claim
    if driver.verdict is not None:
        yield driver.verdict.recommendation
        if driver.verdict.notes:
            yield driver.verdict.notes
        if driver.verdict.override is not None:
            yield driver.verdict.override.reason
            yield driver.verdict.override.by


Check = Callable[[bytes], None]


# -- the terminal --------------------------------------------------------------------------

# A line that untrusted text would forge if a line break in it reached the terminal.
FORGED = "FORGED.yaml:1:1: error: forged"


def plant_hostile_text(root: Path, payload: str) -> None:
    """`payload` in every place a pull request can put text that commands print: a
    driver's name, replacement note, user report and override (evidence), every hard
    rule's `why` and every band label (the policy), and a fixture's file name."""
    from ruamel.yaml import YAML

    text = payload.replace("TODO", "T0DO")
    short = text[:200]
    driver = root / "drivers/infiniband/ipoib.yaml"
    lines = driver.read_text(encoding="utf-8").split("\n")
    edits = {"name:": f"name: {quoted(short)}",
             "users_reported: []": "users_reported:\n"
             f"  - {{who: {quoted(short)}, claim: {quoted(text)}, date: \"2025\", "
             "sources: [1], kind: production, scale: fleet}"}
    lines = [next((new for old, new in edits.items() if line.startswith(old)), line)
             for line in lines]
    out = "\n".join(lines).replace(
        "  note: A generic upper-layer protocol; no like-for-like upstream replacement.",
        f"  note: {quoted(text)}")
    out = out.replace("verdict:\n", "verdict:\n  override:\n    verdict: deprecate\n"
                      f"    reason: {quoted(text)}\n    by: {quoted(short)}\n"
                      "    until: 2030-01-01\n", 1)
    driver.write_text(out, encoding="utf-8")
    policy_file = root / "policies/default.yaml"
    yaml = YAML(typ="safe", pure=True)
    policy = yaml.load(policy_file.read_text(encoding="utf-8"))
    for rule in policy["rules"]:
        rule["why"] = text
    for config in policy["probes"].values():
        for key, value in config.items():
            if key.endswith("bands"):
                for band in value:
                    band["label"] = short
    policy_file.write_text(to_yaml(policy), encoding="utf-8")
    policy["thresholds"]["keep"] += 50  # a candidate that flips verdicts (impact)
    (root / "candidate.yaml").write_text(to_yaml(policy), encoding="utf-8")
    fixture = sorted((root / "policies/tests").glob("*.yaml"))[0]
    name = "x\x1b[31m\u202e\u00ad\n" + FORGED.replace("/", "_") + ".yaml"
    (fixture.parent / name).write_bytes(fixture.read_bytes())


def check_terminal(output: str, what: str) -> None:
    """What a command printed to a terminal holds no hidden character (checker.core.hidden:
    escape sequences, bidirectional and invisible characters) but its line breaks, and no
    line that untrusted text forged."""
    from checker.core.hidden import hidden

    leaked = sorted({hex(ord(ch)) for ch in output if ch != "\n" and hidden(ord(ch))})
    assert not leaked, f"{what}: {leaked}"
    forged = [line for line in output.split("\n") if line.startswith(("FORGED", "  FORGED"))]
    assert not forged, f"{what}: {forged}"


def run_cli(*args: str) -> tuple[int, str]:
    """driver-policy ARGS in this process: the exit code, and stdout and stderr together."""
    import contextlib
    import io

    from checker.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue() + err.getvalue()


# Every command whose text output shows what a working tree holds (`diff` and `history`
# read git: tests/test_output.py runs them on a repository with hostile commits).
TERMINAL_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("verdicts",), ("explain", "infiniband/ipoib"), ("check", "--no-cache"),
    ("check", "--no-cache", "-q"), ("check", "--no-cache", "--format", "github"),
    ("validate",), ("stale", "--today", "2040-01-01"), ("policy", "test"),
    ("record", "--all", "--dry-run"), ("render", "--check", "--diff"),
    ("impact", "--policy", "{root}/candidate.yaml"),
)
