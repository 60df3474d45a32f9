"""cxpulse traffic tools: what puts events on the source topics (simulator, replay, producer)."""
