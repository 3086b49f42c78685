"""The common-path YAML loader: PyYAML's C parser with YAML 1.2 core-schema resolution.

ruamel.yaml (YAML 1.2) is the reference loader and the only one that reports errors.
This loader is several times faster, but PyYAML resolves plain scalars by YAML 1.1
rules (`yes` is true, `012` is octal, `1e3` is a string). So it resolves only the
scalars on which both versions agree and *declines* everything else (and every error,
duplicate key, unusual tag or alias): the caller then loads the file with ruamel. The
result for any file it accepts equals ruamel's (tests/test_fastyaml.py checks that).
"""

from __future__ import annotations

import os
import re
from datetime import date
from typing import Any

import yaml

NULL = frozenset(("", "~", "null", "Null", "NULL"))
BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
# Both versions read these the same way.
INT_RE = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
FLOAT_RE = re.compile(r"[-+]?(0|[1-9][0-9]*)\.[0-9]+\Z")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
# Whole plain scalars that YAML 1.1 or 1.2 may read as something other than a string
# (numbers of every base and form, sexagesimal, timestamps, 1.1 booleans, merge, value).
SUSPECT_RE = re.compile(
    r"(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?0b[0-1_]+|[-+]?0o[0-7_]+|[-+]?0x[0-9a-fA-F_]+"
    r"|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?"
    r"|[-+0-9_.:eE]+"  # anything else made only of number characters: let the reference decide
    r"|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|<<|=)\Z"
)

STR, INT, FLOAT, NULL_TAG, BOOL_TAG, DATE, SEQ, MAP = (
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "null", "bool", "timestamp", "seq", "map")
)


class Declined(Exception):
    """This file needs the reference loader."""


DECLINE = "decline"
_MEMO: dict[str, str] = {}  # plain scalar -> tag; evidence repeats the same small values


