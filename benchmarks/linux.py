"""Benchmarks on a real onboarded repository: the drivers of Linux 6.12.

    python benchmarks/linux.py --kernel /work/trees/linux-6.12 --workdir DIR
        [--repeat 3] [--tool PATH] [--before-tool PATH] [--history-tree TREE] [--write]
        [--jsonschema-repeat 1] [--new-repeat 1]

The kernel tree is a one-commit git repository of Debian's linux-source-6.12 package
(6.12.118 here), made once:

    apt-get download linux-source-6.12        # linux-source-6.12_6.12.118-1~deb12u1_all.deb
    dpkg-deb -x linux-source-6.12_*_all.deb deb
    mkdir linux-6.12 && tar -C linux-6.12 --strip-components=1 \\
        -xf deb/usr/src/linux-source-6.12.tar.xz
    cd linux-6.12 && git init -q && git add -A -f   # -f: Debian's top .gitignore ignores all
    GIT_AUTHOR_DATE=2024-11-17T12:00:00 GIT_COMMITTER_DATE=2024-11-17T12:00:00 \\
        git -c user.name=rel -c user.email=rel@example.org commit -qm "Linux 6.12"

The policy repository is built once per tool in DIR (`driver-policy init --kernel`,
`new --discover drivers/`, `render`; about 8,700 units, all drafts) and reused by later
runs. Then, interleaved so that each sees the same machine load, best of --repeat, as
whole processes (wall time, and CPU seconds of the process and everything it waited
for):

- `check --no-cache` (cold), and check-jsonschema (the version pinned in pyproject's
  test extras) with the repository's own schema/driver.schema.json over the same driver
  files (schema only: no verdicts, no cards), with a second cold check right after it;
- `check` warm (nothing changed, run after a check that filled the cache);
- `validate` of one driver file with a warm cache (the pre-commit case), beside a bare
  `python -c pass`;
- `render` of every card (cards/ emptied first) and `render` when nothing changed;
- `new --discover drivers/` into a fresh `init`, against git's own
  `git log --no-merges --numstat -M` over the same window and path;
- with --history-tree, `collect` on a tree with real history (benchmarks/collect.py's
  real-tree mode: git's own pass against `collect --jobs 1` and `--jobs 2`).

--before-tool times the same commands with another build of the checker (its own
policy repository, built and rendered by it), for before/after figures in one run.
--write replaces the "linux-benchmark" block of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- linux-benchmark:begin -->", "<!-- linux-benchmark:end -->"
ONE_FILE = "drivers/net/3c509.yaml"  # drivers/net/ethernet/3com/3c509.c


def run(argv: list[str], cwd: Path | None = None, ok: tuple[int, ...] = (0, 1)
        ) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and every process it waited for)."""
    # PYTHONDONTWRITEBYTECODE (set on some machines) would make every process compile
    # the checker's modules from source: an editable install pays it, a wheel does not
    env = {key: value for key, value in os.environ.items()
           if key != "PYTHONDONTWRITEBYTECODE"}
    env["DRIVER_POLICY_NO_PROGRESS"] = "1"
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    error = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"{' '.join(argv)}: exit {code}: {error[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


