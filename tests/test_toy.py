"""The toy genome with known truth (seqcnn.toy).

One default build (module fixture) is checked against its own truth tables through the files only: the
FASTA read back with pyfaidx, narrowPeak files with seqcnn.genome.read_bed, bigWigs with pyBigWig, and motif
instances rescored against the JASPAR matrices. Two more builds check determinism.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pyfaidx
import pytest

from seqcnn.errors import InputError
from seqcnn.genome import read_bed, read_blacklist, read_chrom_sizes
from seqcnn.jaspar import fetch_motifs
from seqcnn.toy import ToyGenome, ToySettings, build_toy_genome, resolve_settings

NARROWPEAK = ["name", "score", "strand", "signalValue", "pValue", "qValue", "peak"]
COMPLEMENT = str.maketrans("ACGTN", "TGCAN")
SEED = 1


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> ToyGenome:
    return build_toy_genome(tmp_path_factory.mktemp("toy") / "a", seed=SEED)


@pytest.fixture(scope="module")
def truth(toy) -> dict:
    return json.loads(toy.truth.read_text())


@pytest.fixture(scope="module")
def elements(toy) -> pd.DataFrame:
    return pd.read_csv(toy.elements, sep="\t", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def instances(toy) -> pd.DataFrame:
    return pd.read_csv(toy.instances, sep="\t")


@pytest.fixture(scope="module")
def samples(toy) -> pd.DataFrame:
    return pd.read_csv(toy.samples, sep="\t")


def _peaks(toy: ToyGenome, experiment: str) -> pd.DataFrame:
    frame = read_bed(toy.peaks[experiment], min_fields=10, columns=NARROWPEAK)
    for column in ("signalValue", "pValue", "qValue"):
        frame[column] = frame[column].astype(float)
    frame["peak"] = frame["peak"].astype(int)
    frame["element"] = frame["name"].str.split(".").str[1]
    return frame


def _window_means(bw, chroms, starts, ends) -> np.ndarray:
    """Exact mean signal per window, clipped to the chromosome (elements sit near both ends).

    Exact, because pyBigWig's default zoom-level summaries can be off by a third.
    """
    sizes = bw.chroms()
    means = []
    for c, a, b in zip(chroms, starts, ends, strict=True):
        a, b = max(int(a), 0), min(int(b), sizes[c])
        means.append(bw.stats(c, a, b, type="mean", exact=True)[0] or 0.0)
    return np.array(means)


def _background_windows(toy: ToyGenome, elements: pd.DataFrame, truth: dict, half: int, away: int, n: int):
    """``n`` windows of ``2 * half`` bp centred at least ``away`` bp from every element, off N runs and the
    blacklist, on the chromosomes that carry elements."""
    rng = np.random.default_rng(0)
    blocked = truth["genome"]["n_runs"] + truth["blacklist"]
    chroms, starts, ends = [], [], []
    for chrom in pd.unique(elements["chrom"]):
        centres = np.sort(elements.loc[elements["chrom"] == chrom, "centre"].to_numpy())
        x = rng.integers(away, toy.sizes[chrom] - away, 20_000)
        idx = np.searchsorted(centres, x)
        left = np.abs(x - centres[np.maximum(idx - 1, 0)])
        right = np.abs(centres[np.minimum(idx, centres.size - 1)] - x)
        keep = np.minimum(left, right) >= away
        for r in blocked:
            if r["chrom"] == chrom:
                keep &= (x + half <= r["start"]) | (x - half >= r["end"])
        x = x[keep][: n // 3 + 1]
        chroms += [chrom] * x.size
        starts += list(x - half)
        ends += list(x + half)
    assert len(chroms) >= n // 2
    return chroms, starts, ends


def _relative_score(seq: str, probs: np.ndarray) -> float:
    log_odds = np.log2((probs + 0.01) / 1.04 / 0.25)
    idx = np.array(["ACGT".index(b) for b in seq])
    score = log_odds[idx, np.arange(len(seq))].sum()
    low, high = log_odds.min(axis=0).sum(), log_odds.max(axis=0).sum()
    return (score - low) / (high - low)


# ----------------------------------------------------------------------------------------------------
# Determinism and settings
# ----------------------------------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes_and_another_seed_differs(toy, tmp_path):
    first = _tree(toy.out_dir)
    again = build_toy_genome(tmp_path / "b", seed=SEED)
    second = _tree(again.out_dir)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    assert sorted(first) == sorted(p.relative_to(toy.out_dir).as_posix() for p in toy.files())
    assert not [name for name in first if name.endswith(".tmp")]

    # path_prefix makes the sheets' paths resolve from the workflow directory instead of their own.
    other_genome = build_toy_genome(tmp_path / "c", seed=SEED + 1, path_prefix="resources/toy/")
    other = _tree(other_genome.out_dir)
    for sheet in (other_genome.samples, other_genome.tracks):
        assert (
            pd.read_csv(sheet, sep="\t")["path"]
            .str.startswith(("resources/toy/peaks/", "resources/toy/tracks/"))
            .all()
        )
    for name in (
        "genome.fa",
        "truth.json",
        "truth/instances.tsv",
        "peaks/CTCF_cellA.narrowPeak",
        "tracks/ATAC_cellA.bw",
    ):
        assert other[name] != first[name], name
    assert other["genome.chrom.sizes"] == first["genome.chrom.sizes"]


def test_settings_are_validated():
    with pytest.raises(InputError, match=r"config key chip_peak"):
        resolve_settings(chip_peak=10)
    with pytest.raises(InputError, match=r"config key pair_gap"):
        ToySettings(pair_gap=(30, 10))
    with pytest.raises(InputError, match=r"config key outside_gaps"):
        ToySettings(outside_gaps=((20, 50),))
    # Lists from a YAML config become tuples, so settings compare and serialise the same either way.
    assert resolve_settings(pair_gap=[10, 30]) == ToySettings()
    assert ToySettings(chrom_sizes={"chr1": 1_100_000, "chr2": 850_000, "chr3": 700_000}) == ToySettings()


def test_truth_records_seed_settings_and_rule(toy, truth):
    assert truth["seed"] == SEED
    assert truth["settings"]["pair_gap"] == [10, 30]
    rule = truth["starr"]["rule"]
    assert (rule["single_effect"], rule["pair_boost"], rule["pair_gap"]) == (0.4, 2.0, [10, 30])
    assert truth["files"]["peaks"] == {e: p.relative_to(toy.out_dir).as_posix() for e, p in toy.peaks.items()}
    assert truth["motifs"]["CTCF"]["matrix_id"] == "MA0139.1"
    for name, count in truth["counts"]["peaks"].items():
        assert len(_peaks(toy, name)) == count


# ----------------------------------------------------------------------------------------------------
# Sequence
# ----------------------------------------------------------------------------------------------------


def test_fasta_is_indexed_sized_soft_masked_and_has_n_runs(toy, truth, tmp_path):
    # The .fai written by the build is what pyfaidx itself computes.
    fresh = tmp_path / "fresh.fai"
    pyfaidx.Faidx(str(toy.fasta), indexname=str(fresh)).close()
    assert fresh.read_bytes() == toy.fai.read_bytes()
    assert read_chrom_sizes(toy.chrom_sizes) == toy.sizes

    fasta = pyfaidx.Fasta(str(toy.fasta))
    lengths = {name: len(fasta[name]) for name in fasta.keys()}
    assert lengths == toy.sizes
    assert 1_000_000 <= sum(lengths.values()) <= 3_000_000
    assert truth["genome"]["peak_free_contig"] in lengths
    text = "".join(str(fasta[name][:]) for name in fasta.keys())
    lower = sum(b.islower() for b in text) / len(text)
    assert 0.05 < lower < 0.3
    runs = [m.end() - m.start() for m in re.finditer("N+", text)]
    assert len(runs) >= len(lengths) and min(runs) >= 500
    assert "n" not in text  # gaps are upper case, as in assemblies
    upper = text.upper()
    acgt = sum(upper.count(b) for b in "ACGT")
    gc = (upper.count("G") + upper.count("C")) / acgt
    assert 0.36 < gc < 0.45
    # Not uniform: CpG is depleted, and GC varies between 20-kb blocks more than sampling noise allows.
    cpg = upper.count("CG") / (acgt * (gc / 2) ** 2)
    assert cpg < 0.5
    blocks = [upper[i : i + 20_000] for i in range(0, 1_000_000, 20_000)]
    block_gc = [(b.count("G") + b.count("C")) / max(sum(b.count(x) for x in "ACGT"), 1) for b in blocks]
    assert np.std(block_gc) > 0.01
    fasta.close()


def test_every_planted_instance_is_in_the_fasta_and_matches_its_pwm(toy, instances, truth):
    probs = {m.matrix_id: m.probs for m in fetch_motifs("JASPAR2016")}
    fasta = pyfaidx.Fasta(str(toy.fasta))
    seqs = {name: str(fasta[name][:]).upper() for name in fasta.keys()}
    fasta.close()
    scores, wrong_strand = [], []
    for row in instances.itertuples():
        site = seqs[row.chrom][row.start : row.end]
        read = site if row.strand == "+" else site.translate(COMPLEMENT)[::-1]
        assert read == row.sequence, row.instance
        scores.append(_relative_score(read, probs[row.matrix_id]))
        other = site.translate(COMPLEMENT)[::-1] if row.strand == "+" else site
        wrong_strand.append(_relative_score(other, probs[row.matrix_id]))
    scores = np.array(scores)
    assert scores.min() >= 0.8
    assert np.mean(np.array(wrong_strand) < 0.8) > 0.5  # the strand matters
    # The threshold is meaningful: random background positions rarely reach it.
    ctcf = probs["MA0139.1"]
    rng = np.random.default_rng(0)
    starts = rng.integers(0, len(seqs["chr1"]) - 19, 5000)
    background = [seqs["chr1"][s : s + 19] for s in starts]
    background = [_relative_score(s, ctcf) for s in background if "N" not in s]
    assert np.mean(np.array(background) >= 0.8) < 0.01
    assert set(instances["matrix_id"]) == {m["matrix_id"] for m in truth["motifs"].values()}


# ----------------------------------------------------------------------------------------------------
# Peaks
# ----------------------------------------------------------------------------------------------------


def test_narrowpeaks_parse_with_summits_inside_and_contig_absent(toy, samples, truth):
    assert list(samples.columns) == ["experiment", "assay", "cell_type", "path"]
    contig = truth["genome"]["peak_free_contig"]
    for row in samples.itertuples():
        path = toy.samples.parent / row.path
        assert path.is_file()
        frame = read_bed(path, min_fields=10, columns=NARROWPEAK)
        assert len(frame) > 50, row.experiment
        peak = frame["peak"].astype(int)
        assert ((peak >= 0) & (peak < frame["end"] - frame["start"])).all(), row.experiment
        assert contig not in set(frame["chrom"]), row.experiment
        assert (frame["end"] <= frame["chrom"].map(toy.sizes)).all()
        assert set(frame["strand"]) == {"."}
        assert frame["score"].astype(int).between(0, 1000).all()
        assert (frame["pValue"].astype(float) >= frame["qValue"].astype(float)).all()
    assert {"TF ChIP-seq", "ATAC-seq", "Histone ChIP-seq", "STARR-seq"} <= set(samples["assay"])


def test_chip_summits_sit_on_planted_sites_with_shared_noise_and_end_peaks(toy, truth, instances, elements):
    kinds = elements.set_index("element")["kind"]
    summits = instances[instances["role"] == "summit"]
    summit_at = {(r.experiment, r.element): r.start + (r.end - r.start) // 2 for r in summits.itertuples()}
    seen: dict[str, set[str]] = {}
    near_end = 0
    for experiment, info in truth["chip"].items():
        frame = _peaks(toy, experiment)
        motif_peaks = frame[frame["element"].map(kinds) == "chip"]
        assert len(motif_peaks) == truth["settings"]["chip_peaks"]
        for row in motif_peaks.itertuples():
            assert row.start + row.peak == summit_at[(experiment, row.element)]
            seen.setdefault(row.element, set()).add(experiment)
        # Weak peaks without a motif: lower signal than the motif peaks.
        noise = frame[frame["element"].map(kinds) == "chip_noise"]
        assert len(noise) == truth["settings"]["noise_peaks"]
        assert noise["signalValue"].median() < 0.5 * motif_peaks["signalValue"].median()
        assert not instances["element"].isin(noise["element"]).any()
        summit = frame["start"] + frame["peak"]
        size = frame["chrom"].map(toy.sizes)
        near_end += int(((summit < 300) | (size - summit < 300)).sum())
        assert info["matrix_id"] in set(instances.loc[instances["experiment"] == experiment, "matrix_id"])
    assert sum(len(v) > 1 for v in seen.values()) >= 20  # shared peaks
    assert near_end >= 2 * (len(toy.sizes) - 1)  # both ends of every chromosome but the contig


def test_starr_peaks_have_q_values_on_both_sides_of_the_cut(toy, truth):
    for task in truth["starr"]["tasks"].values():
        q = 10 ** -_peaks(toy, Path(task["peaks"]).stem)["qValue"]
        assert (q < 0.05).sum() >= 30 and (q >= 0.05).sum() >= 30


def test_starr_peaks_overlap_accessibility_peaks_only_sometimes(toy, truth):
    cell = truth["starr"]["cell_type"]
    atac = _peaks(toy, f"ATAC_{cell}")
    for task in truth["starr"]["tasks"].values():
        starr = _peaks(toy, Path(task["peaks"]).stem)
        hit = [
            bool(((atac["chrom"] == r.chrom) & (atac["start"] < r.end) & (atac["end"] > r.start)).any())
            for r in starr.itertuples()
        ]
        assert 0.3 < np.mean(hit) < 0.9


# ----------------------------------------------------------------------------------------------------
# Tracks
# ----------------------------------------------------------------------------------------------------


def test_bigwigs_cover_the_genome_and_peak_at_planted_elements(toy, truth, elements):
    tracks = pd.read_csv(toy.tracks, sep="\t", keep_default_na=False)
    assert set(tracks["track"]) == set(toy.bigwigs)
    main = elements[elements["kind"] != "artefact"]
    # (track, element column, half window, clearance): histone flanks reach about 550 bp from the centre.
    cases = [("ATAC_cellA", "height_ATAC_cellA", 100, 500), ("ATAC_cellB", "height_ATAC_cellB", 100, 500)]
    cases += [("H3K27ac_cellA", "height_H3K27ac_cellA", 300, 900)]
    cases += [("H3K4me1_cellB", "height_H3K4me1_cellB", 300, 900)]
    for track, column, half, away in cases:
        bw = pyBigWig.open(str(toy.tracks.parent / tracks.set_index("track").loc[track, "path"]))
        assert bw.chroms() == toy.sizes
        on = main[main[column] > 0]
        at = _window_means(bw, on["chrom"], on["centre"] - half, on["centre"] + half)
        chroms, starts, ends = _background_windows(toy, main, truth, half, away, 500)
        off = _window_means(bw, chroms, starts, ends)
        bw.close()
        assert at.mean() > 3 * off.mean(), track
        assert off.mean() > 0  # low background noise, not silence


def test_starr_ratio_follows_the_planted_cooperativity_rule(toy, truth, elements, instances):
    starr = elements[elements["kind"] == "starr"]
    pairs = pd.read_csv(toy.pairs, sep="\t", keep_default_na=False)
    lo, hi = truth["starr"]["rule"]["pair_gap"]
    # Gaps recomputed from instance coordinates agree with the pair table.
    ends = instances.set_index("instance")
    up_end = np.minimum(
        ends.loc[pairs["instance_a"], "end"].to_numpy(), ends.loc[pairs["instance_b"], "end"].to_numpy()
    )
    down_start = np.maximum(
        ends.loc[pairs["instance_a"], "start"].to_numpy(), ends.loc[pairs["instance_b"], "start"].to_numpy()
    )
    assert (down_start - up_end == pairs["gap"].to_numpy()).all()
    for task, info in truth["starr"]["tasks"].items():
        rna = pyBigWig.open(str(toy.out_dir / info["rna"]))
        inp = pyBigWig.open(str(toy.out_dir / info["input"]))
        measured = np.log2(
            (_window_means(rna, starr["chrom"], starr["start"], starr["end"]) + 1)
            / (_window_means(inp, starr["chrom"], starr["start"], starr["end"]) + 1)
        )
        rna.close()
        inp.close()
        planted = starr[f"activity_{task}"].to_numpy()
        assert np.corrcoef(planted, measured)[0, 1] > 0.7, task
        by_element = pd.Series(measured, index=starr["element"].to_numpy())
        own = pairs[(pairs["task"] == task) & pairs["heterotypic"]]
        close = by_element[own.loc[own["gap"].between(lo, hi), "element"]]
        far = by_element[own.loc[~own["gap"].between(lo, hi), "element"]]
        single_elements = starr.loc[
            (starr["starr_class"] == "single") & starr["motifs"].isin(info["motifs"]), "element"
        ]
        single = by_element[single_elements]
        homotypic = by_element[pairs.loc[(pairs["task"] == task) & ~pairs["heterotypic"], "element"]]
        assert min(len(close), len(far), len(single), len(homotypic)) >= 10, task
        assert close.mean() > far.mean() + 1.0, task
        assert close.mean() > single.mean() + 1.0, task
        assert close.mean() > homotypic.mean() + 1.0, task  # the boost needs two different motifs
        assert own["cooperative"].sum() == len(close)


def test_cell_type_specific_binding_follows_accessibility_not_sequence(toy, truth, elements, instances):
    spec = truth["cell_type_specific"]
    bw = pyBigWig.open(str(toy.bigwigs[spec["accessibility_track"]]))
    bound = elements[elements["kind"] == "ct_bound"]
    unbound = elements[elements["kind"] == "ct_unbound"]
    at_bound = _window_means(bw, bound["chrom"], bound["centre"] - 100, bound["centre"] + 100)
    at_unbound = _window_means(bw, unbound["chrom"], unbound["centre"] - 100, unbound["centre"] + 100)
    bw.close()
    assert at_bound.mean() > 5 * at_unbound.mean()
    auc = (at_bound[:, None] > at_unbound[None, :]).mean()
    assert auc > 0.95
    # The peaks are exactly the bound elements...
    peaks = _peaks(toy, spec["experiment"])
    assert set(peaks["element"]) - set(elements.loc[elements["kind"] == "artefact", "element"]) == set(
        bound["element"]
    )
    # ...and the sequence does not tell them apart: same motif, same score distribution, same site count.
    sites = instances[instances["motif"] == spec["motif"]]
    scores_bound = sites.loc[sites["element"].isin(bound["element"]), "rel_score"]
    scores_unbound = sites.loc[sites["element"].isin(unbound["element"]), "rel_score"]
    assert abs(scores_bound.mean() - scores_unbound.mean()) < 0.02
    assert abs(bound["n_sites"].mean() - unbound["n_sites"].mean()) < 0.2


def test_the_cell_type_specific_tf_in_another_cell_type_binds_where_that_cell_type_is_open(
    toy, truth, elements, tmp_path
):
    spec = truth["cell_type_specific"]
    other = spec["also_in"]["cellB"]
    artefacts = set(elements.loc[elements["kind"] == "artefact", "element"])
    bound_a = set(_peaks(toy, spec["experiment"])["element"]) - artefacts
    bound_b = set(_peaks(toy, other["experiment"])["element"]) - artefacts
    # The same motif elements: bound in B exactly where B's accessibility has a peak, never where A's has.
    ct = elements[elements["kind"].isin(["ct_bound", "ct_unbound"])]
    open_b = set(ct["element"]) & set(_peaks(toy, other["accessibility_track"])["element"])
    assert bound_b == open_b and len(bound_b) == other["bound"]
    unbound_a = ct.loc[ct["kind"] == "ct_unbound", "element"]
    assert 0.35 * len(unbound_a) < len(bound_b) < 0.65 * len(unbound_a)  # ct_unbound_open_elsewhere 0.5
    assert not bound_a & bound_b and bound_b <= set(ct.loc[ct["kind"] == "ct_unbound", "element"])
    # Its summits sit on the planted motif, and the sample sheet lists it beside cell A's experiment.
    sheet = pd.read_csv(toy.samples, sep="\t")
    assert sheet.loc[sheet["experiment"] == other["experiment"], "cell_type"].item() == "cellB"
    # Profiling the TF in B leaves every other file of the build unchanged.
    alone = build_toy_genome(tmp_path / "alone", seed=SEED, ct_also_in=[])
    assert alone.fasta.read_bytes() == toy.fasta.read_bytes()
    for experiment, path in alone.peaks.items():
        assert path.read_bytes() == toy.peaks[experiment].read_bytes(), experiment
    assert set(toy.peaks) - set(alone.peaks) == {other["experiment"]}


def test_blacklist_covers_planted_elements_and_artefacts(toy, truth, instances, elements):
    blacklist = read_blacklist(toy.blacklist, toy.chrom_sizes)
    hit = blacklist.overlaps_any(instances["chrom"], instances["start"], instances["end"])
    assert hit.sum() >= 3
    assert instances.loc[hit, "experiment"].str.startswith("STARR").any()
    flagged = elements.loc[elements["blacklisted"], "element"]
    assert len(flagged) == truth["counts"]["blacklisted_elements"] > 0
    covered = elements.loc[
        blacklist.overlaps_any(elements["chrom"], elements["start"], elements["end"]), "element"
    ]
    assert set(flagged) <= set(covered)
    # Artefact peaks appear in every ChIP experiment, all inside the blacklist; end peaks stay outside.
    for experiment in truth["chip"]:
        frame = _peaks(toy, experiment)
        inside = blacklist.overlaps_any(frame["chrom"], frame["start"], frame["end"])
        assert inside.sum() >= truth["settings"]["artefacts"]
    near = elements[elements["near_end"]]
    assert len(near) == 2 * (len(toy.sizes) - 1)
    assert not blacklist.overlaps_any(near["chrom"], near["start"], near["end"]).any()
