"""One driver's verdict at every commit that changed its evidence or the policy, read
from git objects (no checkout); versions with equal data are evaluated once."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from checker.core.errors import CheckerError, Problem, UsageError

if TYPE_CHECKING:
    from checker.load.document import Document
    from checker.load.layout import FileSource
    from checker.validate.policy import Policy
    from checker.validate.workspace import GitRepository


ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.+-]*/[a-z0-9][a-z0-9_.+-]*$")


FIELD_SEP = "\x1f"


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
    from checker.load.gitsource import files_at
    from checker.load.layout import DEFAULT_POLICY
    from checker.validate.workspace import build_workspace

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
    from checker.evaluate.compare import state_of
    from checker.load.document import Document
    from checker.validate.driver import validate_driver
    from checker.validate.workspace import _read

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
def _trailer(piece: str) -> int | None:
    """The offset of the line break that starts the blank and column-0 comment lines
    ending `piece`, or None. A backward scan: a regular expression anchored at the end
    is tried at every line break and is quadratic on a file of comment lines."""
    start = None
    end = len(piece)
    while (brk := piece.rfind("\n", 0, end)) >= 0:
        line = piece[brk + 1:end]
        if line and not line.startswith("#"):
            break
        start = end = brk
    return start


_KEEP = re.compile(r"[|>](?:[1-9]?\+|\+[1-9])")


_UNSEEN = object()


class _Versions:
    """The versions of one file (a driver, the policy), parsed a top-level field at a time.

    Successive versions of a driver file differ in a few top-level fields (a person
    edits a note or a source, collect rewrites `signals`), so each version is cut at
    the lines that start a top-level field (a plain key at column 0) and each piece is
    parsed once, however many versions hold it; the blank lines and column-0 comments
    that end a piece are left out of it where that cannot change its value (_trailer).
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
        from checker.load.bounds import _too_large
        from checker.load.document import BOM, MAX_BYTES, Document
        from checker.validate.driver import has_guessed_comment

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
        return doc, None if has_guessed_comment(text) else tuple(key)

    def _piece(self, piece: str) -> tuple[str, Any, int] | None:
        """The field a piece holds: its name, value and value id; None for parse_document."""
        lines = "\n" + piece  # a piece starts a line: marks cannot span two pieces
        if any(mark in lines for mark in _UNCUT):
            return None
        trailer = None if _KEEP.search(piece) else _trailer(piece)
        if trailer is None or trailer + 1 == len(piece):
            return self._parse(piece)
        body = piece[: trailer + 1]
        found = self._bodies.get(body, _UNSEEN)
        if found is _UNSEEN:
            found = self._bodies[body] = self._parse(body)
        assert found is None or isinstance(found, tuple)
        return found if found is not None else self._parse(piece)

    def _parse(self, piece: str) -> tuple[str, Any, int] | None:
        from checker.load.bounds import MAX_DEPTH
        from checker.load.fastyaml import Declined, fast_load

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
