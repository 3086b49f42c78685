"""`driver-policy history ID` (a verdict timeline from git) and `driver-policy stale`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, Run
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gitsource import commit, edit, git, init_repo

from checker.check.history import _Versions
from checker.check.stale import months_before, stale_findings
from checker.load.document import parse_document
from checker.validate.workspace import load_workspace

IPOIB = "drivers/infiniband/ipoib.yaml"
BOB = ("Bob Builder", "bob@example.org")


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository whose history moves ipoib's verdict; the commits by name."""
    repo = init_repo(tmp_path / "history")
    shas = {"seed": commit(repo, "seed", when="2026-05-01T10:00:00+00:00")}
    edit(repo / IPOIB, "deployment: medium", "deployment: low")
    shas["low"] = commit(repo, "ipoib: deployment is low now", when="2026-05-02T10:00:00+00:00")
    edit(repo / IPOIB, "verdict:\n  value: keep\n", "verdict:\n  value: keep-annotate\n")
    edit(repo / IPOIB, "recommendation_for: keep ", "recommendation_for: keep-annotate ")
    shas["record"] = commit(repo, "ipoib: record keep-annotate", author=BOB,
                            when="2026-05-03T10:00:00+00:00")
    edit(repo / "drivers/infiniband/iser.yaml", "deployment: low", "deployment: low  # sure")
    shas["iser"] = commit(repo, "iser: a comment", when="2026-05-04T10:00:00+00:00")
    edit(repo / IPOIB, "deployment: low", "deployment: low  # since May")
    shas["comment"] = commit(repo, "ipoib: a comment", when="2026-05-05T10:00:00+00:00")
    edit(repo / "policies/default.yaml", "thresholds:\n  keep: 7\n", "thresholds:\n  keep: 5\n")
    shas["policy"] = commit(repo, "policy: keep at 5", when="2026-05-06T10:00:00+00:00")
    (repo / IPOIB).unlink()
    shas["gone"] = commit(repo, "ipoib: removed", author=BOB, when="2026-05-07T10:00:00+00:00")
    return repo, shas


def test_history_json_timeline(
    history: tuple[Path, dict[str, str]], cli: Callable[..., Run]
) -> None:
    repo, shas = history
    result = cli("-C", str(repo), "history", "infiniband/ipoib", "--format", "json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [r["commit"] for r in rows] == [
        shas[k] for k in ("seed", "low", "record", "comment", "policy", "gone")
    ]  # iser's commit did not touch ipoib or the policy
    assert [(r["recorded"], r["computed"], r["confidence"], r["score"], r["state"])
            for r in rows] == [
        ("keep", "keep", 0.65, 8, "valid"),
        ("keep", "keep-annotate", 0.65, 6, "valid"),
        ("keep-annotate", "keep-annotate", 0.65, 6, "valid"),
        ("keep-annotate", "keep-annotate", 0.65, 6, "valid"),
        ("keep-annotate", "keep", 0.65, 6, "valid"),
        (None, None, None, None, "absent"),
    ]
    assert [r["touched"] for r in rows] == [
        "evidence+policy", "evidence", "evidence", "evidence", "policy", "evidence"
    ]
    assert rows[2]["author"] == "Bob Builder"
    assert rows[2]["date"] == "2026-05-03T10:00:00+00:00"
    assert rows[2]["subject"] == "ipoib: record keep-annotate"


