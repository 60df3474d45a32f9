"""cxpulse stream processing: Faust app, agents, broker, producer, simulator and CLI."""
