"""Signals as YAML text, written the way collect writes them (stable, minimal quoting)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from checker.collect.run import (
    ABSENT_KEYS,
    COPYRIGHT_KEY,
    ID_ENTRIES_KEY,
    SIGNAL_KEYS,
    TREE_MONTHS_KEY,
    USAGE_KEY,
)

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9 _./()+,-]*[A-Za-z0-9_./)+-]$|^[A-Za-z_]$")


_RESERVED = {"yes", "no", "on", "off", "y", "n", "true", "false", "null", "~"}


def scalar(value: Any, quote: bool = False) -> str:
    """One scalar in flow or block context, plain when that reads back the same."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        # the shortest text that reads back as the same float; YAML 1.1 wants a dot
        # (`1e-05` would be a string): 1.0e-05
        mantissa, e, exponent = repr(value).partition("e")
        return f"{mantissa}{'' if '.' in mantissa else '.0'}{e}{exponent}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        if quote or not needs_no_quotes(value):
            return double_quoted(value)
        return value
    raise TypeError(f"cannot write {type(value).__name__} {value!r}")


def double_quoted(text: str) -> str:
    """A YAML double-quoted scalar: JSON's escapes, plus YAML's for non-printables."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'  # nothing to escape (every month of every file)
    return escaped(text)


def escaped(text: str) -> str:
    """double_quoted's general case: every character looked at."""
    out = []
    for char in json.dumps(text, ensure_ascii=False):
        code = ord(char)
        # U+2028 and U+2029 are escaped: YAML 1.1 readers take them for line breaks
        # (and fold them), YAML 1.2 readers do not
        if 0x20 <= code <= 0x7E or (0xA0 <= code <= 0xD7FF and code not in (0x2028, 0x2029)) \
                or 0xE000 <= code <= 0xFFFD or code >= 0x10000:
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def needs_no_quotes(text: str) -> bool:
    return bool(_PLAIN.match(text)) and text.lower() not in _RESERVED


_QUOTED_KEYS = {"kernel_rev", "maintainers_entry"}


def render_signals(values: Mapping[str, Any], key_indent: int = 2, dash_indent: int = 4) -> str:
    """The `signals:` block for collected values, in the seed files' style."""
    pad, dash = " " * key_indent, " " * dash_indent
    out = ["signals:\n"]
    for key in _keys(values):
        value = values[key]
        if key == "removed_in":
            out.append(f"{pad}removed_in: " + ("null\n" if value is None else
                       f"{{commit: {scalar(value['commit'], True)}, "
                       f"date: {scalar(value['date'])}}}\n"))
        elif key == "window":
            out.append(f"{pad}window: {{start: {scalar(value['start'])}, "
                       f"end: {scalar(value['end'])}}}\n")
        elif key == "usage":
            out.append(f"{pad}usage:" + (" null\n" if value is None else
                                         "\n" + _usage(value, pad + "  ")))
        elif key == "monthly":
            out.append(f"{pad}monthly:\n")
            for item in value:
                out.append(
                    f"{dash}- {{month: {scalar(item['month'], True)}, "
                    f"commits: {item['commits']}, added: {item['added']}, "
                    f"removed: {item['removed']}}}\n"
                )
        else:
            quote = key in _QUOTED_KEYS and value is not None
            out.append(f"{pad}{key}: {scalar(value, quote)}\n")
    return "".join(out)


def _usage(value: Mapping[str, Any], pad: str) -> str:
    return "".join(f"{pad}{line}\n" for line in usage_lines(value))


def usage_lines(value: Mapping[str, Any]) -> list[str]:
    """The lines of a `usage` mapping, unindented (fresh scaffolds and collect's edits);
    `configs_changed`, `tree_built` and `needs_deprecated` when the mapping has them
    (collect gives them; older files lack them)."""
    shown = ", ".join(scalar(name, True) for name in value["enabled_in"])
    later = [f"{key}: {scalar(value[key])}" for key in ("configs_changed", "tree_built")
             if key in value]  # keys added after files were written: only when given
    needs = [] if "needs_deprecated" not in value else [
        "needs_deprecated: null" if value["needs_deprecated"] is None else
        "needs_deprecated: [" + ", ".join(scalar(n, True) for n in value["needs_deprecated"])
        + "]"]
    return [f"configs: {scalar(value['configs'])}",
            f"configs_read: {value['configs_read']}",
            f"enabled_in: [{shown}]",
            *later,
            f"selected: {scalar(value['selected'])}",
            f"dt_users: {scalar(value['dt_users'])}",
            f"deprecated: {scalar(value['deprecated'])}",
            *needs,
            f"staging: {scalar(value['staging'])}"]


def _keys(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys written, in order: the copyright year, the id tables' entries, the tree's
    months, usage and the absent-driver keys only when collect gave them."""
    return (*SIGNAL_KEYS, *(key for key in (COPYRIGHT_KEY, ID_ENTRIES_KEY, TREE_MONTHS_KEY,
                                            USAGE_KEY, *ABSENT_KEYS) if key in values))
