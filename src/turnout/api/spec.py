"""Routes from botocore's Lambda service model, loaded at start-up.

Every operation's ``http.method`` and ``http.requestUri`` becomes a route; a
URI with a literal query part (``?List=ALL``) only matches requests carrying
it. Nothing here is written by hand: adding an operation to the model adds a
route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")
KNOWN_PATHS = 4096  # remembered route matches (the cache starts over when full)


@dataclass(frozen=True, slots=True)
class Route:
    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    literal_query: tuple[tuple[str, str], ...]
    literal_length: int  # characters outside labels: longer is more specific

    def match(self, method: str, path: str, query: dict[str, list[str]]) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = self.pattern.match(path)
        if found is None or not self.query_matches(query):
            return None
        return {name: unquote(text) for name, text in found.groupdict().items()}

    def query_matches(self, query: dict[str, list[str]]) -> bool:
        for key, value in self.literal_query:
            if value not in query.get(key, []) and not (value == "" and key in query):
                return False
        return True


def _route(operation: OperationModel) -> Route:
    uri: str = operation.http["requestUri"]
    path, _, query_text = uri.partition("?")
    literal_query = tuple(
        (pair.partition("=")[0], pair.partition("=")[2]) for pair in query_text.split("&") if pair
    )
    regex, last = "", 0
    for label in _LABEL.finditer(path):
        regex += re.escape(path[last:label.start()])
        greedy = label.group(2) == "+"
        regex += f"(?P<{label.group(1)}>{'.+' if greedy else '[^/]+'})"
        last = label.end()
    regex += re.escape(path[last:])
    literal_length = len(_LABEL.sub("", path)) + len(query_text)
    return Route(operation, operation.http["method"], re.compile(f"^{regex}/?$"), literal_query,
                 literal_length)


class ApiSpec:
    """The Lambda model and its routes, most specific first within each first segment."""

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        routes = [_route(model.operation_model(name)) for name in model.operation_names]
        routes.sort(key=lambda r: (len(r.literal_query), r.literal_length), reverse=True)
        self._by_prefix: dict[tuple[str, str], list[Route]] = {}
        self._known: dict[tuple[str, str], tuple[OperationModel, dict[str, str]]] = {}
        for route in routes:
            self._by_prefix.setdefault((route.method, _prefix(route.pattern.pattern)), []).append(
                route)

    def match(self, method: str, path: str, query: dict[str, list[str]],
              ) -> tuple[OperationModel, dict[str, str]] | None:
        """The operation and URI labels of a request; answers that do not depend on the
        query string (no literal query part was looked at) are remembered per path."""
        key = (method, path)
        known = self._known.get(key)
        if known is not None:
            return known
        query_dependent = False
        for route in self._by_prefix.get((method, _prefix_of_path(path)), ()):
            if route.literal_query and route.pattern.match(path) is not None:
                query_dependent = True
            labels = route.match(method, path, query)
            if labels is not None:
                if not query_dependent:
                    if len(self._known) >= KNOWN_PATHS:
                        self._known.clear()
                    self._known[key] = (route.operation, labels)
                return route.operation, labels
        return None

    def error_shape(self, name: str) -> Shape | None:
        try:
            shape = self.model.shape_for(name)
        except Exception:  # botocore raises NoShapeFoundError
            return None
        return shape if shape.metadata.get("exception") else None

    def error_status(self, name: str, default: int) -> int:
        shape = self.error_shape(name)
        if shape is None:
            return default
        return int(shape.metadata.get("error", {}).get("httpStatusCode", default))


def _prefix(pattern: str) -> str:
    # "^/2015\-03\-31/functions/..." → "2015-03-31": the API date segment of the path.
    text = pattern.lstrip("^").replace("\\", "")
    return text.split("/")[1] if text.count("/") > 1 else ""


def _prefix_of_path(path: str) -> str:
    parts = path.split("/")
    return parts[1] if len(parts) > 2 else ""


@cache
def load_spec() -> ApiSpec:
    session = botocore.session.get_session()
    return ApiSpec(session.get_service_model("lambda"))