class Best:
    """Best wall time and best CPU time of each measurement, over the rounds."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def add(self, name: str, timing: tuple[float, float]) -> None:
        wall, cpu = timing
        self.wall[name] = min(wall, self.wall.get(name, wall))
        self.cpu[name] = min(cpu, self.cpu.get(name, cpu))

    def show(self, name: str) -> str:
        return f"{self.wall[name]:.2f} s ({self.cpu[name]:.2f} s CPU)"


def build(tool: str, kernel: Path, repo: Path) -> None:
    """init + new --discover drivers/ + render, once (DIR/NAME/.built marks it done)."""
    if (repo / ".built").exists():
        return
    shutil.rmtree(repo, ignore_errors=True)
    subprocess.run([tool, "init", str(repo), "--kernel", str(kernel), "-q"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    print(f"building {repo}: new --discover drivers/ ...", file=sys.stderr)
    subprocess.run([tool, "-C", str(repo), "new", "-q", "--kernel", str(kernel),
                    "--discover", "drivers/"], check=True, stdout=subprocess.DEVNULL)
    print(f"building {repo}: render ...", file=sys.stderr)
    subprocess.run([tool, "-C", str(repo), "render", "-q"], check=True,
                   stdout=subprocess.DEVNULL)
    (repo / ".built").write_text("init, new --discover drivers/, render\n")


def window_of(repo: Path) -> tuple[str, str]:
    for line in (repo / ONE_FILE).read_text().splitlines():
        if line.strip().startswith("window:"):
            inner = line.split("{", 1)[1].rstrip("}").split(",")
            values = dict(part.strip().split(": ") for part in inner)
            return values["start"], values["end"]
    raise SystemExit(f"{ONE_FILE}: no signals window")


def empty_cards(repo: Path) -> None:
    for entry in (repo / "cards").iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def measure(tool: str, kernel: Path, repo: Path, scratch: Path, rounds: int,
            jsonschema_rounds: int, new_rounds: int, tag: str, best: Best) -> None:
    files = sorted(str(p.relative_to(repo)) for p in (repo / "drivers").rglob("*.yaml"))
    check = [tool, "-C", str(repo), "check", "-q"]
    start, end = window_of(repo)
    for number in range(rounds):
        print(f"{tag}: round {number + 1} of {rounds}", file=sys.stderr)
        empty_cards(repo)
        best.add(f"{tag} render all", run([tool, "-C", str(repo), "render", "-q"]))
        best.add(f"{tag} render none", run([tool, "-C", str(repo), "render", "-q"]))
        best.add(f"{tag} cold", run([*check, "--no-cache"]))
        if number < jsonschema_rounds:
            best.add(f"{tag} check-jsonschema", run(
                [str(Path(sys.executable).parent / "check-jsonschema"), "--schemafile",
                 "schema/driver.schema.json", *files], cwd=repo))
            best.add(f"{tag} cold", run([*check, "--no-cache"]))  # right after it
        run(check)
        run(check)  # the second run may be the first to trust the stat record
        best.add(f"{tag} warm", run(check))
        best.add(f"{tag} validate one", run([tool, "-C", str(repo), "validate", ONE_FILE]))
        best.add("python -c pass", run([sys.executable, "-c", "pass"]))
        if number >= new_rounds:
            continue
        fresh = scratch / f"new-{tag}"
        shutil.rmtree(fresh, ignore_errors=True)
        subprocess.run([tool, "init", str(fresh), "--kernel", str(kernel), "-q"],
                       check=True, stdout=subprocess.DEVNULL)
        best.add(f"{tag} new", run([tool, "-C", str(fresh), "new", "-q", "--kernel",
                                    str(kernel), "--discover", "drivers/"]))
        best.add("git log", run(["sh", "-c", f"git -C '{kernel}' log --no-merges --numstat "
                                 f"-M --since={start}T00:00:00Z --until={end}T23:59:59Z "
                                 "HEAD -- drivers > /dev/null"]))
        shutil.rmtree(fresh)


def versions(tool: str) -> str:
    def out(argv: list[str]) -> str:
        return subprocess.run(argv, capture_output=True, text=True).stdout.strip()

    tool_python = str(Path(tool).parent / "python")
    libyaml = out([tool_python, "-c", "import yaml, yaml._yaml as c; "
                   "print(yaml.__version__, c.get_version_string())"]).split()
    jsonschema = out([str(Path(sys.executable).parent / "check-jsonschema"), "--version"])
    commit = out(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"])
    dirty = out(["git", "-C", str(ROOT), "status", "--porcelain", "--", "checker",
                 "templates"])
    return (f"Python {platform.python_version()}, {jsonschema.replace(', version', '')}, "
            f"{out(['git', '--version'])}, PyYAML {libyaml[0]} with libyaml {libyaml[1]}, "
            f"the checker at `{commit}`{' (with uncommitted changes)' if dirty else ''}")


def kernel_version(kernel: Path) -> str:
    """VERSION.PATCHLEVEL.SUBLEVEL from the tree's top Makefile (the run names the tree
    it measured: 6.12 is the usual one, 6.1 the held-out one)."""
    fields: dict[str, str] = {}
    for line in (kernel / "Makefile").read_text(errors="replace").splitlines()[:10]:
        key, _, value = line.partition("=")
        fields[key.strip()] = value.strip()
    return ".".join(fields.get(k, "?") for k in ("VERSION", "PATCHLEVEL", "SUBLEVEL"))


def report(args: argparse.Namespace, best: Best, tags: list[str], units: int,
           load: tuple[float, float], history: str) -> str:
    lines = [
        f"Measured on {platform.machine()}, {os.cpu_count()} cores, load average "
        f"{load[0]:.2f} before and {load[1]:.2f} after; best of {args.repeat}, interleaved "
        f"({versions(args.tool)}). The repository: `driver-policy init --kernel`, "
        f"`new --discover drivers/` and `render` on Linux {kernel_version(args.kernel)} "
        f"(`{args.kernel}`, one commit): {units:,} units, all drafts.",
        "",
        "| measurement | " + " | ".join(tags) + " | baseline, same run |",
        "|---|" + "---:|" * len(tags) + "---|",
    ]

    def row(label: str, name: str, baseline: str = "") -> None:
        cells = [best.show(f"{tag} {name}") if f"{tag} {name}" in best.wall else "n/a"
                 for tag in tags]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {baseline} |")

    jsonschema = [f"check-jsonschema {best.show(f'{tag} check-jsonschema')}: "
                  f"{best.wall[f'{tag} check-jsonschema'] / best.wall[f'{tag} cold']:.1f}x "
                  f"by wall, {best.cpu[f'{tag} check-jsonschema'] / best.cpu[f'{tag} cold']:.1f}x "
                  "by CPU" for tag in tags if f"{tag} check-jsonschema" in best.wall]
    row("`check --no-cache` (cold)", "cold", "; ".join(jsonschema))
    row("`check` warm, nothing changed", "warm")
    row(f"`validate {ONE_FILE}`, warm cache", "validate one",
        f"`python -c pass` {best.show('python -c pass')}")
    row("`render`, every card (cards/ emptied)", "render all")
    row("`render`, nothing changed", "render none")
    if "git log" in best.wall:
        row("`new --discover drivers/` (fresh init)", "new",
            f"`git log --no-merges --numstat -M` over the window, drivers/: "
            f"{best.show('git log')}")
    text = "\n".join(lines) + "\n"
    if history:
        text += "\n" + history.strip() + "\n"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernel", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True,
                        help="where the policy repositories are built once and kept")
    parser.add_argument("--tool", default=str(Path(sys.executable).parent / "driver-policy"))
    parser.add_argument("--before-tool", default=None,
                        help="another build's driver-policy, timed the same way")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jsonschema-repeat", type=int, default=1,
                        help="rounds that also run check-jsonschema (about 70 s each)")
    parser.add_argument("--new-repeat", type=int, default=1,
                        help="rounds that also time `new --discover drivers/` (about 90 s "
                        "each); 0: none")
    parser.add_argument("--history-tree", type=Path, default=None,
                        help="a tree with history for collect (benchmarks/collect.py --tree)")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    tools = [("now", args.tool)] + ([("before", args.before_tool)] if args.before_tool else [])
    for tag, tool in tools:
        build(tool, args.kernel, args.workdir / f"policy-{tag}")
    units = len(list((args.workdir / "policy-now" / "drivers").rglob("*.yaml")))
    best = Best()
    load_before = os.getloadavg()[0]
    for number in range(args.repeat):  # the tools interleaved round by round
        for tag, tool in tools:
            measure(tool, args.kernel, args.workdir / f"policy-{tag}", args.workdir, 1,
                    args.jsonschema_repeat - number, args.new_repeat - number, tag, best)
    # The figures so far are printed before the history part, which can fail on its own.
    print(report(args, best, [tag for tag, _ in tools], units,
                 (load_before, os.getloadavg()[0]), ""), flush=True)
    history = ""
    if args.history_tree is not None:
        done = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "collect.py"), "--tree",
             str(args.history_tree), "--repeat", str(args.repeat)],
            capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"benchmarks/collect.py --tree {args.history_tree}: exit "
                             f"{done.returncode}: {done.stderr[-2000:]}")
        history = done.stdout
    load_after = os.getloadavg()[0]
    text = report(args, best, [tag for tag, _ in tools], units, (load_before, load_after),
                  history)
    if history:
        print(history.strip())
    if args.write:
        doc = ROOT / "docs" / "benchmarks.md"
        old = doc.read_text()
        if BEGIN not in old:
            raise SystemExit(f"{doc}: no {BEGIN} block")
        head, rest = old.split(BEGIN, 1)
        doc.write_text(head + BEGIN + "\n" + text + END + rest.split(END, 1)[1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
