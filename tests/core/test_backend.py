"""The CPU allocator setting ember makes at import (ember.backend._tune_glibc_malloc)."""

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="needs glibc"
)

# A round allocates arrays of several sizes under 32 MiB, all alive at once as a training step's
# activations are, writing every page, then frees them. The probe counts the minor page faults
# of a round after three others: with the thresholds fixed, the freed memory is reused.
_PROBE = """
import resource, sys
import numpy as np
import ember

def round_of_allocations():
    arrays = [np.empty(mib << 18, dtype=np.float32) for mib in (2, 6, 12, 24, 24, 24, 12)]
    for a in arrays:
        a[...] = 1.0

for _ in range(3):
    round_of_allocations()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
round_of_allocations()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(**env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    environ.update(env)
    run = subprocess.run(
        [sys.executable, "-c", _PROBE], env=environ, capture_output=True, text=True, check=True
    )
    return int(run.stdout)


def test_freed_arrays_are_reused_without_page_faults():
    # 104 MiB are written per round (26,624 pages of 4 KiB, or 52 huge pages) and freed: more
    # than glibc's default trim threshold, and than the 64 MiB ember once set
    assert _faults() < 16
    assert _faults(EMBER_MALLOC_TUNING="0") >= 16


def test_user_settings_win():
    assert _faults(MALLOC_MMAP_THRESHOLD_="131072", MALLOC_TRIM_THRESHOLD_="131072") >= 16
