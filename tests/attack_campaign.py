"""An attack campaign against the `driver-policy` command line (run by hand, not by pytest).

    python tests/attack_campaign.py [--code DIR] [--only CLASS] [--json OUT]

Every case builds a fresh policy repository (a git repository holding this project's
drivers, policies, schema, templates and cards), plants one hostile input or fault,
runs one command in a subprocess with a time limit, and classifies the run:

- crash: exit 3 or a Python traceback on stderr;
- hang: the time limit (HANG_SECONDS) passed;
- loss: bytes that were not the command's to change changed (a driver file's other keys,
  a concurrent edit, an unreadable directory's cards), or an invalid file was written;
- leak: a secret planted outside the repository (or in .git/config) reached the output
  or a card, a file outside the repository was written, or a live mention, reference,
  autolink, bidi/invisible or terminal control character reached its channel raw;
- wrong: a different answer than the same command gives without the fault (the cache);
- ok: anything else (exit 0, 1 or 2 with a message).

`--code DIR` runs the checker package found in DIR (default: this worktree), so the
same campaign measures an older revision: `git archive main | tar -x -C /tmp/old`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))
from collect_fixtures import GIT_ENV, History, git  # noqa: E402

HANG_SECONDS = 60  # generous: the machine may be shared
SECRET = "SECRET-TOKEN-4242"
PARTS = ("drivers", "policies", "schema", "templates", "cards")
DRIVER = "drivers/infiniband/ipoib.yaml"
LIVE = [
    re.compile(r"(?<![\w&;`])@(?!&#8203;)[A-Za-z]"),  # @user, @org/team, e-mail
    re.compile(r"(?<![\w&`])#(?!&#8203;)[0-9]"),  # #123
    re.compile(r"(?<![\w`])www\.(?!&#8203;)[a-z]"),  # www.example.org
]
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
                       "\U000e0000-\U000e007f]")


@dataclass
class Result:
    case: str
    klass: str
    outcome: str
    code: int | None
    seconds: float
    note: str = ""


@dataclass
class Run:
    code: int | None
    out: str
    err: str
    seconds: float


@dataclass
class Env:
    code: Path
    base: Path  # a prepared repository, copied for each case
    kernel: Path
    tmp: Path
    results: list[Result] = field(default_factory=list)

    def fresh(self) -> Path:
        dest = Path(tempfile.mkdtemp(dir=self.tmp))
        os.chmod(dest, 0o755)
        repo = dest / "repo"
        shutil.copytree(self.base, repo, symlinks=True)
        (dest / "outside.yaml").write_text(f"token: {SECRET}\nname: {SECRET}\n")
        return repo

    def run(self, repo: Path, *args: str, user: str | None = None,
            limit: float = HANG_SECONDS, env: dict[str, str] | None = None,
            prefix: tuple[str, ...] = ()) -> Run:
        program = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
                   "from checker.cli.main import main; raise SystemExit(main())")
        argv = [*prefix, sys.executable, "-c", program, str(self.code), "-C", str(repo), *args]
        if user:
            argv = ["setpriv", "--reuid", user, "--regid", user, "--clear-groups", *argv]
        environ = {**os.environ, "DRIVER_POLICY_NO_CACHE": "0", "PYTHONDONTWRITEBYTECODE": "1",
                   "XDG_CACHE_HOME": str(self.tmp / "xdg"), **(env or {})}
        started = time.monotonic()
        try:
            done = subprocess.run(argv, capture_output=True, timeout=limit, env=environ,
                                  cwd=repo if repo.exists() else self.tmp)
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"").decode("utf-8", "replace")
            return Run(None, out, "", time.monotonic() - started)
        return Run(done.returncode, done.stdout.decode("utf-8", "replace"),
                   done.stderr.decode("utf-8", "replace"), time.monotonic() - started)

    def record(self, case: str, klass: str, run: Run, *, loss: str = "", leak: str = "",
               wrong: str = "") -> None:
        if run.code is None:
            outcome, note = "hang", ""
        elif run.code == 3 or "Traceback (most recent call last)" in run.err:
            last = [line for line in run.err.splitlines() if line.strip()]
            outcome, note = "crash", (last[-1][:160] if last else "")
        elif leak:
            outcome, note = "leak", leak
        elif loss:
            outcome, note = "loss", loss
        elif wrong:
            outcome, note = "wrong", wrong
        else:
            outcome, note = "ok", ""
        self.results.append(Result(case, klass, outcome, run.code, round(run.seconds, 2), note))
        mark = {"ok": ".", "crash": "C", "hang": "H", "loss": "L", "leak": "K", "wrong": "W"}
        print(mark[outcome], end="", flush=True)


def leaked(run: Run, repo: Path) -> str:
    if SECRET in run.out or SECRET in run.err:
        return "secret in output"
    cards = repo / "cards"
    if cards.is_dir() and not cards.is_symlink():
        for path in cards.rglob("*"):
            if path.is_file() and not path.is_symlink() and SECRET.encode() in path.read_bytes():
                return f"secret in {path.relative_to(repo)}"
    return ""


def commit_all(repo: Path, message: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q",
        "--allow-empty", "-m", message)


# -- the repository and the kernel ------------------------------------------------------


def prepare(tmp: Path) -> tuple[Path, Path]:
    base = tmp / "base"
    base.mkdir()
    for part in PARTS:
        shutil.copytree(PROJECT / part, base / part)
    git(base, "init", "-q", "-b", "main")
    (base / ".git/config").open("a").write(f"[secret]\n\ttoken = {SECRET}\n")
    commit_all(base, "seed")
    kernel = tmp / "kernel"
    history = History(kernel)
    history.commit("2024-01-10", "ipoib: add driver", {
        "drivers/infiniband/ulp/ipoib/ipoib_main.c": "int x;\n" * 20,
        "MAINTAINERS": "IPOIB DRIVER\nM:\tA <a@example.org>\nS:\tSupported\n"
                       "F:\tdrivers/infiniband/ulp/ipoib/\n",
    })
    history.commit("2025-03-02", "ipoib: fix a leak", {
        "drivers/infiniband/ulp/ipoib/ipoib_main.c": "int x;\n" * 22})
    history.build()
    return base, kernel


# -- 1 and 2: links, FIFOs, odd files where repository files are read -------------------

LOCATIONS = [
    DRIVER, "drivers/net/zz.yaml", "policies/default.yaml", "templates/card.md.j2",
    "templates/diff.md.j2", "templates/index.md.j2", "cards/README.md",
    "cards/infiniband/ipoib.md", "schema/driver.schema.json", "policies/tests/zz.yaml",
]
COMMANDS: list[tuple[str, ...]] = [
    ("check",), ("validate",), ("render",), ("render", "--check"),
    ("diff", "HEAD", "--format", "markdown"), ("verdicts",),
]
if os.environ.get("CAMPAIGN_QUICK"):  # a shorter run: two commands per planted file
    COMMANDS = [("check",), ("render", "--check")]
COLLECT_VARIANTS = 30 if os.environ.get("CAMPAIGN_QUICK") else 120


def links_and_fifos(env: Env) -> Iterator[None]:
    targets: dict[str, Callable[[Path], str]] = {
        "outside": lambda repo: str(repo.parent / "outside.yaml"),
        "git-config": lambda repo: str(repo / ".git/config"),
        "dev-zero": lambda repo: "/dev/zero",
        "loop": lambda repo: "LOOP",
        "dangling": lambda repo: str(repo.parent / "nothing-here"),
    }
    for location in LOCATIONS:
        for name, target in [*targets.items(), ("fifo", lambda repo: "FIFO")]:
            for command in COMMANDS:
                repo = env.fresh()
                path = repo / location
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() or path.is_symlink():
                    path.unlink()
                where = target(repo)
                if where == "FIFO":
                    os.mkfifo(path)
                elif where == "LOOP":
                    path.symlink_to(path.name)
                else:
                    path.symlink_to(where)
                outside_before = (repo.parent / "outside.yaml").read_bytes()
                run = env.run(repo, *command)
                leak = leaked(run, repo)
                if (repo.parent / "outside.yaml").read_bytes() != outside_before:
                    leak = "a file outside the repository was written"
                env.record(f"{location} -> {name}: {' '.join(command)}", "1-2 links", run,
                           leak=leak)
                yield
    # linked directories
    for location in ("drivers/net", "templates", "cards/infiniband", "policies/tests"):
        for command in COMMANDS:
            repo = env.fresh()
            outside = repo.parent / "outdir"
            outside.mkdir(exist_ok=True)
            (outside / "x.yaml").write_text(f"name: {SECRET}\n")
            (outside / "card.md.j2").write_text(SECRET + "\n")
            path = repo / location
            if path.exists():
                shutil.rmtree(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(outside)
            before = sorted(p.name for p in outside.iterdir())
            run = env.run(repo, *command)
            leak = leaked(run, repo)
            if sorted(p.name for p in outside.iterdir()) != before:
                leak = "files written outside the repository"
            env.record(f"{location}/ -> outside dir: {' '.join(command)}", "1-2 links", run,
                       leak=leak)
            yield
    # an included template that is a link
    for command in (("render",), ("render", "--check"), ("check",)):
        repo = env.fresh()
        (repo / "templates/parts").mkdir()
        (repo / "templates/parts/foot.j2").symlink_to(repo.parent / "outside.yaml")
        card = repo / "templates/card.md.j2"
        card.write_text(card.read_text() + '{% include "parts/foot.j2" %}\n')
        run = env.run(repo, *command)
        env.record(f"include of a linked part: {' '.join(command)}", "1-2 links", run,
                   leak=leaked(run, repo))
        yield


# -- 3: collect's edits -----------------------------------------------------------------

QUOTED_CLAIMS = [
    '"A claim that continues\nsources: on a line that looks like a top-level key"',
    '"A claim that continues\n      signals: on an indented line"',
    '"Line separators \u2028 inside \u0085 a value \u2029 here"',
    "'single quoted\n\n      with a blank line'",
    ">-\n      folded text\n      sources: not a key",
    "|\n      literal text\n\n      signals: not a key",
    '"tab\\there and a # not comment"',
    "plain text that\n      continues: on a second line",
]


def driver_variants(rng: random.Random, count: int) -> Iterator[tuple[str, str]]:
    seed = (PROJECT / DRIVER).read_text()
    for index in range(count):
        text = seed
        notes = []
        if rng.random() < 0.5:
            claim = rng.choice(QUOTED_CLAIMS)
            text = re.sub(r"(\n    claim: )>-\n(?:      .*\n)+",
                          lambda m, c=claim: m.group(1) + c + "\n", text, count=1)
            notes.append("claim")
        if rng.random() < 0.3:  # signals indented by 4
            head, _, rest = text.partition("\nsignals:\n")
            block, _, tail = rest.partition("\n\n")
            block = "\n".join(("  " + line) if line.startswith("  ") else line
                              for line in block.split("\n"))
            text = f"{head}\nsignals:\n{block}\n\n{tail}"
            notes.append("indent 4")
        if rng.random() < 0.3:
            text = text.replace("\nsignals:", '\n"signals":', 1)
            notes.append("quoted key")
        if rng.random() < 0.3:
            text = text.replace("\n  files: ", "\n  # a comment inside signals\n  files: ", 1)
            notes.append("comment")
        if rng.random() < 0.3:
            text = text.replace("\nsignals:", "\nsignals:   # collected\n", 1).replace(
                "# collected\n\n", "# collected\n", 1)
            notes.append("key comment")
        if rng.random() < 0.2 and "\nsignals:" in text:
            start, end = text.index("\nsignals:"), text.index("\nsources:")
            text = text[:start] + text[end:]
            notes.append("no signals")
        if rng.random() < 0.2:
            text = text.rstrip("\n")
            notes.append("no final newline")
        if rng.random() < 0.4:
            text = text.replace("\n", "\r\n")
            notes.append("CRLF")
        valid = yaml_loads(text)
        yield f"{index}:{'+'.join(notes) or 'plain'}{'' if valid else ' (invalid YAML)'}", text


def yaml_loads(text: str) -> bool:
    try:
        yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return False
    return True


def other_keys(data: object) -> object:
    if not isinstance(data, dict):
        return None
    return {k: v for k, v in data.items()
            if k not in ("signals", "kconfig", "maintainers_status")}


def load_yaml(raw: bytes) -> object:
    try:
        return yaml.load(raw.decode("utf-8"), Loader=yaml.CSafeLoader)
    except Exception:
        return "INVALID"


def collect_edits(env: Env, count: int) -> Iterator[None]:
    rng = random.Random(13)
    for name, text in driver_variants(rng, count):
        repo = env.fresh()
        path = repo / DRIVER
        path.write_bytes(text.encode("utf-8"))
        before = path.read_bytes()
        old = load_yaml(before)
        run = env.run(repo, "collect", "--kernel", str(env.kernel), "--window-end",
                      "2026-04-21", "infiniband/ipoib")
        after = path.read_bytes()
        new = load_yaml(after)
        loss = ""
        if after != before:
            if old == "INVALID":
                loss = "an invalid file was rewritten"
            elif new == "INVALID":
                loss = "the edit made the file invalid YAML"
            elif other_keys(old) != other_keys(new):
                loss = "keys collect does not own changed"
            elif b"\r\n" in before and after.replace(b"\r\n", b"").count(b"\n"):
                loss = "line endings mixed"
        env.record(f"collect {name}", "3 collect", run, loss=loss)
        yield
    # an already invalid file, and a concurrent edit
    repo = env.fresh()
    path = repo / DRIVER
    broken = path.read_text().replace("\nsignals:", "\nsignals: [unclosed\n", 1)
    path.write_text(broken)
    run = env.run(repo, "collect", "--kernel", str(env.kernel), "infiniband/ipoib")
    env.record("collect an invalid file", "3 collect", run,
               loss="an invalid file was rewritten" if path.read_text() != broken else "")
    yield
    for pause in ("0.6", "1.2", "2"):
        repo = env.fresh()
        path = repo / DRIVER
        path.write_text(path.read_text().replace("files: 12", "files: 11"))
        argv = [sys.executable, "-c",
                "import sys; sys.path.insert(0, sys.argv.pop(1)); "
                "from checker.cli.main import main; raise SystemExit(main())",
                str(env.code), "-C", str(repo), "collect",
                "--kernel", str(env.kernel), "infiniband/ipoib"]
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env={**os.environ, "DRIVER_POLICY_TEST_PAUSE_WRITE": pause})
        time.sleep(float(pause) * 0.8)
        mine = path.read_text().replace("name: ", "name: EDITED ", 1)
        path.write_text(mine)
        started = time.monotonic()
        out, err = process.communicate(timeout=HANG_SECONDS)
        run = Run(process.returncode, out.decode(), err.decode(), time.monotonic() - started)
        loss = "" if "EDITED" in path.read_text() else "a concurrent edit was overwritten"
        env.record(f"collect with a concurrent edit ({pause} s)", "3 collect", run, loss=loss)
        yield


# -- 4: regular expressions -------------------------------------------------------------

PATTERNS = ["^(.+)+Z", "(a|aa)+$", "(x+x+)+y", "a{4294967295}", "(" * 1200 + "a" + ")" * 1200,
            "(?:(?:a*)*)*b", "(\\w+\\s?)+$", "([a-z]+)*=", "\\1(a)", "(?<=a)b"]


def regexes(env: Env) -> Iterator[None]:
    subject = "a" * 40 + " " + "x" * 30
    for index, pattern in enumerate(PATTERNS):
        for command in (("collect",), ("check",), ("validate",)):
            repo = env.fresh()
            policy = repo / "policies/default.yaml"
            data = policy.read_text()
            data = data.replace("      - '^treewide:'\n",
                                f"      - {json.dumps(pattern)}\n", 1)
            policy.write_text(data)
            if command == ("collect",):
                kernel = env.tmp / f"kernel-re-{index}"
                if not kernel.exists():
                    shutil.copytree(env.kernel, kernel)
                    source = kernel / "drivers/infiniband/ulp/ipoib/ipoib_main.c"
                    source.write_text(source.read_text() + "int y;\n")
                    git(kernel, "-c", "user.name=T", "-c", "user.email=t@e.org", "commit",
                        "-q", "-a", "-m", subject)
                run = env.run(repo, "collect", "--kernel", str(kernel), "infiniband/ipoib")
            else:
                run = env.run(repo, *command)
            env.record(f"pattern {pattern[:24]!r}: {command[0]}", "4 regex", run)
            yield
    # the code's own device-table regex on a plausible C line
    repo = env.fresh()
    kernel = env.tmp / "kernel-table"
    if not kernel.exists():
        history = History(kernel)
        line = "static int table[] " + "abcdefghijklmnopqrstuvwxyz" + ";\n"
        history.commit("2025-01-01", "table", {
            "drivers/infiniband/ulp/ipoib/ipoib_main.c":
                "MODULE_DEVICE_TABLE(pci, ids);\n" + line,
            "MAINTAINERS": "X\nF:\tdrivers/infiniband/ulp/ipoib/\n"})
        history.build()
    run = env.run(repo, "collect", "--kernel", str(kernel), "infiniband/ipoib")
    env.record("device-table regex on a long word", "4 regex", run)
    yield


# -- 5: environment faults --------------------------------------------------------------


def faults(env: Env) -> Iterator[None]:
    nobody = "65534"
    cases: list[tuple[str, Callable[[Path], None], tuple[str, ...]]] = []

    def unreadable(rel: str) -> Callable[[Path], None]:
        def setup(repo: Path) -> None:
            os.chmod(repo / rel, 0)
        return setup

    def readonly(rel: str) -> Callable[[Path], None]:
        def setup(repo: Path) -> None:
            path = repo / rel
            (repo / DRIVER).write_text((repo / DRIVER).read_text().replace(
                "name: ", "name: Changed ", 1))
            for p in [path, *path.rglob("*")]:
                if p.is_dir():
                    os.chmod(p, 0o555)
        return setup

    for command in (("check",), ("validate",), ("render",), ("render", "--check"),
                    ("verdicts",)):
        cases += [
            ("unreadable policy", unreadable("policies/default.yaml"), command),
            ("unreadable template", unreadable("templates/card.md.j2"), command),
            ("unreadable drivers/net", unreadable("drivers/net"), command),
            ("unreadable driver", unreadable(DRIVER), command),
            ("read-only cards/", readonly("cards"), command),
        ]
    cases += [("read-only checkout", readonly("."), ("check",)),
              ("read-only checkout", readonly("."), ("render",)),
              ("read-only drivers/", readonly("drivers"),
               ("collect", "--kernel", str(env.kernel), "infiniband/ipoib"))]
    for name, setup, command in cases:
        repo = env.fresh()
        for p in [repo, *repo.rglob("*")]:
            with contextlib.suppress(OSError):
                os.chmod(p, os.stat(p, follow_symlinks=False).st_mode | 0o755
                         if p.is_dir() else 0o666)
        os.chmod(repo / ".git", 0o777)
        cards_before = sorted(p.as_posix() for p in (repo / "cards").rglob("*.md"))
        setup(repo)
        run = env.run(repo, *command, user=nobody)
        loss = ""
        cards_after = sorted(p.as_posix() for p in (repo / "cards").rglob("*.md"))
        if len(cards_after) < len(cards_before):
            loss = "cards removed"
        if name == "unreadable drivers/net" and run.code == 0:
            loss = "said ok about files it could not read"
        env.record(f"{name}: {' '.join(command[:2])}", "5 faults", run, loss=loss)
        yield
    # disk full: a 300 KiB tmpfs
    for command in (("render",), ("check",), ("schema", "--write"),
                    ("collect", "--kernel", "KERNEL", "infiniband/ipoib")):
        mount = env.tmp / f"full-{command[0]}"
        mount.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)],
                          capture_output=True).returncode != 0:
            continue
        try:
            repo = mount / "repo"
            shutil.copytree(env.base, repo, symlinks=True, ignore=shutil.ignore_patterns(".git"))
            shutil.rmtree(repo / "cards")
            (repo / "schema/driver.schema.json").unlink()
            with contextlib.suppress(OSError), open(mount / "filler", "wb") as handle:
                handle.write(b"\0" * (1 << 22))
            argv = [str(env.kernel) if a == "KERNEL" else a for a in command]
            run = env.run(repo, *argv)
            env.record(f"disk full: {command[0]}", "5 faults", run)
        finally:
            subprocess.run(["umount", str(mount)], capture_output=True)
        yield
    # concurrent renders
    for attempt in range(4):
        repo = env.fresh()
        shutil.rmtree(repo / "cards")
        program = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
                   "from checker.cli.main import main; raise SystemExit(main())")
        processes = [subprocess.Popen([sys.executable, "-c", program, str(env.code), "-C",
                                       str(repo), "render"], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE) for _ in range(3)]
        started = time.monotonic()
        for process in processes:
            out, err = process.communicate(timeout=HANG_SECONDS * 2)
            run = Run(process.returncode, out.decode(), err.decode(), time.monotonic() - started)
            env.record(f"three renders at once #{attempt}", "5 faults", run)
        yield


# -- 6: extremes ------------------------------------------------------------------------


def extremes(env: Env) -> Iterator[None]:
    k = "KERNEL"
    commands: list[tuple[str, tuple[str, ...], Callable[[Path], None] | None]] = [
        ("window-end 0001-01-01", ("collect", "--kernel", k, "--window-end", "0001-01-01"), None),
        ("window-end 9999-12-31", ("collect", "--kernel", k, "--window-end", "9999-12-31"), None),
        ("window-end 1969-12-31", ("collect", "--kernel", k, "--window-end", "1969-12-31"), None),
        ("--rev ^HEAD", ("collect", "--kernel", k, "--rev", "^HEAD"), None),
        ("--rev HEAD^!", ("collect", "--kernel", k, "--rev", "HEAD^!"), None),
        ("--rev HEAD..HEAD", ("collect", "--kernel", k, "--rev", "HEAD..HEAD"), None),
        ("--rev :/fix", ("collect", "--kernel", k, "--rev", ":/fix"), None),
        ("history --rev ^HEAD", ("history", "infiniband/ipoib", "--rev", "^HEAD"), None),
        ("new --rev ^HEAD", ("new", "--kernel", k, "--rev", "^HEAD", "drivers/infiniband"),
         None),
    ]
    for months in ("30000", "0", "-1", "1.5", "99999999999999999999"):
        def policy(repo: Path, months: str = months) -> None:
            path = repo / "policies/default.yaml"
            path.write_text(re.sub(r"(?m)^(  months: ).*$", rf"\g<1>{months}", path.read_text(),
                                   count=1))
        commands.append((f"window.months {months}", ("collect", "--kernel", k), policy))
    for rel in ("drivers/net/caf\udce9.yaml", "drivers/n\udcffet/x.yaml",
                "templates/\udcff.j2"):
        def odd_name(repo: Path, rel: str = rel) -> None:
            target = os.fsencode(str(repo / rel))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write((PROJECT / DRIVER).read_bytes())
        for command in (("check",), ("validate",), ("render",), ("collect", "--kernel", k)):
            commands.append((f"non-UTF-8 name {rel!r}", command, odd_name))

    def globs(repo: Path) -> None:
        for name, pattern in (("a", "*a" * 750 + "/"), ("b", "a*" * 750 + "/")):
            text = (PROJECT / DRIVER).read_text()
            text = text.replace("    - drivers/infiniband/ulp/ipoib/",
                                f"    - drivers/{pattern}")
            (repo / f"drivers/infiniband/glob{name}.yaml").write_text(text)
    for command in (("check",), ("validate",), ("render",)):
        commands.append(("two 1,500-character globs", command, globs))

    def cards_file(repo: Path) -> None:
        shutil.rmtree(repo / "cards/infiniband")
        (repo / "cards/infiniband").write_text("not a directory\n")
    for command in (("render",), ("check",), ("render", "--check")):
        commands.append(("cards/infiniband is a file", command, cards_file))

    for expression in ("truncate(-5)", "truncate(10, end=None)", "wordwrap(0)", "center(-9)",
                       "indent(-3)", "round(-999999999)", "batch(0) | list", "slice(0) | list",
                       "int(base=99)", "format(1,2,3)"):
        def template(repo: Path, expression: str = expression) -> None:
            path = repo / "templates/card.md.j2"
            path.write_text(path.read_text() + f"{{{{ ('x' * 20) | {expression} | md_text }}}}\n")
        for command in (("render",), ("check",)):
            commands.append((f"template {expression}", command, template))

    for name, argv, setup in commands:
        repo = env.fresh()
        if setup is not None:
            setup(repo)
            commit_all(repo)
        argv = tuple(str(env.kernel) if a == "KERNEL" else a for a in argv)
        run = env.run(repo, *argv)
        env.record(f"{name}: {argv[0]}", "6 extremes", run)
        yield
    # odd commit dates and subjects in the kernel and in the policy repository
    for when, subject in (("10000-01-01", "far future"), ("1960-05-01", "before 1970"),
                          ("2025-01-01", "subject with \x1e record separator"),
                          ("2025-01-01", "\x1b]0;title\x07\x1b[2J escape")):
        kernel = env.tmp / f"kernel-{abs(hash((when, subject)))}"
        if not kernel.exists():
            shutil.copytree(env.kernel, kernel)
            stamp = {"10000-01-01": "253402300800", "1960-05-01": "-305000000"}.get(
                when, "1735732800")
            git(kernel, "-c", "user.name=T", "-c", "user.email=t@e.org", "commit", "-q",
                "--allow-empty", "--date", f"@{stamp} +0000", "-m", subject)
            env_date = {**GIT_ENV, "GIT_COMMITTER_DATE": f"@{stamp} +0000"}
            subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@e.org", "commit",
                            "-q", "--amend", "--no-edit", "--allow-empty"], cwd=kernel,
                           env=env_date, capture_output=True)
        repo = env.fresh()
        run = env.run(repo, "collect", "--kernel", str(kernel), "infiniband/ipoib")
        env.record(f"kernel commit {when} {subject[:12]!r}: collect", "6 extremes", run)
        yield
        repo = env.fresh()
        path = repo / DRIVER
        path.write_text(path.read_text().replace("name: ", "name: x", 1))
        git(repo, "add", "-A")
        git(repo, "-c", f"user.name=Eve {subject}", "-c", "user.email=e@example.org", "commit",
            "-q", "-m", subject)
        run = env.run(repo, "history", "infiniband/ipoib")
        leak = "raw terminal escape in history" if "\x1b" in run.out else ""
        env.record(f"policy commit {subject[:12]!r}: history", "6 extremes", run, leak=leak)
        yield


# -- 7: output channels -----------------------------------------------------------------

HOSTILE = ["@octocat please look", "cc @torvalds/maintainers", "mail eve@example.org",
           "see www.example.org/x", "fixes #1 and GH-2", "\u202egnp.exe", "zero\u200bwidth",
           "joiner\u200d and \u2060 word joiner and \ufeff bom", "arabic mark \u061c here",
           "tag \U000e0041\U000e0042 chars", "<img src=x onerror=alert(1)>",
           "[link](javascript:alert(1))", "![x](https://evil.example/p.png)", "`@code` ok",
           "\x1b[31mred\x1b[0m"]


def channels(env: Env) -> Iterator[None]:
    for text in HOSTILE:
        repo = env.fresh()
        path = repo / DRIVER
        data = path.read_text()
        override = ("  override:\n    verdict: keep\n    reason: " + json.dumps(text) +
                    "\n    by: " + json.dumps(text) + "\n    until: 2099-01-01\n")
        data = re.sub(r"(?m)^verdict:\n", lambda m, o=override: "verdict:\n" + o, data,
                      count=1)
        data = data.replace("\nname: ", f"\nname: {json.dumps(text)} #", 1)
        path.write_text(data)
        commit_all(repo, "hostile")
        run = env.run(repo, "diff", "HEAD~1", "--format", "markdown")
        leak = ""
        for pattern in LIVE:
            match = pattern.search(run.out)
            if match and not text.startswith("`"):
                near = run.out[max(0, match.start() - 10):match.end() + 10]
                leak = f"live text in the comment: {near!r}"
        if INVISIBLE.search(run.out):
            leak = "invisible or bidi character in the comment"
        env.record(f"comment {text[:20]!r}", "7 channels", run, leak=leak)
        yield
        render = env.run(repo, "render")
        card = (repo / "cards/infiniband/ipoib.md")
        body = card.read_text() if card.exists() else ""
        leak = "invisible or bidi character in a card" if INVISIBLE.search(body) else ""
        if re.search(r"(?<!\\)<img|(?<!\\)\]\(javascript", body):
            leak = "HTML or a script link in a card"
        env.record(f"card {text[:20]!r}", "7 channels", render, leak=leak)
        yield
        run = env.run(repo, "validate")
        leak = "raw control or bidi character on the terminal" if (
            "\x1b" in run.out + run.err or INVISIBLE.search(run.out + run.err)) else ""
        env.record(f"terminal {text[:20]!r}", "7 channels", run, leak=leak)
        yield
    # a huge comment: a policy that flips every verdict, many times over
    repo = env.fresh()
    for index in range(300):
        src = (repo / DRIVER).read_text().replace("name: ", f"name: copy {index} ", 1)
        src = src.replace("drivers/infiniband/ulp/ipoib/", f"drivers/x{index}/")
        (repo / f"drivers/infiniband/copy{index}.yaml").write_text(src)
    commit_all(repo, "many")
    policy = repo / "policies/default.yaml"
    text = policy.read_text()
    policy.write_text(re.sub(r"(?m)^(\s+remove: )(-?[0-9.]+)", r"\g<1>99", text))
    commit_all(repo, "flip")
    run = env.run(repo, "diff", "HEAD~1", "--format", "markdown", limit=300)
    leak = f"comment of {len(run.out):,} characters" if len(run.out) > 65_536 else ""
    env.record("comment size", "7 channels", run, leak=leak)
    yield


# -- 8: the cache key -------------------------------------------------------------------


def cache_key(env: Env) -> Iterator[None]:
    for where in ("templates/parts/foot.j2", "templates/deep/er/part.j2"):
        repo = env.fresh()
        part = repo / where
        part.parent.mkdir(parents=True)
        part.write_text("footer one\n")
        rel = where.removeprefix("templates/")
        card = repo / "templates/card.md.j2"
        card.write_text(card.read_text() + f'{{% include "{rel}" %}}\n')
        env.run(repo, "render")
        env.run(repo, "check")  # warm the cache
        part.write_text("footer two\n")
        warm = env.run(repo, "check")
        cold = env.run(repo, "check", env={"DRIVER_POLICY_NO_CACHE": "1"})
        wrong = "" if warm.code == cold.code else (
            f"warm check exit {warm.code}, --no-cache exit {cold.code}")
        env.record(f"edited {where}: check", "8 cache", warm, wrong=wrong)
        yield


GROUPS = {"1-2": links_and_fifos, "3": lambda env: collect_edits(env, COLLECT_VARIANTS),
          "4": regexes, "5": faults, "6": extremes, "7": channels, "8": cache_key}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", default=str(PROJECT), help="directory holding checker/")
    parser.add_argument("--only", action="append", choices=sorted(GROUPS), default=None)
    parser.add_argument("--json", default=None, help="write every result to this file")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="campaign-"))
    os.chmod(tmp, 0o755)
    try:
        base, kernel = prepare(tmp)
        env = Env(Path(args.code).resolve(), base, kernel, tmp)
        for name in args.only or sorted(GROUPS):
            print(f"\n{name}: ", end="", flush=True)
            for _ in GROUPS[name](env):
                pass
        print()
        counts = Counter(r.outcome for r in env.results)
        by_class: dict[str, Counter[str]] = {}
        for r in env.results:
            by_class.setdefault(r.klass, Counter())[r.outcome] += 1
        for klass, counter in sorted(by_class.items()):
            print(f"{klass:<12} " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
        total = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(f"{len(env.results)} runs: {total}")
        for r in env.results:
            if r.outcome != "ok":
                print(f"  {r.outcome:<5} {r.klass:<10} {r.case[:90]!r} {r.note[:120]}")
        if args.json:
            Path(args.json).write_text(json.dumps([r.__dict__ for r in env.results], indent=1))
    finally:
        for path in tmp.rglob("*"):
            with contextlib.suppress(OSError):
                if not path.is_symlink():
                    os.chmod(path, stat.S_IRWXU | (os.stat(path).st_mode & 0o777))
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
