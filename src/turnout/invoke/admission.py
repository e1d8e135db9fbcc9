"""The concurrency ledger: who may start an invocation now, or a throttle.

Synchronous on purpose: the event loop is the only owner and there is no
``await`` between the check and the count it guards. The model follows
https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html:

- the account has a concurrency limit (``Settings.account_concurrency``);
- a function with reserved concurrency ``R`` runs at most ``R`` invocations at
  once (``0`` throttles every call), and its ``R`` is carved out of the
  account's pool;
- provisioned concurrency configured on an alias or version (its *owner*) is a
  set of slots that invocations through that owner use first; the slots count
  against the function's reserved concurrency when it has one, else against
  the unreserved pool. When every slot is busy the invocation *spills over* to
  on-demand concurrency;
- on-demand invocations of a function with reserved ``R`` share ``R`` minus
  its provisioned slots; functions without a reservation share the
  unreserved pool: the account limit minus all reservations minus the
  provisioned slots of unreserved functions.

Refusals raise ``TooManyRequests`` as AWS answers them: HTTP 429, body
``{"Reason": ..., "Type": "User", "message": "Rate Exceeded."}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from turnout.errors import TooManyRequests

RESERVED_LIMIT_EXCEEDED = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT_EXCEEDED = "ConcurrentInvocationLimitExceeded"
THROTTLE_MESSAGE = "Rate Exceeded."


def throttle(reason: str) -> TooManyRequests:
    """The error AWS returns for a concurrency throttle with ``reason``."""
    return TooManyRequests(THROTTLE_MESSAGE, Reason=reason, Type="User")


class _Slots:
    """Provisioned slots of one owner (alias or version) of a function."""

    __slots__ = ("busy", "size", "spillovers")

    def __init__(self, size: int) -> None:
        self.size = size
        self.busy = 0
        self.spillovers = 0


class _Function:
    """Counts for one function; ``provisioned_size`` is the sum of its slot sizes."""

    __slots__ = ("on_demand", "owners", "provisioned_busy", "provisioned_size", "reserved")

    def __init__(self) -> None:
        self.reserved: int | None = None
        self.on_demand = 0
        self.provisioned_busy = 0
        self.provisioned_size = 0
        self.owners: dict[str, _Slots] = {}


class Lease:
    """One running invocation's hold on concurrency; ``release()`` is idempotent."""

    __slots__ = ("_ledger", "_slots", "_state", "function_name", "owner", "released",
                 "spillover")

    def __init__(self, ledger: ConcurrencyLedger, function_name: str, owner: str | None,
                 state: _Function, slots: _Slots | None, spillover: bool) -> None:
        self._ledger = ledger
        self._state = state
        self._slots = slots  # the provisioned slots this lease occupies, if any
        self.function_name = function_name
        self.owner = owner
        self.spillover = spillover  # wanted a provisioned slot, got on-demand
        self.released = False

    @property
    def provisioned(self) -> bool:
        """Runs on a provisioned slot of ``owner`` (an environment initialised ahead)."""
        return self._slots is not None

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._ledger._release(self._state, self.owner, self._slots)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass(frozen=True, slots=True)
class OwnerUsage:
    slots: int
    busy: int
    spillovers: int


@dataclass(frozen=True, slots=True)
class FunctionUsage:
    reserved: int | None
    in_use: int
    on_demand: int
    provisioned_busy: int
    provisioned: Mapping[str, OwnerUsage]


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """Concurrency now, for metrics and ``GetAccountSettings``-like views."""

    account_limit: int
    unreserved_capacity: int  # on-demand pool of functions without a reservation
    unreserved_in_use: int
    in_use: int
    functions: Mapping[str, FunctionUsage]


