"""task queue: pgqueuer's tables and heavy's task progress

Revision ID: 5b0f3c2a9d17
Revises: 5b2f8c1d9e07
Create Date: 2026-12-06 04:30:00.000000
"""

from collections.abc import Sequence

import heavy
from alembic import op

revision: str = "5b0f3c2a9d17"
down_revision: str | Sequence[str] | None = "5b2f8c1d9e07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The library's own schema (at the pgqueuer version uv.lock pins) and heavy's progress table.
    heavy.create_task_queue(op.get_bind())


def downgrade() -> None:
    heavy.drop_task_queue(op.get_bind())
