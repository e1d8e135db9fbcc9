"""Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s): asynchronous invocation settings
per qualifier.

https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html and
neighbours. ``FunctionArn`` in the answer is always qualified (``:$LATEST`` for the
unqualified function); members that were never set are left out, except
``DestinationConfig``, which always shows both destinations (empty when unset).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from turnout.api.handlers import shapes
from turnout.api.handlers.shapes import Params
from turnout.api.registry import handles
from turnout.control import event_invoke
from turnout.control.event_invoke import Destinations, EventInvokeChange
from turnout.control.paging import page
from turnout.errors import ResourceNotFound
from turnout.models import EventInvokeRecord

if TYPE_CHECKING:
    from turnout.platform import Platform


def _change(params: Params) -> EventInvokeChange:
    destinations = params.get("DestinationConfig")
    return EventInvokeChange(
        maximum_retry_attempts=params.get("MaximumRetryAttempts"),
        maximum_event_age_seconds=params.get("MaximumEventAgeInSeconds"),
        destinations=None if destinations is None else Destinations(
            on_success=(destinations.get("OnSuccess") or {}).get("Destination"),
            on_failure=(destinations.get("OnFailure") or {}).get("Destination")))


def configuration(platform: Platform, record: EventInvokeRecord) -> Params:
    """``FunctionEventInvokeConfig``."""
    body: Params = {
        "LastModified": dt.datetime.fromtimestamp(record.last_modified, dt.UTC),
        "FunctionArn": platform.control.arn(record.function_name, record.qualifier),
        "DestinationConfig": {
            "OnSuccess": {"Destination": record.on_success} if record.on_success else {},
            "OnFailure": {"Destination": record.on_failure} if record.on_failure else {},
        },
    }
    if record.maximum_retry_attempts is not None:
        body["MaximumRetryAttempts"] = record.maximum_retry_attempts
    if record.maximum_event_age_seconds is not None:
        body["MaximumEventAgeInSeconds"] = record.maximum_event_age_seconds
    return body


@handles("PutFunctionEventInvokeConfig")
async def put_config(platform: Platform, params: Params) -> Params:
    name, qualifier = shapes.target(platform, params)
    record = await platform.control.put_event_invoke_config(name, qualifier, _change(params))
    return configuration(platform, record)


@handles("UpdateFunctionEventInvokeConfig")
async def update_config(platform: Platform, params: Params) -> Params:
    name, qualifier = shapes.target(platform, params)
    record = await platform.control.put_event_invoke_config(name, qualifier, _change(params),
                                                            replace=False)
    return configuration(platform, record)


@handles("GetFunctionEventInvokeConfig")
async def get_config(platform: Platform, params: Params) -> Params:
    name, qualifier = shapes.target(platform, params)
    entry = platform.control.registry.entry(name)
    record = entry.event_invoke.get(event_invoke.key(qualifier)) if entry else None
    if record is None:
        raise event_invoke.no_config(platform.control.arn(name, event_invoke.key(qualifier)))
    return configuration(platform, record)


@handles("DeleteFunctionEventInvokeConfig")
async def delete_config(platform: Platform, params: Params) -> Params:
    name, qualifier = shapes.target(platform, params)
    await platform.control.delete_event_invoke_config(name, qualifier)
    return {}


@handles("ListFunctionEventInvokeConfigs")
async def list_configs(platform: Platform, params: Params) -> Params:
    name, _ = shapes.target(platform, params)
    entry = platform.control.registry.entry(name)
    if entry is None:
        raise ResourceNotFound(event_invoke.FUNCTION_MISSING)
    records = sorted(entry.event_invoke.values(),
                     key=lambda record: event_invoke.sort_key(record.qualifier))
    chosen, next_marker = page(records, lambda record: event_invoke.sort_key(record.qualifier),
                               params.get("Marker"), params.get("MaxItems"))
    body: Params = {"FunctionEventInvokeConfigs": [configuration(platform, record)
                                                   for record in chosen]}
    if next_marker:
        body["NextMarker"] = next_marker
    return body
