"""Kconfig read by kconfiglib (checker/collect/kconfig*.py): shims, fallbacks, isolation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checker.collect import kconfig_shims as shims
from checker.collect import kconfiglib_reader as reader
from checker.collect.kconfig import read_kconfig, statically_sourced
from checker.collect.kconfig_text import read_text
from checker.core.isolate import Failed, run_isolated

# --- shims, one test each -----------------------------------------------------------


def test_modules_alone_is_read_as_option_modules() -> None:
    assert shims.rewrite_line("\tmodules\n") == ("\toption modules\n",
                                                 "`modules` read as `option modules`")
    assert shims.rewrite_line("\tdepends on MODULES\n") == ("\tdepends on MODULES\n", None)
    assert shims.rewrite_text("config M\n\tbool\n\tmodules\n\ttransitional\n") == (
        "config M\n\tbool\n\toption modules\n\t# transitional\n", 2)


def test_a_help_text_starting_at_column_0_is_help_as_kconfig_reads_it() -> None:
    """barebox's commands/Kconfig of 2016: kconfiglib ended the help at its first line
    and failed on each line after it (more than the reader's retries)."""
    text = ("config CMD_FILETYPE\n\ttristate\n\tprompt \"filetype\"\n\thelp\n"
            "Detect file type\n\n\t  Usage: filetype [-vsl] FILE\n\n"
            "config CMD_LN\n\ttristate\n\thelp\n\n\t  Create symlink\n"
            # after a blank line, a line at column 0 ends the help (barebox's MIPS)
            "choice\n\tprompt \"e\"\nconfig BE\n\tbool \"be\"\n\thelp\n\nendchoice\n")
    assert shims.rewrite_text(text) == (text.replace("\nDetect", "\n\tDetect"), 1)
    kconf, _, _ = reader.load({"Kconfig": text}, ["Kconfig"], ())
    assert kconf.syms["CMD_FILETYPE"].nodes[0].help == (
        "Detect file type\n\n  Usage: filetype [-vsl] FILE")
    assert kconf.syms["CMD_LN"].nodes[0].help == "Create symlink"
    assert kconf.syms["BE"].choice is not None


@pytest.mark.parametrize(("command", "answer"), [
    # the version scripts of Linux's scripts/, whatever path they are called by
    ("/tree/scripts/cc-version.sh gcc", "GCC 120200"),
    ("$(srctree)/scripts/ld-version.sh ld", "BFD 24000"),
    ("/x/scripts/rustc-version.sh rustc", "0"),
    # Linux's if-success: a toolchain probe succeeds, a test is evaluated
    ('{ gcc -Werror -mfoo -c -x c /dev/null -o /dev/null; } >/dev/null 2>&1 && echo "y" '
     '|| echo "n"', "y"),
    ('{ test -z "GCC 120200"; } >/dev/null 2>&1 && echo "y" || echo "n"', "n"),
    ('{ test "4" -ge "3"; } >/dev/null 2>&1 && echo "yes" || echo "no"', "yes"),
    ('{ [ -e /etc/passwd ]; } >/dev/null 2>&1 && echo "y" || echo "n"', "n"),
    ("set -- GCC 120200 && echo $2", "120200"),
    ("echo hello world", "hello world"),
])
def test_shell_is_answered_from_the_command_text(command: str, answer: str) -> None:
    warnings: list[str] = []
    assert shims.shell(command, warnings.append) == answer
    assert warnings == []


def test_shell_never_runs_anything(tmp_path: os.PathLike[str]) -> None:
    warnings: list[str] = []
    marker = os.path.join(str(tmp_path), "ran")
    assert shims.shell(f"touch {marker}", warnings.append) == ""
    assert not os.path.exists(marker)
    assert warnings == [f"$(shell,touch {marker}) not run: read as empty"]
    assert shims.shell("x" * 5000, warnings.append) == ""
    assert warnings[-1] == "$(shell,...) of 5,000 characters not read: read as empty"


def test_env_takes_the_sibling_directory_that_ships_the_most_configurations() -> None:
    top = 'source "arch/$(SRCARCH)/Kconfig"\nsource "$(APPSDIR)/Kconfig"\n'
    files = ["arch/arm/Kconfig", "arch/x86/Kconfig", "arch/um/Kconfig", "apps/Kconfig"]
    configs = {"arch/arm": 3, "arch/x86": 5, "arch": 8, "apps": 1}
    # APPSDIR starts a path: a place, not a choice among siblings
    assert shims.choose_env(top, files, configs) == {"SRCARCH": "x86"}
    assert shims.choose_env(top, files, {}) == {}


@pytest.mark.parametrize(("sources", "env"), [
    # OpenSBI: the variable is the tree's root, every path below it a file there
    (["lib/utils/Kconfig", "lib/sbi/Kconfig", "firmware/Kconfig"], {"SRC_DIR": "."}),
    # one stale `source` among them does not undo it
    (["lib/utils/Kconfig", "lib/sbi/Kconfig", "gone/Kconfig"], {"SRC_DIR": "."}),
    # NuttX: `$(APPSDIR)/Kconfig` is another repository's; here it would be the top
    (["Kconfig"], {}),
    (["lib/utils/Kconfig", "Kconfig"], {}),
    # mostly not in the tree: a place outside it
    (["lib/utils/Kconfig", "x/Kconfig", "y/Kconfig"], {}),
])
def test_a_variable_that_starts_its_paths_is_the_root_when_they_are_there(
        sources: list[str], env: dict[str, str]) -> None:
    top = "".join(f'source "$(SRC_DIR)/{path}"\n' for path in sources)
    files = ["Kconfig", "lib/utils/Kconfig", "lib/sbi/Kconfig", "firmware/Kconfig"]
    assert shims.choose_env(top, files, {}, tops=["Kconfig"]) == env


@pytest.mark.parametrize(("top", "text", "root"), [
    # Linux: the top is at the root
    ("Kconfig", 'source "arch/$(SRCARCH)/Kconfig"\nsource "drivers/Kconfig"\n', ""),
    # Xen: the Kconfig is written from xen/, whose paths its `source` lines name
    ("xen/Kconfig", 'source "scripts/Kconfig.include"\nsource "arch/$(SRCARCH)/Kconfig"\n'
     'source "Kconfig.debug"\n', "xen"),
    # a top in a subdirectory whose `source` paths start at the tree's root (a glob too)
    ("src/Kconfig", 'source "src/mainboard/Kconfig"\nsource "src/superio/*/Kconfig"\n', ""),
    # nothing literal to go by: the tree's root
    ("sub/Kconfig", 'source "$(SRCARCH)/Kconfig"\nrsource "Kconfig.local"\n', ""),
])
def test_the_kconfig_root_is_where_the_top_s_source_paths_resolve(
        top: str, text: str, root: str) -> None:
    paths = {"Kconfig", "drivers/Kconfig", "xen/Kconfig", "xen/Kconfig.debug",
             "xen/scripts/Kconfig.include", "src/Kconfig", "src/mainboard/Kconfig",
             "src/superio/ite/Kconfig", "sub/Kconfig", "sub/Kconfig.local", "Kconfig.debug"}
    assert shims.kconfig_root(top, text, paths) == root


XEN = {
    "xen/Kconfig": 'mainmenu "X"\nsource "arch/$(SRCARCH)/Kconfig"\nsource "Kconfig.debug"\n',
    "xen/Kconfig.debug": 'config DEBUG\n\tbool "Debug"\n',
    "xen/arch/x86/Kconfig": 'config X86\n\tdef_bool y\nsource "common/Kconfig"\n',
    "xen/arch/arm/Kconfig": 'config ARM\n\tdef_bool y\nsource "common/Kconfig"\n',
    "xen/common/Kconfig": 'config DRV\n\tbool "a driver"\n\tdepends on X86\n',
}


def test_a_kconfig_in_a_subdirectory_is_read_from_there() -> None:
    """`source` paths relative to the directory the top sits in (Xen's xen/): every file
    is read, and where a symbol is defined is a path in the tree."""
    model = read_kconfig(XEN, ["xen/Kconfig"], {"SRCARCH": "x86"})
    assert model.engine == "kconfiglib"
    assert [w for w in model.warnings if "sourced but not in the tree" in w] == []
    assert set(model.symbols) == {"DEBUG", "X86", "DRV"}
    assert model.symbols["DRV"].defined_at == (("xen/common/Kconfig", 1),)
    assert model.symbols["DRV"].depends == ("X86",)
    assert statically_sourced(XEN, ["xen/Kconfig"], {"SRCARCH": "x86"}) == {
        "xen/Kconfig", "xen/Kconfig.debug", "xen/arch/x86/Kconfig", "xen/common/Kconfig"}
    # the variable's value is learned below that directory too
    files = [*XEN, "xen/arch/x86/configs/x86_64_defconfig"]
    assert shims.choose_env(XEN["xen/Kconfig"], files, {"xen/arch/x86": 1}, root="xen") == {
        "SRCARCH": "x86"}
    assert shims.variable_bases(XEN.values(), "xen") == {"SRCARCH": "xen/arch"}


# --- the reader ---------------------------------------------------------------------

TREE = {
    "Kconfig": 'mainmenu "T"\nsource "arch/$(SRCARCH)/Kconfig"\nsource "drivers/Kconfig"\n'
               'source "gen/Kconfig.generated"\n',
    "arch/x86/Kconfig": "config X86\n\tdef_bool y\n",
    "drivers/Kconfig": (
        'menu "Drivers"\nconfig CORE\n\tbool "Core"\n\tmodules\n\nif CORE\n'
        'config A\n\ttristate "A driver"\n\tselect LIB\n\timply EXTRA\n\thelp\n'
        "\t  Drives A.\n\t  Second line.\n\n"
        "config LIB\n\ttristate\n\nconfig EXTRA\n\ttristate \"Extra\"\n"
        'config VERSION\n\tstring\n\tdefault "$(shell,echo 12)"\n'
        "config LEAK\n\tstring\n\tdefault \"$(HOME)\"\nendif\nendmenu\n"
        'rsource "sub/*.kconfig"\n'),
    "drivers/sub/b.kconfig": 'config B\n\tbool "B"\n\tdepends on CORE && !A\n',
}


def test_kconfiglib_reads_symbols_with_their_menus_deps_and_help() -> None:
    model = read_kconfig(TREE, ["Kconfig"], {"SRCARCH": "x86"})
    assert model.engine == "kconfiglib"
    a = model.symbols["A"]
    assert (a.type, a.prompt, a.help, a.depends, a.selects, a.implies, a.menu) == (
        "tristate", "A driver", "Drives A.\nSecond line.", ("CORE",), ("LIB",), ("EXTRA",),
        ("Drivers",))
    assert model.symbols["LIB"].selected_by == ("A",)
    assert model.symbols["EXTRA"].implied_by == ("A",)
    assert model.symbols["B"].depends == ("A", "CORE")
    assert "X86" in model.symbols
    assert set(model.files) >= {"Kconfig", "drivers/Kconfig", "drivers/sub/b.kconfig"}
    assert ("Kconfig: gen/Kconfig.generated: sourced but not in the tree: read as empty"
            in model.warnings)


def test_the_tree_cannot_read_this_process_s_environment() -> None:
    os.environ["DRIVER_POLICY_SECRET"] = "s3cret"
    try:
        tree = {"Kconfig": 'config LEAK\n\tstring "x"\n\tdefault "$(DRIVER_POLICY_SECRET)'
                           '$(HOME)"\nconfig ENV\n\tstring\n\toption env="PATH"\n'}
        model = read_kconfig(tree, ["Kconfig"], {})
        assert model.engine == "kconfiglib"
    finally:
        del os.environ["DRIVER_POLICY_SECRET"]
    # the child's environment held only srctree: nothing else can be expanded
    assert run_isolated(lambda: sorted(os.environ), 30, {"srctree": "/t"}) == ["srctree"]


def test_a_recursive_source_is_left_out_with_a_warning() -> None:
    model = read_kconfig({"Kconfig": 'source "Kconfig"\nconfig A\n\tbool "A"\n'},
                         ["Kconfig"], {})
    assert (model.engine, set(model.symbols)) == ("kconfiglib", {"A"})
    assert any(w.startswith("Kconfig: Kconfig:1: left out:") for w in model.warnings)


def test_a_line_kconfiglib_cannot_parse_is_left_out_with_a_warning() -> None:
    tree = {"Kconfig": 'config A\n\tbool "A"\n\tfrobnicate wildly\n\nconfig B\n\tbool "B"\n'}
    model = read_kconfig(tree, ["Kconfig"], {})
    assert model.engine == "kconfiglib"
    assert {"A", "B"} <= set(model.symbols)
    assert any(w.startswith("Kconfig: Kconfig:3: left out:") for w in model.warnings)


def test_characters_kconfig_s_lexer_skips_are_skipped_with_a_warning() -> None:
    """NuttX's sched/Kconfig of 2016 (`config MUTEX_TYPES:` in a menu with a dependency):
    Kconfig's lexer skips the colon; kconfiglib rejects the line, and left out, its
    properties landed on the menu and crashed it, so the whole tree was read by the
    line reader."""
    tree = {"Kconfig": 'menu "Pthread Options"\n\tdepends on !DISABLE_PTHREAD\n\n'
                       'config MUTEX_TYPES:\n\tbool "Enable mutex types"\n\tdefault n\n'
                       '\t---help---\n\t\tSet to enable: recursive mutexes.\n\nendmenu\n'
                       'config DISABLE_PTHREAD\n\tbool "No threads"\n'}
    model = read_kconfig(tree, ["Kconfig"], {})
    assert model.engine == "kconfiglib"
    assert (model.symbols["MUTEX_TYPES"].prompt, model.symbols["MUTEX_TYPES"].depends) == (
        "Enable mutex types", ("DISABLE_PTHREAD",))
    assert model.warnings == ("Kconfig: Kconfig:4: unsupported character(s) ':' ignored, "
                              "as Kconfig's own lexer does",)


def test_an_entry_whose_header_cannot_be_parsed_is_left_out_whole() -> None:
    tree = {"Kconfig": 'menu "P"\n\tdepends on Q\n\nconfig A B\n\tbool "A"\n'
                       '\tdefault y\n\thelp\n\t  text: here\n\nconfig C\n\tbool "C"\n'
                       '\nendmenu\nconfig Q\n\tbool "Q"\n'}
    model = read_kconfig(tree, ["Kconfig"], {})
    assert (model.engine, set(model.symbols), model.symbols["C"].depends) == (
        "kconfiglib", {"C", "Q"}, ("Q",))
    assert model.warnings == (
        "Kconfig: Kconfig:4: left out with the 4 line(s) of its entry: error: couldn't "
        "parse 'config A B': extra tokens at end of line",)


def test_a_line_kconfiglib_crashes_on_is_left_out() -> None:
    # `bool` on a menu: kconfiglib raises AttributeError, not a KconfigError
    tree = {"Kconfig": 'menu "P"\n\tbool "not a symbol"\nconfig A\n\tbool "A"\nendmenu\n'}
    model = read_kconfig(tree, ["Kconfig"], {})
    assert (model.engine, set(model.symbols)) == ("kconfiglib", {"A"})
    assert model.warnings == ("Kconfig: Kconfig:2: left out: AttributeError: 'int' object "
                              "has no attribute 'orig_type'",)


def test_a_file_with_many_lines_kconfiglib_cannot_parse_is_read_as_empty() -> None:
    """Each left-out line costs a parse of the whole tree, and MAX_RETRIES bounds them:
    past FILE_FAILURES lines one file costs its own symbols, not the whole parse (barebox
    2016 lost every architecture's configurations to one help text)."""
    from checker.collect.kconfiglib_reader import FILE_FAILURES

    bad = "config BAD\n\tbool \"bad\"\n" + "".join(
        f"  word{n}: not Kconfig\n" for n in range(FILE_FAILURES + 5))
    tree = {"Kconfig": 'source "bad/Kconfig"\nconfig A\n\tbool "A"\n',
            "bad/Kconfig": bad}
    model = read_kconfig(tree, ["Kconfig"], {})
    assert (model.engine, set(model.symbols)) == ("kconfiglib", {"A"})
    assert model.warnings[-1] == (f"Kconfig: bad/Kconfig: read as empty, its symbols "
                                  f"undefined: {FILE_FAILURES} or more lines could not be "
                                  f"parsed")
    assert len(model.warnings) == FILE_FAILURES + 1


def test_a_file_that_leaves_a_block_open_is_read_as_empty() -> None:
    tree = {"Kconfig": 'source "m/Kconfig"\nconfig A\n\tbool "A"\n',
            "m/Kconfig": 'choice\n\tprompt "p"\nconfig B\n\tbool "B"\n'}
    model = read_kconfig(tree, ["Kconfig"], {})
    assert (model.engine, set(model.symbols)) == ("kconfiglib", {"A"})
    assert model.warnings == ("Kconfig: m/Kconfig: read as empty, its symbols undefined: "
                              "error: expected 'endchoice' at end of 'm/Kconfig'",)


@pytest.mark.parametrize(("line", "kept", "ignored"), [
    ("config MUTEX_TYPES:\n", "config MUTEX_TYPES\n", ":"),
    ('\tdefault "a:b;c"  # x: y\n', '\tdefault "a:b;c"  # x: y\n', ""),
    ("\tdepends on A && (B || !C) ; \\\n", "\tdepends on A && (B || !C)  \\\n", ";"),
    ("X := $(shell,a:b)\n", "X := $(shell,a:b)\n", ""),
    ("config 3COM-X.\n", "config 3COM-X\n", "."),
])
def test_without_unsupported_keeps_strings_comments_and_macros(line: str, kept: str,
                                                              ignored: str) -> None:
    from checker.collect.kconfiglib_reader import without_unsupported

    assert without_unsupported(line) == (kept, ignored)


def test_a_tree_kconfiglib_cannot_read_falls_back_to_the_line_reader() -> None:
    # more lines kconfiglib cannot parse than it is worth parsing again for
    tree = {"Kconfig": "".join(f"frob {n}\n" for n in range(60)) + 'config A\n\tbool "A"\n'}
    model = read_kconfig(tree, ["Kconfig"], {})
    assert model.engine == "text"
    assert model.warnings[0].startswith("Kconfig: kconfiglib could not read the tree (")
    assert model.symbols["A"].prompt == "A"


def test_a_source_outside_the_tree_is_never_read() -> None:
    tree = {"Kconfig": 'source "/etc/passwd"\nsource "../../etc/passwd"\n'
                       'config A\n\tbool "A"\n'}
    model = read_kconfig(tree, ["Kconfig"], {})
    assert set(model.symbols) == {"A"}
    assert any("outside the tree" in w for w in model.warnings)


def test_statically_sourced_follows_literal_paths_globs_and_env() -> None:
    reached = statically_sourced(TREE, ["Kconfig"], {"SRCARCH": "x86"})
    assert reached == {"Kconfig", "arch/x86/Kconfig", "drivers/Kconfig",
                       "drivers/sub/b.kconfig"}


def test_line_reader_reads_ifs_menus_selects_and_help() -> None:
    model = read_text(TREE)
    a = model.symbols["A"]
    assert (a.prompt, a.depends, a.selects, a.implies, a.help.strip(), a.menu) == (
        "A driver", ("CORE",), ("LIB",), ("EXTRA",), "Drives A.\nSecond line.", ("Drivers",))
    assert model.symbols["LIB"].selected_by == ("A",)


# --- isolation -----------------------------------------------------------------------


def test_run_isolated_returns_results_errors_and_stops_runaways() -> None:
    assert run_isolated(lambda: {"a": 1}, 30) == {"a": 1}

    def boom() -> None:
        raise RecursionError("too deep")

    assert run_isolated(boom, 30) == Failed("RecursionError: too deep")

    def forever() -> None:
        while True:
            pass

    assert run_isolated(forever, 1) == Failed("stopped after 1 s")


def test_parses_are_cached_by_content_and_a_planted_file_is_ignored(
        tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.collect import kconfig

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tree = {"Kconfig": 'config CACHED\n\tbool "Cached"\n\thelp\n\t  text\n'}
    first = read_kconfig(tree, ["Kconfig"], {})
    stored = list((kconfig.cache_dir() or Path()).glob("*.json"))
    assert len(stored) == 1
    import checker.core.isolate

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(checker.core.isolate, "run_isolated", no_parse)
    assert read_kconfig(tree, ["Kconfig"], {}) == first
    stored[0].write_text('{"symbols": [{"name": 1}]}')  # not what we wrote: a miss
    assert kconfig._cached(stored[0].stem) is None
    monkeypatch.setenv("DRIVER_POLICY_NO_CACHE", "1")
    assert kconfig.cache_dir() is None
