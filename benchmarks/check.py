"""Time `driver-policy check` against baselines on generated corpora, in one run.

    python benchmarks/check.py [--sizes 500 5000 20000] [--repeat 3] [--write]

For each size N it builds a corpus (benchmarks/make_corpus.py, fixed seed), renders its
cards, and times as whole processes, best of --repeat:
  - check, cold (no cache), warm (nothing changed), and after one driver file changed;
  - validate and check of one file with a warm cache (the pre-commit case), against a
    bare `python -c pass` and check-jsonschema on that file (--one-file: only these);
  - check-jsonschema validating the same driver files against the exported JSON Schema
    (schema only: no verdicts, no cards);
  - the straightforward pipeline (benchmarks/straightforward.py).
It also records the peak resident memory of the cold check (largest single process).
Ratios are computed against the baselines measured in the same run. With --conflicts M
it also times a cold check of M copies of one driver file (make_corpus.py --copies: every
file conflicts with every other) against a cold check of M clean drivers. --write
replaces the results table in docs/benchmarks.md.
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
BIN = Path(sys.executable).parent
OUT = ROOT / "benchmarks" / "out"
BEGIN, END = "<!-- check-benchmark:begin -->", "<!-- check-benchmark:end -->"


CPU: dict[str, float] = {}  # CPU seconds (user + system, all processes) of each best run


def run(argv: list[str], cwd: Path | None = None) -> tuple[float, int, int, float]:
    """Wall time, exit code, peak RSS (KiB) of the largest process it started, and the
    CPU seconds of all of them."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL).returncode\n"
        "t = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(t, code, u.ru_maxrss, u.ru_utime + u.ru_stime)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], capture_output=True, text=True, cwd=cwd, check=True
    )
    seconds, code, rss, cpu = done.stdout.split()
    return float(seconds), int(code), int(rss), float(cpu)


def best(
    argv: list[str], repeat: int, cwd: Path | None = None, before: object = None,
    name: str = "",
) -> tuple[float, int]:
    times, peak, cpus = [], 0, []
    for _ in range(repeat):
        if callable(before):
            before()
        seconds, _code, rss, cpu = run(argv, cwd)
        times.append(seconds)
        cpus.append(cpu)
        peak = max(peak, rss)
    if name:
        CPU[name] = min(cpus)
    return min(times), peak


