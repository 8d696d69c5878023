"""A single-node SLURM for the tests, and Snakemake runs submitted to it.

:class:`LocalSlurm` starts munged, slurmctld and slurmd from ``slurm.conf.in`` and ``gres.conf.in`` with
all state (keys, sockets, spool, logs, PID files) in one temporary directory and on free ports, so that it
neither needs nor touches ``/etc/slurm``, ``/run`` or another SLURM on the machine. It stops exactly the
daemons it started, by PID. :func:`submit_run` runs Snakemake in its own process group and kills that group
on a timeout, so that a hung run fails the test instead of hanging it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent
#: What a test run needs on PATH: the daemons and the client commands Snakemake's executor calls.
TOOLS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo")
#: How Snakemake's SLURM executor logs a submission.
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (\S+)\)\.")
#: How Snakemake logs a job: its rule, then its jobid a few lines below.
JOB_RULE = re.compile(r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    jobid: (\d+)$", re.M)
FINISHED = re.compile(r"Finished jobid: (\d+) \(Rule: (\w+)\)")
SBATCH_CALL = re.compile(r"sbatch call: (sbatch .*)")
#: Job states after which nothing of a job runs any more.
ENDED = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED")


def why_unavailable() -> str | None:
    """Why a local SLURM cannot run here (None when it can)."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return (
            f"SLURM is not installed ({', '.join(missing)} not on PATH): "
            "run .ci/install_slurm.sh (apt-get install slurm-wlm munge)"
        )
    if os.geteuid() != 0:
        return "a local SLURM needs root (slurmd launches the jobs)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_line(reserve_mb: int = 2000) -> tuple[str, str]:
    """This machine's ``NodeName=...`` line as ``slurmd -C`` reports it, with ``reserve_mb`` of memory kept
    back for the system; and the node name."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("NodeName="))
    mem = int(re.search(r"RealMemory=(\d+)", line)[1])
    line = re.sub(r"RealMemory=\d+", f"RealMemory={max(mem - reserve_mb, 1000)}", line)
    return line, line.split()[0].removeprefix("NodeName=")


def alive(pid: int, name: str) -> bool:
    """Whether ``pid`` is still the daemon ``name`` (not a zombie, not a reused PID)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and name.encode() in cmdline


def _wait(predicate, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} within {timeout:.0f} s\n{tail}")


