"""Rename this project: package, Brython package, settings prefix, distribution, titles and docs.

Usage:
    python3 rename_project.py                                  asks for the name and title
    python3 rename_project.py --name my_app --title "My App" --yes
    python3 rename_project.py --name my_app --dry-run          lists what would change, changes nothing
    python3 rename_project.py --name my_app --keep "docs/*"    leaves matching paths alone

Every text file of the project is rewritten (folders and files named after the project are
renamed too), except .git, .venv, .tools, .data, caches and binary files. Run it once, right
after cloning; then delete .git and start a fresh history.

Standard library only: it runs with a plain python3, before anything is installed. It then
formats the renamed code with the project's ruff, running `make install` first if that is not
installed yet.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import keyword
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# The project's current names. The rename rewrites these two lines too, so the script can
# rename the renamed project again.
CURRENT_NAME = "heavy_stack"
CURRENT_TITLE = "The Heavy Stack"

ROOT = Path(__file__).resolve().parent
SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    ".tools",
    ".data",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "test-artifacts",
    "recordings",
}
# The framework (heavy/README.md): a project takes newer versions of it, so it is never renamed.
FRAMEWORK_DIR = "heavy"
# Always left as they are: the template's license notice must stay with the code it covers, and
# the framework is not the project.
ALWAYS_KEPT = ["LICENSE", FRAMEWORK_DIR]
LOCK_FILE = "uv.lock"
EXIT_REFUSED = 2

_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# Titles land in Python strings, TOML, YAML, HTML and shell lines: no quotes or markup.
_TITLE = re.compile(r"^\w[\w .,-]{0,78}$")


@dataclass(frozen=True)
class ProjectName:
    """One project name in every spelling the code uses."""

    snake: str  # my_app: package, databases, Python identifiers
    title: str  # My App: what people read

    @property
    def kebab(self) -> str:
        """``my-app``: the distribution in pyproject.toml and uv.lock."""
        return self.snake.replace("_", "-")

    @property
    def upper(self) -> str:
        """``MY_APP``: the settings prefix ``MY_APP_``."""
        return self.snake.upper()

    @property
    def camel(self) -> str:
        """``MyApp``: class names."""
        return "".join(word.capitalize() for word in self.snake.split("_"))

    @property
    def compact(self) -> str:
        """``myapp``: host and image names."""
        return self.snake.replace("_", "")

    @property
    def words(self) -> str:
        """``My App``: the name in prose, without the title's article."""
        return " ".join(word.capitalize() for word in self.snake.split("_"))


def default_title(snake: str) -> str:
    """``my_app`` -> ``My App``."""
    return ProjectName(snake, "").words


def replacement_table(old: ProjectName, new: ProjectName) -> dict[str, str]:
    """Old spelling -> new spelling, for text in files."""
    table = {
        old.words.lower(): new.title,
        old.words: new.title,
        old.title.removeprefix("The "): new.title,
        old.title: new.title,
        old.compact: new.compact,
        old.camel: new.camel,
        old.kebab: new.kebab,
        old.upper: new.upper,
        old.snake: new.snake,
    }
    return {spelling: replacement for spelling, replacement in table.items() if spelling}


def path_replacement_table(old: ProjectName, new: ProjectName) -> dict[str, str]:
    """Old spelling -> new spelling, for file and folder names."""
    return {old.snake: new.snake, old.kebab: new.kebab, old.camel: new.camel}


def make_replacer(table: dict[str, str]) -> Callable[[str], tuple[str, int]]:
    """A function giving ``(new text, number of replacements)``; longest spelling wins."""
    spellings = sorted(table, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(spelling) for spelling in spellings))

    def replace(text: str) -> tuple[str, int]:
        return pattern.subn(lambda match: table[match.group(0)], text)

    return replace


