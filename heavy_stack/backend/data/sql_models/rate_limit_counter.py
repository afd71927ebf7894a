from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field

from heavy_stack.backend.data.sql_models.base import HeavyModel


class SQLRateLimitCounter(HeavyModel, table=True):
    """A row of ``rate_limit_counters``: how often something happened in the current window.

    ``key`` names what is counted, e.g. ``sign-in:account:<digest of the e-mail>``.
    """

    __tablename__ = "rate_limit_counters"

    key: str = Field(primary_key=True, max_length=100)
    count: int
    window_ends_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
