"""Model zoo: spec parameter counts, shapes, input checks, receptive fields and small learning tasks."""

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqcnn.errors import InputError
from seqcnn.models import MODELS
from seqcnn.zoo import ZOO, SameConv2d, build_zoo_model, zoo_options


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# (name, T, L or B, K, trainable parameters) from shared/spec/architectures.md; the two ablations are
# COMPUTED from the section 8b layer sizes (fusion conv reading 64 resp. 16 channels).
SPEC_COUNTS = [
    ("deepbind", 1, 101, 0, 801),
    ("basset", 164, 600, 0, 4_135_064),
    ("danq", 919, 1000, 0, 46_929_039),
    ("danq_mini", 1, 200, 0, 5_535),
    ("danq_mini", 12, 200, 0, 5_821),
    ("deepstarr", 2, 249, 0, 622_722),
    ("decode", 1, 400, 5, 4_300_841),
    ("decode", 1, 200, 5, 2_662_441),
    ("decode_se2kb", 1, 200, 5, 1_910_249),
    ("rescnn", 1, 200, 0, 339_585),
    ("rescnn", 2, 200, 0, 339_842),
    ("rescnn", 12, 200, 0, 342_412),
    ("rnn", 2, 101, 0, 470),
    ("lstm", 2, 101, 0, 1_766),
    ("factornet", 1, 1000, 1, 636_801),
    ("multimodal", 1, 1000, 1, 37_041),
    ("multimodal_seq", 1, 1000, 0, 6_720 + 20_544 + 4_160 + 65),
    ("multimodal_track", 1, 1000, 1, 432 + 5_184 + 4_160 + 65),
]


@pytest.mark.parametrize(("name", "T", "L", "K", "expected"), SPEC_COUNTS)
def test_parameter_counts_match_spec(name, T, L, K, expected):
    # The meta device allocates no memory, so DanQ's 47 M parameters cost nothing to count.
    with torch.device("meta"):
        model = build_zoo_model(name, n_outputs=T, seq_len=L, n_tracks=K)
    assert n_params(model) == expected


def test_spec_counts_cover_every_zoo_model():
    assert {row[0] for row in SPEC_COUNTS} == set(ZOO)


# Small shapes per model: (L or B, K, options).
SMALL = {
    "deepbind": (40, 0, {"filters": 4, "width": 6}),
    "basset": (100, 0, {"filters": (8, 8, 8), "widths": (5, 3, 3), "pools": (2, 2, 2), "hidden": (16, 16)}),
    "danq": (60, 0, {"filters": 8, "width": 6, "pool": 5, "lstm_units": 4, "hidden": 8}),
    "danq_mini": (50, 0, {}),
    "deepstarr": (64, 0, {"filters": (8, 8, 8, 8), "hidden": (16, 16)}),
    "decode": (40, 3, {"filters": (8, 8, 8, 8), "late_filters": (8, 8, 8), "hidden": 16}),
    "decode_se2kb": (20, 4, {"filters": (8,) * 7, "hidden": (16, 16, 8)}),
    "rescnn": (50, 0, {"channels": 8, "dilations": (1, 2)}),
    "rnn": (30, 0, {"hidden": 8}),
    "lstm": (30, 0, {"hidden": 8}),
    "factornet": (
        80,
        2,
        {"filters": 8, "width": 10, "pool": 5, "position_units": 8, "lstm_units": 4, "hidden": 8},
    ),
}
_MM = {"seq_filters": 8, "track_filters": 4, "width": 10, "pool": 5, "fusion_filters": 8, "hidden": 8}
SMALL |= {"multimodal": (80, 2, _MM), "multimodal_seq": (80, 0, _MM), "multimodal_track": (80, 2, _MM)}


def random_one_hot(n: int, length: int, generator: torch.Generator | None = None) -> torch.Tensor:
    idx = torch.randint(0, 4, (n, length), generator=generator)
    return F.one_hot(idx, 4).transpose(1, 2).float()


def small_model(name: str, n_outputs: int = 3) -> nn.Module:
    length, k, options = SMALL[name]
    return build_zoo_model(name, n_outputs=n_outputs, seq_len=length, n_tracks=k, **options)


def small_inputs(name: str, n: int) -> list[torch.Tensor]:
    length, k, _ = SMALL[name]
    make = {"sequence": lambda: random_one_hot(n, length), "tracks": lambda: torch.rand(n, k, length)}
    return [make[what]() for what in MODELS[name].inputs]


