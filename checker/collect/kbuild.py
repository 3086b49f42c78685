"""Kconfig, Makefiles and device-id tables, read as text: symbols, BROKEN, ids."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

_CONFIG = re.compile(r"^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$")


_DEPENDS = re.compile(r"^\s*depends\s+on\s+(.*)$")


_IF = re.compile(r"^\s*if\s+(.*)$")


_BLOCK_OPEN = re.compile(r"^\s*(menu|choice)\b")


_BLOCK_CLOSE = re.compile(r"^\s*(endif|endmenu|endchoice)\b")


_BROKEN = re.compile(r"(?<![!\w])BROKEN\b")


def kconfig_symbols(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := _CONFIG.match(line))]


def broken_symbols(text: str) -> dict[str, bool]:
    """For each symbol defined in one Kconfig file: does it depend on BROKEN?"""
    result: dict[str, bool] = {}
    stack: list[bool] = []  # per open if/menu/choice: its condition involves BROKEN
    current: str | None = None
    block_pending = False  # `depends on` lines right after menu/choice belong to it
    for raw in _join_continuations(text).splitlines():
        line = raw.split("#", 1)[0]
        if not line.strip():
            continue
        if m := _CONFIG.match(line):
            current = m.group(1)
            result[current] = result.get(current, False) or any(stack)
            block_pending = False
            continue
        if m := _IF.match(line):
            stack.append(bool(_BROKEN.search(m.group(1))))
            current, block_pending = None, False
            continue
        if _BLOCK_OPEN.match(line):
            stack.append(False)
            current, block_pending = None, True
            continue
        if _BLOCK_CLOSE.match(line):
            if stack:
                stack.pop()
            current, block_pending = None, False
            continue
        if m := _DEPENDS.match(line):
            broken = bool(_BROKEN.search(m.group(1)))
            if current is not None:
                result[current] = result[current] or broken
            elif block_pending and stack:
                stack[-1] = stack[-1] or broken
            continue
        if not line[:1].isspace():
            current, block_pending = None, False
    return result


def _join_continuations(text: str) -> str:
    return re.sub(r"\\\n", " ", text)


# `obj-$(CONFIG_X)`, also with a build-phase prefix inside the reference, as trees that
# build one driver for several boot phases write it: `obj-$(CONFIG_$(PHASE_)X)`,
# `$(SPL_)`, `$(SPL_TPL_)`, `$(XPL_)`; the symbol is X.
_ASSIGN = re.compile(
    r"^\s*([A-Za-z0-9_.-]+?)-(\$\(CONFIG_(?:\$\([A-Za-z0-9_]+\))?([A-Za-z0-9_]+)\)|y|m|objs)"
    r"\s*[:+]?=\s*(.*)$"
)


@dataclass
class Makefile:
    gates: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    members: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    always: set[str] = field(default_factory=set)  # `obj-y`/`obj-m` targets (no symbol)
    order: dict[str, int] = field(default_factory=dict)  # target -> first line naming it


def parse_makefile(directory: str, text: str) -> Makefile:
    """`obj-$(CONFIG_X) += a.o b/` -> gates; `foo-y := a.o` -> members of foo.o;
    `obj-y += c.o d/` -> always."""
    result = Makefile()
    base = f"{directory}/" if directory else ""
    for number, raw in enumerate(_join_continuations(text).splitlines()):
        line = raw.split("#", 1)[0]
        match = _ASSIGN.match(line)
        if not match:
            continue
        target, _, symbol, values = match.groups()
        items = [item for item in values.split() if not item.startswith("$")]
        if target == "obj":
            for item in items:
                result.order.setdefault(base + item, number)
                if symbol:
                    result.gates[base + item].add(symbol)
                else:
                    result.always.add(base + item)
        else:
            for item in items:
                if item.endswith(".o"):
                    result.members[f"{base}{target}.o"].add(base + item)
    return result


# No leading `\b`: it keeps re from searching for the literal (40x slower on Linux's
# drivers); device_ids skips a match that continues a word instead (no match can start
# inside another: the arguments hold no `(`).
_TABLE = re.compile(r"MODULE_DEVICE_TABLE\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")


# What a terminator's initializers may be: `{ }`, `{ 0 }`, `{ 0, }` (Linux), and
# designated zeros, `{ .vendor_id = 0, }` (DPDK's rte_pci_id tables end so).
_ZERO_VALUES = frozenset(("0", "NULL"))


def _is_terminator(entry: str) -> bool:
    """Whether a table entry (`{...}`) sets nothing but zeros: the table's end."""
    for item in entry.replace("{", ",").replace("}", ",").split(","):
        field, equals, value = item.partition("=")
        if equals and not field.strip().startswith("."):
            return False  # an expression, not a designated initializer
        if (value if equals else field).strip() not in _ZERO_VALUES | {""}:
            return False
    return True