def refusal(name: str, current: str, root: Path) -> str | None:
    """Why ``name`` cannot be the new project name, or ``None`` if it can."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)  # myApp -> my_App
    suggestion = re.sub(r"[^0-9a-zA-Z]+", "_", words).strip("_").lower()
    hint = f" (try {suggestion})" if suggestion and _SNAKE_CASE.match(suggestion) else ""
    if not name.isidentifier():
        return f"{name!r} is not a valid Python identifier: use letters, digits and _{hint}."
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{name!r} is a Python keyword: choose another name."
    if not _SNAKE_CASE.match(name):
        return f"{name!r} is not snake_case: lowercase words joined by single underscores{hint}."
    if name == current:
        return f"{name!r} is already this project's name."
    return _collision(name, root)


def _collision(name: str, root: Path) -> str | None:
    clash = f"{name!r} collides with an existing module"
    if name in sys.stdlib_module_names or name in sys.builtin_module_names:
        return f"{clash} of Python's standard library: choose another name."
    entries = (name, f"{name}.py", f"{name}_testing", f"{name}_dev", f"brython/{name}_brython")
    if any((root / entry).exists() for entry in entries):
        return f"{clash}: {name} already exists in this project's folder."
    if _importable_outside(name, root) or _in_project_venv(name, root):
        return f"{clash}: a package of that name is installed, and imports would be ambiguous."
    return None


def _importable_outside(name: str, root: Path) -> bool:
    """Importable by this Python, ignoring the project's own folders on ``sys.path``."""
    saved = sys.path[:]
    sys.path[:] = [entry for entry in saved if entry and not Path(entry).resolve().is_relative_to(root)]
    try:
        return importlib.util.find_spec(name) is not None
    finally:
        sys.path[:] = saved


def _in_project_venv(name: str, root: Path) -> bool:
    """Installed in the project's .venv (this script may run with another Python)."""
    patterns = (name, f"{name}.py", f"{name}.*.so", f"{name}.*.pyd")
    folders = [*root.glob(".venv/lib/python*/site-packages"), *root.glob(".venv/Lib/site-packages")]
    return any(next(folder.glob(pattern), None) is not None for folder in folders for pattern in patterns)


def title_refusal(title: str) -> str | None:
    """Why ``title`` cannot be the new title, or ``None`` if it can."""
    if not _TITLE.match(title) or title != title.strip():
        return (
            f"Title {title!r}: use letters, digits, spaces and . , - only (at most 79 characters), "
            "as it is written into code, TOML, YAML and HTML."
        )
    return None


@dataclass
class Plan:
    """What the rename will do, computed before anything changes."""

    edits: dict[Path, tuple[str, int]] = field(default_factory=dict)  # path -> (new text, count)
    renames: list[tuple[Path, Path]] = field(default_factory=list)  # deepest first
    binary: list[Path] = field(default_factory=list)

    @property
    def replacements(self) -> int:
        return sum(count for _, count in self.edits.values())


def is_kept(relative: str, keep: list[str]) -> bool:
    """Whether a project-relative path matches one of the --keep patterns."""
    return any(fnmatch.fnmatch(relative, pattern) for pattern in keep)


def project_entries(root: Path, keep: list[str]) -> Iterator[tuple[Path, bool]]:
    """``(path, is_dir)`` for every file and folder the rename may touch."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            name
            for name in dirs
            if name not in SKIP_DIRS
            and not name.endswith(".egg-info")
            and not is_kept((here / name).relative_to(root).as_posix(), keep)
        )
        for name in dirs:
            yield here / name, True
        for name in sorted(files):
            path = here / name
            if not path.is_symlink() and not is_kept(path.relative_to(root).as_posix(), keep):
                yield path, False


def read_text(path: Path) -> str | None:
    """The file's text, or ``None`` for a binary (NUL bytes) or non-UTF-8 file."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def new_text(path: Path, text: str, old: ProjectName, new: ProjectName) -> tuple[str, int]:
    """The file's text under the new name, and how many replacements that took."""
    if path.name == LOCK_FILE:
        return renamed_lock(text, old, new)
    return make_replacer(replacement_table(old, new))(text)


_LOCK_MEMBERS = re.compile(r"^members = \[\n(?P<lines>(?:    \"[^\"\n]+\",\n)*)\]$", flags=re.MULTILINE)


def renamed_lock(text: str, old: ProjectName, new: ProjectName) -> tuple[str, int]:
    """uv.lock with the project's own entry renamed, and its name among the workspace members
    (kept in order, as uv writes them); every other package name stays as it is."""
    own_entry = re.compile(rf'^name = "{re.escape(old.kebab)}"$', flags=re.MULTILINE)
    text, count = own_entry.subn(f'name = "{new.kebab}"', text)

    def rename_member(match: re.Match[str]) -> str:
        nonlocal count
        members = [line.strip().strip('",') for line in match.group("lines").splitlines()]
        count += members.count(old.kebab)
        renamed = sorted(new.kebab if member == old.kebab else member for member in members)
        return "members = [\n" + "".join(f'    "{member}",\n' for member in renamed) + "]"

    return _LOCK_MEMBERS.sub(rename_member, text, count=1), count


