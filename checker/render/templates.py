"""The templates/ directory: jinja2's sandbox, the loader, compiled-template cache, errors.

The templates live in the repository's templates/ directory and are rendered with
jinja2 (StrictUndefined, autoescape off, the escaping filters of checker.render.markdown).
The environment and its templates are built once per process; a template that cannot
be rendered is a TemplateError at its file and line. Also what every generated file's
header says (generated_header).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.core.errors import CheckerError, Problem
from checker.render.markdown import FILTERS, Markdown

if TYPE_CHECKING:
    import jinja2



TEMPLATES_DIR = "templates"


CARD_TEMPLATE = "card.md.j2"


INDEX_TEMPLATE = "index.md.j2"


REGENERATE = "driver-policy render"


def _finalize(value: object) -> object:
    """Refuse to print what did not pass through an escaping filter (or is an int)."""
    if isinstance(value, Markdown) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(
        f"a template printed {value!r} ({type(value).__name__}) without an "
        "escaping filter (md_text, md_cell, md_code, md_link, ...)"
    )


@functools.lru_cache(maxsize=8)
def environment(templates: Path) -> jinja2.Environment:
    """One environment per templates directory and process (templates are cached in it).

    Templates come from the repository, so a pull request can change them: they run in
    jinja2's sandbox, which refuses access to Python internals (`__class__`, function
    globals, ...) and to anything that would modify the values they are given.
    """

    if not (templates / CARD_TEMPLATE).exists() or not (templates / INDEX_TEMPLATE).exists():
        raise CheckerError(
            f"{TEMPLATES_DIR}/: the templates {CARD_TEMPLATE} and {INDEX_TEMPLATE} are missing"
        )
    return sandboxed_environment(templates, _finalize, auto_reload=False,
                                 bytecode_cache=_bytecode_cache(templates.parent))


def sandboxed_environment(templates: Path, finalize: Callable[[object], object],
                          **options: Any) -> jinja2.Environment:
    """The settings every project template renders with: jinja2's immutable sandbox,
    strict undefined values, no autoescape (the escaping filters do it, and `finalize`
    refuses anything printed without one) and the project's filters."""
    import jinja2
    from jinja2 import sandbox

    env = sandbox.ImmutableSandboxedEnvironment(
        loader=_repository_loader()(templates),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize,
        **options,
    )
    env.filters.update(FILTERS)
    return env


MAX_TEMPLATE_BYTES = 1024 * 1024


@functools.cache
def _repository_loader() -> Callable[[Path], jinja2.BaseLoader]:
    import jinja2

    from checker.load.fsutil import FileAccessError, read_text

    class RepositoryLoader(jinja2.BaseLoader):
        """Templates read through the one door (checker.load.fsutil.read_file): a template,
        or a directory on its way, that is a symbolic link is refused (a link to
        `.git/config` would print it into a card), as is a FIFO or a file over
        MAX_TEMPLATE_BYTES. A refusal is a TemplateError at the template."""

        def __init__(self, directory: Path) -> None:
            self.directory = directory

        def get_source(self, environment: jinja2.Environment,
                       template: str) -> tuple[str, str, Callable[[], bool]]:
            parts = jinja2.loaders.split_template_path(template)  # refuses '..'
            path = self.directory.joinpath(*parts)
            shown = f"{TEMPLATES_DIR}/{'/'.join(parts)}"
            if not path.exists() and not path.is_symlink():
                raise jinja2.TemplateNotFound(template)
            try:
                source = read_text(path, shown, root=self.directory.parent,
                                   limit=MAX_TEMPLATE_BYTES)
            except FileAccessError as exc:
                raise TemplateError(Problem(shown, 1, 1, "", exc.reason,
                                            rule="template")) from None
            return source, str(path), lambda: True

    return RepositoryLoader


