"""Build a realistic policy repository of N driver files, deterministically from a seed.

    python benchmarks/make_corpus.py N [--out DIR] [--seed S] [--problems RATE]

The corpus has the real policy, fixtures, schema and templates of this repository, and
N driver files spread over kernel-like subsystems: 2-6 sources each, reasoning notes,
61-month signals for most (absent for some), overrides for some, and a share of files
with problems (schema, cross-field and YAML errors) so that the error path is measured
too. Recorded verdicts of the valid files are the policy's, so `check` reports only the
planted problems (and, until `driver-policy render` runs, missing cards).
"""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SUBSYSTEMS = {
    "net": ("networking-ethernet", "drivers/net/ethernet"),
    "wireless": ("networking-wireless", "drivers/net/wireless"),
    "scsi": ("storage-scsi-ata", "drivers/scsi"),
    "ata": ("storage-scsi-ata", "drivers/ata"),
    "nvme": ("storage-nvme", "drivers/nvme"),
    "gpu": ("gpu-display", "drivers/gpu/drm"),
    "media": ("media", "drivers/media"),
    "sound": ("sound", "sound/pci"),
    "usb": ("usb", "drivers/usb"),
    "input": ("input-hid", "drivers/input"),
    "hwmon": ("sensors-hwmon", "drivers/hwmon"),
    "staging": ("misc", "drivers/staging"),
    "infiniband": ("rdma", "drivers/infiniband/hw"),
    "platform": ("platform", "drivers/platform/x86"),
    "crypto": ("crypto", "drivers/crypto"),
}
WORDS = [
    "controller",
    "adapter",
    "bridge",
    "interface",
    "legacy",
    "serial",
    "parallel",
    "gigabit",
    "wireless",
    "sensor",
    "codec",
    "tuner",
    "host",
    "port",
    "fabric",
    "offload",
    "firmware",
    "queue",
    "ring",
    "buffer",
    "dma",
    "interrupt",
    "register",
    "link",
    "phy",
    "mac",
    "transport",
    "protocol",
    "vendor",
    "board",
    "chip",
    "card",
]
DOMAINS = (
    "lore.kernel.org",
    "docs.kernel.org",
    "cateee.net",
    "www.phoronix.com",
    "lwn.net",
    "bugzilla.kernel.org",
    "github.com",
    "docs.nvidia.com",
)


def claim_month(rng: random.Random) -> str:
    """A month no later than the signals' window end (2026-04): a claim may not be
    dated after the evidence date."""
    year = rng.randint(2019, 2026)
    return f"{year}-{rng.randint(1, 4 if year == 2026 else 12):02d}"


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(8, 18)) for _ in range(sentences))


