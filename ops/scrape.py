"""Read a worker's /metrics into plain numbers (for ``cxpulse up`` and tests)."""

import json
import urllib.request
from collections import defaultdict

from prometheus_client.parser import text_string_to_metric_families


def scrape(url: str, timeout_s: float = 3.0) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Sample name -> {sorted label pairs: value} from a Prometheus text endpoint."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        text = response.read().decode()
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name][tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def total(samples: dict[str, dict[tuple[tuple[str, str], ...], float]], name: str,
          **labels: str) -> float:
    """Sum of ``name`` over every series whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for key, v in samples.get(name, {}).items() if wanted <= set(key))


def read_progress(url: str, timeout_s: float = 3.0) -> dict:
    """A worker's /progress JSON (cheap: /metrics renders every window series)."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.loads(response.read())
