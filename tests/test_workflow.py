"""The Snakemake DAG: full-config dry run, and bad config stopping the run before any job."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ["--configfile", str(ROOT / "config/config.yaml")]


def snakemake(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), *CONFIG, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def job_counts(stdout):
    table = stdout[stdout.index("Job stats:") :]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def test_default_config_dry_run_lists_every_trial(tmp_path):
    out = snakemake("-n", "--directory", str(tmp_path), "--config", f"outdir={tmp_path}/ke")
    assert out.returncode == 0, out.stderr
    counts = job_counts(out.stdout)
    # 16 Table 1 models x 5 trials, plus CNN-1-3 x 5 for the deeper-layer table.
    assert counts["train_model"] == 85
    assert counts["evaluate_model"] == 80
    # layer 0 of 16 models, layer 2 of CNN-1, layers 1-3 of CNN-1-3; 5 trials each.
    assert counts["match_filters_to_jaspar"] == (16 + 1 + 3) * 5
    assert counts["plot_filter_logos"] == 16
    for rule in ("summarize_table1", "summarize_layers", "plot_pool_size", "export_jaspar_motifs"):
        assert counts[rule] == 1


def test_bad_config_fails_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: [cnn_25, cnn_7]\n")
    out = snakemake(
        "-n", "--directory", str(tmp_path), "--configfile", str(ROOT / "config/config.yaml"), str(bad)
    )
    assert out.returncode != 0
    assert "Config error: config key models[1]: unknown model 'cnn_7'" in out.stderr + out.stdout
    assert not (tmp_path / "results").exists()