def mentions(data: bytes, name: ProjectName) -> bool:
    """Whether a file the rename cannot rewrite holds one of the old names: those are worth a line
    (an image or a font that never names the project is not)."""
    spellings = (name.snake, name.kebab, name.upper, name.camel, name.compact, name.title)
    return any(spelling.encode() in data for spelling in spellings)


def make_plan(root: Path, old: ProjectName, new: ProjectName, keep: list[str]) -> Plan:
    """Every edit and rename, worked out before anything changes."""
    plan = Plan()
    rename_path = make_replacer(path_replacement_table(old, new))
    for path, is_dir in project_entries(root, keep):
        renamed, count = rename_path(path.name)
        if count:
            plan.renames.append((path, path.with_name(renamed)))
        if is_dir:
            continue
        text = read_text(path)
        if text is None:
            if mentions(path.read_bytes(), old):
                plan.binary.append(path)
            continue
        changed, replacements = new_text(path, text, old, new)
        if replacements:
            plan.edits[path] = (changed, replacements)
    # Children before their folders, so every path is still valid when its turn comes.
    plan.renames.sort(key=lambda pair: len(pair[0].parts), reverse=True)
    return plan


def apply(plan: Plan) -> None:
    """Write the edits, then rename files and folders."""
    for path, (text, _) in plan.edits.items():
        # Bytes, not write_text: keeps each file's own line endings.
        path.write_bytes(text.encode("utf-8"))
    for source, target in plan.renames:
        if target.exists():
            raise FileExistsError(f"Cannot rename {source} to {target}: it exists.")
        source.rename(target)


def describe_names(old: ProjectName, new: ProjectName) -> str:
    """A table of old and new spellings, shown before the plan."""
    rows = [
        ("package", old.snake, new.snake),
        ("Brython package", f"{old.snake}_brython", f"{new.snake}_brython"),
        ("settings prefix", f"{old.upper}_", f"{new.upper}_"),
        ("distribution", old.kebab, new.kebab),
        ("title", old.title, new.title),
        ("class-style name", old.camel, new.camel),
    ]
    return "\n".join(f"  {label:<17} {before}  ->  {after}" for label, before, after in rows)


def describe_plan(plan: Plan, root: Path) -> str:
    """One line per edited, renamed or left-alone path."""

    def shown(path: Path) -> str:
        return path.relative_to(root).as_posix()

    lines = [f"  edit    {shown(path)} ({count})" for path, (_, count) in sorted(plan.edits.items())]
    lines += [f"  rename  {shown(source)} -> {target.name}" for source, target in plan.renames]
    lines += [f"  leave   {shown(path)} (binary or not UTF-8)" for path in plan.binary]
    return "\n".join(lines)


def summary(plan: Plan) -> str:
    """The counts: files changed, replacements, paths renamed, binary files naming the project left alone."""
    return (
        f"{len(plan.edits)} files changed, {plan.replacements} replacements, "
        f"{len(plan.renames)} paths renamed, {len(plan.binary)} binary or non-UTF-8 files naming the project left alone."
    )


