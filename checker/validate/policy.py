"""The policy file and policy fixtures: validated documents -> Policy / Fixture models."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.core.errors import CheckerError, Problem
from checker.core.model import Driver
from checker.load.document import Document, field_name, read_document
from checker.validate import schemas
from checker.validate.categories import Categories
from checker.validate.driver import validate_driver
from checker.validate.policy_schema import FIXTURE_SCHEMA, POLICY_SCHEMA
from checker.validate.schema_check import schema_problems

RANK = {name: index for index, name in enumerate(reversed(schemas.VERDICTS))}  # remove=0..keep=3


@dataclass(frozen=True)
class HardRule:
    id: str
    when: dict[str, Any]
    effect: str  # "verdict" (sets), "at_most" (caps), "at_least" (floors)
    target: str
    why: str
    confidence: float | None = None


@dataclass(frozen=True)
class Policy:
    name: str
    version: int
    file: str
    window_months: int
    probes: dict[str, dict[str, Any]]
    thresholds: dict[str, float]
    confidence: dict[str, float]
    rules: tuple[HardRule, ...]
    stale: dict[str, int]
    raw: dict[str, Any]
    # confidence is at most `at_most` when none of these probes knows anything
    confidence_cap: tuple[tuple[str, ...], float] | None = None

    @functools.cached_property
    def digest(self) -> str:
        """The policy's identity beside its version: a digest of everything in it but
        `version` and `description` (comments and layout do not count), so two policies
        with the same label and different content cannot look alike."""
        return policy_digest(self.raw)

    @functools.cached_property
    def label(self) -> str:
        return f"{self.name} v{self.version} ({self.digest})"

    @functools.cached_property
    def categories(self) -> Categories:
        """The categories driver files may name (checker/validate/categories.py); worked
        out once per policy (every driver's check asks)."""
        return Categories.from_policy(self.raw)


def policy_digest(data: Any) -> str:
    import hashlib
    import json

    content = {k: v for k, v in data.items() if k not in ("version", "description")} \
        if isinstance(data, dict) else data
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str,
                      separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Fixture:
    file: str
    description: str
    expect_verdict: str
    expect_rule: str | None
    driver: Driver


def validate_policy(doc: Document) -> tuple[Policy | None, list[Problem]]:
    problems = schema_problems(doc, POLICY_SCHEMA)
    if problems:
        return None, problems
    data = doc.data
    thresholds = data["thresholds"]
    order = list(schemas.VERDICTS[:-1])
    for higher, lower in itertools.pairwise(order):
        if thresholds[higher] <= thresholds[lower]:
            line, col = doc.locate(("thresholds", lower))
            problems.append(
                Problem(
                    doc.path,
                    line,
                    col,
                    f"thresholds.{lower}",
                    f"must be below thresholds.{higher} ({thresholds[higher]}); "
                    f"found {thresholds[lower]}",
                    rule="cross-field",
                )
            )
    weights = data["confidence"]
    total = weights["coverage"] + weights["agreement"] + weights["margin"]
    if abs(total - 1.0) > 1e-9:
        line, col = doc.locate(("confidence",))
        problems.append(
            Problem(
                doc.path,
                line,
                col,
                "confidence",
                f"coverage + agreement + margin must sum to 1 (found {total:g})",
                rule="cross-field",
            )
        )
    problems += _category_problems(doc)
    calibration = data.get("calibration")
    if calibration and calibration["points"]["min"] > calibration["points"]["max"]:
        line, col = doc.locate(("calibration", "points", "min"))
        problems.append(Problem(doc.path, line, col, "calibration.points.min",
                                f"must not be above calibration.points.max "
                                f"({calibration['points']['max']}); found "
                                f"{calibration['points']['min']}", rule="cross-field"))
    seen: dict[str, int] = {}
    for index, rule in enumerate(data["rules"]):
        if not any(key in rule for key in ("verdict", "at_most", "at_least")):
            line, col = doc.locate(("rules", index))
            problems.append(
                Problem(
                    doc.path,
                    line,
                    col,
                    field_name(("rules", index)),
                    "needs one of verdict, at_most or at_least",
                    rule="cross-field",
                )
            )
        if rule["id"] in seen:
            line, col = doc.locate(("rules", index, "id"))
            problems.append(
                Problem(
                    doc.path,
                    line,
                    col,
                    field_name(("rules", index, "id")),
                    f"duplicate rule id {rule['id']!r} "
                    f"(first at {field_name(('rules', seen[rule['id']]))})",
                    rule="cross-field",
                )
            )
        seen.setdefault(rule["id"], index)
    if problems:
        return None, problems
    return to_policy(doc), []


def _category_problems(doc: Document) -> list[Problem]:
    """The default and every path rule's category must be one of the names."""
    section = doc.data.get("categories")
    if section is None:
        return []
    names = set(section["names"])
    places: list[tuple[tuple[str | int, ...], str]] = [(("categories", "default"),
                                                        section["default"])]
    places += [(("categories", "paths", index, "category"), rule["category"])
               for index, rule in enumerate(section["paths"])]
    problems = []
    for keypath, name in places:
        if name not in names:
            line, col = doc.locate(keypath)
            problems.append(Problem(doc.path, line, col, field_name(keypath),
                                    f"{name!r} is not one of categories.names",
                                    rule="cross-field"))
    return problems


def to_policy(doc: Document) -> Policy:
    data = doc.data
    rules = []
    for rule in data["rules"]:
        effect = next(k for k in ("verdict", "at_most", "at_least") if k in rule)
        rules.append(
            HardRule(
                rule["id"], rule["when"], effect, rule[effect], rule["why"], rule.get("confidence")
            )
        )
    return Policy(
        name=data["policy"],
        version=data["version"],
        file=doc.path,
        window_months=data["window"]["months"],
        probes=data["probes"],
        thresholds=data["thresholds"],
        confidence={k: v for k, v in data["confidence"].items() if k != "cap"},
        rules=tuple(rules),
        stale=data["stale"],
        raw=data,
        confidence_cap=_cap(data["confidence"].get("cap")),
    )


def _cap(cap: dict[str, Any] | None) -> tuple[tuple[str, ...], float] | None:
    if not cap:
        return None
    return tuple(cap["when_unknown"]), float(cap["at_most"])


def validate_fixture(doc: Document) -> tuple[Fixture | None, list[Problem]]:
    problems = schema_problems(doc, FIXTURE_SCHEMA)
    if problems:
        return None, problems
    name = Path(doc.path).stem
    driver, problems = validate_driver(doc.sub("driver"), ident=f"fixture/{name}")
    if driver is None:
        return None, problems
    expect = doc.data["expect"]
    return Fixture(
        doc.path, doc.data["description"], expect["verdict"], expect.get("rule"), driver
    ), []


def load_policy(path: Path, display: str, *, root: Path | None = None) -> Policy:
    """Load a policy the commands depend on; its problems are an expected failure."""
    doc, problems = read_document(path, display, root=root)
    if doc is not None:
        policy, problems = validate_policy(doc)
        if policy is not None:
            return policy
    raise CheckerError("the policy is invalid:\n" + "\n".join(str(p) for p in problems))