def test_history_text(history: tuple[Path, dict[str, str]], cli: Callable[..., Run]) -> None:
    repo, shas = history
    result = cli("-C", str(repo), "history", "drivers/infiniband/ipoib.yaml")
    assert result.code == 0
    short = {k: v[:12] for k, v in shas.items()}
    assert result.out == (
        "infiniband/ipoib: verdict at each commit that changed drivers/infiniband/ipoib.yaml "
        "or the policy\n"
        "COMMIT        DATE        RECORDED       COMPUTED        CONF  CHANGED          "
        "AUTHOR: SUBJECT\n"
        f"{short['seed']}  2026-05-01  keep           keep            0.65  evidence+policy  "
        "Ann Author: seed\n"
        f"{short['low']}  2026-05-02  keep           keep-annotate!  0.65  evidence         "
        "Ann Author: ipoib: deployment is low now\n"
        f"{short['record']}  2026-05-03  keep-annotate  keep-annotate   0.65  evidence         "
        "Bob Builder: ipoib: record keep-annotate\n"
        f"{short['comment']}  2026-05-05  keep-annotate  keep-annotate   0.65  evidence         "
        "Ann Author: ipoib: a comment\n"
        f"{short['policy']}  2026-05-06  keep-annotate  keep!           0.65  policy           "
        "Ann Author: policy: keep at 5\n"
        f"{short['gone']}  2026-05-07  -              (absent)           -  evidence         "
        "Bob Builder: ipoib: removed\n"
        "(* an override; ! the computed verdict changed at that commit)\n"
    )


def test_history_changes_only(
    history: tuple[Path, dict[str, str]], cli: Callable[..., Run]
) -> None:
    repo, shas = history
    result = cli("-C", str(repo), "history", "infiniband/ipoib", "--changes", "--format", "json")
    assert [r["commit"] for r in json.loads(result.out)] == [
        shas[k] for k in ("seed", "low", "record", "policy", "gone")
    ]


def test_history_up_to_a_revision(
    history: tuple[Path, dict[str, str]], cli: Callable[..., Run]
) -> None:
    repo, shas = history
    result = cli("-C", str(repo), "history", "infiniband/ipoib", "--rev", shas["record"],
                 "--format", "json")
    assert [r["commit"] for r in json.loads(result.out)] == [
        shas[k] for k in ("seed", "low", "record")
    ]


def test_history_shows_an_invalid_commit(tmp_path: Path, cli: Callable[..., Run]) -> None:
    repo = init_repo(tmp_path / "h")
    commit(repo, "seed")
    edit(repo / IPOIB, "deployment: medium", "deployment: sometimes")
    commit(repo, "oops")
    rows = json.loads(cli("-C", str(repo), "history", "infiniband/ipoib", "--format", "json").out)
    assert rows[-1]["state"] == "invalid"
    assert rows[-1]["computed"] is None
    assert len(rows[-1]["problems"]) == 1
    assert rows[-1]["problems"][0].startswith("drivers/infiniband/ipoib.yaml:")
    assert "deployment: must be one of" in rows[-1]["problems"][0]


def test_history_leaves_the_working_tree_alone(
    history: tuple[Path, dict[str, str]], cli: Callable[..., Run]
) -> None:
    repo, _ = history
    edit(repo / "drivers/infiniband/iser.yaml", "deployment: low", "deployment: high")
    status = git(repo, "status", "--porcelain")
    assert cli("-C", str(repo), "history", "infiniband/iser").code == 0
    assert git(repo, "status", "--porcelain") == status


def test_error_history_unknown_driver(
    history: tuple[Path, dict[str, str]], cli: Callable[..., Run]
) -> None:
    repo, _ = history
    result = cli("-C", str(repo), "history", "infiniband/ipob")
    assert result.code == 2
    assert result.err == (
        "driver-policy history: usage error: no driver 'infiniband/ipob' in the history of "
        "HEAD; did you mean infiniband/siw, infiniband/srpt, infiniband/iser?\n"
    )


@pytest.mark.parametrize("ident", ["-x", "../etc/passwd", "infiniband", "drivers/*/ipoib",
                                   ":(glob)**", "Infiniband/IPOIB"])
def test_error_history_not_an_id(
    history: tuple[Path, dict[str, str]], cli: Callable[..., Run], ident: str
) -> None:
    repo, _ = history
    result = cli("-C", str(repo), "history", "--", ident)
    assert result.code == 2
    assert result.err == (
        f"driver-policy history: usage error: {ident!r} is not a driver id: ids are "
        "<subsystem>/<name> in lower-case letters, digits and . _ + - (for example "
        "infiniband/ipoib)\n"
    )


