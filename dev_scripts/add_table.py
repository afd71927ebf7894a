"""Add a table: what is particular to it, and a passing test; the framework brings the rest.

Usage:
    python dev_scripts/add_table.py                  (asks for the names)
    python dev_scripts/add_table.py --table invoices --model SQLInvoice --pk InvoiceId --yes

Writes, for SQLInvoice in table ``invoices``, three files and edits none:
    shared_models/invoice.py                 InvoiceId and the shared model Invoice
    backend/data/sql_models/invoice.py       SQLInvoice, and its manager ``invoices``
    tests/backend/test_invoice_layers.py     the table through its manager, on the real database

``invoices = CrudManager(SQLInvoice, Invoice)`` reads by key and by conditions, adds, updates and
deletes by key (``heavy.CrudManager``); rows come out as ``Invoice``, whose fields the row has
under the same names (no munger). ``sql_models/__init__.py`` imports every module of its folder,
so metadata and migrations see the table without a line added. A repository, a munger or a
manager class of its own is written when the table needs one (see docs/architecture.md).

It never overwrites a file. Afterwards: `make migrations` writes the migration that creates the
table (the fourth file), and `make test` runs the new test.
"""

from __future__ import annotations

import argparse
import keyword
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template

# Rewritten by rename_project.py along with every other mention of the package.
PACKAGE = "heavy_stack"
ROOT = Path(__file__).resolve().parent.parent
DATA = f"{PACKAGE}/backend/data"
MAX_TABLE_NAME = 63  # PostgreSQL's identifier limit
# Names the table's module defines besides its manager (named after the table).
MODULE_NAMES = frozenset(("annotations", "uuid", "datetime", "created_at_field"))

_TABLE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_MODEL = re.compile(r"^SQL[A-Z][A-Za-z0-9]*$")
_PK = re.compile(r"^[A-Z][A-Za-z0-9]*Id$")
# A class-body assignment, not a mention in a docstring or message.
_TABLENAME = re.compile(r"""^[ \t]+__tablename__\s*=\s*["']([^"']+)["']""", flags=re.MULTILINE)


class InvalidNameError(ValueError):
    """A name given on the command line or at a prompt is refused; the message says why."""


@dataclass(frozen=True)
class TableNames:
    """Every name the generated code uses, derived from the three the user gives."""

    table: str
    model: str
    pk: str

    @property
    def entity(self) -> str:
        """The shared model's name: ``SQLInvoice`` -> ``Invoice``."""
        return self.model.removeprefix("SQL")

    @property
    def module(self) -> str:
        """The modules' base name: ``invoice``."""
        return camel_to_snake(self.entity)

    @property
    def human(self) -> str:
        """The name in prose: ``line item``."""
        return self.module.replace("_", " ")

    def substitutions(self) -> dict[str, str]:
        """The values of the templates' ``$placeholders``."""
        return {
            "package": PACKAGE,
            "table": self.table,
            "Model": self.model,
            "PkType": self.pk,
            "Entity": self.entity,
            "module": self.module,
            "human": self.human,
            "id_var": f"{self.module}_id",
        }


