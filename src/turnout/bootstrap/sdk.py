"""Warm the AWS SDK in the fork-server, so that a function's first client is cheap.

A fresh ``boto3.client("lambda")`` reads and parses the SDK's JSON data (service
model, endpoint rules, partitions, retry and default settings) and fills
module-level caches; in a forked child that costs over 100 ms of Init. Here the
fork-server does that work once:

- one data loader, with the JSON of common services already parsed, becomes the
  loader of boto3's default session (the one ``boto3.client(...)`` uses);
- throwaway clients, created in a scrubbed environment (no profile files, dummy
  values) and discarded, warm the module-level caches.

Nothing that depends on configuration is resolved or kept: the default session
has never looked at a region, credentials, profile files or an endpoint URL, so
a client created in a function resolves all of them from the function's own
environment (``AWS_ENDPOINT_URL``, its credentials and ``AWS_REGION``). One
difference from a cold SDK: the default session's loader is the standard one,
so ``AWS_DATA_PATH`` does not apply to it (other sessions are unaffected).

boto3 is optional: without it this does nothing.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

COMMON_SERVICES = ("lambda", "s3", "dynamodb", "sqs", "sns", "sts")
SHARED_DATA = ("endpoints", "partitions", "_retry", "sdk-default-configuration")
_SCRUBBED = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
             "AWS_ACCESS_KEY_ID": "warm-up", "AWS_SECRET_ACCESS_KEY": "warm-up",
             "AWS_EC2_METADATA_DISABLED": "true"}


def warm(services: tuple[str, ...] = COMMON_SERVICES) -> bool:
    """Install a warm default session in boto3; False when boto3 is not installed."""
    try:
        boto3: Any = importlib.import_module("boto3")
        botocore_session: Any = importlib.import_module("botocore.session")
        loaders: Any = importlib.import_module("botocore.loaders")
    except ImportError:
        return False
    loader = loaders.create_loader()
    for service in services:
        loader.load_service_model(service, "service-2")
        loader.load_service_model(service, "endpoint-rule-set-1")
    for name in SHARED_DATA:
        loader.load_data(name)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(_SCRUBBED)
    try:
        for service in services:
            throwaway = botocore_session.Session()
            throwaway.register_component("data_loader", loader)
            throwaway.create_client(service, region_name="us-east-1",
                                    endpoint_url="http://127.0.0.1:9")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    session = botocore_session.Session()
    session.register_component("data_loader", loader)
    boto3.DEFAULT_SESSION = boto3.Session(botocore_session=session)
    return True
