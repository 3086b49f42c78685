"""The bundled discover profiles, and which one (if any) a tree is.

A profile (`checker/skeleton/profiles/NAME.yaml`) is data: its `discover:` section,
the directories its drivers live in (`dirs:`), and `match:`, what a tree must hold for
the profile to be its own: every entry a file at the root (`file:`) whose text matches
`contains:` (RE2). A tree that matches no profile gets rules learned from itself
(`checker/discover/learn.py`), never another tree's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from checker.core.errors import CheckerError
from checker.discover.bundled import PROFILES_DIR as PROFILES_DIR


@dataclass(frozen=True)
class Profile:
    name: str
    text: str  # the discover: section with its comment, as written into a policy
    match: tuple[tuple[str, str], ...]  # (file, RE2 pattern)
    dirs: tuple[str, ...]


def load_profiles() -> dict[str, Profile]:
    import yaml

    out = {}
    for path in sorted(PROFILES_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        if not isinstance(data, Mapping) or "discover" not in data:
            raise CheckerError(f"{path.name}: a profile needs a discover: section (a bug)")
        match = tuple((str(m["file"]), str(m.get("contains", ""))) for m in
                      data.get("match") or ())
        out[path.stem] = Profile(path.stem, _discover_text(text), match,
                                 tuple(str(d) for d in data.get("dirs") or ("drivers",)))
    return out


def _discover_text(text: str) -> str:
    """The profile file without its `match:` and `dirs:` keys (what a policy holds)."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    skipping = False
    for line in lines:
        if line.startswith(("match:", "dirs:")):
            skipping = True
            continue
        if skipping and (line.startswith((" ", "-")) or not line.strip()):
            continue
        skipping = False
        out.append(line)
    return "".join(out)


def matching(profiles: Mapping[str, Profile], files: Mapping[str, str]) -> list[str]:
    """The profiles whose every `match:` entry holds for `files` (root path -> text)."""
    from checker.core.saferegex import compile_policy_regex

    found = []
    for name, profile in sorted(profiles.items()):
        if not profile.match:
            continue
        if all(path in files and compile_policy_regex(f"(?m){pattern}").search(files[path])
               is not None for path, pattern in profile.match):
            found.append(name)
    return found


def match_files(profiles: Mapping[str, Profile]) -> Sequence[str]:
    return sorted({path for p in profiles.values() for path, _ in p.match})
