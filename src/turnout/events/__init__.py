"""Asynchronous invocation: a durable queue, a pure retry decision, destination records,
sinks, and the consumer that drives them (see ``docs/async.md``)."""
