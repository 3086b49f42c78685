"""Property-based tests: generated and mutated driver documents through the whole pipeline.

Every document, valid or broken, goes load -> validate -> evaluate -> render as one driver
file goes through `driver-policy check` (strategies.run_pipeline), and:

- no exception escapes;
- every problem has a location: the file, line >= 1 (and within the file), col >= 1;
- a valid document has no problem but the recorded-verdict check, renders a card that
  parses (markdown-it-py, CommonMark with GFM tables) with no HTML but the generated-file
  comment, links only to http(s) sources and the repository's own files, table rows as
  wide as their headers, and every untrusted string shown literally; and a chart that is
  well-formed SVG with no script, link or event attribute;
- reordering a mapping's keys changes nothing.

Policy candidates (the default policy, mutated) go through load and validate and, when
still valid, evaluate and render every seed driver.

Issue 23 added the classes its red team found defects in (tests/hostile_cases.py):
policies with numbers of any size, drawn regular expressions and hostile text, run
through validate, evaluate, render, impact, stale, collect and discovery; template
names that are not UTF-8 and drawn template contents, through listing, sealing and
rendering; C device tables and MAINTAINERS files of many sections against the slow
reference (what collect counted before); days at both ends of the calendar; `record`
on every verdict layout and line ending; and a write that lands while `record` replaces
the file.

The default run keeps each property small (CI time); `pytest -m fuzz` runs the same
properties with FUZZ_EXAMPLES examples each (default 2,500; docs/security.md says how
many cases ran).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from conftest import env_count
from hostile_cases import (
    c_files,
    device_ids_reference,
    edge_day_cases,
    maintainers_cases,
    match_maintainers_reference,
    policy_numbers,
    policy_regexes,
    policy_texts,
    record_cases,
    run_concurrent_write,
    run_edge_day,
    run_policy_everywhere,
    run_policy_regex,
    run_record,
    run_templates,
    template_cases,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    FORGED,
    REL,
    ROOT,
    TERMINAL_COMMANDS,
    check_card,
    check_chart,
    check_index,
    check_problems,
    check_terminal,
    driver_yaml,
    hostile_text,
    mutated_data,
    mutated_documents,
    mutated_policies,
    mutated_text,
    plant_hostile_text,
    run_cli,
    run_pipeline,
    run_policy,
    shown,
    text_of,
    to_yaml,
    untrusted_strings,
    visible,
)

from checker.collect.kbuild import device_ids
from checker.collect.maintainers import match_maintainers, parse_maintainers
from checker.core.paths import PathSpec

QUICK = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
FEW = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
FUZZ = settings(
    max_examples=env_count("FUZZ_EXAMPLES", 2500),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


# -- the properties ---------------------------------------------------------------------


def valid_document_renders_safely(data: dict[str, Any], raw: bytes) -> None:
    result = run_pipeline(raw)
    assert result.driver is not None, [str(p) for p in result.problems]
    assert all(p.rule == "verdict" for p in result.problems), [str(p) for p in result.problems]
    check_problems(result.problems, raw)
    assert result.card is not None and result.index is not None
    tokens = check_card(result.card, result.driver)
    seen = shown(text_of(tokens))
    for text in untrusted_strings(result.driver):
        assert visible(text) in seen, text
    for page in result.index.values():
        check_index(page)
    if result.chart is not None:
        check_chart(result.chart)


def broken_document_is_reported(raw: bytes) -> None:
    result = run_pipeline(raw)
    check_problems(result.problems, raw)
    if result.card is not None:  # the mutation happened to keep the document valid
        check_card(result.card, result.driver)
        check_chart(result.chart) if result.chart else None


def reordering_changes_nothing(data: dict[str, Any], seed: int) -> None:
    import random

    def shuffled(value: Any, rng: random.Random) -> Any:
        if isinstance(value, dict):
            keys = list(value)
            rng.shuffle(keys)
            return {k: shuffled(value[k], rng) for k in keys}
        if isinstance(value, list):
            return [shuffled(v, rng) for v in value]
        return value

    first = run_pipeline(to_yaml(data).encode())
    second = run_pipeline(to_yaml(shuffled(data, random.Random(seed))).encode())
    assert first.driver == second.driver
    assert first.card == second.card


def text_field_is_escaped(payload: str, data: dict[str, Any]) -> None:
    """One hostile payload in every free-text field of a valid document."""
    payload = payload.replace("TODO", "T0DO")  # a finished file holds no TODO text
    short = payload[:500]
    data["name"] = short
    data["summary"] = payload
    data["sources"][0]["claim"] = payload
    data["replacement"]["by"] = short
    data["replacement"]["note"] = payload
    data["provenance"] = payload
    data["granularity_note"] = payload
    # "2000": not after the evidence date (signals windows end in 2000 at the earliest)
    data["users_reported"] = [{"who": short, "claim": payload, "date": "2000",
                               "sources": [1]}]
    data["verdict"] = {"value": "keep", "recommendation": payload, "notes": payload,
                       "override": {"verdict": "remove", "reason": payload, "by": short,
                                    "until": date(2030, 1, 1)}}
    raw = to_yaml(data).encode()
    valid_document_renders_safely(data, raw)


def terminal_output_is_escaped(payload: str) -> None:
    """Hostile text in evidence, the policy and a fixture's name: no command's text
    output carries a hidden character or a forged line."""
    import shutil
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "repo"
        for part in ("drivers", "policies", "schema", "templates", "cards"):
            shutil.copytree(ROOT / part, root / part)
        plant_hostile_text(root, payload)
        for command in TERMINAL_COMMANDS:
            args = [arg.format(root=root) for arg in command]
            code, output = run_cli("-C", str(root), *args)
            assert code in (0, 1), (command, output)
            check_terminal(output, " ".join(command))


# -- quick runs (every `pytest`) --------------------------------------------------------


@QUICK
@given(driver_yaml())
def test_valid_documents_render_safe_cards(drawn: tuple[dict[str, Any], bytes]) -> None:
    valid_document_renders_safely(*drawn)


@QUICK
@given(mutated_documents())
def test_broken_documents_are_reported_with_locations(raw: bytes) -> None:
    broken_document_is_reported(raw)


@QUICK
@given(driver_yaml(hostile=False), st.integers(0, 2**32))
def test_key_order_does_not_matter(drawn: tuple[dict[str, Any], bytes], seed: int) -> None:
    reordering_changes_nothing(drawn[0], seed)


@QUICK
@given(hostile_text(1, 30), driver_yaml(hostile=False))
def test_hostile_text_in_every_field_stays_text(
    payload: str, drawn: tuple[dict[str, Any], bytes]
) -> None:
    text_field_is_escaped(payload, drawn[0])


@QUICK
@given(st.binary(max_size=400))
def test_arbitrary_bytes(raw: bytes) -> None:
    broken_document_is_reported(raw)


@QUICK
@given(mutated_policies())
def test_policy_candidates(raw: bytes) -> None:
    check_problems(run_policy(raw), raw, "policies/candidate.yaml")


# Each example runs every text command on a repository: a few in the default run.
TERMINAL_QUICK = settings(max_examples=env_count("TERMINAL_EXAMPLES", 3),
                          deadline=None, suppress_health_check=list(HealthCheck))
TERMINAL_FUZZ = settings(max_examples=env_count("FUZZ_EXAMPLES", 2500) // 25,
                         deadline=None, suppress_health_check=list(HealthCheck))
FORGING = st.just("\n" + FORGED + "\n\x1b[2J\u202e")


@TERMINAL_QUICK
@given(st.tuples(hostile_text(1, 8), FORGING, hostile_text(0, 8)).map("".join))
def test_terminal_output_is_escaped(payload: str) -> None:
    terminal_output_is_escaped(payload)


# -- the fuzzing run (pytest -m fuzz) ---------------------------------------------------


@pytest.mark.fuzz
@FUZZ
@given(driver_yaml())
def test_fuzz_valid_documents(drawn: tuple[dict[str, Any], bytes]) -> None:
    valid_document_renders_safely(*drawn)


@pytest.mark.fuzz
@FUZZ
@given(mutated_data().map(lambda d: to_yaml(d).encode()))
def test_fuzz_data_mutations(raw: bytes) -> None:
    broken_document_is_reported(raw)


@pytest.mark.fuzz
@FUZZ
@given(mutated_text())
def test_fuzz_text_mutations(raw: bytes) -> None:
    broken_document_is_reported(raw)


@pytest.mark.fuzz
@FUZZ
@given(hostile_text(1, 40), driver_yaml(hostile=False))
def test_fuzz_hostile_text(payload: str, drawn: tuple[dict[str, Any], bytes]) -> None:
    text_field_is_escaped(payload, drawn[0])


@pytest.mark.fuzz
@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_arbitrary_bytes(raw: bytes) -> None:
    broken_document_is_reported(raw)


@pytest.mark.fuzz
@FUZZ
@given(mutated_policies())
def test_fuzz_policy_candidates(raw: bytes) -> None:
    check_problems(run_policy(raw), raw, "policies/candidate.yaml")


@pytest.mark.fuzz
@TERMINAL_FUZZ
@given(st.tuples(hostile_text(1, 30), FORGING, hostile_text(0, 30)).map("".join))
def test_fuzz_terminal_output(payload: str) -> None:
    terminal_output_is_escaped(payload)

# -- issue 23's classes (tests/hostile_cases.py) ----------------------------------------


def _classes(wrap: Callable[[Any], Any], marks: list[Any]) -> dict[str, Any]:
    """The issue-23 properties under one settings object (and marks)."""

    def mark(test: Any) -> Any:
        for item in marks:
            test = item(test)
        return test

    @mark
    @wrap
    @given(policy_numbers())
    def policy_numbers_of_any_size(raw: bytes) -> None:
        run_policy_everywhere(raw)

    @mark
    @wrap
    @given(policy_regexes())
    def policy_regular_expressions(case: tuple[bytes, str]) -> None:
        run_policy_regex(*case)

    @mark
    @wrap
    @given(policy_texts())
    def policy_text(raw: bytes) -> None:
        run_policy_everywhere(raw)

    @mark
    @wrap
    @given(template_cases())
    def template_names_and_contents(case: tuple[list[bytes], str]) -> None:
        run_templates(*case)

    @mark
    @wrap
    @given(c_files)
    def device_tables(text: str) -> None:
        assert device_ids(text) == device_ids_reference(text)

    @mark
    @wrap
    @given(maintainers_cases())
    def maintainers_sections(case: tuple[str, dict[str, list[str]], dict[str, list[str]]]) -> None:
        text, drivers, files = case
        chosen = match_maintainers(parse_maintainers(text),
                                   {d: PathSpec(inc) for d, inc in drivers.items()}, files)
        assert {d: s.title for d, s in chosen.items()} == \
            match_maintainers_reference(text, drivers, files)

    @mark
    @wrap
    @given(edge_day_cases())
    def days_at_the_edges(case: tuple[date, bytes]) -> None:
        run_edge_day(*case)

    @mark
    @wrap
    @given(record_cases())
    def record_on_any_layout(case: tuple[str, str, float]) -> None:
        run_record(*case)

    @mark
    @wrap
    @given(st.binary(min_size=1, max_size=64), st.binary(min_size=1, max_size=64),
           st.binary(min_size=1, max_size=64), st.sampled_from((0.0, 0.0005, 0.002, 0.01)))
    def a_write_while_record_replaces(original: bytes, edit: bytes, theirs: bytes,
                                      delay: float) -> None:
        run_concurrent_write(original, edit, theirs, delay)

    return {name: test for name, test in locals().items() if callable(test)
            and name not in ("mark", "wrap")}


for _name, _test in _classes(FEW, []).items():
    globals()[f"test_{_name}"] = _test
for _name, _test in _classes(FUZZ, [pytest.mark.fuzz]).items():
    globals()[f"test_fuzz_{_name}"] = _test


def test_the_fuzzed_file_is_a_driver_file() -> None:
    """The generated documents are loaded where the location rule accepts them."""
    from checker.load.layout import driver_id

    assert driver_id(REL) == "infiniband/fuzzed"
