"""Translation between the Lambda API's shapes and the control plane's records.

Output field names and defaults follow ``FunctionConfiguration`` and
``AliasConfiguration`` of the Lambda API reference
(https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from turnout.arns import parse_function_name, resolve_qualifier
from turnout.control import ConfigUpdate
from turnout.errors import InvalidParameterValue
from turnout.models import LATEST, AliasRecord, VersionRecord

if TYPE_CHECKING:
    from turnout.platform import Platform

Params = dict[str, Any]


def target(platform: Platform, params: Params) -> tuple[str, str | None]:
    """Function name and qualifier from ``FunctionName`` (any form) and ``Qualifier``."""
    ref = parse_function_name(params["FunctionName"])
    settings = platform.settings
    return resolve_qualifier(ref, params.get("Qualifier"), settings.account_id, settings.region)


def unqualified_target(platform: Platform, params: Params) -> str:
    """Name for operations on ``$LATEST`` only (updates, PublishVersion, aliases)."""
    name, qualifier = target(platform, params)
    if qualifier is not None and qualifier != LATEST:
        raise InvalidParameterValue(
            "Current operation does not support versions other than $LATEST. Please set the "
            "version to $LATEST or do not set a version in your request.")
    return name


def configuration(platform: Platform, record: VersionRecord, qualifier: str | None,
                  ) -> Params:
    """``FunctionConfiguration``; ``FunctionArn`` carries ``qualifier`` when one applies."""
    body: Params = {
        "FunctionName": record.function_name,
        "FunctionArn": platform.control.arn(record.function_name, qualifier),
        "Runtime": record.runtime,
        "Role": record.role,
        "CodeSize": record.code_size,
        "Description": record.description,
        "Timeout": record.timeout,
        "MemorySize": record.memory_size,
        "LastModified": record.last_modified,
        "CodeSha256": record.code_sha256,
        "Version": record.version,
        "TracingConfig": {"Mode": record.tracing_mode},
        "RevisionId": record.revision_id,
        "State": "Active",
        "PackageType": "Zip",
        "Architectures": list(record.architectures),
        "EphemeralStorage": {"Size": record.ephemeral_storage_mb},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": logging_config(record),
    }
    if record.is_latest:  # published versions are never updated, so they carry no status
        body["LastUpdateStatus"] = "Successful"
    if record.handler:
        body["Handler"] = record.handler
    if record.environment:
        body["Environment"] = {"Variables": dict(record.environment)}
    if record.dead_letter_target_arn:
        body["DeadLetterConfig"] = {"TargetArn": record.dead_letter_target_arn}
    return body


def logging_config(record: VersionRecord) -> Params:
    """``LoggingConfig``; with the JSON format both log levels default to ``INFO``.

    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
    """
    config: Params = {"LogFormat": record.log_format,
                      "LogGroup": record.log_group or f"/aws/lambda/{record.function_name}"}
    if record.log_format == "JSON":
        config["ApplicationLogLevel"] = record.application_log_level or "INFO"
        config["SystemLogLevel"] = record.system_log_level or "INFO"
    return config


def alias_configuration(platform: Platform, record: AliasRecord) -> Params:
    body: Params = {
        "AliasArn": platform.control.arn(record.function_name, record.name),
        "Name": record.name,
        "FunctionVersion": record.function_version,
        "Description": record.description,
        "RevisionId": record.revision_id,
    }
    if record.weights:
        body["RoutingConfig"] = {"AdditionalVersionWeights": dict(record.weights)}
    return body


# Settings Turnout cannot honour: refused rather than silently ignored.
_UNSUPPORTED: dict[str, str] = {
    "Layers": "Layers",
    "FileSystemConfigs": "File systems (EFS)",
    "ImageConfig": "Container images",
    "CodeSigningConfigArn": "Code signing",
    "CapacityProviderConfig": "Capacity providers",
    "DurableConfig": "Durable functions",
}


def refuse_unsupported(params: Params) -> None:
    """InvalidParameterValueException naming a setting Turnout does not implement."""
    for member, feature in _UNSUPPORTED.items():
        if params.get(member):
            raise InvalidParameterValue(f"{feature} ({member}) are not supported by Turnout.")
    vpc = params.get("VpcConfig") or {}
    if vpc.get("SubnetIds") or vpc.get("SecurityGroupIds"):
        raise InvalidParameterValue("VPC networking (VpcConfig) is not supported by Turnout.")
    if (params.get("SnapStart") or {}).get("ApplyOn", "None") != "None":
        raise InvalidParameterValue("SnapStart is not supported by Turnout.")


def config_update(params: Params) -> ConfigUpdate:
    """The settings of CreateFunction / UpdateFunctionConfiguration that Turnout keeps."""
    refuse_unsupported(params)
    environment = params.get("Environment")
    dead_letter = params.get("DeadLetterConfig")
    tracing = params.get("TracingConfig")
    storage = params.get("EphemeralStorage")
    logging = params.get("LoggingConfig") or {}
    return ConfigUpdate(
        runtime=params.get("Runtime"),
        handler=params.get("Handler"),
        role=params.get("Role"),
        memory_size=params.get("MemorySize"),
        timeout=params.get("Timeout"),
        description=params.get("Description"),
        environment=None if environment is None else environment.get("Variables", {}),
        dead_letter_target_arn=None if dead_letter is None
        else dead_letter.get("TargetArn", ""),
        tracing_mode=None if tracing is None else tracing.get("Mode"),
        ephemeral_storage_mb=None if storage is None else storage.get("Size"),
        log_format=logging.get("LogFormat"),
        log_group=logging.get("LogGroup"),
        application_log_level=logging.get("ApplicationLogLevel"),
        system_log_level=logging.get("SystemLogLevel"),
    )


def architectures(params: Params) -> tuple[str, ...] | None:
    given = params.get("Architectures")
    return tuple(given) if given else None
