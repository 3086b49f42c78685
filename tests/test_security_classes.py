"""One test per class of issue 13 (hostile pull requests and ordinary faults), each named
after its class and failing on the code before the fix. docs/security.md lists the
classes and the layer that closes each; tests/attack_campaign.py tries many more inputs.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import Run


def test_class1_templates_do_not_follow_symbolic_links(
    repo: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    secret = tmp_path / "config"
    secret.write_text("[http]\n\textraheader = AUTHORIZATION: token SECRET-4242\n")
    (repo / "templates/parts").mkdir()
    (repo / "templates/parts/foot.j2").symlink_to(secret)
    card = repo / "templates/card.md.j2"
    card.write_text(card.read_text() + '{% include "parts/foot.j2" %}\n')
    result = cli("-C", str(repo), "render", "--check")
    assert result.code == 1
    assert "SECRET-4242" not in result.out + result.err
    assert result.err == (
        "driver-policy render: templates/parts/foot.j2:1:1: cannot read file: it is a "
        "symbolic link (repository files are never read through links)\n")


def test_class2_check_does_not_follow_a_driver_file_link_or_block_on_a_fifo(
    repo: Path, cli: Callable[..., Run]
) -> None:
    (repo / "drivers/net/zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(repo / "drivers/net/fifo.yaml")
    (repo / "drivers/net/loop.yaml").symlink_to("loop.yaml")
    result = cli("-C", str(repo), "check", "--no-cache")
    assert result.code == 1
    lines = result.out.splitlines()
    link = "cannot read file: it is a symbolic link (repository files are never read through links)"
    assert f"drivers/net/zero.yaml:1:1: {link}" in lines
    assert f"drivers/net/loop.yaml:1:1: {link}" in lines
    assert ("drivers/net/fifo.yaml:1:1: cannot read file: it is a FIFO, not a regular file"
            in lines)


def test_class3_collect_edits_only_the_nodes_it_owns(tmp_path: Path,
                                                     cli: Callable[..., Run]) -> None:
    from test_collect_cli import DRIVER, build_kernel, make_policy_repo

    build_kernel(tmp_path / "linux")
    policy = make_policy_repo(tmp_path / "policy")
    path = policy / "drivers/misc/foo.yaml"
    # a quoted claim continued on a line that looks like a top-level key, U+2028 inside
    # a value, a quoted "signals" key, and CRLF line endings
    text = DRIVER.replace("summary: ", 'summary: "first\nsources: not a key \u2028 x"\nx_: ', 1)
    text = text.replace("\nsignals:", '\n"signals":').replace("\n", "\r\n")
    path.write_bytes(text.encode())
    result = cli("-C", str(policy), "collect", "--kernel", str(tmp_path / "linux"))
    assert result.code in (0, 1), result.err
    new = path.read_bytes().decode()
    assert "\n" not in new.replace("\r\n", "")
    import yaml

    before, after = yaml.safe_load(text), yaml.safe_load(new)
    owned = ("signals", "kconfig", "maintainers_status")
    assert {k: v for k, v in before.items() if k not in owned} == \
        {k: v for k, v in after.items() if k not in owned}
    # an invalid file is refused, not rewritten
    path.write_text(DRIVER + "bad: [unclosed\n")
    result = cli("-C", str(policy), "collect", "--kernel", str(tmp_path / "linux"))
    assert result.code == 1
    assert path.read_text() == DRIVER + "bad: [unclosed\n"
    assert "(not edited: fix the file first)" in result.err


def test_class4_policy_regexes_run_in_a_linear_time_engine() -> None:
    from checker.collect.kbuild import array_bodies
    from checker.collect.rules import CollectRules
    from checker.core.saferegex import regex_problem

    rules = CollectRules(window_months=60, max_files=50, subject_patterns=("^(.+)+Z",),
                         bot_authors=("(x+x+)+y",), source_extensions=(".c",))
    # RE2 answers at once where Python's re backtracks for minutes
    assert not rules.is_mechanical("a" * 40 + "!", "x" * 40, "e@example.org", 1)
    assert regex_problem("a{4294967295}") == (
        "is not a valid regular expression (the repetition number is too large)")
    assert regex_problem("(" * 1200 + "a" + ")" * 1200) == (
        "is 2401 characters long; the limit is 1000")
    assert regex_problem(r"(a)\1").startswith("cannot be run in linear time")
    # the code's own device-table scan: no backtracking (it is a hand scan since issue 23)
    assert array_bodies("static int x[] " + "a" * 26 + ";") == {}


def test_class5_environment_faults_are_exit_1_naming_the_file(repo: Path) -> None:
    """A full disk (a file-size limit gives the same EFBIG/ENOSPC path), then three
    renders at once: exit 1 or 0, never a crash."""
    shutil.rmtree(repo / "cards")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    done = subprocess.run([sys.executable, "-m", "checker", "-C", str(repo), "render"],
                          capture_output=True, text=True, preexec_fn=limit)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "cannot write file: File too large" in done.stderr
    shutil.rmtree(repo / "cards")
    runs = [subprocess.Popen([sys.executable, "-m", "checker", "-C", str(repo), "render"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    for run in runs:
        _, err = run.communicate()
        assert run.returncode == 0, err.decode()


def test_class6_out_of_range_arguments_are_usage_errors_or_findings(
    repo: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    result = cli("-C", str(repo), "collect", "--kernel", str(tmp_path), "--window-end",
                 "0001-01-01")
    assert result.code == 2
    assert "'0001-01-01' is out of range: give a day from 1970-01-01 to 9998-12-31" in result.err
    shutil.rmtree(repo / "cards/infiniband")
    (repo / "cards/infiniband").write_text("a file\n")
    result = cli("-C", str(repo), "render")
    assert result.code == 1
    assert result.err == ("driver-policy render: cards/infiniband: is a file where cards/ "
                          "needs a directory; remove it, then run: driver-policy render\n")
    card = repo / "templates/card.md.j2"
    card.write_text(card.read_text() + "{{ 'abc' | truncate(-5) | md_text }}\n")
    (repo / "cards/infiniband").unlink()
    done = subprocess.run([sys.executable, "-m", "checker", "-C", str(repo), "render"],
                          capture_output=True, text=True)  # a process with no cached template
    assert done.returncode == 1 and "cannot render the template" in done.stderr, done.stderr
    card.write_text(card.read_text().replace("{{ 'abc' | truncate(-5) | md_text }}\n", ""))
    name = os.fsencode(str(repo / "drivers/net")) + b"/caf\xe9.yaml"
    with open(name, "wb") as handle:
        handle.write(b"schema: 1\n")
    result = cli("-C", str(repo), "validate")
    assert result.code == 1
    assert "drivers/net/caf\\xe9.yaml: file name is not valid UTF-8; rename the file" in \
        result.err


def test_class7_output_is_escaped_per_channel() -> None:
    from checker.core.errors import terminal
    from checker.render.markdown import COMMENT_FILTERS, md_text
    from checker.report.comparison import MAX_COMMENT, cap_comment

    comment = COMMENT_FILTERS["md_text"]
    assert comment("cc @octocat and @org/team, eve@example.org, #12, www.example.org") == (
        "cc @&#8203;octocat and @&#8203;org/team, eve@&#8203;example.org, #&#8203;12, "
        "www&#8203;.example.org")
    for char in "\u061c\u200b\u200d\u2060\ufeff\U000e0041":
        assert md_text(f"a{char}b") == "a\N{REPLACEMENT CHARACTER}b"
    assert terminal("\x1b]0;x\x07 \u202e") == "\\x1b]0;x\\x07 \\u202e"
    long = "| row |\n" * 20_000
    capped = cap_comment(long, None)
    assert len(capped) <= MAX_COMMENT
    assert "**This report is cut**" in capped


def test_class8_the_cache_key_covers_template_subdirectories(repo: Path) -> None:
    from checker.check.pipeline import cache_inputs

    (repo / "templates/parts").mkdir()
    part = repo / "templates/parts/foot.j2"
    part.write_text("one\n")
    before = cache_inputs(repo)
    part.write_text("two\n")
    assert cache_inputs(repo) != before
