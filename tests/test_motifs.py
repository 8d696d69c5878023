"""Tests for seqcnn.motifs: MEME I/O, activation PWMs, clipping, Tomtom and match statistics."""

from __future__ import annotations

import json
import stat

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from seqcnn import motifs
from seqcnn.datasets import load_split
from seqcnn.errors import InputError
from seqcnn.jaspar import fetch_motifs
from seqcnn.models import build_model
from seqcnn.sequence import encode

# The planted motif for the recovery test: SRF, width 16, a relevant ID (section 5.5) with no
# close paralog in JASPAR 2016 (the runner-up is far behind), so the top hit is unambiguous.
PLANTED_ID = "MA0083.3"

# Bold (present) IDs of the spec's relevant-ID table.
PRESENT_IN_2016 = {
    "MA0151.1", "MA0601.1", "MA0466.2", "MA0477.1", "MA0062.2", "MA0496.1", "MA0058.3",
    "MA0052.3", "MA0502.1", "MA0060.2", "MA0079.3", "MA0083.3", "MA0137.3", "MA0660.1",
    "MA0773.1", "MA0095.2",
}  # fmt: skip


@pytest.fixture(scope="module")
def jaspar2016():
    return fetch_motifs("JASPAR2016")


@pytest.fixture(scope="module")
def jaspar_meme(tmp_path_factory):
    path = tmp_path_factory.mktemp("jaspar") / "JASPAR2016_CORE_vertebrates.meme"
    assert motifs.write_jaspar_meme(path) == 519
    return path


@pytest.fixture(scope="module")
def jaspar_targets(jaspar_meme):
    return [(i, p, n) for i, _, p, n in motifs.read_meme(jaspar_meme, nsites=True)]


# --------------------------------------------------------------------------------------------------
# MEME I/O
# --------------------------------------------------------------------------------------------------


def test_write_read_meme_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    pwms = [rng.dirichlet(np.ones(4), size=w).T for w in (5, 19, 1)]
    path = tmp_path / "filters.meme"
    motifs.write_meme([("filter0", pwms[0]), ("filter1", pwms[1], "ALT1"), ("filter2", pwms[2])], path)
    text = path.read_text()
    assert text.startswith("MEME version 4\n")
    assert "ALPHABET= ACGT" in text
    assert "A 0.25 C 0.25 G 0.25 T 0.25" in text
    assert "strands" not in text  # the filter files have no strands line
    assert "letter-probability matrix: alength= 4 w= 19 nsites= 19 E= 0" in text
    assert "MOTIF filter1 ALT1\n" in text
    rows = text.split("MOTIF filter0\n")[1].splitlines()[1:6]
    assert all(len(v.split(".")[1]) == 4 for r in rows for v in r.split())  # 4 decimals

    back = motifs.read_meme(path)
    assert [(i, a) for i, a, _ in back] == [("filter0", ""), ("filter1", "ALT1"), ("filter2", "")]
    for (_, _, got), want in zip(back, pwms, strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=5e-5)
    assert [r[3] for r in motifs.read_meme(path, nsites=True)] == [5, 19, 1]


def test_write_meme_nsites_options_and_strands(tmp_path):
    pwm = np.full((4, 3), 0.25)
    path = tmp_path / "m.meme"
    motifs.write_meme([("a", pwm), ("b", pwm)], path, nsites=[7, None], strands="+ -")
    text = path.read_text()
    assert "strands: + -" in text
    assert "w= 3 nsites= 7 E= 0" in text and "w= 3 E= 0" in text
    assert [r[3] for r in motifs.read_meme(path, nsites=True)] == [7, None]
    motifs.write_meme([("a", pwm)], path, nsites=None)
    assert "nsites" not in path.read_text()
    with pytest.raises(ValueError, match="whitespace"):
        motifs.write_meme([("bad name", pwm)], path)
    with pytest.raises(ValueError, match=r"\(4, W\)"):
        motifs.write_meme([("a", np.ones((3, 4)))], path)


def test_read_meme_accepts_meme_suite_layout(tmp_path):
    # URL lines, tab/extra spaces, w= without a space, a log-odds block and no w= at all.
    path = tmp_path / "suite.meme"
    path.write_text(
        "MEME version 5\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
        "Background letter frequencies\nA 0.3 C 0.2 G 0.2 T 0.3\n\n"
        "MOTIF MA0004.1\tArnt\n\n"
        "log-odds matrix: alength= 4 w= 2 E= 0\n 1 -1 -1 -1\n -1 1 -1 -1\n"
        "letter-probability matrix: alength= 4 w=2 nsites= 20.0 E= 0\n"
        "  0.2  0.8  0.0  0.0\n  0.95 0.05 0.0  0.0\n\nURL http://jaspar.genereg.net\n\n"
        "MOTIF X\nletter-probability matrix: alength= 4 nsites= 3 E= 0\n"
        "0.25 0.25 0.25 0.25\n1 0 0 0\n\n"
    )
    got = motifs.read_meme(path, nsites=True)
    assert [(i, a, p.shape, n) for i, a, p, n in got] == [
        ("MA0004.1", "Arnt", (4, 2), 20),
        ("X", "", (4, 2), 3),
    ]
    np.testing.assert_array_equal(got[0][2][:, 0], [0.2, 0.8, 0.0, 0.0])


