"""bench/page_probe.py: a new visitor's page loads, timed against a real server while the
block runs, and in the bench's report."""

from __future__ import annotations

import time

import pytest
from heavy.testing.live_server import LiveServer, free_port

import bench.page_probe as page_probe
from bench.__main__ import Row, _page_loads_during_replays
from bench.page_probe import PageLoads, page_loads_during


@pytest.fixture
def quick_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page_probe, "START_AFTER_S", 0.0)
    monkeypatch.setattr(page_probe, "PERIOD_S", 0.05)
    monkeypatch.setattr(page_probe, "TIMEOUT_S", 5.0)


@pytest.mark.usefixtures("quick_probe")
def test_it_times_each_page_load_of_a_running_server(server: LiveServer) -> None:
    with page_loads_during(server.base_url) as loads:
        time.sleep(1.0)
    assert loads.failures == 0
    assert len(loads.samples_ms) >= 3
    assert all(0 < sample < 5000 for sample in loads.samples_ms)


@pytest.mark.usefixtures("quick_probe")
def test_a_server_that_does_not_answer_is_counted_as_failed_loads() -> None:
    with page_loads_during(f"http://127.0.0.1:{free_port()}") as loads:
        time.sleep(0.5)
    assert loads.failures >= 2
    assert loads.samples_ms == []


def test_the_report_gives_each_replays_page_loads() -> None:
    row = Row(
        "4. demo replay, 500 users", 20, 90, 150, 1000.0, page_loads=PageLoads([100.0, 200.0, 1500.0], 1)
    )
    unprobed = Row("4. demo replay, 1 user", 5, 9, 12, 10.0)
    lines = _page_loads_during_replays([row, unprobed])
    assert (
        lines[-1]
        == "- 4. demo replay, 500 users: 3 loads, p50 200 ms, p95 1,500 ms, slowest 1,500 ms, 1 failed"
    )
    assert not any("1 user" in line for line in lines)
    assert _page_loads_during_replays([unprobed]) == []
