"""The serving process's tuning (conference.runtime), checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_tune_gc_freezes_start_up_objects_and_raises_the_thresholds() -> None:
    code = (
        "import gc; from conference.runtime import GC_THRESHOLDS, tune_gc; "
        "assert gc.get_freeze_count() == 0; tune_gc(); "
        "assert gc.get_threshold() == GC_THRESHOLDS, gc.get_threshold(); "
        "assert gc.get_freeze_count() > 1000; print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "ok"