@pytest.mark.parametrize(
    ("body", "line", "expected"),
    [
        ("MOTIF m1\nletter-probability matrix: alength= 4 w= 2\n0.1 0.2 0.7\n", 5, "4 non-neg"),
        ("MOTIF m1\nletter-probability matrix: alength= 4 w= 2\n0.1 0.2 0.3 0.4\n", 6, "2 matrix"),
        ("MOTIF m1\nletter-probability matrix: alength= 4 w= x\n", 4, "alength= 4 w="),
        ("MOTIF m1\nMOTIF m2\n", 4, "letter-probability matrix for motif 'm1'"),
        ("MOTIF m1\nletter-probability matrix: w= 1\n1 0 0 0\nMOTIF m1\n", 6, "unique motif"),
    ],
)
def test_read_meme_malformed_names_file_and_line(tmp_path, body, line, expected):
    path = tmp_path / "broken.meme"
    path.write_text("MEME version 4\n\n" + body)
    with pytest.raises(InputError) as err:
        motifs.read_meme(path)
    msg = str(err.value)
    assert str(path) in msg
    assert f"line {line}:" in msg
    assert expected in msg


def test_read_meme_rejects_missing_header_other_alphabet_and_empty(tmp_path):
    path = tmp_path / "x.meme"
    path.write_text("\nMOTIF m1\n")
    with pytest.raises(InputError, match=r"x\.meme, line 2: expected a 'MEME version"):
        motifs.read_meme(path)
    path.write_text("MEME version 4\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n")
    with pytest.raises(InputError, match=r"line 2: expected 'ALPHABET= ACGT'"):
        motifs.read_meme(path)
    path.write_text("MEME version 4\n")
    with pytest.raises(InputError, match="at least one 'MOTIF'"):
        motifs.read_meme(path)
    with pytest.raises(InputError, match="cannot read"):
        motifs.read_meme(tmp_path / "missing.meme")


def test_write_jaspar_meme_2016(jaspar_meme, jaspar2016):
    text = jaspar_meme.read_text()
    assert "MOTIF MA0079.3 SP1\n" in text
    assert text.count("MOTIF ") == 519
    back = motifs.read_meme(jaspar_meme, nsites=True)
    assert [b[0] for b in back] == [m.matrix_id for m in jaspar2016]
    sp1 = next(b for b in back if b[0] == "MA0079.3")
    want = next(m for m in jaspar2016 if m.matrix_id == "MA0079.3")
    np.testing.assert_allclose(sp1[2], want.probs, atol=5e-5)
    assert sp1[3] == round(want.counts.sum(axis=0).max())


def test_relevant_ids_match_spec_table(jaspar2016):
    ids = motifs.KOO_EDDY_RELEVANT_IDS
    assert len(ids) == 32 and len(set(ids)) == 32
    present = set(ids) & {m.matrix_id for m in jaspar2016}
    assert present == PRESENT_IN_2016


# --------------------------------------------------------------------------------------------------
# Activation PWMs
# --------------------------------------------------------------------------------------------------


class PointwiseModel(nn.Module):
    """Stub: activation = ReLU(width-1 conv), so every activation is hand-computable."""

    def __init__(self, weights):
        super().__init__()
        self.conv = nn.Conv1d(4, len(weights), 1, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor(weights, dtype=torch.float32)[:, :, None])

    def conv_activations(self, x, layer=0):
        return torch.relu(self.conv(x))


@pytest.mark.parametrize("batch_size", [1, 2, 100])
def test_activation_pwms_hand_computed(batch_size):
    # f0: A -> 2, C -> 1.5; max 2, cut 1: A and C sites, weighted 2 and 1.5.
    # f1: C -> 1, T -> 2; cut 1 is strict, so C (exactly 1) is excluded and only T counts.
    # f2: all zero: a dead filter.
    model = PointwiseModel([[2, 1.5, 0, 0], [0, 1, 0, 2], [0, 0, 0, 0]])
    X = np.stack([encode("AACG"), encode("GTCA")])
    pwms, n_sites = motifs.activation_pwms(model, X, window=3, batch_size=batch_size, device="cpu")
    assert pwms.shape == (3, 4, 3)
    np.testing.assert_array_equal(n_sites, [5, 1, 0])
    # f0 windows: seq0 p0 [out,A,A] w2; p1 [A,A,C] w2; p2 [A,C,G] w1.5; seq1 p2 [T,C,A] w1.5;
    # seq1 p3 [C,A,out] w2. Out-of-bounds positions leave the denominator.
    want0 = np.array(
        [
            [3.5 / 7, 6 / 9, 3.5 / 7],  # A
            [2 / 7, 3 / 9, 2 / 7],  # C
            [0, 0, 1.5 / 7],  # G
            [1.5 / 7, 0, 0],  # T
        ]
    )
    np.testing.assert_allclose(pwms[0], want0, atol=1e-6)
    # f1: only seq1 p1, window [G, T, C].
    np.testing.assert_allclose(pwms[1], [[0, 0, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]], atol=1e-7)
    np.testing.assert_array_equal(pwms[2], 0)  # NaN -> 0


