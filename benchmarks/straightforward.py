"""The straightforward pipeline, as a baseline: per file, round-trip load with ruamel.yaml,
a new cerberus validator, evaluation, and one card rendered with jinja2.

    python benchmarks/straightforward.py REPO

It uses the project's real schema, policy, engine and templates, and none of its fast
paths (C loader, compiled pre-check, cache, worker processes). Prints the problem count.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    from ruamel.yaml import YAML

    from checker.evaluate.consistency import check_driver
    from checker.load.document import Document
    from checker.render.cards import render_card
    from checker.validate import schemas
    from checker.validate.driver import _cross_field_problems
    from checker.validate.evidence_validator import EvidenceValidator
    from checker.validate.models import to_driver
    from checker.validate.policy import load_policy

    repo = Path(sys.argv[1]).resolve()
    policy = load_policy(repo / "policies/default.yaml", "policies/default.yaml")
    problems = 0
    for path in sorted((repo / "drivers").rglob("*.yaml")):
        rel = path.relative_to(repo).as_posix()
        text = path.read_text(encoding="utf-8")
        try:
            data = YAML(typ="rt").load(text)
        except Exception:
            problems += 1
            continue
        validator = EvidenceValidator(schemas.DRIVER_SCHEMA)
        if not validator.validate(data):
            problems += len(validator.errors)
            continue
        doc = Document(rel, text, data)
        found = list(_cross_field_problems(doc))
        if found:
            problems += len(found)
            continue
        driver = to_driver(doc)
        outcome, found = check_driver(
            driver,
            policy,
            __import__("datetime").date(2026, 11, 21),
            lambda f, k, doc=doc: doc.locate(k),
        )
        problems += len(found)
        render_card(repo / "templates", outcome, policy)
    print(f"{problems} problem(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
