"""Kconfig read by kconfiglib, in a forked child (see checker/collect/kconfig.py)."""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from checker.collect.kconfig_model import KconfigModel, Symbol, announces_deprecation

FAKE_ROOT = "/nonexistent/driver-policy-tree"
SRCTREE = "srctree"  # the variable kconfiglib reads $srctree from (lower case, as Kbuild's)

MAX_RETRIES = 40
# A file with this many lines left out or repaired is read as empty instead: one file
# written for another Kconfig reader costs its own symbols, not every architecture's
# (each retry is a parse of the whole tree, and MAX_RETRIES bounds them all).
FILE_FAILURES = 10

# Outside strings and comments, the characters Kconfig's own lexer reads: words (with
# `-`), operators, quotes, macros, continuations. It skips any other with a warning
# ("ignoring unsupported character"), where kconfiglib rejects the line: NuttX's
# `config MUTEX_TYPES:` (2016) made its whole Kconfig unreadable.
_SUPPORTED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                       "_- \t\r\n&|()!=<>$\\")
# the exceptions kconfiglib raises on a line it accepted but cannot use (a property
# after an entry it left out lands on a menu: AttributeError)
_CRASHES = (AttributeError, TypeError, ValueError, KeyError, IndexError)

MAX_WARNINGS = 200

# `CONFIG_X=...` and `# CONFIG_X is not set`: the symbols a configuration names
_NAMED = re.compile(r"^(?:# )?CONFIG_([A-Za-z0-9_]+)[= ]", re.MULTILINE)


def parse(texts: Mapping[str, str], tops: Sequence[str], extra: Sequence[str],
           env: Mapping[str, str]) -> KconfigModel:
    import kconfiglib

    kconf, vfs, warnings = load(texts, tops, extra)
    return KconfigModel(_symbols(kconfiglib, kconf, vfs), tuple(sorted(vfs.read)),
                        tuple(warnings), "kconfiglib", dict(env))


def load(texts: Mapping[str, str], tops: Sequence[str], extra: Sequence[str]
         ) -> tuple[Any, _Files, list[str]]:
    """A kconfiglib.Kconfig of the tree (in this process: call it in a child)."""
    import kconfiglib

    from checker.collect import kconfig_shims

    warnings: list[str] = []
    served = dict(texts)
    rewritten = 0
    for path, text in list(served.items()):
        served[path], changed = kconfig_shims.rewrite_text(text)
        rewritten += changed
    if rewritten:
        warnings.append(f"Kconfig: {rewritten} line(s) rewritten as Kconfig's own lexer reads "
                        "them (`modules` as `option modules`, a help text's first line at "
                        "column 0 as help)")
    # `source` paths are relative to $srctree: the tree's root, or the directory a
    # Kconfig in a subdirectory is written from (xen/); the tops are named in full
    root = kconfig_shims.kconfig_root(tops[0], served.get(tops[0], ""), served) if tops \
        else ""
    top = f"{root}/__driver_policy_top__" if root else "__driver_policy_top__"
    served[top] = "".join(f'source "{FAKE_ROOT}/{p}"\n' for p in [*tops, *extra])
    vfs = _Files(served, warnings, root, tops)
    kconfiglib.iglob = vfs.glob  # the one glob kconfiglib calls: `source` patterns
    functions = kconfig_shims.functions(lambda message: _warn(warnings, message))
    kconfig_class = _kconfig_class()
    for _attempt in range(MAX_RETRIES + 1):
        kconf = kconfig_class.__new__(kconfig_class)
        kconf.files = vfs
        try:
            _init(kconfiglib, kconf, top.rsplit("/", 1)[-1], functions, vfs.srctree)
            break
        except kconfiglib.KconfigError as exc:
            if not vfs.recover(str(exc)):
                raise
        except _CRASHES as exc:  # the line it was reading when it failed
            if not vfs.recover(f"{kconf.filename}:{kconf.linenr}: {type(exc).__name__}: "
                               f"{exc}", repair=False):
                raise
    else:
        raise RuntimeError(f"more than {MAX_RETRIES} lines could not be parsed")
    if kconf.warnings:  # kconfiglib's own remarks on the tree's Kconfig: one line
        first = kconf.warnings[0].splitlines()[0].removeprefix("warning: ")
        _warn(warnings, f"Kconfig: kconfiglib made {len(kconf.warnings)} remark(s) on the "
              f"tree's Kconfig, e.g. {first[:160]}")
    return kconf, vfs, warnings