@pytest.mark.parametrize(
    ("rev", "message"),
    [
        ("-p", "revision '-p': a revision cannot begin with '-'"),
        ("nope", "revision 'nope' does not name a commit in {repo}"),
    ],
)
def test_error_history_bad_revision(
    history: tuple[Path, dict[str, str]], cli: Callable[..., Run], rev: str, message: str
) -> None:
    repo, _ = history
    result = cli("-C", str(repo), "history", "infiniband/ipoib", f"--rev={rev}")
    assert result.code == 2
    assert result.err == f"driver-policy history: usage error: {message.format(repo=repo)}\n"


# -- stale ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 21), 24, date(2024, 11, 21)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2026, 1, 15), 13, date(2024, 12, 15)),
        (date(2026, 5, 1), 0, date(2026, 5, 1)),
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


def test_stale_on_this_repository(repo: Path, cli: Callable[..., Run]) -> None:
    """The one old source is a historical claim (the commit that added the code): exempt."""
    exempt = cli("-C", str(repo), "stale", "--today", "2026-11-21")
    assert exempt.code == 0, exempt.out
    _not_historical(repo)
    result = cli("-C", str(repo), "stale", "--today", "2026-11-21")
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "drivers/net/smc-tcp-ulp.yaml:78:11: sources[2].date: net/smc-tcp-ulp: source 2 "
        "(www.phoronix.com) is dated 2022, more than 24 months before 2026-11-21 "
        "(stale.source_months); check that its claim still holds and update the claim and "
        "its date"
    )
    assert result.out.splitlines()[-1] == (
        "5 driver(s) checked on 2026-11-21 against stale.source_months=24, "
        "stale.signals_months=12"
    )


def test_stale_signals_and_overrides(repo: Path, cli: Callable[..., Run]) -> None:
    srpt = repo / "drivers/infiniband/srpt.yaml"
    edit(srpt, "verdict:\n  value: keep-annotate\n", "verdict:\n  value: deprecate\n")
    edit(srpt, "recommendation_for: keep-annotate ", "recommendation_for: deprecate ")
    srpt.write_text(srpt.read_text() + (
        "  override:\n    verdict: deprecate\n    reason: A deprecation cycle first.\n"
        "    by: Ann Author\n    until: 2027-01-31\n"))
    lines = srpt.read_text().splitlines()
    until_line = next(i for i, line in enumerate(lines, 1) if "until: 2027-01-31" in line)
    result = cli("-C", str(repo), "stale", "--today", "2027-05-01", "--format", "json")
    assert result.code == 1
    found = {(p["path"], p["field"]): p for p in json.loads(result.out)["problems"]}
    assert found[("drivers/infiniband/ipoib.yaml", "signals.window.end")]["message"] == (
        "infiniband/ipoib: signals end on 2026-04-21, more than 12 months before 2027-05-01 "
        "(stale.signals_months); recompute them with driver-policy collect"
    )
    override = found[("drivers/infiniband/srpt.yaml", "verdict.override.until")]
    assert (override["line"], override["col"]) == (until_line, 12)
    assert override["message"] == (
        "infiniband/srpt: override to deprecate expired on 2027-01-31; renew it with a "
        "reason or remove it"
    )
    assert override["severity"] == "warning" and override["rule"] == "stale"
    # the day before expiry the override is not stale; a partial date counts from its end
    early = json.loads(cli("-C", str(repo), "stale", "--today", "2027-01-31", "--format",
                           "json").out)
    assert not [p for p in early["problems"] if p["field"] == "verdict.override.until"]


def _not_historical(repo: Path) -> None:
    """smc-tcp-ulp's 2022 source as an ordinary claim (the file marks it historical)."""
    smc = repo / "drivers/net/smc-tcp-ulp.yaml"
    smc.write_text(smc.read_text().replace("    historical: true ", "    # historical "))


