"""Markdown escaping: untrusted text from driver files -> Markdown that shows exactly it.

Text from driver files reaches a card only through the escaping filters here (md_text,
md_cell, md_code, md_link, md_rel_link, md_paragraphs); the template environment's
`finalize` refuses to print anything that did not pass through one of them, so a
template cannot forget to escape. Links are made only by md_link (http(s) sources) and
md_rel_link: text that GitHub would autolink (www., scheme://, e-mail, mailto:, xmpp:)
is made inert; the pull-request comment's filters (COMMENT_FILTERS) also make issue
references inert.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any
from urllib.parse import quote, urlsplit

from checker.core.hidden import Table

MINUS = "−"  # U+2212, as the seed cards write removed lines


class Markdown(str):
    """Text that may be placed in a card as it is: escaped, or built by this module."""

    __slots__ = ()


# Characters that are never printed as they are (checker.core.hidden: controls, format
# and bidirectional characters, default-ignorable code points such as the soft hyphen,
# variation selectors and the combining grapheme joiner, fillers, unassigned code
# points) become U+FFFD; line breaks and tabs are whitespace, folded into one space.
_HIDDEN = Table(lambda code: "\N{REPLACEMENT CHARACTER}", keep="\t\n\x0b\x0c\r\u2028\u2029")


# What GitHub's Markdown makes a link or a notification without any markup (cmark-gfm's
# autolink extension, and the comment's mentions and references), matched so that a
# zero-width space (as an entity, which no evidence can hold: `&` is escaped) put after
# each match breaks it while the text reads the same:
# - an e-mail address (a mailto: link) at its `@`, which also makes @user and
#   @org/team mentions inert, and `mailto:` and `xmpp:` links before their colon;
# - `www.` and `scheme://`: the extension links `www.` after the start of a line, a
#   blank, `*`, `_`, `~` or `(`, and `http(s)://` or `ftp://` after anything but a
#   letter, so no word boundary is assumed. These are made inert in cards too: the
#   extension reads them from the raw Markdown and swallows the backslash of an escape
#   that follows (`http://x\<img src=x\>` became a link and an HTML image).
# The pull-request comment also makes issue references (#123, GH-123) inert. Every
# alternative starts with one literal character and looks a fixed width around it
# (linear, and the engine skips to the next `@`, `:`, `.`, `#` or `-`); the space goes
# after an `@` or `#`, before anything else (`www&#8203;.`, `https&#8203;://`).
_AUTOLINK = r"@(?=[\w-])|:(?<=[a-z]:)(?=//)|:(?<=mailto:)|:(?<=xmpp:)|\.(?<=www\.)"
_NOT_LINKS = re.compile(_AUTOLINK, re.IGNORECASE)
_LIVE = re.compile(_AUTOLINK + r"|#(?=[0-9])|-(?<=GH-)(?=[0-9])", re.IGNORECASE)


_ZWSP = "&#8203;"


# What makes a line start a block: an ATX heading, a list item, a thematic break or a
# setext underline ('>', '*', '_', '`', '~', '<' and '|' are escaped everywhere anyway).
_LINE_START = re.compile(
    r"^(#{1,6}(?=[ \t]|$)|[-+](?=[ \t]|$)|[0-9]{1,9}(?=[.)]([ \t]|$))"
    r"|=+[ \t]*$|-[- \t]*$)"
)


# What is backslash-escaped outside code spans: the characters of emphasis, links and
# images, raw HTML and autolinks, tables, strikethrough, GitHub's math, code spans and
# the escape character itself; '&' where it would start an entity; '_' unless it is
# inside a word (snake_case cannot open or close emphasis). The string's ends, and the
# backticks of a neighbouring code span, count as outside a word.
_SPECIAL = re.compile(
    r"[\\*\[\]<>|~$`]"
    r"|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)"
    r"|(?<![^\W_])_|_(?![^\W_])"
)


def _one_line(text: str) -> str:
    text = _HIDDEN.apply(unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def _escape_plain(text: str) -> str:
    """Backslash-escape the characters of text that Markdown would interpret."""
    return _SPECIAL.sub(lambda match: "\\" + match.group(), text)


def _code_spans(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_code, part): a run of n backticks closed by the next run of
    exactly n backticks is a code span, as CommonMark reads it; an unclosed run is text."""
    if "`" not in text:
        return [(False, text)] if text else []
    parts: list[tuple[bool, str]] = []
    runs = list(re.finditer(r"`+", text))
    position, index = 0, 0
    while index < len(runs):
        opening = runs[index]
        closing = next(
            (r for r in runs[index + 1 :] if len(r.group()) == len(opening.group())), None
        )
        if closing is None:
            index += 1
            continue
        if opening.start() > position:
            parts.append((False, text[position : opening.start()]))
        parts.append((True, text[opening.start() : closing.end()]))
        position = closing.end()
        index = runs.index(closing) + 1
    if position < len(text):
        parts.append((False, text[position:]))
    return parts


def _break(match: re.Match[str]) -> str:
    char = match.group()
    return char + _ZWSP if char in "@#" else _ZWSP + char


def _inert(text: str, live: re.Pattern[str]) -> str:
    return live.sub(_break, text)


@functools.lru_cache(maxsize=16384)  # labels, figures and "unknown" recur on every card
def escape_inline(text: str, *, line_start: bool, comment: bool = False,
                  links: bool = False) -> str:
    """One line of untrusted text as Markdown that renders as exactly that text.

    Balanced code spans (`like_this`) are kept: their content is literal in every
    Markdown reader, so they can hold no link and no HTML. A code span containing a
    pipe is escaped as text instead, because a pipe would end a table cell. Text that
    would autolink is made inert (`links`: the label of a link, where nothing does).
    """
    text = _one_line(text)
    out = []
    parts = _code_spans(text)
    for is_code, part in parts:
        if is_code and "|" not in part:
            out.append(part)  # literal: no mention, reference or link is made in code
        else:
            escaped = _escape_plain(part)
            out.append(escaped if links else _inert(escaped, _LIVE if comment else _NOT_LINKS))
    result = "".join(out)
    if line_start:
        result = _LINE_START.sub(_escape_line_start, result, count=1)
    return result


