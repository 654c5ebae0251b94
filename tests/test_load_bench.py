"""bench/load.py's open loop: arrivals spread evenly over the clients, none at the same moment."""
import pytest

from tests import helpers


@pytest.fixture(scope="module")
def load_bench():
    return helpers.load_bench("load")


@pytest.mark.parametrize("clients, rate", [(50, 100), (50, 20), (5, 20), (7, 33)])
def test_arrivals_are_evenly_spaced_and_dealt_in_turn(load_bench, clients, rate):
    seconds = 10
    schedules = load_bench.arrival_schedules(100.0, clients, rate, seconds)
    assert len(schedules) == clients
    arrivals = sorted(moment for schedule in schedules for moment in schedule if moment < 100.0 + seconds)
    assert len(arrivals) == seconds * rate  # R per second, no more, no fewer
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert min(gaps) == pytest.approx(1 / rate) and max(gaps) == pytest.approx(1 / rate)
    for n, schedule in enumerate(schedules):  # client n: the n-th arrival, then every N-th
        assert schedule[0] == pytest.approx(100.0 + n / rate)
        assert schedule[1] - schedule[0] == pytest.approx(clients / rate)
