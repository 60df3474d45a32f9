"""cxpulse operations: the CLI, ``cxpulse up`` and its processes, broker, topics and monitoring."""
