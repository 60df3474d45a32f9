"""The metric maths modules stay pure: importing them pulls in no stream or metrics client."""

import pkgutil
import subprocess
import sys

import metrics

#: Every module of the metrics package, found on disk (a new one is covered without a list).
MODULES = tuple(sorted(info.name for info in
                       pkgutil.walk_packages(metrics.__path__, "metrics.")))
FORBIDDEN = ("faust", "aiokafka", "kafka", "prometheus_client", "mode")


def test_metric_maths_imports_no_stream_or_exposition_library():
    assert {"metrics.views", "metrics.windows", "metrics.events.decode"} <= set(MODULES)
    imports = "; ".join(f"import {module}" for module in MODULES)
    check = f"import sys; {imports}; print(sorted(set(sys.modules) & set({FORBIDDEN!r})))"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
