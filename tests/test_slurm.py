"""profiles/slurm on a real one-node SLURM: every job submitted, GPU requests, failures, a killed run.

A small Koo & Eddy study (a synthetic dataset, one CNN-25 trial of two epochs, its evaluation, filter
annotation and tables) runs through ``--workflow-profile profiles/slurm --profile profiles/gpu``, first
killed once its first jobs are done, then resumed; its results must equal a local run of the same config.
The cluster (tests/slurm/) starts once for the module and is stopped by PID afterwards, also on failure.
Skipped with a message where SLURM is not installed (.ci/install_slurm.sh installs it).
"""

import copy
import json
import os
import re
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import SLURM_SUMMARY
from slurm import testbed
from snakemake.utils import update_config
from test_workflow import CONFIG, ROOT, TINY, snakemake

from seqcnn import resources
from seqcnn.config import check_config

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.slow,
    pytest.mark.skipif(testbed.why_unavailable() is not None, reason=str(testbed.why_unavailable())),
]

#: The tiny study of test_workflow, cut to one model, one trial and two epochs.
STUDY = yaml.safe_load(TINY)
STUDY["datasets"]["tiny_synthetic"]["n_seqs"] = 2000
STUDY["studies"]["tiny"].update(
    models=["cnn_25"], trials=1, deeper_layers=[], training={"max_epochs": 2, "patience": 2}, logo_trial=0
)
TARGETS = ["results/tiny/table1.tsv", "results/tiny/filters.tsv", "results/tiny/metrics.tsv"]
RULES = {
    "simulate_synthetic_dataset", "export_jaspar_motifs", "train_model", "evaluate_model",
    "match_filters_to_jaspar", "summarize_study", "summarize_filters", "summarize_table1",
}  # fmt: skip
GPU_RULES = {"train_model", "evaluate_model", "match_filters_to_jaspar"}
PROFILES = ["--workflow-profile", str(ROOT / "profiles/slurm"), "--profile", str(ROOT / "profiles/gpu")]
# The status poll starts 2 s after a submission instead of the profile's 20 (a test waits on every job),
# and the SLURM logs of successful jobs are kept to be checked.
FAST = ["--slurm-init-seconds-before-status-checks", "2", "--slurm-keep-successful-logs"]
#: Guards against a hung run only: a generous bound, no speed assertion.
RUN_TIMEOUT = 900


def slurm_args(work, *extra):
    # --verbose logs each sbatch call; --configfile takes several values and goes last.
    return [*TARGETS, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(work), *PROFILES, *FAST,
            "--verbose", *extra, "--configfile", CONFIG[1], str(work / "tiny.yaml")]  # fmt: skip


@pytest.fixture(scope="module")
def cluster():
    slurm = testbed.LocalSlurm()
    try:
        slurm.start()
        yield slurm
    finally:
        slurm.stop()


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory, pytestconfig):
    """The small study on SLURM: killed with SIGKILL once its first job finished, then run again."""
    work = tmp_path_factory.mktemp("slurm_run")
    (work / "tiny.yaml").write_text(yaml.safe_dump(STUDY))
    start = time.monotonic()
    killed_log = work / "killed.log"
    proc = testbed.start_run(slurm_args(work), work, cluster.env, killed_log)
    try:
        deadline = time.monotonic() + RUN_TIMEOUT
        while not testbed.finished_rules(killed_log.read_text()) and proc.poll() is None:
            assert time.monotonic() < deadline, killed_log.read_text()[-3000:]
            time.sleep(0.5)
    finally:
        # Snakemake itself dies (as a login node would take it down); its SLURM jobs live on.
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    killed = killed_log.read_text()
    assert proc.returncode == -signal.SIGKILL, killed[-3000:]
    # Jobs left behind are cancelled, as a user would before starting again.
    orphans = [j for j in testbed.submissions(killed) if cluster.jobs()[j]["state"] not in testbed.ENDED]
    if orphans:
        cluster.run("scancel", *orphans)
        cluster.wait_ended(orphans)
    done_before = {p: p.stat().st_mtime_ns for p in (work / "results/datasets").rglob("*") if p.is_file()}
    unlock = testbed.submit_run(["--unlock", *slurm_args(work)[len(TARGETS) :]], work, cluster.env,
                                work / "unlock.log", RUN_TIMEOUT)  # fmt: skip
    assert unlock == 0, (work / "unlock.log").read_text()[-3000:]
    resumed_log = work / "resumed.log"
    rc = testbed.submit_run(slurm_args(work), work, cluster.env, resumed_log, RUN_TIMEOUT)
    resumed = resumed_log.read_text()
    assert rc == 0, resumed[-3000:]
    run = {
        "work": work,
        "killed": killed,
        "resumed": resumed,
        "done_before": done_before,
        "orphans": orphans,
        "wall_s": time.monotonic() - start,
    }
    submitted = {**testbed.submissions(killed), **testbed.submissions(resumed)}
    gpu_call = next(c for c in testbed.sbatch_calls(resumed + killed) if "rule_train_model" in c)
    pytestconfig.stash.setdefault(SLURM_SUMMARY, []).extend([
        f"SLURM run: {len(submitted)} jobs submitted ({len(testbed.submissions(killed))} before the kill, "
        f"{len(orphans)} of them cancelled), {run['wall_s']:.0f} s wall for both runs",
        f"GPU job: {gpu_call}",
    ])  # fmt: skip
    return run


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("local_run")
    (work / "tiny.yaml").write_text(yaml.safe_dump(STUDY))
    out = snakemake(*TARGETS, "--cores", "2", "--directory", str(work), "--configfile", CONFIG[1],
                    str(work / "tiny.yaml"))  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return work