def measure(n: int, repeat: int) -> dict[str, float]:
    corpus = OUT / f"corpus-{n}"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/make_corpus.py"), str(n), "--out", str(corpus)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    dp = str(BIN / "driver-policy")
    cache = corpus / ".driver-policy-cache"
    check = [dp, "-C", str(corpus), "check", "--today", "2026-11-21"]
    drop_cache = lambda: shutil.rmtree(cache, ignore_errors=True)  # noqa: E731
    result: dict[str, float] = {"n": n}
    result["cold"], result["cold_rss"] = best(check, repeat, before=drop_cache, name=f"cold{n}")
    run(check)  # fill the cache
    result["warm"], _ = best(check, repeat)
    files = sorted((corpus / "drivers").rglob("*.yaml"))
    victim = files[len(files) // 2]
    original = victim.read_bytes()
    counter = iter(range(1000))

    def touch() -> None:
        victim.write_bytes(original + f"# edit {next(counter)}\n".encode())

    result["one_changed"], _ = best(check, repeat, before=touch)
    victim.write_bytes(original)
    run(check)  # the cache current again: the one-file case is that of a warm cache
    result.update(one_file(corpus, victim, repeat))
    schema = ROOT / "schema" / "driver.schema.json"
    result["jsonschema"], _ = best(
        [str(BIN / "check-jsonschema"), "--schemafile", str(schema), *map(str, files)],
        1 if n > 5000 else repeat, name=f"jsonschema{n}",
    )
    # again, right after another cold check: the two see the same machine load
    cold, _ = best(check, 1, before=drop_cache, name=f"cold-again{n}")
    result["cold"] = min(result["cold"], cold)
    CPU[f"cold{n}"] = min(CPU[f"cold{n}"], CPU[f"cold-again{n}"])
    result["straightforward"], _ = best(
        [sys.executable, str(ROOT / "benchmarks/straightforward.py"), str(corpus)],
        1 if n > 500 else repeat,
    )
    return result


def one_file(root: Path, victim: Path, repeat: int) -> dict[str, float]:
    """The pre-commit case, whole processes: `validate` and `check` of one driver file
    with a warm cache (run a full check first), against the start of a bare `python -c
    pass` and check-jsonschema on the same file, interleaved so all see the same load."""
    dp = str(BIN / "driver-policy")
    rel = victim.relative_to(root).as_posix()
    schema = ROOT / "schema" / "driver.schema.json"
    commands = {
        "python_start": [sys.executable, "-c", "pass"],
        "validate_one": [dp, "-C", str(root), "validate", rel],
        "check_one": [dp, "-C", str(root), "check", "--today", "2026-11-21", rel],
        "jsonschema_one": [str(BIN / "check-jsonschema"), "--schemafile", str(schema),
                           str(victim)],
    }
    result: dict[str, float] = {}
    for _ in range(repeat):  # interleaved, best of `repeat` each
        for name, argv in commands.items():
            seconds, _code, _rss, cpu = run(argv)
            result[name] = min(result.get(name, seconds), seconds)
            CPU[name] = min(CPU.get(name, cpu), cpu)
    return result


def measure_one_file(n: int, repeat: int) -> dict[str, float]:
    """Only the one-file figures, on a corpus of N drivers with a warm cache."""
    root = OUT / f"corpus-{n}"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/make_corpus.py"), str(n), "--out", str(root)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    run([str(BIN / "driver-policy"), "-C", str(root), "check", "--today", "2026-11-21"])
    files = sorted((root / "drivers").rglob("*.yaml"))
    return {"n": n, **one_file(root, files[len(files) // 2], repeat)}


def one_file_text(r: dict[str, float]) -> str:
    start = r["python_start"]
    return (
        f"One driver file in a corpus of {int(r['n']):,}, warm cache (the pre-commit case), "
        f"whole processes: `validate` {r['validate_one']:.3f} s "
        f"({CPU['validate_one']:.3f} s CPU), `check` {r['check_one']:.3f} s "
        f"({CPU['check_one']:.3f} s CPU); in the same run `python -c pass` "
        f"{start:.3f} s and check-jsonschema on the same file {r['jsonschema_one']:.3f} s: "
        f"`validate` is {r['validate_one'] / start:.1f}x a bare interpreter start and "
        f"{r['jsonschema_one'] / r['validate_one']:.1f}x faster than check-jsonschema.\n"
    )


def corpus(n: int, *extra: str) -> Path:
    kind = "copies" if "--copies" in extra else "clean"
    out = OUT / f"{kind}-{n}"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/make_corpus.py"), str(n), "--out", str(out),
         *extra],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out


def measure_conflicts(n: int, repeat: int) -> dict[str, float]:
    """Cold check of N copies of one file (N problems) vs N clean drivers."""
    result: dict[str, float] = {"n": n}
    for name, root in (("clean", corpus(n, "--problems", "0")), ("copies", corpus(n, "--copies"))):
        cache = root / ".driver-policy-cache"
        check = [str(BIN / "driver-policy"), "-C", str(root), "check", "--today", "2026-11-21"]
        result[name], _ = best(check, repeat, before=lambda c=cache: shutil.rmtree(c, True))
    return result


def table(results: list[dict[str, float]]) -> str:
    head = (
        "| N | check cold | warm | one file changed | validate one file | peak RSS "
        "| check-jsonschema | straightforward | cold vs check-jsonschema "
        "| cold vs straightforward | cold per file |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    rows = []
    for r in results:
        rows.append(
            f"| {int(r['n']):,} | {r['cold']:.2f} s | {r['warm']:.2f} s "
            f"| {r['one_changed']:.2f} s | {r['validate_one']:.2f} s "
            f"| {r['cold_rss'] / 1024:.0f} MB | {r['jsonschema']:.1f} s "
            f"| {r['straightforward']:.1f} s | {r['jsonschema'] / r['cold']:.1f}x faster "
            f"| {r['straightforward'] / r['cold']:.1f}x faster "
            f"| {r['cold'] / r['n'] * 1000:.2f} ms |"
        )
    rows.append("")
    rows.append(one_file_text(results[0]))
    parts = []
    for r in results:
        n = int(r["n"])
        cold, schema = CPU[f"cold{n}"], CPU[f"jsonschema{n}"]
        parts.append(f"N = {n:,}: check cold {cold:.2f} s, check-jsonschema {schema:.2f} s "
                     f"({schema / cold:.1f}x)")
    rows.append("CPU seconds (user + system of every process, best run): "
                + "; ".join(parts) + ".")
    return head + "\n".join(rows) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--conflicts", type=int, default=2000, metavar="M",
                        help="copies of one driver file to check (0: skip)")
    parser.add_argument("--one-file", action="store_true",
                        help="measure only the one-file figures (validate, check), on the "
                        "first of --sizes; with --write, update their block only")
    args = parser.parse_args()
    if args.one_file:
        return main_one_file(args.sizes[0], args.repeat, args.write)
    conflicts = measure_conflicts(args.conflicts, args.repeat) if args.conflicts else None
    results = []
    for n in args.sizes:
        started = time.perf_counter()
        results.append(measure(n, args.repeat))
        print(f"N={n} measured in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    text = table(results)
    if conflicts is not None:
        text += (
            f"\nConflicting claims: {int(conflicts['n']):,} copies of one driver file (each "
            f"conflicts with all others) checked cold in {conflicts['copies']:.2f} s, "
            f"{int(conflicts['n']):,} clean drivers in {conflicts['clean']:.2f} s: "
            f"{conflicts['copies'] / conflicts['clean']:.2f}x.\n"
        )
    block = f"{BEGIN}\nMeasured on {machine()}; best of {args.repeat}.\n\n{text}{END}"
    print(block)
    if args.write:
        write_block(block, BEGIN, END, "check")
    return 0


ONE_BEGIN, ONE_END = "<!-- one-file-benchmark:begin -->", "<!-- one-file-benchmark:end -->"


def main_one_file(n: int, repeat: int, write: bool) -> int:
    text = one_file_text(measure_one_file(n, repeat))
    block = f"{ONE_BEGIN}\nMeasured on {machine()}; best of {repeat}.\n\n{text}{ONE_END}"
    print(block)
    if write:
        write_block(block, ONE_BEGIN, ONE_END, "validate and check of one file")
    return 0


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average at the end "
        f"{os.getloadavg()[0]:.2f}"
    )


def write_block(block: str, begin: str, end: str, heading: str) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    current = doc.read_text() if doc.exists() else "# Benchmarks\n"
    if begin in current:
        start, stop = current.index(begin), current.index(end) + len(end)
        current = current[:start] + block + current[stop:]
    else:
        current = current.rstrip("\n") + f"\n\n## {heading}\n\n" + block + "\n"
    doc.write_text(current)


if __name__ == "__main__":
    raise SystemExit(main())
