"""cxpulse offline: the whole metric catalogue computed from an event file, without Kafka.

The report (``cxpulse report``) is the oracle the stream is checked against; the history oracle
and the series budget (``cxpulse views``) are built on its engine.
"""
