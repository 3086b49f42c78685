"""`driver-policy schema`: the JSON Schema of driver (or policy) files, for editors."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from checker.cli.commands.common import repo_root


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "schema",
        help="print the JSON Schema of driver or policy files (for editors)",
        description="Print a JSON Schema generated from the cerberus schema. Editors with "
        "the YAML language server pick it up from the first line of a file:\n"
        "  # yaml-language-server: $schema=../../schema/driver.schema.json\n"
        "The committed copies live in schema/; --write regenerates them and --check "
        "fails when they are stale.",
        epilog="examples:\n  driver-policy schema > driver.schema.json\n"
        "  driver-policy schema --kind policy\n  driver-policy schema --write\n"
        "  driver-policy schema --check --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--kind",
        choices=("driver", "policy"),
        default="driver",
        help="which file kind (default: driver)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--write",
        action="store_true",
        help="write schema/driver.schema.json and schema/policy.schema.json",
    )
    mode.add_argument(
        "--check",
        action="store_true",
        help="fail (exit 1) when the files in schema/ are not current",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="with --write or --check: output format (default: text); the "
                        "schema itself is always JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from checker.load.fsutil import read_optional, write_atomic
    from checker.validate.export_schema import FILES, render

    if not (args.write or args.check):
        sys.stdout.write(render(args.kind))
        return 0
    root = repo_root(args)
    states: dict[str, str] = {}
    for kind, rel in FILES.items():
        path = root / rel
        text = render(kind)
        current = read_optional(path, rel, root=root)
        if current == text.encode("utf-8"):
            states[rel] = "current"
        elif args.write:
            write_atomic(path, text.encode("utf-8"), display=rel)
            states[rel] = "written"
        else:
            states[rel] = "missing" if current is None else "stale"
    failed = [rel for rel, state in states.items() if state in ("missing", "stale")]
    if args.format == "json":
        import json

        json.dump({"mode": "write" if args.write else "check", "ok": not failed,
                   "files": [{"path": rel, "state": state} for rel, state in states.items()]},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 1 if failed else 0
    for rel, state in states.items():
        if state == "written":
            print(f"wrote {rel}")
        elif state != "current":
            print(f"{rel}:1:1: generated schema is {state}; run: driver-policy schema --write")
    return 1 if failed else 0
