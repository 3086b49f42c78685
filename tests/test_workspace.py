"""checker.validate.workspace: the default policy remembered for a one-file validate.

A `validate FILE` of a driver loads the default policy for its categories; when its
bytes are those of the last valid policy seen under this code, the validated policy
comes from the cache (no YAML parser, no validation). Whatever the cache holds, the
output must be what a fresh validation gives.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from checker.load.cache import CACHE_DIR, LastValue, digest_bytes
from checker.validate.policy import Policy
from checker.validate.workspace import load_workspace
from tests.conftest import Run

DRIVER = "drivers/infiniband/ipoib.yaml"
POLICY = "policies/default.yaml"


def memo_file(repo: Path) -> Path:
    found = list((repo / CACHE_DIR).glob("*.policy"))
    assert len(found) == 1
    return found[0]


@pytest.fixture
def warm(repo: Path, cli: Callable[..., Run]) -> Path:
    cli("-C", str(repo), "check", "-q")  # makes the cache directory
    return repo


def test_the_second_validate_takes_the_remembered_policy(warm: Path,
                                                        cli: Callable[..., Run]) -> None:
    first = cli("-C", str(warm), "validate", DRIVER)
    stored = memo_file(warm)
    before = stored.stat().st_mtime_ns
    second = cli("-C", str(warm), "validate", DRIVER)
    assert (first.code, first.out, first.err) == (second.code, second.out, second.err)
    assert first.code == 0
    assert stored.stat().st_mtime_ns == before  # read, not written again
    workspace = load_workspace(warm, [DRIVER])
    assert isinstance(workspace.policy, Policy)
    assert POLICY not in workspace.documents  # not parsed
    assert workspace.policy == load_workspace(warm).policy


def test_an_edited_policy_is_validated_again(warm: Path, cli: Callable[..., Run]) -> None:
    cli("-C", str(warm), "validate", DRIVER)
    text = (warm / POLICY).read_text()
    (warm / POLICY).write_text(text + "\nunknown_section: 1\n")
    edited = cli("-C", str(warm), "validate", DRIVER)
    assert edited.code == 1
    assert "policies/default.yaml:" in edited.out and "unknown field" in edited.out
    again = cli("-C", str(warm), "validate", DRIVER)  # an invalid policy is not remembered
    assert (again.code, again.out) == (edited.code, edited.out)


def test_a_policy_asked_about_is_always_validated(warm: Path,
                                                 cli: Callable[..., Run]) -> None:
    cli("-C", str(warm), "validate", DRIVER)
    workspace = load_workspace(warm, [DRIVER, POLICY])
    assert POLICY in workspace.documents


def test_a_file_not_written_by_this_user_is_ignored(warm: Path,
                                                   cli: Callable[..., Run]) -> None:
    cli("-C", str(warm), "validate", DRIVER)
    stored = memo_file(warm)
    stored.write_bytes(b"\0" * 32 + stored.read_bytes()[32:])  # the tag no longer verifies
    memo = LastValue(warm, "policy")
    assert memo.get(digest_bytes((warm / POLICY).read_bytes())) is None
    run = cli("-C", str(warm), "validate", DRIVER)
    assert run.code == 0
    assert memo.get(digest_bytes((warm / POLICY).read_bytes())) is not None  # written anew


def test_without_a_cache_directory_nothing_is_written(repo: Path,
                                                     cli: Callable[..., Run]) -> None:
    assert cli("-C", str(repo), "validate", DRIVER).code == 0
    assert not (repo / CACHE_DIR).exists()


def test_a_value_that_cannot_be_kept_costs_time_not_an_error(warm: Path) -> None:
    memo = LastValue(warm, "policy")
    memo.put("key", lambda: None)  # not picklable
    assert memo.get("key") is None
