"""The MAINTAINERS file: sections, their F:/X: patterns and status, the best match."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from checker.core.paths import PathIndex, PathSpec, parse_pattern, pattern_covers

STATUSES = ("Supported", "Maintained", "Odd Fixes", "Orphan", "Obsolete")


@dataclass
class Section:
    title: str
    status: str | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)

    @property
    def catch_all(self) -> bool:
        """Whether the section claims the whole tree (`F: *`, `F: */`, as Linux's "THE
        REST" does): matching it says nothing about who maintains a driver."""
        return any(all(char in "*?" for char in parse_pattern(p).parts[0]) for p in self.include)


# the value is stripped in Python: `\s*(.*?)\s*$` is quadratic in a run of blanks
_FIELD = re.compile(r"([A-Z]):(.*)")


def parse_maintainers(text: str) -> list[Section]:
    """Sections: a title line followed by `X:` field lines; anything else is skipped.

    A commented-out line inside a section (`#M: ...`, `# F: ...`) is ignored, not taken
    as the end of the section."""
    sections: list[Section] = []
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip():
            if block and line.lstrip().startswith("#"):
                continue
            block.append(line)
            continue
        if len(block) >= 2 and not _FIELD.match(block[0]) and not block[0][:1].isspace():
            fields = [_FIELD.match(item) for item in block[1:]]
            if all(fields):
                section = Section(block[0].strip())
                for match in fields:
                    assert match is not None
                    letter, value = match.group(1), match.group(2).strip()
                    if letter == "S" and section.status is None:
                        section.status = value
                    elif letter in "FX" and value:
                        target = section.include if letter == "F" else section.exclude
                        try:
                            parse_pattern(value)
                        except ValueError:
                            continue
                        target.append(value)
                if section.include:
                    sections.append(section)
        block = []
    return sections


def normalise_status(text: str | None) -> str:
    """`S:` text -> Supported | Maintained | Odd Fixes | Orphan | Obsolete | unknown."""
    if not text:
        return "unknown"
    lowered = text.lower()
    if "obsolete" in lowered:
        return "Obsolete"
    if "orphan" in lowered:
        return "Orphan"
    if "odd fix" in lowered or "odd-fix" in lowered:
        return "Odd Fixes"
    if "supported" in lowered:
        return "Supported"
    if "maintained" in lowered or "buried alive" in lowered:
        return "Maintained"
    return "unknown"


def _specificity(pattern: str) -> tuple[int, int]:
    parsed = parse_pattern(pattern)
    literal = sum(len(part) for part in parsed.parts if not any(c in part for c in "*?["))
    return len(parsed.parts), literal


def match_maintainers(sections: Sequence[Section], drivers: dict[str, PathSpec],
                      files: dict[str, list[str]]) -> dict[str, Section]:
    """The best-covering section per driver (see module docstring)."""
    index = PathIndex((str(i), PathSpec(s.include, s.exclude)) for i, s in enumerate(sections))
    result: dict[str, Section] = {}
    for driver, spec in drivers.items():
        counts: dict[int, int] = defaultdict(int)
        owned = files.get(driver, [])
        for path in owned:
            for owner in index.owners(path):
                counts[int(owner)] += 1
        if not owned:  # nothing at REV: reason about the patterns themselves
            # only the sections the index finds may cover every include pattern: testing
            # each of 12,000 sections for each driver took minutes
            possible = set.intersection(*(index.may_cover(inc) for inc in spec.include)) \
                if spec.include else {str(i) for i in range(len(sections))}
            for i in sorted(map(int, possible)):
                section = sections[i]
                if all(any(pattern_covers(f, inc) for f in section.include)
                       for inc in spec.include):
                    counts[i] = 1
        if not counts:
            continue

        def rank(i: int, paths: list[str] = owned, counts: dict[int, int] = counts
                 ) -> tuple[int, tuple[int, int], tuple[int, ...]]:
            section = sections[i]
            best = (0, 0)
            for pattern in section.include:
                parsed = parse_pattern(pattern)
                if not paths or any(parsed.matches(path) for path in paths):
                    best = max(best, _specificity(pattern))
            return counts[i], best, _reverse(section.title)

        result[driver] = sections[max(counts, key=rank)]
    return result


def _reverse(text: str) -> tuple[int, ...]:
    """Sort key that makes max() pick the alphabetically first title."""
    return (*tuple(-ord(char) for char in text), 0)
