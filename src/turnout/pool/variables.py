"""The environment variables of an execution environment.

Lambda's reserved variables
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
override the function's own; the function's own override the conveniences that
point an SDK inside the function back at this Turnout.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from turnout.pool.spec import EnvironmentSpec

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "turnout",
    "AWS_SECRET_ACCESS_KEY": "turnout",
    "AWS_SESSION_TOKEN": "turnout",
    # Not the host user's ~/.aws profiles: an SDK inside a function sees only the above.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def is_python(runtime: str) -> bool:
    return runtime.startswith("python")


def environment_variables(spec: EnvironmentSpec, *, region: str, endpoint: str,
                          runtime_api: str, log_stream: str, tmpdir: str, interpreter: str,
                          runtime_dir: str, provisioned: bool) -> dict[str, str]:
    variables: dict[str, str] = {"AWS_ENDPOINT_URL": endpoint, **DUMMY_CREDENTIALS}
    variables.update(spec.environment)
    reserved: Mapping[str, str] = {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency" if provisioned
        else "on-demand",
        "LAMBDA_TASK_ROOT": str(spec.code_dir),
        "LAMBDA_RUNTIME_DIR": runtime_dir,
        "_HANDLER": spec.handler,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": os.pathsep.join([os.path.dirname(interpreter), "/usr/local/bin", "/usr/bin",
                                 "/bin"]),
        "TMPDIR": tmpdir,
    }
    variables.update(reserved)
    if is_python(spec.runtime):
        variables["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{spec.runtime}"
        variables["PYTHONUNBUFFERED"] = "1"
    return variables


def log_stream_name(day: str, version: str, env_id: str) -> str:
    """``2024/05/01/[$LATEST]0123abcd…``, the shape of Lambda's stream names."""
    return f"{day}/[{version}]{env_id}"
