from __future__ import annotations

from datetime import datetime, timedelta

from heavy import Repository
from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from heavy_stack.backend.data.sql_models.rate_limit_counter import SQLRateLimitCounter


class RateLimitCounterRepository(Repository[SQLRateLimitCounter, str]):
    """``rate_limit_counters`` rows, by key: the base's, and the count added in one statement."""

    async def add_to_count(
        self, key: str, amount: int, window: timedelta, now: datetime
    ) -> SQLRateLimitCounter:
        """Add ``amount`` to the key's count in one statement (safe under concurrent requests).

        A window that has ended starts again at ``amount``.
        """
        count, window_ends_at = col(SQLRateLimitCounter.count), col(SQLRateLimitCounter.window_ends_at)
        window_over = window_ends_at <= now
        statement = (
            insert(SQLRateLimitCounter)
            .values(key=key, count=amount, window_ends_at=now + window)
            .on_conflict_do_update(
                index_elements=[col(SQLRateLimitCounter.key)],
                set_={
                    "count": case((window_over, amount), else_=count + amount),
                    "window_ends_at": case((window_over, now + window), else_=window_ends_at),
                },
            )
            .returning(count, window_ends_at)
        )
        new_count, ends_at = (await self.db_session.exec(statement)).one()
        return SQLRateLimitCounter(key=key, count=new_count, window_ends_at=ends_at)