def enabled_in(texts: Mapping[str, str], tops: Sequence[str],
               configs: Sequence[tuple[str, str]], wanted: Sequence[str],
               census: Sequence[str] = ()) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Config path -> the `wanted` symbols it enables (y or m), each configuration
    loaded as `make olddefconfig` would read it: defaults, `select` and `imply` applied;
    and of the `census` symbols, those the Kconfig defines and those some configuration
    enables."""
    kconf, vfs, _ = load(texts, tops, ())
    return _enabled(kconf, vfs, configs, wanted, census)


def evaluate_group(texts: Mapping[str, str], tops: Sequence[str],
                   configs: Sequence[tuple[str, str]], wanted: Sequence[str],
                   census: Sequence[str] = ()) -> dict[str, Any]:
    """`enabled_in` and `deprecation_needs` of one parse: {"enabled", "defined",
    "built", "needs"}."""
    import kconfiglib

    kconf, vfs, _ = load(texts, tops, ())
    enabled, defined, built = _enabled(kconf, vfs, configs, wanted, census)
    return {"enabled": enabled, "defined": defined, "built": built,
            "needs": deprecation_needs(kconfiglib, kconf, wanted)}


def deprecation_needs(kconfiglib: Any, kconf: Any, wanted: Sequence[str]
                      ) -> dict[str, list[str] | None]:
    """For each `wanted` symbol the Kconfig defines, the symbols announcing deprecation
    (in their prompt or help) without which it cannot be enabled: [] when some way to
    enable it (its dependencies, or a `select`) needs none of them; None when no way
    enables it in this parse at all (it depends on a symbol this architecture does not
    define). Its own announcement is not counted (`deprecated` says that). A symbol
    that depends on one that needs an announced symbol needs it too (a driver of an
    SoC family whose Kconfig says the family is to be removed)."""
    state: dict[str, frozenset[str] | None] = {}  # () free, {..} needs, None never

    def of_symbol(sym: Any) -> frozenset[str] | None:
        if isinstance(sym, kconfiglib.Choice):
            return _FREE
        if sym.is_constant:
            return None if sym is kconf.n else _FREE
        if not sym.nodes:
            return None  # not defined in this parse: n
        if sym.name in state:
            return state[sym.name]
        state[sym.name] = _FREE  # while in progress (a loop through selects): free
        if any(announces_deprecation(n.prompt[0] if n.prompt else "", n.help or "")
               for n in sym.nodes):
            found: frozenset[str] | None = frozenset((sym.name,))
        else:
            found = ways(sym)
        state[sym.name] = found
        return found

    def ways(sym: Any) -> frozenset[str] | None:
        # its dependencies, where a prompt, a default or an imply can turn it on (a
        # symbol with none of them is on only when selected); or a select
        settable = any(n.prompt for n in sym.nodes) or sym.defaults \
            or sym.weak_rev_dep is not kconf.n
        return _either((lambda: of_expr(sym.direct_dep) if settable else None,
                        lambda: of_expr(sym.rev_dep)))

    def of_expr(expr: Any) -> frozenset[str] | None:
        if not isinstance(expr, tuple):
            return of_symbol(expr)
        if expr[0] in (kconfiglib.AND, kconfiglib.OR):
            parts = (functools.partial(of_expr, part) for part in _operands(expr))
            return _both(parts) if expr[0] == kconfiglib.AND else _either(parts)
        return _FREE  # negations and comparisons: assumed satisfiable

    out: dict[str, list[str] | None] = {}
    for name in wanted:
        sym = kconf.syms.get(name)
        if sym is None or not sym.nodes:
            continue
        try:
            found = ways(sym)
        except RecursionError:  # a dependency chain too deep to follow: say nothing
            found = _FREE
        out[name] = None if found is None else sorted(found)
    return out


_FREE: frozenset[str] = frozenset()


def _operands(expr: tuple[Any, ...]) -> Iterator[Any]:
    """The operands of a chain of one operator ((a || b) || c -> a, b, c), as they are
    asked for and without recursion: a symbol that 2,000 others select has a chain that
    deep."""
    stack = [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple) and item[0] == expr[0]:
            stack.extend(reversed(item[1:]))
        else:
            yield item


Part = Callable[[], "frozenset[str] | None"]


def _both(parts: Iterable[Part]) -> frozenset[str] | None:
    """An AND: never when a part never holds (the rest are not asked); else every
    announced symbol a part needs."""
    needs: set[str] = set()
    for part in parts:
        value = part()
        if value is None:
            return None
        needs |= value
    return frozenset(needs)


def _either(parts: Iterable[Part]) -> frozenset[str] | None:
    """An OR: free when a part is (the rest are not asked: a symbol that hundreds
    select is free at its first free selector); else what the parts that can hold
    need."""
    needs: set[str] = set()
    possible = False
    for part in parts:
        value = part()
        if value is None:
            continue
        if not value:
            return _FREE
        possible = True
        needs |= value
    return frozenset(needs) if possible else None


def _enabled(kconf: Any, vfs: _Files, configs: Sequence[tuple[str, str]],
             wanted: Sequence[str], census: Sequence[str]
             ) -> tuple[dict[str, list[str]], list[str], list[str]]:
    symbols = [kconf.syms[name] for name in wanted if name in kconf.syms]
    # kconfiglib has a symbol for every name referenced; defined ones have menu nodes
    counted = [kconf.syms[name] for name in census if name in kconf.syms
               and kconf.syms[name].nodes]
    # Of the census, only symbols no configuration has enabled yet are asked, and a symbol
    # with no default, nothing selecting or implying it and no choice to fall in only
    # where a configuration names it: elsewhere it is n (asking every census symbol in
    # every configuration doubled the time on Linux, whose configurations build few).
    derived = [s for s in counted if s.defaults or s.choice is not None
               or s.rev_dep is not kconf.n or s.weak_rev_dep is not kconf.n]
    named_only = {s.name: s for s in counted} if counted else {}
    for symbol in derived:
        del named_only[symbol.name]
    kconf.warn = False
    out: dict[str, list[str]] = {}
    built: set[str] = set()
    for path, text in configs:
        name = f"__driver_policy_config__/{len(out)}"
        vfs.texts[name] = text
        try:
            kconf.load_config(f"{FAKE_ROOT}/{name}", replace=True)
        except Exception:
            continue
        finally:
            del vfs.texts[name]
        out[path] = [s.name for s in symbols if s.tri_value > 0]
        if derived:
            built.update(s.name for s in derived if s.tri_value > 0)
            derived = [s for s in derived if s.name not in built]
        if named_only:
            for found in _NAMED.findall(text):
                symbol = named_only.get(found)
                if symbol is not None and symbol.tri_value > 0:
                    built.add(found)
                    del named_only[found]
    return out, [s.name for s in counted], sorted(built)


def _init(kconfiglib: Any, kconf: Any, top: str, functions: Mapping[str, Any],
          srctree: str) -> None:
    """Kconfig.__init__ with the shims' preprocessor functions in place of the host's,
    and $srctree (which it reads once) the tree's Kconfig root."""
    import os

    original = kconfiglib._shell_fn, kconfiglib._error_if_fn, kconfiglib._info_fn, \
        kconfiglib._warning_if_fn
    was = os.environ.get(SRCTREE)
    os.environ[SRCTREE] = srctree
    kconfiglib._shell_fn = functions["shell"][0]
    kconfiglib._error_if_fn = functions["error-if"][0]
    kconfiglib._info_fn = functions["info"][0]
    kconfiglib._warning_if_fn = functions["warning-if"][0]
    try:
        kconfiglib.Kconfig.__init__(kconf, top, warn=True, warn_to_stderr=False,
                                    suppress_traceback=False)
    finally:
        (kconfiglib._shell_fn, kconfiglib._error_if_fn, kconfiglib._info_fn,
         kconfiglib._warning_if_fn) = original
        if was is None:
            os.environ.pop(SRCTREE, None)
        else:
            os.environ[SRCTREE] = was


