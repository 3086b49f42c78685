"""checker.render.cards and `driver-policy render`: golden cards, card structure, escaping, --check.

The golden cards in tests/golden/ are what the real templates render for the five seed
drivers in drivers/ under policies/default.yaml, compared byte for byte. After an
intended change to the evidence, the policy or the templates, regenerate them with

    UPDATE_GOLDEN=1 pytest tests/test_render.py

and review the diff like any other change to a card.
"""

from __future__ import annotations

import functools
import json
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, Run
from markdown_it import MarkdownIt
from markdown_it.token import Token
from ruamel.yaml import YAML
from strategies import tables

from checker.cli.commands.render import planned
from checker.core.model import Driver
from checker.evaluate.consistency import Outcome, check_driver
from checker.render.cards import MONTH_NAMES, card_context
from checker.render.files import plan
from checker.render.index import INDEX_FILE, index_row, render_index_rows
from checker.render.markdown import (
    Markdown,
    md_cell,
    md_code,
    md_link,
    md_paragraphs,
    md_text,
    safe_url,
)
from checker.render.seal import inputs_digest, inputs_key
from checker.render.templates import environment
from checker.validate.policy import Policy
from checker.validate.workspace import Workspace, load_workspace

GOLDEN = Path(__file__).resolve().parent / "golden"
TEMPLATES = ROOT / "templates"
SEEDS = (
    "infiniband/ipoib",
    "infiniband/iser",
    "infiniband/siw",
    "infiniband/srpt",
    "net/smc-tcp-ulp",
)
H2 = ["Recommendation", "Why", "Evidence", "Repository signals", "Sources", "Reasoning notes"]
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


# -- helpers -----------------------------------------------------------------------


def outcomes_of(workspace: Workspace) -> list[Outcome]:
    assert workspace.policy is not None
    return [
        check_driver(d, workspace.policy, date.min, lambda f, k: (1, 1))[0]
        for d in workspace.drivers
    ]


@dataclass(frozen=True)
class Rendered:
    files: dict[str, bytes]
    outcomes: dict[str, Outcome]
    policy: Policy

    def text(self, ident: str) -> str:
        return self.files[f"cards/{ident}.md"].decode()

    def driver(self, ident: str) -> Driver:
        return self.outcomes[ident].driver


def render_at(root: Path) -> Rendered:
    """Load a repository once and render its cards with the real templates."""
    workspace = load_workspace(root)
    assert workspace.policy is not None
    outcomes = outcomes_of(workspace)
    documents = workspace.documents
    key = inputs_key(TEMPLATES, documents["policies/default.yaml"].text.encode())
    inputs = {o.driver.file: inputs_digest(key, o.driver.file,
                                           documents[o.driver.file].text.encode())
              for o in outcomes}
    files = plan(TEMPLATES, outcomes, workspace.policy, inputs, key=key)
    return Rendered(files, {o.driver.id: o for o in outcomes}, workspace.policy)


@functools.cache
def here() -> Rendered:
    return render_at(ROOT)


def outcome_of(ident: str) -> Outcome:
    """The computed verdict, so that the tests follow the policy rather than copy it."""
    return here().outcomes[ident]


def pct(value: float) -> str:
    return f"{round(value * 100)}%"


def num(value: float) -> str:
    return f"{value:g}".replace("-", "−")


def text_of(tokens: list[Token]) -> str:
    """The visible text of a parsed document: text and code, escapes resolved."""
    parts: list[str] = []
    for token in tokens:
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        if token.type in ("paragraph_close", "th_close", "td_close", "list_item_close"):
            parts.append("\n")
    return "".join(parts)


