"""Add a table with every layer the project's conventions ask for, and a passing test.

Usage:
    python dev_scripts/add_table.py                  (asks for the names)
    python dev_scripts/add_table.py --table invoices --model SQLInvoice --pk InvoiceId --yes

Writes, for SQLInvoice in table ``invoices``:
    shared_models/invoice.py                     InvoiceId and the shared model Invoice
    backend/data/sql_models/invoice.py           SQLInvoice (registered in sql_models/__init__.py)
    backend/data/model_mungers/invoice_mungers.py  InvoiceMunger
    backend/data/repositories/invoice_repository.py  InvoiceRepository
    backend/data/model_managers/invoice_manager.py   InvoiceManager (``managers().invoices``,
                                                 added to model_managers/registry.py)
    tests/backend/test_invoice_layers.py         the layers on the real test database

The generated layers hold only what is particular to the table: the bases take the model from
the generic arguments and bring get/require/list.

It never overwrites a file. Afterwards: `make migrations` writes the migration that creates the
table, and `make test` runs the new test.
"""

from __future__ import annotations

import argparse
import ast
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
SQL_MODELS_INIT = f"{DATA}/sql_models/__init__.py"
REGISTRY = f"{DATA}/model_managers/registry.py"
REGISTRY_MARK = "    # add_table.py adds new managers above this line."
MAX_TABLE_NAME = 63  # PostgreSQL's identifier limit

_TABLE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_MODEL = re.compile(r"^SQL[A-Z][A-Za-z0-9]*$")
_PK = re.compile(r"^[A-Z][A-Za-z0-9]*Id$")
# A class-body assignment, not a mention in a docstring or message.
_TABLENAME = re.compile(r"""^[ \t]+__tablename__\s*=\s*["']([^"']+)["']""", flags=re.MULTILINE)
# The registry's properties, named after their tables.
_REGISTRY_PROPERTY = re.compile(r"^    def (\w+)\(self\)", flags=re.MULTILINE)


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
    if names.table in _REGISTRY_PROPERTY.findall((root / REGISTRY).read_text(encoding="utf-8")):
        raise InvalidNameError(f"managers().{names.table} exists already in {REGISTRY}: choose another name.")
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
        f"{DATA}/model_mungers/{module}_mungers.py": MUNGERS,
        f"{DATA}/repositories/{module}_repository.py": REPOSITORY,
        f"{DATA}/model_managers/{module}_manager.py": MANAGER,
        f"tests/backend/test_{module}_layers.py": TEST,
    }
    return {path: Template(template).substitute(values) for path, template in templates.items()}


def refuse_existing(root: Path, paths: list[str]) -> None:
    """Raise before writing anything if any of ``paths`` exists."""
    taken = [path for path in paths if (root / path).exists()]
    if taken:
        raise InvalidNameError("These files exist already (nothing was written): " + ", ".join(taken))


def register_model(init_source: str, names: TableNames) -> str:
    """``sql_models/__init__.py`` with the new model imported and listed in ``__all__``."""
    prefix = f"from {PACKAGE}.backend.data.sql_models."
    lines = init_source.splitlines()
    imports = [line for line in lines if line.startswith(prefix)]
    if not imports:
        raise InvalidNameError(f"{SQL_MODELS_INIT} has no `{prefix}...` imports to add the model to.")
    new_import = f"{prefix}{names.module} import {names.model}"
    first = lines.index(imports[0])
    rest = [line for line in lines if line not in imports]
    rest[first:first] = sorted([*imports, new_import])
    return _add_to_all("\n".join(rest) + "\n", names.model)


def _add_to_all(source: str, name: str) -> str:
    match = re.search(r"^__all__ = (\[.*?\])", source, flags=re.MULTILINE | re.DOTALL)
    if match is None:
        raise InvalidNameError(f"{SQL_MODELS_INIT} has no __all__ list to add {name} to.")
    listed = sorted({*ast.literal_eval(match.group(1)), name})
    return source[: match.start(1)] + repr(listed).replace("'", '"') + source[match.end(1) :]


def register_manager(registry_source: str, names: TableNames) -> str:
    """``model_managers/registry.py`` with the table's manager added (ruff sorts the imports)."""
    if REGISTRY_MARK not in registry_source:
        raise InvalidNameError(
            f"{REGISTRY} has lost its line {REGISTRY_MARK.strip()!r}: add the manager by hand."
        )
    values = names.substitutions()
    entry = Template(REGISTRY_ENTRY).substitute(values)
    source = registry_source.replace(REGISTRY_MARK, entry + REGISTRY_MARK)
    first_import = source.index(f"from {PACKAGE}.")
    return source[:first_import] + Template(REGISTRY_IMPORTS).substitute(values) + source[first_import:]


