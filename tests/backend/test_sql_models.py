from __future__ import annotations

import pytest

from heavy_stack.backend.data.sql_models.base import HeavyModel, HeavyModelDefinitionError
from heavy_stack.backend.data.sql_models.user import SQLUser


def test_a_model_without_table_true_is_refused_when_defined() -> None:
    with pytest.raises(HeavyModelDefinitionError, match=r"class Forgot\(HeavyModel, table=True\)"):

        class Forgot(HeavyModel):
            __tablename__ = "forgot"


def test_a_misspelt_table_flag_is_named_in_the_error() -> None:
    with pytest.raises(HeavyModelDefinitionError, match="found Table="):

        class Misspelt(HeavyModel, Table=True):
            __tablename__ = "misspelt"


def test_a_model_without_tablename_is_refused() -> None:
    with pytest.raises(HeavyModelDefinitionError, match="no __tablename__"):

        class Nameless(HeavyModel, table=True):
            pass


def test_constraints_follow_the_naming_convention() -> None:
    names = {constraint.name for constraint in SQLUser.__table__.constraints}  # type: ignore[attr-defined]
    assert {"pk_users", "uq_users_email"} <= names
