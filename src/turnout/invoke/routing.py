"""Choosing the version an invocation runs: pure functions, randomness passed in.

An alias names a primary version and, optionally, additional versions with
weights. AWS sends each invocation to an additional version with probability
equal to its weight, drawn at random per invocation
(https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html).
AWS allows one additional version; these functions accept several and give
each its own slice of [0, 1) in version order.

Beyond AWS, *sticky routing*: when a request carries a routing key, the draw
is replaced by a point in [0, 1) hashed from the key, so one key always lands
on the same version, and raising an additional version's weight only moves
keys from the primary to that version, never back. The key comes from, in
order of precedence:

1. the HTTP header ``X-Turnout-Routing-Key`` on ``Invoke``;
2. ``ClientContext.custom["turnout-routing-key"]`` (the base64 JSON the SDKs
   send as ``X-Amz-Client-Context``), so a caller that can only set
   ``ClientContext`` (boto3 ``invoke(ClientContext=...)``) can route too.

The point depends on the key alone, so during a canary the same users land on
the new version across every function and alias that shares the weight.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import orjson

LATEST = "$LATEST"
ROUTING_KEY_HEADER = "X-Turnout-Routing-Key"
ROUTING_KEY_CUSTOM_FIELD = "turnout-routing-key"

_TWO_TO_64 = float(1 << 64)


def pick_version(primary: str, weights: Mapping[str, float], draw: float) -> str:
    """The version for one invocation, given a uniform ``draw`` in [0, 1).

    Additional versions own consecutive slices of [0, 1) as wide as their
    weights (in sorted version order); the primary owns the rest.
    """
    if not weights:
        return primary
    edge = 0.0
    for version in sorted(weights):
        edge += weights[version]
        if draw < edge:
            return version
    return primary


def routing_point(routing_key: str) -> float:
    """A point in [0, 1) that depends only on ``routing_key`` (BLAKE2b, 64 bits)."""
    digest = hashlib.blake2b(routing_key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _TWO_TO_64


def pick_version_sticky(primary: str, weights: Mapping[str, float], routing_key: str) -> str:
    """The version for a request carrying ``routing_key``: the same key, the same version.

    With one additional version of weight ``w``, the key goes there iff its
    point is below ``w``; raising ``w`` therefore only moves keys from the
    primary to the additional version.
    """
    return pick_version(primary, weights, routing_point(routing_key))


def routing_key_from(header_value: str | None, client_context_b64: str | None) -> str | None:
    """The routing key of a request, or None (see the module docstring for where).

    An empty header, a client context that is not base64 JSON, or a custom
    field that is not a non-empty string gives no key: routing then falls back
    to AWS's random draw. Validating ``ClientContext`` itself is the API's job.
    """
    if header_value:
        return header_value
    if not client_context_b64:
        return None
    try:
        context = orjson.loads(base64.b64decode(client_context_b64, validate=True))
    except (binascii.Error, ValueError):
        return None
    custom = context.get("custom") if isinstance(context, dict) else None
    key = custom.get(ROUTING_KEY_CUSTOM_FIELD) if isinstance(custom, dict) else None
    return key if isinstance(key, str) and key else None


@dataclass(frozen=True, slots=True)
class AliasRoute:
    """What routing needs to know about an alias: its versions and weights."""

    primary: str
    weights: Mapping[str, float]


class Target(NamedTuple):
    """Where one invocation goes (a named tuple: built on every invocation, cheaply).

    ``resource`` is CloudWatch's ``Resource`` dimension: the function name for
    an unqualified call, else ``name:qualifier`` as invoked.
    """

    function_name: str
    qualifier: str | None
    executed_version: str
    resource: str


def route(function_name: str, qualifier: str | None, alias: AliasRoute | None, draw: float,
          routing_key: str | None = None) -> Target:
    """Resolve an already-validated qualifier to the version that will run.

    No qualifier means ``$LATEST``; a version number or ``$LATEST`` runs as
    given; an alias (``alias`` given, looked up by the caller) picks between its
    versions, sticky when a routing key is present.
    """
    if qualifier is None:
        return Target(function_name, None, LATEST, function_name)
    resource = f"{function_name}:{qualifier}"
    if alias is None:
        return Target(function_name, qualifier, qualifier, resource)
    if routing_key is not None:
        version = pick_version_sticky(alias.primary, alias.weights, routing_key)
    else:
        version = pick_version(alias.primary, alias.weights, draw)
    return Target(function_name, qualifier, version, resource)
