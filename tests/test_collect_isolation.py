"""Nothing of the present leaks into signals computed as of an older revision OLD.

git reads much besides the history it is asked about: the work tree's `.mailmap` and
`.gitattributes` (in a bare repository, HEAD's `.mailmap`), replace refs, grafts, the
repository's and the user's configuration, GIT_* variables of the environment. Each
case below puts one such piece of present state into a real repository whose history
goes on after OLD, in a normal checkout and in a bare clone, and checks two things:
that plain git, run the default way, gives a different answer about OLD there than in
a clone holding only the history up to OLD (so the case can catch a leak), and that
collect's signals at OLD are the same in both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from collect_fixtures import GIT_ENV, POLICY, History, git, lines

from checker.collect.rules import CollectRules
from checker.collect.run import Collected, DriverPaths, collect

RULES = CollectRules.from_policy(POLICY)
DRIVERS = [DriverPaths("d/a", ("drivers/a/",)), DriverPaths("d/b", ("drivers/b/",))]
# One person's three addresses, all used before OLD; the later .mailmap merges them.
ADDRESSES = ("al@one.example", "al@two.example", "al@three.example")
MERGED = "".join(f"Al Ive <{ADDRESSES[0]}> <{other}>\n" for other in ADDRESSES[1:])


def build(path: Path, leaky: bool) -> None:
    """History up to OLD (the same commits, so the same ids, whatever `leaky`), then
    later work; with `leaky`, a later .mailmap and .gitattributes too."""
    h = History(path)
    h.commit("2023-07-01", "import", {"drivers/a/main.c": lines(40, "a"),
                                      "drivers/b/main.c": lines(40, "b"), "README": "r\n"},
             links={"drivers/a/firmware": "1" * 40})
    for month, email in enumerate(ADDRESSES, start=8):
        h.commit(f"2023-{month:02d}-01", f"a: fix {month}",
                 {"drivers/a/main.c": lines(40 + month, "a")}, author=("Al Ive", email))
    h.commit("2023-12-01", "a: new firmware", links={"drivers/a/firmware": "2" * 40})
    h.commit("2024-05-01", "b: fix", {"drivers/b/main.c": lines(45, "b")},
             author=("Bo", "bo@example.org"))
    h.commit("2024-05-31", "last commit at OLD", {"README": "old\n"})
    h.commit("2024-06-15", "b: later fix", {"drivers/b/main.c": lines(46, "b")})
    if leaky:
        h.commit("2024-07-01", "mailmap", {".mailmap": MERGED})
        h.commit("2024-07-02", "attributes", {".gitattributes": "*.c -diff\n"})
    h.commit("2024-08-01", "a: later work", {"drivers/a/main.c": lines(60, "a")})
    h.build()
    git(path, "tag", "old", git(path, "rev-list", "-1", "--before=2024-06-01", "main").strip())


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each repository as a normal checkout at its newest commit and as a bare clone,
    and a clone holding only the history up to OLD (no later object, no local state)."""
    root = tmp_path_factory.mktemp("isolation")
    build(root / "quiet-normal", leaky=False)
    build(root / "leaky-normal", leaky=True)
    clones = {"quiet-bare": ("quiet-normal", ["--bare"]),
              "leaky-bare": ("leaky-normal", ["--bare"]),
              "cut": ("quiet-normal", ["--single-branch", "--branch", "old"])}
    for name, (source, args) in clones.items():
        subprocess.run(["git", "clone", "-q", "--no-local", *args, str(root / source),
                        str(root / name)], env=GIT_ENV, check=True, capture_output=True)
    assert git(root / "leaky-normal", "rev-parse", "old") == git(root / "cut", "rev-parse", "old")
    return {path.name: path for path in root.iterdir()}


def git_dir(repo: Path) -> Path:
    return repo if (repo / "HEAD").is_file() else repo / ".git"


def config(key: str, value: str | Callable[[Path], str]) -> Callable[[Path], None]:
    def apply(repo: Path) -> None:
        text = value(repo) if callable(value) else value
        git(repo, "--git-dir", str(git_dir(repo)), "config", key, text)
    return apply


def write_beside(name: str, text: str) -> Callable[[Path], str]:
    def path(repo: Path) -> str:
        target = repo.parent / f"{repo.name}-{name}"
        target.write_text(text)
        return str(target)
    return path


