"""The common-path YAML loader: libyaml (PyYAML's C parser), for plain documents only.

libyaml reads YAML 1.1 syntax, which a YAML 1.2 reader reads differently in corners
(`{?a: b}`, `! 12`, block scalars with lines of spaces, under-indented continuations,
`"a"#b`, tabs, other line breaks). This loader takes a document only when nothing in
it reaches those corners, and *declines* everything else (and every error, duplicate
key, tag, anchor or alias): the caller then loads the file with the reference reader
(checker.load.reference). The gate is in two parts: a scan of the text for the
characters and indicators that only unusual YAML holds (`needs_reference`), then, while
the nodes are built, a check of the few nodes whose text can differ (quoted and block
scalars, flow collections: each on one line, followed by what the grammar allows).
Plain scalars resolve by the YAML 1.2 core schema (checker.load.scalars), as in the
reference. A text that passes the gate and is in the common layout of driver files is
read without libyaml, line by line (checker.load.linereader), which declines the rest.
tests/test_fastyaml.py and tests/test_yaml_suite.py check that the result
of any document it takes equals the reference's.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

from checker.load.linereader import line_load
from checker.load.scalars import plain

# Private tags: the composer calls `resolve` for every node without an explicit tag, so
# a node that keeps a tag:yaml.org,2002:* tag was tagged in the text (`!!str x`).
STR, PLAIN, OTHER, SEQ, MAP = "s", "p", "q", "S", "M"


class Declined(Exception):
    """This file needs the reference loader."""


# Characters and indicators that only unusual YAML holds; any of them sends the text to
# the reference. Characters: tab, a CR outside CRLF, NEL, LS, PS and BOM (libyaml also
# refuses what YAML does not print, and then declines). Indicators at the start of a
# token: `?` (explicit key, `?x` in flow), `!` (tag), `&` before a name (an anchor; an
# alias, `*x`, without one is an error to libyaml, and with one a node seen twice:
# declined either way), `%` (directive); `-` or `:` right after a flow indicator and
# `:` right before one (`[-]`, `[:x]`, `{a:,}`), `-` before a flow indicator
# (`{a: -}`) and `:` starting a word (`a :b`). Lines: document markers and lines of
# spaces only. One linear pass of RE2 over "\n" + text (Python's `re` tries each
# alternative at each position: twenty times slower here).
_UNUSUAL = (
    r"[\t\x{85}\x{2028}\x{2029}\x{FEFF}]|\r(?:[^\n]|\z)"
    r"|[ \n\[{,](?:[?!%]|&[^ \r\n])"
    r"|[\[{,] *[-:]|:[,\]}]| :[^ \r\n]|[ \n]-[,\[\]{}]"
    r"|\n(?:---|\.\.\.| +\r?(?:\n|\z))"
)
_unusual: Any = None


def needs_reference(text: str) -> bool:
    """Does `text` hold anything the fast path does not read (see _UNUSUAL)?"""
    global _unusual
    if _unusual is None:
        import re2

        _unusual = re2.compile(_UNUSUAL)
    return _unusual.search("\n" + text) is not None


_MEMO: dict[str, str] = {}  # plain scalar -> tag; evidence repeats the same small values


@functools.cache
def _composer() -> Any:
    """The composer class, made when a text first needs libyaml (PyYAML is imported then:
    a one-file `validate` of a file in the common layout never needs it)."""
    import yaml

    class _Composer(yaml.CSafeLoader):  # type: ignore[misc]
        """libyaml scans, parses and composes; only tag resolution runs in Python."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is yaml.ScalarNode:
                if not implicit[0]:  # quoted or block: a string, its text checked later
                    return OTHER
                tag = _MEMO.get(value)
                if tag is None:
                    tag = STR if type(plain(value)) is str else PLAIN
                    if len(value) <= 16 and len(_MEMO) < 4096:
                        _MEMO[value] = tag
                return tag
            return SEQ if kind is yaml.SequenceNode else MAP

    return _Composer


def compose(text: str) -> Any:
    """The node tree of `text` (marks give 0-based line/column), or Declined."""
    import yaml

    loader = _composer()(text)
    try:
        return loader.get_single_node()
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise Declined(str(exc)) from None
    finally:
        loader.dispose()


def fast_load(text: str, max_depth: int = 64) -> Any:
    """Plain data for `text`, or Declined when the reference loader must decide."""
    split = _split_monthly(text)
    if split is not None:
        data = _load(split[0], max_depth)  # the month lines hold nothing unusual
        signals = data.get("signals") if isinstance(data, dict) else None
        if isinstance(signals, dict) and signals.get("monthly") == _PLACEHOLDER:
            if max_depth < 4:
                raise Declined("deep nesting")
            signals["monthly"] = split[1]
            return data
    return _load(text, max_depth)


def _load(text: str, max_depth: int) -> Any:
    if needs_reference(text):
        raise Declined("unusual YAML")
    data = line_load(text, max_depth)  # the common layout, without the parser
    if data is not None:
        return data
    node = compose(text)
    return None if node is None else _construct(node, max_depth, text)


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


