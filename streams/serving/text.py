"""Exposition text written straight from numbers: the view series' render path.

Building a ``Metric`` and a ``Sample`` (a tuple and a dict) per series made every scrape
allocate thousands of container objects, which pushed the garbage collector into full
collections over the worker's whole heap: 250-280 ms with the interpreter lock held
(bench/README.md, "Serving views"). Here a series is one string: label sets are rendered once
per key and component names are looked up in a memo, so a render allocates almost nothing the
collector tracks. ``metrics()`` parses the text back into families for registries and tests.
"""

from collections.abc import Iterable, Mapping

from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.utils import floatToGoString

from metrics.components import Number


def escape(value: str) -> str:
    """A label value as the text format wants it (backslash, quote and newline escaped)."""
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def label_text(labels: Mapping[str, str]) -> str:
    """``a="x",b="y"`` in the mapping's order."""
    return ",".join(f'{name}="{escape(value)}"' for name, value in labels.items())


def join(*parts: str) -> str:
    """Label texts joined by commas, empty parts left out."""
    return ",".join(part for part in parts if part)


class Families:
    """Sample lines grouped by family (the text format wants a family's lines together)."""

    def __init__(self) -> None:
        self.heads: dict[str, str] = {}
        self.lines: dict[str, list[str]] = {}

    def add(self, name: str, help_text: str, kind: str, labels: str, value: Number,
            sample_suffix: str = "") -> None:
        """One sample of family ``name``; ``labels`` is label text (see :func:`label_text`).

        A counter's samples end in ``sample_suffix`` ``_total``, and so do its HELP and TYPE
        lines, as in client_python's text format."""
        lines = self.lines.get(name)
        if lines is None:
            lines = self.lines[name] = []
            help_line = help_text.replace("\\", r"\\").replace("\n", r"\n")
            named = name + sample_suffix
            self.heads[name] = f"# HELP {named} {help_line}\n# TYPE {named} {kind}\n"
        lines.append(f"{name}{sample_suffix}{{{labels}}} {floatToGoString(value)}\n")

    def text(self) -> str:
        return "".join(self.heads[name] + "".join(lines) for name, lines in self.lines.items())

    def series(self) -> int:
        return sum(len(lines) for lines in self.lines.values())

    def metrics(self) -> Iterable[Metric]:
        """The families parsed back (for a CollectorRegistry and get_sample_value)."""
        return list(text_string_to_metric_families(self.text()))