def flat(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        yield from flat(token.children or [])


def links(tokens: list[Token]) -> list[str]:
    return [str(t.attrs["href"]) for t in flat(tokens) if t.type == "link_open"]


def images(tokens: list[Token]) -> list[str]:
    return [str(t.attrs["src"]) for t in flat(tokens) if t.type == "image"]


def headings(tokens: list[Token], level: str) -> list[str]:
    return [
        tokens[i + 1].content
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.tag == level
    ]


def assert_well_formed_card(text: str, driver: Driver) -> list[Token]:
    """The structure every card has, whatever its driver file holds."""
    tokens = MD.parse(text)
    assert tokens[0].type == "html_block"
    assert tokens[0].content.startswith(
        "<!-- Generated by `driver-policy render` from "
        f"{driver.file}, policies/default.yaml, "
        "templates/card.md.j2."
    )
    html = [t for t in flat(tokens) if t.type in ("html_block", "html_inline")]
    assert html == [tokens[0]], "no HTML but the generated-file header"
    assert len(headings(tokens, "h1")) == 1
    h2 = headings(tokens, "h2")
    assert h2[0].startswith("Verdict: ")
    assert h2[1:] == H2
    for rows in tables(tokens):
        assert len(set(rows)) == 1, f"a row has another number of cells than the header: {rows}"
    expected = {"../../" + driver.file, "../README.md"} | {safe_url(s.url) for s in driver.sources}
    assert set(links(tokens)) <= expected
    name = driver.id.split("/")[1]
    assert images(tokens) == ([f"{name}.svg"] if driver.signals is not None else [])
    return tokens


def set_path(data: Any, path: str, value: Any) -> None:
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


def edit_driver(root: Path, ident: str, **changes: Any) -> None:
    """Set fields of a driver file (dotted paths, '__' for '.'), keeping its layout."""
    yaml = YAML(typ="rt")
    path = root / "drivers" / f"{ident}.yaml"
    data = yaml.load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        set_path(data, key.replace("__", "."), value)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


# -- golden cards ------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return here().files


def golden_files(ident: str, files: dict[str, bytes]) -> dict[str, bytes]:
    return {
        rel: data
        for rel, data in files.items()
        if rel in (f"cards/{ident}.md", f"cards/{ident}.svg")
    }


@pytest.mark.parametrize("ident", SEEDS)
def test_golden_card(ident: str, rendered: dict[str, bytes]) -> None:
    files = golden_files(ident, rendered)
    assert f"cards/{ident}.md" in files, f"the seed driver {ident} is missing from drivers/"
    expected_names = {rel.removeprefix("cards/") for rel in files}
    on_disk = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.glob(f"{ident}.*")}
    if os.environ.get("UPDATE_GOLDEN"):
        for stale in on_disk - expected_names:
            (GOLDEN / stale).unlink()
        for rel, data in files.items():
            target = GOLDEN / rel.removeprefix("cards/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return
    assert on_disk == expected_names, "run: UPDATE_GOLDEN=1 pytest tests/test_render.py"
    for rel, data in files.items():
        golden = (GOLDEN / rel.removeprefix("cards/")).read_bytes()
        assert data == golden, (
            f"{rel} differs from tests/golden; if intended, run: "
            "UPDATE_GOLDEN=1 pytest tests/test_render.py"
        )


def test_the_committed_cards_are_current(rendered: dict[str, bytes]) -> None:
    for rel, data in rendered.items():
        assert (ROOT / rel).read_bytes() == data, f"{rel} is stale; run: driver-policy render"


# -- structure ---------------------------------------------------------------------


@pytest.mark.parametrize("ident", SEEDS)
def test_card_structure(ident: str, rendered: dict[str, bytes]) -> None:
    driver = here().driver(ident)
    assert_well_formed_card(rendered[f"cards/{ident}.md"].decode(), driver)


def test_index_structure(rendered: dict[str, bytes]) -> None:
    drivers = [o.driver for o in here().outcomes.values()]
    tokens = MD.parse(rendered[INDEX_FILE].decode())
    assert tokens[0].type == "html_block"
    assert tokens[0].content.startswith(
        "<!-- Generated by `driver-policy render` from drivers/*/*.yaml "
        f"({len(drivers)} files), policies/default.yaml, templates/index.md.j2."
    )
    assert [t for t in flat(tokens) if t.type.startswith("html")] == [tokens[0]]
    assert headings(tokens, "h1") == ["Driver cards"]
    assert headings(tokens, "h2") == ["Verdicts", "Subsystems", "Computed deprecate or remove",
                                      "Drafts to finish"]
    assert [sorted(set(rows)) for rows in tables(tokens)] == [[2], [6], [4]]
    verdicts, subsystems, leaving = tables(tokens)
    assert len(verdicts) == 1 + 4 + 1  # header, four verdicts, total
    names = sorted({d.subsystem for d in drivers})
    assert len(subsystems) == 1 + len(names)
    removed = sorted(o.driver.id for o in here().outcomes.values()
                     if o.computed.value in ("deprecate", "remove"))
    assert len(leaving) == 1 + len(removed)
    assert links(tokens) == [f"{n}/README.md" for n in names] + [f"{i}.md" for i in removed]
    for link in links(tokens):
        assert f"cards/{link}" in rendered
    # the summary lists no driver that is not leaving: one index per subsystem does
    for name in names:
        page = MD.parse(rendered[f"cards/{name}/README.md"].decode())
        assert headings(page, "h1") == [f"Driver cards: {name}"]
        assert headings(page, "h2") == ["Verdicts", "Drivers"]
        mine = sorted(d.id for d in drivers if d.subsystem == name)
        assert links(page) == ["../README.md"] + [f"{i.split('/', 1)[1]}.md" for i in mine]
        assert len(tables(page)[1]) == 1 + len(mine)


def test_ipoib_card_shows_everything_the_seed_shows(rendered: dict[str, bytes]) -> None:
    """Seed 002 shows figures, monthly activity, sources and notes; the card shows them
    all (taken from the driver file, which encodes the seed), plus the reasons."""
    outcome = outcome_of("infiniband/ipoib")
    driver, verdict = outcome.driver, outcome.computed
    text = rendered["cards/infiniband/ipoib.md"].decode()
    visible = text_of(MD.parse(text))  # code spans' backticks are gone: compare without them

    def shown(value: str) -> bool:
        return " ".join(value.replace("`", "").split()) in visible

    signals = driver.signals
    assert signals is not None and driver.verdict is not None
    assert shown(driver.path) and shown(driver.name) and shown(driver.summary)
    for label, value in [
        ("Files", f"{signals.files:,}"),
        ("Source lines", f"{signals.source_lines:,}"),
        ("Commits", f"{signals.commits:,}"),
        ("Lines added / removed", f"+{signals.lines_added:,} / −{signals.lines_removed:,}"),
        ("Authors", f"{signals.authors:,}"),
        ("Active months", f"{signals.active_months} of {signals.months} "),
    ]:
        assert f"| {label} | {value}" in text
    assert (
        f"{signals.window_start} → {signals.window_end} · {signals.commits} commits · "
        f"active in {signals.active_months}/{signals.months} months"
    ) in visible
    for month in signals.monthly:  # every month's figures, in the calendar table
        row = next(
            line for line in text.splitlines() if line.startswith(f"| {month_name(month.month)} |")
        )
        cell = (
            f"{month.commits} (+{month.added} −{month.removed})"
            if month.commits or month.added or month.removed
            else "0"
        )
        column = int(month.month[:4]) - int(signals.monthly[0].month[:4])
        assert row.split(" | ")[1 + column].strip(" |") == cell, month
    for number, source in enumerate(driver.sources, start=1):
        assert (
            f"{number}. [{source.domain}]({source.url}) · {source.date} · "
            "(only the domain was recorded)"
        ) in text
        assert shown(source.claim)
    assert driver.verdict.notes is not None
    assert shown(driver.verdict.notes) and shown(driver.verdict.recommendation)
    assert (
        f"`{verdict.value} conf={verdict.confidence:.2f} deploy=medium replacement=none "
        "subsystem=infiniband category=networking-other`"
    ) in text
    assert f"## Verdict: {verdict.value} ({pct(verdict.confidence)} confidence)" in text
    assert "with the auditor's own confidence of 90% (recorded, not computed" in text
    for finding in verdict.findings:  # every probe with its contribution and reason
        assert f"| {finding.probe} | " in text or f"| **{finding.probe}** | " in text
        assert f"| {finding.reason} |" in text
    assert f"| total | | **{'+' if verdict.score > 0 else ''}{num(verdict.score)}** | |" in text
    assert "![Monthly commits to drivers/infiniband/ulp/ipoib, " in text


def month_name(month: str) -> str:
    return MONTH_NAMES[int(month[5:7]) - 1]


def test_siw_signals_are_not_collected_never_zero(rendered: dict[str, bytes]) -> None:
    text = rendered["cards/infiniband/siw.md"].decode()
    assert (
        "Not collected: the driver file has no repository signals (`signals: null`). The "
        "probes that read them count them as unknown, never as zero."
    ) in text
    assert "cards/infiniband/siw.svg" not in rendered
    assert "| activity | unknown | 0 | repository signals not collected |" in text
    assert "### Monthly commits" not in text


@pytest.mark.parametrize("ident", SEEDS)
def test_card_says_what_decided(ident: str, rendered: dict[str, bytes]) -> None:
    policy = here().policy
    verdict = outcome_of(ident).computed
    text = rendered[f"cards/{ident}.md"].decode()
    limits = policy.thresholds
    bands = "; ".join(
        f"{name} ≥ {num(limits[name])}" for name in ("keep", "keep-annotate", "deprecate")
    )
    bands += f"; remove below {num(limits['deprecate'])}"
    if verdict.rule == "score":
        assert (
            f"Decided by the score: {num(verdict.score)} gives **{verdict.value}** "
            f"({bands}). No hard rule changed it."
        ) in text
    else:
        rule = next(r for r in policy.rules if r.id == verdict.rule)
        effect = {
            "verdict": "sets the verdict to",
            "at_most": "caps the verdict at",
            "at_least": "raises the verdict to",
        }[rule.effect]
        assert (
            f"Decided by the hard rule `{rule.id}`, which {effect} {rule.target}: "
            f"{' '.join(rule.why.split())}. The score alone, {num(verdict.score)}, gives "
            f"{verdict.score_verdict} ({bands})."
        ) in text
    for rule_id in verdict.rules_held:
        assert f"- `{rule_id}` (" in text
    assert ("No hard rule held." in text) is (not verdict.rules_held)


def test_card_without_recorded_confidence(rendered: dict[str, bytes]) -> None:
    text = rendered["cards/infiniband/siw.md"].decode()
    assert "Recorded in the driver file: **keep**, with no confidence of its own." in text


def test_undated_source_and_full_url(rendered: dict[str, bytes]) -> None:
    text = rendered["cards/net/smc-tcp-ulp.md"].decode()
    assert (
        "4. [www.webpronews.com](https://www.webpronews.com/linux-kernel-pulls-the-plug-on-"
        "ibms-smc-tcp-networking-code-after-years-of-neglect/) · undated\n"
    ) in text
    assert (
        "1. [www.phoronix.com](https://www.phoronix.com/news/Linux-Reverting-SMC-TCP-ULP) · "
        "2026-02-03\n" in text
    )
    assert "(only the domain was recorded)" not in text
    assert f"score {num(outcome_of('net/smc-tcp-ulp').computed.score)}" in text


def test_srpt_verdict_line_has_last_sold_like_the_seed(rendered: dict[str, bytes]) -> None:
    text = rendered["cards/infiniband/srpt.md"].decode()
    verdict = outcome_of("infiniband/srpt").computed
    assert (
        f"`{verdict.value} conf={verdict.confidence:.2f} last_sold=2025 deploy=low "
        "replacement=none subsystem=infiniband category=storage-scsi-ata`"
    ) in text


# -- determinism -------------------------------------------------------------------


def test_rendering_does_not_depend_on_the_machine_or_the_place(
    tmp_path: Path, rendered: dict[str, bytes]
) -> None:
    copy = tmp_path / "elsewhere" / "repo"
    for part in ("drivers", "policies", "templates"):
        shutil.copytree(ROOT / part, copy / part)
    again = planned(copy)  # what the command renders, anywhere
    assert again == rendered
    for data in again.values():
        assert str(tmp_path).encode() not in data and str(ROOT).encode() not in data


# -- escaping ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain text, 0.4 and 2025.", "plain text, 0.4 and 2025."),
        ("a*b*", "a\\*b\\*"),
        ("snake_case_name", "snake_case_name"),
        ("_emphasis_ and __strong__", "\\_emphasis\\_ and \\_\\_strong\\_\\_"),
        ("<b>bold</b>", "\\<b\\>bold\\</b\\>"),
        ("[a](https://x.example)", "\\[a\\](https&#8203;://x.example)"),
        ("a | b", "a \\| b"),
        ("`code` stays", "`code` stays"),
        ("``a`b`` stays", "``a`b`` stays"),
        ("`x|y` is a pipe in code", "\\`x\\|y\\` is a pipe in code"),
        ("one ` backtick", "one \\` backtick"),
        ("# heading", "\\# heading"),
        ("#hashtag", "#hashtag"),
        ("1. item", "1\\. item"),
        ("2025) item", "2025\\) item"),
        ("- item", "\\- item"),
        ("-x", "-x"),
        ("---", "\\---"),
        ("===", "\\==="),
        ("+ item", "\\+ item"),
        ("> quote", "\\> quote"),
        ("AT&T", "AT&T"),
        ("&amp; &#106;", "\\&amp; \\&#106;"),
        ("$x$", "\\$x\\$"),
        ("~~gone~~", "\\~\\~gone\\~\\~"),
        ("back\\slash", "back\\\\slash"),
        ("a\nb\n\n  c\t d", "a b c d"),
        ("x\u202ey\x07z", "x\ufffdy\ufffdz"),
    ],
)
def test_md_text(raw: str, expected: str) -> None:
    assert md_text(raw) == expected


