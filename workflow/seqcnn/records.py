"""Run records: the few-kB files of finished trials that a study's published table is made from, kept
apart from the models, so that a table can be assembled from trials run on several machines or days.

A record directory has a study's layout, holding per trial only ``settings.json`` (every resolved
setting and the seed), ``metrics.tsv`` (per epoch), ``test_metrics.tsv`` and the ``stats.json`` of each
annotated layer::

    runs/<model>/trial<t>/{settings.json, metrics.tsv, test_metrics.tsv}
    motifs/<model>/trial<t>/layer<l>/stats.json

``python -m seqcnn.records collect results/koo_eddy docs/table1_runs`` copies the finished trials of a
run into one (a trial counts once its test metrics and first-layer annotation exist);
``python -m seqcnn.records table1 docs/table1_runs --md docs/table1.md --png docs/relevant_match_vs_pool.png``
writes Table 1 beside the published values from every trial recorded, through the same functions as the
workflow's ``summarize_table1``, ``summarize_layers`` and ``plot_pool_size``. Models with no trial yet are
listed with 0 trials.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import pandas as pd

from .errors import InputError
from .published import KOO_EDDY_TABLES, LAYERS

#: The files of one trial's run directory a record keeps.
RUN_FILES = ("settings.json", "metrics.tsv", "test_metrics.tsv")


def finished_trials(study_dir: str | os.PathLike) -> list[tuple[str, int]]:
    """``(model, trial)`` of every trial of a study directory whose test metrics and first-layer
    annotation are there and no older than its model (a trial being retrained is not finished), sorted."""
    root = Path(study_dir)
    found = []
    for metrics in sorted(root.glob("runs/*/trial*/test_metrics.tsv")):
        model, trial = metrics.parts[-3], int(metrics.parts[-2].removeprefix("trial"))
        stats = root / "motifs" / model / f"trial{trial}" / "layer0" / "stats.json"
        weights = metrics.parent / "model.pt"
        if not stats.is_file():
            continue
        trained = weights.stat().st_mtime if weights.is_file() else 0.0
        if min(metrics.stat().st_mtime, stats.stat().st_mtime) >= trained:
            found.append((model, trial))
    return found


def collect(study_dir: str | os.PathLike, records_dir: str | os.PathLike) -> list[tuple[str, int]]:
    """Copy the record files of every finished trial of ``study_dir`` into ``records_dir`` (same layout;
    a trial recorded before is replaced as a whole). Returns the trials copied."""
    src, dest = Path(study_dir), Path(records_dir)
    trials = finished_trials(src)
    if not trials:
        raise InputError(
            f"{src}: no finished trial (expected runs/<model>/trial<t>/test_metrics.tsv and its layer0 stats)"
        )
    for model, trial in trials:
        run = Path("runs") / model / f"trial{trial}"
        for old in (dest / run, dest / "motifs" / model / f"trial{trial}"):
            if old.is_dir():
                shutil.rmtree(old)
        for name in RUN_FILES:
            if (src / run / name).is_file():
                (dest / run).mkdir(parents=True, exist_ok=True)
                shutil.copy2(src / run / name, dest / run / name)
        for stats in sorted((src / "motifs" / model / f"trial{trial}").glob("layer*/stats.json")):
            target = dest / stats.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(stats, target)
    return trials


def table1_from_records(
    records_dir: str | os.PathLike,
    out_md: str | os.PathLike,
    out_png: str | os.PathLike | None = None,
    published: str = "koo_eddy_table1",
) -> pd.DataFrame:
    """Table 1 (or 2) of every recorded trial, beside the published values.

    Writes ``out_md``, ``table1.tsv`` and (for Table 1, where deeper layers are recorded) ``layers.tsv``
    in ``records_dir``, and the pool-size figure to ``out_png`` when given. The models are the published
    table's, in its order.
    """
    from .plotting import plot_pool_size
    from .tables import summarize_layers, summarize_table1

    root = Path(records_dir)
    models = list(KOO_EDDY_TABLES[published][1])
    metrics = sorted(root.glob("runs/*/trial*/test_metrics.tsv"))
    stats = sorted(root.glob("motifs/*/trial*/layer0/stats.json"))
    if not metrics:
        raise InputError(f"{root}: no recorded trial (runs/<model>/trial<t>/test_metrics.tsv)")
    stem = "table1" if published == "koo_eddy_table1" else "table2"
    table = summarize_table1(metrics, stats, models, root / f"{stem}.tsv", out_md, published=published)
    # Deeper layers, as the study's deeper_layers recorded them: a Table 1 model's layers past the first,
    # every recorded layer of a model trained for the deeper-layer table only (CNN-1-3).
    recorded = sorted(root.glob("motifs/*/trial*/layer*/stats.json"))
    deeper: dict[str, set[int]] = {}
    for path in recorded:
        model, layer = path.parts[-4], int(path.parts[-2].removeprefix("layer"))
        if layer > 0 or model not in models:
            deeper.setdefault(model, set()).add(layer)
    if published == "koo_eddy_table1" and deeper:
        order = [m for m in dict.fromkeys(m for m, _ in LAYERS) if m in deeper]
        order += sorted(set(deeper) - set(order))
        layers = {m: sorted(deeper[m]) for m in order}
        summarize_layers(recorded, layers, root / "layers.tsv")
    if out_png is not None:
        plot_pool_size(root / f"{stem}.tsv", out_png, published=published)
    return table


def main(argv: list[str] | None = None) -> int:
    """``python -m seqcnn.records collect STUDY_DIR RECORDS_DIR`` or ``table1 RECORDS_DIR --md FILE``."""
    import sys

    parser = argparse.ArgumentParser(prog="python -m seqcnn.records", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="copy the record files of a study's finished trials")
    c.add_argument("study_dir")
    c.add_argument("records_dir")
    t = sub.add_parser("table1", help="Table 1 beside the published values from recorded trials")
    t.add_argument("records_dir")
    t.add_argument("--md", required=True, help="Markdown table to write")
    t.add_argument("--png", help="pool-size figure to write")
    t.add_argument("--published", default="koo_eddy_table1", choices=sorted(KOO_EDDY_TABLES))
    args = parser.parse_args(argv)
    try:
        if args.command == "collect":
            trials = collect(args.study_dir, args.records_dir)
            models = len({m for m, _ in trials})
            print(f"recorded {len(trials)} trial(s) of {models} model(s) in {args.records_dir}")
        else:
            table = table1_from_records(args.records_dir, args.md, args.png, args.published)
            done = table[table["n_trials"] > 0]
            print(f"{args.md}: {len(done)} of {len(table)} rows, {int(table['n_trials'].sum())} trials")
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