def test_activation_pwms_global_max_and_boundary_zero_vectors():
    # f0: A -> 1, C -> 0.4. The cut is half the maximum over all of X (0.5), so C never counts,
    # even in the one-sequence batch "CCCCC" whose own maximum is 0.4.
    model = PointwiseModel([[1, 0.4, 0, 0]])
    X = torch.tensor(np.stack([encode("AGGTT"), encode("CCCCC"), encode("TTTTA")]))
    pwms, n_sites = motifs.activation_pwms(model, X, window=5, batch_size=1, device="cpu")
    assert n_sites.tolist() == [2]
    # With window 5, site (0, 0) covers positions -2..2: [out, out, A, G, G]; site (2, 4) covers
    # 2..6: [T, T, A, out, out]. Out-of-bounds columns are zero vectors outside the denominator,
    # so each edge column comes from one site only.
    want = np.array(
        [
            [0, 0, 1, 0, 0],  # A
            [0, 0, 0, 0, 0],  # C
            [0, 0, 0, 1, 1],  # G
            [1, 1, 0, 0, 0],  # T
        ],
        dtype=float,
    )
    np.testing.assert_allclose(pwms[0], want, atol=1e-7)


def _naive_activation_pwms(model, X, layer, threshold, window):
    """Direct transcription of spec 5.1 with Python loops, for cross-checking."""
    from seqcnn.sequence import one_hot

    with torch.no_grad():
        model.eval()
        act = model.conv_activations(one_hot(torch.as_tensor(X)), layer).double().numpy()
    onehot = one_hot(torch.as_tensor(X)).double().numpy()
    n, f_count, length = act.shape
    left = window // 2
    out = np.zeros((f_count, 4, window))
    counts = np.zeros(f_count, dtype=np.int64)
    for f in range(f_count):
        cut = threshold * act[:, f].max()
        num, den = np.zeros((4, window)), np.zeros(window)
        sites = np.nonzero(act[:, f] > cut)
        counts[f] = len(sites[0])
        for s, p in zip(*sites, strict=True):
            a = act[s, f, p]
            for i in range(window):
                q = p - left + i
                if 0 <= q < length:
                    num[:, i] += a * onehot[s, :, q]
                    den[i] += a
        out[f] = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return out, counts


@pytest.mark.parametrize(("name", "layer"), [("cnn_25", 0), ("cnn_1_3", 1)])
def test_activation_pwms_match_naive_loop(name, layer):
    torch.manual_seed(0)
    model = build_model(name, seq_len=40)
    rng = np.random.default_rng(3)
    X = rng.integers(0, 4, size=(12, 40)).astype(np.uint8)
    X[0, 5:8] = 4  # N inside a sequence: in bounds, no letter
    want, want_sites = _naive_activation_pwms(model, X, layer, 0.5, 19)
    got, n_sites = motifs.activation_pwms(
        model, X, layer=layer, batch_size=5, device="cpu"
    )  # fmt: skip
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=2e-5)
    np.testing.assert_array_equal(n_sites, want_sites)
    assert n_sites.sum() > 0
    model.train()
    motifs.activation_pwms(model, X, layer=layer, device="cpu")
    assert model.training  # training flag restored


# --------------------------------------------------------------------------------------------------
# Clipping
# --------------------------------------------------------------------------------------------------


def _pwm_with_informative(cols, width=19):
    pwm = np.full((4, width), 0.25)
    for c in cols:
        pwm[:, c] = [0, 0, 1, 0]
    return pwm


def test_clip_pwm_pads_informative_span():
    pwm = _pwm_with_informative([5, 8])
    clipped = motifs.clip_pwm(pwm)
    np.testing.assert_array_equal(clipped, pwm[:, 2:12])  # 5-3 .. 8+3 inclusive
    assert motifs.clip_bounds(pwm) == (2, 12)
    # bounded by the matrix on both sides
    assert motifs.clip_bounds(_pwm_with_informative([1, 17])) == (0, 19)
    assert motifs.clip_bounds(_pwm_with_informative([16])) == (13, 19)


def test_clip_pwm_threshold_is_on_information_content():
    pwm = np.full((4, 19), 0.25)
    pwm[:, 10] = [0.7, 0.1, 0.1, 0.1]  # IC = 2 + 0.7 log2 0.7 + 0.3 log2 0.1 = 0.643 > 0.5
    pwm[:, 3] = [0.6, 0.2, 0.1, 0.1]  # IC = 0.429 < 0.5
    ic = motifs.information_content(pwm)
    assert ic[10] == pytest.approx(2 + 0.7 * np.log2(0.7) + 0.3 * np.log2(0.1), abs=1e-6)
    assert motifs.clip_bounds(pwm) == (7, 14)