def test_stale_findings_is_pure(repo: Path) -> None:
    _not_historical(repo)
    workspace = load_workspace(repo)
    assert workspace.policy is not None

    def nowhere(file: str, keypath: tuple[str | int, ...]) -> tuple[int, int]:
        return 1, 1

    # smc-tcp-ulp cites a source dated "2022": it may stand for 2022-12-31, so it is
    # stale only once that day is more than 24 months back
    early = stale_findings(workspace.drivers, workspace.policy, date(2024, 12, 31), nowhere)
    assert early == []
    boundary = stale_findings(workspace.drivers, workspace.policy, date(2025, 1, 1), nowhere)
    assert [(p.path, p.field) for p in boundary] == [
        ("drivers/net/smc-tcp-ulp.yaml", "sources[2].date")
    ]
    late = stale_findings(workspace.drivers, workspace.policy, date(2030, 1, 1), nowhere)
    assert {p.path for p in late} == {d.file for d in workspace.drivers}
    assert late == sorted(late)


def test_stale_github_format(repo: Path, cli: Callable[..., Run]) -> None:
    _not_historical(repo)
    result = cli("-C", str(repo), "stale", "--today", "2026-11-21", "--format", "github")
    assert result.out.startswith(
        "::warning file=drivers/net/smc-tcp-ulp.yaml,line=78,col=11,title=sources[2].date::"
    )


def test_stale_clean(repo: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(repo), "stale", "--today", "2024-12-31")
    assert result.code == 0
    assert result.out.startswith("ok: ")


def test_error_stale_bad_date(repo: Path, cli: Callable[..., Run]) -> None:
    result = cli("-C", str(repo), "stale", "--today", "tomorrow")
    assert result.code == 2
    assert "argument --today: 'tomorrow' is not a date YYYY-MM-DD" in result.err


def test_history_in_worker_processes_equals_one_process(
    history: tuple[Path, dict[str, str]], cli: Callable[..., Run],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import checker.check.history

    repo, _ = history
    serial = cli("-C", str(repo), "history", "infiniband/ipoib", "--format", "json")
    monkeypatch.setattr(checker.check.history, "PARALLEL_FROM", 1)
    parallel = cli("-C", str(repo), "history", "infiniband/ipoib", "--format", "json")
    assert (parallel.code, parallel.out) == (serial.code, serial.out)
    assert len(json.loads(serial.out)) == 6


# -- versions read a top-level field at a time ------------------------------------------


class _Bytes:
    """A FileSource of one file's bytes."""

    def __init__(self, rel: str, raw: bytes) -> None:
        self.rel, self.raw = rel, raw

    def paths(self) -> list[str]:
        return [self.rel]

    def read(self, rel: str) -> bytes:
        return self.raw


def assert_read_as_parse_document(versions: _Versions, raw: bytes) -> bool:
    """The version's data are parse_document's (equal reprs: 1, 1.0 and true differ), or
    the version is left to parse_document; whether it was read in pieces."""
    loaded = versions.load(_Bytes(versions.rel, raw))
    if loaded is None:
        return False
    doc, _ = loaded
    expected, problems = parse_document(raw, versions.rel)
    assert problems == []
    assert expected is not None
    assert (doc.path, doc.text, repr(doc.data)) == (expected.path, expected.text,
                                                     repr(expected.data))
    return True


EVIDENCE = sorted([*ROOT.glob("drivers/*/*.yaml"), *ROOT.glob("tests/examples/*/*.yaml")])


@pytest.mark.parametrize("path", EVIDENCE, ids=lambda p: str(p.relative_to(ROOT)))
def test_versions_read_evidence_files_as_parse_document_does(path: Path) -> None:
    pieces = assert_read_as_parse_document(_Versions(IPOIB), path.read_bytes())
    assert pieces or "valid" not in path.parts  # every valid file is read in pieces


IPOIB_TEXT = (ROOT / IPOIB).read_text(encoding="utf-8")
# Lines that could fool a cut at column 0, or make a piece read differently alone.
TRICKY = [
    'summary: "two\nname: lines"', "summary: 'two\nname: lines'", "kconfig: [A,\nname: b]",
    "kconfig: {a: 1,\nname: b}", "notes: |+\n  kept\n\n\n", "notes: >-\n  folded\n\n",
    "notes: |\n  # not a comment\n", "# a comment\n", "\n", "---", "...", "%YAML 1.2\n---",
    "kconfig:\n- A\n- B", "name: &a x", "path: *a", "name: !!str x", "null: 1", "yes: 1",
    "1: x", "name:\tx", "name: x  # comment", "a\nb", "? name\n: x", '"name": x',
    "name: x\r\nsummary: y\r", "name: x\x85path: y", "name: x\u2028path: y",
    "deployment: medium", "deployment: high", "schema: 1.0", "schema: true",
    "notes: plain\n  continued\nmore", "summary: >\n  text\n#col0 comment\n  more",
    "#", "# revision 7", 'summary: "a\n#b"', "summary: 'a\n# b'", "kconfig: [A,\n# x\n]",
    "notes: |+\n  kept\n\n# trailing\n\n", "notes: |2+\n   kept\n\n#", "notes: |\n  text\n#",
]


@pytest.mark.parametrize("line", TRICKY)
def test_versions_read_a_tricky_line_anywhere_as_parse_document_does(line: str) -> None:
    lines = IPOIB_TEXT.split("\n")
    for at in range(len(lines) + 1):
        raw = "\n".join([*lines[:at], line, *lines[at:]]).encode()
        assert_read_as_parse_document(_Versions(IPOIB), raw)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 170), st.sampled_from(TRICKY)), max_size=3))
