"""Strategies and oracles for the classes of input issue 23's red team found defects in:
policies (numbers of any size, regular expressions, text), templates (names that are
not UTF-8, contents), kernel trees (C device tables, MAINTAINERS of many sections),
days at the edges of the calendar, and a write that lands while `record` runs.

Each oracle takes one drawn case through the code the way a command does and asserts
what must hold for any input: no exception but the checker's own (a CheckerError is a
clean message, anything else is exit 3), located problems, the same answer as a
reference written the slow and obvious way, nothing lost. Used by tests/test_fuzz.py.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import re
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from strategies import ROOT, check_problems, hostile_text, run_policy, seed_drivers, to_yaml

# -- policies -------------------------------------------------------------------------


@functools.cache
def default_policy_data() -> dict[str, Any]:
    from ruamel.yaml import YAML

    data: dict[str, Any] = YAML(typ="safe", pure=False).load(
        (ROOT / "policies/default.yaml").read_text())
    return data


def _leaves(data: Any, kind: type | tuple[type, ...], path: tuple[Any, ...] = ()
            ) -> Iterator[tuple[Any, ...]]:
    if isinstance(data, bool):
        return
    if isinstance(data, kind):
        yield path
    items = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, list) else ()
    for key, value in items:
        yield from _leaves(value, kind, (*path, key))


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


# Numbers of any size YAML can write: integers up to 4,000 digits (Python reads at most
# 4,300), floats from the subnormal to the largest, and the infinities and NaN.
NUMBERS = st.one_of(
    st.integers(),
    st.builds(lambda digits, sign: sign * 10**digits, st.integers(0, 4000),
              st.sampled_from((1, -1))),
    st.builds(lambda digits: int("9" * digits), st.integers(1, 4000)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from((5e-324, 1e308, -1e308, 2.0**53 + 1, 0.1, -0.0)),
)


@st.composite
def policy_numbers(draw: st.DrawFn) -> bytes:
    """The default policy with one to three of its numbers replaced by any number."""
    data = copy.deepcopy(default_policy_data())
    paths = list(_leaves(data, (int, float)))
    for _ in range(draw(st.integers(1, 3))):
        _set(data, draw(st.sampled_from(paths)), draw(NUMBERS))
    return to_yaml(data).encode()


REGEX_PIECES = (
    "a", "x", ".", ".*", ".+", "+", "*", "?", "*?", "{2,}", "{4294967295}", "{1000}", "(", ")",
    "(?:", "(?=", "(?!", "(?<=a)", "(?P<n>", "(?P=n)", "\\1", "[", "]", "[^", "a-z", "^", "$",
    "|", "\\", "\\d", "\\w+", "\\s*", "\\b", "\\p{L}", "\\x{100}", "(?i)", "(?x)", "(?s)",
    "(?u)", "(?L)", "(a+)+", "(a|aa)*", "(.*)*", "\x00", "é", "\n", "#", " ",
)
REGEX_PLACES = (
    ("collect", "mechanical", "subject_patterns"), ("collect", "mechanical", "bot_authors"),
    ("backtest", "removal_patterns"), ("discover", "entry_points"), ("discover", "names"),
)


@st.composite
def policy_regexes(draw: st.DrawFn) -> tuple[bytes, str]:
    """The default policy with a drawn regular expression added where policies hold
    them; and the expression."""
    pattern = draw(st.one_of(
        st.lists(st.sampled_from(REGEX_PIECES), min_size=1, max_size=12).map("".join),
        st.builds(lambda piece, times: piece * times, st.sampled_from(("(a+)+", "(", "a{9}")),
                  st.integers(1, 400)),
        hostile_text(1, 20),
    ))
    data = copy.deepcopy(default_policy_data())
    place = draw(st.sampled_from(REGEX_PLACES))
    target = data
    for key in place[:-1]:
        target = target.setdefault(key, {})
    target.setdefault(place[-1], []).append(pattern)
    return to_yaml(data).encode(), pattern


@st.composite
def policy_texts(draw: st.DrawFn) -> bytes:
    """The default policy with hostile text in its descriptions, labels and reasons."""
    data = copy.deepcopy(default_policy_data())
    paths = [p for p in _leaves(data, str)
             if p[-1] in ("description", "why", "label", "policy", "reason")]
    for _ in range(draw(st.integers(1, 4))):
        _set(data, draw(st.sampled_from(paths)), draw(hostile_text(1, 40)))
    return to_yaml(data).encode()


def run_policy_everywhere(raw: bytes, today: date = date(2026, 11, 21)) -> None:
    """A candidate through load, validate, evaluate and render (run_policy), and, when
    valid, what impact, stale, collect and backtest make of it."""
    from checker.check.stale import stale_findings
    from checker.collect.rules import CollectRules
    from checker.core.errors import CheckerError
    from checker.evaluate.compare import policy_changes, state_of, summarize_policy
    from checker.load.document import parse_document
    from checker.validate.policy import validate_policy

    check_problems(run_policy(raw), raw, "policies/candidate.yaml")
    doc, _ = parse_document(raw, "policies/candidate.yaml")
    policy = validate_policy(doc)[0] if doc is not None else None
    if policy is None:
        return
    summarize_policy(policy_changes(default_policy_data(), policy.raw))
    drivers = seed_drivers()
    for driver in drivers:
        state_of(driver, policy)
    stale_findings(drivers, policy, today, lambda _f, _k: (1, 1))
    with contextlib.suppress(CheckerError):
        CollectRules.from_policy(policy.raw)


def run_policy_regex(raw: bytes, pattern: str) -> None:
    """A candidate holding `pattern`: validated (run_policy_everywhere); when valid, run
    where collect and discovery run it, on hostile subjects, in linear time."""
    from conftest import hang_guard

    from checker.collect.rules import CollectRules
    from checker.core.errors import CheckerError
    from checker.core.saferegex import compile_policy_regex, regex_problem
    from checker.discover.rules import DiscoverRules
    from checker.load.document import parse_document
    from checker.validate.policy import validate_policy

    run_policy_everywhere(raw)
    doc, _ = parse_document(raw, "policies/candidate.yaml")
    policy = validate_policy(doc)[0] if doc is not None else None
    if policy is None or regex_problem(pattern) is not None:
        return
    compiled = compile_policy_regex(pattern)
    with hang_guard():
        for subject in ("a" * 100_000 + "!", "x" * 50_000, "\u00e9\n" * 20_000):
            compiled.search(subject)
        rules = CollectRules.from_policy(policy.raw)
        rules.is_mechanical("a" * 60_000 + "!", "x" * 1000, "e@example.org", 1)
        try:
            DiscoverRules.from_policy(policy.raw)
        except CheckerError as exc:
            # discovery compiles `(?m)` + the pattern, so a valid pattern of 997 to 1,000
            # characters is over the limit there: a clean message, not a crash, and the
            # discovery rewrite's to settle (issue 21); anything else is a defect
            assert len(pattern) > 996 and "characters long; the limit is 1000" in str(exc)


# -- templates ----------------------------------------------------------------------

NAME_BYTES = st.one_of(
    st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b
                                              and b not in (b".", b"..")),
    st.sampled_from((b"x\xff.j2", b"caf\xe9.md.j2", b"\x1b[2J.j2", b"a\nb.j2", b".hidden",
                     b"-rf.j2", b"card.md.j2 ", b"\xed\xa0\x80.j2", b"a" * 255)),
)
TEMPLATE_PIECES = (
    "{{ ", " }}", "{% ", " %}", "{# ", " #}", "driver.name", "driver", "| md_text", "| md_cell",
    "| safe", "| e", "| truncate(-5)", "cycler.__init__.__globals__", "range(10)", "range(10**9)",
    "'%s' % 1", "'{}'.format(1)", "self", "loop", "if x", "endif", "for x in [1]", "endfor",
    "include 'card.md.j2'", "include 'nope.j2'", "extends 'card.md.j2'", "macro m()",
    "endmacro", "set x = 1", "x", "1/0", "[1][5]", "{}.a", "'a' ~ 1", "<script>", "\n", "é",
    "\x00", "\u202e", "text ",
)


@st.composite
def template_cases(draw: st.DrawFn) -> tuple[list[bytes], str]:
    """File names to plant beside the templates, and a card template's contents."""
    names = draw(st.lists(NAME_BYTES, max_size=3, unique=True))
    body = draw(st.lists(st.sampled_from(TEMPLATE_PIECES), max_size=14).map("".join))
    return names, body