class _Composer(yaml.CSafeLoader):  # type: ignore[misc]
    """libyaml scans, parses and composes; only tag resolution runs in Python."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:  # quoted: always a string
                return STR
            tag = _MEMO.get(value)
            if tag is None:
                tag = _resolve_plain(value)
                if len(value) <= 16 and len(_MEMO) < 4096:
                    _MEMO[value] = tag
            if tag is DECLINE:
                raise Declined(value)
            return tag
        return SEQ if kind is yaml.SequenceNode else MAP


def _resolve_plain(value: str) -> str:
    """The tag both YAML versions give a plain scalar, or DECLINE where they may differ."""
    if value in NULL:
        return NULL_TAG
    if value in BOOL:
        return BOOL_TAG
    if INT_RE.match(value):
        return INT
    if FLOAT_RE.match(value):
        return FLOAT
    if DATE_RE.match(value):
        return DATE
    if SUSPECT_RE.match(value):
        return DECLINE
    return STR


def compose(text: str) -> Any:
    """The node tree of `text` (marks give 0-based line/column), or Declined."""
    loader = _Composer(text)
    try:
        return loader.get_single_node()
    except Declined:
        raise
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise Declined(str(exc)) from None
    finally:
        loader.dispose()


def fast_load(text: str, max_depth: int = 64) -> Any:
    """Plain data for `text`, or Declined when the reference loader must decide."""
    if ("&" in text or "*" in text or "!" in text) and _has_node_property(text):
        raise Declined("anchor, alias or tag")  # rare in evidence: the reference path decides
    split = _split_monthly(text)
    if split is not None:
        data = _load(split[0], max_depth)
        signals = data.get("signals") if isinstance(data, dict) else None
        if isinstance(signals, dict) and signals.get("monthly") == _PLACEHOLDER:
            if max_depth < 4:
                raise Declined("deep nesting")
            signals["monthly"] = split[1]
            return data
    return _load(text, max_depth)


def _load(text: str, max_depth: int) -> Any:
    node = compose(text)
    return None if node is None else _construct(node, max_depth)


# `signals.monthly` is most of a driver file's values (61 months of four), written by
# `collect` one month a line in one layout. Lines in exactly that layout are read with
# one regular expression instead of going through the parser value by value: the rest
# of the file is parsed with a placeholder in their place (a string no file can
# predict), and the months are put back where that placeholder is. Anything else (a
# comment between months, another layout, a second `monthly:` line, a placeholder
# that does not land in `signals`) parses the whole file as before. The values read
# here are those the parser gives these lines: a double-quoted string and three plain
# decimal integers (no sign, no leading zero).
# `monthly:` at the start of a line, after spaces only (searched for the literal word,
# then checked back to the line's start: much cheaper than trying every position)
_MONTHLY_KEY = re.compile(r"monthly:[ \t]*\n")
_MONTH_LINE = re.compile(
    r'( *)- \{month: "([0-9]{4}-[0-9]{2})", commits: (0|[1-9][0-9]{0,17}), '
    r"added: (0|[1-9][0-9]{0,17}), removed: (0|[1-9][0-9]{0,17})\}[ \t]*(?:\n|\Z)"
)
# the same lines without captures (cheaper), to find where they end
_MONTH_BLOCK = re.compile("(?:" + re.sub(r"\((?!\?)", "(?:", _MONTH_LINE.pattern) + ")+")
_PLACEHOLDER = f"months-{os.urandom(16).hex()}"  # secrets.token_hex, without its imports
_NEXT_CONTENT = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*( *)(\S?)")


def _split_monthly(text: str) -> tuple[str, list[dict[str, Any]]] | None:
    """`text` with its month lines replaced by a placeholder, and those months; or None."""
    if "monthly:" not in text:
        return None
    heads = []
    for found_key in _MONTHLY_KEY.finditer(text):
        line = text.rfind("\n", 0, found_key.start()) + 1
        if not text[line : found_key.start()].strip(" "):
            heads.append((line, found_key))
    if len(heads) != 1:
        return None
    start, head = heads[0]
    margin = text[start : head.start()]
    indent = len(margin)
    block = _MONTH_BLOCK.match(text, head.end())
    if block is None:
        return None
    found = _MONTH_LINE.findall(block.group(0))
    item_indent = len(found[0][0])
    if item_indent < indent or any(len(line[0]) != item_indent for line in found):
        return None
    months = [
        {"month": month, "commits": int(commits), "added": int(added), "removed": int(removed)}
        for _, month, commits, added, removed in found
    ]
    position = block.end()
    after = _NEXT_CONTENT.match(text, position)
    if after is not None and after.group(2):
        width = len(after.group(1))
        if width > indent or (width == indent == item_indent and after.group(2) == "-"):
            return None  # the sequence (or something odd) goes on: let the parser read it all
    replaced = f'{margin}monthly: "{_PLACEHOLDER}"\n'
    return text[:start] + replaced + text[position:], months


_SCALARS: dict[str, Any] = {
    STR: lambda v: v,
    INT: int,
    FLOAT: float,
    NULL_TAG: lambda v: None,
    BOOL_TAG: BOOL.__getitem__,
    DATE: date.fromisoformat,
}


def _construct(root: Any, max_depth: int) -> Any:
    """Nodes -> dicts, lists and scalars, without recursion; declines on any node seen
    twice (an alias), a non-scalar or duplicate key, an unusual tag or deep nesting.
    (Strings, most of the scalars, are taken as they are; the composer makes nodes of
    exactly these classes.)"""
    seen: set[int] = set()
    scalar, mapping = yaml.ScalarNode, yaml.MappingNode

    def leaf(node: Any) -> Any:
        convert = _SCALARS.get(node.tag)
        if convert is None:
            raise Declined(node.tag)
        try:
            return convert(node.value)
        except ValueError as exc:  # e.g. 2021-02-30
            raise Declined(str(exc)) from None

    if isinstance(root, scalar):
        return leaf(root)
    result: Any = {} if isinstance(root, mapping) else []
    stack = [(root, result, 1)]
    while stack:
        node, target, depth = stack.pop()
        if id(node) in seen or depth > max_depth or node.tag not in (SEQ, MAP):
            raise Declined("alias, deep nesting or tag")
        seen.add(id(node))
        if type(node) is mapping:
            for key_node, value_node in node.value:
                if type(key_node) is not scalar:
                    raise Declined("non-scalar key")
                key = key_node.value if key_node.tag == STR else leaf(key_node)
                if key in target:
                    raise Declined("duplicate key")
                if type(value_node) is scalar:
                    target[key] = value_node.value if value_node.tag == STR else leaf(value_node)
                else:
                    target[key] = _child(value_node, stack, depth)
        else:
            for item in node.value:
                if type(item) is scalar:
                    target.append(item.value if item.tag == STR else leaf(item))
                else:
                    target.append(_child(item, stack, depth))
    return result


def _child(node: Any, stack: list[Any], depth: int) -> Any:
    container: Any = {} if type(node) is yaml.MappingNode else []
    stack.append((node, container, depth + 1))
    return container


_PROPERTY_RE = re.compile(r"(^|[\s\[{,:-])[&*!][^\s,\]}]")


def _has_node_property(text: str) -> bool:
    """Could `text` hold an anchor, alias or tag? (A claim's `*` may say yes: then the
    reference loader decides, which is correct, only slower.)"""
    return _PROPERTY_RE.search(text) is not None
