"""The control plane on a temporary data dir: functions, versions, aliases, tags, durability."""

from __future__ import annotations

import asyncio
import io
import itertools
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from turnout.clock import FakeClock
from turnout.control import ConfigUpdate, Control
from turnout.errors import (
    InvalidParameterValue,
    PreconditionFailed,
    ResourceConflict,
    ResourceNotFound,
    ValidationError,
)
from turnout.models import (
    LATEST,
    AliasChanged,
    Change,
    CodeOrConfigChanged,
    FunctionDeleted,
    VersionPublished,
    sha256_hex,
)
from turnout.settings import Settings

ROLE = "arn:aws:iam::000000000000:role/lambda"
ARN = "arn:aws:lambda:us-east-1:000000000000:function"
PYTHON = ConfigUpdate(runtime="python3.12", handler="app.handler", role=ROLE)


def code(text: str = "def handler(event, context):\n    return event\n") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", text)
    return buffer.getvalue()


class Harness:
    """A control plane on one event loop, reopenable on the same data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.runner = asyncio.Runner()
        self.clock = FakeClock(start=1_714_564_800.0)
        self.settings = Settings(data_dir=data_dir)
        self.ids = (f"rev-{n}" for n in itertools.count(1))
        self.changes: list[Change] = []
        self.control = self.open()

    def open(self) -> Control:
        control = self.run(Control.open(self.settings, self.clock,
                                        new_id=lambda: next(self.ids)))
        control.subscribe(self.changes.append)
        return control

    def reopen(self) -> Control:
        self.run(self.control.close())
        self.control = self.open()
        return self.control

    def run(self, awaitable: Any) -> Any:
        return self.runner.run(awaitable)

    def create(self, name: str = "f", **options: Any) -> Any:
        return self.run(self.control.create_function(name, code(), PYTHON, **options))

    def configure(self, name: str = "f", **settings: Any) -> Any:
        return self.run(self.control.update_configuration(name, ConfigUpdate(**settings)))

    def publish(self, name: str = "f", **options: Any) -> Any:
        return self.run(self.control.publish_version(name, **options))

    def close(self) -> None:
        self.run(self.control.close())
        self.runner.close()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path / "data")
    yield h
    h.close()


def error_of(harness: Harness, call: Callable[[], Any]) -> Exception:
    with pytest.raises(Exception) as caught:
        harness.run(call())
    return caught.value


# Functions ---------------------------------------------------------------------------


def test_create_function_records_latest(harness: Harness) -> None:
    record = harness.create(tags={"team": "a"})
    assert record.version == LATEST
    assert record.runtime == "python3.12"
    assert record.last_modified == "2024-05-01T12:00:00.000+0000"
    assert record.revision_id == "rev-1"
    assert (record.timeout, record.memory_size, record.ephemeral_storage_mb) == (3, 128, 512)
    assert harness.control.registry.version("f", LATEST) == record
    assert harness.control.entry("f").function.tags == {"team": "a"}
    assert (harness.control.code_dir(record.code_sha256) / "app.py").exists()


def test_create_function_with_publish_returns_version_one(harness: Harness) -> None:
    record = harness.create(publish=True)
    assert record.version == "1"
    assert set(harness.control.entry("f").versions) == {LATEST, "1"}


def test_a_second_create_is_a_conflict_and_harms_nothing(harness: Harness) -> None:
    first = harness.create()
    error = error_of(harness, lambda: harness.control.create_function(
        "f", code("other"), PYTHON))
    assert isinstance(error, ResourceConflict)
    assert error.message == "Function already exist: f"
    assert harness.control.registry.version("f", LATEST) == first


@pytest.mark.parametrize(("config", "error", "message"), [
    (ConfigUpdate(handler="a.b", role=ROLE), InvalidParameterValue,
     "Runtime and Handler are mandatory parameters for functions created with deployment "
     "packages."),
    (ConfigUpdate(runtime="python3.12", role=ROLE), InvalidParameterValue,
     "Runtime and Handler are mandatory parameters"),
    (ConfigUpdate(runtime="python3.12", handler="a.b"), ValidationError,
     "Value null at 'role' failed to satisfy constraint: Member must not be null"),
    (ConfigUpdate(runtime="python3.12", handler="a.b", role="admin"), ValidationError,
     "at 'role' failed to satisfy constraint"),
    (ConfigUpdate(runtime="nodejs20.x", handler="a.b", role=ROLE), InvalidParameterValue,
     "not supported by Turnout"),
    (ConfigUpdate(runtime="python3.12", handler="a.b", role=ROLE, timeout=901),
     ValidationError, "Member must have value less than or equal to 900"),
    (ConfigUpdate(runtime="python3.12", handler="a.b", role=ROLE,
                  environment={"AWS_REGION": "x"}), InvalidParameterValue, "reserved keys"),
])
def test_create_function_refusals_store_nothing(harness: Harness, config: ConfigUpdate,
                                                error: type[Exception], message: str) -> None:
    caught = error_of(harness, lambda: harness.control.create_function("f", code(), config))
    assert isinstance(caught, error)
    assert message in str(caught)
    assert harness.control.registry.entry("f") is None
    assert harness.reopen().registry.entry("f") is None


def test_a_bad_zip_is_refused(harness: Harness) -> None:
    caught = error_of(harness, lambda: harness.control.create_function("f", b"PK junk", PYTHON))
    assert isinstance(caught, InvalidParameterValue)
    assert "Could not unzip uploaded file" in caught.message


def test_custom_runtime_needs_no_handler(harness: Harness) -> None:
    record = harness.run(harness.control.create_function(
        "c", code(), ConfigUpdate(runtime="provided.al2023", role=ROLE)))
    assert record.handler == ""


def test_update_configuration_keeps_code_and_changes_revision(harness: Harness) -> None:
    created = harness.create()
    harness.clock.advance(60)
    updated = harness.configure(timeout=30, environment={"A": "1"}, description="d")
    assert (updated.timeout, dict(updated.environment), updated.description) == (30, {"A": "1"},
                                                                                 "d")
    assert updated.code_sha256 == created.code_sha256
    assert updated.revision_id != created.revision_id
    assert updated.last_modified == "2024-05-01T12:01:00.000+0000"
    assert CodeOrConfigChanged("f", updated.revision_id) in harness.changes


def test_updates_honour_the_revision_precondition(harness: Harness) -> None:
    created = harness.create()
    stale = created.revision_id
    harness.configure(timeout=10)
    for call in (
        lambda: harness.control.update_configuration("f", ConfigUpdate(timeout=5), stale),
        lambda: harness.control.update_code("f", code("x = 1"), revision_id=stale),
        lambda: harness.control.publish_version("f", revision_id=stale),
    ):
        assert isinstance(error_of(harness, call), PreconditionFailed)
    assert harness.control.entry("f").latest.timeout == 10


def test_update_code_dry_run_changes_nothing(harness: Harness) -> None:
    created = harness.create()
    preview = harness.run(harness.control.update_code("f", code("x = 2"), dry_run=True))
    assert preview.code_sha256 != created.code_sha256
    assert harness.control.entry("f").latest == created
    stored = [p.name for p in (harness.settings.data_dir / "code").iterdir()]
    assert all(name.startswith(sha256_hex(created.code_sha256)) for name in stored)


def test_update_code_with_publish_returns_the_new_version(harness: Harness) -> None:
    harness.create()
    version = harness.run(harness.control.update_code("f", code("x = 3"), publish=True))
    assert version.version == "1"
    assert version.code_sha256 == harness.control.entry("f").latest.code_sha256


def test_unknown_function_messages_carry_the_arn(harness: Harness) -> None:
    caught = error_of(harness, lambda: harness.control.update_configuration(
        "nope", ConfigUpdate(timeout=3)))
    assert isinstance(caught, ResourceNotFound)
    assert caught.message == f"Function not found: {ARN}:nope"
    with pytest.raises(ResourceNotFound, match=f"Function not found: {ARN}:nope:7"):
        harness.control.resolve("nope", "7")


# Versions ----------------------------------------------------------------------------


def test_versions_are_numbered_without_gaps_and_never_reused(harness: Harness) -> None:
    harness.create()
    assert harness.publish().version == "1"
    assert harness.publish().version == "1"  # nothing changed: the last version again
    harness.configure(timeout=10)
    assert harness.publish().version == "2"
    harness.run(harness.control.delete_function("f", "2"))
    harness.configure(timeout=11)
    assert harness.publish().version == "3"
    assert [v.version for v in harness.control.entry("f").published()] == ["1", "3"]


def test_a_version_is_an_immutable_snapshot(harness: Harness) -> None:
    harness.create()
    first = harness.publish(description="Normal_Traffic")
    harness.configure(timeout=42, description="changed")
    harness.run(harness.control.update_code("f", code("x = 9")))
    kept = harness.control.registry.version("f", "1")
    assert kept == first
    assert (kept.timeout, kept.description) == (3, "Normal_Traffic")
    assert kept.revision_id != harness.control.entry("f").latest.revision_id


def test_version_description_defaults_to_latest(harness: Harness) -> None:
    harness.create()
    harness.configure(description="from latest")
    assert harness.publish().description == "from latest"


def test_publish_checks_code_sha256(harness: Harness) -> None:
    created = harness.create()
    caught = error_of(harness, lambda: harness.control.publish_version("f", code_sha256="AAAA"))
    assert isinstance(caught, InvalidParameterValue)
    assert caught.message.startswith("CodeSHA256 (AAAA) is different from current CodeSHA256")
    assert harness.publish(code_sha256=created.code_sha256).version == "1"


def test_publish_gives_latest_a_new_revision_only_when_it_publishes(harness: Harness) -> None:
    created = harness.create()
    harness.publish()
    after_publish = harness.control.entry("f").latest
    assert after_publish.revision_id != created.revision_id
    assert after_publish.last_modified == created.last_modified
    harness.publish()
    assert harness.control.entry("f").latest.revision_id == after_publish.revision_id
    assert harness.publish(revision_id=after_publish.revision_id).version == "1"


def test_resolve_qualifiers(harness: Harness) -> None:
    harness.create()
    harness.publish()
    harness.run(harness.control.create_alias("f", "live", "1"))
    assert harness.control.resolve("f", None)[0].version == LATEST
    assert harness.control.resolve("f", LATEST)[0].version == LATEST
    assert harness.control.resolve("f", "1")[0].version == "1"
    version, alias = harness.control.resolve("f", "live")
    assert (version.version, alias.name if alias else None) == ("1", "live")
    with pytest.raises(ResourceNotFound, match=f"Function not found: {ARN}:f:gone"):
        harness.control.resolve("f", "gone")


@pytest.mark.parametrize(("qualifier", "error", "message"), [
    (LATEST, InvalidParameterValue,
     "$LATEST version cannot be deleted without deleting the function."),
    ("live", InvalidParameterValue, "Deletion of aliases is not currently supported."),
    ("9", ResourceNotFound, f"Function not found: {ARN}:f:9"),
    ("1", ResourceConflict,
     "Unable to delete version because the following aliases reference it: [canary, live]"),
])
def test_delete_version_refusals(harness: Harness, qualifier: str, error: type[Exception],
                                 message: str) -> None:
    harness.create()
    harness.publish()
    harness.configure(timeout=5)
    harness.publish()
    harness.run(harness.control.create_alias("f", "live", "1"))
    harness.run(harness.control.create_alias("f", "canary", "2", weights={"1": 0.5}))
    caught = error_of(harness, lambda: harness.control.delete_function("f", qualifier))
    assert isinstance(caught, error)
    assert str(caught) == message
    assert set(harness.control.entry("f").versions) == {LATEST, "1", "2"}


def test_delete_function_removes_everything(harness: Harness) -> None:
    harness.create()
    harness.publish()
    harness.run(harness.control.create_alias("f", "live", "1"))
    harness.run(harness.control.delete_function("f"))
    assert harness.control.registry.entry("f") is None
    assert harness.changes[-1] == FunctionDeleted("f", None)
    assert harness.reopen().registry.entry("f") is None


# Aliases -----------------------------------------------------------------------------


def test_alias_lifecycle(harness: Harness) -> None:
    harness.create()
    harness.publish()
    harness.configure(timeout=9)
    harness.publish()
    created = harness.run(harness.control.create_alias("f", "Prod", "1", description="p"))
    updated = harness.run(harness.control.update_alias("f", "Prod", "2",
                                                       weights={"1": 0.1}))
    assert (updated.function_version, dict(updated.weights), updated.description) == (
        "2", {"1": 0.1}, "p")
    assert updated.revision_id != created.revision_id
    kept = harness.run(harness.control.update_alias("f", "Prod", description="q"))
    assert dict(kept.weights) == {"1": 0.1}
    cleared = harness.run(harness.control.update_alias("f", "Prod", weights={}))
    assert dict(cleared.weights) == {}
    harness.run(harness.control.delete_alias("f", "Prod"))
    assert harness.changes[-1] == AliasChanged("f", "Prod", None)
    with pytest.raises(ResourceNotFound, match=f"Cannot find alias arn: {ARN}:f:Prod"):
        harness.control.alias("f", "Prod")


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda c: c.create_alias("f", "live", "1"), ResourceConflict,
     f"Alias already exists: {ARN}:f:live"),
    (lambda c: c.create_alias("f", "other", "7"), ResourceNotFound,
     f"Function not found: {ARN}:f:7"),
    (lambda c: c.create_alias("f", "other", "1", weights={"7": 0.5}), ResourceNotFound,
     f"Function not found: {ARN}:f:7"),
    (lambda c: c.create_alias("f", "123", "1"), ValidationError, "at 'name'"),
    (lambda c: c.create_alias("g", "other", "1"), ResourceNotFound,
     f"Function not found: {ARN}:g"),
    (lambda c: c.update_alias("f", "nope", "1"), ResourceNotFound,
     f"Cannot find alias arn: {ARN}:f:nope"),
    (lambda c: c.update_alias("f", "live", revision_id="stale"), PreconditionFailed,
     "The Revision Id provided does not match the latest Revision Id"),
    (lambda c: c.update_alias("f", "live", weights={"1": 0.5}), InvalidParameterValue,
     "Function version 1 is already included in routing configuration."),
    (lambda c: c.update_alias("f", "live", LATEST, weights={"1": 0.5}),
     InvalidParameterValue, "$LATEST is not supported for an alias pointing to more than 1"),
    (lambda c: c.delete_alias("f", "nope"), ResourceNotFound,
     f"Cannot find alias arn: {ARN}:f:nope"),
])
def test_alias_refusals_harm_nothing(harness: Harness, call: Callable[[Control], Any],
                                     error: type[Exception], message: str) -> None:
    harness.create()
    harness.publish()
    live = harness.run(harness.control.create_alias("f", "live", "1"))
    caught = error_of(harness, lambda: call(harness.control))
    assert isinstance(caught, error)
    assert message in str(caught)
    assert harness.control.entry("f").aliases == {"live": live}


def test_alias_may_point_at_latest(harness: Harness) -> None:
    harness.create()
    assert harness.run(harness.control.create_alias("f", "dev", LATEST)).function_version == \
        LATEST


# Tags, usage, notifications, durability ----------------------------------------------


def test_tags(harness: Harness) -> None:
    harness.create(tags={"a": "1"})
    harness.run(harness.control.tag("f", {"b": "2"}))
    harness.run(harness.control.untag("f", ["a", "missing"]))
    assert harness.reopen().entry("f").function.tags == {"b": "2"}


def test_account_usage_counts_every_version(harness: Harness) -> None:
    created = harness.create()
    harness.publish()
    harness.create("g")
    assert harness.control.account_usage() == (3 * created.code_size, 2)


def test_notifications_follow_each_change(harness: Harness) -> None:
    harness.create()
    harness.publish()
    harness.run(harness.control.create_alias("f", "live", "1"))
    harness.run(harness.control.delete_alias("f", "live"))
    harness.run(harness.control.delete_function("f", "1"))
    latest = harness.control.entry("f").latest
    alias = harness.changes[2]
    assert isinstance(alias, AliasChanged) and alias.record is not None
    assert harness.changes == [CodeOrConfigChanged("f", latest.revision_id),
                               VersionPublished("f", "1"), alias,
                               AliasChanged("f", "live", None), FunctionDeleted("f", "1")]


def test_a_failing_listener_does_not_fail_the_change(harness: Harness) -> None:
    def broken(change: Change) -> None:
        raise RuntimeError("listener bug")

    harness.control.subscribe(broken)
    harness.create()
    assert harness.control.registry.entry("f") is not None


def test_everything_survives_a_reopen(harness: Harness) -> None:
    harness.create(tags={"t": "v"})
    harness.publish()
    harness.configure(timeout=20, environment={"K": "V"})
    harness.publish()
    harness.run(harness.control.create_alias("f", "live", "2", weights={"1": 0.3}))
    before = harness.control.entry("f")
    after = harness.reopen().entry("f")
    assert after == before
    harness.configure(timeout=21)
    assert harness.publish().version == "3"


def test_a_failed_write_puts_the_registry_back(harness: Harness) -> None:
    harness.create()

    async def failing(work: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    harness.control._database.run = failing  # type: ignore[method-assign]
    before = harness.control.entry("f")
    with pytest.raises(sqlite3.OperationalError):
        harness.configure(timeout=60)
    assert harness.control.entry("f") is before
    assert not any(isinstance(c, CodeOrConfigChanged) for c in harness.changes)


def test_stored_code_is_extracted_before_the_call_returns(harness: Harness) -> None:
    record = harness.create()
    path = harness.control._code.root / sha256_hex(record.code_sha256)
    assert (path / "app.py").read_text().startswith("def handler")
    assert harness.control.code_dir(record.code_sha256) == path


def test_concurrent_requests_keep_the_rules(harness: Harness) -> None:
    """Checks and changes happen with no await between them, so racing requests stay exact."""

    async def race() -> tuple[list[Any], list[Any]]:
        control = harness.control
        creates = await asyncio.gather(
            *(control.create_function("race", code(f"x = {i}"), PYTHON) for i in range(8)),
            return_exceptions=True)
        publishes = []
        for timeout in range(10, 15):
            await control.update_configuration("race", ConfigUpdate(timeout=timeout))
            publishes += await asyncio.gather(*(control.publish_version("race")
                                                for _ in range(3)))
        return creates, publishes

    creates, publishes = harness.run(race())
    assert sum(not isinstance(result, Exception) for result in creates) == 1
    assert all(isinstance(result, ResourceConflict) for result in creates
               if isinstance(result, Exception))
    assert [p.version for p in publishes] == [str(n) for n in range(1, 6) for _ in range(3)]
    assert [v.version for v in harness.reopen().entry("race").published()] == [
        "1", "2", "3", "4", "5"]
