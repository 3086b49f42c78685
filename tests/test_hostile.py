"""Hostile input: templates, policy candidates, resource limits, escaping, git and the file system.

Driver files, policy candidates, templates and git revision names arrive in pull requests
from anyone (docs/security.md). Each test here feeds one kind of hostile input to the
command line or the pipeline and asserts the whole message, the exit code, that no
traceback appears and that nothing is written. The driver and policy corpora are
tests/examples/invalid/ (tests/test_examples.py) and tests/examples/invalid-policy/
(tests/test_policy.py, and below as `impact` candidates); the template corpus is
tests/examples/invalid-template/, here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import git as gitpython
import pytest
from conftest import ROOT, Run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import MD, flat, hostile_text, tables
from test_examples import expectations
from test_gitsource import commit, git, git_env, init_repo

from checker.load.bounds import MAX_DEPTH
from checker.load.document import MAX_BYTES, parse_document
from checker.load.gitsource import GitTreeSource
from checker.validate.driver import validate_driver

EXAMPLES = Path(__file__).parent / "examples"
TEMPLATE_CASES = sorted((EXAMPLES / "invalid-template").glob("*.j2"))
POLICY_CASES = sorted((EXAMPLES / "invalid-policy").glob("*.yaml"))
TARGETS = {"card": "card.md.j2", "index": "index.md.j2", "diff": "diff.md.j2"}
MINIMAL = (EXAMPLES / "valid" / "minimal.yaml").read_text()


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (the check cache aside), with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".driver-policy-cache" not in p.parts
    }


# -- templates ----------------------------------------------------------------------------


def test_template_corpus_is_large_enough() -> None:
    assert len(TEMPLATE_CASES) >= 15
    assert {p.name.split(".")[0] for p in TEMPLATE_CASES} == set(TARGETS)


def template_expectation(case: Path) -> str:
    match = re.match(r"\{# expect: (.*?) #\}\n", case.read_text())
    assert match, f"{case.name} has no '{{# expect: ... #}}' first line"
    return match.group(1)


@pytest.mark.parametrize("case", TEMPLATE_CASES, ids=lambda p: p.stem)
def test_error_invalid_template(case: Path, repo: Path, cli: Callable[..., Run]) -> None:
    """A broken or unsafe template: one located message, exit 1, no traceback, and
    nothing written (render plans every file before it writes one)."""
    expected = template_expectation(case)
    shutil.copy(case, repo / "templates" / TARGETS[case.name.split(".")[0]])
    before = snapshot(repo)
    if case.name.startswith("diff."):
        commands = [("impact", "--policy", "policies/default.yaml", "--format", "markdown")]
    else:
        commands = [("render",), ("render", "--check"), ("check", "--today", "2026-11-21")]
    for command in commands:
        result = cli("-C", str(repo), *command)
        assert (result.code, result.err) == (1, f"driver-policy {command[0]}: {expected}\n")
        assert "Traceback" not in result.out
        assert snapshot(repo) == before


def test_error_missing_card_template(repo: Path, cli: Callable[..., Run]) -> None:
    (repo / "templates/card.md.j2").unlink()
    before = snapshot(repo)
    result = cli("-C", str(repo), "render")
    assert (result.code, result.err) == (
        1, "driver-policy render: templates/: the templates card.md.j2 and index.md.j2 are "
        "missing\n")
    assert snapshot(repo) == before


def test_a_planted_bytecode_cache_file_is_never_run(
    repo: Path, cli: Callable[..., Run], tmp_path: Path
) -> None:
    """jinja2's bytecode cache files are unpickled and run. A pull request can commit
    files into .driver-policy-cache/, so one named the way jinja2 names its files must
    not be read: the checker's cache names come from a key only this installation has."""
    import hashlib
    import pickle

    from jinja2.bccache import bc_magic

    marker = tmp_path / "ran"
    payload = bc_magic + pickle.dumps(_Planted(str(marker)))
    jinja = repo / ".driver-policy-cache" / "jinja"
    jinja.mkdir(parents=True)
    for name in TARGETS.values():
        for base in (repo, repo.resolve()):
            key = hashlib.sha1(name.encode())
            key.update(f"|{base / 'templates' / name}".encode())
            (jinja / f"__jinja2_{key.hexdigest()}.cache").write_bytes(payload)
    assert cli("-C", str(repo), "render", "--check").code == 0
    assert cli("-C", str(repo), "check", "--today", "2026-11-21").code == 0
    assert not marker.exists()