def test_md_cell_keeps_line_start_characters() -> None:
    assert md_cell("- 1. # x | y") == "- 1. # x \\| y"


def test_md_paragraphs_keeps_blank_line_paragraphs() -> None:
    assert md_paragraphs("# one\ntwo\n\n\n- three\n") == "\\# one two\n\n\\- three"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc", "`abc`"),
        ("a`b", "``a`b``"),
        ("`a", "`` `a ``"),
        ("a|b", "a\\|b"),
        ("", ""),
    ],
)
def test_md_code(raw: str, expected: str) -> None:
    assert md_code(raw) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://lore.kernel.org/", "[x](https://lore.kernel.org/)"),
        ("HTTP://EXAMPLE.ORG/a", "[x](HTTP://EXAMPLE.ORG/a)"),
        ("https://x.example/a(b)c", "[x](https://x.example/a%28b%29c)"),
        ("https://x.example/a|b<c>", "[x](https://x.example/a%7Cb%3Cc%3E)"),
        ("https://x.example/é", "[x](https://x.example/%C3%A9)"),
        ("javascript:alert(1)", "x"),
        ("JavaScript:alert(1)//https://x", "x"),
        ("data:text/html;base64,PHNjcmlwdD4=", "x"),
        ("vbscript:msgbox", "x"),
        ("//evil.example/", "x"),
        ("http:///no-host", "x"),
        ("https://x.example/a b", "x"),
        ("https://x.example/\u202e", "x"),
        ("", "x"),
    ],
)
def test_md_link_only_for_http_urls(url: str, expected: str) -> None:
    assert md_link("x", url) == expected


