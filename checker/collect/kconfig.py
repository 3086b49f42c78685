"""A tree's Kconfig at one revision, read by kconfiglib (a real Kconfig implementation).

`read_kconfig(texts, tops, env)` -> `KconfigModel`: every symbol with its type,
prompt, help text, where it is defined, what it depends on (its own `depends on` and
those of the `if` blocks and menus around it), what it selects and implies and what
selects and implies it, and the menus above it.

The Kconfig files come from git objects (no checkout): kconfiglib reads them from
memory, `source` globs match the tree's own paths only (nothing outside it is read),
and the tree's own `source` structure is followed from its top file. What kconfiglib
cannot read is answered file by file, never with a stop:

- keywords newer than kconfiglib, help text at column 0, `$(shell,...)` and the other
  preprocessor functions:
  `checker/collect/kconfig_shims.py` (nothing is ever run);
- a `source` of a file that is not in the tree (generated files, variables that name
  places outside it): read as empty, with a warning;
- a line kconfiglib cannot parse, or crashes on: read without the characters Kconfig's
  own lexer skips (`config MUTEX_TYPES:`), else left out (a `config` line with its
  entry's indented body), with a warning, and the parse done again (at most MAX_RETRIES
  times);
- Kconfig files that no `source` reaches from the top (`extra`): read after it;
- anything else (a crash, a recursion too deep, a parse running past its time): every
  file is read by the line reader of `checker/collect/kconfig_text.py`, with a warning.

The parse runs in a forked child (`checker/core/isolate.py`) whose environment holds
only the variables given: a tree cannot read this process's environment through
`$(VAR)` or `option env=`, nor make kconfiglib import a module of its choosing.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from checker.collect.kconfig_model import KconfigModel, Symbol

TIMEOUT = 300.0  # seconds for one parse of a whole tree


def read_kconfig(texts: Mapping[str, str], tops: Sequence[str], env: Mapping[str, str],
                 extra: Sequence[str] = (), timeout: float = TIMEOUT) -> KconfigModel:
    """The symbols of the tree whose Kconfig files are `texts` (path -> text), read from
    `tops` (each a path in `texts`, read in order), then `extra`."""
    return start_kconfig(texts, tops, env, extra, timeout).model()


class KconfigRead:
    """A parse under way in a forked child (or already at hand, from the cache)."""

    def __init__(self, texts: Mapping[str, str], env: Mapping[str, str], key: str,
                 running: Any = None, done: KconfigModel | None = None,
                 timeout: float = TIMEOUT) -> None:
        self.texts, self.env, self.key = texts, env, key
        self.running, self.done, self.timeout = running, done, timeout

    def model(self) -> KconfigModel:
        if self.done is not None:
            return self.done
        from checker.core.isolate import Failed

        result = self.running.result(self.timeout)
        if isinstance(result, Failed):
            from checker.collect.kconfig_text import read_text

            text = read_text(self.texts)
            note = f"Kconfig: kconfiglib could not read the tree ({result.reason}); every " \
                "Kconfig file was read line by line instead (menus, if blocks and " \
                "macros are approximated)"
            self.done = KconfigModel(text.symbols, text.files, (note, *text.warnings),
                                     "text", dict(self.env))
        else:
            assert isinstance(result, KconfigModel)
            _store(self.key, result)
            self.done = result
        return self.done


def start_kconfig(texts: Mapping[str, str], tops: Sequence[str], env: Mapping[str, str],
                  extra: Sequence[str] = (), timeout: float = TIMEOUT) -> KconfigRead:
    """Start reading the tree's Kconfig in a child (the caller goes on meanwhile)."""
    from checker.collect.kconfiglib_reader import parse
    from checker.core.isolate import start_isolated

    if not tops and not extra:
        return KconfigRead(texts, env, "", done=KconfigModel({}, env=dict(env)))
    key = _key(texts, tops, env, extra)
    cached = _cached(key)
    if cached is not None:
        return KconfigRead(texts, env, key, done=cached)
    # the child's whole environment ($srctree is set by the reader, to the Kconfig root)
    environ = {"KCONFIG_FUNCTIONS": "-", **env}
    running = start_isolated(lambda: parse(texts, tops, extra, env), environ)
    return KconfigRead(texts, env, key, running=running, timeout=timeout)


# --- a cache of parses, by content: `init` learns and `new` discovers on the same tree

CACHE_VERSION = 6  # 6: a file failing 10 lines is read as empty; 5: help text at column 0