class _Planted:
    """Unpickling this creates a file: proof that a planted cache file was loaded."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (shutil.copy, (__file__, self.path))


# -- policy candidates --------------------------------------------------------------------


@pytest.mark.parametrize("case", POLICY_CASES, ids=lambda p: p.stem)
def test_error_invalid_policy_candidate(case: Path, repo: Path, cli: Callable[..., Run]) -> None:
    """`impact --policy` reads a candidate from anywhere: refused with its problems."""
    before = snapshot(repo)
    result = cli("-C", str(repo), "impact", "--policy", str(case))
    assert result.code == 1
    assert result.out == ""
    assert result.err == "driver-policy impact: the policy is invalid:\n" + "".join(
        f"{case}:{line}\n" for line in expectations(case.read_bytes()))
    assert snapshot(repo) == before


# -- resource limits ----------------------------------------------------------------------


def problems_of(raw: bytes) -> list[str]:
    """The problems of one driver file, loaded and validated in-process."""
    doc, found = parse_document(raw, "f.yaml")
    if doc is not None:
        found = validate_driver(doc, ident="infiniband/f")[1]
    return [str(p) for p in found]


def billion_laughs(levels: int, width: int) -> bytes:
    rows = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for n in range(1, levels):
        rows.append(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * width)}]")
    return ("\n".join(rows) + "\n").encode()


def merge_bomb(levels: int) -> bytes:
    rows = ["m0: &m0 {k: v}"]
    for n in range(1, levels):
        rows.append(f"m{n}: &m{n} {{<<: [{', '.join([f'*m{n - 1}'] * 8)}]}}")
    return ("\n".join(rows) + "\n").encode()


ALIAS = "YAML anchors and aliases are not allowed in evidence files"
DEEP = f"document is nested more than {MAX_DEPTH} levels deep"
MANY = ("document holds more than 10,000 values (keys, values and list items); a driver "
        "file holds far fewer")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(billion_laughs(10, 10), [f"f.yaml:2:10: {ALIAS}"], id="billion-laughs"),
        pytest.param(billion_laughs(40, 2), [f"f.yaml:2:10: {ALIAS}"], id="alias-chain"),
        pytest.param(merge_bomb(12), [f"f.yaml:2:15: {ALIAS}"], id="merge-key-bomb"),
        pytest.param(b"a: &a [*a]\n", [f"f.yaml:1:8: {ALIAS}"], id="self-reference"),
        pytest.param(b"a: " + b"[" * 200_000 + b"]" * 50_000 + b"\n",
                     [f"f.yaml:1:28: {DEEP}"], id="deep-flow"),
        pytest.param(b"a: " + b"{a: " * 50_000 + b"1" + b"}" * 50_000 + b"\n",
                     [f"f.yaml:1:100: {DEEP}"], id="deep-flow-mappings"),
        pytest.param(b"".join(b"  " * i + b"k:\n" for i in range(400)),
                     [f"f.yaml:26:51: {DEEP}"], id="deep-block-mappings"),
        pytest.param(b"a:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 400)),
                     [f"f.yaml:26:51: {DEEP}"], id="deep-block-sequences"),
        pytest.param(b"a: [" + b"{}, " * 60_000 + b"{}]\n", [f"f.yaml:1:39997: {MANY}"],
                     id="many-tiny-values"),
        pytest.param(b"".join(b"k%d: 1\n" % i for i in range(20_000)),
                     [f"f.yaml:5001:1: {MANY}"], id="many-keys"),
        pytest.param(b"a: 1\n" * 5_000, ["f.yaml:2:1: duplicate key 'a' (first defined on line 1)"],
                     id="many-duplicate-keys"),
        pytest.param(b"a: " + b"x" * MAX_BYTES + b"\n",
                     [f"f.yaml:1:1: file is {MAX_BYTES + 4} bytes; the limit is {MAX_BYTES} bytes"],
                     id="huge-file"),
        pytest.param(b"a: " + b"9" * 100_000 + b"\n",
                     ["f.yaml:1:4: YAML error: a value cannot be read (Exceeds the limit (4300 "
                      "digits) for integer string conversion: value has 100000 digits; use "
                      "sys.set_int_max_str_digits() to increase the limit)"],
                     id="huge-integer"),
        pytest.param(("name: " + "x" * 200_000 + "\n").encode(),
                     ["f.yaml:1:7: name: must have at most 500 character(s) (found 200000)"],
                     id="huge-string"),
    ],
)
def test_error_resource_limits(raw: bytes, expected: list[str]) -> None:
    """Refused with one clear message, before any stage spends time per value (each of
    these takes well under a second; no test asserts a time)."""
    found = problems_of(raw)
    assert [p for p in found if "is required" not in p] == expected


def test_error_too_many_problems_are_counted_not_listed() -> None:
    raw = MINIMAL.replace("kconfig: []", "kconfig: [" + ", ".join(["x-y"] * 3000) + "]")
    found = problems_of(raw.encode())
    assert len(found) == 101
    assert found[0] == ("f.yaml:1:1: too many problems: 2900 more are not reported (at most "
                        "100 schema problems per file)")


# -- the pull-request report ------------------------------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(payload=hostile_text(1, 20))
def test_hostile_text_in_the_pull_request_report_stays_text(payload: str) -> None:
    """`impact --format markdown` (and `diff`, which renders the same template) becomes a
    PR comment: probe reasons carrying `replacement.by` and a user report's `who` stay
    text, and the only HTML is the template's own."""
    import contextlib
    import io
    import tempfile

    from test_render import edit_driver

    from checker.cli.main import main

    short = payload[:500]
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch) / "repo"
        shutil.copytree(ROOT / "templates", repo / "templates")
        (repo / "policies").mkdir(parents=True)
        shutil.copy(ROOT / "policies/default.yaml", repo / "policies/default.yaml")
        (repo / "drivers/infiniband").mkdir(parents=True)
        shutil.copy(ROOT / "drivers/infiniband/siw.yaml", repo / "drivers/infiniband/siw.yaml")
        edit_driver(repo, "infiniband/siw", replacement__by=short, users_reported__0__who=short)
        candidate = Path(scratch) / "candidate.yaml"
        candidate.write_text((repo / "policies/default.yaml").read_text()
                             .replace("  keep: 7\n", "  keep: 2\n"))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["-C", str(repo), "impact", "--policy", str(candidate),
                         "--format", "markdown"])
    assert code == 0
    report = out.getvalue()
    assert "infiniband/siw" in report
    tokens = MD.parse(report)
    # the template's own tags: its summaries hold no value from a driver file
    allowed = re.compile(r"<!-- driver-policy-diff -->|</details>|"
                         r"<details><summary>[\w ().-]+</summary>")
    for token in flat(tokens):
        if token.type in ("html_block", "html_inline"):
            assert allowed.fullmatch(token.content.strip()), token.content
    assert [t for t in flat(tokens) if t.type in ("link_open", "image")] == []
    for rows in tables(tokens):
        assert len(set(rows)) == 1, rows


