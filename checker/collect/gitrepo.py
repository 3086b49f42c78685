"""The kernel checkout, through gitpython: open it, resolve a revision, stream output.

Every git command goes through `git.Repo(...).git`, with git's machine-readable
output streamed (`as_process=True`), never per-commit object access. stderr is
drained by a thread so that a chatty git never blocks on a full pipe, and its tail
is kept for the error message.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import git
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from checker.errors import CheckerError, UsageError

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


def open_repo(path: Path) -> git.Repo:
    """Open a kernel checkout, a worktree or a bare repository, or fail with a message
    that says what is wrong (git's own words, and the path given).

    git itself says what `path` is (`rev-parse --absolute-git-dir --is-bare-repository`):
    gitpython alone takes a bare repository without a `config` file for a work tree
    whose parent is the checkout, and then every command runs in the wrong directory.
    """
    if not path.exists():
        raise CheckerError(f"--kernel {path}: no such directory")
    if not path.is_dir():
        raise CheckerError(f"--kernel {path}: not a directory")
    probe = git.Git(str(path))
    # Only `path` itself: not a repository that happens to contain it.
    probe.update_environment(GIT_CEILING_DIRECTORIES=str(path.resolve().parent))
    try:
        out = probe.rev_parse("--absolute-git-dir", "--is-bare-repository")
    except GitCommandError as exc:
        raise CheckerError(f"--kernel {path}: not a git repository ({_stderr(exc)})") from None
    lines = out.splitlines()
    git_dir, bare = lines[0].strip(), lines[-1].strip() == "true"
    try:
        if bare:
            repo = git.Repo(git_dir, search_parent_directories=False)
            repo.git = git.Git(git_dir)  # run git inside the repository itself
            repo._kernel_path = str(path)  # type: ignore[attr-defined]
        else:
            repo = git.Repo(path, search_parent_directories=False)
    except (InvalidGitRepositoryError, NoSuchPathError) as exc:
        raise CheckerError(f"--kernel {path}: not a git repository ({exc})") from None
    return repo


def check_rev_syntax(rev: str) -> None:
    if not rev or rev.startswith("-"):
        raise UsageError(f"--rev {rev!r}: a revision cannot be empty or begin with '-'")
    if any(char in rev for char in "\0\n"):
        raise UsageError(f"--rev {rev!r}: not a revision")


def resolve(repo: git.Repo, rev: str) -> Revision:
    """The commit `rev` names; `rev` never reaches git as an option."""
    check_rev_syntax(rev)
    try:
        out = repo.git.rev_parse("--verify", "--end-of-options", f"{rev}^{{commit}}")
    except GitCommandError as exc:
        raise CheckerError(f"--rev {rev}: does not name a commit in {repo_path(repo)} "
                           f"(git: {_stderr(exc)})") from None
    sha = out.strip()
    if not _SHA.fullmatch(sha):  # '^HEAD' and other forms that name no single commit
        raise UsageError(f"--rev {rev}: does not name one commit")
    try:
        stamp = repo.git.show("-s", "--no-show-signature", "--format=%ct", sha, "--")
    except GitCommandError as exc:
        raise CheckerError(f"--rev {rev}: cannot read commit {sha}: {_stderr(exc)}") from None
    try:
        return Revision(sha, int(stamp.strip()))
    except ValueError:
        raise CheckerError(f"--rev {rev}: commit {sha} has no readable date") from None


_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def repo_path(repo: git.Repo) -> str:
    """The path to show for a repository: the one given for a bare repository."""
    given = getattr(repo, "_kernel_path", None)
    if given:
        return str(given)
    return str(repo.working_tree_dir if not repo.bare else repo.git_dir)


def shallow_boundary(repo: git.Repo) -> list[str]:
    """The commits where a shallow clone's history is cut (empty for a full clone)."""
    shallow = Path(repo.common_dir) / "shallow"
    if not shallow.is_file():
        return []
    return [line.strip() for line in shallow.read_text().splitlines() if line.strip()]


def commit_times(repo: git.Repo, shas: Sequence[str]) -> list[int]:
    if not shas:
        return []
    out = repo.git.show("-s", "--no-show-signature", "--format=%ct", *shas, "--")
    return [int(line) for line in out.split()]


class Stream:
    """A running git command whose stdout is read in chunks; stderr kept."""

    def __init__(self, repo: git.Repo, command: str, args: Sequence[str],
                 stdin: bool = False, config: Sequence[str] = ()) -> None:
        self.command = f"git {command}"
        runner = repo.git(c=list(config)) if config else repo.git
        method = getattr(runner, command.replace("-", "_"))
        kwargs: dict[str, Any] = {"as_process": True}
        if stdin:
            kwargs["istream"] = subprocess.PIPE
        self._handle = method(*args, **kwargs)
        self.proc: subprocess.Popen[bytes] = self._handle.proc
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
        for chunk in iter(lambda: stream.read(8192), b""):
            self._err += chunk
            if len(self._err) > 65536:
                del self._err[:-32768]

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
        with contextlib.suppress(OSError, ValueError):
            self.stdout.close()
        self.proc.wait()

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


def _stderr(exc: GitCommandError) -> str:
    text = exc.stderr if isinstance(exc.stderr, str) else str(exc)
    text = text.strip().removeprefix("stderr:").strip().strip("'").strip()
    return explain_git_error(text)
