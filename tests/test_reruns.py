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
