"""Figures a reviewer would rather look at than read.

* :func:`plot_filter_logos`: every first-layer filter of one model as a sequence logo (bits), titled
  with its best JASPAR match; ground-truth matches in green, other JASPAR matches in blue, none in grey.
* :func:`plot_pool_size`: % relevant match and AU-ROC against first-layer pool size, reproduced beside
  published, the figure that carries Koo & Eddy's main claim.
* :func:`plot_gradcam`: Grad-CAM tracks of a few predicted windows with the refined core enhancers called
  from them and, on a toy genome, the planted STARR-seq elements they should fall in.
* :func:`plot_cooperativity`: DeepSTARR-style motif-pair cooperativity against distance, the planted
  cooperative range shaded.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .io import atomic_path  # noqa: E402
from .published import KOO_EDDY_TABLES  # noqa: E402

COLORS = {"relevant": "#1a9850", "jaspar": "#4575b4", "none": "#7f7f7f"}


def information_matrix(pwm: np.ndarray) -> np.ndarray:
    """``(4, W)`` probabilities -> ``(W, 4)`` letter heights in bits (height = p * IC)."""
    p = np.clip(np.asarray(pwm, dtype=float), 0, 1)
    ic = 2 + (p * np.log2(p + 1e-9)).sum(axis=0)
    return (p * np.clip(ic, 0, 2)).T


def _save(fig, out_png: str | os.PathLike, dpi: int = 110) -> None:
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def plot_filter_logos(
    meme_path: str | os.PathLike,
    stats_path: str | os.PathLike,
    out_png: str | os.PathLike,
    ncols: int = 5,
) -> None:
    """Logo grid of a model's filters annotated with their best Tomtom match.

    Parameters
    ----------
    meme_path
        Clipped filter PWMs (``filters.meme`` from :func:`seqcnn.motifs.annotate_filters`).
    stats_path
        The matching ``stats.json`` (per-filter best match, relevance and site counts).
    out_png
        Output figure.
    ncols
        Logos per row.
    """
    import logomaker

    from .motifs import read_meme

    motifs = read_meme(meme_path)
    stats = json.loads(open(stats_path).read())
    info = {f["filter"]: f for f in stats.get("filters", [])}
    n = len(motifs)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 1.5 * nrows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, (name, _, pwm) in zip(axes.flat, motifs, strict=False):
        f = info.get(name, {})
        heights = pd.DataFrame(information_matrix(pwm), columns=list("ACGT"))
        if f.get("n_sites", 1) > 0 and heights.to_numpy().sum() > 0:
            logomaker.Logo(heights, ax=ax, color_scheme="classic", show_spines=False)
        ax.set_ylim(0, 2)
        ax.set_xticks([])
        ax.set_yticks([])
        if f.get("best_match_id"):
            kind = "relevant" if f.get("relevant_hit") else "jaspar"
            label = f"{f['best_match_name']} {f['best_match_id']}  E={f['best_match_evalue']:.0e}"
            if f.get("best_relevant_id") and f["best_relevant_id"] != f["best_match_id"]:
                label += f" | {f['best_relevant_name']}"
        else:
            kind = "none"
            label = "no match" if f.get("n_sites", 1) > 0 else "inactive"
        ax.set_title(f"{name}: {label}", fontsize=7, color=COLORS[kind], loc="left")
    model = stats.get("model", "")
    fig.suptitle(
        f"{model} layer {stats.get('layer', 0) + 1}, trial {stats.get('trial', '')}: "
        f"{stats.get('jaspar_match', float('nan')):.2f} match JASPAR, "
        f"{stats.get('relevant_match', float('nan')):.2f} match a ground-truth motif",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    _save(fig, out_png)


def plot_pool_size(
    table_tsv: str | os.PathLike, out_png: str | os.PathLike, published: str = "koo_eddy_table1"
) -> None:
    """% relevant match and AU-ROC vs first-layer pool size, reproduced (filled) vs published (open).

    Only models with a published pool size (the models of Table 1, or of Table 2) are drawn.
    """
    rows = KOO_EDDY_TABLES[published][1]
    table = pd.read_csv(table_tsv, sep="\t")
    table = table[table["model"].isin(rows)]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    order = list(rows)
    for _, r in table.iterrows():
        name, pool, auc, auc_sd, _, _, rel, rel_sd = rows[r["model"]]
        # Models sharing a pool size are spread a little so their markers stay readable.
        x = pool * (1 + 0.05 * (order.index(r["model"]) % 5 - 2))
        for ax, ours, ours_sd, pub, pub_sd in (
            (ax1, r["relevant_match_mean"], r["relevant_match_std"], rel, rel_sd),
            (ax2, r["auroc_mean"], r["auroc_std"], auc, auc_sd),
        ):
            ax.errorbar(x, pub, yerr=pub_sd, fmt="o", mfc="none", color="#999999", ms=6, zorder=1)
            ax.errorbar(x, ours, yerr=ours_sd, fmt="o", color="#d73027", ms=5, zorder=2)
            ax.annotate(name, (x, ours), fontsize=6, xytext=(4, 2), textcoords="offset points")
    for ax, label in ((ax1, "fraction of filters matching a ground-truth motif"), (ax2, "test AU-ROC")):
        ax.set_xscale("log")
        ax.set_xticks([1, 2, 4, 10, 25, 50, 100])
        ax.set_xticklabels(["1", "2", "4", "10", "25", "50", "100"])
        ax.set_xlabel("first-layer max-pool size")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.set_xlim(0.8, 130)
    ax1.set_ylim(-0.05, 1.05)
    # The paper's pattern: pools <= 4 give partial motifs, pools >= 10 whole ones.
    ax1.fill_between([0.8, 4.6], -0.05, 0.2, color="#fee0d2", zorder=0)
    ax1.fill_between([8.5, 130], 0.85, 1.05, color="#e5f5e0", zorder=0)
    handles = [
        plt.Line2D([], [], marker="o", ls="", color="#d73027", label="this pipeline"),
        plt.Line2D([], [], marker="o", ls="", mfc="none", color="#999999", label="Koo & Eddy 2019"),
    ]
    ax1.legend(handles=handles, loc="center right", fontsize=8)
    fig.suptitle("Wide first-layer pools make first-layer filters learn whole motifs", fontsize=11)
    fig.tight_layout()
    _save(fig, out_png)


def gc_content(X: np.ndarray) -> np.ndarray:
    """GC fraction of each ``(N, L)`` code row over its non-N positions."""
    X = np.asarray(X)
    called = (X < 4).sum(axis=1)
    gc = ((X == 1) | (X == 2)).sum(axis=1)
    return np.divide(gc, called, out=np.zeros(len(X)), where=called > 0)


def plot_dataset(dataset_dir: str | os.PathLike, out_png: str | os.PathLike) -> None:
    """One figure per dataset: sequences per split, labels per task, GC of positives vs negatives.

    Binary targets show positives per task and split; continuous targets (activity) show each task's
    distribution. The GC panel compares sequences with any positive label to all-negative ones
    (binary), or shows the GC distribution (continuous).
    """
    from .datasets import SPLITS, load_meta, load_split

    meta = load_meta(dataset_dir)
    classes = [str(c) for c in meta.get("classes", [])]
    splits = [s for s in SPLITS if meta.get("splits", {}).get(s)]
    data = {s: load_split(dataset_dir, s, mmap=True) for s in splits}
    ys = np.concatenate([np.asarray(data[s][1]) for s in splits])
    binary = bool(np.isin(ys, (0, 1)).all())

    fig, axes = plt.subplots(1, 3, figsize=(14, 0.9 + 0.28 * max(len(classes), 8)))
    ax = axes[0]
    sizes = [len(data[s][0]) for s in splits]
    ax.bar(splits, sizes, color="#4575b4")
    for i, n in enumerate(sizes):
        ax.text(i, n, f"{n:,}", ha="center", va="bottom", fontsize=8)
    ax.set_title("sequences per split", fontsize=10)

    ax = axes[1]
    if binary:
        left = np.zeros(len(classes))
        for s, color in zip(splits, ("#4575b4", "#fdae61", "#d73027"), strict=False):
            counts = np.asarray(data[s][1]).sum(axis=0)
            ax.barh(classes, counts, left=left, color=color, label=s)
            left += counts
        ax.invert_yaxis()
        ax.legend(fontsize=8)
        ax.set_title("positives per task", fontsize=10)
    else:
        for t, name in enumerate(classes):
            ax.hist(ys[:, t], bins=40, histtype="step", label=name)
        ax.legend(fontsize=8)
        ax.set_title("target per task (all splits)", fontsize=10)
    ax.tick_params(labelsize=7)

    ax = axes[2]
    Xs = np.concatenate([np.asarray(data[s][0]) for s in splits])
    gc = gc_content(Xs)
    bins = np.linspace(0, 1, 41)
    if binary:
        pos = ys.any(axis=1)
        ax.hist(gc[pos], bins=bins, alpha=0.6, density=True, label=f"positives (mean {gc[pos].mean():.3f})")
        if (~pos).any():
            ax.hist(
                gc[~pos], bins=bins, alpha=0.6, density=True, label=f"negatives (mean {gc[~pos].mean():.3f})"
            )
        ax.legend(fontsize=8)
    else:
        ax.hist(gc, bins=bins, color="#7f7f7f")
    ax.set_title("GC content", fontsize=10)
    fig.suptitle(
        f"{Path(dataset_dir).parent.name}: {len(classes)} task(s), {meta.get('seq_len')} bp", fontsize=11
    )
    fig.tight_layout()
    _save(fig, out_png)


def _planted_spans(seq: str, instances: pd.DataFrame) -> list[tuple[int, int, str]]:
    """``(start, end, motif)`` of every planted instance (or its reverse complement) found in ``seq``."""
    comp = str.maketrans("ACGT", "TGCA")
    spans = []
    for motif, site in instances[["motif", "sequence"]].drop_duplicates().itertuples(index=False):
        for s in {site.upper(), site.upper().translate(comp)[::-1]}:
            start = seq.find(s)
            while start >= 0:
                spans.append((start, start + len(s), motif))
                start = seq.find(s, start + 1)
    return sorted(set(spans))


def plot_attributions(
    npz_path: str | os.PathLike,
    out_png: str | os.PathLike,
    instances_tsv: str | os.PathLike | None = None,
    n_examples: int = 2,
    span: int = 120,
) -> None:
    """Contribution logos of each task's top sequences, planted motif sites shaded (a toy genome).

    Parameters
    ----------
    npz_path
        An :func:`seqcnn.attribution.attribute_run` file.
    instances_tsv
        The toy's ``truth/instances.tsv`` (its ``sequence`` column is searched for in each sequence).
    n_examples
        Top sequences drawn per task.
    span
        Bases drawn, centred on the window of largest total contribution.
    """
    import logomaker

    with np.load(npz_path) as data:
        arrays = {k: data[k] for k in data.files}
    tasks = [k.split(":", 1)[1] for k in arrays if k.startswith("X:")]
    method = next((m for m in ("deep_lift_shap", "saliency", "ism") if f"{m}:{tasks[0]}" in arrays), None)
    instances = pd.read_csv(instances_tsv, sep="\t") if instances_tsv else None
    rows = [(t, i) for t in tasks for i in range(min(n_examples, len(arrays[f"X:{t}"])))]
    fig, axes = plt.subplots(len(rows), 1, figsize=(12, 1.6 * len(rows)), squeeze=False)
    for ax, (task, i) in zip(axes[:, 0], rows, strict=True):
        X = arrays[f"X:{task}"][i].astype(np.float64)
        attr = arrays[f"{method}:{task}"][i]
        contrib = attr * X if method != "ism" else -attr.mean(axis=0, keepdims=True) * X
        total = contrib.sum(axis=0)
        width = min(span, len(total))
        best = int(np.argmax(np.convolve(total, np.ones(width), mode="valid")))
        lo, hi = best, best + width
        df = pd.DataFrame(contrib[:, lo:hi].T, columns=list("ACGT"))
        logomaker.Logo(df, ax=ax, color_scheme="classic", show_spines=False)
        seq = "".join("ACGT"[j] for j in X.argmax(axis=0))
        if instances is not None:
            for start, end, motif in _planted_spans(seq, instances):
                if end > lo and start < hi:
                    ax.axvspan(max(start, lo) - lo - 0.5, min(end, hi) - lo - 0.5, color="gold", alpha=0.3)
                    ax.text(max(start, lo) - lo, ax.get_ylim()[1], motif, fontsize=7, va="top")
        ax.set_xticks([])
        ax.set_xlabel(f"bp {lo}-{hi}", fontsize=6, loc="right")
        ax.set_ylabel(f"{task}\n#{i + 1}", fontsize=7)
    deltas = [np.abs(arrays[k]).max() for k in arrays if k.startswith("deltas:")]
    converged = f"; DeepLIFT-SHAP max |convergence delta| {max(deltas):.1e}" if deltas else ""
    fig.suptitle(
        f"{method} contributions of each task's top test positives ({span}-bp window of largest "
        f"contribution; planted sites shaded){converged}",
        fontsize=9,
    )
    fig.tight_layout()
    _save(fig, out_png)


def _information_logo(pwm: np.ndarray, ax) -> None:
    """A ``(4, W)`` PWM drawn as an information-content logo on ``ax`` (0-2 bits)."""
    import logomaker

    logomaker.Logo(
        pd.DataFrame(information_matrix(pwm), columns=list("ACGT")),
        ax=ax,
        color_scheme="classic",
        show_spines=False,
    )
    ax.set_ylim(0, 2)


def plot_discovered_motifs(
    table: pd.DataFrame,
    memes: list[str | os.PathLike],
    jaspar_meme: str | os.PathLike,
    out_png: str | os.PathLike,
    max_rows: int = 24,
) -> None:
    """Each discovered pattern's logo beside its best JASPAR match's (reverse-complemented when Tomtom
    matched the other strand)."""

    from .motifs import read_meme

    patterns: dict[tuple[str, str], np.ndarray] = {}
    for model, path in zip(table["model"].drop_duplicates(), memes, strict=False):
        for name, _, pwm in read_meme(path):
            patterns[(model, name)] = pwm
    jaspar = {motif_id: (alt, pwm) for motif_id, alt, pwm in read_meme(jaspar_meme)}
    shown = table[table["pattern"].astype(str) != ""].head(max_rows)
    n = max(len(shown), 1)
    fig, axes = plt.subplots(n, 2, figsize=(8, 1.3 * n), squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for (ax_p, ax_j), row in zip(axes, shown.itertuples(index=False), strict=False):
        pwm = patterns.get((row.model, row.pattern))
        if pwm is not None:
            _information_logo(pwm, ax_p)
        ax_p.set_title(f"{row.model} {row.pattern} ({row.seqlets} seqlets)", fontsize=7, loc="left")
        if isinstance(row.best_match, str) and row.best_match in jaspar:
            alt, target = jaspar[row.best_match]
            if getattr(row, "best_orientation", "+") == "-":
                target = target[::-1, ::-1]
            _information_logo(target, ax_j)
            planted = f", planted {row.planted}" if isinstance(row.planted, str) and row.planted else ""
            ax_j.set_title(
                f"{alt} {row.best_match} E={float(row.best_evalue):.1e}{planted}",
                fontsize=7,
                loc="left",
                color=COLORS["relevant" if planted else "jaspar"],
            )
        else:
            ax_j.set_title("no JASPAR match", fontsize=7, loc="left", color=COLORS["none"])
    fig.suptitle("TF-MoDISco patterns (left) and their best JASPAR match (right)", fontsize=9)
    fig.tight_layout()
    _save(fig, out_png)


def plot_gradcam(
    maps_npz: str | os.PathLike,
    refined_bed: str | os.PathLike,
    out_png: str | os.PathLike,
    truth: str | os.PathLike | list | None = None,
    examples: int = 4,
) -> None:
    """Grad-CAM per bin over the ``examples`` highest-probability predicted windows.

    Parameters
    ----------
    maps_npz
        ``maps.npz`` of :func:`seqcnn.gradcam.call_run_core_enhancers`.
    refined_bed
        The refined core enhancers (drawn as orange bars under the map).
    out_png
        Output figure.
    truth
        A toy genome's ``truth.json`` (or a list holding one, or None): its planted STARR-seq elements
        are drawn as grey boxes.
    examples
        Windows drawn, one panel each.
    """
    from .gradcam import read_planted_elements

    maps = np.load(maps_npz)
    refined = pd.read_csv(refined_bed, sep="\t", header=None, names=["chrom", "start", "end", "score"])
    truth = [truth] if isinstance(truth, str | os.PathLike) else list(truth or [])
    elements = read_planted_elements(truth[0]) if truth else None
    predicted = np.flatnonzero(maps["predicted"])
    chosen = predicted[np.argsort(-maps["p"][predicted], kind="stable")][:examples]
    n = max(len(chosen), 1)
    fig, axes = plt.subplots(n, 1, figsize=(8, 1.7 * n + 0.6), squeeze=False)
    threshold = float(maps["cam_threshold"])
    for ax, i in zip(axes[:, 0], chosen, strict=False):
        chrom, start, end = str(maps["chrom"][i]), int(maps["start"][i]), int(maps["end"][i])
        cam = maps["cam"][i]
        edges = np.linspace(start, end, len(cam) + 1)
        top = max(float(cam.max()), threshold) * 1.15 or 1.0
        if elements is not None:
            near = elements[
                (elements["chrom"] == chrom) & (elements["end"] > start) & (elements["start"] < end)
            ]
            for e in near.itertuples(index=False):
                ax.axvspan(max(e.start, start), min(e.end, end), color="#d9d9d9", zorder=0)
        ax.stairs(cam, edges, color="#4575b4", lw=1.4, label="Grad-CAM")
        ax.axhline(threshold, color="#7f7f7f", ls="--", lw=0.8, label="threshold (global mean)")
        on = refined[(refined["chrom"] == chrom) & (refined["end"] > start) & (refined["start"] < end)]
        for r in on.itertuples(index=False):
            ax.plot([max(r.start, start), min(r.end, end)], [-0.06 * top] * 2, color="#f46d43", lw=4)
        ax.set_xlim(start, end)
        ax.set_ylim(-0.12 * top, top)
        ax.set_title(f"{chrom}:{start:,}-{end:,}  p = {float(maps['p'][i]):.3f}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_ylabel("Grad-CAM", fontsize=8)
    handles = [
        plt.Line2D([], [], color="#4575b4", lw=1.4, label="Grad-CAM"),
        plt.Line2D([], [], color="#7f7f7f", ls="--", lw=0.8, label="threshold (global mean)"),
        plt.Line2D([], [], color="#f46d43", lw=4, label="refined core enhancer"),
    ]
    if elements is not None:
        handles.append(plt.Rectangle((0, 0), 1, 1, color="#d9d9d9", label="planted STARR element"))
    axes[0, 0].legend(handles=handles, fontsize=7, loc="upper right", ncol=2)
    axes[-1, 0].set_xlabel("position (bp)", fontsize=8)
    run = Path(maps_npz).parents
    fig.suptitle(f"{run[2].name} {run[1].name}: Grad-CAM and refined core enhancers", fontsize=10)
    fig.tight_layout()
    _save(fig, out_png)


def plot_cooperativity(
    curves_path: str | os.PathLike,
    out_png: str | os.PathLike,
    truth_path: str | os.PathLike | None = None,
    title: str = "",
) -> None:
    """Cooperativity against motif 2's signed gap to motif 1, one panel per (task, motif pair).

    Solid lines are the additive null and dashed ones the multiplicative null, one colour per
    orientation; the line at 1 is no interaction. With a toy's ``truth.json``, the planted cooperative
    gap range is shaded on both sides for the planted pairs.

    Parameters
    ----------
    curves_path
        ``curves.tsv`` of :func:`seqcnn.cooperativity.measure_cooperativity`.
    out_png
        Output figure.
    truth_path
        A toy genome's ``truth.json`` (None: nothing shaded).
    """
    from .cooperativity import planted_rule

    curves = pd.read_csv(curves_path, sep="\t")
    rule = planted_rule(truth_path)
    keys = ["task", "motif1", "motif2"]
    panels = list(curves.groupby(keys, sort=False).groups)
    tasks = list(dict.fromkeys(k[0] for k in panels))
    ncols = max(sum(k[0] == t for k in panels) for t in tasks)
    fig, axes = plt.subplots(
        len(tasks), ncols, figsize=(3.2 * ncols, 2.6 * len(tasks)), squeeze=False, sharex=True
    )
    for ax in axes.flat:
        ax.set_visible(False)
    colors = dict(zip(["++", "+-", "-+", "--"], ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"], strict=True))
    column = dict.fromkeys(tasks, 0)
    for task, motif1, motif2 in panels:
        ax = axes[tasks.index(task), column[task]]
        column[task] += 1
        ax.set_visible(True)
        panel = curves[(curves["task"] == task) & (curves["motif1"] == motif1) & (curves["motif2"] == motif2)]
        planted = (
            rule is not None and motif1 != motif2 and {motif1, motif2} == set(rule["pairs"].get(task, []))
        )
        if planted:
            lo, hi = rule["pair_gap"]
            for a, b in ((lo, hi), (-hi, -lo)):
                ax.axvspan(a, b, color="#fdae61", alpha=0.35, lw=0)
        for orientation, line in panel.groupby("orientation", sort=False):
            line = line.sort_values("offset")
            color = colors[orientation]
            ax.plot(line["offset"], line["coop_additive"], color=color, lw=1, label=f"{orientation} additive")
            ax.plot(line["offset"], line["coop_multiplicative"], color=color, lw=0.8, ls="--")
        ax.axhline(1, color="k", lw=0.7)
        ax.set_title(f"{task}: {motif1} + {motif2}" + (" (planted)" if planted else ""), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("gap of motif 2 (bp; < 0 upstream)", fontsize=8)
        ax.set_ylabel("cooperativity", fontsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        [f"{label} (dashed: multiplicative)" for label in labels],
        loc="lower center",
        ncol=len(labels),
        fontsize=7,
        frameon=False,
    )
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    _save(fig, out_png)
