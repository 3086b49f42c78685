"""The kernel checkout: open it, resolve a revision, stream git's output.

collect runs plain `git` processes (a Kernel: where to run git, nothing else), with
git's machine-readable output streamed, never per-commit object access: gitpython is
not imported on that path (its import and its `git version` probe cost more than the
walk of a small tree). Commands that use gitpython's `repo.git` (backtest, init, new)
open the checkout with open_repo, and every helper here takes either. Both run git
the same way: in the environment of gitenv.py (nothing of the checkout's present,
work tree, configuration or replace refs, reaches what git prints about history),
stdin closed unless it is written to; stderr is drained by a thread so that a chatty
git never blocks on a full pipe, and its tail is kept for the error message.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Union

from checker.collect.gitenv import empty_dir, git_env, isolated_env
from checker.core.errors import CheckerError, UsageError

if TYPE_CHECKING:
    import git

CHUNK = 1 << 20


@dataclass(frozen=True)
class Revision:
    sha: str
    committed: int  # committer timestamp (seconds since the epoch)

    @property
    def day(self) -> date:
        return utc_day(self.committed)


_FIRST = int(datetime(1, 1, 2, tzinfo=UTC).timestamp())
_LAST = int(datetime(9999, 12, 30, tzinfo=UTC).timestamp())


def utc_day(stamp: int) -> date:
    """The UTC day of a git timestamp. git stores any 64-bit number: a commit dated
    after 9999 or before year 1 is taken as the last or first day Python can hold
    (dates before 1970 are negative numbers and work as they are)."""
    return datetime.fromtimestamp(min(max(stamp, _FIRST), _LAST), UTC).date()


class GitFailed(Exception):
    """A git command exited non-zero; `stderr` is what it said."""

    def __init__(self, stderr: str) -> None:
        super().__init__(stderr)
        self.stderr = stderr


@dataclass(frozen=True)
class Kernel:
    """A checkout (or bare repository) as plain git sees it: where git runs."""

    given: str  # the path given (shown in messages)
    cwd: str  # where git runs: the work tree's top, or the bare repository itself
    git_dir: str
    common_dir: str
    bare: bool

    def argv(self, args: Sequence[str], config: Sequence[str] = ()) -> list[str]:
        argv = ["git"]
        for item in config:
            argv += ["-c", item]
        return argv + list(args)

    def env(self) -> dict[str, str]:
        """The environment git runs in on this repository (gitenv.py)."""
        return isolated_env(self.git_dir)

    def run(self, *args: str, config: Sequence[str] = ()) -> str:
        """git's stdout (text, the last newline kept), or GitFailed with its stderr."""
        done = subprocess.run(self.argv(args, config), cwd=empty_dir(), env=self.env(),
                              stdin=subprocess.DEVNULL, capture_output=True, check=False)
        if done.returncode != 0:
            raise GitFailed(done.stderr.decode("utf-8", "replace"))
        return done.stdout.decode("utf-8", "surrogateescape")

    def close(self) -> None:
        """Nothing is held open between commands (here for open_repo's callers)."""


Repo = Union[Kernel, "git.Repo"]


def open_kernel(path: Path) -> Kernel:
    """Open a kernel checkout, a worktree or a bare repository, or fail with a message
    that says what is wrong (git's own words, and the path given).

    git itself says what `path` is (`rev-parse --absolute-git-dir --is-bare-repository`),
    looking at `path` only, not at a repository that happens to contain it.
    """
    if not path.exists():
        raise CheckerError(f"--kernel {path}: no such directory")
    if not path.is_dir():
        raise CheckerError(f"--kernel {path}: not a directory")
    done = subprocess.run(
        ["git", "rev-parse", "--absolute-git-dir", "--is-bare-repository", "--git-common-dir"],
        cwd=str(path), env=git_env({"GIT_CEILING_DIRECTORIES": str(path.resolve().parent)}),
        stdin=subprocess.DEVNULL, capture_output=True, check=False)
    if done.returncode != 0:
        text = _clean(done.stderr.decode("utf-8", "replace"))
        raise CheckerError(f"--kernel {path}: not a git repository ({text})")
    lines = done.stdout.decode("utf-8", "surrogateescape").splitlines()
    git_dir, bare, common = lines[0].strip(), lines[1].strip() == "true", lines[2].strip()
    common_dir = str((path / common).resolve()) if not os.path.isabs(common) else common
    return Kernel(str(path), git_dir if bare else str(path), git_dir, common_dir, bare)


def open_repo(path: Path) -> git.Repo:
    """The checkout as a gitpython Repo, for commands that use `repo.git` (backtest,
    init, new); opened as open_kernel opens it, whose Kernel it carries."""
    import git
    from git.exc import InvalidGitRepositoryError, NoSuchPathError

    kernel = open_kernel(path)
    try:
        if kernel.bare:
            repo = git.Repo(kernel.git_dir, search_parent_directories=False)
            repo.git = git.Git(kernel.git_dir)  # run git inside the repository itself
        else:
            repo = git.Repo(path, search_parent_directories=False)
    except (InvalidGitRepositoryError, NoSuchPathError) as exc:
        raise CheckerError(f"--kernel {path}: not a git repository ({exc})") from None
    repo._kernel = kernel  # type: ignore[attr-defined]
    repo.git.update_environment(**kernel.env())  # as plain git runs (gitenv.py)
    return repo


def as_kernel(repo: Repo) -> Kernel:
    """The Kernel of either kind of opened repository."""
    if isinstance(repo, Kernel):
        return repo
    kernel: Kernel | None = getattr(repo, "_kernel", None)
    if kernel is None:  # a Repo opened some other way: run git where gitpython would
        where = str(repo.git.working_dir)
        kernel = Kernel(where, where, str(repo.git_dir), str(repo.common_dir), repo.bare)
    return kernel