def replace_graft(repo: Path) -> None:
    first_fix = git(repo, "rev-list", "--reverse", "old").split()[1]
    git(repo, "replace", "--graft", first_fix)  # history before it disappears


def info_graft(repo: Path) -> None:
    first_fix = git(repo, "rev-list", "--reverse", "old").split()[1]
    (git_dir(repo) / "info").mkdir(exist_ok=True)
    (git_dir(repo) / "info" / "grafts").write_text(f"{first_fix}\n")


def nothing(repo: Path) -> None:
    """The history after OLD alone."""


def mailmap_object(repo: Path) -> str:
    return git(repo, "hash-object", "-w", "--stdin", input=MERGED.encode()).strip()


CASES: dict[str, tuple[Callable[[Path], None], dict[str, str]]] = {
    # the later .mailmap and .gitattributes are in the work tree (a normal checkout) or
    # at HEAD (a bare clone)
    "later history": (nothing, {}),
    "replace refs": (replace_graft, {}),
    "grafts": (info_graft, {}),
    "mailmap.file": (config("mailmap.file", write_beside("mailmap", MERGED)), {}),
    "mailmap.blob": (config("mailmap.blob", mailmap_object), {}),
    "core.attributesFile": (config("core.attributesFile",
                                   write_beside("attributes", "*.c -diff\n")), {}),
    "log.showRoot": (config("log.showRoot", "false"), {}),
    "core.bigFileThreshold": (config("core.bigFileThreshold", "16"), {}),
    "i18n.logOutputEncoding": (config("i18n.logOutputEncoding", "UTF-16"), {}),
    "diff.ignoreSubmodules": (config("diff.ignoreSubmodules", "all"), {}),
    "environment": (nothing, {"GIT_CONFIG_COUNT": "2",
                              "GIT_CONFIG_KEY_0": "log.showRoot", "GIT_CONFIG_VALUE_0": "false",
                              "GIT_CONFIG_KEY_1": "core.bigFileThreshold",
                              "GIT_CONFIG_VALUE_1": "16"}),
}


def plain_git(repo: Path, env: dict[str, str]) -> str:
    """What git says about OLD's history when run the default way in `repo`."""
    done = subprocess.run(["git", "log", "--numstat", "--format=%x01%H %aN %aE %s", "old",
                           "--"], cwd=repo, env={**os.environ, **env}, capture_output=True,
                          check=True)
    return done.stdout.decode("utf-8", "replace")


def at_old(repo: Path) -> Collected:
    return collect(repo, DRIVERS, RULES, rev="old", jobs=1)


@pytest.mark.parametrize("layout", ["normal", "bare"])
@pytest.mark.parametrize("case", list(CASES))
def test_present_state_does_not_leak_into_signals_at_old(
        made: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        case: str, layout: str) -> None:
    mutate, env = CASES[case]
    repo = tmp_path / layout
    history = "leaky" if case == "later history" else "quiet"
    shutil.copytree(made[f"{history}-{layout}"], repo, symlinks=True)
    mutate(repo)
    assert plain_git(repo, env) != plain_git(made["cut"], {}), "the case shows no leak"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    expected, found = at_old(made["cut"]), at_old(repo)
    assert found.signals == expected.signals
    assert found.warnings == expected.warnings


@pytest.mark.parametrize("layout", ["normal", "bare"])
def test_local_attributes_are_warned_about(made: dict[str, Path], tmp_path: Path,
                                           layout: str) -> None:
    """$GIT_DIR/info/attributes applies to every revision and no option of git turns it
    off: collect says so."""
    repo = tmp_path / layout
    shutil.copytree(made[f"quiet-{layout}"], repo, symlinks=True)
    info = git_dir(repo) / "info"
    info.mkdir(exist_ok=True)
    (info / "attributes").write_text("# comment\n*.c -diff\n")
    found = at_old(repo)
    assert found.warnings == [
        f"{info / 'attributes'}: git applies this checkout's attributes to every revision "
        "(a file they mark binary counts 0 lines): line counts follow it, not the tree"]
    (info / "attributes").write_text("# only a comment\n\n")
    assert at_old(repo).warnings == []
