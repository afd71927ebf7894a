from __future__ import annotations

from heavy import ModelMunger

from heavy_stack.backend.data.sql_models.rate_limit_counter import SQLRateLimitCounter
from heavy_stack.shared_models.rate_limit import RateLimitCount


class RateLimitCountMunger(ModelMunger[RateLimitCount, SQLRateLimitCounter]):
    def to_model(self, source: SQLRateLimitCounter) -> RateLimitCount:
        return RateLimitCount(count=source.count, window_ends_at=source.window_ends_at)