def test_small_shapes_cover_every_zoo_model():
    assert set(SMALL) == set(ZOO)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_interface_and_output_shape(name):
    length, k, _ = SMALL[name]
    model = small_model(name, n_outputs=3).eval()
    assert model.inputs == MODELS[name].inputs
    assert model.inputs in {("sequence",), ("tracks",), ("sequence", "tracks")}
    assert model.input_length == length
    assert model.n_outputs == 3
    assert model.in_channels == 4 * ("sequence" in model.inputs) + k * ("tracks" in model.inputs)
    assert isinstance(model.paper_name, str) and model.paper_name
    assert model.l1 == 0.0
    y_hat = model(*small_inputs(name, 5))
    assert y_hat.shape == (5, 3)
    assert torch.isfinite(y_hat).all()


@pytest.mark.parametrize("name", sorted(ZOO))
def test_penalized_parameters_are_the_weight_matrices(name):
    model = small_model(name)
    penalized = {id(p) for p in model.penalized_parameters()}
    for module in model.modules():
        if isinstance(module, nn.Conv1d | nn.Conv2d | nn.Linear):
            assert id(module.weight) in penalized
            assert id(module.bias) not in penalized
        if isinstance(module, nn.RNNBase):
            assert all(id(w) in penalized for w in module.parameters() if w.dim() == 2)
        if isinstance(module, nn.BatchNorm1d):
            assert id(module.weight) not in penalized and id(module.bias) not in penalized


def test_penalized_parameters_of_danq_exactly():
    model = small_model("danq")
    # conv, LSTM input/recurrent weights in both directions, dense, output.
    assert len(model.penalized_parameters()) == 7


AP1 = [3, 2, 0, 1, 3, 1, 0]  # TGACTCA
GATA = [2, 0, 3, 0, 2, 0, 3]  # GATAGAT


