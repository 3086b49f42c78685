"""The repository at a git revision, read straight from git objects (no checkout).

    git.Repo + commit --GitTreeSource--> FileSource --build_workspace--> Workspace

`diff`, `impact` and `history` load revisions this way, so the working tree is never
touched and loading and validation are exactly those of the working tree
(checker.validate.workspace.build_workspace). Only regular files (modes 100644 and 100755)
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
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from checker.core.errors import UsageError
from checker.load.document import MAX_BYTES
from checker.load.layout import DRIVERS_DIR, POLICIES_DIR, YAML_SUFFIXES

if TYPE_CHECKING:
    import git

REGULAR_MODES = frozenset({0o100644, 0o100755})
TOPS = (DRIVERS_DIR, POLICIES_DIR)


def safe_path(rel: str) -> bool:
    """A repository-relative path that stays inside the repository."""
    if not rel or rel.startswith("/") or "\\" in rel or "\0" in rel:
        return False
    parts = PurePosixPath(rel).parts
    return all(part not in ("", ".", "..") for part in parts) and rel == "/".join(parts)


@dataclass(frozen=True)
class Entry:
    """One file of a commit's tree, as `git ls-tree` lists it."""

    mode: int
    kind: str  # "blob", "tree" or "commit" (a submodule)
    sha: str
    size: int | None


class GitTreeSource:
    """FileSource over the tree of one commit.

    The tree is listed with one `git ls-tree` and blobs are read through gitpython's
    object database (one persistent `git cat-file`). `prefix` is where the policy
    repository sits inside the git work tree ("" at the top); paths are reported
    relative to it. `only` restricts the source to a few repository-relative paths
    (`history` reads one driver and the policy at every commit that touched them).
    """

    def __init__(
        self,
        repo: git.Repo,
        commit: str,
        prefix: str = "",
        only: Iterable[str] | None = None,
    ) -> None:
        self.repo = repo
        self.commit = commit
        self.prefix = prefix.strip("/")
        self._entries: dict[str, Entry] = {}
        if self.prefix and not safe_path(self.prefix):
            return
        base = f"{self.prefix}/" if self.prefix else ""
        if only is not None:
            wanted = [rel for rel in only if safe_path(rel) and rel.split("/")[0] in TOPS]
            if not wanted:
                return
            specs, recursive = [base + rel for rel in wanted], []
        else:
            specs, recursive = [base + top for top in TOPS], ["-r"]
        out = repo.git(literal_pathspecs=True).ls_tree(
            "-z", "-l", "--full-tree", *recursive, "--end-of-options", commit, "--", *specs
        )
        for record in str(out).split("\0"):
            meta, tab, path = record.partition("\t")
            if not tab or not path.startswith(base):
                continue
            mode, kind, sha, size = meta.split()
            rel = path[len(base) :]
            if only is None and not rel.endswith(YAML_SUFFIXES):
                continue
            entry = Entry(int(mode, 8), kind, sha, None if size == "-" else int(size))
            # Links (120000) and submodules (160000) are never read; neither is a path
            # that could leave the repository.
            if entry.kind == "blob" and entry.mode in REGULAR_MODES and safe_path(rel):
                self._entries[rel] = entry

    def paths(self) -> list[str]:
        return sorted(self._entries)

    def read(self, rel: str) -> bytes:
        entry = readable_entry(self._entries, self.commit, rel)
        data: bytes = self.repo.odb.stream(bytes.fromhex(entry.sha)).read()
        return data

    def blob_id(self, rel: str) -> str | None:
        """The blob's object id (equal ids: equal contents), or None when absent."""
        entry = self._entries.get(rel)
        return entry.sha if entry is not None else None


def readable_entry(entries: dict[str, Entry], commit: str, rel: str) -> Entry:
    """The tree entry of `rel`, or the OSError a working-tree read would give: absent, or
    over the size limit (the loader refuses it anyway: it is never read into memory)."""
    entry = entries.get(rel)
    if entry is None:
        raise FileNotFoundError(errno.ENOENT, f"not in commit {commit[:12]}", rel)
    if entry.size is not None and entry.size > MAX_BYTES:
        message = f"file is {entry.size} bytes; the limit is {MAX_BYTES} bytes"
        raise OSError(errno.EFBIG, message)
    return entry