# The comments and array definitions of a C file are found by hand, in one pass each:
# the regular expressions they replace (`/\*.*?\*/|//[^\n]*` with DOTALL, and
# `\b(\w+)\s*\[[^\]]*\][\w\s]*=\s*\{`) were quadratic on a long run of unclosed `/* `
# or of `a[` without `]` (tried at every start, each try scanning to the end). The scans
# give what those expressions gave: tests/test_collect_tree.py compares them on random
# C-like text.


def strip_comments(text: str) -> str:
    """`text` with each `/* ... */` (the shortest) and `// ...` (to the line's end)
    comment replaced by a space, left to right; an unclosed `/*` is no comment."""
    out: list[str] = []
    position, size = 0, len(text)
    last_close = text.rfind("*/")  # a `/*` at p is closed iff a `*/` starts at p + 2 or later
    block, line = text.find("/*"), text.find("//")
    while True:
        if block != -1 and block < position:
            block = text.find("/*", position)
        if line != -1 and line < position:
            line = text.find("//", position)
        if block == -1 and line == -1:
            break
        if block != -1 and (line == -1 or block < line):
            if last_close < block + 2:  # unclosed: not a comment, and neither is any later `/*`
                block = -1
                continue
            close = text.find("*/", block + 2)
            out += [text[position:block], " "]
            position = close + 2
        else:
            newline = text.find("\n", line + 2)
            out += [text[position:line], " "]
            position = size if newline == -1 else newline
    out.append(text[position:])
    return "".join(out)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # what `\w` matches in a str pattern


def array_bodies(code: str, starts: dict[str, int] | None = None) -> dict[str, int]:
    """Each array definition `name[...] <words and blanks> = {`: name -> the offset just
    after its `{` (a later definition of a name wins), found left to right without
    overlap, as `re.finditer` found them. `starts`, when given, receives name -> the
    offset of the name."""
    found: dict[str, int] = {}
    size = len(code)
    last_bracket = code.rfind("]")
    close = -1  # the first `]` after the current `[`, reused while it stays ahead
    after: dict[int, int] = {}  # `]` offset -> offset after its `= {`, or -1
    resume = 0  # where the last match ended: no match may start before it
    opening = code.find("[")
    while opening != -1 and opening < last_bracket:
        start = opening
        while start > resume and code[start - 1].isspace():
            start -= 1
        word_end = start
        while start > resume and _is_word(code[start - 1]):
            start -= 1
        # the name is a whole word: it must not continue before `resume` either
        whole = start < word_end and (start == 0 or not _is_word(code[start - 1]))
        if whole:
            if close <= opening:
                close = code.find("]", opening + 1)
            end = after.get(close)
            if end is None:
                end = after[close] = _body_after(code, close + 1, size)
            if end != -1:
                found[code[start:word_end]] = end
                if starts is not None:
                    starts[code[start:word_end]] = start
                resume = end
                opening = code.find("[", end)
                continue
        opening = code.find("[", opening + 1)
    return found


def _body_after(code: str, index: int, size: int) -> int:
    r"""After an array's `]`: `[\w\s]*=\s*\{` from `index`; the offset after `{`, or -1."""
    while index < size and (code[index].isspace() or _is_word(code[index])):
        index += 1
    if index == size or code[index] != "=":
        return -1
    index += 1
    while index < size and code[index].isspace():
        index += 1
    return index + 1 if index < size and code[index] == "{" else -1


def device_ids(text: str) -> int:
    """Entries of the tables that MODULE_DEVICE_TABLE names in one C file."""
    return table_counts(text)[0]


def table_counts(text: str) -> tuple[int, int]:
    """(`device_ids`, `id_entries`) of one C file, its comments stripped and its arrays
    found once for both."""
    exported = "MODULE_DEVICE_TABLE" in text
    named = _names_id_struct(text)
    if not exported and not named:
        return 0, 0
    code = strip_comments(text)
    starts: dict[str, int] = {}
    arrays = array_bodies(code, starts)
    return (_exported_entries(code, arrays) if exported else 0,
            _id_table_entries(code, arrays, starts) if named else 0)


def _exported_entries(code: str, arrays: dict[str, int]) -> int:
    counted: dict[int, int] = {}  # a table named twice is counted once per mention
    total = 0
    for match in _TABLE.finditer(code):
        name = match.group(2)
        if name == "name":  # the macro's own definition
            continue
        before = match.start() - 1
        if before >= 0 and _is_word(code[before]):  # `XMODULE_DEVICE_TABLE(`: not it
            continue
        start = arrays.get(name)
        if start is None:
            total += 1
            continue
        if start not in counted:
            counted[start] = max(1, _count_entries(code, start))
        total += counted[start]
    return total


def id_entries(text: str) -> int:
    """Entries of the id tables one C file defines: the arrays of a struct type named
    `*_id`, `*_ids` or `*_match` (`pci_device_id`, `of_device_id`, `rte_pci_id`,
    `fdt_match`), the tables a driver model matches devices against, whether or not a
    macro exports them (`_entries` says what an entry is). `struct` and the type are
    written with only blanks between them (as every tree writes them)."""
    return table_counts(text)[1]


