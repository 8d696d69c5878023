"""The motif-distance experiment on models whose interaction is known (seqcnn.cooperativity)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch import nn

from seqcnn import cooperativity as coop
from seqcnn.config import check_config
from seqcnn.errors import InputError
from seqcnn.sequence import one_hot

L = 249
AP1, CEBP = "TGTGACTCATT", "ATTGCACAATA"
ETS, NRF1 = "ACCGGAAGTG", "GCGCCTGCGCA"
MOTIFS = [
    {"name": "AP1", "sequence": AP1, "task": "dev"},
    {"name": "CEBP", "sequence": CEBP, "task": "dev"},
    {"name": "ETS", "sequence": ETS, "task": "hk"},
    {"name": "NRF1", "sequence": NRF1, "task": "hk"},
]


def _hits(X: torch.Tensor, seq: str) -> torch.Tensor:
    """``(N, L - W + 1)`` exact matches of ``seq`` or its reverse complement."""
    found = []
    for s in {seq, coop.reverse_complement(seq)}:
        w = one_hot(torch.tensor([["ACGT".index(b) for b in s]]))
        found.append(nn.functional.conv1d(X, w.float()).squeeze(1) >= len(s) - 0.5)
    return torch.stack(found).any(0)


class PairRule(nn.Module):
    """Each task: ``single`` per motif instance plus ``boost(gap)`` once when its two motifs are both
    present (orientation-free), the toy genome's rule with a chosen distance dependence."""

    def __init__(self, rules, single=0.4):
        super().__init__()
        self.rules, self.single = rules, single
        self.dummy = nn.Parameter(torch.zeros(1))  # so that .to(device) has something to move

    def forward(self, X):
        outs = []
        for a, b, boost in self.rules:
            ha, hb = _hits(X, a), _hits(X, b)
            count = ha.sum(1) + hb.sum(1)
            pa, pb = ha.float().argmax(1), hb.float().argmax(1)
            up_width = torch.where(pa < pb, len(a), len(b))
            gap = (pa - pb).abs() - up_width
            both = ha.any(1) & hb.any(1)
            outs.append(self.single * count + torch.where(both, boost(gap.float()), 0.0))
        return torch.stack(outs, 1) + self.dummy * 0


def window_boost(gap):
    return torch.where((gap >= 10) & (gap <= 30), 2.0, 0.0)


def decaying_boost(gap):
    return 2.0 * torch.exp(-gap / 50)


def constant_boost(gap):
    return torch.full_like(gap, 1.0)