def test_versions_read_edited_files_as_parse_document_does(
    edits: list[tuple[int, str]],
) -> None:
    lines = IPOIB_TEXT.split("\n")
    for at, line in edits:
        lines.insert(min(at, len(lines)), line)
    raw = "\n".join(lines).encode()
    versions = _Versions(IPOIB)
    assert_read_as_parse_document(versions, raw)
    assert_read_as_parse_document(versions, IPOIB_TEXT.encode())  # pieces read before


def test_versions_read_a_long_run_of_comment_lines_in_linear_time() -> None:
    # 100,000 column-0 comment lines between two items of a field's list: the search
    # for a piece's trailing comments used to be a regular expression tried at every
    # line break (about 12 minutes on this input); the backward scan stops at the
    # piece's last item
    raw = IPOIB_TEXT.replace("\nkconfig: [INFINIBAND_IPOIB]\n", "\nkconfig:\n- INFINIBAND_IPOIB\n"
                             + "#\n" * 100_000 + "- INFINIBAND_IPOIB_CM\n", 1).encode()
    assert assert_read_as_parse_document(_Versions(IPOIB), raw)


def test_versions_equal_data_equal_keys() -> None:
    versions = _Versions(IPOIB)

    def key(text: str) -> tuple[int, ...] | None:
        loaded = versions.load(_Bytes(IPOIB, text.encode()))
        assert loaded is not None
        return loaded[1]

    base = key(IPOIB_TEXT)
    assert base is not None
    assert key(IPOIB_TEXT + "# a comment\n") == base
    assert key(IPOIB_TEXT.replace("deployment: medium", "deployment:   medium")) == base
    assert key(IPOIB_TEXT.replace("deployment: medium", "deployment: low")) != base
    assert key(IPOIB_TEXT.replace("schema: 1\n", "schema: 1.0\n")) != base  # 1 is not 1.0
    assert key(IPOIB_TEXT.replace("deployment: medium", "deployment: medium  # guessed")) is None


