"""`init`: a new, empty policy repository that `driver-policy check` accepts as created."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.core.errors import CheckerError, UsageError
from checker.core.output import safe

SKELETON = Path(__file__).resolve().parents[2] / "skeleton"

# skeleton file -> where it goes in the new repository
FILES = {
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "workflow.yml": ".github/workflows/driver-policy.yml",
    "gitignore": ".gitignore",
    "gitattributes": ".gitattributes",
}

INIT_EPILOG = """\
The new repository holds drivers/ (empty), policies/default.yaml (the default policy,
its fixtures in policies/tests/), templates/, schema/, cards/ (rendered; marked as
generated in .gitattributes), a .pre-commit-config.yaml, a CI workflow
(.github/workflows/driver-policy.yml) and a README with the two commands, committed to
a new git repository (--no-git: not).
`driver-policy check` passes on it as created.

The policy's `discover:` section says how `new --discover` finds driver units. With
--kernel TREE it fits that tree: a tree that matches one of the bundled profiles
(Linux, barebox, DPDK, rdma-core: each names what its tree holds) gets it; any other
tree gets rules learned from the tree itself (its build files, its Kconfig, the
constructs its drivers register with), written with what was found as comments, for
review. --learn learns even when a profile matches; --profile NAME takes one by name.
Without --kernel the section is Linux's, and init says so.

examples:
  driver-policy init ~/policy --kernel ~/src/linux
  driver-policy init ~/fw-policy --kernel ~/src/firmware
  driver-policy -C ~/fw-policy new --kernel ~/src/firmware --discover src/drivers --dry-run
"""


def register(subparsers: Any) -> None:
    from checker.discover.bundled import profile_names

    parser = subparsers.add_parser(
        "init",
        help="create a new policy repository for a tree (passes check as created)",
        description="Create a policy repository in DIR: drivers/, policies/, templates/, "
        "schema/, cards/, pre-commit and CI configuration, README; a git repository with "
        "a first commit.",
        epilog=INIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("directory", metavar="DIR", help="where to create it (new or empty)")
    parser.add_argument("--kernel", metavar="TREE",
                        help="the kernel-style tree it will rule on (a git repository): its "
                        "discover rules come from a matching profile, else from the tree")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--profile", choices=profile_names(),
                        help="the bundled discover rules of this tree kind")
    choice.add_argument("--learn", action="store_true",
                        help="learn the discover rules from --kernel even if a profile "
                        "matches")
    parser.add_argument("--no-git", action="store_true",
                        help="do not make DIR a git repository with a first commit")
    parser.add_argument("--quiet", "-q", action="store_true", help="no summary")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.set_defaults(func=run)


@dataclass
class Rules:
    """The discover: section chosen for a new repository, and why."""

    text: str  # the section, with its comment, as it goes into the policy
    origin: str  # "profile linux" | "learned from TREE" | "default (Linux)"
    dirs: list[str]
    notes: list[str]


def choose_rules(kernel: Path | None, profile: str | None, force_learn: bool) -> Rules:
    from checker.discover.profiles import load_profiles

    profiles = load_profiles()
    if profile is not None:
        chosen = profiles[profile]
        return Rules(chosen.text, f"profile {profile}", list(chosen.dirs), [])
    if kernel is None:
        linux = profiles["linux"]
        return Rules(linux.text, "default (Linux's; give --kernel TREE for another tree)",
                     list(linux.dirs), [])
    from checker.collect.gitrepo import open_repo, resolve

    repo = open_repo(kernel)
    try:
        sha = resolve(repo, "HEAD").sha
        if not force_learn:
            found = _matching_profiles(repo, sha, profiles)
            if len(found) == 1:
                chosen = profiles[found[0]]
                return Rules(chosen.text, f"profile {found[0]} (the tree matches it)",
                             list(chosen.dirs), [])
        from checker.discover.learn import learn, render_section

        learned = learn(repo, sha)
        text = render_section(learned, f"{kernel} at {sha[:12]}")
        notes = list(learned.notes)
        if not force_learn and len(found) > 1:
            notes.append(f"the tree matches several profiles ({', '.join(found)}): rules "
                         "learned instead; choose one with --profile")
        return Rules(text, f"learned from {kernel} at {sha[:12]}", learned.roots, notes)
    finally:
        repo.close()


def _matching_profiles(repo: Any, sha: str, profiles: Any) -> list[str]:
    from checker.collect.tree import list_tree, read_blobs
    from checker.discover.profiles import match_files, matching

    wanted = set(match_files(profiles))
    entries = {e.path: e.sha for e in list_tree(repo, sha) if e.kind == "blob"
               and e.path in wanted and e.mode != "120000"}
    texts = {}
    by_blob = {blob: path for path, blob in entries.items()}
    for blob, data in read_blobs(repo, sorted(by_blob), []):
        texts[by_blob[blob]] = data[:1 << 20].decode("utf-8", "replace")
    return matching(profiles, texts)


def policy_text(section: str) -> str:
    """The default policy with `section` (a discover: section and its comment) in place
    of its own."""
    base = (SKELETON / "policies" / "default.yaml").read_text(encoding="utf-8")
    at = base.find("\ndiscover:\n")
    if at < 0:
        raise CheckerError("the packaged policy has no discover: section (a bug)")
    start = base.rfind("\n\n", 0, at) + 2  # the comment paragraph above `discover:`
    end = base.find("\n\n", at)
    end = len(base) if end < 0 else end + 1
    return base[:start] + section.rstrip("\n") + "\n" + base[end:]


def install_requirement() -> str:
    """What `pip install` needs to install this driver-policy: the source checkout it runs
    from, when it runs from one (the checker is not published on PyPI), else its package
    name."""
    source = Path(__file__).resolve().parents[3]  # checker/cli/commands/init.py
    return str(source) if (source / "pyproject.toml").is_file() else "kernel-driver-policy"


def readme(rules: Rules, kernel: str | None) -> str:
    where = kernel or "PATH/TO/TREE"
    dirs = " ".join(f"{d}/" for d in rules.dirs) or "drivers/"
    package = install_requirement()
    return f"""\
