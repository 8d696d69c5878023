"""Make the package importable from a plain checkout (it is also installed by ``pip install -e .``), and
print what the SLURM tests submitted at the end of the run."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))

#: Lines the SLURM tests (tests/test_slurm.py) report: jobs submitted, wall time, the GPU job's sbatch call.
SLURM_SUMMARY = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(SLURM_SUMMARY, [])
    if lines:
        terminalreporter.section("SLURM")
        for line in lines:
            terminalreporter.write_line(line)