NEXT_STEPS = """\
Next:
  1. Delete the template's history and start yours:  rm -rf .git && git init
  2. Run the tests:  make test
The embedded database under .data/ starts new databases under the new name; delete .data/ to
drop the old ones."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command-line flags (see the module docstring)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", help="the new name, snake_case: my_app")
    parser.add_argument("--title", help="the name people read (default: from the name, My App)")
    parser.add_argument("--yes", action="store_true", help="do not ask anything")
    parser.add_argument("--dry-run", action="store_true", help="list the changes, change nothing")
    parser.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="PATTERN",
        help="leave matching paths alone (repeatable)",
    )
    return parser.parse_args(argv)


def choose_names(args: argparse.Namespace, root: Path) -> ProjectName | str:
    """The new names, or the reason they are refused.

    Asks for what the flags leave out, except with --yes or --dry-run (the title then
    defaults to the name's words).
    """
    asks = not (args.yes or args.dry_run)
    name = (
        args.name
        if args.name is not None
        else (input("New name (snake_case, e.g. my_app): ") if asks else "")
    )
    name = name.strip()
    if not name:
        return "A new name is needed: --name my_app"
    problem = refusal(name, CURRENT_NAME, root)
    if problem:
        return problem
    title = args.title
    if title is None:
        title = input(f"Title [{default_title(name)}]: ").strip() if asks else ""
    title = title or default_title(name)
    return title_refusal(title) or ProjectName(name, title)


def _answer(prompt: str) -> str:
    try:
        return input(prompt).strip()
    except EOFError:
        return ""


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code (2: refused, 1: not confirmed)."""
    args = parse_args(argv)
    if not (ROOT / CURRENT_NAME).is_dir():
        print(f"No {CURRENT_NAME}/ package folder here: was the project renamed already?", file=sys.stderr)
        return EXIT_REFUSED
    old = ProjectName(CURRENT_NAME, CURRENT_TITLE)
    try:
        new = choose_names(args, ROOT)
    except EOFError:
        new = "No answer (input is closed): pass --name NAME and --yes."
    if isinstance(new, str):
        print(new, file=sys.stderr)
        return EXIT_REFUSED
    plan = make_plan(ROOT, old, new, [*ALWAYS_KEPT, *args.keep])
    print(f"Renaming:\n{describe_names(old, new)}\n\nChanges:\n{describe_plan(plan, ROOT)}\n")
    if args.dry_run:
        print(f"Dry run, nothing changed. Would make: {summary(plan)}")
        return 0
    if not args.yes and _answer("Rename? [y/N] ").lower() != "y":
        print("Nothing changed.")
        return 1
    apply(plan)
    print(f"Done: {summary(plan)}\n{reformat(ROOT)}\n\n{NEXT_STEPS}")
    return 0


def reformat(root: Path) -> str:
    """Format the renamed code with the project's own ruff, the version ``uv.lock`` pins (a name
    of another length moves line breaks, and another name sorts elsewhere among imports; CI's
    lint checks both). Where no such ruff is installed yet (a fresh clone), ``make install``
    installs the locked dependencies first, as every ``make`` target would. Says what it did."""
    ruff = _locked_ruff(root)
    if ruff is None and shutil.which("make") is not None:
        print("Installing the locked dependencies (make install) to format the renamed code...", flush=True)
        subprocess.run(["make", "install"], cwd=root, check=False)
        ruff = _locked_ruff(root)
    if ruff is None:
        return (
            "Not formatted: the project's ruff could not be installed. Run `make format` before your "
            "first commit (a name of another length moves line breaks, and CI's lint checks them)."
        )
    for arguments in (["check", "--fix-only", "--select", "I", "."], ["format", "."]):
        subprocess.run([*ruff, *arguments], cwd=root, capture_output=True, check=False)
    return "Formatted with the project's ruff (line lengths and import order follow the new name)."


def _locked_ruff(root: Path) -> list[str] | None:
    """A ruff command of the version ``uv.lock`` pins (any version if it pins none), or None."""
    wanted = _locked_version(root / LOCK_FILE, "ruff")
    for command in _ruff_commands(root):
        try:
            shown = subprocess.run([*command, "--version"], capture_output=True, text=True, check=False)
        except OSError:
            continue
        # "ruff 0.8.4", or with a build's hash and date after it.
        if shown.returncode == 0 and (wanted is None or wanted in shown.stdout.split()[1:2]):
            return command
    return None


def _ruff_commands(root: Path) -> Iterator[list[str]]:
    venv_ruff = root / ".venv" / ("Scripts/ruff.exe" if os.name == "nt" else "bin/ruff")
    if venv_ruff.exists():
        yield [str(venv_ruff)]
    if importlib.util.find_spec("ruff") is not None:  # run with the project's Python
        yield [sys.executable, "-m", "ruff"]
    on_path = shutil.which("ruff")
    if on_path is not None:
        yield [on_path]


def _locked_version(lock_file: Path, package: str) -> str | None:
    try:
        lock = tomllib.loads(lock_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    versions = [entry.get("version") for entry in lock.get("package", []) if entry.get("name") == package]
    return versions[0] if versions and isinstance(versions[0], str) else None


if __name__ == "__main__":
    sys.exit(main())