class ConcurrencyLedger:
    """Counts running invocations against account, reserved and provisioned limits.

    Limits may be lowered while invocations run: running ones keep going, new
    ones are refused until usage is back under the new limit.
    """

    def __init__(self, account_limit: int) -> None:
        self._account_limit = account_limit
        self._functions: dict[str, _Function] = {}
        self._reserved_sum = 0  # over functions with a reservation
        self._unreserved_provisioned = 0  # slots of functions without one
        self._unreserved_on_demand = 0  # on-demand leases of functions without one
        self._unreserved_capacity = account_limit

    # -- configuration -------------------------------------------------------

    def set_account_limit(self, limit: int) -> None:
        self._account_limit = limit
        self._recompute_pool()

    def set_reserved(self, function_name: str, reserved: int | None) -> None:
        """Set (``None``: remove) the function's reserved concurrency."""
        if reserved is not None and reserved < 0:
            raise ValueError("reserved concurrency must be >= 0")
        state = self._state(function_name)
        if (state.reserved is None) != (reserved is None):
            # The function moves between the unreserved pool and its own reservation.
            sign = 1 if reserved is None else -1
            self._unreserved_provisioned += sign * state.provisioned_size
            self._unreserved_on_demand += sign * state.on_demand
        self._reserved_sum += (reserved or 0) - (state.reserved or 0)
        state.reserved = reserved
        self._recompute_pool()

    def set_provisioned(self, owner: str, function_name: str, slots: int) -> None:
        """Set the provisioned slot count of ``owner`` (alias or version); 0 removes it.

        Counts what is allocated (ready environments), so the caller may grow
        it as environments become ready.
        """
        if slots < 0:
            raise ValueError("provisioned slots must be >= 0")
        state = self._state(function_name)
        current = state.owners.get(owner)
        delta = slots - (current.size if current is not None else 0)
        if current is None:
            if slots:
                state.owners[owner] = _Slots(slots)
        elif slots or current.busy:
            current.size = slots
        else:
            del state.owners[owner]
        state.provisioned_size += delta
        if state.reserved is None:
            self._unreserved_provisioned += delta
            self._recompute_pool()

    def forget(self, function_name: str) -> None:
        """Drop a deleted function's configuration; its running leases still release."""
        if function_name in self._functions:
            self.set_reserved(function_name, None)
            state = self._functions[function_name]
            for owner in list(state.owners):
                self.set_provisioned(owner, function_name, 0)
            if state.on_demand == 0 and state.provisioned_busy == 0:
                del self._functions[function_name]

    # -- admission -----------------------------------------------------------

    def acquire_nowait(self, function_name: str, provisioned_owner: str | None = None) -> Lease:
        """Admit one invocation now, or raise ``TooManyRequests`` with AWS's ``Reason``.

        ``provisioned_owner`` is the alias or version whose provisioned slots
        this invocation may use (the qualifier it came through, when the
        executed version is the one provisioned there).
        """
        state = self._functions.get(function_name)
        if state is None:
            state = self._functions[function_name] = _Function()
        wanted = None if provisioned_owner is None else state.owners.get(provisioned_owner)
        if wanted is not None and wanted.busy < wanted.size:
            wanted.busy += 1
            state.provisioned_busy += 1
            return Lease(self, function_name, provisioned_owner, state, wanted, False)
        reserved = state.reserved
        if reserved is not None:
            if state.on_demand >= reserved - state.provisioned_size:
                raise throttle(RESERVED_LIMIT_EXCEEDED)
        elif self._unreserved_on_demand >= self._unreserved_capacity:
            raise throttle(ACCOUNT_LIMIT_EXCEEDED)
        else:
            self._unreserved_on_demand += 1
        state.on_demand += 1
        spillover = False
        if wanted is not None and wanted.size > 0:  # provisioned, all slots busy
            wanted.spillovers += 1
            spillover = True
        return Lease(self, function_name, provisioned_owner, state, None, spillover)

    def _release(self, state: _Function, owner: str | None, slots: _Slots | None) -> None:
        if slots is not None:
            slots.busy -= 1
            state.provisioned_busy -= 1
            if slots.size == 0 and slots.busy == 0 and owner is not None:
                state.owners.pop(owner, None)
        else:
            state.on_demand -= 1
            if state.reserved is None:
                self._unreserved_on_demand -= 1

    # -- views ---------------------------------------------------------------

    @property
    def account_limit(self) -> int:
        return self._account_limit

    @property
    def unreserved_capacity(self) -> int:
        return self._unreserved_capacity

    def in_use(self, function_name: str) -> int:
        state = self._functions.get(function_name)
        return 0 if state is None else state.on_demand + state.provisioned_busy

    def provisioned_in_use(self, function_name: str, owner: str) -> int:
        state = self._functions.get(function_name)
        slots = None if state is None else state.owners.get(owner)
        return 0 if slots is None else slots.busy

    def snapshot(self) -> LedgerSnapshot:
        functions = {
            name: FunctionUsage(
                reserved=state.reserved,
                in_use=state.on_demand + state.provisioned_busy,
                on_demand=state.on_demand,
                provisioned_busy=state.provisioned_busy,
                provisioned={owner: OwnerUsage(s.size, s.busy, s.spillovers)
                             for owner, s in state.owners.items()},
            )
            for name, state in self._functions.items()
        }
        return LedgerSnapshot(
            account_limit=self._account_limit,
            unreserved_capacity=self._unreserved_capacity,
            unreserved_in_use=self._unreserved_on_demand,
            in_use=sum(f.in_use for f in functions.values()),
            functions=functions,
        )

    # -- internals -----------------------------------------------------------

    def _state(self, function_name: str) -> _Function:
        state = self._functions.get(function_name)
        if state is None:
            state = self._functions[function_name] = _Function()
        return state

    def _recompute_pool(self) -> None:
        self._unreserved_capacity = max(
            0, self._account_limit - self._reserved_sum - self._unreserved_provisioned)
