"""checker.load.gitsource: the repository at a revision, read from git objects.

Also home of the small git helpers the other history tests import (real repositories in
temporary directories, built with the git command line).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import git as gitpython
import pytest
from conftest import REPO_PARTS, ROOT

from checker.core.errors import UsageError
from checker.load.document import MAX_BYTES
from checker.load.gitsource import GitTreeSource, resolve_revision, safe_path
from checker.load.layout import DiskSource
from checker.validate.workspace import build_workspace, load_workspace, open_repository

AUTHOR = ("Ann Author", "ann@example.org")


def git_env(**extra: str) -> dict[str, str]:
    """The caller's environment without GIT_* variables, with no user or system config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME=AUTHOR[0],
        GIT_AUTHOR_EMAIL=AUTHOR[1],
        GIT_COMMITTER_NAME=AUTHOR[0],
        GIT_COMMITTER_EMAIL=AUTHOR[1],
        LC_ALL="C",
    )
    env.update(extra)
    return env


def git(cwd: Path, *args: str, **env: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=git_env(**env), capture_output=True, text=True
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def commit(
    cwd: Path, subject: str, *, when: str = "2026-05-01T12:00:00+00:00",
    author: tuple[str, str] = AUTHOR,
) -> str:
    """Stage everything (ignore rules too) and commit; the new commit's id."""
    git(cwd, "add", "-A", "-f")
    git(
        cwd, "commit", "-q", "--no-verify", "--allow-empty", "-m", subject,
        GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when,
        GIT_AUTHOR_NAME=author[0], GIT_AUTHOR_EMAIL=author[1],
    )
    return git(cwd, "rev-parse", "HEAD").strip()


def init_repo(dest: Path, parts: tuple[str, ...] = REPO_PARTS, *, init: bool = True) -> Path:
    """A git repository holding a copy of this repository's data, not yet committed."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in parts:
        if (ROOT / part).exists():
            shutil.copytree(ROOT / part, dest / part)
    if init:
        git(dest, "init", "-q", "-b", "main")
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def data_repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "data")
    commit(repo, "seed")
    return repo


# -- reading a commit -------------------------------------------------------------------


def test_source_at_head_equals_the_working_tree(data_repo: Path) -> None:
    repo = gitpython.Repo(data_repo)
    source = GitTreeSource(repo, "HEAD")
    disk = DiskSource(data_repo)
    assert source.paths() == disk.paths()
    assert "drivers/infiniband/ipoib.yaml" in source.paths()
    assert "policies/default.yaml" in source.paths()
    for rel in source.paths():
        assert source.read(rel) == disk.read(rel)


def test_workspace_from_a_commit_equals_the_working_tree(data_repo: Path) -> None:
    opened = open_repository(data_repo)
    from_git = opened.workspace(resolve_revision(opened.repo, "HEAD"))
    from_disk = load_workspace(data_repo)
    assert from_git.drivers == from_disk.drivers
    assert from_git.policy == from_disk.policy
    assert from_git.fixtures == from_disk.fixtures
    assert from_git.problems == from_disk.problems
    assert from_git.files == from_disk.files


def test_reads_the_commit_not_the_working_tree_and_leaves_it_alone(data_repo: Path) -> None:
    path = data_repo / "drivers/infiniband/ipoib.yaml"
    committed = path.read_bytes()
    edit(path, "deployment: medium", "deployment: low")
    (data_repo / "drivers/net/new.yaml").write_text("not: committed\n")
    status = git(data_repo, "status", "--porcelain")
    stamp = path.stat().st_mtime_ns

    source = GitTreeSource(gitpython.Repo(data_repo), "HEAD")
    assert source.read("drivers/infiniband/ipoib.yaml") == committed
    assert "drivers/net/new.yaml" not in source.paths()
    assert git(data_repo, "status", "--porcelain") == status
    assert path.stat().st_mtime_ns == stamp


def test_an_older_commit_is_read_as_it_was(data_repo: Path) -> None:
    first = git(data_repo, "rev-parse", "HEAD").strip()
    (data_repo / "drivers/infiniband/siw.yaml").unlink()
    commit(data_repo, "drop siw")
    repo = gitpython.Repo(data_repo)
    assert "drivers/infiniband/siw.yaml" in GitTreeSource(repo, first).paths()
    assert "drivers/infiniband/siw.yaml" not in GitTreeSource(repo, "HEAD").paths()
    with pytest.raises(FileNotFoundError):
        GitTreeSource(repo, "HEAD").read("drivers/infiniband/siw.yaml")


def test_only_regular_yaml_files_under_drivers_and_policies(data_repo: Path) -> None:
    ipoib = data_repo / "drivers/infiniband/ipoib.yaml"
    (data_repo / "drivers/net/notes.txt").write_text("not yaml\n")
    (data_repo / "templates/stray.yaml").write_text("a: 1\n")
    (data_repo / "drivers/net/exec.yaml").write_bytes(ipoib.read_bytes())
    (data_repo / "drivers/net/exec.yaml").chmod(0o755)
    os.symlink("../../policies/default.yaml", data_repo / "drivers/net/link.yaml")
    os.symlink("/etc/passwd", data_repo / "drivers/net/passwd.yaml")
    commit(data_repo, "odd files")
    # a submodule (gitlink, mode 160000) in the tree
    head = git(data_repo, "rev-parse", "HEAD").strip()
    git(data_repo, "update-index", "--add", "--cacheinfo", f"160000,{head},drivers/net/sub.yaml")
    git(data_repo, "commit", "-q", "-m", "submodule")

    repo = gitpython.Repo(data_repo)
    tree = git(data_repo, "ls-tree", "-r", "HEAD", "drivers/net")
    assert "120000 blob" in tree and "160000 commit" in tree and "100755 blob" in tree
    paths = GitTreeSource(repo, "HEAD").paths()
    assert "drivers/net/exec.yaml" in paths  # 100755 is a regular file
    for skipped in ("drivers/net/notes.txt", "templates/stray.yaml", "drivers/net/link.yaml",
                    "drivers/net/passwd.yaml", "drivers/net/sub.yaml"):
        assert skipped not in paths
    only = GitTreeSource(repo, "HEAD", only=["drivers/net/link.yaml", "drivers/net/sub.yaml",
                                             "drivers/net/exec.yaml", "../etc/passwd"])
    assert only.paths() == ["drivers/net/exec.yaml"]


def test_paths_with_dot_dot_in_a_crafted_tree_are_skipped(tmp_path: Path) -> None:
    repo_dir = tmp_path / "crafted"
    repo_dir.mkdir()
    git(repo_dir, "init", "-q", "-b", "main")
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=repo_dir, env=git_env(),
        input=b"schema: 1\n", capture_output=True, check=True,
    ).stdout.decode().strip()

    def mktree(entries: str) -> str:
        return subprocess.run(
            ["git", "mktree"], cwd=repo_dir, env=git_env(), input=entries.encode(),
            capture_output=True, check=True,
        ).stdout.decode().strip()

    inner = mktree(f"100644 blob {blob}\tevil.yaml\n")
    drivers = mktree(f"040000 tree {inner}\t..\n100644 blob {blob}\tok.yaml\n")
    root = mktree(f"040000 tree {drivers}\tdrivers\n")
    sha = git(repo_dir, "commit-tree", root, "-m", "crafted").strip()
    source = GitTreeSource(gitpython.Repo(repo_dir), sha)
    assert source.paths() == ["drivers/ok.yaml"]


@pytest.mark.parametrize(
    ("rel", "safe"),
    [
        ("drivers/net/a.yaml", True),
        ("/etc/passwd", False),
        ("drivers/../policies/default.yaml", False),
        ("drivers/./a.yaml", False),
        ("drivers//a.yaml", False),
        ("..", False),
        ("", False),
        ("drivers\\a.yaml", False),
    ],
)
def test_safe_path(rel: str, safe: bool) -> None:
    assert safe_path(rel) is safe


def test_a_blob_over_the_size_limit_is_not_read_into_memory(data_repo: Path) -> None:
    (data_repo / "drivers/net/huge.yaml").write_bytes(b"#" * (MAX_BYTES + 1) + b"\n")
    commit(data_repo, "huge")
    opened = open_repository(data_repo)
    workspace = opened.workspace(resolve_revision(opened.repo, "HEAD"))
    messages = [str(p) for p in workspace.problems if p.path == "drivers/net/huge.yaml"]
    assert messages == [
        f"drivers/net/huge.yaml:1:1: cannot read file: file is {MAX_BYTES + 2} bytes; "
        f"the limit is {MAX_BYTES} bytes"
    ]


def test_a_policy_repository_in_a_subdirectory(tmp_path: Path) -> None:
    top = tmp_path / "top"
    init_repo(top / "policy", init=False)
    git(top, "init", "-q", "-b", "main")
    (top / "README").write_text("outer\n")
    commit(top, "outer")
    opened = open_repository(top / "policy")
    assert opened.prefix == "policy"
    workspace = opened.workspace(resolve_revision(opened.repo, "HEAD"))
    on_disk = load_workspace(top / "policy")
    assert [d.id for d in workspace.drivers] == [d.id for d in on_disk.drivers]
    assert workspace.problems == on_disk.problems


# -- revisions --------------------------------------------------------------------------


def test_resolve_revision_accepts_what_names_a_commit(data_repo: Path) -> None:
    head = git(data_repo, "rev-parse", "HEAD").strip()
    git(data_repo, "tag", "v1")
    git(data_repo, "tag", "-a", "v1-annotated", "-m", "annotated")
    second = commit(data_repo, "second")
    repo = gitpython.Repo(data_repo)
    assert resolve_revision(repo, "HEAD") == second
    assert resolve_revision(repo, "HEAD~1") == head
    assert resolve_revision(repo, "main") == second
    assert resolve_revision(repo, "v1") == head
    assert resolve_revision(repo, "v1-annotated") == head  # a tag object peels to its commit
    assert resolve_revision(repo, head[:10]) == head


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-x", "revision '-x': a revision cannot begin with '-'"),
        ("--output=/tmp/owned", "revision '--output=/tmp/owned': a revision cannot begin with '-'"),
        ("", "a revision cannot be empty"),
        ("HEAD\n--all", "revision 'HEAD\\n--all': not a revision"),
        (" HEAD", "revision ' HEAD': not a revision"),
    ],
)
def test_error_revision_syntax(data_repo: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_revision(gitpython.Repo(data_repo), text)
    assert str(caught.value) == message


@pytest.mark.parametrize("text", ["nope", "HEAD^{tree}", "HEAD:policies/default.yaml", "HEAD~99"])
def test_error_revision_not_a_commit(data_repo: Path, text: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_revision(gitpython.Repo(data_repo), text)
    assert str(caught.value) == f"revision {text!r} does not name a commit in {data_repo}"


def test_error_revision_in_an_empty_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    with pytest.raises(UsageError) as caught:
        resolve_revision(gitpython.Repo(tmp_path), "HEAD")
    assert str(caught.value) == f"revision 'HEAD' does not name a commit in {tmp_path}"


def test_error_not_a_git_repository(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        open_repository(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path} is not inside a git repository (diff, history and impact read "
        "revisions from git)"
    )


def test_an_option_lookalike_never_reaches_git(data_repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "owned"
    with pytest.raises(UsageError):
        resolve_revision(gitpython.Repo(data_repo), f"--output={target}")
    assert not target.exists()


def test_build_workspace_is_the_one_loader(data_repo: Path) -> None:
    """A revision's workspace goes through build_workspace with its problems and all."""
    edit(data_repo / "drivers/infiniband/iser.yaml", "deployment: low", "deployment: lo")
    commit(data_repo, "break iser")
    repo = gitpython.Repo(data_repo)
    from_git = build_workspace(GitTreeSource(repo, "HEAD"), data_repo)
    on_disk = load_workspace(data_repo)
    assert [str(p) for p in from_git.problems] == [str(p) for p in on_disk.problems]
    assert any(p.path == "drivers/infiniband/iser.yaml" for p in from_git.problems)