# -- git: revisions and crafted trees -----------------------------------------------------


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = init_repo(tmp_path_factory.mktemp("git") / "data")
    commit(repo, "seed")
    commit(repo, "second")
    return repo


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diff", "--", "--output=OUT"],
         "revision '--output=OUT': a revision cannot begin with '-'"),
        (["diff", "HEAD", "--", "-p"], "revision '-p': a revision cannot begin with '-'"),
        (["diff", "--merge-base", "--", "--upload-pack=touch OUT", "HEAD"],
         "revision '--upload-pack=touch OUT': a revision cannot begin with '-'"),
        (["history", "infiniband/ipoib", "--rev=--output=OUT"],
         "revision '--output=OUT': a revision cannot begin with '-'"),
        (["history", "infiniband/ipoib", "--rev=-1"],
         "revision '-1': a revision cannot begin with '-'"),
        (["diff", "HEAD:policies/default.yaml"],
         "revision 'HEAD:policies/default.yaml' does not name a commit in REPO"),
        (["diff", "HEAD~1", "HEAD^{tree}"],
         "revision 'HEAD^{tree}' does not name a commit in REPO"),
        (["diff", "HEAD@{99}"], "revision 'HEAD@{99}' does not name a commit in REPO"),
        (["diff", "--merge-base", "main", "HEAD..main"],
         "'HEAD..main': diff takes two revisions, not a range: driver-policy diff HEAD main "
         "(or --merge-base BASE HEAD for what a pull request changes)"),
        (["diff", "HEAD\n--all"], "revision 'HEAD\\n--all': not a revision"),
        (["history", "infiniband/ipoib", "--rev=nope"],
         "revision 'nope' does not name a commit in REPO"),
    ],
)
def test_error_hostile_revision_is_a_usage_error(
    history_repo: Path, tmp_path: Path, cli: Callable[..., Run], args: list[str], message: str
) -> None:
    """Never an option to git, never anything but one commit: exit 2, nothing written."""
    out = tmp_path / "owned"
    args = [a.replace("OUT", str(out)) for a in args]
    result = cli("-C", str(history_repo), *args)
    expected = message.replace("OUT", str(out)).replace("REPO", str(history_repo))
    assert (result.code, result.err) == (2, f"driver-policy {args[0]}: usage error: {expected}\n")
    assert result.out == ""
    assert not out.exists()