def folded(text: str, indent: int) -> str:
    pad = " " * indent
    out, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > 84 - indent:
            out.append(pad + line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(pad + line)
    return "\n".join(out)


def monthly(rng: random.Random, activity: float) -> list[tuple[str, int, int, int]]:
    rows = []
    year, month = 2021, 4
    for _ in range(61):
        commits = rng.randint(1, 4) if rng.random() < activity else 0
        added = sum(rng.randint(0, 40) for _ in range(commits))
        removed = sum(rng.randint(0, 30) for _ in range(commits))
        rows.append((f"{year:04d}-{month:02d}", commits, added, removed))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return rows


def driver_text(rng: random.Random, subsystem: str, name: str, index: int) -> str:
    category, base = SUBSYSTEMS[subsystem]
    kernel_path = f"{base}/{name}"
    deployment = rng.choice(["none", "low", "low", "medium", "high", "unknown"])
    kind = rng.choice(["hardware", "hardware", "protocol", "software"])
    sold = rng.choice(["true", "false", "unknown"]) if kind != "software" else "unknown"
    last_sold = rng.randint(1995, 2018) if sold == "false" else None
    status = rng.choice(["Supported", "Maintained", "Odd Fixes", "Orphan", "unknown"])
    replacement = rng.choice(["none", "partial", "full", "unknown"])
    n_sources = rng.randint(2, 6)
    lines = [
        "# yaml-language-server: $schema=../../schema/driver.schema.json",
        "schema: 1",
        f"name: {sentence(rng, 4)[:-1]} driver {index}",
        f"subsystem: {subsystem}",
        f"category: {category}",
        f"path: {kernel_path}",
        "paths:",
        "  include:",
        f"    - {kernel_path}/",
        "  exclude: []",
        "granularity: directory",
        f"kconfig: [{subsystem.upper()}_{name.upper().replace('-', '_')}]",
        "summary: >-",
        folded(paragraph(rng, 3), 2),
        f"deployment: {deployment}",
        "hardware:",
        f"  kind: {kind}",
        f"  sold_new: {sold}",
        f"  last_sold: {last_sold if last_sold else 'null'}",
        "replacement:",
        f"  status: {replacement}",
        f"  by: {'null' if replacement in ('none', 'unknown') else 'example-successor'}",
        "  note: null",
        f"maintainers_status: {status}",
    ]
    upstream = []
    if rng.random() < 0.3:
        upstream.append(("maintenance", f"2025-{rng.randint(1, 12):02d}", 1))
    if rng.random() < 0.1:
        upstream.append(("feature-work", f"2025-{rng.randint(1, 12):02d}", 2))
    if rng.random() < 0.05:
        upstream.append(("removal-proposed", f"2026-{rng.randint(1, 3):02d}", 1))
    lines.append("upstream:" if upstream else "upstream: []")
    for action, when, ref in upstream:
        lines += [
            f"  - action: {action}",
            f'    date: "{when}"',
            f"    summary: {sentence(rng, 10)}",
            f"    sources: [{ref}]",
        ]
    if rng.random() < 0.1:
        lines += [
            "users_reported:",
            "  - who: An illustrative user",
            f"    claim: {sentence(rng, 12)}",
            '    date: "2025-10"',
            "    sources: [2]",
        ]
    else:
        lines.append("users_reported: []")
    if rng.random() < 0.9:
        rows = monthly(rng, rng.choice([0.0, 0.05, 0.2, 0.5]))
        commits = sum(r[1] for r in rows)
        mechanical = sum(1 for r in rows for _ in range(r[1]) if rng.random() < 0.3)
        lines += [
            "signals:",
            "  computed_by: benchmarks/make_corpus.py (synthetic)",
            f"  kernel_rev: {rng.getrandbits(160):040x}",
            "  window: {start: 2021-04-21, end: 2026-04-21}",
            f"  files: {rng.randint(1, 60)}",
            f"  source_lines: {rng.randint(200, 40000)}",
            f"  commits: {commits}",
            f"  substantive_commits: {commits - mechanical}",
            f"  mechanical_commits: {mechanical}",
            f"  lines_added: {sum(r[2] for r in rows)}",
            f"  lines_removed: {sum(r[3] for r in rows)}",
            f"  authors: {min(commits, rng.randint(1, 40))}",
            f"  active_months: {sum(1 for r in rows if r[1])}",
            "  monthly:",
        ]
        lines += [
            f'    - {{month: "{m}", commits: {c}, added: {a}, removed: {r}}}' for m, c, a, r in rows
        ]
        lines += [
            "  first_commit: 2008-06-01",
            "  last_commit: null",
            "  last_substantive_commit: null",
        ]
    else:
        lines.append("signals: null")
    lines.append("sources:")
    for number in range(n_sources):
        domain = rng.choice(DOMAINS)
        lines += [
            f"  - url: https://{domain}/example/{index}/{number}",
            "    claim: >-",
            folded(paragraph(rng, 1), 6),
            f'    date: "{claim_month(rng)}"',
        ]
    lines += [
        "verdict:",
        "  value: VERDICT",
        "  confidence: null",
        "  recommendation: >-",
        folded(paragraph(rng, 2), 4),
        "  notes: >-",
        folded(paragraph(rng, 4), 4),
    ]
    return "\n".join(lines) + "\n"


def plant_problem(rng: random.Random, text: str) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return text.replace("deployment: ", "deployment: wide", 1)
    if choice == 1:
        return (
            text.replace("  files: ", "  files: -", 1)
            if "  files: " in text
            else text.replace("schema: 1", "schema: one", 1)
        )
    if choice == 2:
        return text.replace("granularity: directory", "granularity: directory\n\tbad: tab", 1)
    return text.replace("summary: >-", "summry: >-", 1)


def build(n: int, out: Path, seed: int, problem_rate: float) -> None:
    from checker.evaluate.engine import evaluate
    from checker.load.document import parse_document
    from checker.validate.driver import validate_driver
    from checker.validate.policy import validate_policy

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for part in ("policies", "schema", "templates"):
        shutil.copytree(ROOT / part, out / part)
    policy_doc, _ = parse_document(
        (ROOT / "policies/default.yaml").read_bytes(), "policies/default.yaml"
    )
    assert policy_doc is not None
    policy, _ = validate_policy(policy_doc)
    assert policy is not None
    rng = random.Random(seed)
    names = list(SUBSYSTEMS)
    planted: list[tuple[Path, str]] = []
    for index in range(n):
        subsystem = names[index % len(names)]
        name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{index:05d}"
        rel = f"drivers/{subsystem}/{name}.yaml"
        text = driver_text(rng, subsystem, name, index)
        doc, problems = parse_document(text.replace("VERDICT", "keep").encode(), rel)
        assert doc is not None and not problems, problems
        driver, problems = validate_driver(doc)
        assert driver is not None, [str(p) for p in problems]
        verdict = evaluate(driver, policy).value
        text = text.replace("  value: VERDICT", f"  value: {verdict}")
        if rng.random() < 0.05:
            until = date(2027, rng.randint(1, 12), 1)
            other = "keep" if verdict != "keep" else "keep-annotate"
            text = text.replace(f"  value: {verdict}", f"  value: {other}")
            text += (
                f"  override:\n    verdict: {other}\n    reason: {sentence(rng, 10)}\n"
                f"    by: Example Maintainer <m@example.org>\n    until: {until}\n"
            )
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if rng.random() < problem_rate:
            planted.append((path, plant_problem(rng, text)))
    # Cards are rendered while every file is valid (render refuses otherwise), then the
    # problems are planted: the state of a repository receiving a bad change.
    from checker.cli.main import main as driver_policy

    if driver_policy(["-C", str(out), "render"]) != 0:
        raise SystemExit("rendering the corpus's cards failed")
    for path, text in planted:
        path.write_text(text, encoding="utf-8")


def build_copies(n: int, out: Path, seed: int) -> None:
    """N copies of one driver file under drivers/infiniband/, each with its own `path`
    but the same `paths.include` and `kconfig` (one bad merge, or a file copied to start
    a new one): every file conflicts with every other. Cards rendered."""
    build(list(SUBSYSTEMS).index("infiniband") + 1, out, seed, 0.0)
    (original,) = (out / "drivers" / "infiniband").glob("*.yaml")
    text = original.read_text(encoding="utf-8")
    shutil.rmtree(out / "drivers")
    path_line = next(line for line in text.splitlines() if line.startswith("path: "))
    for index in range(n):
        copy = text.replace(path_line + "\n", f"path: drivers/infiniband/hw/copy-{index:05d}\n")
        target = out / "drivers" / "infiniband" / f"copy-{index:05d}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(copy, encoding="utf-8")
    from checker.cli.main import main as driver_policy

    shutil.rmtree(out / "cards", ignore_errors=True)
    if driver_policy(["-C", str(out), "render"]) != 0:
        raise SystemExit("rendering the corpus's cards failed")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, help="number of driver files")
    parser.add_argument(
        "--out", type=Path, default=None, help="output directory (default: benchmarks/out/corpus-N)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--problems",
        type=float,
        default=0.02,
        help="share of files with a planted problem (default 0.02)",
    )
    parser.add_argument(
        "--copies",
        action="store_true",
        help="N copies of one driver file that all claim the same sources (conflicts)",
    )
    args = parser.parse_args()
    kind = "copies" if args.copies else "corpus"
    out = args.out or ROOT / "benchmarks" / "out" / f"{kind}-{args.n}"
    if args.copies:
        build_copies(args.n, out, args.seed)
    else:
        build(args.n, out, args.seed, args.problems)
    print(f"wrote {args.n} driver files to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
