"""The official YAML test suite (tests/yaml-test-suite/, 402 cases) through the loader.

Each case, as its own file and nested in a driver-like mapping (`case:` and the case's
lines indented by two spaces; cases of one document without document markers or
directives): a valid case gives the suite's data (its in.json, or for the cases JSON
cannot hold, the data its test.event describes) or is refused for a reason recorded in
REFUSED; an invalid case (an `error` file) gives one located problem. No case may be
read as other data than the suite's (a silent misread) or accepted when invalid.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from checker.load.document import parse_document
from checker.load.scalars import plain

SUITE = Path(__file__).parent / "yaml-test-suite" / "data"
CASES = sorted(str(p.parent.relative_to(SUITE)) for p in SUITE.rglob("in.yaml"))

# Valid cases the loader refuses, by design, and why (the start of the problem's
# message). Top level: the file as it is; nested: under `case:`.
REASONS = {
    "mapping": ("document must be a mapping",
                "a driver file or a policy is one mapping"),
    "no-document": ("file holds no YAML document", "nothing to check"),
    "empty": ("file is empty", "nothing to check"),
    "anchors": ("YAML anchors and aliases are not allowed",
                "aliases expand (exponentially) and share nodes"),
    "tags": ("YAML tags are not allowed", "tags select constructors and types"),
    "documents": ("file holds several YAML documents", "a file is one document"),
    "directives": ("YAML directives (%YAML, %TAG) are not allowed",
                   "a file is read as YAML 1.2, without tag shorthands"),
    "mapping-key": ("a mapping cannot be a key", "field names are strings"),
    "duplicate": ("duplicate key", "two empty (null) keys in one mapping"),
    "unread": ("YAML that not every YAML reader reads",
               "ruamel.yaml's parser cannot read it (tabs as separators, a flow key's "
               "`:` on the next line, ...): refused rather than read by one reader"),
    "disagree": ("YAML that YAML readers read differently",
                 "ruamel.yaml's parser reads it otherwise than py-yaml12 (`{ ?foo: bar }`, "
                 "a block scalar ending in a line of spaces, `{a:,}`): refused"),
}
REFUSED: dict[str, dict[str, str]] = {
    "top": {
        "mapping": """
            229Q 2G84/02 2G84/03 2LFX 3ALJ 3MYT 3RLN/00 3RLN/01 3RLN/02 3RLN/03 3RLN/04
            3RLN/05 4GC6 4Q9F 4RWC 4UYU 4V8U 4WA9 5C5M 5KJE 5T43 65WH 6FWR 6JQW 6LVF 6VJK
            6WPF 753E 7A4E 7T8X 7TMG 82AN 8KB6 8UDB 93JH 93WF 96L6 9BXH 9MQT/00 9TFX 9U5K
            9YRD AB8U AZW3 B3HG CT4Q D83L DBG4 DE56/00 DE56/01 DE56/02 DE56/03 DE56/04
            DE56/05 DHP8 DK3J EX5H EXG3 FP8R FQ7F FUP4 G992 HM87/00 JEF9/00 JEF9/01 JR7V
            K4SU K527 KH5V/00 KH5V/01 KH5V/02 LP6E M6YH M9B4 MJS9 MXS3 MYW6 MZX3 NP9H P2AD
            PRH3 Q88A Q8AD QF4Y S7BG SM9W/00 SSW6 T4YY T5N4 TL85 TS54 UDM2 UKK6/00 W42U XLQ9
            Y79Y/002 YD5X
        """,
        "no-document": "8G76 98YD MUS6/05 MUS6/06",
        "empty": "AVM7",
        "anchors": """
            26DV 2SXE 3GZX 3R3P 6BFJ 6KGN 6M2F 7BMT 7BUB 8XYN CN3R E76Z FTA2 JS2J PW8X RZP5
            SKE5 U3XV V55R W5VH X38W XW4D Y2GN ZH7C ZWK4
        """,
        "tags": """
            2AUY 2XXW 33X3 35KP 52DL 565N 57H4 6JWB 6WLZ 735Y 74H7 7FWL 8MK2 9KAX 9WXW BU8L
            CUP7 EHF6 F2C7 FH7J HMQ5 J7PZ L94M LE5A M5C3 S4JQ UGM3 UKK6/02 WZ62 Z67P
        """,
        "documents": "6XDY 6ZKB 7Z25 9DXL JHB9 KSS4 L383 M7A3 NKF9 PUW8 RZT7 U9NS",
        "directives": "27NA 5TYM 6CK3 C4HZ CC74 MUS6/02 MUS6/04 P76L RTP8 U3C3 W4TN Z9M4",
        "mapping-key": "4FJ6 M2N8/00 M2N8/01 Q9WF V9D5",
        "duplicate": "2JQS",
        "unread": """
            4MUZ/00 4MUZ/01 4MUZ/02 4QFQ 5MUD 6BCT 6CA3 9MMW 9SA2 A2M4 BEC7 CFD4 DC7X
            DK95/00 DK95/03 DK95/04 DK95/05 DK95/07 DWX9 HS5T HWV9 J3BT K3WX K54U MUS6/03
            NB6Z NJ66 Q5MG QT73 R4YG T26H UT92 UV7Q VJP3/01 Y79Y/010
        """,
        "disagree": "4ABK 652Z FRK4 HM87/01 JEF9/02 L24T/01",
    },
    "nested": {
        "anchors": """
            26DV 2SXE 3GZX 3R3P 6M2F CN3R E76Z JS2J PW8X RZP5 V55R W5VH X38W XW4D ZH7C
        """,
        "tags": """
            2AUY 565N 57H4 6JWB 735Y 74H7 7FWL 8MK2 BU8L CUP7 EHF6 F2C7 FH7J HMQ5 L94M LE5A
            M5C3 S4JQ UKK6/02 WZ62 Z67P
        """,
        "mapping-key": "M2N8/00 M2N8/01 Q9WF V9D5",
        "duplicate": "2JQS",
        "unread": """
            4MUZ/00 4MUZ/01 4MUZ/02 4QFQ 6BCT 6CA3 9MMW A2M4 CFD4 DC7X DK95/00 DK95/03
            DK95/04 DK95/05 DWX9 HS5T J3BT NB6Z Q5MG R4YG UV7Q VJP3/01 Y79Y/010
        """,
        "disagree": "4ABK 652Z FRK4 HM87/01 JEF9/02 L24T/01",
    },
}


def case_ids(reason_ids: str) -> set[str]:
    return set(reason_ids.split())


def read(case: str, name: str) -> str:
    return (SUITE / case / name).read_text(encoding="utf-8")


def json_documents(text: str) -> list[Any]:
    decoder, documents, index = json.JSONDecoder(), [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return documents
        value, index = decoder.raw_decode(text, index)
        documents.append(value)


def event_documents(text: str) -> list[Any]:
    """The data test.event describes: plain scalars resolved by the core schema (and
    dates), sequences used as keys as tuples."""
    documents: list[Any] = []
    stack: list[list[Any]] = []  # [container, pending key or _NONE]

    def put(value: Any) -> None:
        if not stack:
            documents.append(value)
            return
        top = stack[-1]
        if isinstance(top[0], list):
            top[0].append(value)
        elif top[1] is _NONE:
            top[1] = value
        else:
            top[0][top[1]] = value
            top[1] = _NONE

    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        if kind in ("+MAP", "+SEQ"):
            stack.append([{} if kind == "+MAP" else [], _NONE])
        elif kind in ("-MAP", "-SEQ"):
            done = stack.pop()[0]
            in_key = bool(stack) and isinstance(stack[-1][0], dict) and stack[-1][1] is _NONE
            put(hashable(done) if in_key else done)
        elif kind == "=VAL":
            words = rest.split(" ")
            while words[0][:1] in ("&", "<"):
                words.pop(0)
            value = " ".join(words)
            style, body = value[0], unescape(value[1:])
            put(plain(body) if style == ":" else body)
    return documents


_NONE = object()


def hashable(value: Any) -> Any:
    """A collection used as a key: a list as a tuple (as the loader makes it), a
    mapping as its text (the loader refuses it)."""
    if isinstance(value, list):
        return tuple(hashable(item) for item in value)
    return ("mapping", repr(value)) if isinstance(value, dict) else value


def unescape(text: str) -> str:
    escapes = {"\\": "\\", "b": "\b", "n": "\n", "r": "\r", "t": "\t"}
    out, index = [], 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            out.append(escapes[text[index + 1]])
            index += 2
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def comparable(value: Any) -> Any:
    """One form for the loader's data and the suite's: dates as their text, numbers by
    value (in.json writes 1.0 as 1), booleans and null apart from numbers."""
    if isinstance(value, dict):
        return {comparable(k): comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(comparable(v) for v in value))
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, (int, float)):
        return ("nan",) if isinstance(value, float) and math.isnan(value) else ("number",
                                                                               float(value))
    if isinstance(value, date):
        return ("str", value.isoformat())
    return ("str", value)


def nested(text: str) -> str:
    return "case:\n" + "".join("  " + line if line.strip("\n") else line
                               for line in text.splitlines(keepends=True))


def variants() -> list[tuple[str, str]]:
    out = []
    for case in CASES:
        out.append((case, "top"))
        text = read(case, "in.yaml")
        marked = any(line.startswith(("---", "...", "%")) for line in text.splitlines())
        expected = expected_documents(case)
        if not marked and (expected is None or len(expected) == 1):
            out.append((case, "nested"))
    return out


def expected_documents(case: str) -> list[Any] | None:
    if (SUITE / case / "error").exists():
        return None
    if (SUITE / case / "in.json").exists():
        return json_documents(read(case, "in.json"))
    return event_documents(read(case, "test.event"))


def refusal_reason(case: str, variant: str) -> str | None:
    for reason, ids in REFUSED[variant].items():
        if case in case_ids(ids):
            return reason
    return None


@pytest.mark.parametrize(("case", "variant"), variants(), ids=lambda v: v)
def test_case(case: str, variant: str) -> None:
    text = read(case, "in.yaml")
    raw = (nested(text) if variant == "nested" else text).encode("utf-8")
    doc, problems = parse_document(raw, "case.yaml")
    expected = expected_documents(case)
    if expected is None:  # invalid YAML: one located problem, no data
        assert doc is None, f"{case} ({read(case, '===').strip()}) accepted: {doc.data!r}"
        assert len(problems) == 1
        problem = problems[0]
        assert problem.rule in ("yaml", "io")
        assert 1 <= problem.line <= raw.count(b"\n") + 1 and problem.col >= 1
        return
    reason = refusal_reason(case, variant)
    if doc is not None:
        data = {"case": doc.data["case"]} if variant == "nested" else doc.data
        want = {"case": expected[0]} if variant == "nested" else (
            expected[0] if len(expected) == 1 else None)
        assert comparable(data) == comparable(want), f"{case}: misread"
        assert reason is None, f"{case} is read, but REFUSED lists it as {reason}"
        return
    assert reason is not None, f"{case} ({read(case, '===').strip()}) refused: {problems}"
    assert len(problems) == 1 and problems[0].message.startswith(REASONS[reason][0]), problems


def test_every_refused_case_is_a_valid_case_of_the_suite() -> None:
    for variant, table in REFUSED.items():
        for reason, ids in table.items():
            assert reason in REASONS, (variant, reason)
            for case in case_ids(ids):
                assert case in CASES and expected_documents(case) is not None, (variant, case)


def test_the_suite_is_all_here() -> None:
    assert len(CASES) == 402
    assert sum(1 for case in CASES if expected_documents(case) is None) == 94