# Driver lifecycle policy

A policy repository for `driver-policy` (the kernel-driver-policy checker): one YAML
evidence file per driver in `drivers/`, the policy in `policies/default.yaml` (its
`discover:` rules: {rules.origin}), generated cards in `cards/`.

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
.venv/bin/driver-policy new --kernel {where} --discover {dirs}
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
    kernel = Path(args.kernel) if args.kernel else None
    if args.learn and kernel is None:
        raise UsageError("--learn reads the tree: give it with --kernel TREE")
    if kernel is not None:
        from checker.cli.commands.collect import _need_git

        _need_git()
    rules = choose_rules(kernel, args.profile, args.learn)
    files: dict[str, bytes] = {
        "policies/default.yaml": policy_text(rules.text).encode(),
        "README.md": readme(rules, args.kernel).encode(),
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
    committed = "" if args.no_git else _first_commit(root, rules)
    dirs = [f"{d}/" for d in rules.dirs] or ["drivers/"]
    following = ["driver-policy", "-C", args.directory, "new", "--kernel", args.kernel or "TREE",
                 "--discover", *dirs, "--dry-run"]
    if args.format == "json":
        import json

        json.dump({"directory": args.directory, "rules": rules.origin, "dirs": rules.dirs,
                   "notes": rules.notes, "committed": bool(committed),
                   "files": sorted([*files, *cards]), "next": following},
                  sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not args.quiet:
        for note in rules.notes:
            print(f"init: {safe(note)}")
        print(f"init: created a policy repository in {safe(args.directory)} "
              f"({len(files) + len(cards)} files{committed}; discover rules: "
              f"{safe(rules.origin)}); next: " + " ".join(safe(shlex.quote(w))
                                                      for w in following))
    return 0


def _first_commit(root: Path, rules: Rules) -> str:
    """`git init` and one commit of everything init wrote; ", committed" or a note."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        print("init: git not found: the repository was not made a git repository",
              file=sys.stderr)
        return ""
    env = {"GIT_CONFIG_NOSYSTEM": "1", "PATH": os.environ.get("PATH", ""),
           "HOME": os.environ.get("HOME", str(root)),
           "GIT_AUTHOR_NAME": os.environ.get("GIT_AUTHOR_NAME", "driver-policy init"),
           "GIT_AUTHOR_EMAIL": os.environ.get("GIT_AUTHOR_EMAIL", "driver-policy@localhost"),
           "GIT_COMMITTER_NAME": os.environ.get("GIT_COMMITTER_NAME", "driver-policy init"),
           "GIT_COMMITTER_EMAIL": os.environ.get("GIT_COMMITTER_EMAIL",
                                                 "driver-policy@localhost")}
    message = f"driver-policy init: a new policy repository (discover rules: {rules.origin})"
    for command in (["init", "-q", "-b", "main"], ["add", "-A"],
                    ["-c", "commit.gpgsign=false", "commit", "-q", "-m", message]):
        done = subprocess.run(["git", "-C", str(root), *command], env=env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise CheckerError(f"git {command[0]} in {root} failed: "
                               f"{done.stderr.strip() or done.stdout.strip()}")
    return ", committed"
