"""The concurrency ledger: account pool, reserved and provisioned concurrency, throttles."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from turnout.errors import TooManyRequests
from turnout.invoke.admission import (
    ACCOUNT_LIMIT_EXCEEDED,
    RESERVED_LIMIT_EXCEEDED,
    ConcurrencyLedger,
    Lease,
)


def _fill(ledger: ConcurrencyLedger, function_name: str, owner: str | None = None,
          ) -> tuple[list[Lease], str]:
    """Acquire until refused; the leases and the refusal's Reason."""
    leases: list[Lease] = []
    for _ in range(10_000):
        try:
            leases.append(ledger.acquire_nowait(function_name, owner))
        except TooManyRequests as error:
            return leases, str(error.fields["Reason"])
    raise AssertionError("never throttled")


def test_throttle_has_aws_fields() -> None:
    ledger = ConcurrencyLedger(account_limit=1)
    ledger.acquire_nowait("f")
    with pytest.raises(TooManyRequests) as caught:
        ledger.acquire_nowait("f")
    error = caught.value
    assert error.shape == "TooManyRequestsException"
    assert error.message == "Rate Exceeded."
    assert error.fields == {"Reason": ACCOUNT_LIMIT_EXCEEDED, "Type": "User"}


@pytest.mark.parametrize(
    ("account", "reserved", "provisioned", "fills", "reason"),
    [
        # account pool shared by unreserved functions
        (3, {}, {}, [("f", None, 3)], ACCOUNT_LIMIT_EXCEEDED),
        # reserved 0 throttles everything
        (10, {"f": 0}, {}, [("f", None, 0)], RESERVED_LIMIT_EXCEEDED),
        # reserved 2 caps the function
        (10, {"f": 2}, {}, [("f", None, 2)], RESERVED_LIMIT_EXCEEDED),
        # reservations are carved out of the pool
        (10, {"a": 4}, {}, [("b", None, 6)], ACCOUNT_LIMIT_EXCEEDED),
        # provisioned slots of an unreserved function are carved out of the pool too
        (10, {}, {("f", "live"): 4}, [("g", None, 6)], ACCOUNT_LIMIT_EXCEEDED),
        # provisioned slots first, then spill over to the pool
        (10, {}, {("f", "live"): 2}, [("f", "live", 10)], ACCOUNT_LIMIT_EXCEEDED),
        # provisioned slots count against the reservation: on-demand gets R - P
        (10, {"f": 3}, {("f", "live"): 2}, [("f", None, 1)], RESERVED_LIMIT_EXCEEDED),
        (10, {"f": 3}, {("f", "live"): 2}, [("f", "live", 3)], RESERVED_LIMIT_EXCEEDED),
        # a version's slots do not serve the alias
        (10, {"f": 3}, {("f", "7"): 3}, [("f", "live", 0)], RESERVED_LIMIT_EXCEEDED),
        # a reserved function keeps its share while the pool is exhausted
        (10, {"a": 4}, {}, [("b", None, 6), ("a", None, 4)], RESERVED_LIMIT_EXCEEDED),
    ],
)
def test_limits(account: int, reserved: dict[str, int], provisioned: dict[tuple[str, str], int],
                fills: list[tuple[str, str | None, int]], reason: str) -> None:
    ledger = ConcurrencyLedger(account)
    for name, n in reserved.items():
        ledger.set_reserved(name, n)
    for (name, slot_owner), n in provisioned.items():
        ledger.set_provisioned(slot_owner, name, n)
    last_reason = ""
    for name, owner, expected in fills:
        leases, last_reason = _fill(ledger, name, owner)
        assert len(leases) == expected
    assert last_reason == reason


def test_provisioned_first_then_spillover() -> None:
    ledger = ConcurrencyLedger(100)
    ledger.set_provisioned("live", "f", 2)
    leases = [ledger.acquire_nowait("f", "live") for _ in range(3)]
    assert [(lease.provisioned, lease.spillover) for lease in leases] == [
        (True, False), (True, False), (False, True)]
    plain = ledger.acquire_nowait("f")
    assert (plain.provisioned, plain.spillover) == (False, False)
    usage = ledger.snapshot().functions["f"]
    assert usage.provisioned["live"].busy == 2
    assert usage.provisioned["live"].spillovers == 1
    assert (usage.in_use, usage.on_demand, usage.provisioned_busy) == (4, 2, 2)
    leases[0].release()
    again = ledger.acquire_nowait("f", "live")
    assert again.provisioned


