"""Check a policy repository made by `init` + `new --discover` against the tree, with
plain git: no code of the checker's collect engine is used for the expected values.

    python benchmarks/verify_onboarding.py --repo /tmp/dpdk-policy \\
        --kernel /work/.mirror/DPDK+dpdk/repo --sample 30

It checks that
- `driver-policy check --format json` reports no problem other than the recorded
  verdict that a scaffold leaves to a person (rule `verdict`): no schema problem;
- ids are unique (one file each) and names are meaningful: not empty, not a
  catch-all MAINTAINERS title, and says how many fell back to the path;
- for a deterministic sample (every k-th driver by id), `signals.commits` and
  `signals.active_months` equal what `git log --no-merges --full-history REV --
  PATHS` gives for the window by committer date in UTC.
Exit 0 when everything holds, 1 otherwise (every mismatch is printed).
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

CATCH_ALL_TITLES = {"THE REST"}


def pathspecs(include: list[str]) -> list[str]:
    out = []
    for pattern in include:
        text = pattern.rstrip("/")
        if any(char in text for char in "*?["):
            out.append(f":(glob){text}" + ("/**" if pattern.endswith("/") else ""))
        else:
            out.append(f":(literal){text}")
    return out


def expected(kernel: str, rev: str, include: list[str], start: date, end: date
             ) -> tuple[int, int]:
    """(commits, active months) by committer date in [start, end] (UTC), no merges."""
    low = calendar.timegm(start.timetuple())
    high = calendar.timegm((end + timedelta(days=1)).timetuple())
    out = subprocess.run(
        ["git", "-C", kernel, "log", "--no-merges", "--full-history", "--format=%ct", rev,
         "--", *pathspecs(include)],
        capture_output=True, check=True, text=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}).stdout
    stamps = [int(line) for line in out.split() if low <= int(line) < high]
    months = {datetime.fromtimestamp(s, UTC).strftime("%Y-%m") for s in stamps}
    return len(stamps), len(months)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", required=True, type=Path)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--sample", type=int, default=30)
    args = parser.parse_args()
    tool = str(Path(sys.executable).parent / "driver-policy")
    failures: list[str] = []

    run = subprocess.run([tool, "-C", str(args.repo), "check", "--format", "json"],
                         capture_output=True, text=True)
    report = json.loads(run.stdout)
    rules = Counter(p["rule"] for p in report["problems"])
    other = [p for p in report["problems"] if p["rule"] != "verdict"]
    for problem in other[:20]:
        failures.append(f"check: {problem['path']}:{problem['line']}: {problem['field']}: "
                        f"{problem['message']} ({problem['rule']})")
    print(f"check: {report['files_checked']} files; problems by rule: {dict(rules)}")

    loader = YAML(typ="safe")
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted((args.repo / "drivers").rglob("*.yaml")):
        ident = path.relative_to(args.repo / "drivers").with_suffix("").as_posix()
        if ident in docs:
            failures.append(f"{ident}: two files")
        docs[ident] = loader.load(path.read_text(encoding="utf-8"))
    names = Counter(str(d["name"]) for d in docs.values())
    from_path = sum(1 for d in docs.values() if str(d["name"]).endswith(f"({d['path']})"))
    for ident, doc in docs.items():
        name = str(doc["name"]).strip()
        if not name or name.upper() in CATCH_ALL_TITLES:
            failures.append(f"{ident}: name {name!r} is not meaningful")
    print(f"drivers: {len(docs)} files, {len(docs)} unique ids; {len(names)} distinct names, "
          f"{from_path} named from the path (no Kconfig prompt, MODULE_DESCRIPTION or "
          "specific MAINTAINERS section)")

    ids = sorted(docs)
    step = max(1, len(ids) // max(1, args.sample))
    sample = ids[::step][: args.sample]
    agree = 0
    for ident in sample:
        signals = docs[ident]["signals"]
        window = signals["window"]
        commits, months = expected(args.kernel, signals["kernel_rev"],
                                   list(docs[ident]["paths"]["include"]), window["start"],
                                   window["end"])
        got = (signals["commits"], signals["active_months"])
        if got == (commits, months):
            agree += 1
        else:
            failures.append(f"{ident}: file says commits {got[0]}, active months {got[1]}; "
                            f"git log says {commits}, {months}")
    print(f"sample: {agree} of {len(sample)} drivers agree with git log --no-merges "
          "--full-history (commits and active months, committer date, UTC)")
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
