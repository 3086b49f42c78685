"""Every file under cards/: plan what render writes, compare with the disk, write.

    outcomes --plan--> {path: bytes} --compare--> Differences --write--> cards/

Reads and writes go through checker.load.fsutil; a symbolic link on the way into cards/
is refused, writes are atomic, orphans are removed.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from checker.core.errors import CheckerError
from checker.core.model import Driver
from checker.load.fsutil import is_regular, read_file
from checker.load.layout import CARDS_DIR, managed_files
from checker.render.cards import card_path, render_card
from checker.render.chart import chart_path, render_chart
from checker.render.index import index_row, is_index, render_index_rows
from checker.render.templates import REGENERATE

if TYPE_CHECKING:
    from checker.evaluate.consistency import Outcome
    from checker.validate.policy import Policy


def plan(
    templates: Path,
    outcomes: Sequence[Outcome],
    policy: Policy,
    inputs: Mapping[str, str],
    progress: Callable[[int], None] | None = None,
    key: str | None = None,
) -> dict[str, bytes]:
    """Every file `render` writes under cards/, by repository-relative path; `inputs`
    maps each driver file to its inputs_digest (the seal of its card and chart), `key`
    is the inputs_key that seals the index pages; `progress` is told of each card
    rendered (a bar on long runs)."""
    files: dict[str, bytes] = {}
    for outcome in outcomes:
        digest = inputs[outcome.driver.file]
        files[card_path(outcome.driver)] = render_card(templates, outcome, policy, digest).encode()
        chart = render_chart(outcome, digest)
        if chart is not None:
            files[chart_path(outcome.driver)] = chart.encode()
        if progress is not None:
            progress(1)
    for path, text in render_index_rows(templates, [index_row(o) for o in outcomes],
                                        policy, key).items():
        files[path] = text.encode()
    return dict(sorted(files.items()))


@dataclass(frozen=True)
class Difference:
    """One file of cards/ that is not what `render` would write."""

    path: str
    state: str  # "stale", "missing" or "orphaned"
    diff: str = ""  # a unified diff, for a stale file

    @property
    def kind(self) -> str:
        if is_index(self.path):
            return "card index"
        return "chart" if self.path.endswith(".svg") else "card"

    @property
    def message(self) -> str:
        return f"{self.kind} is {self.state}; run: {REGENERATE}"

    def __str__(self) -> str:
        return f"{self.path}:1:1: {self.message}"


def unified_diff(path: str, current: bytes, wanted: bytes) -> str:
    old = current.decode("utf-8", errors="replace").splitlines(keepends=True)
    new = wanted.decode("utf-8", errors="replace").splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, fromfile=f"a/{path}", tofile=f"b/{path}")
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def compare(
    root: Path, wanted: Mapping[str, bytes], ignore: Iterable[str] = ()
) -> list[Difference]:
    """What differs between cards/ on disk and `wanted`; paths in `ignore` are not judged.

    cards/ and the directories in it must be real directories (a CheckerError says which
    is not): a symbolic link there would make `render` read, write and remove files
    outside the repository. A card that is itself a symbolic link is stale and is not
    read (its target could be any file); `render` replaces the link with the card.
    """
    _refuse_linked_dirs(root, f"{CARDS_DIR}/")
    skip = set(ignore)
    out = []
    for rel, data in wanted.items():
        path = root / rel
        _refuse_linked_dirs(root, rel)
        if not path.exists() and not path.is_symlink():
            out.append(Difference(rel, "missing"))
            continue
        if not is_regular(path):  # a link, a FIFO, a directory: never read, replaced
            out.append(Difference(rel, "stale"))
            continue
        current = read_file(path, rel, root=root)
        if current != data:
            out.append(Difference(rel, "stale", unified_diff(rel, current, data)))
    for rel in managed_files(root):
        if rel not in wanted and rel not in skip:
            out.append(Difference(rel, "orphaned"))
    return sorted(out, key=lambda d: d.path)


def write(root: Path, differences: Iterable[Difference], wanted: Mapping[str, bytes]) -> None:
    """Bring cards/ in line: write stale and missing files atomically (several at once:
    each waits for its bytes to reach the disk), then remove orphans."""
    from concurrent.futures import ThreadPoolExecutor

    from checker.load.fsutil import write_atomic, write_error

    todo = list(differences)
    refuse_linked_dirs(root, [d.path for d in todo])
    writes = [d.path for d in todo if d.state != "orphaned"]
    for rel in writes:
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            raise CheckerError(f"{rel}: is a directory where the card "
                               "belongs; remove it, then run: driver-policy render")

    def one(rel: str) -> None:
        write_atomic(root / rel, wanted[rel], display=rel)

    if len(writes) > 1:
        with ThreadPoolExecutor(_WRITERS) as pool:
            for _ in pool.map(one, writes):  # the first failure is raised
                pass
    else:
        for rel in writes:
            one(rel)
    for difference in todo:
        if difference.state != "orphaned":
            continue
        path = root / difference.path
        try:
            path.unlink()
        except FileNotFoundError:
            pass  # another render removed it first
        except OSError as exc:
            raise write_error(difference.path, exc) from None
        _remove_empty_dirs(path.parent, root / CARDS_DIR)


_WRITERS = 8  # files written at once: their waits for the disk overlap


def refuse_linked_dirs(root: Path, rels: Iterable[str]) -> None:
    """_refuse_linked_dirs for each of `rels` (and cards/ itself), each directory once."""
    _refuse_linked_dirs(root, f"{CARDS_DIR}/")
    seen: set[str] = set()
    for rel in rels:
        parent = rel.rsplit("/", 1)[0]
        if parent not in seen:
            seen.add(parent)
            _refuse_linked_dirs(root, rel)


def _refuse_linked_dirs(root: Path, rel: str) -> None:
    """A CheckerError when a directory on the way from `root` to `rel` is a symbolic link
    (cards/ itself included)."""
    path = root
    for part in rel.split("/")[:-1]:
        path = path / part
        if path.is_symlink():
            raise CheckerError(
                f"{path.relative_to(root).as_posix()} is a symbolic link; {CARDS_DIR}/ must "
                "hold real directories only (render would write outside the repository): "
                "remove the link, then run: driver-policy render")
        if path.exists() and not path.is_dir():
            raise CheckerError(
                f"{path.relative_to(root).as_posix()}: is a file where {CARDS_DIR}/ needs a "
                "directory; remove it, then run: driver-policy render")


def _remove_empty_dirs(directory: Path, stop: Path) -> None:
    """Remove directories left empty, up to `stop`; another render removing or filling
    one at the same time is not an error."""

    while directory != stop:
        with contextlib.suppress(OSError):
            if any(directory.iterdir()):
                return
        try:
            directory.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            return  # not empty any more, or not ours to remove: leave it
        directory = directory.parent


def unrenderable(root: Path, drivers: Sequence[Driver]) -> list[str]:
    """Card paths of driver files on disk that did not validate (their cards are kept)."""
    from checker.load.layout import driver_id, relative
    from checker.validate.workspace import driver_files

    valid = {d.id for d in drivers}
    out = []
    for path in driver_files(root):
        ident = driver_id(relative(root, path))
        if ident is not None and ident not in valid:
            out += [f"{CARDS_DIR}/{ident}.md", f"{CARDS_DIR}/{ident}.svg"]
    return out
