"""checker.render.batch: render in worker processes, only what is not current."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from conftest import Run

from checker.cli.commands.render import planned
from checker.render import batch

SIW = "drivers/infiniband/siw.yaml"


def written(result: Run) -> list[str]:
    return re.findall(r"^(?:wrote|removed) (\S+)$", result.out, flags=re.M)


def test_workers_render_what_the_serial_plan_renders(repo: Path, cli: Callable[..., Run]) -> None:
    """Enough drivers for worker processes (batch.PARALLEL_FROM): the cards they write
    are byte for byte the ones planned in one process."""
    text = (repo / SIW).read_text()
    for number in range(batch.PARALLEL_FROM):
        (repo / f"drivers/infiniband/siw{number}.yaml").write_text(text)
    result = cli("-C", str(repo), "render")
    assert result.code == 0, result.err
    assert len(written(result)) >= batch.PARALLEL_FROM + 2  # the cards and two index pages
    for rel, data in planned(repo).items():
        assert (repo / rel).read_bytes() == data, rel
    again = cli("-C", str(repo), "render")
    assert again.out.endswith(" files, 0 changed)\n")


def test_render_writes_what_changed_and_the_pages_that_show_it(
    repo: Path, cli: Callable[..., Run]
) -> None:
    path = repo / SIW
    path.write_text(path.read_text() + "# a comment: the card's seal covers the file\n")
    assert written(cli("-C", str(repo), "render")) == [
        "cards/infiniband/siw.md"]  # siw has no chart (its signals are not collected)
    path.write_text(path.read_text().replace("deployment: low ", "deployment: high "))
    assert written(cli("-C", str(repo), "render")) == [
        "cards/infiniband/README.md", "cards/infiniband/siw.md"]  # its row shows deployment


def test_a_hand_edited_index_page_is_found_and_rendered_again(
    repo: Path, cli: Callable[..., Run]
) -> None:
    page = repo / "cards/net/README.md"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"# Driver cards: net", b"# Driver cards: NET"))
    check = cli("-C", str(repo), "check", "--today", "2026-11-21")
    assert "cards/net/README.md:1:1: card index is stale; run: driver-policy render" \
        in check.out.splitlines()
    assert written(cli("-C", str(repo), "render")) == ["cards/net/README.md"]
    assert page.read_bytes() == original
