"""`driver-policy check --format sarif`: SARIF 2.1.0 for code-scanning upload.

The full SARIF schema is not available offline; SARIF_MINIMAL below is the part of
sarif-schema-2.1.0.json that a log of this shape must satisfy (required properties,
enumerations and bounds of the objects we write) plus GitHub code scanning's own
requirements (a region with startLine for every result).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
from conftest import Run

MESSAGE = {
    "type": "object",
    "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
    "properties": {"text": {"type": "string", "minLength": 1}},
}
SARIF_MINIMAL: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string", "minLength": 1},
                                    "version": {"type": "string"},
                                    "informationUri": {"type": "string", "format": "uri"},
                                    "rules": {
                                        "type": "array",
                                        "uniqueItems": True,
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {
                                                "id": {"type": "string"},
                                                "shortDescription": MESSAGE,
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message", "ruleId", "locations"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": -1},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": MESSAGE,
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation", "region"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                        "properties": {
                                                            "uri": {"type": "string"},
                                                            "uriBaseId": {"type": "string"},
                                                        },
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "required": ["startLine"],
                                                        "properties": {
                                                            "startLine": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                            "startColumn": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}
# An RFC 3986 relative reference with only unreserved characters, '/' and %-escapes.
RELATIVE_URI = re.compile(r"^(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-F]{2})+$")


def sarif(cli: Callable[..., Run], repo: Path) -> tuple[int, dict[str, Any]]:
    result = cli("-C", str(repo), "check", "--today", "2026-11-21", "--format", "sarif")
    return result.code, json.loads(result.out)


def validate(log: dict[str, Any]) -> None:
    jsonschema.Draft7Validator.check_schema(SARIF_MINIMAL)
    jsonschema.validate(log, SARIF_MINIMAL, cls=jsonschema.Draft7Validator)
    for run in log["runs"]:
        rules = run["tool"]["driver"]["rules"]
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert RELATIVE_URI.match(uri) and not uri.startswith("/"), uri


def test_sarif_of_a_clean_repository(repo: Path, cli: Callable[..., Run]) -> None:
    code, log = sarif(cli, repo)
    assert code == 0
    validate(log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["name"] == "driver-policy"


def test_sarif_has_one_result_per_finding_at_its_location(
    repo: Path, cli: Callable[..., Run]
) -> None:
    ipoib = repo / "drivers/infiniband/ipoib.yaml"
    ipoib.write_text(ipoib.read_text().replace("deployment: medium", "deployment: low"))
    iser = repo / "drivers/infiniband/iser.yaml"
    iser.write_text(iser.read_text().replace("  files: ", "  files: -"))
    (repo / "drivers/net/with space.yaml").write_text("schema: 1\n")
    code, log = sarif(cli, repo)
    assert code == 1
    validate(log)
    as_json = cli("-C", str(repo), "check", "--today", "2026-11-21", "--format", "json")
    problems = json.loads(as_json.out)["problems"]
    results = log["runs"][0]["results"]
    assert len(results) == len(problems) > 3
    for result, problem in zip(results, problems, strict=True):
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == problem["path"].replace(" ", "%20")
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert location["region"] == {"startLine": problem["line"], "startColumn": problem["col"]}
        assert result["ruleId"] == problem["rule"]
        assert result["level"] == problem["severity"]
        text = f"{problem['field']}: {problem['message']}" if problem["field"] else problem[
            "message"]
        assert result["message"]["text"] == text
    rules = {r["ruleId"] for r in results}
    assert {"verdict", "schema", "cards"} <= rules
    (mismatch,) = [r for r in results if r["ruleId"] == "verdict"]
    assert mismatch["message"]["text"].startswith(
        "verdict.value: infiniband/ipoib: recorded keep but the policy computes keep-annotate"
    )
    assert [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]] == sorted(rules)
