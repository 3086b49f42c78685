"""Units from what the build and Kconfig say: one per Kconfig symbol that builds objects.

A symbol S is the unit of every object it decides (its own statement's symbol, else the
nearest symbol above it: `obj-$(CONFIG_S) += d/` makes S the unit of `d/`'s `obj-y`
objects). Then, from the tree's Kconfig (`checker/collect/kconfig.py`; the table of
docs/collect.md, "What the build says: units"):

- no symbol (built whenever its directory is): skip `always-built`;
- no Kconfig file defines it: skip `unknown-symbol`;
- defined only outside the discovered directories (a SoC's, `PROC_FS`): each of its
  objects with an entry point is a unit of its own, the rest skip `gated-outside`;
- no prompt, selected only by one user-visible symbol that builds nothing itself: a
  unit of that symbol;
- no prompt, selected only by symbols defined outside the directories (a platform
  selects its timer) and an entry point in its files: a unit;
- no prompt, selected by others (or a prompt, selected by three or more, and no entry
  point in its files): skip `library`;
- no prompt, not selected: a unit with an entry point in its files, else skip `hidden`;
- a prompt: a unit (`require_entry_point`, for all symbols or bool ones, asks for an
  entry point, else `not-a-driver`); a bool one that depends on another unit's symbol,
  builds files beside that unit's and has no entry point is an option of that unit;
- `subsystem_core_dependents` or more units' symbols depend on it: skip
  `subsystem-core`.

A symbol that builds several objects of its own (`obj-$(CONFIG_S) += a.o b.o`), two or
more of which have an entry point, gives one unit per such object (ib_core, ib_cm,
iw_cm); its other objects go with the first. A unit whose files are every built source
below one directory is that directory (`granularity: directory`), else its files.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.collect.kconfig_model import KconfigModel, Symbol
from checker.discover.graph import Obj, Tree, name_of, parent, under
from checker.discover.model import Skipped

ALWAYS_BUILT = "always-built"
UNKNOWN_SYMBOL = "unknown-symbol"
GATED_OUTSIDE = "gated-outside"
LIBRARY = "library"
HIDDEN = "hidden"
NOT_A_DRIVER = "not-a-driver"
NO_SOURCES = "no-sources"
SUBSYSTEM_CORE = "subsystem-core"

SELECTED_LIBRARY = 3  # a symbol with a prompt that this many select, registering nothing


@dataclass
class Candidate:
    """A unit before it has a name and an id."""

    path: str
    include: list[str]
    kconfig: list[str]
    granularity: str  # directory | files
    stem: str
    files: list[str]
    explicit: bool = False
    symbol: Symbol | None = None
    objects: list[Obj] = field(default_factory=list)
    split: bool = False  # one of several units of one symbol
    named_by_object: bool = False  # its stem is a module's name (amdgpu.o), kept
    outside: bool = False  # gated by a symbol of elsewhere: its prompt does not name it


def symbol_units(objects: Sequence[Obj], kconfig: KconfigModel, roots: Sequence[str],
                 entry: Callable[[Sequence[str]], str | None],
                 require_entry_point: str, core_dependents: int = 0
                 ) -> tuple[list[Candidate], list[Skipped]]:
    """Candidates and skips from the objects of the walk (`entry(files)` names the
    entry point found in those files, or None). With `core_dependents` N > 0, a symbol
    that N or more other units' symbols depend on is the core of a subsystem (I2C,
    DRM, ACPI), skipped as `subsystem-core`."""
    groups: dict[str | None, list[Obj]] = defaultdict(list)
    for obj in sorted(objects, key=lambda o: o.order):
        groups[obj.symbol].append(obj)
    candidates: list[Candidate] = []
    skipped: list[Skipped] = []
    for symbol_name, objs in groups.items():
        files = sorted({f for o in objs for f in o.files})
        if symbol_name is None:
            for obj in objs:
                if obj.files:
                    skipped.append(Skipped(_where([obj]), ALWAYS_BUILT, f"built whenever "
                                           f"its directory is ({obj.build_file}:{obj.line} "
                                           "gives it no Kconfig symbol)", tuple(obj.files)))
            continue
        where = _where(objs)
        if not files:
            skipped.append(Skipped(where, NO_SOURCES, f"CONFIG_{symbol_name} names no source "
                                "file that is in the tree"))
            continue
        symbol = kconfig.get(symbol_name)
        if symbol is None:
            skipped.append(Skipped(where, UNKNOWN_SYMBOL, f"CONFIG_{symbol_name}: no Kconfig "
                                "file of the tree defines it", tuple(files)))
            continue
        if roots and not any(under(path, root) for path, _ in symbol.defined_at
                             for root in roots):
            # a symbol of elsewhere (a SoC's, PROC_FS): each of its objects that registers
            # a driver is a unit of its own (a SoC's clock driver), the rest is skipped
            outside = f"CONFIG_{symbol_name} is defined in {symbol.defined_at[0][0]}, " \
                f"outside {', '.join(r + '/' for r in roots)}"
            for obj in objs:
                if obj.files and entry(obj.files) is not None:
                    candidate = _candidate(symbol, [obj], split=True)
                    candidate.outside = True
                    candidates.append(candidate)
                elif obj.files:
                    skipped.append(Skipped(_where([obj]), GATED_OUTSIDE, outside,
                                           tuple(obj.files)))
            continue
        if not symbol.user_visible:
            selector = _sole_selector(symbol, kconfig, groups)
            if selector is not None:
                # the driver of a user-visible symbol that builds nothing itself and
                # selects this one (`config BQ769X0 ... select I2C_BQ769X0`)
                candidate = _candidate(symbol, objs, split=False)
                candidate.kconfig.insert(0, selector.name)
                candidate.symbol = selector
                candidates.append(candidate)
                continue
            if symbol.selected_by and _selected_from_outside(symbol, kconfig, roots) \
                    and entry(files) is not None:
                # a driver a platform selects (`select AMBA_SP804` in arch/): a unit
                candidates.extend(_split(symbol, objs, entry))
                continue
            if symbol.selected_by:
                shown = ", ".join(symbol.selected_by[:3]) + (
                    f" and {len(symbol.selected_by) - 3} more"
                    if len(symbol.selected_by) > 3 else "")
                skipped.append(Skipped(where, LIBRARY, f"CONFIG_{symbol_name} has no prompt and "
                                    f"is selected by {shown}", tuple(files)))
                continue
            if entry(files) is None:
                skipped.append(Skipped(where, HIDDEN, f"CONFIG_{symbol_name} has no prompt, "
                                    "nothing selects it and no file of it has an entry "
                                    "point", tuple(files)))
                continue
        elif len(symbol.selected_by) >= SELECTED_LIBRARY and entry(files) is None:
            # a helper with a prompt that many others select (INPUT_FF_MEMLESS)
            skipped.append(Skipped(where, LIBRARY, f"CONFIG_{symbol_name} is selected by "
                                   f"{len(symbol.selected_by)} symbols and no file of it has "
                                   "an entry point", tuple(files)))
            continue
        elif _required(require_entry_point, symbol) and entry(files) is None:
            skipped.append(Skipped(where, NOT_A_DRIVER, f"CONFIG_{symbol_name} has a prompt "
                                "but no file of it has an entry point", tuple(files)))
            continue
        candidates.extend(_split(symbol, objs, entry))
    if core_dependents > 0:
        candidates = _without_cores(candidates, skipped, core_dependents)
    return _options_folded(candidates, entry), skipped


def _options_folded(candidates: list[Candidate], entry: Callable[[Sequence[str]], str | None]
                    ) -> list[Candidate]:
    """A bool symbol that depends on another unit's symbol, builds files beside that
    unit's named after them (wm8994_debug.c beside wm8994.c) and registers nothing is an
    option of that unit (a driver's register dump): its files and symbol go there."""
    by_symbol: dict[str, Candidate] = {}
    for candidate in candidates:
        if candidate.symbol is not None and not candidate.split:
            by_symbol.setdefault(candidate.symbol.name, candidate)
    kept = []
    for candidate in candidates:
        symbol = candidate.symbol
        host = None
        if symbol is not None and symbol.type == "bool" and not candidate.split \
                and not candidate.outside:
            dirs = {parent(f) for f in candidate.files}
            for name in symbol.depends:
                other = by_symbol.get(name)
                if other is not None and other is not candidate and \
                        dirs <= {parent(f) for f in other.files} and \
                        _named_after(candidate.files, other.files):
                    host = other
                    break
        if host is None or entry(candidate.files) is not None:
            kept.append(candidate)
            continue
        host.files = sorted({*host.files, *candidate.files})
        host.kconfig.extend(k for k in candidate.kconfig if k not in host.kconfig)
        host.objects.extend(candidate.objects)
    return kept


def _named_after(files: Sequence[str], others: Sequence[str]) -> bool:
    stems = {name_of(f).rsplit(".", 1)[0] for f in others if "." in name_of(f)}
    return any(name_of(f).startswith(stem) and name_of(f) != stem for f in files
               for stem in stems if len(stem) >= 3)


def _without_cores(candidates: list[Candidate], skipped: list[Skipped],
                   threshold: int) -> list[Candidate]:
    symbols = {c.symbol.name: c.symbol for c in candidates if c.symbol is not None}
    dependents: dict[str, set[str]] = defaultdict(set)
    for name, symbol in symbols.items():
        for dependency in symbol.depends:
            if dependency in symbols and dependency != name:
                dependents[dependency].add(name)
    kept = []
    for candidate in candidates:
        name = candidate.symbol.name if candidate.symbol else ""
        count = len(dependents.get(name, ()))
        if count >= threshold and not candidate.outside:
            skipped.append(Skipped(candidate.path, SUBSYSTEM_CORE, f"CONFIG_{name}: the "
                                   f"symbols of {count} units depend on it (the core of a "
                                   "subsystem, not a driver)", tuple(candidate.files)))
            continue
        kept.append(candidate)
    return kept


def scan_for_entry(objects: Sequence[Obj], kconfig: KconfigModel,
                   require_entry_point: str, roots: Sequence[str] = ()) -> list[str]:
    """The source files whose entry points `symbol_units` will ask for: every file
    with `require_entry_point`, else those of symbols without a prompt that nothing
    selects, and of symbols that build several objects of their own."""
    own: dict[str, int] = defaultdict(int)
    for obj in objects:
        if obj.own:
            own[obj.own] += 1
    out = []
    for obj in objects:
        name = obj.symbol
        symbol = kconfig.get(name) if name else None
        if symbol is None:
            continue
        outside = bool(roots) and not any(under(path, root) for path, _ in symbol.defined_at
                                          for root in roots)
        if outside or _required(require_entry_point, symbol) or own[symbol.name] >= 2 or \
                len(symbol.selected_by) >= SELECTED_LIBRARY or (
                    not symbol.user_visible and symbol.selected_by) or (
                not symbol.user_visible and not symbol.selected_by):
            out.extend(obj.files)
    return out


def _selected_from_outside(symbol: Symbol, kconfig: KconfigModel, roots: Sequence[str]
                           ) -> bool:
    """Whether every symbol that selects `symbol` is defined outside the roots (a
    platform's: the SoC selects its timer, its pin controller)."""
    if not roots:
        return False
    for name in symbol.selected_by:
        selector = kconfig.get(name)
        if selector is None or any(under(path, root) for path, _ in selector.defined_at
                                   for root in roots):
            return False
    return True


def _sole_selector(symbol: Symbol, kconfig: KconfigModel, groups: Mapping[str | None, Any]
                   ) -> Symbol | None:
    """The one user-visible symbol that selects `symbol` and builds nothing itself."""
    if len(symbol.selected_by) != 1:
        return None
    selector = kconfig.get(symbol.selected_by[0])
    if selector is None or not selector.user_visible or selector.name in groups:
        return None
    return selector


def _required(requirement: str, symbol: Symbol) -> bool:
    return requirement == "all" or (requirement == "bool" and symbol.type == "bool")


def _where(objs: Sequence[Obj]) -> str:
    """How a skip names what it skips: the one source file, else the object's stem."""
    files = {f for o in objs for f in o.files}
    if len(files) == 1:
        return next(iter(files))
    first = objs[0].path
    return first[:-2] if first.endswith(".o") else first


def _split(symbol: Symbol, objs: list[Obj], entry: Callable[[Sequence[str]], str | None]
           ) -> list[Candidate]:
    own = [o for o in objs if o.own == symbol.name and o.files]
    heads = [o for o in own if entry(o.files) is not None] if len(own) >= 2 else []
    if len(heads) < 2:
        return [_candidate(symbol, objs, split=False)]
    groups: dict[str, list[Obj]] = {o.path: [o] for o in heads}
    for obj in objs:
        if obj not in heads:
            groups[heads[0].path].append(obj)
    return [_candidate(symbol, group, split=True) for group in groups.values()]


def _candidate(symbol: Symbol, objs: list[Obj], split: bool) -> Candidate:
    files = sorted({f for o in objs for f in o.files})
    options = sorted({s for o in objs for s in o.options} - {symbol.name})
    # the object the symbol builds by its own statement names the unit (xe.o, not a
    # generated object listed first)
    head = next((o for o in objs if o.own == symbol.name and o.path.endswith(".o")), objs[0])
    stem = name_of(head.path)
    for suffix in (".o", ".c", ".S", ".rs", ".s"):
        stem = stem.removesuffix(suffix)
    path = files[0] if len(files) == 1 else f"{parent(head.path)}/{stem}".lstrip("/")
    return Candidate(path, list(files), [symbol.name, *options], "files", stem, files,
                     symbol=symbol, objects=list(objs), split=split,
                     named_by_object=head.own == symbol.name and head.path.endswith(".o"))


def settle_paths(candidates: list[Candidate], tree: Tree, roots: Sequence[str],
                 others: set[str], is_source: Callable[[str], bool]) -> None:
    """A unit whose files are every built source below one directory becomes that
    directory; other units keep their files, with a header of the same stem.
    `others` are the files that skipped objects build."""
    owner: dict[str, int] = {}
    for number, candidate in enumerate(candidates):
        for path in candidate.files:
            owner.setdefault(path, number)
    # directory -> who builds the sources below it (-1: a skipped object)
    builders: dict[str, set[int]] = defaultdict(set)
    for path, who in [*owner.items(), *((p, -1) for p in others)]:
        if not is_source(path) or path.endswith(".h"):
            continue
        directory = parent(path)
        while directory and who not in builders[directory]:
            builders[directory].add(who)
            directory = parent(directory)
    for number, candidate in enumerate(candidates):
        if candidate.granularity == "directory" or candidate.explicit:
            continue  # a marked directory, or a path asked for: already what it is
        directory = _common_dir(candidate.files)
        if directory and directory not in roots and builders.get(directory) == {number}:
            candidate.path = directory
            candidate.include = [f"{directory}/"]
            candidate.granularity = "directory"
            candidate.files = sorted(tree.below(directory))
            if not candidate.split and not candidate.named_by_object:
                candidate.stem = name_of(directory)
            continue
        headers = []
        for path in candidate.files:
            header = f"{path.rsplit('.', 1)[0]}.h"
            if header in tree.all and header not in owner:
                owner[header] = number
                headers.append(header)
        candidate.files = sorted({*candidate.files, *headers})
        candidate.include = list(candidate.files)


def _common_dir(files: Sequence[str]) -> str:
    dirs = {parent(f) for f in files}
    if not dirs:
        return ""
    common = posixpath.commonpath(sorted(dirs)) if all(dirs) else ""
    return common