def _bytecode_cache(root: Path) -> jinja2.BytecodeCache | None:
    """Compiled templates kept beside the check cache, so a short run does not compile
    the card template again.

    A cache file is code that jinja2 runs (and unpickles), and the cache directory sits
    in the repository, where a pull request could add files. So the files are named by
    a hash keyed with the check cache's per-user secret (checker.load.cache, kept outside any
    repository): a planted file never has the name of one this process reads. A cache
    directory that is a symbolic link is not used.
    """
    import os

    from checker.core.environment import NO_CACHE, flag
    from checker.load.cache import CACHE_DIR, code_signature, secret_key

    if flag(NO_CACHE):
        return None
    configured = os.environ.get("DRIVER_POLICY_CACHE_DIR")
    base = Path(configured) if configured else root / CACHE_DIR
    directory = base / "jinja"
    if (not configured and base.is_symlink()) or directory.is_symlink():
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _keyed_bytecode_cache()(str(directory), secret_key(), code_signature())


@functools.cache
def _keyed_bytecode_cache() -> Callable[[str, bytes, str], jinja2.BytecodeCache]:
    import hashlib
    import os

    import jinja2

    class KeyedBytecodeCache(jinja2.FileSystemBytecodeCache):
        """jinja2's file cache with file names that only this user can compute (a keyed
        hash under the cache's per-user secret), which change with the checker's code
        (compiled templates depend on the environment's options, not only on their
        source, which is all jinja2 checks)."""

        def __init__(self, directory: str, key: bytes, code: str) -> None:
            super().__init__(directory, "t-%s.cache")
            self._key, self._code = key[:64], code

        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            digest = hashlib.blake2b(key=self._key, digest_size=20)
            # the file name as the OS holds it: a repository's path need not be UTF-8
            digest.update(f"{self._code}|{name}|".encode("utf-8", "surrogateescape")
                          + os.fsencode(filename or ""))
            return digest.hexdigest()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            """A cache that cannot be written (read-only, disk full) only costs time."""
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            """A damaged file (jinja2 only catches some damage) is a cache miss."""
            try:
                super().load_bytecode(bucket)
            except Exception:  # truncated or garbled: compile the template again
                bucket.reset()

    return KeyedBytecodeCache


def generated_header(sources: Sequence[str]) -> str:
    return (
        f"Generated by `{REGENERATE}` from "
        + ", ".join(sources)
        + f". Do not edit by hand: change those files and run `{REGENERATE}`."
    )


class TemplateError(CheckerError):
    """A template that cannot be rendered, with where and why (a Problem)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.problem = problem


def render_template(env: jinja2.Environment, templates: Path, name: str,
                    context: Mapping[str, Any]) -> str:
    """Render templates/`name`; a template that does not compile or fails while
    rendering (a syntax error, an undefined name, an unescaped value, something the
    sandbox refuses, an error in its own expressions) is a TemplateError at its line."""
    import jinja2

    try:
        result: str = env.get_template(name).render(context)
    except CheckerError:
        raise
    except (jinja2.TemplateError, ArithmeticError, AssertionError, AttributeError,
            LookupError, RecursionError, TypeError, ValueError) as exc:
        # AssertionError: jinja2's own filters assert on their arguments (truncate(-5))
        raise TemplateError(template_problem(templates, name, exc)) from None
    return result


def template_problem(templates: Path, name: str, exc: BaseException) -> Problem:
    """Where in which template `exc` happened (the innermost template frame), and what."""
    import traceback

    import jinja2

    where, line = name, 1
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where, line = exc.name or name, exc.lineno or 1
    else:  # jinja2 rewrites the traceback: template frames carry the template's lines
        bases = {str(templates) + "/", str(templates.resolve()) + "/"}
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            filename = frame.f_code.co_filename
            base = next((b for b in bases if filename.startswith(b)), None)
            if base is not None:
                where, line = filename[len(base):], lineno
    if isinstance(exc, jinja2.TemplateNotFound):
        reason = f"template {exc.name!r} not found in {TEMPLATES_DIR}/"
    elif isinstance(exc, RecursionError):
        reason = "templates include or call each other without end"
    else:
        text = str(getattr(exc, "message", None) or exc).strip()
        reason = text.splitlines()[0] if text else type(exc).__name__
    return Problem(f"{TEMPLATES_DIR}/{where}", max(line, 1), 1, "",
                   f"cannot render the template: {reason}", rule="template")
