"""Benchmark what `needs_deprecated` adds to the usage evaluation of a tree
(checker/collect/kconfiglib_reader.py, `deprecation_needs`), against the evaluation
without it, in the same run and the same process: for each group of configurations
read with one set of Kconfig variables (one architecture), the Kconfig is parsed once,
then the configurations are evaluated (`enabled_in`'s work: the wanted symbols and the
census) and, timed apart, what every wanted symbol needs. Best of --repeat.

    python benchmarks/needs.py --kernel /work/trees/linux-pair --rev a9b564527 \\
        --scope drivers --env SRCARCH=x86
    python benchmarks/needs.py --kernel /tmp/cal-barebox.git --rev dd1d839c2c32 \\
        --scope drivers --env SRCARCH=arm

The wanted symbols are the whole census (onboarding a whole tree asks nearly that).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    from usage import tree_parser

    args = tree_parser(__doc__.split("\n\n")[0]).parse_args()

    import kconfiglib

    from checker.collect.gitrepo import open_repo, resolve
    from checker.collect.kconfig_shims import variable_bases
    from checker.collect.kconfiglib_reader import (
        FAKE_ROOT,
        _enabled,
        deprecation_needs,
        load,
    )
    from checker.collect.usage import UsageOptions, env_for, read_inputs

    pairs = tuple((name, value) for name, _, value in (item.partition("=") for item in args.env))
    repo = open_repo(Path(args.kernel))
    try:
        inputs, directories = read_inputs(repo, resolve(repo, args.rev).sha,
                                          UsageOptions(("Kconfig",), pairs), args.scope)
    finally:
        repo.close()
    bases = variable_bases(inputs.kconfig_texts.values())
    groups: dict[tuple[tuple[str, str], ...], list[tuple[str, str]]] = defaultdict(list)
    for config in inputs.configs:
        groups[tuple(sorted(env_for(config.name, dict(pairs), bases, directories).items()))
               ].append((config.name, config.text))
    census = sorted(inputs.census)
    best_enabled = best_needs = float("inf")
    needing = 0
    for _ in range(args.repeat):
        spent_enabled = spent_needs = 0.0
        needing = 0
        for env_key, configs in sorted(groups.items()):
            os.environ.clear()
            os.environ.update({"srctree": FAKE_ROOT, "KCONFIG_FUNCTIONS": "-",
                               **dict(env_key)})
            kconf, vfs, _ = load(inputs.kconfig_texts, ["Kconfig"], ())
            started = time.perf_counter()
            _enabled(kconf, vfs, configs, census, census)
            spent_enabled += time.perf_counter() - started
            started = time.perf_counter()
            found = deprecation_needs(kconfiglib, kconf, census)
            spent_needs += time.perf_counter() - started
            needing += sum(1 for v in found.values() if v)
        best_enabled = min(best_enabled, spent_enabled)
        best_needs = min(best_needs, spent_needs)
    print(f"{args.kernel} at {args.rev}: {len(inputs.configs)} configurations in "
          f"{len(groups)} group(s), {len(census)} census symbols asked; "
          f"{platform.python_version()}")
    print(f"  evaluation (baseline): {best_enabled:.2f} s; needs_deprecated: "
          f"{best_needs:.2f} s; ratio {(best_enabled + best_needs) / best_enabled:.3f}x "
          f"(best of {args.repeat}); {needing} symbol-architecture pairs need an announced "
          "symbol")
    return 0


if __name__ == "__main__":
    sys.exit(main())
