"""The changelog records of both stages: keys, typed records and their compact encoding.

Every record of the ``stage1`` table, and the window and clock records of the ``windows``
table (streams/stage2.py, :func:`encode_record`), is MessagePack (msgspec): smaller than the
JSON the first layout wrote and several times faster to encode. Readers still accept a JSON
record of the first layout, so a worker upgrades in place. The stage-1 records:

- ``p/c/<customer_id>``: one customer (:class:`CustomerState`): the offsets per source topic
  its record reflects (``a``) and the record :func:`metrics.contributions.apply_event` works on
  (``c``, a JSON-ready dict, the same one the offline report keeps);
- ``p/meta``: the cuts of partition ``p`` per topic, ``[hi, watermark, sent]`` each.

The partials sent to stage 2 stay JSON (``cx.partials`` is read by stage 2 only, and a rolling
upgrade must keep working): :func:`encode_partials`.
"""

import json
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

#: Partials for one stage-2 partition are split above this many bytes (Kafka's default
#: message limit is 1 MiB).
MESSAGE_BUDGET = 512 * 1024
#: Customer-state chunks per partition of the first state layout (read once, to upgrade).
LEGACY_CHUNKS = 16


class CustomerState(msgspec.Struct, array_like=True, gc=False):
    """One customer of one partition: offsets its record reflects, and the record."""

    a: dict[str, int]
    c: dict[str, Any]


class Meta(msgspec.Struct, array_like=True, gc=False):
    """The cuts of one partition, per source topic: ``[hi, watermark, sent]``, and how many
    outbox records (``p/out/<i>``: the flush's partial messages) the flush wrote before it."""

    bounds: dict[str, list[tuple[int, float, bool]]]
    out: int = 0


class _Newest(msgspec.Struct, gc=False):
    """The one field of a customer record the TTL sweep reads (the rest is skipped)."""

    newest_s: float = 0.0


class _CustomerNewest(msgspec.Struct, array_like=True, gc=False):
    a: msgspec.Raw
    c: _Newest


_encoder = msgspec.msgpack.Encoder()
_json = msgspec.json.Encoder()
_json_decoder = msgspec.json.Decoder()
_customer = msgspec.msgpack.Decoder(CustomerState)
_meta = msgspec.msgpack.Decoder(Meta)
_newest = msgspec.msgpack.Decoder(_CustomerNewest)


def customer_prefix(partition: int) -> bytes:
    return f"{partition}/c/".encode()


def customer_key(partition: int, customer_id: str) -> bytes:
    return f"{partition}/c/{customer_id}".encode()


def meta_key(partition: int) -> bytes:
    return f"{partition}/meta".encode()


def encode_customer(state: CustomerState) -> bytes:
    return _encoder.encode(state)


def decode_customer(raw: bytes) -> CustomerState:
    return _customer.decode(raw)


def customer_newest(raw: bytes) -> float:
    """``newest_s`` of an encoded customer record (0 if absent), without building the rest
    of it: about five times faster than :func:`decode_customer`, for the TTL sweep."""
    return _newest.decode(raw).c.newest_s


def encode_record(value: Any) -> bytes:
    """A state record of plain values (dicts with string keys, lists, numbers, strings)."""
    return _encoder.encode(value)


def decode_record(raw: bytes) -> Any:
    """A record of :func:`encode_record`, or a JSON record of the first layout."""
    if raw[:1] == b"{":
        return json.loads(raw)
    return msgspec.msgpack.decode(raw)


def outbox_key(partition: int, number: int) -> bytes:
    return f"{partition}/out/{number}".encode()


def encode_meta(bounds: Mapping[str, list[list[Any]]], out: int = 0) -> bytes:
    return _encoder.encode(Meta({topic: [tuple(cut) for cut in cuts]
                                 for topic, cuts in bounds.items()}, out))


def decode_meta(raw: bytes) -> dict[str, list[list[Any]]]:
    """The cuts of a ``meta`` record, as mutable lists (a first-layout JSON record too)."""
    return decode_meta_outbox(raw)[0]


def decode_meta_outbox(raw: bytes) -> tuple[dict[str, list[list[Any]]], int]:
    """The cuts of a ``meta`` record and its outbox count (0 for a first-layout record)."""
    if raw[:1] == b"{":
        return json.loads(raw)["bounds"], 0
    meta = _meta.decode(raw)
    return {topic: [list(cut) for cut in cuts] for topic, cuts in meta.bounds.items()}, meta.out


def legacy_chunks(table: Any, partition: int
                  ) -> Iterator[tuple[bytes, dict[str, dict[str, Any]], dict[str, int]]]:
    """(key, customers, applied offsets) of each chunk record the first layout left."""
    for number in range(LEGACY_CHUNKS):
        key = f"{partition}/{number}".encode()
        raw = table.get(key)
        if raw:
            chunk = json.loads(raw)
            yield key, chunk["c"], chunk["a"]


def encode_partials(clock: float, parts: list[dict[str, Any]]) -> Iterator[bytes]:
    """One stage-2 message per partition and flush (the clock tick rides along), split by
    view keys when it would exceed MESSAGE_BUDGET bytes. Each key's buckets are encoded
    once (msgspec's JSON encoder: the same JSON as ``json.dumps``, several times faster);
    the message is assembled from those pieces."""
    head = b'{"tick":' + _json.encode(clock) + b',"parts":['
    done: list[bytes] = []        # finished part texts of the current message
    size = 0
    for part in parts:
        opening = (b'{"s":' + _json.encode(part["s"]) + b',"lo":' + _json.encode(part["lo"])
                   + b',"hi":' + _json.encode(part["hi"]) + b',"keys":{')
        pieces: list[bytes] = []
        for key, buckets in part["keys"].items():
            piece = _json.encode(key) + b":" + _json.encode(buckets)
            if size + len(piece) > MESSAGE_BUDGET and (pieces or done):
                if pieces:
                    done.append(opening + b",".join(pieces) + b"}}")
                yield head + b",".join(done) + b"]}"
                done, pieces, size = [], [], 0
            pieces.append(piece)
            size += len(piece)
        if pieces:
            done.append(opening + b",".join(pieces) + b"}}")
    yield head + b",".join(done) + b"]}"


def decode_partials(raw: bytes) -> dict[str, Any]:
    """A message of :func:`encode_partials` (or of any earlier stage 1: plain JSON)."""
    return _json_decoder.decode(raw)
