"""Where a finished run's time went: the Snakemake benchmark files of a study, summed per rule.

    python benchmarks/dag_time.py results/koo_eddy_quick/benchmarks

Prints, per rule, the jobs, their summed and median wall seconds and the share of the whole; training
(train_model and train_trials_<n>) against everything after it is the line to read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def rule_times(benchmarks: Path) -> pd.DataFrame:
    """One row per rule: jobs, summed and median seconds, share of all jobs' seconds."""
    rows = []
    for tsv in sorted(benchmarks.glob("*/*.tsv")):
        seconds = pd.read_csv(tsv, sep="\t")["s"]
        rows.append({"rule": tsv.parent.name, "job": tsv.stem, "s": float(seconds.iloc[-1])})
    if not rows:
        raise SystemExit(f"{benchmarks}: no Snakemake benchmark files (<rule>/<job>.tsv) found")
    jobs = pd.DataFrame(rows)
    table = jobs.groupby("rule")["s"].agg(jobs="count", total_s="sum", median_s="median").reset_index()
    table["share"] = table["total_s"] / table["total_s"].sum()
    return table.sort_values("total_s", ascending=False)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("benchmarks", type=Path, help="a study's benchmarks/ directory")
    args = ap.parse_args(argv)
    table = rule_times(args.benchmarks)
    print(table.round(3).to_string(index=False))
    training = table["rule"].str.startswith("train_")
    share = table.loc[training, "share"].sum()
    print(f"training {share:.1%} of job seconds; the rest {1 - share:.1%}")


if __name__ == "__main__":
    main()
