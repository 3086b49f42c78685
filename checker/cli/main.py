"""Command line: parse arguments, dispatch to one command, one error boundary.

Each module in checker.cli.commands has `register(subparsers)` which adds its parser and
sets `func` to a typed function `(args) -> int`. Heavy imports live inside those
functions so that `driver-policy validate FILE` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from datetime import date

from checker import __version__
from checker.cli.commands import COMMANDS, command_module
from checker.core.environment import check_environment
from checker.core.errors import CheckerError, UsageError
from checker.core.output import safe, terminal

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3

EPILOG = """\
exit codes: 0 clean, 1 findings (or an expected failure), 2 usage error,
3 unexpected crash (a bug: please report it with the message shown).

typical use:
  driver-policy check                 validate, recompute verdicts, check cards
  driver-policy explain infiniband/ipoib
  driver-policy render                regenerate cards/ after changing evidence
"""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every command's, or with `only` that command's alone
    (the same parser for that command's arguments)."""
    parser = argparse.ArgumentParser(
        prog="driver-policy",
        description="Lifecycle policy for the drivers of Linux or another kernel-style tree: "
        "evidence in drivers/, policy "
        "in policies/, verdicts recomputed and explained, Markdown cards in cards/.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-C",
        "--repo",
        default=".",
        metavar="DIR",
        help="the policy repository to work on (default: the current directory)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only problems and results: no summaries, notes or progress bars",
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour output: auto (default) uses it on a terminal unless NO_COLOR is set",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (only,) if only is not None else COMMANDS:
        command_module(name).register(sub)
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or tcsh)",
        description="Print a completion script for every command and option, generated "
        "from this command line's own parser (by shtab), so it never falls behind.",
        epilog="examples:\n"
        "  driver-policy completion bash > ~/.local/share/bash-completion/completions/"
        "driver-policy\n"
        "  driver-policy completion zsh > \"${fpath[1]}/_driver-policy\"",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"))
    for command in sub.choices.values():  # `driver-policy render -q` as well as `-q render`
        if "--quiet" in command._option_string_actions:
            continue  # the command has its own (new)
        command.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                             help="print only problems and results")
    completion.set_defaults(func=lambda args: _completion(parser, args.shell))
    return parser


# the main parser's own options that take a value, written out whole
_VALUED = ("-C", "--repo", "--color")


def named_command(argv: Sequence[str]) -> str | None:
    """The command `argv` runs, when that is certain before parsing: its first word that
    is not an option, with nothing before it but the main parser's own options written
    out whole (an abbreviation, a cluster such as `-qC`, `--help` or anything else: None,
    and then every command is registered, as for `--help` and usage errors)."""
    at = 0
    while at < len(argv):
        word = argv[at]
        if word in ("-q", "--quiet"):
            at += 1
        elif word in _VALUED:
            at += 2
        elif word.startswith(("--repo=", "--color=")) or (word.startswith("-C") and word != "-C"):
            at += 1
        else:
            return word if word in COMMANDS else None
    return None


def _completion(parser: argparse.ArgumentParser, shell: str) -> int:
    import shtab

    sys.stdout.write(shtab.complete(parser, shell=shell))
    return EXIT_OK


def _command_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The (sub)command's own parser, so that its usage errors show its usage."""
    current = parser
    while True:
        actions = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if not actions:
            return current
        chosen = getattr(args, actions[0].dest, None)
        if chosen not in actions[0].choices:
            return current
        current = actions[0].choices[chosen]


def main(argv: Sequence[str] | None = None) -> int:
    only = named_command(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only) if only is not None else build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # reported by the command's own parser, with its usage
            _command_parser(parser, args).error(
                f"unrecognized arguments: {safe(' '.join(extra))}")
    except SystemExit as exc:  # argparse reports usage errors itself, with code 2
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    from checker.core import output

    output.configure(quiet=args.quiet, color=args.color)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if getattr(args, "today", None) is None:
        args.today = date.today()  # the one reading of the clock; commands take args.today
    try:
        check_environment()  # a variable that means nothing is a usage error
        return int(args.func(args))
    except UsageError as exc:
        print(f"driver-policy {args.command}: usage error: {terminal(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except CheckerError as exc:
        print(f"driver-policy {args.command}: {terminal(str(exc))}", file=sys.stderr)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        print("driver-policy: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # the environment, not a bug: disk full, read-only, permissions
        from checker.load.fsutil import describe

        where = exc.filename if isinstance(exc.filename, str) else "a file"
        print(f"driver-policy {args.command}: {safe(where)}: {safe(describe(exc))}",
              file=sys.stderr)
        return EXIT_FINDINGS
    except Exception as exc:  # the one place a crash becomes a message
        import traceback

        traceback.print_exc(file=sys.stderr)
        print(
            f"driver-policy {args.command}: internal error ({type(exc).__name__}: "
            f"{safe(exc)}); "
            "this is a bug in driver-policy, please report it with the trace above",
            file=sys.stderr,
        )
        return EXIT_BUG


def entry() -> None:
    """The `driver-policy` program: main(), then an exit that skips freeing every object
    one by one (15 ms of a 0.2 s one-file `validate` on a repository of 9,800 drivers).
    What an exit must do still happens: output flushed, atexit handlers run (worker
    processes, temporary directories). With a thread still running, or under a profiler
    or a coverage tracer (which write their results at exit), the ordinary exit."""
    import os

    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left (`| head`): what was asked for was shown
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    # (a thread started through threading imported it; not imported, there is none)
    threading = sys.modules.get("threading")
    if (threading is not None and threading.active_count() > 1) \
            or sys.getprofile() or sys.gettrace():
        raise SystemExit(code)  # a thread to wait for; a profiler or coverage to write
    import atexit

    atexit._run_exitfuncs()
    os._exit(code)
