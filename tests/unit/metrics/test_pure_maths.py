"""The metric maths modules stay pure: importing them pulls in no stream or metrics client."""

import subprocess
import sys

MODULES = (
    "calls", "tickets", "repeats", "surveys", "questionnaires", "stats", "dedupe",
    "business_hours", "complaint_clock",
)
FORBIDDEN = ("faust", "aiokafka", "kafka", "prometheus_client", "mode")


def test_metric_maths_imports_no_stream_or_exposition_library():
    imports = "; ".join(f"import metrics.{module}" for module in MODULES)
    check = f"import sys; {imports}; print(sorted(set(sys.modules) & set({FORBIDDEN!r})))"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
