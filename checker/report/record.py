"""Record computed verdicts in driver files: `driver-policy record`.

Only `verdict.value`, `verdict.confidence` and `verdict.recommendation_for` are edited,
in place: each scalar is replaced at the span libyaml's marks give it (a missing key is
inserted under `value`), every other byte is kept, and the result is parsed again and
compared with the original outside the verdict before anything is written.

A recommendation is prose a person wrote for one verdict. When the verdict changes,
`recommendation_for` keeps naming the verdict it was written for, and `driver-policy
check` fails until someone has reviewed it and set `recommendation_for` to the new value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.core.errors import CheckerError

TODO_RECOMMENDATION = (
    "TODO: why {value}, in words a maintainer can act on (see docs/evidence.md)"
)


@dataclass(frozen=True)
class Change:
    """What recording did to one file."""

    id: str
    file: str
    before: str | None  # the recorded verdict before, None when there was none
    after: str
    confidence_before: float | None
    confidence_after: float
    needs_review: bool  # the recommendation was written for another verdict

    @property
    def changed(self) -> bool:
        return self.before != self.after or self.confidence_before != self.confidence_after


def record_text(text: str, value: str, confidence: float) -> tuple[str, str | None]:
    """`text` with `value` and `confidence` recorded; and the verdict recorded before.

    The recommendation's `recommendation_for` is set to the verdict it was written for
    when the value changes (and left alone when it already names one). Keys are added
    in the verdict's own style (a line each in a block mapping, `, key: value` in a flow
    mapping) with the file's line breaks; the result must read back with nothing else
    changed, or it is a CheckerError and nothing is written.
    """
    import yaml

    shown = f"{confidence:.2f}"
    nl = _line_break(text)
    root = _compose(text)
    if not isinstance(root, yaml.MappingNode):
        raise CheckerError("not a YAML mapping")
    pairs = {k.value: (k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    verdict = pairs.get("verdict")
    if verdict is None or not isinstance(verdict[1], yaml.MappingNode):
        lines = ["verdict:", f"  value: {value}", f"  confidence: {shown}",
                 "  recommendation: >-", f"    {TODO_RECOMMENDATION.format(value=value)}",
                 f"  recommendation_for: {value}"]
        block = nl.join(lines) + nl
        if verdict is not None:  # `verdict: null`
            start = verdict[0].start_mark.index
            end = _line_end(text, verdict[1].end_mark.index)
            out = text[:start] + block + text[end:]
        else:
            out = text + ("" if text.endswith(("\n", "\r")) or not text else nl) + block
        _same_outside_verdict(text, out, value, confidence, whole=True)
        return out, None
    inner = {k.value: (k, v) for k, v in verdict[1].value if isinstance(k, yaml.ScalarNode)}
    if "value" not in inner:
        raise CheckerError("verdict has no value to replace")
    before = str(inner["value"][1].value)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), by position

    def replace(key: str, new: str) -> None:
        node = inner[key][1]
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            new += nl  # a block scalar's span ends at the start of the next line
        edits.append((node.start_mark.index, node.end_mark.index, new))

    added: list[tuple[str, str]] = []
    replace("value", value)
    if "confidence" in inner:
        replace("confidence", shown)
    else:
        added.append(("confidence", shown))
    if before != value and "recommendation_for" not in inner:
        added.append(("recommendation_for", before))
    if added:
        edits.append(_insertion(text, verdict[1], inner["value"], added, nl))
    out = text
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new + out[end:]
    _same_outside_verdict(text, out, value, confidence)
    return out, before


def _compose(text: str) -> Any:
    """The node tree with marks (character offsets into `text`), from libyaml; a
    CheckerError for text libyaml does not read."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise CheckerError(f"cannot edit the file: {str(exc).splitlines()[0]}") from None


def _line_break(text: str) -> str:
    """The file's line break, from its first line: CRLF or LF."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def _insertion(text: str, mapping: Any, value: tuple[Any, Any], added: list[tuple[str, str]],
               nl: str) -> tuple[int, int, str]:
    """The edit that adds `added` keys after the verdict's `value`."""
    key_node, value_node = value
    if mapping.flow_style:  # `verdict: {value: keep, ...}`: right after the value
        at = value_node.end_mark.index
        return at, at, "".join(f", {key}: {item}" for key, item in added)
    indent = " " * key_node.start_mark.column
    at = _line_end(text, value_node.end_mark.index)
    lines = [f"{indent}{key}: {item}" for key, item in added]
    if at == len(text) and not text.endswith(("\n", "\r")):  # no line break at the end
        return at, at, nl + nl.join(lines)
    return at, at, nl.join(lines) + nl


def _line_end(text: str, index: int) -> int:
    """The index just after the line break that ends the line holding `index`."""
    end = text.find("\n", index)
    if index > 0 and text[index - 1] == "\n":
        return index  # a block scalar's end mark is already at the next line's start
    return len(text) if end < 0 else end + 1


def _read_back(text: str) -> dict[str, Any]:
    from checker.load.document import parse_document

    document, problems = parse_document(text.encode("utf-8"), "record")
    if document is None:
        raise CheckerError("the edit would not load "
                           f"({problems[0].message if problems else 'unreadable'}); "
                           "nothing written")
    return document.data


def _same_outside_verdict(old: str, new: str, value: str, confidence: float, *,
                          whole: bool = False) -> None:
    """The edited text, read by the checker's own loader, holds the recorded verdict and
    everything else as before (the verdict's other keys too, unless it was `whole`ly
    written)."""
    before, after = _read_back(old), _read_back(new)
    verdict = after.get("verdict")
    verdict = verdict if isinstance(verdict, dict) else {}
    recorded = verdict.get("confidence")
    if verdict.get("value") != value or isinstance(recorded, bool) \
            or not isinstance(recorded, (int, float)) or round(recorded, 2) != round(confidence, 2):
        raise CheckerError("the edit did not record the verdict; nothing written")
    rest_before = {k: v for k, v in before.items() if k != "verdict"}
    rest_after = {k: v for k, v in after.items() if k != "verdict"}
    old_verdict = before.get("verdict")
    old_verdict = {k: v for k, v in (old_verdict if isinstance(old_verdict, dict) else {}).items()
                   if k not in ("value", "confidence", "recommendation_for")}
    new_verdict = {k: v for k, v in verdict.items()
                   if k not in ("value", "confidence", "recommendation_for")}
    if list(rest_before.items()) != list(rest_after.items()) or (
            not whole and old_verdict != new_verdict):
        raise CheckerError("the edit would change more than the verdict; nothing written")


def as_json(change: Change) -> dict[str, Any]:
    return {
        "id": change.id,
        "file": change.file,
        "before": change.before,
        "after": change.after,
        "confidence_before": change.confidence_before,
        "confidence_after": change.confidence_after,
        "changed": change.changed,
        "needs_review": change.needs_review,
    }
