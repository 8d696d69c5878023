"""Every file the pipeline reads is tracked by the DAG: editing one reruns exactly what depends on it.

A user's own data (not a toy genome): a FASTA, a blacklist, a sample sheet whose narrowPeak files are
reached only through the sheet, and STARR-seq bigWigs named in the config. The datasets are built once;
after each edit a dry run must list exactly the jobs that read the edited file.
"""

import os
import time

import pytest
import yaml
from test_workflow import job_counts, snakemake

from seqcnn.toy import build_toy_genome

pytestmark = pytest.mark.slow

DATASETS = ["results/datasets/mine_peaks/dataset", "results/datasets/mine_starr/dataset"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("reruns")
    sizes = {"chr1": 300_000, "chr2": 200_000, "chr3": 200_000, "chr4": 300_000}
    build_toy_genome(
        work / "data",
        seed=3,
        chip_peaks=60,
        starr_elements=200,
        ct_bound=60,
        ct_unbound=60,
        chrom_sizes=sizes,
    )
    tasks = [
        {
            "name": task,
            "rna": f"data/tracks/STARR_{task}_cellA_rna.bw",
            "input": f"data/tracks/STARR_{task}_cellA_input.bw",
            "peaks": f"data/peaks/STARR_{task}_cellA.narrowPeak",
        }
        for task in ("dev", "hk")
    ]
    config = {
        "run": ["mine"],
        "genomes": {"mine": {"source": "data/genome.fa", "blacklist": "data/blacklist.bed"}},
        "datasets": {
            "mine_peaks": {"kind": "peaks", "genome": "mine", "samples": "data/samples.tsv", "window": 200},
            "mine_starr": {"kind": "starr", "genome": "mine", "window": 249, "tasks": tasks},
        },
        "studies": {"mine": {"dataset": "mine_peaks", "models": ["cnn_25"]}},
    }
    (work / "mine.yaml").write_text(yaml.safe_dump(config))
    out = run(work, "--cores", "2")
    assert out.returncode == 0, out.stderr[-3000:]
    return work


def run(work, *args):
    return snakemake(*DATASETS, *args, "--directory", str(work), "--configfile", str(work / "mine.yaml"))


def edit(path):
    """Change a file's content (Snakemake reruns on a changed checksum, not on a touched file)."""
    if path.suffix == ".bw":
        import pyBigWig

        src = pyBigWig.open(str(path))
        chroms = list(src.chroms().items())
        intervals = {c: src.intervals(c) or [] for c, _ in chroms}
        src.close()
        path.unlink()
        out = pyBigWig.open(str(path), "w")
        out.addHeader(chroms)
        for chrom, rows in intervals.items():
            if rows:
                starts, ends, values = zip(*rows, strict=True)
                out.addEntries(
                    [chrom] * len(rows), list(starts), ends=list(ends), values=[v * 1.1 for v in values]
                )
        out.close()
    elif path.suffix == ".fa":
        lines = path.read_text().splitlines(keepends=True)
        lines[1] = lines[1].translate(str.maketrans("ACGT", "CGTA"))
        path.write_text("".join(lines))
    elif path.suffix == ".narrowPeak":
        lines = path.read_text().splitlines(keepends=True)
        fields = lines[0].split("\t")
        fields[4] = str(int(fields[4]) + 1)
        path.write_text("".join(["\t".join(fields), *lines[1:]]))
    else:  # a sample sheet or blacklist: one line more (a comment, a tiny region)
        extra = "# edited\n" if path.suffix == ".tsv" else "chr1\t0\t10\tedited\n"
        path.write_text(path.read_text() + extra)
    later = time.time() + 5
    os.utime(path, (later, later))


def due(work):
    out = run(work, "-n")
    assert out.returncode == 0, out.stderr[-3000:]
    return {} if "Nothing to be done" in out.stdout else job_counts(out.stdout)


@pytest.mark.parametrize(
    "path, expected",
    [
        # Reached only through the sample sheet.
        ("data/peaks/CTCF_cellA.narrowPeak", {"build_peak_labels": 1}),
        ("data/samples.tsv", {"build_peak_labels": 1}),
        # Named in the config.
        ("data/tracks/STARR_dev_cellA_rna.bw", {"build_starr_labels": 1}),
        # Named in the config and, as an experiment, in the sample sheet: both datasets read it.
        ("data/peaks/STARR_hk_cellA.narrowPeak", {"build_peak_labels": 1, "build_starr_labels": 1}),
        # The genome's: every dataset of that genome.
        ("data/blacklist.bed", {"build_peak_labels": 1, "build_starr_labels": 1}),
        ("data/genome.fa", {"download_genome": 1, "build_peak_labels": 1, "build_starr_labels": 1}),
    ],
)
def test_editing_an_input_file_reruns_exactly_what_reads_it(workdir, path, expected):
    assert due(workdir) == {}
    edit(workdir / path)
    counts = due(workdir)
    counts.pop("total", None)
    assert counts == expected
    # Mark everything up to date again for the next case (no rebuild needed to test the DAG).
    out = run(workdir, "--touch", "--cores", "1")
    assert out.returncode == 0, out.stderr[-3000:]


KILLED = """
run: [killed]
datasets: {small: {kind: synthetic, n_seqs: 3000, motif_ids: [MA0079.3, MA0083.3]}}
studies:
  killed: {dataset: small, models: [cnn_25], training: {max_epochs: 40, patience: 40}}
"""


def test_a_killed_workflow_leaves_no_finished_looking_run_and_resumes(tmp_path):
    import signal
    import subprocess
    import sys

    from test_workflow import CONFIG, ROOT

    cfg = tmp_path / "killed.yaml"
    cfg.write_text(KILLED)
    run_dir = tmp_path / "results/killed/runs/cnn_25/trial0"
    args = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores", "1"]
    args += ["--directory", str(tmp_path), "--configfile", CONFIG[1], str(cfg)]
    # Its own session, so that the kill takes Snakemake and its running job, as a lost node would.
    proc = subprocess.Popen(
        args, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.time() + 600
        while not (run_dir / "checkpoint.prev.pt").exists():
            assert proc.poll() is None and time.time() < deadline, "training never checkpointed"
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert (run_dir / "checkpoint.pt").exists()
    # Nothing of the unfinished training looks finished.
    assert not any((run_dir / f).exists() for f in ("model.pt", "metrics.tsv", "settings.json"))
    assert (
        snakemake("--unlock", "--directory", str(tmp_path), "--configfile", CONFIG[1], str(cfg)).returncode
        == 0
    )
    out = snakemake("--cores", "1", "--directory", str(tmp_path), "--configfile", CONFIG[1], str(cfg))
    assert out.returncode == 0, out.stderr[-3000:]
    counts = job_counts(out.stderr)
    assert "simulate_synthetic_dataset" not in counts and counts["train_model"] == 1
    log = (tmp_path / "results/killed/logs/train_model/cnn_25_trial0.log").read_text()
    assert "resumed cnn_25 trial 0 from its checkpoint" in log
    assert sorted(p.name for p in run_dir.iterdir() if p.suffix != ".npy") == [
        "metrics.tsv",
        "model.pt",
        "settings.json",
        "test_metrics.tsv",
    ]