def random_backbones(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return one_hot(torch.as_tensor(rng.integers(0, 4, (n, L)))).float()


@pytest.fixture(scope="module")
def curves():
    model = PairRule([(AP1, CEBP, window_boost), (ETS, NRF1, constant_boost)])
    return coop.measure_pairs(model, random_backbones(), MOTIFS, ["dev", "hk"], orientations=["++", "+-"])


def test_placements_skip_overlaps_and_stay_in_the_window():
    places = coop.placements(L, 11, 10, 125)
    start1 = (L - 11) // 2
    assert (places["start1"] == start1).all()
    up = places[places["side"] == "upstream"]
    down = places[places["side"] == "downstream"]
    # The gap is the toy's: end of the upstream motif to start of the downstream one, never negative.
    assert (start1 - (up["start2"] + 10) == up["gap"]).all()
    assert (down["start2"] - (start1 + 11) == down["gap"]).all()
    assert places["gap"].min() == 0
    assert (places["start2"] >= 0).all() and (places["start2"] + 10 <= L).all()
    assert up["gap"].max() == start1 - 10 and down["gap"].max() == L - 10 - start1 - 11
    assert (places["offset"] == np.where(places["side"] == "upstream", -1, 1) * places["gap"]).all()


def test_hand_made_rule_gives_its_curve(curves):
    pair = curves[(curves["motif1"] == "AP1") & (curves["motif2"] == "CEBP")]
    inside = pair["gap"].between(10, 30)
    # Multiplicative null: exactly 2^boost where boosted, 1 elsewhere, on both sides and both strands.
    assert np.allclose(pair.loc[inside, "coop_multiplicative"], 4.0)
    assert np.allclose(pair.loc[~inside, "coop_multiplicative"], 1.0)
    # Additive null: 2^(0.8 + 2) / (2 * 2^0.4 - 1) inside; 2^0.8 / (2 * 2^0.4 - 1) outside.
    assert np.allclose(pair.loc[inside, "coop_additive"], 2**2.8 / (2 * 2**0.4 - 1))
    assert np.allclose(pair.loc[~inside, "coop_additive"], 2**0.8 / (2 * 2**0.4 - 1))
    assert set(pair["side"]) == {"upstream", "downstream"} and set(pair["orientation"]) == {"++", "+-"}
    # Homotypic pairs get no boost; NRF1 next to itself (gap 1) makes a third site at the junction.
    homotypic = curves[(curves["motif1"] == curves["motif2"]) & (curves["gap"] >= 2)]
    assert len(homotypic) and np.allclose(homotypic["coop_multiplicative"], 1.0)
    # hk's motifs cooperate at every gap; its curve is read from the second output.
    hk = curves[(curves["task"] == "hk") & (curves["motif1"] != curves["motif2"])]
    assert np.allclose(hk["coop_multiplicative"], 2.0)
    assert set(curves["task"]) == {"dev", "hk"}
    assert not ((curves["task"] == "dev") & curves["motif2"].isin(["ETS", "NRF1"])).any()


def test_modes_of_the_three_shapes(curves):
    modes = coop.curve_modes(curves).set_index(["task", "motif1", "motif2", "orientation", "null"])
    assert modes.loc[("dev", "AP1", "CEBP", "++", "multiplicative"), "mode"] == 1
    assert modes.loc[("dev", "CEBP", "AP1", "+-", "multiplicative"), "mode"] == 1
    assert modes.loc[("hk", "ETS", "NRF1", "++", "multiplicative"), "mode"] == 3
    assert modes.loc[("dev", "AP1", "AP1", "++", "multiplicative"), "mode"] == 0
    assert modes.loc[("dev", "AP1", "CEBP", "++", "multiplicative"), "bin_0_25"] == pytest.approx(4.0)
    decaying = PairRule([(AP1, CEBP, decaying_boost)])
    curves = coop.measure_pairs(decaying, random_backbones(2), MOTIFS[:2], ["dev"], orientations=["++"])
    modes = coop.curve_modes(curves).set_index(["motif1", "motif2", "null"])
    assert modes.loc[("AP1", "CEBP", "multiplicative"), "mode"] == 2


@pytest.mark.parametrize(
    ("values", "mode"),
    [
        ([1.5, 1.0, 1.0, 1.0, 1.0], 1),
        ([1.5, 1.3, 1.2, 1.15, 1.12], 2),
        ([1.2, 1.15, 1.18, 1.12, 1.14], 3),
        ([1.5, 1.3, 1.4, 1.15, 1.12], 0),  # rises again: not a decay
        ([1.5, 1.0, 1.0, 1.0, np.nan], 1),  # a bin no gap of the window reaches is left out
        ([1.0, 1.0, 1.0, 1.0, 1.0], 0),
    ],
)
def test_classify_mode(values, mode):
    assert coop.classify_mode(values) == mode


def test_backbones_are_shuffled_and_the_lowest_predicted():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 4, (30, L)).astype(np.uint8)
    X[0, 5] = 4  # a sequence with N is never a backbone
    y = np.arange(30, dtype=np.float32)[:, None].repeat(2, 1)
    y[0] = -10

    class GC(nn.Module):
        def forward(self, X):
            return X[:, 1:3].sum((1, 2))[:, None].repeat(1, 2)

    model = GC()
    bb, pred = coop.make_backbones(model, X, y, n_backbones=10, keep_fraction=0.5, seed=3)
    assert bb.shape == (5, 4, L) and pred.shape == (5, 2)
    made, _ = coop.make_backbones(model, X, y, n_backbones=10, keep_fraction=1.0, seed=3)
    # The kept ones are the lowest predicted of those made, from the 10 lowest-activity clean sequences.
    assert np.allclose(np.sort(pred[:, 0]), np.sort(model(made)[:, 0].numpy())[:5])
    sources = one_hot(torch.as_tensor(X[1:11].astype(np.int64))).float()
    # A dinucleotide shuffle keeps each sequence's base composition.
    assert torch.equal(torch.sort(made.sum(-1), 0).values, torch.sort(sources.sum(-1), 0).values)
    assert not any(torch.equal(b, s) for b in made for s in sources)


def test_nulls_are_one_without_interaction():
    B0, A, B = np.array(0.3), np.array(1.1), np.array(0.9)
    out = coop.cooperativity_nulls(B0, A, B, A + B - B0)
    assert out["multiplicative"] == pytest.approx(1.0)
    out = coop.cooperativity_nulls(B0, A, B, np.log2(2**A + 2**B - 2**B0))
    assert out["additive"] == pytest.approx(1.0)
    assert np.isnan(
        coop.cooperativity_nulls(np.array(3.0), np.array(0.0), np.array(0.0), np.array(0.0))["additive"]
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"task": "neural"}, r"motifs\[1\]\.task: 'neural' is not a task of the model"),
        ({"sequence": "ACGTN"}, r"motifs\[1\]\.sequence: 'ACGTN'; expected a non-empty A/C/G/T"),
        ({"sequence": "A" * 125}, r"motifs\[1\]\.sequence: 125 bp, so two copies .* expected at most 124"),
        ({"name": "AP1"}, r"motifs\[1\]\.name: 'AP1' given twice"),
    ],
)
def test_bad_motifs_are_refused(change, message):
    motifs = [dict(m) for m in MOTIFS]
    motifs[1].update(change)
    with pytest.raises(InputError, match=message):
        coop.check_motifs(motifs, ["dev", "hk"], L, "motifs")


