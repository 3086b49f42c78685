from __future__ import annotations

from checker.cli.main import entry

entry()