def test_clip_pwm_no_informative_position_keeps_all():
    pwm = np.full((4, 19), 0.25)
    np.testing.assert_array_equal(motifs.clip_pwm(pwm), pwm)


def test_clip_pwm_index_zero_quirk():
    # Only column 0 passes: the authors' `index.any()` is False, so nothing is clipped...
    assert motifs.clip_pwm(_pwm_with_informative([0])).shape == (4, 19)
    # ...while column 1 alone clips to 0..4.
    assert motifs.clip_pwm(_pwm_with_informative([1])).shape == (4, 5)
    # Column 0 together with another one clips normally.
    assert motifs.clip_bounds(_pwm_with_informative([0, 4])) == (0, 8)


# --------------------------------------------------------------------------------------------------
# Tomtom
# --------------------------------------------------------------------------------------------------


def test_apply_pseudocount_matches_authors_tomtom_xml():
    # spec 5.3: a 0 in a 16-wide filter (nsites = 16) becomes 0.025 / 16.1 = 0.0015528.
    got = motifs.apply_pseudocount(np.zeros((4, 16)), nsites=16)
    assert got[0, 0] == pytest.approx(0.0015528, abs=1e-7)
    np.testing.assert_allclose(motifs.apply_pseudocount(np.eye(4), 20).sum(axis=0), 1.0)


def test_benjamini_hochberg():
    q = motifs.benjamini_hochberg(np.array([[0.01, 0.04, 0.03, 0.5]]))
    # sorted p 0.01, 0.03, 0.04, 0.5 -> p*m/rank 0.04, 0.06, 0.0533, 0.5 -> running min from the top
    np.testing.assert_allclose(q, [[0.04, 0.16 / 3, 0.16 / 3, 0.5]])


def test_tomtom_evalue_is_p_times_targets(jaspar_targets, jaspar2016):
    queries = [
        ("sp1", next(m.probs for m in jaspar2016 if m.matrix_id == "MA0079.3")),
        ("rand", np.random.default_rng(0).dirichlet(np.ones(4), size=8).T),
    ]
    df = motifs.tomtom_matches(queries, jaspar_targets, evalue_threshold=np.inf)
    assert list(df.columns) == list(motifs.TOMTOM_COLUMNS)
    assert len(df) == 2 * 519
    np.testing.assert_allclose(df["E-value"], df["p-value"] * 519, rtol=1e-12)
    assert (df["q-value"] >= df["p-value"] - 1e-15).all()
    assert list(df["Query_ID"].unique()) == ["sp1", "rand"]
    for _, group in df.groupby("Query_ID", sort=False):
        assert group["p-value"].is_monotonic_increasing
    top = df[df["Query_ID"] == "sp1"].iloc[0]
    assert top["Target_ID"] == "MA0079.3" and top["Orientation"] == "+"
    assert top["Optimal_offset"] == 0 and top["Overlap"] == 11
    # The threshold keeps exactly the rows with E <= 0.1.
    kept = motifs.tomtom_matches(queries, jaspar_targets, evalue_threshold=0.1)
    assert len(kept) == (df["E-value"] <= 0.1).sum() > 0


def test_tomtom_reverse_complement_query_matches_minus_strand(jaspar_targets, jaspar2016):
    ctcf = next(m.probs for m in jaspar2016 if m.matrix_id == "MA0139.1")
    df = motifs.tomtom_matches([("rc", ctcf[::-1, ::-1])], jaspar_targets)
    assert df.iloc[0]["Target_ID"] == "MA0139.1"
    assert df.iloc[0]["Orientation"] == "-"


def test_tomtom_applies_meme_pseudocount_to_memelite_inputs(jaspar_targets):
    from memelite import tomtom

    rng = np.random.default_rng(1)
    query = rng.dirichlet(np.ones(4) * 0.3, size=10).T
    targets = jaspar_targets[:60]
    ours = motifs.tomtom_matches([("q", query)], targets, evalue_threshold=np.inf)
    ours = ours.set_index("Target_ID").loc[[t[0] for t in targets], "p-value"].to_numpy()
    q_in = motifs.apply_pseudocount(query, 10)  # nsites = width for queries
    t_in = [motifs.apply_pseudocount(p, n) for _, p, n in targets]
    p_direct = tomtom([np.asfortranarray(q_in)], t_in, n_target_bins=None)[0][0]
    np.testing.assert_allclose(ours, p_direct, rtol=1e-12)
    raw = motifs.tomtom_matches([("q", query)], targets, pseudocount=0, evalue_threshold=np.inf)
    assert not np.allclose(raw.sort_values("Target_ID")["p-value"], np.sort(ours))


