"""`driver-policy history ID` and `driver-policy stale [--today DATE]`.

history walks the commits that touched one driver's file or the default policy (the only
commits at which its verdict can change) and evaluates it at each, reading git objects
(no checkout). stale lists evidence that has aged past the policy's `stale` limits;
its engine, stale_findings, is pure and takes the date as an argument.
"""

from __future__ import annotations

import argparse
import calendar
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from checker.commands.common import add_format, parse_date, repo_root
from checker.errors import CheckerError, Problem, UsageError, terminal

if TYPE_CHECKING:
    from checker.gitsource import GitRepository
    from checker.layout import FileSource
    from checker.load import Document
    from checker.model import Driver
    from checker.policy import Policy

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.+-]*/[a-z0-9][a-z0-9_.+-]*$")
FIELD_SEP = "\x1f"

HISTORY_EPILOG = """\
examples:
  driver-policy history infiniband/ipoib
  driver-policy history drivers/net/smc-tcp-ulp.yaml --rev origin/main
  driver-policy history infiniband/ipoib --changes --format json
"""

STALE_EPILOG = """\
examples:
  driver-policy stale
  driver-policy stale --today 2027-06-01 --format github
"""


def register(sub: Any) -> None:
    history = sub.add_parser(
        "history",
        help="the verdict timeline of one driver, from git history",
        description="Evaluate one driver at every commit that changed its evidence file "
        "or the default policy (the commits at which its verdict can change), oldest "
        "first: commit, date, author, the recorded and computed verdict and the "
        "confidence at that commit, and the commit subject. Commits are read from git "
        "objects; the working tree is not touched. The timeline follows the file path: a "
        "renamed driver's earlier history is under its old id.",
        epilog=HISTORY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    history.add_argument("id", metavar="ID", help="driver id <subsystem>/<name>, or its file path")
    history.add_argument(
        "--rev", default="HEAD", metavar="REV", help="history up to this revision (default: HEAD)"
    )
    history.add_argument(
        "--changes",
        action="store_true",
        help="only the commits where the computed verdict, confidence or recorded verdict changed",
    )
    history.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    history.set_defaults(func=run_history)

    stale = sub.add_parser(
        "stale",
        help="evidence that has aged past the policy's limits",
        description="List evidence older than the policy's `stale` limits: sources whose "
        "date is more than stale.source_months before today (a partial date counts from "
        "the last day it may stand for; undated sources cannot age), signals whose window "
        "ended more than stale.signals_months before today, and overrides whose `until` "
        "has passed. Each is a finding at its line; the exit code is 1 when there is one.",
        epilog=STALE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    stale.add_argument(
        "--today",
        type=parse_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date evidence is aged against (default: today's date)",
    )
    add_format(stale)
    stale.set_defaults(func=run_stale)


# -- history --------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """The driver at one commit."""

    commit: str
    date: str  # author date, ISO 8601
    author: str
    subject: str
    touched: str  # "evidence", "policy" or "evidence+policy"
    state: str  # "valid", "invalid" (the file or the policy), "absent" (no file)
    recorded: str | None
    computed: str | None
    override: str | None
    confidence: float | None
    score: float | None
    rule: str | None
    problems: tuple[str, ...]


def driver_id_of(text: str) -> str:
    ident = text.removeprefix("./").removeprefix("drivers/").removesuffix(".yaml")
    if ident.startswith("-") or not ID_RE.match(ident):
        raise UsageError(
            f"{text!r} is not a driver id: ids are <subsystem>/<name> in lower-case letters, "
            "digits and . _ + - (for example infiniband/ipoib)"
        )
    return ident


def commits_touching(opened: GitRepository, sha: str, paths: Sequence[str]) -> list[list[str]]:
    """[sha, author date, author, subject, touched paths...] per commit, oldest first."""
    import secrets

    prefix = f"{opened.prefix}/" if opened.prefix else ""
    # Separators that no commit can contain: a subject or an author name is anyone's
    # text (a `\x1e` in a subject split a record and crashed), so each run uses a
    # random token that text written before the run cannot hold.
    token = secrets.token_hex(16)
    record_sep, field_sep = f"\x1e{token}\x1e", f"{FIELD_SEP}{token}{FIELD_SEP}"
    fmt = field_sep.join(("%H", "%aI", "%an", "%s"))
    out = opened.repo.git(literal_pathspecs=True).log(
        "--reverse",
        "--no-renames",
        f"--format={record_sep.replace(chr(0x1e), '%x1e').replace(chr(0x1f), '%x1f')}"
        f"{fmt.replace(chr(0x1f), '%x1f')}",
        "--name-only",
        "--end-of-options",
        sha,
        "--",
        *(prefix + p for p in paths),
    )
    commits = []
    for record in str(out).split(record_sep):
        if not record.strip():
            continue
        head, _, names = record.partition("\n")
        fields = head.split(field_sep, 3)
        if len(fields) != 4:
            raise CheckerError(f"git log gave a commit record that cannot be read: {head!r}")
        touched = [n.removeprefix(prefix) for n in names.splitlines() if n.strip()]
        commits.append([*fields, *touched])
    return commits


def timeline(opened: GitRepository, sha: str, ident: str) -> list[Point]:
    from checker.gitsource import files_at
    from checker.layout import DEFAULT_POLICY
    from checker.repository import build_workspace

    global _WORK
    rel = f"drivers/{ident}.yaml"
    commits = commits_touching(opened, sha, [rel, DEFAULT_POLICY])
    sources = files_at(opened.repo, [c[0] for c in commits], opened.prefix,
                       [rel, DEFAULT_POLICY])
    keys = [(s.blob_id(rel), s.blob_id(DEFAULT_POLICY)) for s in sources]
    # The policy changes far less often than the driver: each version is loaded once,
    # and versions with equal data (a comment edited) share one model when it has no
    # problem. `same` names each version by its data where they can be shared.
    policies: dict[str | None, tuple[Policy | None, list[Problem]]] = {}
    same: dict[str | None, tuple[Any, ...]] = {}
    policy_versions = _Versions(DEFAULT_POLICY)
    by_data: dict[tuple[int, ...], tuple[Policy | None, list[Problem]]] = {}
    for key, source in zip(keys, sources, strict=True):
        if key[0] is not None and key[1] not in policies:  # as build_workspace reports it
            same[key[1]] = ("blob", key[1])
            if key[1] is None:
                missing = Problem(DEFAULT_POLICY, 1, 1, "", "the default policy file is missing",
                                  rule="policy")
                policies[None] = (None, [missing])
                continue
            version = policy_versions.load(source)
            data_key = version[1] if version is not None else None
            if data_key is not None and data_key in by_data:
                policies[key[1]] = by_data[data_key]
            else:
                loaded = build_workspace(BatchView(source, [DEFAULT_POLICY]), opened.root,
                                         [DEFAULT_POLICY])
                policies[key[1]] = (loaded.policy, loaded.problems)
                if data_key is None or loaded.problems:
                    continue
                by_data[data_key] = policies[key[1]]
            same[key[1]] = ("data", data_key)
    # Each distinct (driver, policy) pair is evaluated once; pairs whose driver data are
    # equal (versions that differ only in comments or layout, or that came back) share
    # one evaluation when it found no problem in the driver file (problems carry lines).
    todo = list(dict.fromkeys(k for k in keys if k[0] is not None))
    first = {key: source for key, source in zip(keys, sources, strict=True)}
    versions = _Versions(rel)
    items: list[tuple[FileSource | Document, tuple[Policy | None, list[Problem]]]] = []
    groups: dict[tuple[Any, ...], list[int]] = {}
    for index, key in enumerate(todo):
        source = first[key]
        version = versions.load(source)
        if version is None:
            items.append((source, policies[key[1]]))
            groups[("blob", *key)] = [index]
        else:
            doc, data_key = version
            items.append((doc, policies[key[1]]))
            shared = data_key is not None
            group = ("data", data_key, same[key[1]]) if shared else ("blob", *key)
            groups.setdefault(group, []).append(index)
    rows: dict[int, StateRow] = {}
    _WORK = _Work(rel, items)
    try:
        heads = [members[0] for members in groups.values()]
        clean: set[int] = set()
        for head, (row, driver_clean) in zip(heads, _map(_state_at, heads), strict=True):
            rows[head] = row
            if driver_clean:
                clean.add(head)
        rest = []
        for members in groups.values():
            if members[0] in clean:
                rows.update((member, rows[members[0]]) for member in members[1:])
            else:  # problems are located in each version's own text
                rest += members[1:]
        rows.update(zip(rest, (row for row, _ in _map(_state_at, rest)), strict=True))
    finally:
        _WORK = None
    states = {key: rows[index] for index, key in enumerate(todo)}
    points: list[Point] = []
    absent = ("absent", None, None, None, None, None, None, ())
    for (sha_, when, author, subject, *touched), key in zip(commits, keys, strict=True):
        kinds = [k for k, p in (("evidence", rel), ("policy", DEFAULT_POLICY)) if p in touched]
        state = states[key] if key[0] is not None else absent
        points.append(Point(sha_, when, author, subject, "+".join(kinds) or "merge", *state))
    while points and points[0].state == "absent":  # policy commits before the driver existed
        points.pop(0)
    return points


StateRow = tuple[str, str | None, str | None, str | None, float | None, float | None,
                 str | None, tuple[str, ...]]


@dataclass(frozen=True)
class _Work:
    rel: str
    # a version already parsed (a Document), or the source to read it from
    items: list[tuple[FileSource | Document, tuple[Policy | None, list[Problem]]]]


_WORK: _Work | None = None  # set before workers fork


_Result = tuple[StateRow, bool]


def _state_at(index: int) -> _Result:
    """The state fields of a Point for one (driver, policy) pair of _WORK, and whether
    the driver file itself gave no problem."""
    from checker.compare import state_of
    from checker.load import Document
    from checker.repository import _read
    from checker.validate import validate_driver

    assert _WORK is not None
    item, (policy, found) = _WORK.items[index]
    if isinstance(item, Document):
        doc: Document | None = item
        driver_problems: list[Problem] = []
    else:
        doc, driver_problems = _read(item, _WORK.rel)
    driver = None
    if doc is not None:
        driver, more = validate_driver(doc)
        driver_problems += more
    problems = tuple(str(p) for p in sorted({*driver_problems, *found}))
    if policy is None or driver is None:
        return ("invalid", None, None, None, None, None, None, problems), not driver_problems
    state, _ = state_of(driver, policy)
    return (("valid", state.recorded, state.computed, state.override, state.confidence,
             state.score, state.rule, problems), not driver_problems)


# A line that starts a top-level field: a plain key at column 0 and its colon (searched
# from the line break before it: a literal first character makes the search fast).
_FIELD_LINE = re.compile(r"\n([A-Za-z_][A-Za-z0-9_]*):(?=[ \n]|\Z)")
# What could make a piece read differently alone than inside the file: document markers
# and directives at the start of a line, and line breaks other than \n.
_UNCUT = ("\n---", "\n...", "\n%", "\r", "\x85", "\u2028", "\u2029")
# Blank lines and comments at column 0 that end a piece (the comment before the next
# field, the end of the file) are no part of its value: a quoted scalar or a flow
# collection that would take them in is left open by the piece without them, which then
# does not parse (the whole piece is read instead). A block scalar that keeps its
# trailing lines (`|+`) keeps the whole piece.
_TRAILER = re.compile(r"\n(?:(?:#[^\n]*)?\n)*(?:#[^\n]*)?\Z")
_KEEP = re.compile(r"[|>](?:[1-9]?\+|\+[1-9])")
_UNSEEN = object()


class _Versions:
    """The versions of one file (a driver, the policy), parsed a top-level field at a time.

    Successive versions of a driver file differ in a few top-level fields (a person
    edits a note or a source, collect rewrites `signals`), so each version is cut at
    the lines that start a top-level field (a plain key at column 0) and each piece is
    parsed once, however many versions hold it; the blank lines and column-0 comments
    that end a piece are left out of it where that cannot change its value (_TRAILER).
    The data equal what parse_document gives the whole file: in a block mapping at
    column 0 such a line can only start a new field (block and plain scalars end at a
    line less indented than their content), unless a quoted scalar or flow collection
    is still open there, and then the piece before it does not parse alone. Anything
    else (a piece that does not parse alone to exactly the one field its first line
    names, a field twice, anchors, tags, document markers, other line breaks, a file
    that parse_document would refuse or hand to the reference loader) leaves the
    version to parse_document. tests/test_history.py compares the two on every evidence
    file and on lines that could fool a cut, inserted anywhere.

    Each version gets a key: equal keys, equal data (values compared by their repr,
    which tells 1, 1.0 and true apart). Validation depends on the data and, through
    `# guessed` comments and problem locations, on the text: a version with such a
    comment gets no key, and versions share a result only when it has no problem.
    """

    def __init__(self, rel: str) -> None:
        self.rel = rel
        self._pieces: dict[str, tuple[str, Any, int] | None] = {}
        self._bodies: dict[str, tuple[str, Any, int] | None] = {}  # pieces without trailers
        self._values: dict[tuple[str, str], int] = {}

    def load(self, source: FileSource) -> tuple[Document, tuple[int, ...] | None] | None:
        """The version of the file in `source` and its key; None for parse_document."""
        from checker.load import BOM, MAX_BYTES, Document, _too_large
        from checker.validate import GUESSED_RE

        try:
            raw = source.read(self.rel)
        except OSError:
            return None
        if len(raw) > MAX_BYTES or raw.startswith(BOM):
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        # offsets in `text` of the lines that start a field (the first line too)
        cuts = [m.start() for m in _FIELD_LINE.finditer("\n" + text)]
        if not cuts or _too_large(text) is not None:
            return None
        data: dict[str, Any] = {}
        key = []
        for start, end in zip([0, *cuts[1:]], [*cuts[1:], len(text)], strict=True):
            piece = text[start:end]
            found = self._pieces.get(piece, _UNSEEN)
            if found is _UNSEEN:
                found = self._pieces[piece] = self._piece(piece)
            if found is None:
                return None
            assert isinstance(found, tuple)
            name, value, value_id = found
            if name in data:
                return None
            data[name] = value
            key.append(value_id)
        doc = Document(self.rel, text, data)
        return doc, None if GUESSED_RE.search(text) else tuple(key)

    def _piece(self, piece: str) -> tuple[str, Any, int] | None:
        """The field a piece holds: its name, value and value id; None for parse_document."""
        lines = "\n" + piece  # a piece starts a line: marks cannot span two pieces
        if any(mark in lines for mark in _UNCUT):
            return None
        trailer = None if _KEEP.search(piece) else _TRAILER.search(piece)
        if trailer is None or trailer.start() + 1 == len(piece):
            return self._parse(piece)
        body = piece[: trailer.start() + 1]
        found = self._bodies.get(body, _UNSEEN)
        if found is _UNSEEN:
            found = self._bodies[body] = self._parse(body)
        assert found is None or isinstance(found, tuple)
        return found if found is not None else self._parse(piece)

    def _parse(self, piece: str) -> tuple[str, Any, int] | None:
        from checker.fastyaml import Declined, fast_load
        from checker.load import MAX_DEPTH

        match = _FIELD_LINE.search("\n" + piece)
        assert match is not None
        try:
            data = fast_load(piece, MAX_DEPTH)
        except Declined:
            return None
        name = match.group(1)
        if not isinstance(data, dict) or len(data) != 1 or name not in data:
            return None
        value = data[name]
        value_id = self._values.setdefault((name, repr(value)), len(self._values))
        return name, value, value_id


PARALLEL_FROM = 200  # distinct versions below which workers are not worth starting


def _map(function: Callable[[int], _Result], items: Sequence[int]) -> list[_Result]:
    import multiprocessing
    import os

    jobs = os.cpu_count() or 1
    if jobs <= 1 or len(items) < PARALLEL_FROM:
        return [function(i) for i in items]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return pool.map(function, items, chunksize=max(16, len(items) // (jobs * 8)))


class BatchView:
    """A source limited to some of another source's paths."""

    def __init__(self, source: FileSource, rels: Sequence[str]) -> None:
        self.source, self.rels = source, [r for r in rels if r in source.paths()]

    def paths(self) -> list[str]:
        return list(self.rels)

    def read(self, rel: str) -> bytes:
        return self.source.read(rel)


def _changes(points: Sequence[Point]) -> list[Point]:
    out: list[Point] = []
    for point in points:
        keys = ("state", "recorded", "computed", "override", "confidence")
        if not out or any(getattr(out[-1], k) != getattr(point, k) for k in keys):
            out.append(point)
    return out


def run_history(args: argparse.Namespace) -> int:
    from checker.gitsource import open_repository, resolve_revision

    ident = driver_id_of(args.id)
    opened = open_repository(repo_root(args))
    sha = resolve_revision(opened.repo, args.rev)
    points = timeline(opened, sha, ident)
    if not points:
        hint = _suggest(opened, sha, ident)
        raise UsageError(f"no driver {ident!r} in the history of {args.rev}{hint}")
    if args.changes:
        points = _changes(points)
    if args.format == "json":
        json.dump([asdict(p) for p in points], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    print(f"{ident}: verdict at each commit that changed drivers/{ident}.yaml or the policy")
    print(f"{'COMMIT':<12}  {'DATE':<10}  {'RECORDED':<13}  {'COMPUTED':<13}  CONF  "
          f"{'CHANGED':<15}  AUTHOR: SUBJECT")
    previous: Point | None = None
    for p in points:
        if p.state == "valid":
            computed = p.computed or "-"
            if p.override:
                computed = f"{p.override}*"
            conf = f"{p.confidence:.2f}"
        else:
            computed, conf = f"({p.state})", "   -"
        flip = "!" if previous and previous.computed != p.computed and p.state == "valid" else " "
        print(f"{p.commit[:12]}  {p.date[:10]}  {p.recorded or '-':<13} {flip}{computed:<13}  "
              f"{conf}  {p.touched:<15}  {terminal(p.author)}: {terminal(p.subject)}")
        previous = p
    print("(* an override; ! the computed verdict changed at that commit)")
    return 0


def _suggest(opened: GitRepository, sha: str, ident: str) -> str:
    import difflib

    from checker.validate import driver_id

    known = [i for i in map(driver_id, opened.source(sha).paths()) if i is not None]
    close = difflib.get_close_matches(ident, known, n=3)
    if close:
        return f"; did you mean {', '.join(close)}?"
    return f" (ids look like {', '.join(known[:4])})" if known else ""


# -- stale ----------------------------------------------------------------------------


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (clamped to the month's end)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


Locate = Callable[[str, tuple[str | int, ...]], tuple[int, int]]


def stale_findings(
    drivers: Sequence[Driver], policy: Policy, today: date, locate: Locate
) -> list[Problem]:
    """Evidence older than the policy's limits on `today`, one finding per item."""
    source_limit = policy.stale["source_months"]
    signals_limit = policy.stale["signals_months"]
    source_cutoff = months_before(today, source_limit)
    signals_cutoff = months_before(today, signals_limit)
    out: list[Problem] = []

    def finding(driver: Driver, keypath: tuple[str | int, ...], field: str, text: str) -> None:
        line, col = locate(driver.file, keypath)
        out.append(Problem(driver.file, line, col, field, text, severity="warning", rule="stale"))

    for driver in drivers:
        for index, source in enumerate(driver.sources):
            if source.historical:
                continue  # an event stays true however old it is (docs/evidence.md)
            if source.date is not None and source.date.last_day() < source_cutoff:
                finding(
                    driver,
                    ("sources", index, "date"),
                    f"sources[{index + 1}].date",
                    f"{driver.id}: source {index + 1} ({source.domain}) is dated {source.date}, "
                    f"more than {source_limit} months before {today} (stale.source_months); "
                    "check that its claim still holds and update the claim and its date",
                )
        signals = driver.signals
        if signals is not None and signals.window_end < signals_cutoff:
            finding(
                driver,
                ("signals", "window", "end"),
                "signals.window.end",
                f"{driver.id}: signals end on {signals.window_end}, more than {signals_limit} "
                f"months before {today} (stale.signals_months); recompute them with "
                "driver-policy collect",
            )
        override = driver.verdict.override if driver.verdict else None
        if override is not None and override.until < today:
            finding(
                driver,
                ("verdict", "override", "until"),
                "verdict.override.until",
                f"{driver.id}: override to {override.verdict} expired on {override.until}; "
                "renew it with a reason or remove it",
            )
    return sorted(out)


def run_stale(args: argparse.Namespace) -> int:
    from checker.report.problems import report
    from checker.repository import load_workspace

    workspace = load_workspace(repo_root(args))
    if workspace.policy is None:
        bad = [str(p) for p in workspace.problems if p.path.startswith("policies/")]
        raise CheckerError("the default policy is invalid:\n" + "\n".join(bad))

    def locate(file: str, keypath: tuple[str | int, ...]) -> tuple[int, int]:
        doc = workspace.documents.get(file)
        return doc.locate(keypath) if doc is not None else (1, 1)

    today: date = args.today
    findings = stale_findings(workspace.drivers, workspace.policy, today, locate)
    summary = (
        f"{len(workspace.drivers)} driver(s) checked on {today} against stale.source_months="
        f"{workspace.policy.stale['source_months']}, stale.signals_months="
        f"{workspace.policy.stale['signals_months']}"
    )
    report(findings, args.format, sys.stdout, checked=workspace.files, summary=summary)
    invalid = [p for p in workspace.problems if p.path.startswith("drivers/")]
    for problem in invalid:
        print(f"skipped (invalid): {terminal(str(problem))}", file=sys.stderr)
    return 1 if findings or invalid else 0