def check_rev_syntax(rev: str) -> None:
    if not rev or rev.startswith("-"):
        raise UsageError(f"--rev {rev!r}: a revision cannot be empty or begin with '-'")
    if any(char in rev for char in "\0\n"):
        raise UsageError(f"--rev {rev!r}: not a revision")


def resolve(repo: Repo, rev: str) -> Revision:
    """The commit `rev` names, and its date, from one git process; `rev` never reaches
    git as an option."""
    check_rev_syntax(rev)
    kernel = as_kernel(repo)
    try:
        out = kernel.run("log", "-1", "--no-walk", "--no-show-signature", "--format=%H %ct",
                         "--end-of-options", f"{rev}^{{commit}}", "--")
    except GitFailed:
        try:  # git's own words for what is wrong with `rev`
            kernel.run("rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}")
            message = "not a commit"
        except GitFailed as exc:
            message = _clean(exc.stderr)
        raise CheckerError(f"--rev {rev}: does not name a commit in {repo_path(repo)} "
                           f"(git: {message})") from None
    sha, _, stamp = out.strip().partition(" ")
    if not _SHA.fullmatch(sha) or _names_range(kernel, rev):
        raise UsageError(f"--rev {rev}: does not name one commit")
    try:
        return Revision(sha, int(stamp))
    except ValueError:
        raise CheckerError(f"--rev {rev}: commit {sha} has no readable date") from None


def _names_range(kernel: Kernel, rev: str) -> bool:
    """'^HEAD', 'A..B' and other forms that name no single commit (rare: only asked
    when the text could be one)."""
    if not any(mark in rev for mark in ("^", "..", "@{", "!")) or rev.endswith(("^0", "^{}")):
        return False
    try:
        out = kernel.run("rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}")
    except GitFailed:
        return True
    return not _SHA.fullmatch(out.strip())


_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def repo_path(repo: Repo) -> str:
    """The path to show for a repository: the one given for a bare repository, else
    its work tree's (absolute)."""
    kernel = as_kernel(repo)
    return kernel.given if kernel.bare else os.path.normpath(os.path.abspath(kernel.cwd))


def shallow_boundary(repo: Repo) -> list[str]:
    """The commits where a shallow clone's history is cut (empty for a full clone)."""
    shallow = Path(as_kernel(repo).common_dir) / "shallow"
    if not shallow.is_file():
        return []
    return [line.strip() for line in shallow.read_text().splitlines() if line.strip()]


def commit_times(repo: Repo, shas: Sequence[str]) -> list[int]:
    if not shas:
        return []
    out = as_kernel(repo).run("show", "-s", "--no-show-signature", "--format=%ct", *shas, "--")
    return [int(line) for line in out.split()]


class Stream:
    """A running git command whose stdout is read in chunks; stderr kept."""

    def __init__(self, repo: Repo, command: str, args: Sequence[str],
                 stdin: bool = False, config: Sequence[str] = ()) -> None:
        self.command = f"git {command}"
        kernel = as_kernel(repo)
        self.proc: subprocess.Popen[bytes] = subprocess.Popen(
            kernel.argv([command, *args], config), cwd=empty_dir(), env=kernel.env(),
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._err = bytearray()
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    @property
    def stdin(self) -> IO[bytes]:
        assert self.proc.stdin is not None
        return self.proc.stdin

    @property
    def stdout(self) -> IO[bytes]:
        assert self.proc.stdout is not None
        return self.proc.stdout

    def _read_stderr(self) -> None:
        stream = self.proc.stderr
        if stream is None:
            return
        try:
            for chunk in iter(lambda: stream.read(8192), b""):
                self._err += chunk
                if len(self._err) > 65536:
                    del self._err[:-32768]
        except (OSError, ValueError):
            pass
        finally:
            stream.close()

    def chunks(self) -> Iterator[bytes]:
        """What git has printed so far, as soon as there is some (up to CHUNK bytes a
        time), so that parsing overlaps git's work."""
        stdout = self.stdout
        read = stdout.read1 if hasattr(stdout, "read1") else stdout.read
        while True:
            chunk = read(CHUNK)
            if not chunk:
                return
            yield chunk

    def read_all(self) -> bytes:
        """Everything git prints, once it has succeeded (killed on any failure)."""
        try:
            data = b"".join(self.chunks())
            self.finish()
        except BaseException:
            self.kill()
            raise
        return data

    def finish(self) -> None:
        """Wait for git; raise CheckerError with git's own words if it failed."""
        with contextlib.suppress(OSError, ValueError):
            self.stdout.close()
        code = self.proc.wait()
        self._drain.join(timeout=5)
        if code != 0:
            raise CheckerError(f"{self.command} failed (exit {code}): {self.error_text()}")

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError, ValueError):
                    pipe.close()
        self.proc.wait()
        self._drain.join(timeout=5)

    def error_text(self) -> str:
        text = self._err.decode("utf-8", "replace").strip()
        lines = [line for line in text.splitlines() if line.strip()]
        return explain_git_error("\n".join(lines[-5:]) or "no message")


def explain_git_error(text: str) -> str:
    lowered = text.lower()
    hints = []
    if "bad object" in lowered or "unable to read" in lowered or "missing" in lowered \
            or "could not read" in lowered or "does not exist" in lowered:
        hints.append("objects are missing from the repository (a partial or damaged "
                     "clone?): run `git fsck` there, or fetch the full history")
    if "shallow" in lowered or "grafted" in lowered:
        hints.append("the clone is shallow: deepen it with `git fetch --unshallow`")
    return text + ("" if not hints else " (" + "; ".join(hints) + ")")


def _clean(stderr: str) -> str:
    return explain_git_error(stderr.strip())