def leaf(node: Any, text: str, key: bool = False) -> Any:
    """The value of a scalar node; declines where a YAML 1.2 reader could read its text
    differently, or where the reference must report it (a date not on the calendar)."""
    tag = node.tag
    if tag == STR:
        return node.value
    if tag == PLAIN:
        value = _VALUES.get(node.value, _VALUES)
        if value is _VALUES:
            try:
                value = plain(node.value)
            except ValueError as exc:  # 2021-02-30, or an integer too long to convert
                raise Declined(str(exc)) from None
            if len(node.value) <= 16 and len(_VALUES) < 4096:
                _VALUES[node.value] = value  # None, bool, int, float, date: immutable
        return value
    if tag != OTHER:
        raise Declined(tag)
    start, end = node.start_mark, node.end_mark
    if node.style in ("'", '"'):
        if start.line != end.line or (text[end.index : end.index + 1] not in _ENDS
                                      and _AFTER_TOKEN.match(text, end.index) is None):
            raise Declined("quoted scalar over lines, or followed by something unusual")
    elif (_BLOCK_HEADER.match(text, start.index) is None or not node.value
          or (end.index >= len(text) and not text.endswith("\n"))):
        raise Declined("block scalar: unusual header, empty, or ends the text without a "
                       "line break")
    if not key and _starts_line(text, start.index):
        raise Declined("value on a line of its own")
    return node.value


_VALUES: dict[str, Any] = {}  # plain scalar -> its value, for the short ones
_ENDS = ("\n", ",", "]", "}")  # what usually follows a closing quote or bracket


def _starts_line(text: str, index: int) -> bool:
    """Is only indentation before `index` on its line? (libyaml takes such a value
    less indented than YAML 1.2 allows: `a:` then `[1]` or `|` at column 0)"""
    if text[index - 2 : index] in (": ", "- "):
        return False
    return not text[text.rfind("\n", 0, index) + 1 : index].strip(" ")


def _flow_checked(node: Any, text: str, nested: bool) -> None:
    """Declines a flow collection over several lines, followed by something unusual
    (`[a]#b`), or nested in the document on a line of its own."""
    start, end = node.start_mark, node.end_mark
    if start.line != end.line or (nested and _starts_line(text, start.index)) or (
            text[end.index : end.index + 1] not in _ENDS
            and _AFTER_TOKEN.match(text, end.index) is None):
        raise Declined("flow collection over lines, alone on its line, or before `#`")


# What may follow a closing quote or bracket on its line: a comment after a space, the
# end of the line, a flow indicator, or the `: ` of a key
_AFTER_TOKEN = re.compile(r" +#| *(?:\r?\n|\Z|[,\]}]|:(?:[ \r\n]|\Z))")
# `|`, `|-`, `>` or `>-`, then spaces and a comment after a space (no keep `+`, no
# indentation indicator)
_BLOCK_HEADER = re.compile(r"[|>]-?(?: +#[^\r\n]*)? *\r?\n")


def _construct(root: Any, max_depth: int, text: str) -> Any:
    """Nodes -> dicts, lists and scalars, without recursion; declines on any node seen
    twice (an alias), a non-scalar or duplicate key, a tag, deep nesting, a flow
    collection over several lines, or a scalar `leaf` declines. (Plain strings, most
    of the scalars, are taken as they are; the composer makes nodes of exactly these
    classes.)"""
    import yaml

    seen: set[int] = set()
    scalar, mapping = yaml.ScalarNode, yaml.MappingNode

    if isinstance(root, scalar):
        return leaf(root, text)
    result: Any = {} if isinstance(root, mapping) else []
    stack = [(root, result, 1)]
    while stack:
        node, target, depth = stack.pop()
        if id(node) in seen or depth > max_depth or node.tag not in (SEQ, MAP):
            raise Declined("alias, deep nesting or tag")
        if node.flow_style:
            _flow_checked(node, text, depth > 1)
        seen.add(id(node))
        if type(node) is mapping:
            for key_node, value_node in node.value:
                if type(key_node) is not scalar:
                    raise Declined("non-scalar key")
                key = key_node.value if key_node.tag == STR else leaf(key_node, text, True)
                if key in target:
                    raise Declined("duplicate key")
                if type(value_node) is scalar:
                    target[key] = (value_node.value if value_node.tag == STR
                                   else leaf(value_node, text))
                else:
                    target[key] = _child(value_node, stack, depth)
        else:
            for item in node.value:
                if type(item) is scalar:
                    target.append(item.value if item.tag == STR else leaf(item, text))
                else:
                    target.append(_child(item, stack, depth))
    return result


def _child(node: Any, stack: list[Any], depth: int) -> Any:
    import yaml

    container: Any = {} if type(node) is yaml.MappingNode else []
    stack.append((node, container, depth + 1))
    return container
