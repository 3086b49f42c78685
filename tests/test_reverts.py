"""RevertFinder: which listed commits are reverts, what they revert, and re-applies.

Each example is a listing, newest first, as `git log` gives it: (id, subject, body).
The collect-level behaviour on real repositories (`git revert`) is in
tests/test_collect.py (test_sweeps_reverts_and_reapplies_are_not_work and the random
histories checked against plain git).
"""

from __future__ import annotations

import pytest

from checker.collect.reverts import RevertFinder


def ident(n: int, prefix: str = "") -> str:
    return (prefix + f"{n:040x}")[:40]


X0, X1, X2, X3, R, RR, Y = (ident(n) for n in range(1, 8))
A, B = ident(1, "abcdef01"), ident(2, "abcdef02")  # both begin with "abcdef0"

Listing = list[tuple[str, str, str]]

EXAMPLES: dict[str, tuple[Listing, set[str]]] = {
    "revert by subject": ([(R, 'Revert "net: fix X"', ""), (X1, "net: fix X", ""),
                           (Y, "net: other", "")], {R, X1}),
    "revert by body, subject reworded": (
        [(R, "net: undo the X fix", f"It broke Y.\n\nThis reverts commit {X0}.\n"),
         (X1, "net: fix X", ""), (X0, "net: fix X, first try", "")], {R, X0}),
    "the body wins over the subject": (
        [(R, 'Revert "net: fix X"', f"This reverts commit {X0}.\n"), (X1, "net: fix X", ""),
         (X0, "net: fix X", "")], {R, X0}),
    "revert of a revert": ([(RR, 'Revert "Revert "net: fix X""', ""),
                            (R, 'Revert "net: fix X"', ""), (X1, "net: fix X", "")],
                           {RR, R, X1}),
    "reapply": ([(RR, 'Reapply "net: fix X"', ""), (R, 'Revert "net: fix X"', ""),
                 (X1, "net: fix X", "")], {RR, R, X1}),
    "re-apply by the same subject, nearest older reverted": (
        [(X2, "net: fix X", ""), (R, 'Revert "net: fix X"', ""), (X1, "net: fix X", ""),
         (X0, "net: fix X", "")], {X2, R, X1}),
    "only the nearest newer is the re-apply": (
        [(X3, "net: fix X", ""), (X2, "net: fix X", ""), (R, 'Revert "net: fix X"', ""),
         (X1, "net: fix X", "")], {X2, R, X1}),
    "each revert takes one commit": (
        [(RR, 'Revert "net: fix X"', ""), (R, 'Revert "net: fix X"', ""),
         (X1, "net: fix X", ""), (X0, "net: fix X", ""), (Y, "net: fix X", "")],
        {RR, R, X1, X0}),
    "what it reverts is not in the history": ([(R, 'Revert "gone"', ""), (Y, "net: y", "")],
                                              {R}),
    "no revert, same subjects": ([(X1, "net: fix X", ""), (X0, "net: fix X", "")], set()),
    "not a revert's subject": ([(R, 'Revert "net: fix X" partly', ""),
                                (X1, "net: fix X", "")], set()),
    "an abbreviated id naming one commit": (
        [(R, "undo", "This reverts commit abcdef01.\n"), (A, "a", ""), (B, "b", "")], {R, A}),
    "an abbreviated id naming two": (
        [(R, "undo", "This reverts commit abcdef0.\n"), (A, "a", ""), (B, "b", "")], {R}),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_reverts_what_they_revert_and_reapplies(name: str) -> None:
    listing, expected = EXAMPLES[name]
    finder = RevertFinder()
    for sha, subject, body in listing:
        finder.add(sha, subject.encode(), body.encode())
    assert finder.excluded([sha for sha, _, _ in listing]) == expected
