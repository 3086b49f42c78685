"""`init`: a new, empty policy repository that `driver-policy check` accepts as created."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from checker.core.errors import CheckerError, UsageError

SKELETON = Path(__file__).resolve().parents[2] / "skeleton"

# skeleton file -> where it goes in the new repository
FILES = {
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "workflow.yml": ".github/workflows/driver-policy.yml",
    "gitignore": ".gitignore",
    "gitattributes": ".gitattributes",
}

PROFILES = ("linux", "barebox", "dpdk", "rdma-core")

INIT_EPILOG = """\
The new repository holds drivers/ (empty), policies/default.yaml (the default policy,
its fixtures in policies/tests/), templates/, schema/, cards/ (rendered; marked as
generated in .gitattributes), a .pre-commit-config.yaml, a CI workflow
(.github/workflows/driver-policy.yml) and a README with the two commands.
`driver-policy check` passes on it as created.

With --kernel, the policy's `discover:` section (how `new --discover` finds driver
units) is the one for that kind of tree: Linux (Kbuild, module_init), barebox (Kbuild,
device_platform_driver), DPDK (meson.build, RTE_PMD_REGISTER_*) or rdma-core
(CMakeLists.txt, PROVIDER_DRIVER); --profile chooses one by name.

examples:
  driver-policy init ~/policy
  driver-policy init ~/dpdk-policy --kernel ~/src/dpdk
  driver-policy -C ~/dpdk-policy new --kernel ~/src/dpdk --discover drivers/net drivers/crypto
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "init",
        help="create a new, empty policy repository (passes check as created)",
        description="Create a policy repository in DIR: drivers/, policies/, templates/, "
        "schema/, cards/, pre-commit and CI configuration, README.",
        epilog=INIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("directory", metavar="DIR", help="where to create it (new or empty)")
    parser.add_argument("--kernel", metavar="PATH",
                        help="the kernel-style tree it will rule on: picks the discover rules")
    parser.add_argument("--profile", choices=PROFILES,
                        help="the discover rules by name (default: from --kernel, else linux)")
    parser.set_defaults(func=run)


def detect_profile(kernel: Path) -> str:
    """Which kind of tree `kernel` is, from files at HEAD."""
    from checker.collect.gitrepo import open_repo, resolve

    repo = open_repo(kernel)
    try:
        sha = resolve(repo, "HEAD").sha
        names = set(repo.git.ls_tree("--name-only", sha).split("\n"))
        drivers = set(repo.git.ls_tree("--name-only", f"{sha}:drivers").split("\n")) \
            if "drivers" in names else set()
    finally:
        repo.close()
    if "providers" in names and "CMakeLists.txt" in names:
        return "rdma-core"
    if "meson.build" in drivers:
        return "dpdk"
    if "pbl" in names or "defaultenv" in names:  # barebox's pre-bootloader, default env
        return "barebox"
    return "linux"


def _discover_section(profile: str) -> str:
    text = (SKELETON / "profiles" / f"{profile}.yaml").read_text(encoding="utf-8")
    return text


def policy_text(profile: str) -> str:
    """The default policy with the profile's `discover:` section (and its comment) in
    place of the default one."""
    base = (SKELETON / "policies" / "default.yaml").read_text(encoding="utf-8")
    at = base.find("\ndiscover:\n")
    if at < 0:
        raise CheckerError("the packaged policy has no discover: section (a bug)")
    start = base.rfind("\n\n", 0, at) + 2  # the comment paragraph above `discover:`
    end = base.find("\n\n", at)
    end = len(base) if end < 0 else end + 1
    section = f"# `driver-policy new --discover` rules for a {profile} tree " \
        f"(docs/collect.md).\n{_discover_section(profile)}"
    return base[:start] + section + base[end:]


# Where each kind of tree keeps its drivers: the directory the README and the closing hint
# suggest for `new --discover`.
DISCOVER_DIRS = {"rdma-core": "providers/"}


def install_requirement() -> str:
    """What `pip install` needs to install this driver-policy: the source checkout it runs
    from, when it runs from one (the checker is not published on PyPI), else its package
    name."""
    source = Path(__file__).resolve().parents[3]  # checker/cli/commands/init.py
    return str(source) if (source / "pyproject.toml").is_file() else "kernel-driver-policy"


def readme(profile: str, kernel: str | None) -> str:
    where = kernel or "PATH/TO/KERNEL"
    package = install_requirement()
    return f"""\
# Driver lifecycle policy

A policy repository for `driver-policy` (the kernel-driver-policy checker): one YAML
evidence file per driver in `drivers/`, the policy in `policies/default.yaml` (its
`discover:` rules are for a {profile} tree), generated cards in `cards/`.

## The two commands

Install driver-policy and check this repository (the CI workflow runs the same):

```sh
python3 -m venv .venv && .venv/bin/pip install -q {shlex.quote(package)} \\
  && .venv/bin/driver-policy check
```

(`{package}` is where `driver-policy init` ran from; any pip requirement that installs
the kernel-driver-policy checker will do: a path, a VCS URL or a package name. The CI
workflow reads it from the repository variable `DRIVER_POLICY_PACKAGE`.)

Scaffold one evidence file per driver of the tree, with its history read once:

```sh
.venv/bin/driver-policy new --kernel {where} --discover {DISCOVER_DIRS.get(profile, "drivers/")}
```

(`--dry-run` first lists the units, their ids and names, and what is skipped and why.)
Then fill the `unknown` assessment fields from evidence, run `driver-policy render`,
and commit. `pre-commit install` runs the checks on every commit.
"""


def run(args: argparse.Namespace) -> int:
    from checker.cli.commands.render import planned
    from checker.load.fsutil import write_atomic
    from checker.render.files import compare, write
    from checker.validate.export_schema import FILES as SCHEMAS
    from checker.validate.export_schema import render as render_schema

    target = Path(args.directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{args.directory}: exists and is not an empty directory")
    profile = args.profile
    if profile is None:
        profile = detect_profile(Path(args.kernel)) if args.kernel else "linux"
    files: dict[str, bytes] = {
        "policies/default.yaml": policy_text(profile).encode(),
        "README.md": readme(profile, args.kernel).encode(),
        "drivers/.gitkeep": b"",
    }
    for source in sorted((SKELETON / "policies" / "tests").glob("*.yaml")):
        files[f"policies/tests/{source.name}"] = source.read_bytes()
    for source in sorted((SKELETON / "templates").glob("*.j2")):
        files[f"templates/{source.name}"] = source.read_bytes()
    for name, where in FILES.items():
        files[where] = (SKELETON / name).read_bytes()
    for kind, rel in SCHEMAS.items():
        files[rel] = render_schema(kind).encode()
    for rel, data in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    root = target.resolve()
    cards = planned(root)
    write(root, compare(root, cards), cards)
    print(f"init: created a policy repository in {args.directory} ({len(files) + len(cards)} "
          f"files; discover rules for {profile}); next: driver-policy -C {args.directory} "
          f"new --kernel {args.kernel or 'PATH'} --discover "
          f"{DISCOVER_DIRS.get(profile, 'drivers/')}", file=sys.stdout)
    return 0