def _escape_line_start(match: re.Match[str]) -> str:
    marker = match.group(1)
    if marker[0].isdigit():  # "2025. " would start an ordered list: escape what follows
        return marker + "\\"
    return "\\" + marker


def md_text(value: object) -> Markdown:
    """Untrusted text for a paragraph or a list item, on one line."""
    return Markdown(escape_inline(str(value), line_start=True))


def md_cell(value: object) -> Markdown:
    """Untrusted text for a table cell: pipes escaped, never more than one line."""
    return Markdown(escape_inline(str(value), line_start=False))


def _paragraphs(value: object) -> list[str]:
    """Blank-line separated paragraphs; one holding only a control character (NEL is
    whitespace to Python) is kept: it is shown as U+FFFD, not silently dropped."""
    parts = re.split(r"\n[ \t]*\n", str(value))
    return [p for p in parts if _HIDDEN.apply(p).strip()]


def md_paragraphs(value: object) -> Markdown:
    """Untrusted text of one or more paragraphs (separated by blank lines)."""
    paragraphs = _paragraphs(value)
    return Markdown("\n\n".join(md_text(p) for p in paragraphs))


def md_code(value: object) -> Markdown:
    """A code span holding value literally (also inside a table cell)."""
    text = _one_line(str(value))
    if not text:
        return Markdown("")
    if "|" in text:  # a pipe would end a table cell, and `\|` shows outside tables
        return md_cell(text)
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or text.startswith(" ") else ""
    return Markdown(f"{fence}{pad}{text}{pad}{fence}")


def safe_url(url: str) -> str | None:
    """An http(s) URL as a Markdown link destination, or None if it is not one.

    Checked again here (validation already refused other schemes): no whitespace or
    control characters, scheme http or https, a host. Characters that could end the
    destination or a table cell are percent-encoded.
    """
    if not url or any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return quote(url, safe="!#$%&'*+,/:;=?@~-._")


def md_link(text: object, url: object) -> Markdown:
    """[text](url) for an http(s) URL; the escaped text alone for anything else. Inside
    the brackets of a link GitHub's autolink extension makes no link, so a label keeps
    its `www.` (a source's domain) as it is."""
    destination = safe_url(str(url))
    if destination is None:
        return md_cell(text)
    label = escape_inline(str(text), line_start=False, links=True)
    return Markdown(f"[{label}]({destination})") if label else Markdown("")


def md_rel_link(text: object, target: str) -> Markdown:
    """A link to another file of this repository, relative to the card."""
    if ":" in target or target.startswith("/") or "\\" in target:
        raise ValueError(f"not a relative repository path: {target!r}")
    return Markdown(f"[{md_cell(text)}]({quote(target, safe='/._-+~')})")


def md_image(alt: object, target: str) -> Markdown:
    """An image stored beside the card."""
    link = md_rel_link(alt, target)
    return Markdown("!" + link)


def html_comment(value: object) -> Markdown:
    """A Markdown (HTML) comment holding trusted text, on one line."""
    text = _one_line(str(value)).replace("--", "- -").replace(">", "›")
    return Markdown(f"<!-- {text} -->")


def number(value: int) -> Markdown:
    """8987 -> 8,987 (as the seed cards write figures)."""
    return Markdown(f"{value:,}")


def points(value: float) -> Markdown:
    """A contribution to the score: +2, 0, −1."""
    if value == 0:
        return Markdown("0")
    text = f"{abs(value):g}"
    return Markdown(("+" if value > 0 else MINUS) + text)


def score(value: float) -> Markdown:
    """A score in running text: 7, 0, −7."""
    return Markdown(f"{value:g}".replace("-", MINUS))


def percent(value: float) -> Markdown:
    return Markdown(f"{round(value * 100)}%")


def _comment_text(value: object) -> Markdown:
    return Markdown(escape_inline(str(value), line_start=True, comment=True))


def _comment_cell(value: object) -> Markdown:
    return Markdown(escape_inline(str(value), line_start=False, comment=True))


def _comment_paragraphs(value: object) -> Markdown:
    paragraphs = _paragraphs(value)
    return Markdown("\n\n".join(_comment_text(p) for p in paragraphs))


def _comment_code(value: object) -> Markdown:
    text = md_code(value)
    return text if text.startswith("`") or not text else _comment_cell(value)


def _comment_link(text: object, url: object) -> Markdown:
    label = _comment_cell(text)
    destination = safe_url(str(url))
    if destination is None or not label:
        return label
    return Markdown(f"[{label}]({destination})")


# The filters of the pull-request comment: the cards' escaping, and mentions, issue
# references and autolinks made inert (see _LIVE).
COMMENT_FILTERS: dict[str, Any] = {
    "md_text": _comment_text,
    "md_cell": _comment_cell,
    "md_code": _comment_code,
    "md_paragraphs": _comment_paragraphs,
    "md_link": _comment_link,
}


FILTERS: dict[str, Any] = {
    "md_text": md_text,
    "md_cell": md_cell,
    "md_code": md_code,
    "md_paragraphs": md_paragraphs,
    "md_link": md_link,
    "md_rel_link": md_rel_link,
    "md_image": md_image,
    "html_comment": html_comment,
    "number": number,
    "points": points,
    "percent": percent,
    "score": score,
}
