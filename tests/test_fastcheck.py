"""The compiled pre-check never accepts what cerberus rejects (and accepts clean files)."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from checker.validate import schemas
from checker.validate.policy_schema import POLICY_SCHEMA
from checker.validate.schema_check import precheck_for, validator_for

YAML_SAFE = YAML(typ="safe", pure=False)
DRIVERS = sorted(ROOT.glob("drivers/*/*.yaml")) + sorted(ROOT.glob("tests/examples/valid/*"))
INVALID = sorted(ROOT.glob("tests/examples/invalid/*.yaml"))


def load(path: Path) -> Any:
    return YAML_SAFE.load(path.read_text())


def cerberus_ok(schema: dict[str, Any], data: Any) -> bool:
    return bool(validator_for(schema).validate(data))


@pytest.mark.parametrize("path", DRIVERS, ids=lambda p: p.stem)
def test_clean_files_pass_the_precheck(path: Path) -> None:
    data = load(path)
    assert precheck_for(schemas.driver_schema(data))(data) is True


def test_policy_passes_the_precheck() -> None:
    assert precheck_for(POLICY_SCHEMA)(load(ROOT / "policies/default.yaml")) is True


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_examples_fail_the_precheck_when_cerberus_does(path: Path) -> None:
    try:
        data = load(path)
    except Exception:
        pytest.skip("not YAML: rejected before schema validation")
    schema = schemas.driver_schema(data)
    if isinstance(data, dict) and not cerberus_ok(schema, data):
        assert precheck_for(schema)(data) is False


ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 3000), st.floats(allow_nan=False),
    st.text(max_size=8), st.just(""), st.just("javascript:x"), st.just("2025-13"),
    st.just(datetime.date(2020, 1, 1)), st.just(datetime.datetime(2020, 1, 1, 1)),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                         max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            out += _paths(value, (*prefix, index))
    return out


BASES = [load(p) for p in DRIVERS]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutations_never_pass_the_precheck_alone(data: st.DataObject) -> None:
    doc = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(doc)))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["retype", "drop", "add"]))
        if action == "retype":
            parent[path[-1]] = data.draw(ODD_VALUES)
        elif action == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["extra", "Name", "summary_", "when"]))] = 1
    if precheck_for(schemas.driver_schema(doc))(doc):
        assert cerberus_ok(schemas.driver_schema(doc), doc)
