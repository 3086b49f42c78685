"""When did each of the tree's shipped configurations last change (usage's upkeep)?

A driver that only dormant boards build is going the way of those boards: barebox
removed its NETX, s3c and ep93xx drivers with the platforms whose defconfigs nobody
had touched in years. So for every configuration file of the tree, `ConfigChanges`
finds the newest commit in the window (at or before REV, at or after the window's
start) that changed it, with one `git log --name-only` limited by two glob pathspecs to
the files named like configurations (`*defconfig`, anything in a `configs/` directory:
`usage.is_shipped_config`'s names). It starts when collect starts and runs beside the
history walk (a NuttX window: about 3 s of git, against 14 s with one literal pathspec
per configuration directory).

A commit that changes more than `collect.config_refresh_files` such files at once is a
tree-wide refresh (`savedefconfig` over every board, a symbol renamed in all of them):
it says nothing about any one board and is not counted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from checker.collect.gitrepo import Repo, Stream

_RECORD = b"\x01"
PATHSPECS = (":(glob)**/*defconfig", ":(glob)**/configs/**")


class ConfigChanges:
    """The window's commits that changed configuration files, listed by a thread."""

    def __init__(self, repo: Repo, sha: str, since: int, until: int,
                 refresh_files: int) -> None:
        self.since, self.until = since, until
        self.refresh_files = refresh_files
        self.commits: list[tuple[int, list[str]]] = []  # (time, configuration paths)
        self.error: BaseException | None = None
        self._stream = Stream(repo, "log", [
            "--no-merges", "-z", "--no-color", "--no-renames", "--name-only",
            "--format=%x01%ct", *([f"--max-age={since}"] if since > 0 else []), sha, "--",
            *PATHSPECS])  # a window starting before 1970 is cut here, not by git
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        pending = b""
        try:
            for chunk in self._stream.chunks():
                records = (pending + chunk).split(_RECORD)
                pending = records.pop()
                for record in records:
                    self._take(record)
            self._take(pending)
            self._stream.finish()
        except BaseException as error:  # handed to the caller of last_changes
            self._stream.kill()
            self.error = error

    def _take(self, record: bytes) -> None:
        """One commit: `%ct`, then its paths; NULs and newlines separate them (a path
        holding a newline is split and names no configuration: it is not counted)."""
        words = [w for w in record.replace(b"\n", b"\0").split(b"\0") if w]
        if not words or not words[0].lstrip(b"-").isdigit():
            return
        stamp = int(words[0])
        if self.since <= stamp < self.until:
            self.commits.append((stamp, [w.decode("utf-8", "surrogateescape")
                                         for w in words[1:]]))

    def last_changes(self, paths: Iterable[str]) -> dict[str, int]:
        """Configuration path -> committer time of the newest counted commit that
        changed it; paths no counted commit changed are absent."""
        self._thread.join()
        if self.error is not None:
            raise self.error
        wanted = set(paths)
        found: dict[str, int] = {}
        for stamp, changed in self.commits:
            if len(changed) > self.refresh_files:
                continue
            for path in changed:
                if path in wanted and found.get(path, -1) < stamp:
                    found[path] = stamp
        return found

    def close(self) -> None:
        """Stop git if nobody asked for the result."""
        if self._thread.is_alive():
            self._stream.kill()
            self._thread.join()
