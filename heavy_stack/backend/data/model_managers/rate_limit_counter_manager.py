from __future__ import annotations

from datetime import timedelta

from heavy import Manager, TargetT, utc_now
from sqlmodel import col

from heavy_stack.backend.data.repositories.rate_limit_counter_repository import RateLimitCounterRepository
from heavy_stack.backend.data.sql_models.rate_limit_counter import SQLRateLimitCounter


class RateLimitCounterManager(Manager[SQLRateLimitCounter, TargetT]):
    """Counters in fixed time windows, for rate limits."""

    repository = RateLimitCounterRepository()

    async def add(self, key: str, window: timedelta, amount: int = 1) -> TargetT:
        """Count ``amount`` more (or fewer, when negative) and return the count so far."""
        return self.output(await self.repository.add_to_count(key, amount, window, utc_now()))

    async def reset(self, key: str) -> None:
        await self.repository.delete_where(SQLRateLimitCounter.key == key)

    async def delete_expired(self) -> int:
        return await self.repository.delete_where(col(SQLRateLimitCounter.window_ends_at) <= utc_now())
