"""note imports: which uploaded file became which note (an upload id counts once)

Revision ID: 5b2f8c1d9e07
Revises: 54ab05bab246
Create Date: 2026-12-06 04:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "5b2f8c1d9e07"
down_revision: str | Sequence[str] | None = "54ab05bab246"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "note_imports",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column("note_id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"], ["notes.id"], name=op.f("fk_note_imports_note_id_notes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_note_imports_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("owner_id", "upload_id", name=op.f("pk_note_imports")),
    )
    op.create_index(op.f("ix_note_imports_note_id"), "note_imports", ["note_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_note_imports_note_id"), table_name="note_imports")
    op.drop_table("note_imports")