class BatchSource:
    """FileSource over a few paths at one commit, from blobs read in advance (files_at)."""

    def __init__(self, commit: str, entries: dict[str, Entry], blobs: dict[str, bytes]) -> None:
        self.commit = commit
        self._entries = entries
        self._blobs = blobs

    def paths(self) -> list[str]:
        return sorted(self._entries)

    def read(self, rel: str) -> bytes:
        return self._blobs[readable_entry(self._entries, self.commit, rel).sha]

    def blob_id(self, rel: str) -> str | None:
        entry = self._entries.get(rel)
        return entry.sha if entry is not None else None


def files_at(
    repo: git.Repo, commits: list[str], prefix: str, rels: list[str]
) -> list[BatchSource]:
    """For each commit, a source of `rels` (what GitTreeSource(only=rels) would give),
    read with two `git cat-file --batch` processes in all instead of one `ls-tree` and a
    read per file per commit: the trees that hold the files, then their blobs."""
    base = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    wanted = [rel for rel in dict.fromkeys(rels) if safe_path(rel) and rel.split("/")[0] in TOPS]
    if base and not safe_path(base.rstrip("/")):
        wanted = []
    parents = sorted({rel.rpartition("/")[0] for rel in wanted})
    queries = [f"{commit}:{base}{parent}" for commit in commits for parent in parents]
    trees = _batch(repo, queries)
    width = len(commits[0]) // 2 if commits else 20  # SHA-1 or SHA-256 object ids
    entries: list[dict[str, Entry]] = []
    for number in range(len(commits)):
        found: dict[str, Entry] = {}
        listing = {
            parent: trees[number * len(parents) + index] for index, parent in enumerate(parents)
        }
        for rel in wanted:
            parent, _, name = rel.rpartition("/")
            kind, data = listing[parent]
            if kind == "tree":
                entry = _tree_entry(data, name.encode(), width)
                if entry is not None and entry.mode in REGULAR_MODES:
                    found[rel] = entry
        entries.append(found)
    shas = sorted({e.sha for found in entries for e in found.values()})
    sizes = dict(zip(shas, _batch(repo, shas, check=True), strict=True))
    small = [sha for sha in shas if sizes[sha][0] == "blob" and int(sizes[sha][1]) <= MAX_BYTES]
    blobs = {sha: data for sha, (_, data) in zip(small, _batch(repo, small), strict=True)}
    sized = [
        {rel: Entry(e.mode, e.kind, e.sha, int(sizes[e.sha][1] or 0)) for rel, e in f.items()
         if sizes[e.sha][0] == "blob"}
        for f in entries
    ]
    return [BatchSource(c, f, blobs) for c, f in zip(commits, sized, strict=True)]


def _batch(
    repo: git.Repo, queries: list[str], *, check: bool = False
) -> list[tuple[str, bytes]]:
    """(type, contents) of each object named, "missing" for none, from one cat-file;
    with `check`, (type, size) instead of contents."""
    import subprocess

    if not queries:
        return []
    done = subprocess.run(
        ["git", "--git-dir", str(repo.git_dir), "cat-file",
         "--batch-check" if check else "--batch"],
        input="".join(q + "\n" for q in queries).encode(),
        capture_output=True,
        check=True,
    )
    out, position, results = done.stdout, 0, []
    for _ in queries:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        if len(header) == 3 and header[2].isdigit() and check:
            results.append((header[1].decode(), header[2]))
            position = end + 1
        elif len(header) == 3 and header[2].isdigit():
            size = int(header[2])
            results.append((header[1].decode(), out[end + 1 : end + 1 + size]))
            position = end + 1 + size + 1
        else:  # "<query> missing" or "ambiguous"
            results.append(("missing", b""))
            position = end + 1
    return results


def _tree_entry(data: bytes, name: bytes, width: int) -> Entry | None:
    """The entry called `name` in a raw tree object."""
    position = 0
    while position < len(data):
        space = data.index(b" ", position)
        nul = data.index(b"\0", space)
        if data[space + 1 : nul] == name:
            mode = int(data[position:space], 8)
            kind = "tree" if mode == 0o40000 else "commit" if mode == 0o160000 else "blob"
            return Entry(mode, kind, data[nul + 1 : nul + 1 + width].hex(), None)
        position = nul + 1 + width
    return None


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