def camel_to_snake(name: str) -> str:
    """``HTTPLogEntry`` -> ``http_log_entry``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def snake_to_camel(name: str) -> str:
    """``line_item`` -> ``LineItem``."""
    return "".join(part.capitalize() for part in name.split("_"))


def default_model(table: str) -> str:
    """A guess from the table name: ``invoices`` -> ``SQLInvoice`` (plural ``s`` dropped)."""
    singular = table[:-1] if table.endswith("s") and not table.endswith("ss") else table
    return f"SQL{snake_to_camel(singular)}"


def default_pk(model: str) -> str:
    """``SQLInvoice`` -> ``InvoiceId``."""
    return f"{model.removeprefix('SQL')}Id"


def existing_tables(root: Path) -> set[str]:
    """Table names the SQL models already declare."""
    names: set[str] = set()
    for path in (root / DATA / "sql_models").glob("*.py"):
        names.update(_TABLENAME.findall(path.read_text(encoding="utf-8")))
    return names


def validate(names: TableNames, root: Path) -> None:
    """Raise ``InvalidNameError`` with a clear message for the first name that is refused."""
    if not _TABLE.match(names.table) or len(names.table) > MAX_TABLE_NAME:
        raise InvalidNameError(
            f"Table name {names.table!r}: use plural snake_case, e.g. invoices or line_items "
            f"(lowercase letters, digits and single underscores, at most {MAX_TABLE_NAME} characters)."
        )
    if keyword.iskeyword(names.table):
        raise InvalidNameError(f"Table name {names.table!r} is a reserved word here: choose another.")
    if names.table in existing_tables(root):
        raise InvalidNameError(f"A model already declares the table {names.table!r}.")
    if names.table in MODULE_NAMES:
        raise InvalidNameError(
            f"Table name {names.table!r} is a name the table's module uses: choose another."
        )
    if not _MODEL.match(names.model):
        raise InvalidNameError(
            f"SQL model name {names.model!r}: start with SQL, then CamelCase, e.g. SQLInvoice."
        )
    if keyword.iskeyword(names.entity) or keyword.iskeyword(names.module):
        raise InvalidNameError(f"SQL model name {names.model!r}: {names.entity!r} is a Python keyword.")
    if not _PK.match(names.pk) or names.pk in (names.entity, names.model):
        raise InvalidNameError(f"Id type name {names.pk!r}: CamelCase ending in Id, e.g. InvoiceId.")


def planned_files(names: TableNames) -> dict[str, str]:
    """Relative path -> content of every new file."""
    values = names.substitutions()
    module = names.module
    templates = {
        f"{PACKAGE}/shared_models/{module}.py": SHARED_MODEL,
        f"{DATA}/sql_models/{module}.py": SQL_MODEL,
        f"tests/backend/test_{module}_layers.py": TEST,
    }
    return {path: Template(template).substitute(values) for path, template in templates.items()}


def refuse_existing(root: Path, paths: list[str]) -> None:
    """Raise before writing anything if any of ``paths`` exists."""
    taken = [path for path in paths if (root / path).exists()]
    if taken:
        raise InvalidNameError("These files exist already (nothing was written): " + ", ".join(taken))


def write_files(root: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files``; the paths written."""
    written = []
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # "x": a new file must never replace one, even one created since the check.
        with path.open("x", encoding="utf-8") as handle:
            handle.write(content)
        written.append(path)
    return written


def tidy(root: Path, paths: list[Path]) -> None:
    """Format and sort imports with ruff, as ``make format`` would (skipped if ruff is missing)."""
    shown = [str(path) for path in paths]
    # Format first (long names make long lines), fix imports, then format what the fixes moved.
    steps = (
        ["format", "--quiet", *shown],
        ["check", "--fix", "--quiet", *shown],
        ["format", "--quiet", *shown],
    )
    for arguments in steps:
        try:
            subprocess.run([sys.executable, "-m", "ruff", *arguments], cwd=root, check=True)
        except (OSError, subprocess.CalledProcessError):
            print("Could not run ruff on the new files: run `make format` and `make lint`.")
            return


def ask(prompt: str, default: str | None = None) -> str:
    """Ask on the terminal; an empty answer takes the default."""
    shown = f" [{default}]" if default else ""
    return input(f"{prompt}{shown}: ").strip() or (default or "")


def collect_names(args: argparse.Namespace, prompt: Callable[[str, str | None], str]) -> TableNames:
    """The names from the flags; the missing ones asked for, or derived with ``--yes``."""
    table = args.table or ("" if args.yes else prompt("Table name (plural snake_case)", None))
    if not table:
        raise InvalidNameError("A table name is needed: --table invoices")
    model = args.model or (
        default_model(table) if args.yes else prompt("SQL model name", default_model(table))
    )
    pk = args.pk or (default_pk(model) if args.yes else prompt("Id type name", default_pk(model)))
    return TableNames(table=table, model=model, pk=pk)