def test_history_sharing_equal_data_equals_reading_every_version(
    tmp_path: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions with equal data share an evaluation only where that cannot show: an
    invalid version's problems are located in its own text, `# guessed` comments count."""
    repo = init_repo(tmp_path / "h")
    commit(repo, "seed")
    edit(repo / IPOIB, "deployment: medium", "deployment: medium  # a comment")
    commit(repo, "a comment")
    edit(repo / IPOIB, "deployment: medium", "deployment: sometimes")
    commit(repo, "invalid")
    edit(repo / IPOIB, "schema: 1\n", "schema: 1\n\n")
    commit(repo, "invalid, one line lower")
    edit(repo / IPOIB, "deployment: sometimes", "deployment: medium")
    commit(repo, "valid again")
    edit(repo / IPOIB, "deployment: medium", "deployment: low  # guessed")
    commit(repo, "guessed")
    edit(repo / IPOIB, "schema: 1\n\n", "schema: 1\n")
    commit(repo, "guessed, one line higher")
    edit(repo / "policies/default.yaml", "thresholds:\n  keep: 7\n", "thresholds:\n  keep: 5\n")
    commit(repo, "policy")
    edit(repo / IPOIB, "deployment: low  # guessed", "deployment: medium")
    commit(repo, "back to the first data")
    policy = repo / "policies/default.yaml"
    policy.write_text(policy.read_text() + "# a comment\n")
    commit(repo, "policy: a comment")
    edit(policy, "thresholds:\n  keep: 5\n", "thresholds:\n  keep: many\n")
    commit(repo, "policy: invalid")
    policy.write_text("\n" + policy.read_text())
    commit(repo, "policy: invalid, one line lower")
    shared = cli("-C", str(repo), "history", "infiniband/ipoib", "--format", "json")
    monkeypatch.setattr(_Versions, "load", lambda self, source: None)
    every = cli("-C", str(repo), "history", "infiniband/ipoib", "--format", "json")
    assert (shared.code, shared.out) == (every.code, every.out)
    rows = json.loads(shared.out)
    assert [r["state"] for r in rows] == ["valid", "valid", "invalid", "invalid", "valid",
                                          "invalid", "invalid", "invalid", "valid", "valid",
                                          "invalid", "invalid"]
    assert rows[9]["touched"] == "policy"
    assert rows[10]["problems"] != rows[11]["problems"]
    assert rows[2]["problems"] != rows[3]["problems"]  # the same data, located a line apart
    assert rows[5]["problems"] != rows[6]["problems"]
    assert "guessed" in rows[5]["problems"][0]


@pytest.mark.parametrize(("today", "note"), [
    ("0001-01-01", "; 24 months before 0001-01-01 is before year 1, so nothing is stale by "
     "stale.source_months; 12 months before 0001-01-01 is before year 1, so nothing is "
     "stale by stale.signals_months"),
    ("0002-06-30", "; 24 months before 0002-06-30 is before year 1, so nothing is stale by "
     "stale.source_months"),
    ("9999-12-31", None),
])
def test_stale_at_the_edges_of_the_calendar(repo: Path, cli: Callable[..., Run], today: str,
                                            note: str | None) -> None:
    """Issue 23: `stale --today 0001-01-01` crashed (year -1 is out of range, exit 3)."""
    result = cli("-C", str(repo), "stale", "--today", today)
    assert result.code == (0 if note else 1), result.err
    summary = (f"5 driver(s) checked on {today} against stale.source_months=24, "
               "stale.signals_months=12")
    assert result.out.splitlines()[-1] == summary + (note or "")


def test_stale_with_the_longest_limits_the_policy_allows(repo: Path,
                                                         cli: Callable[..., Run]) -> None:
    policy = repo / "policies/default.yaml"
    edit(policy, "source_months: 24", "source_months: 1200")
    assert cli("-C", str(repo), "stale", "--today", "0050-01-01").code == 0
    edit(policy, "source_months: 1200", "source_months: 30000")
    result = cli("-C", str(repo), "stale", "--today", "0050-01-01")
    assert result.code == 1
    assert "stale.source_months: must be <= 1200 (found 30000)" in result.err