MEME5_TSV = (
    "Query_ID\tTarget_ID\tOptimal_offset\tp-value\tE-value\tq-value\tOverlap\t"
    "Query_consensus\tTarget_consensus\tOrientation\n"
    "filter0\tMA0079.3\t-3\t2.8e-10\t1.46e-07\t1.4e-07\t11\tGGGGCGGGG\tGGGGCGGGGC\t+\n"
    "filter0\tMA0516.1\t-3\t7.7e-10\t4.0e-07\t2.0e-07\t14\tGGGGCGGGG\tGGGGCGGGGCC\t-\n"
    "filter4\tMA0083.3\t0\t1e-05\t0.0052\t0.01\t16\tCCATATATGG\tCCATATATGG\t+\n"
    "\n"
    "# Tomtom (Motif Comparison Tool): Version 5.1.0 compiled on Oct 11 2019 at 19:49:12\n"
    "# The format of this file is described at http://meme-suite.org/doc/tomtom-output-format.html.\n"
    "# tomtom -evalue -thresh 0.1 -o out filters.meme JASPAR.meme\n"
)


def test_read_tomtom_tsv_skips_trailing_comments(tmp_path):
    path = tmp_path / "tomtom.tsv"
    path.write_text(MEME5_TSV)
    df = motifs.read_tomtom_tsv(path)
    assert list(df.columns) == list(motifs.TOMTOM_COLUMNS)
    assert len(df) == 3  # no "-3" needed: comment lines are not rows
    assert df["Query_ID"].nunique() == 2
    assert df.loc[1, "Orientation"] == "-"
    meme4 = "#Query ID\tTarget ID\tOptimal offset\tp-value\tE-value\tq-value\tOverlap\t" + (
        "Query consensus\tTarget consensus\tOrientation\nf1\tMA1\t0\t0.01\t5\t0.5\t8\tA\tA\t+\n"
    )
    path.write_text(meme4)
    assert motifs.read_tomtom_tsv(path)["Target_ID"].tolist() == ["MA1"]


def test_tomtom_meme_method_runs_binary_and_parses(tmp_path, jaspar_targets):
    calls = tmp_path / "calls"
    canned = tmp_path / "canned.tsv"
    canned.write_text(MEME5_TSV)
    fake = tmp_path / "fake_tomtom"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > {calls}/args\n'
        f'for last; do :; done\ncp "$last" {calls}/target.meme\n'
        # the query file is the second-to-last argument
        f'eval q=\\${{$(($#-1))}}\ncp "$q" {calls}/query.meme\n'
        f"cat {canned}\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    calls.mkdir()
    query = np.full((4, 7), 0.25)
    df = motifs.tomtom_matches(
        [("filter0", query), ("filter4", query)],
        jaspar_targets[:30],
        evalue_threshold=0.001,
        method="meme",
        tomtom_binary=str(fake),
    )
    args = (calls / "args").read_text().split()
    for flag in ("-evalue", "-text", "-no-ssc"):
        assert flag in args
    assert args[args.index("-thresh") + 1] == "0.001"
    assert args[args.index("-dist") + 1] == "ed"
    assert args[args.index("-motif-pseudo") + 1] == "0.1"
    assert "nsites= 7" in (calls / "query.meme").read_text()
    assert len(motifs.read_meme(calls / "target.meme")) == 30
    # filter4's hit has E = 0.0052 > 0.001 and is dropped.
    assert df["Target_ID"].tolist() == ["MA0079.3", "MA0516.1"]


def test_tomtom_meme_method_without_binary_raises(jaspar_targets):
    with pytest.raises(InputError, match="MEME suite's tomtom.*not found on PATH"):
        motifs.tomtom_matches(
            [("q", np.full((4, 5), 0.25))],
            jaspar_targets[:30],
            method="meme",
            tomtom_binary="no-such-tomtom-binary",
        )
    with pytest.raises(InputError, match="memelite"):
        motifs.tomtom_matches([("q", np.eye(4))], jaspar_targets[:30], method="blast")


# --------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------


def _hand_matches():
    return pd.DataFrame(
        {
            "Query_ID": ["filter0", "filter0", "filter1", "filter2", "filter3", "filter3"],
            "Target_ID": ["MA0516.1", "MA0079.3", "MA0516.1", "MA0083.3", "PB0001.1", "MA0004.1"],
            "p-value": [1e-9, 1e-8, 1e-5, 1e-7, 1e-6, 1e-7],
            "E-value": [5e-7, 5e-6, 5e-3, 5e-5, 5e-4, 5e-5],
        }
    )


def test_match_fractions_hand_made():
    got = motifs.match_fractions(_hand_matches(), 30, motifs.KOO_EDDY_RELEVANT_IDS)
    # Four filters hit anything; filter0 (SP1, not its top hit), filter2 (SRF) and filter3
    # (PB0001.1: relevant even though absent from 2016) hit a relevant ID.
    assert got == {"jaspar_match": pytest.approx(4 / 30), "relevant_match": pytest.approx(3 / 30)}
    assert motifs.match_fractions(_hand_matches(), 128, ["MA0004.1"])["relevant_match"] == 1 / 128
    empty = _hand_matches().iloc[:0]
    assert motifs.match_fractions(empty, 30) == {"jaspar_match": 0.0, "relevant_match": 0.0}


