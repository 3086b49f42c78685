"""Time `driver-policy history` on a policy repository with a long history.

    python benchmarks/history.py [--commits 2000] [--repeat 3]

Builds (with git fast-import, in benchmarks/out/history-N) a copy of this repository's
policy, templates and drivers whose first commit is followed by N commits that each
change drivers/infiniband/ipoib.yaml (its deployment, in turn, and a note), one in
every 50 changing the policy too (a comment). Then times `driver-policy history
infiniband/ipoib` as a whole process, best of --repeat, and prints milliseconds per
commit, beside git's own `git log --name-only` over the same paths (the floor: listing
the commits, without reading or evaluating anything).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = ROOT / "benchmarks" / "out"
DRIVER = "drivers/infiniband/ipoib.yaml"
POLICY = "policies/default.yaml"
LEVELS = ("low", "medium", "high")


def build(n: int, out: Path) -> None:
    if (out / ".git").is_dir() and (out / ".built").read_text() == str(n):
        return
    subprocess.run(["rm", "-rf", str(out)], check=True)
    out.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(out)], check=True)
    files = [p for part in ("drivers", "policies", "templates", "schema")
             for p in sorted((ROOT / part).rglob("*")) if p.is_file()]
    driver = (ROOT / DRIVER).read_text()
    policy = (ROOT / POLICY).read_text()
    stream: list[bytes] = []

    def blob(path: str, data: bytes) -> None:
        stream.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

    def commit(number: int, message: str) -> None:
        stamp = 1_700_000_000 + number * 3600
        text = message.encode()
        stream.append(
            f"commit refs/heads/main\nmark :{number + 1}\n"
            f"author Bench <bench@example.org> {stamp} +0000\n"
            f"committer Bench <bench@example.org> {stamp} +0000\n"
            f"data {len(text)}\n".encode() + text + b"\n"
            + (f"from :{number}\n".encode() if number else b"")
        )

    commit(0, "initial")
    for path in files:
        blob(path.relative_to(ROOT).as_posix(), path.read_bytes())
    for number in range(1, n + 1):
        commit(number, f"change {number}")
        level = LEVELS[number % 3]
        changed = driver.replace("deployment: medium", f"deployment: {level}", 1)
        blob(DRIVER, (changed + f"# revision {number}\n").encode())
        if number % 50 == 0:
            blob(POLICY, (policy + f"# policy revision {number}\n").encode())
    subprocess.run(["git", "-C", str(out), "fast-import", "--quiet"], input=b"".join(stream),
                   check=True)
    subprocess.run(["git", "-C", str(out), "checkout", "-q", "main"], check=True)
    (out / ".built").write_text(str(n))


def best(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    out = OUT / f"history-{args.commits}"
    build(args.commits, out)
    history = best([str(BIN / "driver-policy"), "-C", str(out), "history", "infiniband/ipoib"],
                   args.repeat)
    floor = best(["git", "-C", str(out), "log", "--name-only", "--format=%H", "--", DRIVER,
                  POLICY], args.repeat)
    commits = args.commits + 1
    print(f"history of infiniband/ipoib over {commits} commits: {history:.2f} s, "
          f"{history / commits * 1000:.2f} ms per commit; git log over the same paths "
          f"{floor:.2f} s; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
