"""Characters that are never shown as they are: the one definition every channel uses.

A reviewer reads text from evidence, policies, templates and kernel trees in a terminal,
in cards and in a pull-request comment. Characters that a reader cannot see, or that
change how the rest of a line is shown, make two different texts look alike or hide
text ("trojan source"). They are defined here by Unicode class, not by a list of
examples, so that a character of the same kind is caught too:

- general categories Cc (controls: escape sequences, NUL, DEL, C1), Cf (format:
  soft hyphen, zero-width characters, bidirectional marks, embeddings, overrides and
  isolates, the byte-order mark, tag characters, ...), Cs (surrogates: a file name
  that is not UTF-8), Cn (unassigned and noncharacters), Zl and Zp (line and paragraph
  separators);
- Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties: what a renderer
  shows as nothing, such as the combining grapheme joiner U+034F, the variation
  selectors U+FE00-U+FE0F and U+E0100-U+E01EF, the Mongolian free variation selectors,
  the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0);
- blank letters and symbols that render as nothing (the Braille blank U+2800, the
  Khmer inherent vowels, the Hangul fillers again).

`hidden(code)` answers for one code point; the channels build on it: the terminal
(checker.core.output) shows each as an escape (`\\u00ad`), Markdown
(checker.render.markdown) as U+FFFD.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})

# Default_Ignorable_Code_Point, from Unicode's DerivedCoreProperties.txt (stable since
# Unicode 6; the property is closed for new assignments outside these ranges).
DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)

# Letters and symbols that are drawn as blank space but are not whitespace, so that
# folding whitespace does not catch them.
BLANK_LOOKING = frozenset({0x2800, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x17B4, 0x17B5})


def hidden(code: int) -> bool:
    """True when the character `code` must not reach a reader as it is."""
    if code < 0x7F:
        return code < 0x20
    if code in BLANK_LOOKING:
        return True
    if unicodedata.category(chr(code)) in HIDDEN_CATEGORIES:
        return True
    return any(low <= code <= high for low, high in DEFAULT_IGNORABLE)


class Table(dict[int, str]):
    """A str.translate table over every code point, filled as characters are met:
    `replace(code)` for a hidden character, the character itself for any other
    (a few hundred distinct characters make a run; each is classified once)."""

    def __init__(self, replace: Callable[[int], str], keep: str = "") -> None:
        super().__init__()
        self._replace = replace
        self._keep = frozenset(map(ord, keep))
        controls = "".join(chr(c) for c in (*range(0x20), 0x7F) if c not in self._keep)
        self._ascii = re.compile("[" + re.escape(controls) + "]")
        self._visible: set[str] = set()  # characters met that are shown as they are

    def apply(self, text: str) -> str:
        """`text` with every hidden character replaced. Text whose characters are all
        known to be visible (the common case: ASCII without controls, or letters seen
        before) is returned as it is, without a lookup per character."""
        if text.isascii():
            return text if self._ascii.search(text) is None else text.translate(self)
        chars = set(text)
        if chars <= self._visible:
            return text
        if all(self[ord(char)] == char for char in chars):
            self._visible |= chars
            return text
        return text.translate(self)

    def __missing__(self, code: int) -> str:
        shown = chr(code)
        if code not in self._keep and hidden(code):
            shown = self._replace(code)
        self[code] = shown
        return shown