def test_templates_must_escape_everything_they_print(tmp_path: Path) -> None:
    for name in ("card.md.j2", "index.md.j2"):
        (tmp_path / name).write_text("{{ value }}\n")
    template = environment(tmp_path).get_template("card.md.j2")
    with pytest.raises(TypeError, match="without an escaping filter"):
        template.render(value="<b>")
    assert template.render(value=Markdown("ok")) == "ok\n"
    assert template.render(value=3) == "3\n"


PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "<javascript:alert(1)> and <https://evil.example/>",
    "![pixel](https://evil.example/p.png)",
    "a | b | c",
    "`x | y` and `` ` ``",
    "unbalanced ``` fence",
    '[ref]: https://evil.example/ "title"',
    "[ref]",
    "# not a heading",
    "1. not a list",
    "> not a quote",
    "---",
    "&lt;script&gt; &#x3C;b&#x3E;",
    "*emph* _emph_ **strong** ~~strike~~ $math$",
    "line one\n\n<div>block</div>\n\n[r]: https://evil.example/\n| a | b |\n|---|---|",
    "trailing backslash \\",
    "<!-- comment --> -->",
]
FIELDS = [
    "name",
    "summary",
    "sources__0__claim",
    "verdict__notes",
    "verdict__recommendation",
    "replacement__by",
    "replacement__note",
    "upstream__0__summary",
    "provenance",
    "signals__computed_by",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_untrusted_text_cannot_inject(repo: Path, payload: str) -> None:
    short = payload.replace("\n", " ")  # short text fields (name, by) are one line
    edit_driver(
        repo,
        "infiniband/ipoib",
        **{f: short if f in ("name", "replacement__by") else payload for f in FIELDS},
        sources__1__url="https://x.example/a)b|c",
        sources__1__domain_only=False,
    )
    result = render_at(repo)
    files = result.files
    tokens = assert_well_formed_card(
        result.text("infiniband/ipoib"), result.driver("infiniband/ipoib")
    )
    assert set(links(tokens)) == {
        "../../drivers/infiniband/ipoib.yaml",
        "../README.md",
        "https://lore.kernel.org/",
        "https://x.example/a%29b%7Cc",
        "https://docs.nvidia.com/",
    }
    visible = " ".join(text_of(tokens).replace("`", "").replace("\u200b", "").split())
    expected = " ".join(payload.replace("`", "").split())
    assert visible.count(expected) >= len(FIELDS) - 2  # name and by are one line already
    index = MD.parse(files[INDEX_FILE].decode())
    assert [t for t in flat(index) if t.type.startswith("html")] == [index[0]]
    assert [sorted(set(rows)) for rows in tables(index)] == [[2], [6], [4]]
    assert links(index) == ["infiniband/README.md", "net/README.md", "net/smc-tcp-ulp.md"]
    page = MD.parse(files["cards/infiniband/README.md"].decode())
    assert [t for t in flat(page) if t.type.startswith("html")] == [page[0]]
    assert [sorted(set(rows)) for rows in tables(page)] == [[2], [6]]
    assert links(page) == ["../README.md", "ipoib.md", "iser.md", "siw.md", "srpt.md"]


def test_untrusted_override_and_user_report(repo: Path) -> None:
    payload = "<b>x</b> [y](javascript:z) | `q"
    edit_driver(
        repo,
        "infiniband/siw",
        users_reported__0__who=payload,
        users_reported__0__claim=payload,
        verdict__override={
            "verdict": "deprecate",
            "reason": payload,
            "by": payload,
            "until": date(2027, 1, 1),
        },
    )
    result = render_at(repo)
    tokens = assert_well_formed_card(result.text("infiniband/siw"), result.driver("infiniband/siw"))
    assert text_of(tokens).count("<b>x</b> [y](javascript:z) | `q") >= 4


# -- overrides -----------------------------------------------------------------------


def test_override_box_shows_reason_by_until_and_the_computed_verdict(repo: Path) -> None:
    computed = outcome_of("infiniband/ipoib").computed
    target = "deprecate" if computed.value != "deprecate" else "remove"
    edit_driver(
        repo,
        "infiniband/ipoib",
        verdict__value=target,
        verdict__override={
            "verdict": target,
            "reason": "The only user moves to RoCE in 2026.",
            "by": "A Maintainer <maintainer@example.org>",
            "until": date(2027, 6, 30),
        },
    )
    result = render_at(repo)
    files, text = result.files, result.text("infiniband/ipoib")
    assert_well_formed_card(text, result.driver("infiniband/ipoib"))
    conf = pct(computed.confidence)
    assert (
        f"## Verdict: {target} (override; computed: {computed.value}, {conf} confidence)\n\n"
        f"`{target} conf={computed.confidence:.2f} deploy=medium replacement=none "
        "subsystem=infiniband category=networking-other`\n"
    ) in text
    assert (
        f"> **⚠ Override in force: {target}.** It departs from the computed verdict "
        f"**{computed.value}** (score {num(computed.score)}, confidence {conf}).\n"
        ">\n"
        "> - **Reason:** The only user moves to RoCE in 2026.\n"
        "> - **By:** A Maintainer \\<maintainer@&#8203;example.org\\>\n"
        "> - **Until:** 2027-06-30\n"
    ) in text
    index = files["cards/infiniband/README.md"].decode()
    assert f"| {target} *override* (computed {computed.value}) | {conf} |" in index
    assert "1 verdict is set by an override." in index
    assert "1 verdict is set by an override." in files[INDEX_FILE].decode()


def test_recorded_verdict_that_differs_is_flagged(repo: Path) -> None:
    verdict = outcome_of("infiniband/ipoib").computed
    edit_driver(repo, "infiniband/ipoib", verdict__value="remove")
    text = render_at(repo).text("infiniband/ipoib")
    assert (
        "> **⚠ The recorded verdict differs.** The driver file records **remove** but the "
        f"policy computes **{verdict.value}**."
    ) in text
    assert f"## Verdict: {verdict.value} ({pct(verdict.confidence)} confidence)" in text


def test_driver_without_recorded_verdict(repo: Path) -> None:
    edit_driver(repo, "infiniband/iser", verdict=None)
    result = render_at(repo)
    text = result.text("infiniband/iser")
    assert_well_formed_card(text, result.driver("infiniband/iser"))
    value = outcome_of("infiniband/iser").computed.value
    assert (
        f"No verdict is recorded in the driver file yet. The policy computes **{value}**;"
    ) in text
    assert "## Reasoning notes\n\nNone recorded.\n" in text


# -- the command -------------------------------------------------------------------


def test_render_check_passes_on_the_repository(cli: Callable[..., Run]) -> None:
    result = cli("-C", str(ROOT), "render", "--check")
    assert result.code == 0, result.out
    assert result.out.startswith("ok: cards/ is current (")


def test_render_writes_then_check_passes(repo: Path, cli: Callable[..., Run]) -> None:
    shutil.rmtree(repo / "cards")
    result = cli("-C", str(repo), "render")
    assert result.code == 0
    assert "wrote cards/infiniband/ipoib.md\nwrote cards/infiniband/ipoib.svg\n" in result.out
    assert cli("-C", str(repo), "render", "--check").code == 0
    again = cli("-C", str(repo), "render")
    assert again.out.endswith(" files, 0 changed)\n")


def test_render_check_fails_after_an_evidence_change(repo: Path, cli: Callable[..., Run]) -> None:
    edit_driver(repo, "infiniband/ipoib", sources__0__claim="A changed claim.")
    before = (repo / "cards/infiniband/ipoib.md").read_bytes()
    listed = cli("-C", str(repo), "render", "--check")
    assert (listed.code, listed.out.splitlines()[0]) == (
        1, "cards/infiniband/ipoib.md:1:1: card is stale; run: driver-policy render")
    assert "---" not in listed.out  # a list: the diff is behind --diff
    assert listed.err.endswith(" of the files in cards/ are not current (--diff shows the "
                               "changes); run: driver-policy render\n")
    result = cli("-C", str(repo), "render", "--check", "--diff")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == "cards/infiniband/ipoib.md:1:1: card is stale; run: driver-policy render"
    assert lines[1:3] == ["--- a/cards/infiniband/ipoib.md", "+++ b/cards/infiniband/ipoib.md"]
    assert "+   A changed claim." in lines
    assert any(line.startswith("-   `ipoib_main.c` was still receiving") for line in lines)
    # the chart too: its seal covers the whole driver file
    assert result.err == "2 of the files in cards/ are not current; run: driver-policy render\n"
    assert (repo / "cards/infiniband/ipoib.md").read_bytes() == before  # --check writes nothing


def test_check_includes_the_cards(repo: Path, cli: Callable[..., Run]) -> None:
    edit_driver(repo, "infiniband/ipoib", deployment="high")
    (repo / "cards/infiniband/iser.svg").unlink()
    (repo / "cards/net/gone.md").write_text("old\n")
    result = cli("-C", str(repo), "check", "--format", "json")
    cards = [p for p in json.loads(result.out)["problems"] if p["rule"] == "cards"]
    assert [(p["path"], p["message"]) for p in cards] == [
        ("cards/infiniband/README.md", "card index is stale; run: driver-policy render"),
        ("cards/infiniband/ipoib.md", "card is stale; run: driver-policy render"),
        # its seal covers the whole driver file
        ("cards/infiniband/ipoib.svg", "chart is stale; run: driver-policy render"),
        ("cards/infiniband/iser.svg", "chart is missing; run: driver-policy render"),
        ("cards/net/gone.md", "card is orphaned; run: driver-policy render"),
    ]
    assert result.code == 1


def test_render_removes_orphans_and_their_empty_directories(
    repo: Path, cli: Callable[..., Run]
) -> None:
    (repo / "drivers/net/smc-tcp-ulp.yaml").unlink()
    (repo / "cards/old").mkdir()
    (repo / "cards/old/x.svg").write_text("<svg/>")
    (repo / "cards/notes.txt").write_text("not ours\n")
    check = cli("-C", str(repo), "render", "--check")
    assert check.code == 1
    assert check.out.splitlines()[-2:] == [
        "cards/net/smc-tcp-ulp.md:1:1: card is orphaned; run: driver-policy render",
        "cards/old/x.svg:1:1: chart is orphaned; run: driver-policy render",
    ]
    result = cli("-C", str(repo), "render")
    assert "removed cards/net/smc-tcp-ulp.md\nremoved cards/old/x.svg\n" in result.out
    assert not (repo / "cards/net").exists() and not (repo / "cards/old").exists()
    assert (repo / "cards/notes.txt").exists()  # only .md and .svg files are managed


def test_error_render_refuses_while_a_driver_file_is_invalid(
    repo: Path, cli: Callable[..., Run]
) -> None:
    path = repo / "drivers/infiniband/iser.yaml"
    path.write_text(path.read_text().replace("deployment: low", "deployment: lots"))
    result = cli("-C", str(repo), "render")
    assert result.code == 1
    assert result.err.startswith(
        "driver-policy render: cannot render cards while driver files are invalid (their "
        "cards would be removed); fix these first:\ndrivers/infiniband/iser.yaml:"
    )
    assert (repo / "cards/infiniband/iser.md").exists()
    check = cli("-C", str(repo), "check")  # the invalid driver's card is not judged
    assert "cards/infiniband/iser" not in check.out and "cards/README.md" not in check.out


def test_render_help_has_examples(cli: Callable[..., Run]) -> None:
    result = cli("render", "--help")
    assert result.code == 0
    assert "examples:\n  driver-policy render " in result.out
    assert "  driver-policy render --check " in result.out


def test_card_context_is_built_from_the_computed_verdict() -> None:
    outcome = outcome_of("infiniband/siw")
    context = card_context(outcome, here().policy)
    assert context["verdict_line"] == (
        f"{outcome.effective} conf={outcome.computed.confidence:.2f}"
        " deploy=low replacement=unknown subsystem=infiniband "
        "category=rdma"
    )
    assert context["signals"] is None
    assert context["evidence_link"] == "../../drivers/infiniband/siw.yaml"


def test_index_rows_are_plain_data_for_worker_processes() -> None:
    rendered = here()
    outcomes = list(rendered.outcomes.values())
    rows = [index_row(o) for o in outcomes]
    assert pickle.loads(pickle.dumps(rows)) == rows
    key = inputs_key(TEMPLATES, (ROOT / "policies/default.yaml").read_bytes())
    pages = render_index_rows(TEMPLATES, list(reversed(rows)), rendered.policy, key)
    assert sorted(pages) == [INDEX_FILE, "cards/infiniband/README.md", "cards/net/README.md"]
    for path, text in pages.items():
        assert text.encode() == rendered.files[path]


def test_deployment_with_sources_is_cited_on_the_card(repo: Path, cli: Callable[..., Run]) -> None:
    """deployment takes sources like the other claims; the verdict is the same, and the
    card cites them."""
    ipoib = repo / "drivers/infiniband/ipoib.yaml"
    before = cli("-C", str(repo), "explain", "infiniband/ipoib", "--format", "json").out
    ipoib.write_text(ipoib.read_text().replace(
        "deployment: medium\n", "deployment:\n  level: medium\n  sources: [3, 4]\n"))
    after = cli("-C", str(repo), "explain", "infiniband/ipoib", "--format", "json").out
    assert json.loads(after)["probes"] == json.loads(before)["probes"]
    assert cli("-C", str(repo), "render").code == 0
    card = (repo / "cards/infiniband/ipoib.md").read_text()
    assert "| Deployment | medium (sources 3, 4) |" in card
    assert cli("-C", str(repo), "check", "--no-cache").code == 0

# -- issue 23: names that are not UTF-8 ----------------------------------------------


def test_error_a_template_whose_name_is_not_utf8_is_refused_by_render_as_by_check(
    repo: Path, cli: Callable[..., Run]
) -> None:
    """check refused it cleanly; render crashed (UnicodeEncodeError, exit 3)."""
    import os

    (repo / os.fsdecode(b"templates/x\xff.j2")).write_text("{{ 1 }}\n")
    message = "templates/x\\xff.j2: file name is not valid UTF-8; rename the file"
    for args in (["render"], ["render", "--check"], ["check"]):
        result = cli("-C", str(repo), *args)
        assert result.code == 1, (args, result.err)
        assert message in result.out + result.err, args


def test_a_repository_whose_own_path_is_not_utf8_checks_and_renders(
    repo: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    """The compiled-template cache keyed each template by its path as UTF-8: check (with
    its cache) and render failed in a directory named with other bytes."""
    import os

    odd = tmp_path / os.fsdecode(b"caf\xe9")
    repo.rename(odd)
    for args in (["render"], ["render", "--check"], ["check"], ["check"], ["verdicts"],
                 ["stale", "--today", "2026-05-01"], ["record", "--all", "--dry-run"]):
        result = cli("-C", str(odd), *args)
        assert result.code == 0, (args, result.out, result.err)
