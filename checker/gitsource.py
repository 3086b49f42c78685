"""The repository at a git revision, read straight from git objects (no checkout).

    git.Repo + commit --GitTreeSource--> FileSource --build_workspace--> Workspace

`diff`, `impact` and `history` load revisions this way, so the working tree is never
touched and loading and validation are exactly those of the working tree
(checker.repository.build_workspace). Only regular files (modes 100644 and 100755)
under drivers/ and policies/ are read: symbolic links, submodules and paths that are
absolute or contain `..` are skipped, so a commit cannot point the loader anywhere
else. Revisions typed by users go through resolve_revision first and never reach git
as an option.

gitpython is imported only inside the functions that need it, so commands that do not
read history start without it.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from checker.errors import UsageError
from checker.load import MAX_BYTES
from checker.repository import DRIVERS_DIR, POLICIES_DIR, YAML_SUFFIXES, Workspace, build_workspace

if TYPE_CHECKING:
    import git
    from git.objects import Blob, Commit

REGULAR_MODES = frozenset({0o100644, 0o100755})
TOPS = (DRIVERS_DIR, POLICIES_DIR)


def safe_path(rel: str) -> bool:
    """A repository-relative path that stays inside the repository."""
    if not rel or rel.startswith("/") or "\\" in rel or "\0" in rel:
        return False
    parts = PurePosixPath(rel).parts
    return all(part not in ("", ".", "..") for part in parts) and rel == "/".join(parts)


class GitTreeSource:
    """FileSource over the tree of one commit.

    `prefix` is where the policy repository sits inside the git work tree ("" when it is
    the top); paths are reported relative to it. `only` restricts the source to a few
    repository-relative paths, looked up directly instead of listing the whole tree
    (`history` reads one driver and the policy at hundreds of commits).
    """

    def __init__(
        self,
        repo: git.Repo,
        commit: str,
        prefix: str = "",
        only: Iterable[str] | None = None,
    ) -> None:
        self.commit: Commit = repo.commit(commit)
        self.prefix = prefix.strip("/")
        self._blobs: dict[str, Blob] = {}
        root = self._subtree(self.prefix) if self.prefix else self.commit.tree
        if root is None:
            return
        if only is not None:
            for rel in only:
                if safe_path(rel) and rel.split("/")[0] in TOPS:
                    blob = _lookup(root, rel)
                    if blob is not None:
                        self._blobs[rel] = blob
            return
        from git.objects import Blob

        for top in TOPS:
            tree = _lookup_tree(root, top)
            if tree is None:
                continue
            for item in tree.traverse():
                if not isinstance(item, Blob) or item.mode not in REGULAR_MODES:
                    continue  # trees are walked; links (120000) and submodules are not read
                rel = f"{top}/{_relative(str(item.path), str(tree.path))}"
                if safe_path(rel) and rel.endswith(YAML_SUFFIXES):
                    self._blobs[rel] = item

    def _subtree(self, prefix: str) -> git.Tree | None:
        return _lookup_tree(self.commit.tree, prefix) if safe_path(prefix) else None

    def paths(self) -> list[str]:
        return sorted(self._blobs)

    def read(self, rel: str) -> bytes:
        blob = self._blobs.get(rel)
        if blob is None:
            raise FileNotFoundError(errno.ENOENT, f"not in commit {self.commit.hexsha[:12]}", rel)
        if blob.size > MAX_BYTES:  # refused by the loader anyway: do not read it into memory
            raise OSError(errno.EFBIG, f"file is {blob.size} bytes; the limit is {MAX_BYTES} bytes")
        data: bytes = blob.data_stream.read()
        return data

    def blob_id(self, rel: str) -> str | None:
        """The blob's object id (equal ids: equal contents), or None when absent."""
        blob = self._blobs.get(rel)
        return blob.hexsha if blob is not None else None


def _relative(path: str, base: str) -> str:
    return path[len(base) + 1 :] if path.startswith(base + "/") else path


def _lookup_tree(tree: git.Tree, rel: str) -> git.Tree | None:
    from git.objects import Tree

    try:
        item = tree / rel
    except KeyError:
        return None
    return item if isinstance(item, Tree) else None


def _lookup(tree: git.Tree, rel: str) -> Blob | None:
    from git.objects import Blob

    try:
        item = tree / rel
    except KeyError:
        return None
    if not isinstance(item, Blob) or item.mode not in REGULAR_MODES:
        return None
    return item


@dataclass(frozen=True)
class GitRepository:
    """An opened git repository and where the policy repository sits inside it."""

    repo: git.Repo
    root: Path  # the policy repository directory (what -C names)
    prefix: str  # root relative to the top of the work tree ("" at the top)

    def source(self, sha: str, only: Iterable[str] | None = None) -> GitTreeSource:
        return GitTreeSource(self.repo, sha, self.prefix, only)

    def workspace(self, sha: str) -> Workspace:
        """The repository at commit `sha`, loaded and validated like the working tree."""
        return build_workspace(self.source(sha), self.root)


def open_repository(root: Path) -> GitRepository:
    """The git repository holding `root`; a usage error when there is none."""
    import git
    from git.exc import InvalidGitRepositoryError, NoSuchPathError

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError):
        raise UsageError(
            f"{root} is not inside a git repository (diff, history and impact read "
            "revisions from git)"
        ) from None
    top = repo.working_tree_dir
    if top is None:  # a bare repository: the policy repository is its top
        return GitRepository(repo, root, "")
    try:
        prefix = root.resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        prefix = ""
    return GitRepository(repo, root, "" if prefix == "." else prefix)


def check_revision_syntax(text: str) -> None:
    """Refuse what could be read as an option, or is not one revision, before git sees it."""
    if not text:
        raise UsageError("a revision cannot be empty")
    if text.startswith("-"):
        raise UsageError(f"revision {text!r}: a revision cannot begin with '-'")
    if any(ch in text for ch in "\0\r\n") or text != text.strip():
        raise UsageError(f"revision {text!r}: not a revision")


def resolve_revision(repo: git.Repo, text: str) -> str:
    """The full id of the commit `text` names (a branch, tag, id, `HEAD~2`, ...).

    Raises UsageError for a value beginning with `-` and for anything that does not
    resolve to a commit (an unknown name, a tree or blob id, an empty repository).
    """
    from git.exc import GitCommandError

    check_revision_syntax(text)
    try:
        out = repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{text}^{{commit}}")
    except GitCommandError:
        where = repo.working_tree_dir or repo.git_dir
        raise UsageError(f"revision {text!r} does not name a commit in {where}") from None
    sha = str(out).strip()
    if len(sha) not in (40, 64) or any(ch not in "0123456789abcdef" for ch in sha):
        raise UsageError(f"revision {text!r} does not name one commit")
    return sha
