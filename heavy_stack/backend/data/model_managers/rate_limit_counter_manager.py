from __future__ import annotations

from datetime import timedelta
from typing import Any

from heavy_stack.backend.data.model_managers.base import BaseManager, TargetT
from heavy_stack.backend.data.model_mungers.base import ModelMunger
from heavy_stack.backend.data.repositories.rate_limit_counter_repository import RateLimitCounterRepository
from heavy_stack.backend.data.sql_models.base import utc_now
from heavy_stack.backend.data.sql_models.rate_limit_counter import SQLRateLimitCounter


class RateLimitCounterManager(BaseManager[TargetT]):
    """Counters in fixed time windows, for rate limits."""

    sql_model = SQLRateLimitCounter

    def __init__(self, munger: ModelMunger[TargetT, Any]) -> None:
        super().__init__(munger)
        self.counters = RateLimitCounterRepository()

    async def add(self, key: str, window: timedelta, amount: int = 1) -> TargetT:
        """Count ``amount`` more (or fewer, when negative) and return the count so far."""
        return self.munger.to_model(await self.counters.add_to_count(key, amount, window, utc_now()))

    async def reset(self, key: str) -> None:
        await self.counters.delete_by_key(key)

    async def delete_expired(self) -> int:
        return await self.counters.delete_expired(utc_now())
