"""One hierarchy for every platform failure, mapped to AWS error responses at the edge.

Each subclass is named after an error shape of botocore's Lambda model; the
HTTP status comes from that model (``api/spec.py``), never from here. Errors
in user code are not exceptions: they are invocation results with a
``FunctionError``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class LambdaError(Exception):
    """A failure reported to the client as the AWS error shape ``shape``."""

    shape: ClassVar[str] = "ServiceException"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields  # extra modeled members, e.g. Reason, retryAfterSeconds


class ServiceError(LambdaError):
    shape = "ServiceException"


class InvalidParameterValue(LambdaError):
    shape = "InvalidParameterValueException"


class InvalidRequestContent(LambdaError):
    shape = "InvalidRequestContentException"


class ResourceNotFound(LambdaError):
    shape = "ResourceNotFoundException"


class ResourceConflict(LambdaError):
    shape = "ResourceConflictException"


class PreconditionFailed(LambdaError):
    shape = "PreconditionFailedException"


class TooManyRequests(LambdaError):
    shape = "TooManyRequestsException"


class RequestTooLarge(LambdaError):
    """AWS answers oversized requests with this name (HTTP 413), not the modeled
    ``RequestTooLargeException``: "Request must be smaller than 6291456 bytes for the
    InvokeFunction operation"."""

    shape = "RequestEntityTooLargeException"



class ProvisionedConcurrencyConfigNotFound(LambdaError):
    shape = "ProvisionedConcurrencyConfigNotFoundException"





class ValidationError(LambdaError):
    """Input that breaks a model constraint; AWS answers these as ``ValidationException``
    (HTTP 400), a shape that is not in the Lambda model."""

    shape = "ValidationException"


class NotImplementedOperation(LambdaError):
    """An operation of the model that Turnout does not implement yet."""

    shape = "ServiceException"


class UnknownOperation(LambdaError):
    """A request that matches no operation of the model."""

    shape = "UnknownOperationException"


class IllegalTransition(ServiceError):
    """A move between named states that the written transitions do not allow (a bug or a
    lost lease); reported as a service error if it ever reaches a client."""