def _warn(warnings: list[str], message: str) -> None:
    if len(warnings) < MAX_WARNINGS:
        warnings.append(message)


class _Files:
    """The tree's Kconfig files, served from memory to kconfiglib."""

    def __init__(self, texts: dict[str, str], warnings: list[str], root: str = "",
                 tops: Iterable[str] = ()) -> None:
        self.texts = texts
        self.tops = set(tops)  # never read as empty: that would leave nothing to read
        self.warnings = warnings
        self.read: set[str] = set()
        self.prefix = FAKE_ROOT + "/"
        self.root = root  # the tree's Kconfig root ($srctree), "" for the tree's root
        self.srctree = f"{FAKE_ROOT}/{root}" if root else FAKE_ROOT
        self.dropped: dict[str, set[int]] = defaultdict(set)
        self.repaired: dict[str, set[int]] = defaultdict(set)
        self.emptied: set[str] = set()  # files read as empty after FILE_FAILURES

    def tree_path(self, filename: str) -> str:
        """A path kconfiglib names (relative to $srctree, or absolute) in the tree."""
        if filename.startswith(self.prefix):
            return filename[len(self.prefix):]
        return f"{self.root}/{filename}" if self.root else filename

    def relative(self, path: str) -> str | None:
        if not path.startswith(self.prefix):
            return None
        clean = posixpath.normpath(path[len(self.prefix):])
        return None if clean.startswith("../") or clean == ".." else clean

    def glob(self, pattern: str) -> Iterable[str]:
        rel = self.relative(pattern)
        if rel is None:
            _warn(self.warnings, f"Kconfig: source {pattern!r} is outside the tree: not read")
            return []
        if not any(c in rel for c in "*?["):
            if rel in self.texts:
                return [self.prefix + rel]
            _warn(self.warnings, f"Kconfig: {rel}: sourced but not in the tree: read as "
                  "empty")
            self.texts[rel] = ""
            return [self.prefix + rel]
        parts = rel.split("/")
        return [self.prefix + p for p in sorted(self.texts)
                if len(p.split("/")) == len(parts)
                and all(fnmatch.fnmatchcase(a, b) for a, b in zip(p.split("/"), parts,
                                                                  strict=True))]

    def open(self, filename: str) -> Any:
        import io

        rel = self.relative(filename) if filename.startswith("/") else \
            posixpath.normpath(filename)
        if rel is None or rel not in self.texts:
            raise FileNotFoundError(2, "not in the tree", filename)
        self.read.add(rel)
        return io.StringIO(self.texts[rel])

    def recover(self, message: str, repair: bool = True) -> bool:
        """Read again past the line a kconfiglib error names: without the characters
        Kconfig's lexer ignores, when it has any and was not repaired already; else
        left out. False when the message names no line of the tree, or one left out."""
        match = re.match(r"\s*([^\s:]+):(\d+):", message)
        if not match:
            # a block a file opens and does not close (`expected 'endchoice' at end of
            # 'arch/mips/Kconfig'`): no line to leave out; the file is read as empty
            unclosed = re.search(r"at end of '([^'\n]{1,4096})'", message)
            return unclosed is not None and self.empty(self.tree_path(unclosed.group(1)),
                                                       message)
        path = self.tree_path(match.group(1))
        number = int(match.group(2))
        if path not in self.texts or number < 1 or number in self.dropped[path]:
            return False
        if len(self.dropped[path]) + len(self.repaired[path]) >= FILE_FAILURES:
            return self.empty(path, f"{FILE_FAILURES} or more lines could not be parsed")
        lines = self.texts[path].splitlines(keepends=True)
        if number > len(lines):
            return False
        if repair and number not in self.repaired[path]:
            kept, ignored = without_unsupported(lines[number - 1])
            if ignored:
                self.repaired[path].add(number)
                lines[number - 1] = kept
                self.texts[path] = "".join(lines)
                _warn(self.warnings, f"Kconfig: {path}:{number}: unsupported character(s) "
                      f"{ignored!r} ignored, as Kconfig's own lexer does")
                return True
        body = _entry_body(lines, number - 1)
        for index in range(number - 1, number + body):
            self.dropped[path].add(index + 1)
            lines[index] = "# " + lines[index]
        self.texts[path] = "".join(lines)
        _warn(self.warnings, f"Kconfig: {path}:{number}: left out"
              f"{f' with the {body} line(s) of its entry' if body else ''}: "
              f"{message.split(':', 2)[-1].strip().splitlines()[0][:200]}")
        return True

    def empty(self, path: str, why: str) -> bool:
        """Read `path` as empty from now on (once): False when it is not a file of the
        tree, was emptied already or is a top (the line reader then reads the tree)."""
        if path not in self.texts or path in self.emptied or path in self.tops:
            return False
        self.emptied.add(path)
        self.texts[path] = ""
        _warn(self.warnings, f"Kconfig: {path}: read as empty, its symbols undefined: "
              f"{why.strip().splitlines()[0][:200]}")
        return True