def run_templates(names: list[bytes], body: str) -> None:
    """Plant the names and a card template made of `body` in a copy of templates/, then
    list, seal and render them as check and render do: a clean CheckerError or a card,
    never another exception."""
    import shutil

    from strategies import default_policy

    from checker.check.pipeline import cache_inputs
    from checker.core.errors import CheckerError
    from checker.evaluate.consistency import check_driver
    from checker.render.cards import render_card
    from checker.render.seal import inputs_key

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "templates", root / "templates")
        for name in names:
            with open(os.path.join(os.fsencode(root / "templates"), name), "wb") as handle:
                handle.write(b"{{ 1 }}\n")
        (root / "templates/card.md.j2").write_text("{#- a fuzzed card -#}\n" + body,
                                                   encoding="utf-8")
        for listing in (lambda: cache_inputs(root), lambda: inputs_key(root / "templates", b"")):
            with contextlib.suppress(CheckerError):
                listing()
        policy = default_policy()
        driver = seed_drivers()[0]
        outcome, _ = check_driver(driver, policy, date(2026, 11, 21), lambda _f, _k: (1, 1))
        try:
            card = render_card(root / "templates", outcome, policy)
        except CheckerError:
            return
        assert isinstance(card, str)


# -- kernel trees --------------------------------------------------------------------