def test_release_is_idempotent() -> None:
    ledger = ConcurrencyLedger(2)
    first = ledger.acquire_nowait("f")
    ledger.acquire_nowait("f")
    first.release()
    first.release()
    assert ledger.in_use("f") == 1
    ledger.acquire_nowait("f")
    with pytest.raises(TooManyRequests):
        ledger.acquire_nowait("f")


def test_lease_as_context_manager() -> None:
    ledger = ConcurrencyLedger(1)
    with ledger.acquire_nowait("f") as lease:
        assert ledger.in_use("f") == 1
    assert lease.released
    assert ledger.in_use("f") == 0


def test_lowering_a_reservation_keeps_running_invocations() -> None:
    ledger = ConcurrencyLedger(100)
    ledger.set_reserved("f", 3)
    leases, _ = _fill(ledger, "f")
    ledger.set_reserved("f", 1)
    assert ledger.in_use("f") == 3
    leases.pop().release()
    leases.pop().release()
    with pytest.raises(TooManyRequests):
        ledger.acquire_nowait("f")
    leases.pop().release()
    ledger.acquire_nowait("f")


def test_reserving_moves_running_invocations_out_of_the_pool() -> None:
    ledger = ConcurrencyLedger(10)
    running = [ledger.acquire_nowait("f") for _ in range(2)]
    assert ledger.snapshot().unreserved_in_use == 2
    ledger.set_reserved("f", 5)
    assert ledger.snapshot().unreserved_in_use == 0
    assert ledger.unreserved_capacity == 5
    running[0].release()
    ledger.set_reserved("f", None)
    assert ledger.snapshot().unreserved_in_use == 1
    assert ledger.unreserved_capacity == 10


def test_removing_slots_while_busy() -> None:
    ledger = ConcurrencyLedger(10)
    ledger.set_provisioned("live", "f", 1)
    busy = ledger.acquire_nowait("f", "live")
    ledger.set_provisioned("live", "f", 0)
    assert ledger.unreserved_capacity == 10
    assert not ledger.acquire_nowait("f", "live").spillover  # no longer provisioned
    busy.release()
    assert "live" not in ledger.snapshot().functions["f"].provisioned
    assert not ledger.acquire_nowait("f", "live").spillover


def test_forget_drops_configuration() -> None:
    ledger = ConcurrencyLedger(10)
    ledger.set_reserved("f", 4)
    ledger.set_provisioned("live", "f", 2)
    ledger.forget("f")
    assert ledger.unreserved_capacity == 10
    assert "f" not in ledger.snapshot().functions


@pytest.mark.parametrize("bad", [("reserved", -1), ("provisioned", -1)])
def test_negative_configuration_is_rejected(bad: tuple[str, int]) -> None:
    ledger = ConcurrencyLedger(10)
    kind, n = bad
    with pytest.raises(ValueError):
        if kind == "reserved":
            ledger.set_reserved("f", n)
        else:
            ledger.set_provisioned("live", "f", n)


FUNCTIONS = ("a", "b", "c")
OWNERS = ("x", "y")


