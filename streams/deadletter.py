"""Dead-letter records: the rejection reason, where the input came from, and its bytes."""

import base64
import json
from datetime import UTC, datetime

from metrics.events import Rejection


def deadletter_value(
    rejection: Rejection, topic: str, partition: int, offset: int, worker_id: str
) -> bytes:
    """The JSON value written to cx.deadletter for one rejection (see docs/events.md).

    UTF-8 JSON; a detail holding lone surrogates (from hostile input) falls back to ASCII
    escapes rather than failing to encode.
    """
    record = {
        "reason": rejection.reason,
        "detail": rejection.detail,
        "source_topic": topic,
        "source_partition": partition,
        "source_offset": offset,
        "envelope_index": rejection.index,
        "rejected_at": datetime.now(UTC).isoformat(),
        "worker_id": worker_id,
        "original_b64": base64.b64encode(rejection.original).decode("ascii"),
    }
    try:
        return json.dumps(record, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(record).encode()