C_TOKENS = (
    "MODULE_DEVICE_TABLE(pci, ids);", "MODULE_DEVICE_TABLE(of, x)", "MODULE_DEVICE_TABLE(",
    "static const struct pci_device_id ids[] = {", "x[2] = {", "ids[]", "a[", "]", "[", "{",
    "}", "{ 0 }", "{ }", "{ PCI_DEVICE(1, 2) },", ",", ";", "=", "/*", "*/", "/* ", "//",
    "\n", " ", "\t", "0", "ids", "x", "_", "name", "é", "\"/*\"", "sentinel",
)


def device_ids_reference(text: str) -> int:
    """device_ids as it was written before issue 23 (regular expressions, every mention
    counted on its own): the specification, on inputs small enough for it."""
    comments = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
    table = re.compile(r"\bMODULE_DEVICE_TABLE\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")
    sentinel = re.compile(r"^[\s,0{}]*$")
    array = re.compile(r"\b(\w+)\s*\[[^\]]*\][\w\s]*=\s*\{")
    if "MODULE_DEVICE_TABLE" not in text:
        return 0
    code = comments.sub(" ", text)
    arrays = {m.group(1): m.end() for m in array.finditer(code)}
    total = 0
    for match in table.finditer(code):
        if match.group(2) == "name":
            continue
        start = arrays.get(match.group(2))
        if start is None:
            total += 1
            continue
        depth, count, entry_start = 1, 0, -1
        for index in range(start, len(code)):
            char = code[index]
            if char == "{":
                depth += 1
                if depth == 2:
                    entry_start = index
            elif char == "}":
                depth -= 1
                if depth == 1 and not sentinel.match(code[entry_start:index + 1]):
                    count += 1
                if depth == 0:
                    break
        total += max(1, count)
    return total


c_files = st.lists(st.sampled_from(C_TOKENS), max_size=40).map("".join)