def cache_dir() -> Path | None:
    if os.environ.get("DRIVER_POLICY_NO_CACHE"):
        return None
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(home) / "driver-policy" / "kconfig"


def _key(texts: Mapping[str, str], tops: Sequence[str], env: Mapping[str, str],
         extra: Sequence[str]) -> str:
    import kconfiglib

    digest = hashlib.sha256(json.dumps(
        [CACHE_VERSION, kconfiglib.VERSION, list(tops), sorted(env.items()), list(extra)]
    ).encode())
    for path in sorted(texts):
        digest.update(b"\0" + path.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(texts[path].encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _cached(key: str) -> KconfigModel | None:
    """The model stored for `key`, or None (absent, unreadable, not what we wrote). JSON,
    never pickle: a planted file can at worst name wrong symbols, never run code."""
    from checker.core.errors import CheckerError
    from checker.load.fsutil import read_file

    directory = cache_dir()
    if directory is None:
        return None
    try:
        data = json.loads(read_file(directory / f"{key}.json", limit=256 << 20))
        return KconfigModel(
            {s["name"]: _symbol(s) for s in data["symbols"]}, tuple(data["files"]),
            tuple(data["warnings"]), str(data["engine"]), dict(data["env"]))
    except (CheckerError, OSError, ValueError, KeyError, TypeError):
        return None


def _symbol(data: dict[str, Any]) -> Symbol:
    return Symbol(
        name=str(data["name"]), type=str(data["type"]),
        prompt=None if data["prompt"] is None else str(data["prompt"]), help=str(data["help"]),
        defined_at=tuple((str(p), int(n)) for p, n in data["defined_at"]),
        depends=tuple(data["depends"]), selects=tuple(data["selects"]),
        implies=tuple(data["implies"]), selected_by=tuple(data["selected_by"]),
        implied_by=tuple(data["implied_by"]), menu=tuple(data["menu"]),
        has_default=bool(data["has_default"]), select_sites=int(data["select_sites"]))


def _store(key: str, model: KconfigModel) -> None:
    from checker.core.errors import CheckerError
    from checker.load.fsutil import write_atomic

    directory = cache_dir()
    if directory is None or model.engine != "kconfiglib":  # a fallback is not kept
        return
    payload: dict[str, Any] = {
        "symbols": [{"name": s.name, "type": s.type, "prompt": s.prompt, "help": s.help,
                     "defined_at": [list(d) for d in s.defined_at],
                     "depends": list(s.depends), "selects": list(s.selects),
                     "implies": list(s.implies), "selected_by": list(s.selected_by),
                     "implied_by": list(s.implied_by), "menu": list(s.menu),
                     "has_default": s.has_default, "select_sites": s.select_sites}
                    for s in model.symbols.values()],
        "files": list(model.files),
        "warnings": list(model.warnings), "engine": model.engine, "env": dict(model.env)}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_atomic(directory / f"{key}.json", json.dumps(payload).encode(), durable=False)
    except (CheckerError, OSError):
        pass  # a cache that cannot be written is a slower next run, nothing more


def statically_sourced(texts: Mapping[str, str], tops: Sequence[str],
                       env: Mapping[str, str]) -> set[str]:
    """The Kconfig files the `source` lines reach from `tops`, read as text: variables
    from `env` are put in, a path that still holds a variable is not followed, a path
    is relative to the first top's Kconfig root (`kconfig_shims.kconfig_root`). Used to
    tell which files no `source` reaches (kconfiglib reads those after the top)."""
    import fnmatch

    from checker.collect.kconfig_shims import kconfig_root, source_lines

    reached: set[str] = set()
    queue = [t for t in tops if t in texts]
    root = kconfig_root(queue[0], texts[queue[0]], texts) if queue else ""
    paths = sorted(texts)
    while queue:
        current = queue.pop()
        if current in reached:
            continue
        reached.add(current)
        for kind, pattern in source_lines(texts[current]):
            for name, value in env.items():
                pattern = pattern.replace(f"$({name})", value).replace(f"${name}", value)
            if "$" in pattern:
                continue
            if kind.startswith(("r", "or")):
                pattern = f"{current.rsplit('/', 1)[0]}/{pattern}" if "/" in current \
                    else pattern
            elif root:
                pattern = f"{root}/{pattern}"
            if any(c in pattern for c in "*?["):
                queue.extend(p for p in paths if fnmatch.fnmatchcase(p, pattern))
            elif pattern in texts:
                queue.append(pattern)
    return reached
