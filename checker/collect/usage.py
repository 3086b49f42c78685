"""Usage signals: does anything the tree ships build or use the driver?

For each driver, as of the revision collected (`usage_signals`):

- `configs`: in how many of the tree's shipped configurations its Kconfig symbol is
  *effectively* enabled (y or m, with defaults, `select` and `imply` applied: each
  configuration is loaded by kconfiglib as `make olddefconfig` would), plus the
  configuration files a maintainer names (`collect --config GLOB`); `configs_read` how
  many were evaluated, `enabled_in` the first three that enable it. Shipped
  configurations are the files named `*defconfig` and the files in a `configs/`
  directory that hold `CONFIG_` lines. A configuration below a directory that one of
  the Kconfig variables chooses (`arch/arm/configs/...` for `SRCARCH`) is read with
  that value; one at DIR/configs/... gives DIR to the variable that starts a `source`
  path (`$(PLATFORM_DIR)/Kconfig`) when DIR holds that file and nothing else sources
  it (`place_env`: OpenSBI's platforms).
- `configs_changed`: the day of the newest change, in the window, to one of the
  configurations that enable it (`checker/collect/confighistory.py`: a commit changing
  more than `collect.config_refresh_files` configurations is a refresh and does not
  count; a configuration named with `--config` counts as current), or the window's
  first day when none changed in the window (the boards that build it are at least
  that dormant); null when none enables it or the policy sets no
  `config_refresh_files`.
- `selected`: how many `select`/`imply` statements name its symbols (each definition
  counted: every board that selects a Super I/O chip is one).
- `dt_users`: how many of the tree's device-tree sources (`.dts`, `.dtsi`) use one of
  its compatibles (`.compatible = "vendor,chip"` in its source files).
- `tree_built`: the share of the tree's drivers that at least one of those
  configurations builds (`tree_census`: for each source file a build file compiles
  below the top directories the collected drivers live in, the Kconfig symbol nearest
  to it, as discovery reads build files; the share of those the Kconfig defines that
  one configuration enables). The same for every driver of one collect: it says how
  much not being built means in this tree (in a tree that builds nearly all of its
  drivers, one that nothing builds is an outlier; in one that ships a few example
  configurations, most drivers are built by none).
- `deprecated`: whether its Kconfig prompt or help announces deprecation or removal
  (`kconfig_model.announces_deprecation`: in help text, said of something).
- `needs_deprecated`: the symbols whose prompt or help announces deprecation and
  without which none of its symbols can be enabled, in any parse of the Kconfig (each
  architecture the configurations are read with): a driver that depends on an SoC
  family the tree says is to be removed, or that only such a family selects (the first
  ten, sorted). [] when it needs none; null when the Kconfig defines none of its symbols
  (`kconfiglib_reader.deprecation_needs`).
- `staging`: whether it lives below a directory named `staging`.

A unit with several symbols (a directory of drivers, none of them named its own) is
built when any of them is; its `selected` and `deprecated` are null (whose they are is
not known). A value that cannot be known is null: `configs` without a symbol or a
configuration, `selected` and `deprecated` without a symbol the Kconfig defines,
`dt_users` without a compatible or a device tree. The configurations are evaluated in at
most two forked children (`checker/core/isolate.py`; `schedule` spreads the parses, and
cuts one that holds most configurations in two) and the result is cached by content,
like parses (`checker/collect/kconfig.py`); a parse that fails costs its own
configurations only, and the result is then not kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.collect.kconfig_model import announces_deprecation

ENABLED_IN_SHOWN = 3
NEEDS_SHOWN = 10  # needs_deprecated names at most this many symbols (sorted)
# in the key of a cached evaluation: a new one when what an evaluation computes changes
# (what counts as announcing deprecation, which configurations share a parse)
EVALUATION_VERSION = "usage-7"
PARSE_COST = 20  # a parse of the Kconfig costs about twenty evaluations
EnvKey = tuple[tuple[str, str], ...]  # the Kconfig variables of one parse

# a value stops at the next `=` too, so each search ends where the next property starts
_DTS_COMPATIBLE = re.compile(r"\bcompatible\s*=\s*([^;{}=]*);")
_QUOTED = re.compile(r'"([^"\n]{1,200})"')
_CONFIG_LINE = re.compile(rb"^(?:CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)",
                          re.MULTILINE)


@dataclass(frozen=True)
class Config:
    """One configuration to evaluate: where it is shown from, its text."""

    name: str
    text: str


@dataclass
class UsageInputs:
    """What the tree holds for usage, read once per collect."""

    kconfig_texts: dict[str, str] = field(default_factory=dict)
    configs: list[Config] = field(default_factory=list)
    dts_compatibles: dict[str, set[str]] = field(default_factory=dict)  # compatible -> dts
    has_dts: bool = False
    tree_configs: set[str] = field(default_factory=set)  # the configurations in the tree
    census: set[str] = field(default_factory=set)  # the symbols that build the tree's files


def is_shipped_config(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith("defconfig") or "/configs/" in f"/{path}"


def config_text(data: bytes) -> str | None:
    """The text of a configuration file, or None when it holds no CONFIG_ line."""
    if _CONFIG_LINE.search(data[:1 << 16]) is None:
        return None
    return data.decode("utf-8", "replace")


def dts_compatibles(text: str) -> set[str]:
    out: set[str] = set()
    for match in _DTS_COMPATIBLE.finditer(text):
        out.update(_QUOTED.findall(match.group(1)))
    return out


def env_for(path: str, env: Mapping[str, str], bases: Mapping[str, str],
            directories: set[str]) -> dict[str, str]:
    """The Kconfig variables for a configuration at `path`: a variable that chooses among
    the children of a directory (`SRCARCH` among arch/*) takes the child the
    configuration sits in (arch/arm/configs/... -> arm)."""
    chosen = dict(env)
    for variable in env:
        base = bases.get(variable)
        if base and path.startswith(base + "/"):
            child = path[len(base) + 1:].split("/", 1)[0]
            if f"{base}/{child}" in directories:
                chosen[variable] = child
    return chosen


def place_variables(texts: Iterable[str], env: Mapping[str, str]) -> dict[str, str]:
    """Variable -> the file it is followed by, for the variables without a value that
    start a `source` path (`$(V)/Kconfig` -> Kconfig): a place, such as the directory of
    the platform being built (OpenSBI's `$(OPENSBI_PLATFORM_SRC_DIR)/Kconfig`)."""
    from checker.collect.kconfig_shims import after_variable, source_variables

    places: dict[str, str] = {}
    for text in texts:
        for variable, patterns in source_variables(text).items():
            if variable in env:
                continue
            for pattern in patterns:
                rest = after_variable(pattern, variable)
                if rest is not None:
                    places.setdefault(variable, rest)
    return places


def place_env(path: str, places: Mapping[str, str], texts: Mapping[str, str],
              reached: set[str], root: str) -> dict[str, str]:
    """The place variables a configuration at DIR/configs/... gives DIR: when DIR holds
    the file the variable is followed by and no `source` reaches it otherwise (OpenSBI's
    platform/generic/configs/defconfig is built with platform/generic/Kconfig; a NuttX
    board's Kconfig, which boards/Kconfig already sources, is not read twice). None
    when two variables would take the directory."""
    parts = path.split("/")
    if "configs" not in parts[:-1]:
        return {}
    directory = "/".join(parts[:parts.index("configs")])
    if root and directory != root and not directory.startswith(root + "/"):
        return {}
    value = directory[len(root) + 1:] if root and directory != root else \
        "." if root else directory or "."
    out: dict[str, str] = {}
    for variable, rest in places.items():
        target = posixpath.normpath(f"{directory}/{rest}" if directory else rest)
        if target in texts and target not in reached:
            out[variable] = value
    return out if len(out) == 1 else {}  # two would read one file twice: which is not known


@dataclass
class Evaluation:
    """What the configurations enable: per configuration the wanted symbols, and over
    all of them the census (`UsageInputs.census`) symbols defined and built."""

    enabled: dict[str, list[str]] = field(default_factory=dict)
    defined: set[str] = field(default_factory=set)
    built: set[str] = field(default_factory=set)
    # wanted symbol -> the announced-deprecated symbols it needs, over every parse
    # (kconfiglib_reader.deprecation_needs; [] when one parse enables it without them)
    needs: dict[str, list[str] | None] = field(default_factory=dict)

    def built_share(self) -> float | None:
        """The share of the census the configurations build (None: no census)."""
        if not self.enabled or not self.defined:
            return None
        return round(len(self.built & self.defined) / len(self.defined), 3)

    def add(self, part: Mapping[str, Any]) -> None:
        self.enabled.update(part["enabled"])
        self.defined.update(part["defined"])
        self.built.update(part["built"])
        for name, needs in part["needs"].items():
            self.needs[name] = merge_needs(self.needs.get(name), needs)

    def as_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "defined": sorted(self.defined),
                "built": sorted(self.built), "needs": self.needs}


def merge_needs(a: list[str] | None, b: list[str] | None) -> list[str] | None:
    """What a symbol needs over two parses (two architectures), or a unit of two symbols
    (built where either is): nothing when either is enabled without an announced symbol;
    what either needs where it can be enabled; None when neither can be."""
    if a is None or b is None:
        return b if a is None else a
    return [] if not a or not b else sorted(set(a) | set(b))


def evaluate(inputs: UsageInputs, tops: Sequence[str], env: Mapping[str, str],
             directories: set[str], wanted: Sequence[str], jobs: int = 2
             ) -> tuple[Evaluation, list[str]]:
    """What each configuration enables of the `wanted` symbols and of the census;
    and warnings."""
    from checker.collect.kconfig import cache_dir

    if not tops or not (wanted or (inputs.configs and inputs.census)):
        return Evaluation(), []
    census = sorted(inputs.census)
    key = _key(inputs, tops, env, wanted, census)
    cached = _cached(cache_dir(), key)
    if cached is not None:
        return cached, []
    from checker.collect.kconfig import statically_sourced
    from checker.collect.kconfig_shims import kconfig_root, variable_bases

    root = kconfig_root(tops[0], inputs.kconfig_texts.get(tops[0], ""), inputs.kconfig_texts)
    bases = variable_bases(inputs.kconfig_texts.values(), root)
    places = place_variables(inputs.kconfig_texts.values(), env)
    reached = statically_sourced(inputs.kconfig_texts, tops, env) if places else set()
    groups: dict[EnvKey, list[Config]] = defaultdict(list)
    for config in inputs.configs:
        chosen = env_for(config.name, env, bases, directories)
        chosen.update(place_env(config.name, places, inputs.kconfig_texts, reached, root))
        groups[tuple(sorted(chosen.items()))].append(config)
    if not groups:  # no configuration: one parse still says what the symbols need
        groups[tuple(sorted(env.items()))] = []
    result, warnings = _run(inputs.kconfig_texts, tops, groups, list(wanted), census,
                            max(1, jobs))
    if not warnings:  # a failed parse is not kept: the next run says so again
        _store(cache_dir(), key, result)
    return result, warnings


def _run(texts: Mapping[str, str], tops: Sequence[str],
         groups: Mapping[EnvKey, list[Config]], wanted: list[str],
         census: list[str], jobs: int) -> tuple[Evaluation, list[str]]:
    """The groups evaluated in `jobs` children as `schedule` spreads them, each child
    parsing the Kconfig once per group or run of one."""
    from checker.collect.kconfig import TIMEOUT
    from checker.collect.kconfiglib_reader import evaluate_group
    from checker.core.isolate import Failed, start_isolated

    shares = schedule(groups, jobs)

    def work(share: list[tuple[EnvKey, list[Config]]]
             ) -> dict[str, Any]:
        import os

        out = Evaluation()
        failed: list[str] = []
        for env_key, configs in share:
            os.environ.clear()
            # kconfiglib_reader sets $srctree itself, to the tree's Kconfig root
            os.environ.update({"KCONFIG_FUNCTIONS": "-", **dict(env_key)})
            try:
                out.add(evaluate_group(texts, tops, [(c.name, c.text) for c in configs],
                                       wanted, census))
            except Exception as exc:  # one parse failing costs its group, not the share
                failed.append(f"{len(configs)} with {_env_text(env_key)} "
                              f"({type(exc).__name__}: {str(exc)[:200]})")
        return {"evaluation": out.as_json(), "failed": failed}

    running = [start_isolated(functools.partial(work, share), {}) for share in shares]
    result = Evaluation()
    warnings: list[str] = []
    for child in running:
        done = child.result(TIMEOUT * 4)
        if isinstance(done, Failed):
            warnings.append(f"configurations: some could not be evaluated ({done.reason})")
            continue
        result.add(done["evaluation"])
        warnings.extend(f"configurations: could not be evaluated: {failed}"
                        for failed in done["failed"])
    return result, warnings


def schedule(groups: Mapping[EnvKey, list[Config]], jobs: int
             ) -> list[list[tuple[EnvKey, list[Config]]]]:
    """The groups spread over `jobs` children: the largest first, each to the least
    loaded. A group is cut into runs of consecutive configurations, each parsed on its
    own, when that shortens the longest child (one architecture holding most of them, or
    a tree with no variable at all: NuttX's 2,046 defconfigs ran in one child). What the
    runs enable is what the group enables: each configuration is loaded on its own, and
    a census symbol built by any run is built."""
    pieces = list(groups.items())
    plan = _spread(pieces, jobs)
    for env_key, configs in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
        for parts in range(2, min(jobs, len(configs)) + 1):
            size = math.ceil(len(configs) / parts)
            trial = [p for p in pieces if p[0] != env_key] + [
                (env_key, configs[start:start + size])
                for start in range(0, len(configs), size)]
            trial_plan = _spread(trial, jobs)
            if _longest(trial_plan) < _longest(plan):
                pieces, plan = trial, trial_plan
    return [share for share in plan if share]


def _spread(pieces: Sequence[tuple[EnvKey, list[Config]]], jobs: int
            ) -> list[list[tuple[EnvKey, list[Config]]]]:
    shares: list[list[tuple[EnvKey, list[Config]]]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for env_key, configs in sorted(pieces, key=lambda g: (-len(g[1]), g[0],
                                                          g[1][0].name if g[1] else "")):
        least = loads.index(min(loads))
        shares[least].append((env_key, configs))
        loads[least] += len(configs) + PARSE_COST
    return shares


def _longest(plan: Sequence[Sequence[tuple[EnvKey, list[Config]]]]) -> int:
    return max(sum(len(configs) + PARSE_COST for _, configs in share) for share in plan)


def _env_text(env_key: EnvKey) -> str:
    return " ".join(f"{k}={v}" for k, v in env_key) or "no variables"


def _key(inputs: UsageInputs, tops: Sequence[str], env: Mapping[str, str],
         wanted: Sequence[str], census: Sequence[str]) -> str:
    from checker.collect.kconfig import CACHE_VERSION

    digest = hashlib.sha256(json.dumps(
        [EVALUATION_VERSION, CACHE_VERSION, list(tops), sorted(env.items()), sorted(wanted),
         list(census)]).encode())
    for path in sorted(inputs.kconfig_texts):
        digest.update(b"\0" + path.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(inputs.kconfig_texts[path].encode("utf-8", "surrogateescape"))
    for config in sorted(inputs.configs, key=lambda c: c.name):
        digest.update(b"\1" + config.name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(config.text.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _cached(directory: Any, key: str) -> Evaluation | None:
    from checker.core.errors import CheckerError
    from checker.load.fsutil import read_file

    if directory is None:
        return None
    try:
        data = json.loads(read_file(directory / f"usage-{key}.json", limit=256 << 20))
        return Evaluation({str(k): [str(s) for s in v] for k, v in data["enabled"].items()},
                          {str(s) for s in data["defined"]}, {str(s) for s in data["built"]},
                          {str(k): None if v is None else [str(s) for s in v]
                           for k, v in data["needs"].items()})
    except (CheckerError, OSError, ValueError, AttributeError, TypeError, KeyError):
        return None


def _store(directory: Any, key: str, result: Evaluation) -> None:
    from checker.core.errors import CheckerError
    from checker.load.fsutil import write_atomic

    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_atomic(directory / f"usage-{key}.json", json.dumps(result.as_json()).encode(),
                     durable=False)
    except (CheckerError, OSError):
        pass


def needed(symbols: Sequence[str], needs: Mapping[str, list[str] | None]) -> list[str] | None:
    """The announced-deprecated symbols a unit cannot be built without: built when any of
    its symbols is, so [] when one of them needs none; None when no symbol is known."""
    known = [needs[s] for s in symbols if s in needs]
    if not known:
        return None
    found = functools.reduce(merge_needs, known)
    return [] if found is None else found  # never enabled at all: not this key's question


def _first(names: list[str] | None, count: int) -> list[str] | None:
    return None if names is None else names[:count]


def configs_by_symbol(enabled: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Symbol -> the configurations that enable it, from configuration -> its enabled
    symbols (built once: asked per driver, the other way costs drivers x configurations)."""
    by_symbol: dict[str, set[str]] = defaultdict(set)
    for name, on in enabled.items():
        for symbol in on:
            by_symbol[symbol].add(name)
    return by_symbol


def driver_usage(symbols: Sequence[str], files: Sequence[str], compatibles: Iterable[str],
                 configs_of: Mapping[str, set[str]], configs_read: int, model: Any,
                 inputs: UsageInputs, changed: Mapping[str, int] | None = None,
                 since: int = 0, share: float | None = None,
                 needs: Mapping[str, list[str] | None] | None = None
                 ) -> dict[str, Any] | None:
    """One driver's usage mapping (see the module docstring); None when the tree says
    nothing about its usage (no known symbol, no configuration, no device tree).
    `configs_of` maps a symbol to the configurations that enable it; `changed` a
    configuration to its newest change in the window that starts at `since` (None:
    not computed); `share` the census share the configurations build; `needs` a symbol
    to the announced-deprecated symbols it needs (Evaluation.needs)."""
    # several symbols (a directory of drivers): built when any of them is; whose select
    # sites and help are the unit's is not known
    known = [model.symbols[s] for s in symbols if model is not None and s in model.symbols] \
        if len(symbols) == 1 else []
    enabling = sorted(set().union(*(configs_of.get(s, ()) for s in symbols)))
    users: set[str] = set()
    wanted = set(compatibles)
    for compatible in wanted:
        users |= inputs.dts_compatibles.get(compatible, set())
    staging = any("/staging/" in f"/{path}" for path in files)
    if not known and not configs_read and not (wanted and inputs.has_dts) and not staging:
        return None
    newest = None
    if changed is not None and enabling:
        newest = max((changed.get(name, since) for name in enabling), default=since)
    configs = len(enabling) if symbols and configs_read else None
    return {
        "configs": configs,
        "configs_read": configs_read,
        "enabled_in": enabling[:ENABLED_IN_SHOWN],
        "configs_changed": None if newest is None else _day(newest),
        "tree_built": None if configs is None else share,
        "selected": sum(s.select_sites for s in known) if known else None,
        "dt_users": len(users) if wanted and inputs.has_dts else None,
        "deprecated": any(announces_deprecation(s.prompt or "", s.help)
                          for s in known) if known else None,
        "needs_deprecated": _first(needed(symbols, needs or {}), NEEDS_SHOWN),
        "staging": staging,
    }


@dataclass(frozen=True)
class UsageOptions:
    """What collect needs to compute usage: the Kconfig rules (the policy's
    `discover.kconfig`) and the configurations a maintainer names."""

    tops: tuple[str, ...] = ("Kconfig",)
    env: EnvKey = ()
    extra_configs: tuple[Config, ...] = ()
    jobs: int = 2
    refresh_files: int = 0  # collect.config_refresh_files; 0: no configs_changed
    window: tuple[int, int] = (0, 0)  # its first second and the second after its end


def read_inputs(repo: Any, sha: str, options: UsageOptions, scope: Iterable[str] = ()
                ) -> tuple[UsageInputs, set[str]]:
    """The tree's Kconfig files, shipped configurations and device-tree sources at `sha`,
    the census of the build files below the top directories in `scope`, and the tree's
    directories."""
    from checker.collect.buildfiles import grammar_of
    from checker.collect.kconfig_model import is_kconfig_file
    from checker.collect.tree import ancestors, list_tree, read_blobs

    entries = [e for e in list_tree(repo, sha) if e.kind == "blob" and e.mode != "120000"]
    directories = {e.path.rsplit("/", 1)[0] for e in entries if "/" in e.path}
    inputs = UsageInputs(configs=list(options.extra_configs))
    tops = set(scope)
    wanted: dict[str, list[tuple[str, str]]] = defaultdict(list)
    builds: dict[str, str] = {}
    for entry in entries:
        top, slash, _ = entry.path.partition("/")
        if slash and top in tops and grammar_of(entry.path.rsplit("/", 1)[-1]):
            wanted[entry.sha].append(("build", entry.path))
        if is_kconfig_file(entry.path):
            wanted[entry.sha].append(("kconfig", entry.path))
        elif is_shipped_config(entry.path):
            wanted[entry.sha].append(("config", entry.path))
        elif entry.path.endswith((".dts", ".dtsi")):
            wanted[entry.sha].append(("dts", entry.path))
    for blob, data in read_blobs(repo, sorted(wanted), []):
        for kind, path in wanted[blob]:
            if kind == "build":
                builds[path] = data.decode("utf-8", "replace")
            elif kind == "kconfig":
                inputs.kconfig_texts[path] = data.decode("utf-8", "replace")
            elif kind == "config":
                text = config_text(data)
                if text is not None:
                    inputs.configs.append(Config(path, text))
                    inputs.tree_configs.add(path)
            else:
                inputs.has_dts = True
                for compatible in dts_compatibles(data.decode("utf-8", "replace")):
                    inputs.dts_compatibles.setdefault(compatible, set()).add(path)
    inputs.census = census(builds, ancestors(e.path for e in entries))
    return inputs, directories


def census(builds: Mapping[str, str], directories: set[str]) -> set[str]:
    """The symbols that build the files the build files compile: for each file a
    statement names, the Kconfig symbol nearest to it (its own, `obj-$(CONFIG_X)`, else
    the innermost conditional around it), as collect and discovery read build files."""
    from checker.collect.buildfiles import parse_build_file

    out: set[str] = set()
    for path in sorted(builds):
        for item in parse_build_file(path, builds[path], directories.__contains__).items:
            if item.gates and not item.is_dir:
                out.add(item.gates[-1])
    return out


def usage_signals(repo: Any, sha: str, drivers: Mapping[str, tuple[Sequence[str],
                  Sequence[str], Iterable[str]]], options: UsageOptions,
                  changes: Any = None) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Driver id -> its usage mapping; `drivers` maps an id to (its Kconfig symbols, its
    files, its compatibles). `changes`: the window's configuration changes, when the
    caller started listing them early (confighistory.ConfigChanges)."""
    from checker.collect.kconfig import start_kconfig

    scope = {path.split("/", 1)[0] for _, files, _ in drivers.values() for path in files
             if "/" in path}
    inputs, directories = read_inputs(repo, sha, options, scope)
    tops = [t for t in options.tops if t in inputs.kconfig_texts]
    env = dict(options.env)
    pending = start_kconfig(inputs.kconfig_texts, tops, env) if tops else None
    wanted = sorted({s for symbols, _, _ in drivers.values() for s in symbols})
    evaluation, warnings = evaluate(inputs, tops, env, directories, wanted, options.jobs)
    enabled = evaluation.enabled
    model = pending.model() if pending is not None else None
    configs_read = len(enabled)
    share = evaluation.built_share()
    configs_of = configs_by_symbol(enabled)
    since, until = options.window
    changed: dict[str, int] | None = None
    if changes is None and options.refresh_files and until and enabled:
        from checker.collect.confighistory import ConfigChanges

        changes = ConfigChanges(repo, sha, since, until, options.refresh_files)
    if changes is not None and enabled:
        changed = changes.last_changes(inputs.tree_configs & set(enabled))
        # a configuration a maintainer names (a distribution's) is current
        changed.update({name: until - 1 for name in enabled if name not in inputs.tree_configs})
    out = {}
    for driver, (symbols, files, compatibles) in drivers.items():
        found = driver_usage(list(symbols), list(files), compatibles, configs_of, configs_read,
                             model, inputs, changed, since, share, evaluation.needs)
        if found is not None:
            out[driver] = found
    return out, warnings


def _day(stamp: int) -> Any:
    """The UTC day of a committer time (a date)."""
    from checker.collect.gitrepo import utc_day

    return utc_day(stamp)