GLOB_PARTS = ("*", "a*", "*x", "*x1*", "x?", "[ab]*", "[!a]x", "a", "b", "x1", "net", "*.c",
              "a[b", "?")


@st.composite
def maintainers_cases(draw: st.DrawFn) -> tuple[str, dict[str, list[str]], dict[str, list[str]]]:
    """A MAINTAINERS text of many sections, drivers' include patterns, and the files
    each driver owns at REV (some none)."""
    pattern = st.builds(lambda parts, slash: "/".join(parts) + ("/" if slash else ""),
                        st.lists(st.sampled_from(GLOB_PARTS), min_size=1, max_size=3),
                        st.booleans())
    sections = draw(st.lists(st.tuples(st.lists(pattern, min_size=1, max_size=3),
                                       st.lists(pattern, max_size=1),
                                       st.sampled_from(("Maintained", "Orphan", "Odd Fixes"))),
                             min_size=1, max_size=90))
    text = "".join(
        f"SECTION {i}\nM:\tA <a@b.example>\nS:\t{status}\n"
        + "".join(f"F:\t{p}\n" for p in include) + "".join(f"X:\t{p}\n" for p in exclude)
        + "\n" for i, (include, exclude, status) in enumerate(sections))
    literal = st.lists(st.sampled_from(("a", "b", "x1", "net", "a.c", "x1.c")), min_size=1,
                       max_size=3).map("/".join)
    drivers = {f"d{i}": [draw(literal) + draw(st.sampled_from(("", "/")))]
               for i in range(draw(st.integers(1, 6)))}
    files = {driver: draw(st.lists(literal, max_size=3)) for driver in drivers}
    return text, drivers, files


def match_maintainers_reference(text: str, drivers: dict[str, list[str]],
                                files: dict[str, list[str]]) -> dict[str, str]:
    """The best section per driver as before issue 23: every section tested in turn."""
    from checker.collect.maintainers import _reverse, _specificity, parse_maintainers
    from checker.core.paths import PathSpec, parse_pattern, pattern_covers

    sections = parse_maintainers(text)
    specs = [PathSpec(s.include, s.exclude) for s in sections]
    result: dict[str, str] = {}
    for driver, include in drivers.items():
        counts: dict[int, int] = defaultdict(int)
        owned = files.get(driver, [])
        for path in owned:
            for i, spec in enumerate(specs):
                if spec.matches(path):
                    counts[i] += 1
        if not owned:
            for i, section in enumerate(sections):
                if all(any(pattern_covers(f, inc) for f in section.include) for inc in include):
                    counts[i] = 1
        if not counts:
            continue

        def rank(i: int, paths: list[str] = owned, counts: dict[int, int] = counts
                 ) -> tuple[int, tuple[int, int], tuple[int, ...]]:
            best = (0, 0)
            for pattern in sections[i].include:
                parsed = parse_pattern(pattern)
                if not paths or any(parsed.matches(path) for path in paths):
                    best = max(best, _specificity(pattern))
            return counts[i], best, _reverse(sections[i].title)

        result[driver] = sections[max(counts, key=rank)].title
    return result


# -- days at the edges of the calendar ------------------------------------------------

EDGE_DAYS = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(2, 12, 31)),
    st.dates(min_value=date(9998, 1, 1), max_value=date(9999, 12, 31)),
    st.dates(),
)


@st.composite
def edge_day_cases(draw: st.DrawFn) -> tuple[date, bytes]:
    """A day near either end of the calendar, and a policy with drawn stale limits."""
    data = copy.deepcopy(default_policy_data())
    data["stale"] = {"source_months": draw(st.integers(1, 1200)),
                     "signals_months": draw(st.integers(1, 1200))}
    return draw(EDGE_DAYS), to_yaml(data).encode()


