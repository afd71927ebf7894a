from __future__ import annotations

from datetime import datetime, timedelta

from heavy import SQLRepositoryBase
from sqlalchemy import case, delete
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from heavy_stack.backend.data.sql_models.rate_limit_counter import SQLRateLimitCounter


class RateLimitCounterRepository(SQLRepositoryBase[SQLRateLimitCounter, str]):
    """``rate_limit_counters`` rows, by key."""

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

    async def delete_by_key(self, key: str) -> None:
        await self.db_session.exec(delete(SQLRateLimitCounter).where(col(SQLRateLimitCounter.key) == key))

    async def delete_expired(self, now: datetime) -> int:
        statement = delete(SQLRateLimitCounter).where(col(SQLRateLimitCounter.window_ends_at) <= now)
        result = await self.db_session.exec(statement)
        return int(getattr(result, "rowcount", 0))