def planted_batch(name: str, n: int, g: torch.Generator) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Inputs whose two binary targets are planted features the model can see.

    Sequence models: an AP-1 site (target 0) and a GATA site (target 1). Track models: a peak in track
    row 0 resp. 1. Sequence + track models: the AP-1 site (target 0) and a peak in row 0 (target 1).
    """
    length, k, _ = SMALL[name]
    y = torch.randint(0, 2, (n, 2), generator=g).bool()
    X = random_one_hot(n, length, g)
    tracks = 0.5 * torch.randn(n, max(k, 2), length, generator=g)
    motifs = [F.one_hot(torch.tensor(m), 4).T.float() for m in (AP1, GATA)]
    seq_tasks, track_tasks = {
        ("sequence",): ((0, 1), ()),
        ("sequence", "tracks"): ((0,), (1,)),
        ("tracks",): ((), (0, 1)),
    }[MODELS[name].inputs]
    starts = torch.randint(0, length - 7, (n,), generator=g).tolist()
    for i, s in enumerate(starts):
        for j, task in enumerate(seq_tasks):
            if y[i, task]:
                X[i, :, s : s + 7] = motifs[j]
        for j, task in enumerate(track_tasks):
            if y[i, task]:
                tracks[i, j, s : s + 7] += 3.0
    named = {"sequence": X, "tracks": tracks[:, :k]}
    return [named[what] for what in MODELS[name].inputs], y.float()


@pytest.mark.parametrize("name", sorted(ZOO))
def test_adam_steps_reduce_the_loss_on_planted_features(name):
    torch.manual_seed(0)
    model = small_model(name, n_outputs=2)
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0  # deterministic loss: same batch, train-mode BatchNorm, no dropout noise
    inputs, y = planted_batch(name, 64, torch.Generator().manual_seed(0))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.BCEWithLogitsLoss()
    start = loss_fn(model(*inputs), y).item()
    for _ in range(40):
        opt.zero_grad()
        loss_fn(model(*inputs), y).backward()
        opt.step()
    # Last-step RNNs are slowest (a site far from the 3' end must survive the recurrence): about 0.9.
    assert loss_fn(model(*inputs), y).item() < 0.95 * start


def test_deepbind_learns_a_planted_kmer():
    g = torch.Generator().manual_seed(1)
    torch.manual_seed(1)
    n, length = 1200, 50
    X = random_one_hot(n, length, g)
    y = torch.arange(n) % 2 == 0
    motif = F.one_hot(torch.tensor(AP1), 4).T.float()
    starts = torch.randint(0, length - 7, (n,), generator=g)
    for i in torch.nonzero(y).flatten().tolist():
        X[i, :, starts[i] : starts[i] + 7] = motif
    y = y.float()[:, None]
    model = build_zoo_model("deepbind", n_outputs=1, seq_len=length)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    train, test = slice(0, 1000), slice(1000, None)
    for _ in range(6):
        for b in torch.randperm(1000).split(64):
            opt.zero_grad()
            F.binary_cross_entropy_with_logits(model(X[train][b]), y[train][b]).backward()
            opt.step()
    with torch.no_grad():
        accuracy = ((model(X[test]) > 0).float() == y[test]).float().mean().item()
        act = F.relu(model.conv(X[test])).amax(dim=2)
    # About 5 % of negatives hold a one-mismatch site, which 6 epochs do not yet separate.
    assert accuracy > 0.9
    # The filter that best separates positives from negatives has the site as its consensus.
    positive = y[test, 0] == 1
    best = (act[positive].mean(0) - act[~positive].mean(0)).argmax()
    consensus = "".join("ACGT"[i] for i in model.conv.weight[best].argmax(dim=0))
    assert any("TGACTCA"[i : i + 5] in consensus for i in range(3)), consensus


def test_deepstarr_fits_two_regression_targets():
    g = torch.Generator().manual_seed(2)
    torch.manual_seed(2)
    n, length = 700, 64
    X = random_one_hot(n, length, g)
    # Task 1: copies of a planted GATA site (0-3); task 2: GC fraction. Both need the conv features.
    copies = torch.randint(0, 4, (n,), generator=g)
    gata = F.one_hot(torch.tensor([2, 0, 3, 0]), 4).T.float()
    for i in range(n):
        for c in range(int(copies[i])):
            X[i, :, 16 * c + 4 : 16 * c + 8] = gata
    gc = X[:, 1:3].sum(dim=(1, 2)) / length
    y = torch.stack([copies.float(), (gc - gc.mean()) / gc.std()], dim=1)
    model = build_zoo_model(
        "deepstarr",
        n_outputs=2,
        seq_len=length,
        filters=(32, 32, 32, 32),
        hidden=(32, 32),
        dropout=0.1,
        bn_momentum=0.1,  # the spec's 0.01 needs far more steps for the eval-mode statistics to settle
    )
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    for _ in range(12):
        for b in torch.randperm(600).split(32):
            opt.zero_grad()
            F.mse_loss(model(X[b]), y[b]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        y_hat = model(X[600:])
    for task in range(2):
        r = torch.corrcoef(torch.stack([y_hat[:, task], y[600:, task]]))[0, 1].item()
        assert r > 0.85, f"task {task}: Pearson {r:.2f}"


@pytest.mark.parametrize(("dilations", "field"), [((1, 1, 1, 1), 35), ((1, 2, 4, 8), 79)])
def test_rescnn_receptive_field_matches_spec(dilations, field):
    model = build_zoo_model("rescnn", n_outputs=1, seq_len=200, channels=8, dilations=dilations).eval()
    x = random_one_hot(1, 200).requires_grad_()
    h = model.blocks(model.stem(x))
    h[0, :, 100].sum().backward()
    reached = torch.nonzero(x.grad.abs().sum(dim=1)[0]).flatten()
    assert reached.max() - reached.min() + 1 == field


def test_decode_kernel_height_follows_track_count_and_collapses_it():
    model = small_model("decode")
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.kernel_size[0] for c in convs[:4]] == [3, 3, 3, 3]
    assert convs[0].kernel_size[1] == 10
    features = model.features(torch.rand(2, 1, 3, 40))
    assert features.shape[2] == 1  # track axis collapsed by the valid layer 4


def test_decode_se2kb_pools_both_axes():
    model = build_zoo_model("decode_se2kb", 1, seq_len=200, n_tracks=5, filters=(4,) * 7, hidden=(8, 8, 4))
    assert model.features(torch.rand(2, 1, 5, 200)).shape == (2, 4, 1, 50)


def test_same_conv2d_matches_tensorflow_same_geometry():
    torch.manual_seed(0)
    conv = SameConv2d(2, 3, (5, 10))
    x = torch.rand(1, 2, 5, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about even kernels with padding="same"
        expected = F.conv2d(x, conv.weight, conv.bias, padding="same")
    assert conv(x).shape == (1, 3, 5, 30)
    torch.testing.assert_close(conv(x), expected)
    # TensorFlow puts the odd padding position on the right: 4 left, 5 right for width 10.
    assert conv.pads == (4, 5, 2, 2)


@pytest.mark.parametrize("name", ["rnn", "lstm"])
def test_seed_rnns_read_positions_as_time_steps(name):
    torch.manual_seed(0)
    model = build_zoo_model(name, n_outputs=2, seq_len=30).eval()
    x = random_one_hot(4, 30)
    # Length-agnostic, and the last base (the last time step) moves every output.
    assert model(random_one_hot(4, 12)).shape == (4, 2)
    flipped = x.clone()
    flipped[:, :, -1] = flipped[:, :, -1].roll(1, dims=1)
    assert (model(flipped) - model(x)).abs().min() > 0


def test_late_fusion_ablations_read_one_input_each():
    seq_only = small_model("multimodal_seq")
    track_only = small_model("multimodal_track")
    assert seq_only.fusion.in_channels == 8 and seq_only.track_branch is None
    assert track_only.fusion.in_channels == 4 and track_only.seq_branch is None


def test_zoo_options_list_spec_defaults():
    assert zoo_options("deepbind") == {"filters": 16, "width": 12}
    assert zoo_options("rescnn")["dilations"] == (1, 1, 1, 1)


# ------------------------------------------------------------------------------------------------
# Errors a user can cause
# ------------------------------------------------------------------------------------------------


def test_unknown_name_lists_known_ones():
    with pytest.raises(InputError, match=r"unknown zoo model 'deepsea'; expected one of: deepbind, basset"):
        build_zoo_model("deepsea", 1, 100)


def test_unknown_option_is_named():
    with pytest.raises(InputError, match=r"model 'deepbind' has no option\(s\) kernel; expected some of"):
        build_zoo_model("deepbind", 1, 100, kernel=5)


@pytest.mark.parametrize("name", ["decode", "decode_se2kb", "factornet", "multimodal", "multimodal_track"])
def test_track_models_need_tracks(name):
    with pytest.raises(InputError, match="reads signal tracks, so n_tracks must be at least 1, got 0"):
        build_zoo_model(name, 1, 400, n_tracks=0)


def test_decode_se2kb_needs_four_track_rows():
    with pytest.raises(InputError, match=r"at least 4 track rows .* got n_tracks=3"):
        build_zoo_model("decode_se2kb", 1, 200, n_tracks=3)


@pytest.mark.parametrize(
    ("name", "length", "k", "message"),
    [
        ("deepbind", 11, 0, "seq_len=11 is too short: a valid conv of width 12 leaves 0"),
        ("basset", 160, 0, "seq_len=160 is too short: conv 3 .width 7. before pool 4 leaves 3"),
        ("danq", 37, 0, "seq_len=37 is too short: a valid conv of width 26 before pool 13 leaves 12"),
        ("deepstarr", 15, 0, "seq_len=15 is too short: 4 pools of size 2 leaves 0"),
        ("decode", 12, 5, "seq_len=12 is too short: pool 1 of size 2 before pool 2 leaves 1"),
        ("multimodal", 89, 1, "seq_len=89 is too short: a valid conv of width 26 and pool 13 leaves 4"),
    ],
)
def test_too_short_inputs_are_refused(name, length, k, message):
    with pytest.raises(InputError, match=message):
        build_zoo_model(name, 1, length, n_tracks=k)


def test_forward_refuses_wrong_shapes():
    basset = small_model("basset")
    with pytest.raises(InputError, match="Basset was built for length 100, got sequence of length 120"):
        basset(random_one_hot(2, 120))
    with pytest.raises(InputError, match=r"sequence must have shape \(N, 4, length\), got \(2, 5, 100\)"):
        basset(torch.zeros(2, 5, 100))
    factornet = small_model("factornet")
    with pytest.raises(InputError, match="sequence length 80 and tracks length 40 differ"):
        factornet(random_one_hot(2, 80), torch.rand(2, 2, 40))
    with pytest.raises(InputError, match=r"takes 2 input\(s\) \('sequence', 'tracks'\), got 1"):
        small_model("multimodal")(random_one_hot(2, 80))
    late = small_model("multimodal_seq")
    with pytest.raises(InputError, match="length 30 is shorter than the 34 positions"):
        late(random_one_hot(2, 30))


def test_bad_output_count_is_refused():
    with pytest.raises(InputError, match="n_outputs must be at least 1, got 0"):
        build_zoo_model("rescnn", 0, 100)


def test_keras_ports_start_from_keras_initialisation():
    model = small_model("danq")
    hidden = model.lstm.hidden_size
    # unit_forget_bias: forget-gate bias 1 (second quarter of bias_ih), every other bias 0.
    assert torch.equal(model.lstm.bias_ih_l0[hidden : 2 * hidden], torch.ones(hidden))
    assert model.lstm.bias_hh_l0.abs().sum() == 0 and model.conv.bias.abs().sum() == 0
    w = model.lstm.weight_hh_l0  # (4h, h) with orthonormal columns
    torch.testing.assert_close(w.T @ w, torch.eye(hidden), atol=1e-5, rtol=0)
