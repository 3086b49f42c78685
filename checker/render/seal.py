"""Seals: a generated file that proves it is current.

`check` must tell whether every card is what `render` would write. Rendering all of
them to compare costs more than the rest of a check, so a card (and a chart) records
in its header comment one digest: of the digest of its inputs (the driver file's path
and bytes, the policy, the templates, the package version and RENDER_FORMAT) and of
its own bytes with that digest blanked. A card whose seal verifies for the current
inputs is current unless someone forged the seal; a hand-edited card fails it and is
rendered to be compared. `render --check` always renders everything.
"""

from __future__ import annotations

import re
from pathlib import Path

from checker.core.errors import Problem
from checker.render.templates import TemplateError

RENDER_FORMAT = "3"  # raise when the code changes what a card says (a probe's reason too)


SEAL_MARK = "Seal: "


UNSEALED = "0" * 32


_SEAL_RE = re.compile(rb"Seal: ([0-9a-f]{32})")


def inputs_key(templates: Path, policy_bytes: bytes) -> str:
    """What every card depends on besides its driver file."""
    import hashlib

    from checker import __version__

    hasher = hashlib.blake2b(digest_size=16)
    for part in (__version__.encode(), RENDER_FORMAT.encode(), policy_bytes):
        hasher.update(len(part).to_bytes(8, "big") + part)
    if templates.is_dir():
        from checker.load.fsutil import FileAccessError, read_file, walk_files

        root = templates.parent
        # every entry that is not a directory, links included, listed as check lists them
        # (checker.check.pipeline.cache_inputs; a file name that is not UTF-8 is refused
        # there), and a link or a special file refused as the template loader refuses it
        listed = sorted(walk_files(root, templates.name), key=lambda rel: rel.split("/"))
        for rel in listed:
            try:
                data = read_file(root / rel, rel, root=root)
            except FileAccessError as exc:
                raise TemplateError(Problem(rel, 1, 1, "", exc.reason, rule="template")) from None
            for part in (rel.split("/", 1)[1].encode(), data):
                hasher.update(len(part).to_bytes(8, "big") + part)
    return hasher.hexdigest()


def inputs_digest(key: str, rel: str, raw: bytes) -> str:
    """The inputs of one driver's card and chart: `key` (inputs_key), its path, its bytes."""
    import hashlib

    hasher = hashlib.blake2b(digest_size=16)
    for part in (key.encode(), rel.encode(), raw):
        hasher.update(len(part).to_bytes(8, "big") + part)
    return hasher.hexdigest()


def _seal_of(inputs: str, blanked: bytes) -> str:
    import hashlib

    return hashlib.blake2b(inputs.encode() + b"\0" + blanked, digest_size=16).hexdigest()


def seal(text: str, inputs: str) -> str:
    """`text` with its seal filled in (text without a blank seal is returned as it is)."""
    blank = SEAL_MARK + UNSEALED
    if blank not in text:
        return text
    return text.replace(blank, SEAL_MARK + _seal_of(inputs, text.encode()), 1)


def sealed(data: bytes, inputs: str) -> bool:
    """Whether `data` carries a valid seal for `inputs`: it is what render would write."""
    match = _SEAL_RE.search(data)
    if match is None:
        return False
    blanked = data[: match.start(1)] + UNSEALED.encode() + data[match.end(1) :]
    return _seal_of(inputs, blanked) == match.group(1).decode()