def test_every_job_ran_as_a_slurm_job(slurm_run, cluster):
    finished = testbed.finished_rules(slurm_run["killed"]) + testbed.finished_rules(slurm_run["resumed"])
    assert sorted(finished) == sorted(RULES)  # each rule of the small study once
    jobs = cluster.jobs()
    completed = set()
    for log in ("killed", "resumed"):
        for slurm_id, sub in testbed.submissions(slurm_run[log]).items():
            # The scheduler knows the job under the rule Snakemake submitted it for, and it wrote its log.
            job = jobs[slurm_id]
            assert job["comment"].startswith(f"rule_{sub['rule']}"), (slurm_id, job, sub)
            if job["state"] != "CANCELLED":
                assert f"rule {sub['rule']}:" in Path(sub["log"]).read_text(), sub
            if job["state"] == "COMPLETED":
                completed.add(sub["rule"])
    assert completed == RULES
    # No rule ran outside SLURM.
    assert "localrule" not in slurm_run["resumed"] and "localrule" not in slurm_run["killed"]


def test_killed_run_resumes_without_redoing_finished_jobs(slurm_run):
    before = set(testbed.finished_rules(slurm_run["killed"]))
    assert before and before < RULES
    resubmitted = {s["rule"] for s in testbed.submissions(slurm_run["resumed"]).values()}
    assert not before & resubmitted, before & resubmitted
    assert before | resubmitted == RULES
    # The dataset written before the kill is the one the resumed run trained on, untouched.
    if "simulate_synthetic_dataset" in before:
        for path, mtime in slurm_run["done_before"].items():
            assert path.stat().st_mtime_ns == mtime, path


def test_slurm_results_equal_a_local_run(slurm_run, local_run):
    remote = slurm_run["work"]
    for name in ("train.x.npy", "train.y.npy", "test.x.npy", "test.y.npy"):
        a, b = (np.load(w / "results/datasets/tiny_synthetic/dataset" / name) for w in (remote, local_run))
        assert np.array_equal(a, b), name
    run = "results/tiny/runs/cnn_25/trial0"
    a, b = (np.load(w / run / "test_predictions.npy") for w in (remote, local_run))
    assert a.shape == (400, 3) and np.allclose(a, b, atol=1e-6)
    tables = ["table1.tsv", "filters.tsv", "metrics.tsv", "runs/cnn_25/trial0/test_metrics.tsv",
              "motifs/cnn_25/trial0/layer0/tomtom.tsv"]  # fmt: skip
    for table in (f"results/tiny/{t}" for t in tables):
        a, b = (pd.read_csv(w / table, sep="\t") for w in (remote, local_run))
        pd.testing.assert_frame_equal(a, b, check_exact=False, atol=1e-6, obj=table)
    settings = [json.loads((w / run / "settings.json").read_text()) for w in (remote, local_run)]
    assert settings[0] == settings[1]