def test_best_matches():
    best = motifs.best_matches(_hand_matches(), {"MA0516.1": "SP2", "MA0004.1": "Arnt"})
    assert best["Query_ID"].tolist() == ["filter0", "filter1", "filter2", "filter3"]
    assert best["Target_ID"].tolist() == ["MA0516.1", "MA0516.1", "MA0083.3", "MA0004.1"]
    assert best["Target_name"].tolist() == ["SP2", "SP2", "", "Arnt"]
    assert best["E-value"].tolist() == [5e-7, 5e-3, 5e-5, 5e-5]


# --------------------------------------------------------------------------------------------------
# Recovering a planted JASPAR motif end to end
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(jaspar2016):
    """cnn_25 whose filter 0 is the log-odds of SRF, and sequences with SRF sites drawn from it."""
    motif = next(m for m in jaspar2016 if m.matrix_id == PLANTED_ID)
    probs = motif.probs
    width = probs.shape[1]
    log_odds = np.log2((probs + 0.01) / (1.04 * 0.25))
    torch.manual_seed(0)
    model = build_model("cnn_25")
    start = (19 - width) // 2
    with torch.no_grad():
        weight = model.convs[0].conv.weight
        weight[0] = 0.0
        weight[0, :, start : start + width] = torch.tensor(log_odds, dtype=torch.float32)
        bn = model.convs[0].bn
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0)
        bn.weight.fill_(1.0)
        bn.bias.zero_()
        # Only windows scoring above 60% of the consensus score activate filter 0.
        bn.bias[0] = -0.6 * float(log_odds.max(axis=0).sum())
    rng = np.random.default_rng(2019)
    n_seq, length = 2000, 200
    X = rng.integers(0, 4, size=(n_seq, length)).astype(np.uint8)
    carriers = np.flatnonzero(rng.random(n_seq) < 0.3)
    for i in carriers:
        pos = rng.integers(0, length - width + 1)
        X[i, pos : pos + width] = [rng.choice(4, p=probs[:, j]) for j in range(width)]
    return model, X


def test_planted_motif_is_recovered_by_tomtom(planted, jaspar_targets):
    model, X = planted
    pwms, n_sites = motifs.activation_pwms(model, X, device="cpu")
    assert pwms.shape == (30, 4, 19)
    assert n_sites[0] > 50
    clipped = motifs.clip_pwm(pwms[0])
    assert 16 <= clipped.shape[1] <= 19
    df = motifs.tomtom_matches([("filter0", clipped)], jaspar_targets, evalue_threshold=0.1)
    top = df.iloc[0]
    assert top["Target_ID"] == PLANTED_ID
    assert top["E-value"] <= 0.1
    assert top["E-value"] == pytest.approx(top["p-value"] * 519, rel=1e-12)
    # SRF has no close relative in the database: nothing else comes near it.
    others = df[df["Target_ID"] != PLANTED_ID]
    assert (others["p-value"] > 1e6 * top["p-value"]).all()


def test_annotate_filters_end_to_end(planted, jaspar_meme, tmp_path):
    model, X = planted
    out = tmp_path / "out"
    stats = motifs.annotate_filters(
        model,
        X[:1000],
        jaspar_meme,
        out / "filters_clip.meme",
        out / "tomtom.tsv",
        out / "stats.json",
        device="cpu",
    )
    assert json.loads((out / "stats.json").read_text()) == stats
    assert stats["n_filters"] == 30 and stats["n_targets"] == 519
    f0 = stats["filters"][0]
    assert f0["best_match_id"] == PLANTED_ID and f0["best_match_name"] == "SRF"
    assert f0["best_match_evalue"] <= 0.1 and f0["relevant_hit"] and f0["best_relevant_id"] == PLANTED_ID
    # With SRF not among the relevant IDs, the same filter matches JASPAR but nothing relevant.
    other = motifs.annotate_filters(
        model, X[:1000], jaspar_meme, out / "o.meme", out / "o.tsv", out / "o.json",
        relevant_ids=["MA0079.3"], device="cpu",
    )  # fmt: skip
    g0 = other["filters"][0]
    assert g0["best_match_id"] == PLANTED_ID and not g0["relevant_hit"] and g0["best_relevant_id"] is None

    written = motifs.read_meme(out / "filters_clip.meme", nsites=True)
    assert [w[0] for w in written] == [f"filter{j}" for j in range(30)]
    assert [w[2].shape[1] for w in written] == [f["clipped_width"] for f in stats["filters"]]
    assert all(w[3] == w[2].shape[1] for w in written)  # nsites = width

    table = pd.read_csv(out / "tomtom.tsv", sep="\t")
    assert list(table.columns) == list(motifs.TOMTOM_COLUMNS)
    assert (table["E-value"] <= 0.1).all()
    hit_filters = table["Query_ID"].nunique()
    assert stats["jaspar_match"] == pytest.approx(hit_filters / 30)
    relevant = table[table["Target_ID"].isin(motifs.KOO_EDDY_RELEVANT_IDS)]["Query_ID"].nunique()
    assert stats["relevant_match"] == pytest.approx(relevant / 30) and relevant >= 1
    for f in stats["filters"]:
        assert (f["best_match_id"] is None) == (f["filter"] not in set(table["Query_ID"]))