def _id_table_entries(code: str, arrays: dict[str, int], starts: dict[str, int]) -> int:
    total, scanned = 0, 0
    # A table inside one already counted is not a table of its own; skipping it keeps
    # the count linear (a run of unclosed `struct a_id x[] = {` is one scan, not one each).
    for name, start in sorted(starts.items(), key=lambda item: item[1]):
        if start < scanned or not _is_id_type(_declared_type(code, start)):
            continue
        count, scanned = _entries(code, arrays[name])
        total += count
    return total


def _names_id_struct(text: str) -> bool:
    """Whether `struct X_id`, `struct X_ids` or `struct X_match` occurs (in code or not):
    most C files name none, and are not read further. A hand scan from each suffix: a
    regular expression for it took 30 s over Linux's drivers/, this 1.6 s
    (benchmarks/source_facts.py)."""
    return any(_names_struct_ending(text, ending) for ending in _ID_TYPE_ENDINGS)


def _names_struct_ending(text: str, ending: str) -> bool:
    size = len(text)
    at = text.find(ending)
    while at != -1:
        end = at + len(ending)
        if end < size and text[end] == "s":  # `_ids`
            end += 1
        if end == size or not _is_word(text[end]):
            start = at
            while start > 0 and _is_word(text[start - 1]):
                start -= 1
            blank = start
            while blank > 0 and text[blank - 1].isspace():
                blank -= 1
            keyword = blank - len("struct")
            if blank < start and keyword >= 0 and text.startswith("struct", keyword) and (
                    keyword == 0 or not _is_word(text[keyword - 1])):
                return True
        at = text.find(ending, at + len(ending))
    return False


def _declared_type(code: str, name_start: int) -> str:
    """The word after `struct` in the words and blanks that precede an array's name
    (`static const struct of_device_id __maybe_unused`), or ""."""
    words: list[str] = []
    index = name_start
    while index > 0 and len(words) < _DECLARATION_WORDS:
        while index > 0 and code[index - 1].isspace():
            index -= 1
        end = index
        while index > 0 and _is_word(code[index - 1]):
            index -= 1
        if index == end:  # not a word: the declaration starts after it
            break
        words.append(code[index:end])
    words.reverse()
    for position, word in enumerate(words[:-1]):
        if word == "struct":
            return words[position + 1]
    return ""


# storage class, qualifiers, `struct`, the type and attributes: more is not a declaration
_DECLARATION_WORDS = 8


# The struct types of id tables: `*_id` and `*_ids` (Linux's and barebox's, DPDK's
# `rte_pci_id`), `*_match` (OpenSBI's `fdt_match`, Xen's `dt_device_match`).
_ID_TYPE_ENDINGS = ("_id", "_match")


def _is_id_type(name: str) -> bool:
    return name.endswith((*_ID_TYPE_ENDINGS, "_ids"))


def _count_entries(code: str, start: int) -> int:
    return _entries(code, start)[0]


def _entries(code: str, start: int) -> tuple[int, int]:
    """The entries of the brace group opened just before `start`, and the offset after
    its closing `}` (the text's end when unclosed). Entries are its items, separated by
    commas outside brackets, parentheses and quotes: a brace group (`{ PCI_DEVICE(1, 2)
    }`) or a macro that expands to one (Xen's `DT_MATCH_COMPATIBLE("ns16550")`);
    preprocessor lines and the all-zero terminator are not entries."""
    depth, parens, count, item = 1, 0, 0, start
    index, size = start, len(code)
    while index < size:
        char = code[index]
        if char in "\"'":
            index = _after_quoted(code, index)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 1:
                parens = 0  # what an entry left open does not spill over
            elif depth == 0:
                return count + _is_entry(code[item:index]), index + 1
        elif char == "(":
            parens += 1
        elif char == ")":
            parens = max(0, parens - 1)
        elif char == "," and depth == 1 and parens == 0:
            count += _is_entry(code[item:index])
            item = index + 1
        index += 1
    return count, size


def _after_quoted(code: str, opening: int) -> int:
    """The offset after the string or character literal opened at `opening` (its line's
    end when it is not closed there)."""
    quote, size = code[opening], len(code)
    index = opening + 1
    while index < size:  # one pass: the scan resumes where this stops
        char = code[index]
        if char == "\n":
            return index
        if char == quote:
            return index + 1
        index += 2 if char == "\\" else 1
    return size


def _is_entry(item: str) -> bool:
    """An item of a table, without its preprocessor lines: something that is not the
    all-zero terminator."""
    kept = "\n".join(line for line in item.split("\n") if not line.lstrip().startswith("#"))
    return bool(kept.strip()) and not _is_terminator(kept)
