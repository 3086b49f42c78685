"""Where the bundled profiles live, and their names: without importing profiles.py or
reading a profile (`--profile`'s choices, and every command builds the parser, a
one-file validate too)."""

from __future__ import annotations

from pathlib import Path

PROFILES_DIR = Path(__file__).resolve().parent.parent / "skeleton" / "profiles"


def profile_names() -> list[str]:
    """The bundled profiles' names."""
    return sorted(path.stem for path in PROFILES_DIR.glob("*.yaml"))