def test_activation_pwms_reject_a_layer_after_pooling():
    X = np.zeros((4, 200), dtype=np.uint8)
    with pytest.raises(InputError, match=r"layer 1: activations have length 100 for sequences of 200 bp"):
        motifs.activation_pwms(build_model("cnn_2"), X, layer=1, device="cpu")


# --------------------------------------------------------------------------------------------------
# Zoo models: first-layer valid convs
# --------------------------------------------------------------------------------------------------

ALPHABET = "ACGT"

# DeepBind with a kernel as wide as SRF; Basset at its published first-layer width 19, small elsewhere.
ZOO_PLANTED = {
    "deepbind": {"filters": 8, "width": 16},
    "basset": {"filters": [8, 8, 8], "widths": [19, 3, 3], "pools": [2, 2, 2], "hidden": [16, 16]},
}


def _srf(jaspar2016):
    probs = next(m for m in jaspar2016 if m.matrix_id == PLANTED_ID).probs
    return probs, np.log2((probs + 0.01) / (1.04 * 0.25))


def _srf_sequences(probs, n_seq, length, rng):
    """Uniform random sequences, 30% of them carrying one SRF site drawn from its PWM."""
    width = probs.shape[1]
    X = rng.integers(0, 4, size=(n_seq, length)).astype(np.uint8)
    for i in np.flatnonzero(rng.random(n_seq) < 0.3):
        pos = rng.integers(0, length - width + 1)
        X[i, pos : pos + width] = [rng.choice(4, p=probs[:, j]) for j in range(width)]
    return X


def _plant_first_filter(model, log_odds):
    """Filter 0 of a zoo model's first conv := SRF log-odds, firing above 60% of the consensus score."""
    conv = model.conv if hasattr(model, "conv") else model.convs[0]
    width = log_odds.shape[1]
    start = (conv.kernel_size[0] - width) // 2
    with torch.no_grad():
        conv.weight[0] = 0.0
        conv.weight[0, :, start : start + width] = torch.tensor(log_odds, dtype=torch.float32)
        conv.bias[0] = -0.6 * float(log_odds.max(axis=0).sum())
        if hasattr(model, "convs"):  # Basset: BatchNorm between the conv and its ReLU is the identity
            bn = model.convs[1]
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0)
            bn.weight.fill_(1.0)
            bn.bias.zero_()
    return model


@pytest.mark.parametrize("name", sorted(ZOO_PLANTED))
def test_zoo_first_layer_recovers_a_planted_motif(name, jaspar2016, jaspar_meme, tmp_path):
    probs, log_odds = _srf(jaspar2016)
    torch.manual_seed(0)
    model = _plant_first_filter(build_model(name, n_classes=1, seq_len=200, **ZOO_PLANTED[name]), log_odds)
    X = _srf_sequences(probs, 1000, 200, np.random.default_rng(2019))
    stats = motifs.annotate_filters(
        model, X, jaspar_meme, tmp_path / "f.meme", tmp_path / "t.tsv", tmp_path / "s.json", device="cpu"
    )
    assert stats["n_filters"] == 8 and stats["layer"] == 0
    f0 = stats["filters"][0]
    assert f0["n_sites"] > 50
    assert f0["best_match_id"] == PLANTED_ID and f0["best_match_name"] == "SRF"
    assert f0["best_match_evalue"] <= 0.1 and f0["relevant_hit"]
    assert 16 <= f0["clipped_width"] <= 19


@pytest.mark.parametrize("kmer", ["GATTACA", "GATTACAG"])
def test_valid_conv_sites_are_centred_in_the_window(kmer):
    # Filter 0 fires on exact copies of the k-mer only; filter 1 never fires.
    width = len(kmer)
    model = build_model("deepbind", n_classes=1, seq_len=60, filters=2, width=width)
    with torch.no_grad():
        model.conv.weight.zero_()
        model.conv.weight[0] = torch.nn.functional.one_hot(torch.as_tensor(encode(kmer)).long(), 4).T
        model.conv.bias.copy_(torch.tensor([0.5 - width, -1.0]))
    rng = np.random.default_rng(5)
    X = rng.integers(0, 4, size=(300, 60)).astype(np.uint8)
    for i, pos in enumerate(rng.integers(0, 60 - width + 1, 300)):
        X[i, pos : pos + width] = encode(kmer)
    pwms, n_sites = motifs.activation_pwms(model, X, device="cpu")
    assert model.conv_offset(0) == (width - 1) // 2
    assert n_sites[0] >= 300 and n_sites[1] == 0
    # The site starting at activation position p is centred on p + offset, the window's column 9.
    first = 9 - (width - 1) // 2
    informative = np.flatnonzero(motifs.information_content(pwms[0]) > 1.9)
    assert informative.tolist() == list(range(first, first + width))
    assert "".join(ALPHABET[i] for i in pwms[0][:, first : first + width].argmax(axis=0)) == kmer
    # As many flank columns on each side for an odd k-mer; one more on the left for an even one.
    assert first - (19 - first - width) == 1 - width % 2


