"""Where a rate-limited action stands in its current window."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class RateLimitCount(BaseModel):
    """``count`` actions so far in a window that ends at ``window_ends_at``."""

    model_config = ConfigDict(frozen=True)

    count: int
    window_ends_at: datetime