_ENTRY = re.compile(r"^([ \t]*)(?:menu)?config\b")


def _entry_body(lines: Sequence[str], index: int) -> int:
    """How many lines after lines[index] are its entry's body, when it opens a
    `config` entry: the blank ones and those indented deeper. Left without its header,
    a body's properties would land on the menu above (and its help be read as
    statements), one parse again each."""
    match = _ENTRY.match(lines[index])
    if match is None:
        return 0
    depth = len(match.group(1).expandtabs(8))
    end = index + 1
    while end < len(lines):
        text = lines[end].rstrip("\r\n")
        indent = text[:len(text) - len(text.lstrip(" \t"))]
        if text.strip() and len(indent.expandtabs(8)) <= depth:
            break
        end += 1
    while end > index + 1 and not lines[end - 1].strip():  # blank lines after it stay
        end -= 1
    return end - index - 1


def without_unsupported(line: str) -> tuple[str, str]:
    """The line without the characters Kconfig's lexer skips (outside strings and
    comments), and those characters. A preprocessor line (`$(`, `:=`, `+=`) is kept
    whole: its text is the macro language's, not the lexer's."""
    if "$(" in line or ":=" in line or "+=" in line:
        return line, ""
    kept: list[str] = []
    ignored: list[str] = []
    quote = ""
    for position, char in enumerate(line):
        if quote:
            quote = "" if char == quote and line[position - 1] != "\\" else quote
        elif char in "\"'":
            quote = char
        elif char == "#":
            kept.append(line[position:])
            break
        elif char not in _SUPPORTED:
            ignored.append(char)
            continue
        kept.append(char)
    return "".join(kept), "".join(ignored)


