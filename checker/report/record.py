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

import yaml

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
    when the value changes (and left alone when it already names one).
    """
    shown = f"{confidence:.2f}"
    root = yaml.compose(text, Loader=yaml.CSafeLoader if hasattr(yaml, "CSafeLoader")
                        else yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        raise CheckerError("not a YAML mapping")
    pairs = {k.value: (k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    verdict = pairs.get("verdict")
    if verdict is None or not isinstance(verdict[1], yaml.MappingNode):
        block = (
            f"verdict:\n  value: {value}\n  confidence: {shown}\n"
            f"  recommendation: >-\n    {TODO_RECOMMENDATION.format(value=value)}\n"
            f"  recommendation_for: {value}\n"
        )
        if verdict is not None:  # `verdict: null`
            start = verdict[0].start_mark.index
            end = _line_end(text, verdict[1].end_mark.index)
            return text[:start] + block + text[end:], None
        return text + ("" if text.endswith("\n") or not text else "\n") + block, None
    inner = {k.value: (k, v) for k, v in verdict[1].value if isinstance(k, yaml.ScalarNode)}
    if "value" not in inner:
        raise CheckerError("verdict has no value to replace")
    before = str(inner["value"][1].value)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), by position

    def replace(key: str, new: str) -> None:
        node = inner[key][1]
        edits.append((node.start_mark.index, node.end_mark.index, new))

    value_key = inner["value"][0]
    indent = " " * value_key.start_mark.column
    insert_at = _line_end(text, inner["value"][1].end_mark.index)
    inserted = ""
    replace("value", value)
    if "confidence" in inner:
        replace("confidence", shown)
    else:
        inserted += f"{indent}confidence: {shown}\n"
    if before != value and "recommendation_for" not in inner:
        inserted += f"{indent}recommendation_for: {before}\n"
    if inserted:
        edits.append((insert_at, insert_at, inserted))
    out = text
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new + out[end:]
    _same_outside_verdict(text, out, value, confidence)
    return out, before


def _line_end(text: str, index: int) -> int:
    """The index just after the line break that ends the line holding `index`."""
    end = text.find("\n", index)
    if index > 0 and text[index - 1] == "\n":
        return index  # a block scalar's end mark is already at the next line's start
    return len(text) if end < 0 else end + 1


def _same_outside_verdict(old: str, new: str, value: str, confidence: float) -> None:
    before, after = yaml.safe_load(old), yaml.safe_load(new)
    verdict = after.get("verdict") or {}
    if verdict.get("value") != value or round(float(verdict.get("confidence", -1)), 2) \
            != round(confidence, 2):
        raise CheckerError("the edit did not record the verdict; nothing written")
    rest_before = {k: v for k, v in before.items() if k != "verdict"}
    rest_after = {k: v for k, v in after.items() if k != "verdict"}
    old_verdict = {k: v for k, v in (before.get("verdict") or {}).items()
                   if k not in ("value", "confidence", "recommendation_for")}
    new_verdict = {k: v for k, v in verdict.items()
                   if k not in ("value", "confidence", "recommendation_for")}
    if rest_before != rest_after or old_verdict != new_verdict:
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