class LedgerMachine(RuleBasedStateMachine):
    """Random configuration changes, acquisitions and releases against a plain model."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = ConcurrencyLedger(6)
        self.reserved: dict[str, int | None] = dict.fromkeys(FUNCTIONS)
        self.slots: dict[tuple[str, str], int] = {}
        self.leases: list[Lease] = []

    @rule(name=st.sampled_from(FUNCTIONS), n=st.none() | st.integers(0, 4))
    def set_reserved(self, name: str, n: int | None) -> None:
        self.ledger.set_reserved(name, n)
        self.reserved[name] = n

    @rule(name=st.sampled_from(FUNCTIONS), owner=st.sampled_from(OWNERS), n=st.integers(0, 3))
    def set_provisioned(self, name: str, owner: str, n: int) -> None:
        self.ledger.set_provisioned(owner, name, n)
        self.slots[(name, owner)] = n

    @rule(limit=st.integers(0, 8))
    def set_account_limit(self, limit: int) -> None:
        self.ledger.set_account_limit(limit)

    def _pool_capacity(self) -> int:
        reserved = sum(n for n in self.reserved.values() if n is not None)
        provisioned = sum(n for (name, _), n in self.slots.items() if self.reserved[name] is None)
        return max(0, self.ledger.account_limit - int(reserved) - int(provisioned))

    def _live(self) -> list[Lease]:
        return [lease for lease in self.leases if not lease.released]

    def _on_demand(self, name: str) -> int:
        return sum(1 for lease in self._live()
                   if lease.function_name == name and not lease.provisioned)

    def _unreserved_on_demand(self) -> int:
        return sum(self._on_demand(name) for name in FUNCTIONS if self.reserved[name] is None)

    @rule(name=st.sampled_from(FUNCTIONS), owner=st.none() | st.sampled_from(OWNERS))
    def acquire(self, name: str, owner: str | None) -> None:
        try:
            lease = self.ledger.acquire_nowait(name, owner)
        except TooManyRequests as error:
            reserved = self.reserved[name]
            if reserved is None:
                assert error.fields["Reason"] == ACCOUNT_LIMIT_EXCEEDED
                assert self._unreserved_on_demand() >= self._pool_capacity()
            else:
                assert error.fields["Reason"] == RESERVED_LIMIT_EXCEEDED
                provisioned = sum(n for (f, _), n in self.slots.items() if f == name)
                assert self._on_demand(name) >= reserved - provisioned
            return
        self.leases.append(lease)
        # An admission never takes a count past its limit.
        if lease.provisioned:
            busy = sum(1 for other in self._live()
                       if other.provisioned and (other.function_name, other.owner) == (name, owner))
            assert busy <= self.slots[(name, owner)]  # type: ignore[index]
        elif self.reserved[name] is not None:
            provisioned = sum(n for (f, _), n in self.slots.items() if f == name)
            assert self._on_demand(name) <= self.reserved[name] - provisioned  # type: ignore[operator]
        else:
            assert self._unreserved_on_demand() <= self._pool_capacity()
        assert lease.spillover == (owner is not None and self.slots.get((name, owner), 0) > 0
                                   and not lease.provisioned)

    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        if self.leases:
            data.draw(st.sampled_from(self.leases)).release()  # may be a second release

    @rule()
    def drain_restores_full_capacity(self) -> None:
        for lease in self.leases:
            lease.release()
        self.leases.clear()
        unreserved = [name for name in FUNCTIONS if self.reserved[name] is None]
        if unreserved:
            leases, _ = _fill(self.ledger, unreserved[0])
            assert len(leases) == self._pool_capacity()
            for lease in leases:
                lease.release()
        for name in FUNCTIONS:
            reserved = self.reserved[name]
            if reserved is not None:
                provisioned = sum(n for (f, _), n in self.slots.items() if f == name)
                leases, _ = _fill(self.ledger, name)
                assert len(leases) == max(0, reserved - provisioned)
                for lease in leases:
                    lease.release()

    @invariant()
    def counts_match_live_leases(self) -> None:
        snapshot = self.ledger.snapshot()
        for name in FUNCTIONS:
            assert self.ledger.in_use(name) == sum(
                1 for lease in self._live() if lease.function_name == name)
            for owner in OWNERS:
                assert self.ledger.provisioned_in_use(name, owner) == sum(
                    1 for lease in self._live()
                    if lease.provisioned and (lease.function_name, lease.owner) == (name, owner))
        assert snapshot.unreserved_in_use == self._unreserved_on_demand()
        assert snapshot.unreserved_capacity == self._pool_capacity()
        assert snapshot.in_use == len(self._live())


LedgerMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=40,
                                           deadline=None)
test_ledger_machine = LedgerMachine.TestCase