def _kconfig_class() -> Any:
    import kconfiglib

    class Kconfig(kconfiglib.Kconfig):  # type: ignore[misc]
        files: _Files

        def _open(self, filename: str, mode: str) -> Any:
            return self.files.open(filename)

    return Kconfig


def _symbols(kconfiglib: Any, kconf: Any, vfs: _Files) -> dict[str, Symbol]:
    selected_by: dict[str, set[str]] = defaultdict(set)
    implied_by: dict[str, set[str]] = defaultdict(set)
    sites: dict[str, set[tuple[str, int]]] = defaultdict(set)  # each select/imply line
    defined = [s for s in kconf.unique_defined_syms if s.nodes]
    for sym in defined:
        for target, _ in sym.selects:
            selected_by[target.name].add(sym.name)
        for target, _ in sym.implies:
            implied_by[target.name].add(sym.name)
        for node in sym.nodes:
            for target, _ in [*node.selects, *node.implies]:
                sites[target.name].add((vfs.tree_path(node.filename), node.linenr))
    out: dict[str, Symbol] = {}
    for sym in defined:
        prompt = next((n.prompt[0] for n in sym.nodes if n.prompt), None)
        help_text = next((n.help for n in sym.nodes if n.help), "") or ""
        depends = sorted({item.name for item in kconfiglib.expr_items(sym.direct_dep)
                          if isinstance(item, kconfiglib.Symbol) and not item.is_constant
                          and item.name != sym.name})
        out[sym.name] = Symbol(
            name=sym.name,
            type=kconfiglib.TYPE_TO_STR.get(sym.orig_type, "unknown") or "unknown",
            prompt=prompt,
            help=help_text,
            defined_at=tuple((vfs.tree_path(n.filename), n.linenr) for n in sym.nodes),
            depends=tuple(depends),
            selects=tuple(sorted({t.name for t, _ in sym.selects})),
            implies=tuple(sorted({t.name for t, _ in sym.implies})),
            selected_by=tuple(sorted(selected_by.get(sym.name, ()))),
            implied_by=tuple(sorted(implied_by.get(sym.name, ()))),
            menu=_menus(kconfiglib, sym.nodes[0]),
            has_default=bool(sym.defaults),
            select_sites=len(sites.get(sym.name, ())),
        )
    return out


def _menus(kconfiglib: Any, node: Any) -> tuple[str, ...]:
    titles = []
    parent = node.parent
    while parent is not None and parent.parent is not None:
        if parent.item is kconfiglib.MENU and parent.prompt:
            titles.append(parent.prompt[0])
        parent = parent.parent
    return tuple(reversed(titles))