class ValidConv(nn.Module):
    """Stub: a valid (or over-padded) conv that does not state its geometry."""

    def __init__(self, width, padding=0):
        super().__init__()
        self.conv = nn.Conv1d(4, 2, width, padding=padding)

    def conv_activations(self, x, layer=0):
        return torch.relu(self.conv(x))


class DeclaredValidConv(ValidConv):
    def __init__(self, width, offset, padding=0):
        super().__init__(width, padding)
        self.offset = offset

    def conv_offset(self, layer=0):
        return self.offset


def test_activation_pwms_refuse_layers_they_cannot_map_to_windows():
    X = np.random.default_rng(0).integers(0, 4, size=(4, 50)).astype(np.uint8)
    with pytest.raises(
        InputError,
        match=r"layer 0: activations have length 43 for sequences of 50 bp; .* conv_offset\(layer\)",
    ):
        motifs.activation_pwms(ValidConv(8), X, device="cpu")
    with pytest.raises(
        InputError, match=r"length 43 .* centres activation p on input p \+ 5, which needs 40 or 39"
    ):
        motifs.activation_pwms(DeclaredValidConv(8, offset=5), X, device="cpu")
    with pytest.raises(InputError, match="length 54 for sequences of 50 bp; a layer can have at most one"):
        motifs.activation_pwms(DeclaredValidConv(3, offset=-2, padding=3), X, device="cpu")
    pwms, _ = motifs.activation_pwms(DeclaredValidConv(8, offset=3), X, device="cpu")
    assert pwms.shape == (2, 4, 19)
    with pytest.raises(InputError, match="layer 0: FactorNet has no conv layer over the sequence alone"):
        motifs.activation_pwms(
            build_model("factornet", n_classes=1, seq_len=200, n_tracks=1), X, device="cpu"
        )


def test_annotate_run_sees_a_zoo_run_through_its_crop(jaspar2016, jaspar_meme, tmp_path):
    from seqcnn.datasets import save_dataset
    from seqcnn.train import train_model

    probs, log_odds = _srf(jaspar2016)
    rng = np.random.default_rng(7)

    def split(n):
        # 240 bp windows; the run sees the central 200. Every left flank carries an SRF site it never sees.
        X = rng.integers(0, 4, size=(n, 240)).astype(np.uint8)
        X[:, 20:220] = _srf_sequences(probs, n, 200, rng)
        for i in range(n):
            X[i, 2:18] = [rng.choice(4, p=probs[:, j]) for j in range(16)]
        return X, (rng.random((n, 2)) < 0.3).astype(np.float32)

    data = tmp_path / "data"
    save_dataset(
        data, {"train": split(100), "valid": split(50), "test": split(800)}, {"classes": ["x", "SRF"]}
    )
    run = tmp_path / "run"
    options = ZOO_PLANTED["basset"]
    train_model("basset", data, run, max_epochs=1, tasks=["SRF"], crop=200, model_options=options, threads=1)
    torch.manual_seed(0)
    planted = _plant_first_filter(build_model("basset", n_classes=1, seq_len=200, **options), log_odds)
    torch.save(planted.state_dict(), run / "model.pt")

    out = tmp_path / "out"
    stats = motifs.annotate_run(
        run, data, jaspar_meme, out / "f.meme", out / "t.tsv", out / "s.json", device="cpu"
    )
    assert (stats["model"], stats["trial"], stats["split"]) == ("basset", 0, "test")
    assert stats["filters"][0]["best_match_id"] == PLANTED_ID
    X_test, _ = load_split(data, "test")
    _, want = motifs.activation_pwms(planted, X_test[:, 20:220], device="cpu")
    assert [f["n_sites"] for f in stats["filters"]] == want.tolist()


def test_annotate_run_refuses_a_model_that_reads_tracks(tmp_path, jaspar_meme):
    settings = {"model": "multimodal", "trial": 0, "inputs": ["sequence", "tracks"], "classes": ["a"]}
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    with pytest.raises(
        InputError, match="model 'multimodal' reads sequence, tracks; filter annotation needs"
    ):
        motifs.annotate_run(tmp_path, tmp_path, jaspar_meme, tmp_path / "a", tmp_path / "b", tmp_path / "c")