class LocalSlurm:
    """munged + slurmctld + slurmd on this machine, configured from ``tests/slurm/*.conf.in``."""

    def __init__(self) -> None:
        # munged insists that every directory above its socket is world-executable, which pytest's own
        # temporary directories (mode 700) are not.
        self.root = Path(tempfile.mkdtemp(prefix="seqcnn-slurm-"))
        self.root.chmod(0o755)
        self.conf = self.root / "slurm.conf"
        # Snakemake's job step drops every SLURM_* variable before its nested srun, so an srun first on
        # PATH (exported to the jobs) brings SLURM_CONF back: real clusters find /etc/slurm instead.
        self.bin = self.root / "bin"
        path = f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf), "PATH": path}
        self.pids: dict[str, int] = {}

    def start(self) -> None:
        root = self.root
        for d in ("munge", "state", "spool", "log", "bin"):
            (root / d).mkdir(mode=0o755)
        srun = self.bin / "srun"
        srun.write_text(f'#!/bin/sh\nSLURM_CONF={self.conf} exec {shutil.which("srun")} "$@"\n')
        srun.chmod(0o755)
        key = root / "key"
        key.mkdir(mode=0o700)
        subprocess.run(["mungekey", "-c", "-k", str(key / "munge.key")], check=True)
        sock = root / "munge/munge.socket"
        # fmt: off
        self._daemon("munged", root / "munge/munged.pid", root / "munge/munged.log", [
            "munged", f"--socket={sock}", f"--key-file={key / 'munge.key'}",
            f"--pid-file={root / 'munge/munged.pid'}", f"--log-file={root / 'munge/munged.log'}",
            f"--seed-file={root / 'munge/munged.seed'}",
        ])
        # fmt: on
        line, node = node_line()
        fields = {
            "root": root,
            "node": node,
            "node_line": line,
            "ctld_port": free_port(),
            "slurmd_port": free_port(),
        }
        for name in ("slurm.conf", "gres.conf"):
            text = Template((HERE / f"{name}.in").read_text()).substitute(fields)
            (root / name).write_text(text)
        self._daemon(
            "slurmctld",
            root / "slurmctld.pid",
            root / "log/slurmctld.log",
            ["slurmctld", "-f", str(self.conf)],
        )
        _wait(lambda: "is UP" in self.run("scontrol", "ping", check=False).stdout, 20,
              "slurmctld did not answer", root / "log/slurmctld.log")  # fmt: skip
        self._daemon("slurmd", root / "slurmd.pid", root / "log/slurmd.log", ["slurmd", "-f", str(self.conf)])
        _wait(lambda: self.run("sinfo", "-h", "-o", "%t", check=False).stdout.strip().startswith("idle"), 30,
              "the node did not come up idle", root / "log/slurmd.log")  # fmt: skip

    def _daemon(self, name: str, pidfile: Path, log: Path, argv: list[str]) -> None:
        # Each daemon forks into the background and writes its PID file; that PID is what stop() ends.
        subprocess.run(argv, env=self.env, check=True, timeout=30)
        _wait(
            lambda: pidfile.exists() and pidfile.read_text().strip().isdigit(),
            10,
            f"{name} wrote no PID",
            log,
        )
        self.pids[name] = int(pidfile.read_text())

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        """A SLURM client command against this cluster."""
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, check=check, timeout=60)

    def jobs(self) -> dict[str, dict[str, str]]:
        """Every job this cluster knows (finished ones for MinJobAge): id -> state, partition, comment."""
        out = self.run("squeue", "-h", "--states=all", "-o", "%i|%T|%P|%k").stdout
        rows = [line.split("|") for line in out.splitlines() if line]
        return {r[0]: {"state": r[1], "partition": r[2], "comment": r[3]} for r in rows}

    def wait_ended(self, jobids: list[str], timeout: float = 60) -> None:
        """Wait until none of ``jobids`` runs any more (a cancelled job gets KillWait to exit)."""

        def ended() -> bool:
            return all(self.jobs()[j]["state"] in ENDED for j in jobids)

        _wait(ended, timeout, f"jobs {jobids} still run")

    def show_job(self, jobid: str) -> str:
        return self.run("scontrol", "show", "job", jobid).stdout

    def stop(self) -> None:
        """Cancel this cluster's jobs, then end slurmd, slurmctld and munged by their PIDs."""
        if "slurmctld" in self.pids and alive(self.pids["slurmctld"], "slurmctld"):
            self.run("scancel", "--full", "--user", str(os.geteuid()), check=False)
        for name in ("slurmd", "slurmctld", "munged"):
            pid = self.pids.pop(name, None)
            if pid is None or not alive(pid, name):
                continue
            os.kill(pid, signal.SIGTERM)
            try:
                _wait(lambda p=pid, n=name: not alive(p, n), 15, f"{name} (PID {pid}) did not stop")
            except RuntimeError:
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


def submit_run(argv: list[str], cwd: Path, env: dict[str, str], log: Path, timeout: float) -> int:
    """Run ``python -m snakemake *argv`` to completion, its output in ``log``; kill it past ``timeout``.

    The timeout only keeps a hung run from hanging the test suite; it is no speed assertion.
    """
    proc = start_run(argv, cwd, env, log)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired as err:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        tail = log.read_text()[-3000:]
        raise AssertionError(f"Snakemake did not finish within {timeout:.0f} s:\n{tail}") from err


def start_run(argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``python -m snakemake *argv`` in a process group of its own, stdout and stderr into ``log``."""
    with open(log, "w") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "snakemake", *argv],
            cwd=cwd,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def submissions(log_text: str) -> dict[str, dict[str, str]]:
    """Snakemake jobs a run submitted to SLURM: SLURM jobid -> Snakemake jobid, rule, SLURM log."""
    rules = {jobid: rule for rule, jobid in JOB_RULE.findall(log_text)}
    return {
        slurm_id: {"job": job, "rule": rules.get(job, "?"), "log": path}
        for job, slurm_id, path in SUBMITTED.findall(log_text)
    }


def finished_rules(log_text: str) -> list[str]:
    return [rule for _, rule in FINISHED.findall(log_text)]


def sbatch_calls(log_text: str) -> list[str]:
    """The sbatch command lines of a run (logged with ``--verbose``), without the wrapped job command."""
    return [call.split(" --wrap=")[0] for call in SBATCH_CALL.findall(log_text)]