def describe(names: TableNames, files: dict[str, str]) -> str:
    """What will be written, for the user to confirm."""
    lines = [f"Table {names.table}: {names.model} (id {names.pk}), shared model {names.entity}. New files:"]
    lines += [f"  {path}" for path in files]
    lines.append(f"  No other file changes: the manager is `{names.table}` in the SQL model's module.")
    return "\n".join(lines)


def _confirmed() -> bool:
    try:
        return ask("Write them? [y/N]").lower() == "y"
    except EOFError:
        return False


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code (2: a name was refused)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--table", help="table name, plural snake_case: invoices")
    parser.add_argument("--model", help="SQL model class: SQLInvoice")
    parser.add_argument("--pk", help="id type: InvoiceId")
    parser.add_argument("--yes", action="store_true", help="do not ask anything")
    args = parser.parse_args(argv)
    try:
        names = collect_names(args, ask)
        validate(names, ROOT)
        files = planned_files(names)
        refuse_existing(ROOT, list(files))
    except InvalidNameError as error:
        print(error, file=sys.stderr)
        return 2
    except EOFError:
        print("No answer (input is closed): pass --table, --model, --pk and --yes.", file=sys.stderr)
        return 2
    print(describe(names, files))
    if not args.yes and not _confirmed():
        print("Nothing written.")
        return 1
    tidy(ROOT, write_files(ROOT, files))
    print(
        f"Done. Next: `make migrations MESSAGE='add {names.table}'` to write the migration, then `make test`."
    )
    return 0


SHARED_MODEL = '''\
"""The $human as the pages see one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NewType

from pydantic import BaseModel, ConfigDict

$PkType = NewType("$PkType", uuid.UUID)


class $Entity(BaseModel):
    """A $human, as a person thinks of it (not necessarily as the table stores it)."""

    model_config = ConfigDict(frozen=True)

    id: $PkType
    name: str
    created_at: datetime
'''

SQL_MODEL = '''\
"""``$table``: the table, and its manager ``$table`` (get, list, add, update, delete)."""

from __future__ import annotations

import uuid
from datetime import datetime

from heavy import CrudManager
from sqlalchemy import Uuid
from sqlmodel import Field

from $package.backend.data.sql_models.base import HeavyModel, created_at_field
from $package.shared_models.$module import $Entity, $PkType


class $Model(HeavyModel, table=True):
    """A row of ``$table``."""

    __tablename__ = "$table"

    # UUIDs made in Python: portable to CockroachDB, where serial ids are not sequential.
    id: $PkType = Field(default_factory=lambda: $PkType(uuid.uuid4()), primary_key=True, sa_type=Uuid)
    name: str = Field(max_length=200)
    created_at: datetime = created_at_field()


# Rows go out as $Entity (same field names: no munger). Rules of its own: a Manager subclass.
$table = CrudManager($Model, $Entity)
'''

TEST = '''\
"""The $table table on the real test database, through its manager."""

from __future__ import annotations

import uuid

import pytest
from heavy import NotFoundError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from $package.backend.data.sql_models.$module import $Model, $table
from $package.shared_models.$module import $Entity, $PkType


async def test_add_then_get_gives_the_shared_model(db_session: AsyncSession) -> None:
    added = await $table.add($Model(name="First"))

    assert isinstance(added, $Entity)
    assert await $table.get(added.id) == added
    assert await $table.get($PkType(uuid.uuid4())) is None


async def test_list_newest_first(db_session: AsyncSession) -> None:
    for name in ("older", "newer"):
        await $table.add($Model(name=name))

    newest_first = await $table.list(order_by=col($Model.created_at).desc())
    assert [item.name for item in newest_first] == ["newer", "older"]


async def test_update_then_delete_by_key(db_session: AsyncSession) -> None:
    added = await $table.add($Model(name="Before"))

    assert (await $table.update(added.id, name="After")).name == "After"
    await $table.delete(added.id)
    with pytest.raises(NotFoundError):
        await $table.require(added.id)
'''


if __name__ == "__main__":
    sys.exit(main())