def test_consensus_of_a_count_matrix():
    counts = np.array([[5, 0, 1], [1, 9, 1], [0, 0, 7], [2, 1, 1]])
    assert coop.consensus(counts) == "ACG"
    assert coop.reverse_complement("AACGT") == "ACGTT"


# --- config checks -------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _merge(base, over):
    """The --configfile merge: mappings recursively, everything else replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


@pytest.fixture(scope="module")
def toy_config():
    base = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    return _merge(base, yaml.safe_load((ROOT / "config/toy.yaml").read_text()))


def _checked(config, part):
    cfg = copy.deepcopy(config)
    cfg["studies"]["deepstarr"] = {**cfg["studies"]["deepstarr"], "interpret": {"cooperativity": part}}
    return check_config(cfg, ROOT / "workflow/schemas/config.schema.yaml")


def test_config_fills_the_defaults(toy_config):
    part = _checked(toy_config, {})["studies"]["deepstarr"]["interpret"]["cooperativity"]
    assert part["backbones"] == 100 and part["keep_fraction"] == 0.5 and part["max_distance"] == 125
    assert part["orientations"] == list(coop.ORIENTATIONS) and part["bins"] == [0, 25, 50, 75, 100, 125]
    assert (part["strong"], part["weak"], part["flat_ratio"]) == (1.2, 1.1, 1.25) and part["motifs"] is None


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (
            {"motifs": [{"name": "X", "sequence": "ACGT", "task": "neural"}]},
            r"cooperativity\.motifs\[0\]\.task: 'neural' is not a task of the model; expected one of dev, hk",
        ),
        (
            {"motifs": [{"name": "X", "sequence": "A" * 200, "task": "dev"}]},
            r"cooperativity\.motifs\[0\]\.sequence: 200 bp, so two copies .* 249-bp window",
        ),
        ({"models": ["basset"]}, r"cooperativity\.models\[0\]: 'basset' is not one of this study's models"),
        ({"bins": [0, 50, 25]}, r"cooperativity\.bins: \[0, 50, 25\]; expected strictly increasing"),
        ({"orientations": ["+x"]}, r"cooperativity\.orientations"),
    ],
)
def test_bad_config_is_refused_before_any_job(toy_config, part, message):
    with pytest.raises(InputError, match=r"config key studies\.deepstarr\.interpret\." + message):
        _checked(toy_config, part)


def test_a_classification_study_is_refused(toy_config):
    cfg = copy.deepcopy(toy_config)
    cfg["studies"]["basset"]["interpret"] = {"cooperativity": {}}
    with pytest.raises(
        InputError, match=r"studies\.basset\.interpret\.cooperativity: dataset 'toy_peaks' \(peaks\)"
    ):
        check_config(cfg, ROOT / "workflow/schemas/config.schema.yaml")


def test_figure_shades_the_planted_range(curves, tmp_path):
    import json

    from seqcnn.plotting import plot_cooperativity

    table = curves.assign(planted=curves["motif1"] != curves["motif2"])
    table.to_csv(tmp_path / "curves.tsv", sep="\t", index=False)
    truth = {
        "starr": {
            "tasks": {
                "dev": {"cooperative_pair": ["AP1", "CEBP"]},
                "hk": {"cooperative_pair": ["ETS", "NRF1"]},
            },
            "rule": {"pair_gap": [10, 30]},
        }
    }
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    assert coop.planted_rule(tmp_path / "truth.json") == {
        "pairs": {"dev": ["AP1", "CEBP"], "hk": ["ETS", "NRF1"]},
        "pair_gap": [10, 30],
    }
    plot_cooperativity(tmp_path / "curves.tsv", tmp_path / "fig.png", truth_path=tmp_path / "truth.json")
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"


def test_targets_follow_the_part(toy_config):
    from seqcnn import layout

    on = _checked(toy_config, {"models": ["rescnn"]})
    assert layout.interpretation_targets(on, "deepstarr") == [
        "results/deepstarr/cooperativity.tsv",
        "results/deepstarr/figures/cooperativity/rescnn.png",
    ]
    assert layout.cooperativity_runs(on, "deepstarr", "modes.tsv") == [
        "results/deepstarr/interpret/rescnn/trial0/cooperativity/modes.tsv"
    ]
    assert "models" not in layout.cooperativity_settings(on, "deepstarr")
    every = _checked(toy_config, {})
    assert layout.cooperativity_runs(every, "deepstarr", "x") == [
        f"results/deepstarr/interpret/{m}/trial0/cooperativity/x" for m in ("deepstarr", "rescnn")
    ]
    off = check_config(copy.deepcopy(toy_config), ROOT / "workflow/schemas/config.schema.yaml")
    assert layout.interpretation_targets(off, "deepbind") == []