def test_gpu_rules_reach_sbatch_with_the_gpu_request(slurm_run, cluster, monkeypatch):
    calls = testbed.sbatch_calls(slurm_run["killed"] + slurm_run["resumed"])
    by_rule = {re.search(r"--comment rule_(\w+?)(?:_wildcards_|\s)", c)[1]: c for c in calls}
    assert set(by_rule) == RULES
    config = yaml.safe_load(Path(CONFIG[1]).read_text())
    update_config(config, copy.deepcopy(STUDY))
    check_config(config, ROOT / "workflow/schemas/config.schema.yaml")
    monkeypatch.chdir(slurm_run["work"])
    wildcards = SimpleNamespace(study="tiny", model="cnn_25", trial="0", layer="0")
    for rule, call in by_rule.items():
        if rule in GPU_RULES:  # profiles/gpu asks for a GPU, profiles/slurm/partitions.yaml routes it
            assert " --gpus=1" in call and " -p gpu " in call, call
            # The sizes seqcnn.resources derives from the dataset and model are what SLURM is asked for.
            size = resources.estimate(config, rule, wildcards)
            assert f" -t {size['runtime']} --mem {size['mem_mb']} " in call, (call, size)
        else:
            assert "--gpus" not in call and " -p cpu " in call, call
    resumed = testbed.submissions(slurm_run["resumed"])
    train = next(i for i, s in resumed.items() if s["rule"] == "train_model")
    shown = cluster.show_job(train)
    assert "TresPerJob=gres:gpu:1" in shown and "Partition=gpu" in shown, shown


def test_gpu_job_sees_cuda_visible_devices(cluster, tmp_path, pytestconfig):
    log = tmp_path / "probe.log"
    argv = ["--snakefile", str(ROOT / "tests/slurm/gpu_probe.smk"), "--directory", str(tmp_path), *PROFILES,
            *FAST, "--verbose"]  # fmt: skip
    assert testbed.submit_run(argv, tmp_path, cluster.env, log, RUN_TIMEOUT) == 0, log.read_text()[-3000:]
    # SLURM gave the job one of the node's two (fake) GPUs, gres gpu:fake:2, by its index.
    assert re.fullmatch(r"CUDA_VISIBLE_DEVICES=[01]", (tmp_path / "gpu_probe.txt").read_text().strip())
    (call,) = testbed.sbatch_calls(log.read_text())
    assert " --gpus=1" in call and " -p gpu " in call
    pytestconfig.stash.setdefault(SLURM_SUMMARY, []).append(f"GPU probe: {call}")


def test_failing_job_stops_the_run_and_names_the_rule(cluster, tmp_path):
    fasta = tmp_path / "g.fa"
    fasta.write_text(">chr1\nACGTACGTAC\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"genomes: {{g: {{source: {fasta}, sha256: '{'0' * 64}'}}}}\n")
    log = tmp_path / "failing.log"
    argv = ["resources/genomes/g/genome.fa", "--snakefile", str(ROOT / "Snakefile"), "--directory",
            str(tmp_path), *PROFILES, *FAST, "--configfile", CONFIG[1], str(bad)]  # fmt: skip
    # A failed SLURM job must end the run (non-zero) rather than leave Snakemake waiting on it.
    rc = testbed.submit_run(argv, tmp_path, cluster.env, log, timeout=300)
    text = log.read_text()
    assert rc != 0, text[-3000:]
    assert "Error in rule download_genome" in text
    # profiles/slurm retries a failed job once, then gives up.
    tries = testbed.submissions(text)
    assert [s["rule"] for s in tries.values()] == ["download_genome"] * 2, tries
    for slurm_id in tries:
        assert cluster.jobs()[slurm_id]["state"] == "FAILED" and f"SLURM-job '{slurm_id}' failed" in text
    assert "sha256" in (tmp_path / "results/logs/download_genome/g.log").read_text()


def test_stopped_cluster_leaves_no_daemon():
    """A cluster of its own, started and stopped: none of its daemons outlives stop()."""
    slurm = testbed.LocalSlurm()
    try:
        slurm.start()
        pids = dict(slurm.pids)
    finally:
        slurm.stop()
    assert set(pids) == {"munged", "slurmctld", "slurmd"}
    assert not any(testbed.alive(pid, name) for name, pid in pids.items())
    assert not slurm.root.exists()
