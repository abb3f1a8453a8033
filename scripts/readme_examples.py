"""Run every `$ kb …` example of README.md on the shipped corpus and compare (or rewrite) its output,
as sqlite-utils checks its documentation (cog): the README shows what `kb` really prints.

    .venv/bin/python scripts/readme_examples.py            # exit 1 and a diff if an output is stale
    .venv/bin/python scripts/readme_examples.py --update   # rewrite the outputs in README.md

An example is a ```console block: `$ kb …` lines, each followed by its output; a non-zero
exit ends the output with a line `(exit N)`. A `# comment` after a command is kept and not
run; `| head -N` is applied. The examples run in-process with a fresh index of the shipped
corpus, 100 columns, as of README_TODAY (statuses and 标龄 depend on the day), in a folder
holding tests/fixtures/synthetic_readme/ (the `spec.txt` of `kb check`). A block right after
`<!-- readme-examples: skip REASON -->` is not run (it needs the network or a mirror).
"""
from __future__ import annotations

import argparse
import datetime as dt
import difflib
import os
import re
import shlex
import shutil
import sys
import tempfile
import types
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

README = ROOT / "README.md"
FILES = ROOT / "tests" / "fixtures" / "synthetic_readme"
README_TODAY = dt.date(2026, 12, 2)
COLUMNS = "100"
SKIP = re.compile(r"<!--\s*readme-examples:\s*skip\b(.*?)-->")
FENCE = re.compile(r"^```console\n(.*?)^```\n", re.M | re.S)
EXIT = re.compile(r"^\(exit (\d+)\)$")
HEAD = re.compile(r"\|\s*head(?:\s+-n)?\s+-?(\d+)\s*$")
DATED_MODULES = ("kb.records", "kb.changes", "kb.coverage", "index.build")  # they call dt.date.today()


@dataclass
class Example:
    command: str  # as written after "$ ", comment included
    expected: str  # the output lines, "(exit N)" included
    line: int  # of the command in README.md
    skip: str = ""  # the reason, for a skip-marked block

    @property
    def id(self) -> str:
        return f"README.md:{self.line}: {self.command.split('#')[0].strip()}"


def examples(text: str) -> list[Example]:
    """Every `$ kb …` example of the ```console blocks, in order."""
    found = []
    for block in FENCE.finditer(text):
        before = text[:block.start()].rstrip().rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        first_line = text[:block.start(1)].count("\n") + 1
        current = None
        for offset, line in enumerate(block.group(1).splitlines()):
            if line.startswith("$ "):
                current = Example(line[2:], "", first_line + offset, skip.group(1).strip() if skip else "")
                found.append(current)
            elif current is not None:
                current.expected += line + "\n"
    for example in found:
        example.expected = example.expected.rstrip("\n") + "\n" if example.expected.strip() else ""
    return found


class _FrozenDate(dt.date):
    @classmethod
    def today(cls):
        return cls(README_TODAY.year, README_TODAY.month, README_TODAY.day)


@contextmanager
def readme_world():
    """A fresh KB_HOME, the shipped corpus, README_TODAY and the example files as the cwd."""
    import importlib

    frozen = types.SimpleNamespace(**{name: getattr(dt, name) for name in dir(dt) if not name.startswith("_")})
    frozen.date = _FrozenDate
    modules = [importlib.import_module(name) for name in DATED_MODULES]
    saved = [(module, module.dt) for module in modules]
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="kb-readme-") as tmp:
        work = Path(tmp) / "work"
        shutil.copytree(FILES, work)
        env = {"KB_HOME": str(Path(tmp) / "home"), "KB_CORPUS": None, "COLUMNS": COLUMNS, "LINES": "50",
               "NO_COLOR": "1", "TERM": "dumb"}
        try:
            for module in modules:
                module.dt = frozen
            os.chdir(work)
            yield env
        finally:
            os.chdir(cwd)
            for module, original in saved:
                module.dt = original


def run(example: Example, env: dict) -> str:
    """The output of one example as the README shows it (trailing spaces stripped)."""
    from typer.testing import CliRunner

    import cli

    command = example.command
    head = HEAD.search(command.split("#")[0])
    words = shlex.split(HEAD.sub("", command.split(" #")[0]) if head else command, comments=True)
    if words[:1] != ["kb"]:
        raise ValueError(f"{example.id}: an example must start with `kb`")
    result = CliRunner().invoke(cli.app, words[1:], env=env, prog_name="kb")
    lines = [line.rstrip() for line in result.output.splitlines()]
    if head:
        lines = lines[:int(head.group(1))]
    elif result.exit_code:
        lines.append(f"(exit {result.exit_code})")
    return "".join(line + "\n" for line in lines)


def check_all(text: str) -> list[tuple[Example, str]]:
    """Each example that is not skip-marked, with its real output."""
    with readme_world() as env:
        return [(example, run(example, env)) for example in examples(text) if not example.skip]


def update(text: str) -> str:
    """README.md with the output of every example replaced by its real output."""
    results = {example.line: output for example, output in check_all(text)}
    lines = text.splitlines(keepends=True)
    out, index, in_console = [], 0, False
    while index < len(lines):
        line = lines[index]
        if line.startswith("```console"):
            in_console = True
        elif in_console and line.startswith("```"):
            in_console = False
        elif in_console and line.startswith("$ "):
            out.append(line)
            number = index + 1  # the command's line in README.md, as Example.line
            if number in results:  # drop the old output up to the next command or the fence
                index += 1
                while index < len(lines) and not lines[index].startswith(("$ ", "```")):
                    index += 1
                output = results[number]
                following = index < len(lines) and lines[index].startswith("$ ")
                out.append(output + ("\n" if following and output else ""))
            else:
                index += 1
            continue
        out.append(line)
        index += 1
    return "".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the outputs in README.md")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    if args.update:
        README.write_text(update(text), encoding="utf-8")
        print(f"rewrote the outputs of {len([e for e in examples(text) if not e.skip])} examples in {README}")
        return 0
    stale = 0
    for example, output in check_all(text):
        if normalized(output) != normalized(example.expected):
            stale += 1
            sys.stdout.writelines(difflib.unified_diff(example.expected.splitlines(True), output.splitlines(True),
                                                       f"{example.id} (README)", "real output"))
    print(f"{stale} stale example(s)" if stale else "every README example shows its real output")
    return 1 if stale else 0


def normalized(output: str) -> str:
    """The output as compared: trailing blank lines do not count."""
    return output.rstrip("\n")


if __name__ == "__main__":
    sys.exit(main())
