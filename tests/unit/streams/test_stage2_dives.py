"""Stage 2's dive hook: judged at flushes, re-judged when data trails the clock, logged once."""

import asyncio
import json

from prometheus_client import CollectorRegistry, Counter

from metrics.dives import DiveRules, Measure
from metrics.views import View
from streams.dives import DiveMonitor
from streams.positions import Positions
from streams.serving.dives import DiveCollector
from streams.settings import Settings
from streams.serving.stage2 import Stage2Metrics
from streams.stage2 import CLOCK, Stage2
from streams.state import decode_record
from tests.unit.metrics.test_dives import END, HOUR, MEASURE, windows
from tests.unit.streams.fake_host import FakeHost
from tests.unit.streams.test_stage2 import message, partial

VIEWS = {"region": View("region", ("region",))}


def _stage(sent: list) -> Stage2:
    registry = CollectorRegistry()
    host = FakeHost()
    positions = Positions(host, Counter("s", "", ["topic"], registry=registry),
                          Counter("k", "", ["topic"], registry=registry))
    monitor = DiveMonitor(VIEWS, MEASURE, DiveRules(), ["region"], None, [])

    async def sink(records):
        sent.extend(json.loads(r) for r in records)

    stage = Stage2(host, Settings(), {}, Stage2Metrics(registry),
                   positions, VIEWS, ("1h",), dives=monitor, dive_sink=sink)
    stage.assign({0})
    return stage


def test_a_dive_is_judged_when_its_data_arrives_after_the_clock():
    sent: list = []
    stage = _stage(sent)
    minutes, hours = windows(60, END - 3 * HOUR)
    old = {m: b for m, b in minutes.items()}
    early = {h: b for h, b in hours.items() if h < END - 24 * HOUR}

    async def run():
        # The clock reaches the end first (another source partition ran ahead) ...
        stage.handle(message(END - 1, partial(0, 1, {"region|east": early})))
        await stage.flush(stage.parts[0])
        assert not stage.parts[0].dives["region|east#time"].active
        # ... then the key's recent minutes arrive.
        stage.handle(message(END - 1, partial(1, 2, {"region|east": old})))
        await stage.flush(stage.parts[0])

    asyncio.run(run())
    part = stage.parts[0]
    assert part.dives["region|east#time"].active
    assert [r["event"] for r in sent] == ["start"]
    assert decode_record(stage.table[f"0|{CLOCK}".encode()])["d"] == {
        "region|east#time": sent[0]["started_s"]}
    gauges = {(s.name, s.labels.get("side")): s.value for f in DiveCollector(
        lambda: stage.published_dives({0}), VIEWS).collect() for s in f.samples}
    assert gauges[("cxpulse_dive_active", None)] == 1
    assert gauges[("cxpulse_dive_responses", "judged")] >= 30
