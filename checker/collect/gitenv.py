"""The environment git runs in on a kernel checkout: nothing of the present.

Signals are computed as of a revision, often an old one (backtest), so git must read
that revision's history and nothing else. Every git command on the checkout
(gitrepo.Kernel, gitrepo.Stream, and gitpython's `repo.git` of gitrepo.open_repo)
runs in isolated_env:

- GIT_DIR set to the repository and an empty directory as its work tree and current
  directory: git reads `.mailmap` and `.gitattributes` from the work tree (a bare
  repository: `.mailmap` from HEAD), so none is found; a bare repository is treated
  the same way, and collect names `REV:.mailmap` itself;
- no system or user configuration (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL=/dev/null,
  GIT_ATTR_NOSYSTEM), no GIT_* variable of the caller's environment, and the
  settings that change what git prints about history fixed (NEUTRAL_CONFIG) at the
  command line's level, above the repository's own configuration (which cannot be
  switched off);
- no replace refs (GIT_NO_REPLACE_OBJECTS) and no grafts (GIT_GRAFT_FILE names no
  file); LANGUAGE=C and LC_ALL=C, so that git's messages are the same everywhere.

What is left is the repository's `info/attributes` (collect warns when it sets
anything, see local_attributes) and a shallow clone's cut (collect refuses a clone
that does not cover the window). open_kernel alone asks git what a path is with the
caller's own configuration (git_env), whose safe.directory git honours.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
from pathlib import Path

# Settings that change what git prints about history (commits walked, authors after
# .mailmap, line counts, encodings), each fixed to git's own default or switched off,
# whatever any configuration file says.
NEUTRAL_CONFIG: tuple[tuple[str, str], ...] = (
    ("mailmap.file", os.devnull),
    ("mailmap.blob", ""),  # none; collect names REV:.mailmap on its command lines
    ("core.attributesFile", os.devnull),
    ("core.bigFileThreshold", "512m"),  # a larger file diffs as binary (0 lines)
    ("core.useReplaceRefs", "false"),
    ("core.ignoreCase", "false"),
    ("log.showRoot", "true"),  # the first commit's files are shown
    ("log.follow", "false"),
    ("log.showSignature", "false"),
    ("diff.algorithm", "myers"),  # another algorithm counts other lines
    ("diff.ignoreSubmodules", "none"),
    ("diff.relative", "false"),
    ("i18n.commitEncoding", "UTF-8"),
    ("i18n.logOutputEncoding", "UTF-8"),
    ("color.ui", "false"),
    ("color.diff", "false"),
)

# Variables that say where a repository is: git is told that itself.
_LOCATION = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE",
             "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE",
             "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_PREFIX")


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment with LANGUAGE=C and LC_ALL=C, and none of the variables
    that say where a repository is: for open_kernel, which asks git what PATH is (with
    the user's configuration, whose safe.directory git honours)."""
    env = {key: value for key, value in os.environ.items() if key not in _LOCATION}
    env["LANGUAGE"] = "C"
    env["LC_ALL"] = "C"
    if extra:
        env.update(extra)
    return env


def isolated_env(git_dir: str) -> dict[str, str]:
    """The environment of every git command on a repository (module docstring)."""
    empty = empty_dir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("GIT_") or key == "GIT_EXEC_PATH"}
    env.update({
        "LANGUAGE": "C",
        "LC_ALL": "C",
        "GIT_DIR": git_dir,
        "GIT_WORK_TREE": empty,
        "GIT_INDEX_FILE": os.path.join(empty, "index"),  # never written: an empty index
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_GRAFT_FILE": os.path.join(os.devnull, "grafts"),  # no such file, no warning
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_PARAMETERS": "",
        "GIT_CONFIG_COUNT": str(len(NEUTRAL_CONFIG)),
    })
    for number, (key, value) in enumerate(NEUTRAL_CONFIG):
        env[f"GIT_CONFIG_KEY_{number}"] = key
        env[f"GIT_CONFIG_VALUE_{number}"] = value
    return env


_EMPTY: tuple[int, str] | None = None


def empty_dir() -> str:
    """An empty directory of this process's (made once, removed at exit): the work tree
    and current directory of git commands, so that git finds no `.mailmap` or
    `.gitattributes` in it. Worker processes forked later share it."""
    global _EMPTY
    if _EMPTY is None or not os.path.isdir(_EMPTY[1]):
        path = tempfile.mkdtemp(prefix="driver-policy-git-")
        _EMPTY = (os.getpid(), path)
        atexit.register(_remove_empty, os.getpid(), path)
    return _EMPTY[1]


def _remove_empty(owner: int, path: str) -> None:
    if os.getpid() == owner:
        with contextlib.suppress(OSError):
            os.rmdir(path)


def local_attributes(common_dir: str) -> Path | None:
    """The repository's `info/attributes` when it sets any attribute: git applies it
    to every revision and no option turns it off (a file it marks binary, or `-diff`,
    counts 0 lines)."""
    path = Path(common_dir) / "info" / "attributes"
    try:
        text = path.read_text("utf-8", "replace")
    except OSError:
        return None
    settings = [line for line in text.splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    return path if settings else None
