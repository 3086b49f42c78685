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
        "  driver-policy schema --kind policy\n  driver-policy schema --write",
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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from checker.load.fsutil import read_optional, write_atomic
    from checker.validate.export_schema import FILES, render

    if not (args.write or args.check):
        sys.stdout.write(render(args.kind))
        return 0
    root = repo_root(args)
    stale = []
    for kind, rel in FILES.items():
        path = root / rel
        text = render(kind)
        current = read_optional(path, rel, root=root)
        if current == text.encode("utf-8"):
            continue
        if args.write:
            write_atomic(path, text.encode("utf-8"), display=rel)
            print(f"wrote {rel}")
        else:
            stale.append(rel)
    for rel in stale:
        print(f"{rel}:1:1: generated schema is stale; run: driver-policy schema --write")
    return 1 if stale else 0