def write_files(root: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` (the registries last: they are rewritten); the paths touched."""
    written = []
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # "x": a new file must never replace one, even one created since the check.
        with path.open("w" if relative in (SQL_MODELS_INIT, REGISTRY) else "x", encoding="utf-8") as handle:
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
    lines.append(f"  and {SQL_MODELS_INIT} imports {names.model}; {REGISTRY} gets managers().{names.table}")
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
        models = register_model((ROOT / SQL_MODELS_INIT).read_text(encoding="utf-8"), names)
        registry = register_manager((ROOT / REGISTRY).read_text(encoding="utf-8"), names)
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
    tidy(ROOT, write_files(ROOT, {**files, SQL_MODELS_INIT: models, REGISTRY: registry}))
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
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Uuid
from sqlmodel import Field

from $package.backend.data.sql_models.base import HeavyModel, created_at_field
from $package.shared_models.$module import $PkType


class $Model(HeavyModel, table=True):
    """A row of ``$table``."""

    __tablename__ = "$table"

    # UUIDs made in Python: portable to CockroachDB, where serial ids are not sequential.
    id: $PkType = Field(default_factory=lambda: $PkType(uuid.uuid4()), primary_key=True, sa_type=Uuid)
    name: str = Field(max_length=200)
    created_at: datetime = created_at_field()
'''

MUNGERS = """\
from __future__ import annotations

from heavy import ModelMunger
from $package.backend.data.sql_models.$module import $Model
from $package.shared_models.$module import $Entity


class ${Entity}Munger(ModelMunger[$Entity, $Model]):
    def to_model(self, source: $Model) -> $Entity:
        return $Entity(id=source.id, name=source.name, created_at=source.created_at)
"""

REPOSITORY = '''\
from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select

from heavy import SQLRepositoryBase
from $package.backend.data.sql_models.$module import $Model
from $package.shared_models.$module import $PkType


class ${Entity}Repository(SQLRepositoryBase[$Model, $PkType]):
    """``$table`` rows: get, list, add, update and delete come from the base; queries go here."""

    async def list_newest_first(self, *, offset: int = 0, limit: int = 100) -> Sequence[$Model]:
        statement = select($Model).order_by(col($Model.created_at).desc()).offset(offset).limit(limit)
        return (await self.db_session.exec(statement)).all()
'''

MANAGER = '''\
from __future__ import annotations

from collections.abc import Sequence

from heavy import BaseManager, NotFoundError, TargetT
from $package.backend.data.repositories.${module}_repository import ${Entity}Repository
from $package.backend.data.sql_models.$module import $Model
from $package.shared_models.$module import $PkType


class ${Entity}NotFoundError(NotFoundError):
    """No $human with that id."""


class ${Entity}Manager(BaseManager[${Entity}Repository, TargetT]):
    """Rows of ``$table``; ``get``, ``require`` and ``list`` come from the base."""

    not_found = ${Entity}NotFoundError

    async def list_newest_first(self, *, offset: int = 0, limit: int = 100) -> Sequence[TargetT]:
        return self.outputs(await self.repository.list_newest_first(offset=offset, limit=limit))

    async def create(self, name: str) -> TargetT:
        return self.output(await self.repository.add($Model(name=name.strip())))

    async def rename(self, $id_var: $PkType, name: str) -> TargetT:
        row = await self.require_row($id_var)
        return self.output(await self.repository.update(row, name=name.strip()))

    async def delete(self, $id_var: $PkType) -> None:
        await self.repository.delete(await self.require_row($id_var))
'''

TEST = '''\
"""The $Entity layers on the real test database, through the app's manager."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from $package.backend.data.model_managers.${module}_manager import ${Entity}NotFoundError
from $package.backend.data.model_managers.registry import managers
from $package.shared_models.$module import $Entity, $PkType


class Test${Entity}Manager:
    async def test_create_then_get_returns_the_shared_model(self, db_session: AsyncSession) -> None:
        created = await managers().$table.create("  First  ")

        assert isinstance(created, $Entity)
        assert created.name == "First"
        assert await managers().$table.get(created.id) == created

    async def test_an_unknown_id_is_none_or_not_found(self, db_session: AsyncSession) -> None:
        assert await managers().$table.get($PkType(uuid.uuid4())) is None
        with pytest.raises(${Entity}NotFoundError):
            await managers().$table.require($PkType(uuid.uuid4()))

    async def test_list_newest_first(self, db_session: AsyncSession) -> None:
        for name in ("older", "newer"):
            await managers().$table.create(name)

        assert [item.name for item in await managers().$table.list_newest_first()] == ["newer", "older"]
        assert len(await managers().$table.list_newest_first(limit=1)) == 1

    async def test_rename_is_stored(self, db_session: AsyncSession) -> None:
        created = await managers().$table.create("Before")

        renamed = await managers().$table.rename(created.id, " After ")
        assert renamed.name == "After"
        assert await managers().$table.get(created.id) == renamed

    async def test_delete_removes_the_row(self, db_session: AsyncSession) -> None:
        created = await managers().$table.create("Gone soon")

        await managers().$table.delete(created.id)
        assert await managers().$table.get(created.id) is None
        with pytest.raises(${Entity}NotFoundError):
            await managers().$table.delete(created.id)
'''

# Added to model_managers/registry.py: the table's manager, with its usual munger.
REGISTRY_ENTRY = """\
    @cached_property
    def $table(self) -> ${Entity}Manager[$Entity]:
        return ${Entity}Manager(${Entity}Munger())

"""
REGISTRY_IMPORTS = """\
from $package.backend.data.model_managers.${module}_manager import ${Entity}Manager
from $package.backend.data.model_mungers.${module}_mungers import ${Entity}Munger
from $package.shared_models.$module import $Entity
"""


if __name__ == "__main__":
    sys.exit(main())