def fast_import(repo: Path, entries: list[tuple[str, str, bytes]], message: str = "crafted") -> str:
    """A commit on `main` whose tree holds exactly `entries` (mode, path, data), built with
    git fast-import, which writes tree entries that git's porcelain refuses ('..', '.git',
    symbolic links to anywhere). Returns the commit id."""
    stream = [b"commit refs/heads/main\n",
              b"committer Ann Author <ann@example.org> 1777777777 +0000\n",
              b"data %d\n%s\n" % (len(message), message.encode())]
    for mode, path, data in entries:
        stream.append(b'M %s inline "%s"\n' % (mode.encode(), path.encode("unicode_escape")))
        stream.append(b"data %d\n%s\n" % (len(data), data))
    done = subprocess.run(["git", "fast-import", "--quiet", "--force"], cwd=repo, env=git_env(),
                          input=b"".join(stream), capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    return git(repo, "rev-parse", "main").strip()


@pytest.fixture
def crafted(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose commit holds the real data plus tree entries that try to leave
    the repository: '..' and '.' components, a '.git' directory, symbolic links to
    absolute and parent paths, to a directory, and a file named with a newline."""
    repo = tmp_path / "crafted"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    entries = []
    for part in ("drivers", "policies"):
        for path in sorted((ROOT / part).rglob("*.yaml")):
            entries.append(("100644", path.relative_to(ROOT).as_posix(), path.read_bytes()))
    ipoib = (ROOT / "drivers/infiniband/ipoib.yaml").read_bytes()
    entries += [
        ("100644", "drivers/../escape.yaml", ipoib),
        ("100644", "drivers/net/../../escape2.yaml", ipoib),
        ("100644", "drivers/./net/dot.yaml", ipoib),
        ("100644", "drivers/.git/config.yaml", ipoib),
        ("100644", "drivers/net/new\nline.yaml", ipoib),
        ("120000", "drivers/net/passwd.yaml", b"/etc/passwd"),
        ("120000", "drivers/net/up.yaml", b"../../../../../../etc/passwd"),
        ("120000", "drivers/linked", b"/etc"),
        ("120000", "policies/tests", b"../../outside"),
    ]
    return repo, fast_import(repo, entries)


def test_crafted_tree_entries_are_never_read(crafted: tuple[Path, str]) -> None:
    repo, sha = crafted
    listing = git(repo, "ls-tree", "-r", "-z", "--name-only", sha).split("\0")
    paths = GitTreeSource(gitpython.Repo(repo), sha).paths()
    unsafe = [p for p in listing if p and p not in paths]
    assert set(unsafe) >= {"drivers/net/passwd.yaml", "drivers/net/up.yaml", "drivers/linked",
                           "policies/tests"}
    for path in paths:
        parts = path.split("/")
        assert ".." not in parts and "." not in parts and not path.startswith("/"), path
    expected = sorted(p.relative_to(ROOT).as_posix() for part in ("drivers", "policies")
                      for p in (ROOT / part).rglob("*.yaml"))
    extra = sorted(set(paths) - set(expected))
    assert extra == [p for p in extra if p in listing]  # only what the tree really names
    assert "drivers/net/passwd.yaml" not in paths and "drivers/linked" not in paths


def test_diff_and_history_over_a_crafted_tree(
    crafted: tuple[Path, str], cli: Callable[..., Run]
) -> None:
    """The commands read a crafted commit without a traceback and without following any
    link out of the repository."""
    repo, sha = crafted
    for args in (["diff", sha, sha], ["diff", "--format", "json", sha, "HEAD"],
                 ["history", "infiniband/ipoib", f"--rev={sha}"]):
        result = cli("-C", str(repo), *args)
        assert result.code in (0, 1), result.err
        assert "Traceback" not in result.err and "internal error" not in result.err
        assert "root:" not in result.out  # /etc/passwd's content


# -- the working tree: symbolic links ----------------------------------------------------


def test_error_cards_directory_is_a_link(
    repo: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.md").write_text("not a card\n")
    (outside / "sub").mkdir()
    (outside / "sub/keep.svg").write_text("<svg/>\n")
    shutil.rmtree(repo / "cards")
    (repo / "cards").symlink_to(outside)
    for args in (["render"], ["render", "--check"]):
        result = cli("-C", str(repo), *args)
        assert (result.code, result.err) == (
            1, "driver-policy render: cards is a symbolic link; cards/ must hold real "
            "directories only (render would write outside the repository): remove the link, "
            "then run: driver-policy render\n")
    assert sorted(p.relative_to(outside).as_posix() for p in outside.rglob("*")) == [
        "keep.md", "sub", "sub/keep.svg"]


def test_check_does_not_follow_a_linked_cards_directory(
    repo: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    outside = tmp_path / "outside"
    (outside / "private").mkdir(parents=True)
    (outside / "private/notes.md").write_text("mine\n")
    shutil.rmtree(repo / "cards")
    (repo / "cards").symlink_to(outside)
    result = cli("-C", str(repo), "check", "--today", "2026-11-21")
    assert "private/notes.md" not in result.out


def test_error_a_directory_in_cards_is_a_link(
    repo: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(repo / "cards/infiniband")
    (repo / "cards/infiniband").symlink_to(outside)
    result = cli("-C", str(repo), "render")
    assert (result.code, result.err) == (
        1, "driver-policy render: cards/infiniband is a symbolic link; cards/ must hold real "
        "directories only (render would write outside the repository): remove the link, then "
        "run: driver-policy render\n")
    assert list(outside.iterdir()) == []


def test_a_card_that_is_a_link_is_replaced_not_followed(
    repo: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN=hunter2\n")
    card = repo / "cards/infiniband/ipoib.md"
    wanted = card.read_bytes()
    card.unlink()
    card.symlink_to(secret)
    check = cli("-C", str(repo), "render", "--check")
    assert check.code == 1
    assert check.out == "cards/infiniband/ipoib.md:1:1: card is stale; run: driver-policy render\n"
    assert "hunter2" not in check.out + check.err  # the link's target is not read
    assert cli("-C", str(repo), "render").code == 0
    assert not card.is_symlink() and card.read_bytes() == wanted
    assert secret.read_text() == "TOKEN=hunter2\n"


def test_a_driver_file_linking_outside_is_not_read(
    repo: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("TOKEN: hunter2\n")
    (repo / "drivers/net/leak.yaml").symlink_to(secret)
    result = cli("-C", str(repo), "validate")
    assert result.code == 1
    assert ("drivers/net/leak.yaml:1:1: cannot read file: it is a symbolic link (repository "
            "files are never read through links)") in result.out.splitlines()
    assert "hunter2" not in result.out


def test_collect_does_not_follow_a_driver_file_linking_outside(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    from test_collect_cli import DRIVER, build_kernel, make_policy_repo

    build_kernel(tmp_path / "linux")
    policy = make_policy_repo(tmp_path / "policy")
    outside = tmp_path / "outside.yaml"
    outside.write_text(DRIVER)
    link = policy / "drivers/misc/link.yaml"
    link.symlink_to(outside)
    result = cli("-C", str(policy), "collect", "--kernel", str(tmp_path / "linux"))
    assert result.code == 1
    assert result.err == ("drivers/misc/link.yaml: cannot read file: it is a symbolic link "
                          "(repository files are never read through links)\n")
    assert link.is_symlink() and outside.read_text() == DRIVER
    assert "signals:\n  computed_by:" in (policy / "drivers/misc/foo.yaml").read_text()


def test_error_new_does_not_write_through_a_linked_directory(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    from test_collect_cli import build_kernel, make_policy_repo

    build_kernel(tmp_path / "linux")
    policy = make_policy_repo(tmp_path / "policy")
    outside = tmp_path / "outside"
    outside.mkdir()
    (policy / "drivers/net").symlink_to(outside)
    result = cli("-C", str(policy), "new", "--kernel", str(tmp_path / "linux"), "--id",
                 "net/bar", "drivers/misc/bar.c")
    assert (result.code, result.err) == (
        1, "driver-policy new: drivers/net/bar.yaml: a link leaves the repository; refusing "
        "to write through it\n")
    assert list(outside.iterdir()) == []


def test_a_linked_cache_directory_is_not_used_for_templates(
    repo: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / ".driver-policy-cache").symlink_to(outside)
    assert cli("-C", str(repo), "render", "--check").code == 0
    assert not (outside / "jinja").exists()


def test_a_linked_cache_directory_loses_no_file(repo: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "notes.txt").write_text("mine\n")
    (repo / ".driver-policy-cache").symlink_to(outside)
    subprocess.run([sys.executable, "-m", "checker", "-C", str(repo), "check", "--today",
                    "2026-11-21"], cwd=ROOT, capture_output=True, check=False,
                   env={**os.environ, "DRIVER_POLICY_CACHE_DIR": ""})
    assert (outside / "notes.txt").exists()


def test_a_text_report_line_is_one_problem(repo: Path, cli: Callable[..., Run]) -> None:
    siw = repo / "drivers/infiniband/siw.yaml"
    text = re.sub(r"(?m)^  - who: .*$", lambda _: '  - who: "x\\ndrivers/net/fake.yaml:1:1: fake"',
                  siw.read_text(), count=1)
    siw.write_text(text.replace("\n  value: keep\n", "\n  value: remove\n"))
    result = cli("-C", str(repo), "check", "--no-cache", "--today", "2026-11-21")
    assert "infiniband/siw: recorded remove" in result.out
    assert not any(line.startswith("drivers/net/fake.yaml") for line in result.out.splitlines())


# -- the escaping filters, one character class at a time -----------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_md_cell_keeps_a_table_row_whole(text: str) -> None:
    from checker.render.markdown import md_cell, md_code, md_text

    row = f"| {md_cell(text)} | {md_code(text)} | {md_text(text)} |"
    tokens = MD.parse(f"| a | b | c |\n|---|---|---|\n{row}\n")
    assert tables(tokens) == [[3, 3]], row
    assert [t for t in flat(tokens) if t.type in ("html_inline", "html_block", "link_open",
                                                   "image")] == []