def run_edge_day(today: date, raw: bytes) -> None:
    """check's per-driver work, stale and collect's window on `today`: no exception."""
    from checker.collect.rules import CollectRules
    from checker.core.days import shift_months
    from checker.evaluate.consistency import check_driver
    from checker.load.document import parse_document
    from checker.validate.policy import validate_policy

    doc, problems = parse_document(raw, "policies/default.yaml")
    assert doc is not None, problems
    policy, problems = validate_policy(doc)
    assert policy is not None, problems
    for driver in seed_drivers():
        check_driver(driver, policy, today, lambda _f, _k: (1, 1))
    run_policy_everywhere(raw, today)
    rules = CollectRules.from_policy(policy.raw)
    start, end = rules.window(today)
    assert start <= end == today
    assert shift_months(today, 10**9) == date.max and shift_months(today, -(10**9)) == date.min


# -- a write that lands while record runs ----------------------------------------------

VERDICTS = (
    "verdict:\n  value: keep\n  confidence: 0.5\n  recommendation: Why.\n"
    "  recommendation_for: keep\n",
    "verdict: {value: keep, recommendation: Why., recommendation_for: keep}\n",
    "verdict:\n  recommendation: Why.\n  value: keep\t\n  recommendation_for: keep",
    "verdict:\n  value: >-\n    keep\n  recommendation: Why.\n",
    "verdict:\n  value: 'keep'  # recorded\n  recommendation: Why.\n  notes: n\n",
    "verdict: null\n",
    "",
)


@st.composite
def record_cases(draw: st.DrawFn) -> tuple[str, str, float]:
    """A seed driver file with its verdict written in a drawn layout and line ending,
    and the verdict and confidence to record."""
    seed = (ROOT / "drivers/infiniband/iser.yaml").read_text(encoding="utf-8")
    head = seed[: seed.index("\nverdict:\n") + 1]
    text = head + draw(st.sampled_from(VERDICTS))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    value = draw(st.sampled_from(("keep", "keep-annotate", "deprecate", "remove")))
    return text, value, draw(st.floats(0, 1))


def run_record(text: str, value: str, confidence: float) -> None:
    """record_text on any layout: the verdict recorded, every other key as it was, the
    file's line endings kept; or a clean CheckerError and nothing to write."""
    from checker.core.errors import CheckerError
    from checker.load.document import parse_document
    from checker.report.record import record_text

    before, _ = parse_document(text.encode(), "drivers/infiniband/iser.yaml")
    if before is None:  # not every YAML reader reads it: validate and record refuse it
        return
    try:
        out, _ = record_text(text, value, confidence)
    except CheckerError:
        return
    after, problems = parse_document(out.encode(), "drivers/infiniband/iser.yaml")
    assert after is not None, problems
    assert after.data["verdict"]["value"] == value
    assert round(after.data["verdict"]["confidence"], 2) == round(confidence, 2)
    assert {k: v for k, v in after.data.items() if k != "verdict"} == \
        {k: v for k, v in before.data.items() if k != "verdict"}
    if "\r\n" in text:
        assert "\n" not in out.replace("\r\n", "")


def run_concurrent_write(original: bytes, edit: bytes, theirs: bytes, delay: float) -> None:
    """record's replace (the edit, made from `original`) and another locked writer
    (collect) at once: whoever comes second, the other writer's bytes survive."""
    import time

    from checker.load.rewrite import FileChanged, replace_if_unchanged

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "driver.yaml"
        path.write_bytes(original)
        outcome: list[object] = []

        def record() -> None:
            time.sleep(delay)
            try:
                outcome.append(replace_if_unchanged(path, edit, original, display="d"))
            except FileChanged:
                outcome.append("refused")

        worker = threading.Thread(target=record)
        worker.start()
        replace_if_unchanged(path, theirs, None, display="d")  # collect, under the lock
        worker.join()
        assert path.read_bytes() == theirs or (outcome == [True] and path.read_bytes() == edit)
        if path.read_bytes() == edit:  # record came second: it saw theirs, so refused...
            assert theirs in (original, edit)  # ...unless theirs changed nothing
        assert [p.name for p in Path(tmp).iterdir()] == ["driver.yaml"]
