"""The Lambda REST API: routes and shapes from botocore's model, handlers by operation name."""
