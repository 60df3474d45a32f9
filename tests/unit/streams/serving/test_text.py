"""Exposition text written straight from numbers: exact lines, escaping, counters' _total."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from streams.serving.text import Families, escape, join, label_text


def test_families_render_the_text_format_exactly():
    families = Families()
    families.add("cxpulse_calls_offered", "Calls offered.", "counter",
                 label_text({"view": "queue", "queue": "vip"}), 3, "_total")
    families.add("cxpulse_window_fcr_ratio", "FCR.", "gauge",
                 join(label_text({"view": "all"}), label_text({"window": "1h"})), 0.5)
    families.add("cxpulse_calls_offered", "Calls offered.", "counter",
                 label_text({"view": "queue", "queue": "std"}), 1e20, "_total")

    assert families.text() == (
        "# HELP cxpulse_calls_offered_total Calls offered.\n"
        "# TYPE cxpulse_calls_offered_total counter\n"
        'cxpulse_calls_offered_total{view="queue",queue="vip"} 3.0\n'
        'cxpulse_calls_offered_total{view="queue",queue="std"} 1e+20\n'
        "# HELP cxpulse_window_fcr_ratio FCR.\n"
        "# TYPE cxpulse_window_fcr_ratio gauge\n"
        'cxpulse_window_fcr_ratio{view="all",window="1h"} 0.5\n')
    assert families.series() == 3


@pytest.mark.parametrize(("value", "text"), [
    ("plain", "plain"),
    ('say "hi"', r'say \"hi\"'),
    ("back\\slash", r"back\\slash"),
    ("two\nlines", r"two\nlines"),
    ("华东", "华东"),
])
def test_label_values_are_escaped(value, text):
    assert escape(value) == text


def test_parsed_back_the_samples_keep_their_labels_and_types():
    families = Families()
    families.add("cxpulse_x", "X.", "counter", label_text({"region": 'a"b\\c'}), 2, "_total")

    [family] = families.metrics()

    assert family.type == "counter"
    assert family.samples[0].labels == {"region": 'a"b\\c'}
    assert family.samples[0].value == 2
    assert [f.name for f in text_string_to_metric_families(families.text())] == ["cxpulse_x"]
