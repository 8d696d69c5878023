"""Model registry: published parameter counts, layer geometry, activations, one registry for all models."""

import dataclasses

import pytest
import torch

from seqcnn.errors import InputError
from seqcnn.models import (
    ALL_MODEL_NAMES,
    MODEL_NAMES,
    MODELS,
    REGISTRY,
    ModelInfo,
    SameMaxPool1d,
    build_model,
    count_parameters,
    model_inputs,
    same_pool_padding,
)
from seqcnn.zoo import ZOO, zoo_options

# Koo & Eddy spec section 2 (L = 200 / 1000). CNN-25(60/90/120) use 60/90/120 first-layer filters
# (spec section 7 decision), so their counts follow from the layer shapes.
PARAMS = {
    "cnn_1": (160_048, 684_336),
    "cnn_2": (160_048, 684_336),
    "cnn_4": (160_048, 684_336),
    "cnn_10": (160_048, 684_336),
    "cnn_25": (160_048, 684_336),
    "cnn_50": (160_048, 684_336),
    "cnn_100": (160_048, 684_336),
    "cnn9_4": (158_848, 683_136),
    "cnn9_25": (158_848, 683_136),
    "cnn3_50": (158_128, 682_416),
    "cnn3_2": (158_128, 682_416),
    "cnn_50_2": (25_712, 74_864),
    "cnn_2_1": (144_688, 668_976),
    "cnn_25_60": (181_588, 705_876),
    "cnn_25_90": (203_128, 727_416),
    "cnn_25_120": (224_668, 748_956),
    "cnn_1_3": (242_224, 766_512),
}


def test_registry_covers_table1_and_cnn_1_3():
    assert set(MODEL_NAMES) == set(PARAMS)


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_parameter_counts(name):
    assert count_parameters(build_model(name, seq_len=200)) == PARAMS[name][0]
    assert count_parameters(build_model(name, seq_len=1000)) == PARAMS[name][1]


def test_cnn_25_60_first_layer_has_60_filters():
    model = build_model("cnn_25_60")
    assert model.convs[0].conv.weight.shape == (60, 4, 19)


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_forward_shapes_and_activations(name):
    model = build_model(name, n_classes=7).eval()
    x = torch.zeros(3, 4, 200)
    x[:, 0] = 1
    assert model(x).shape == (3, 7)
    act = model.conv_activations(x, 0)
    assert act.shape == (3, model.convs[0].conv.out_channels, 200)
    assert (act >= 0).all()  # post-ReLU


def test_same_pool_geometry_matches_tensorflow():
    # CNN-50-2: pool 50, stride 2 on 200 -> 100 outputs with 24 padding positions each side.
    assert same_pool_padding(200, 50, 2) == (24, 24, 100)
    assert same_pool_padding(1000, 50, 2) == (24, 24, 500)
    assert same_pool_padding(200, 25, 25) == (0, 0, 8)
    # Padding must never win: an all-negative input still pools to negative values.
    x = -torch.ones(1, 1, 200) - torch.arange(200.0)
    y = SameMaxPool1d(50, 2)(x)
    assert y.shape == (1, 1, 100)
    assert torch.isfinite(y).all()
    assert y[0, 0, 0].item() == -1.0  # first window covers input 0..25 after 24 pad positions


def test_deeper_activations_and_bad_layer():
    model = build_model("cnn_1_3").eval()
    x = torch.zeros(2, 4, 200)
    assert model.conv_activations(x, 2).shape == (2, 128, 200)
    with pytest.raises(InputError, match="conv layers 0..2"):
        model.conv_activations(x, 3)


def test_unknown_model_names_the_choices():
    with pytest.raises(InputError, match=r"unknown model 'cnn_7'.*cnn_25"):
        build_model("cnn_7")


def test_cnn_50_alone_has_l1_and_penalized_parameters_exclude_batchnorm():
    assert {n for n in MODEL_NAMES if build_model(n).l1} == {"cnn_50"}
    model = build_model("cnn_2")
    penalized = {id(p) for p in model.penalized_parameters()}
    bn_params = [p for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d) for p in m.parameters()]
    assert not any(id(p) in penalized for p in bn_params)
    assert id(model.out.bias) in penalized
    assert sum(p.numel() for p in model.penalized_parameters()) == 2280 + 19200 + 131072 + 6156


# --------------------------------------------------------------------------------------------------
# One registry for the Koo & Eddy family and the zoo
# --------------------------------------------------------------------------------------------------

# Small shapes per zoo model, (L or B, K, options), keeping each model's default number of conv layers.
ZOO_SMALL = {
    "deepbind": (40, 0, {"filters": 4, "width": 6}),
    "basset": (100, 0, {"filters": (8, 8, 8), "widths": (5, 3, 3), "pools": (2, 2, 2), "hidden": (16, 16)}),
    "danq": (60, 0, {"filters": 8, "width": 6, "pool": 5, "lstm_units": 4, "hidden": 8}),
    "danq_mini": (50, 0, {}),
    "deepstarr": (64, 0, {"filters": (8, 8, 8, 8), "hidden": (16, 16)}),
    "decode": (40, 3, {"filters": (8, 8, 8, 8), "late_filters": (8, 8, 8), "hidden": 16}),
    "decode_se2kb": (20, 4, {"filters": (8,) * 7, "hidden": (16, 16, 8)}),
    "rescnn": (50, 0, {"channels": 8}),
    "rnn": (30, 0, {"hidden": 8}),
    "lstm": (30, 0, {"hidden": 8}),
    "factornet": (80, 2, {"filters": 8, "width": 10, "pool": 5, "position_units": 8, "lstm_units": 4}),
    "multimodal": (80, 2, {"seq_filters": 8, "track_filters": 4, "width": 10, "pool": 5}),
    "multimodal_seq": (80, 0, {"seq_filters": 8, "track_filters": 4, "width": 10, "pool": 5}),
    "multimodal_track": (80, 2, {"seq_filters": 8, "track_filters": 4, "width": 10, "pool": 5}),
}


def small(name: str) -> tuple[torch.nn.Module, int]:
    length, k, options = ZOO_SMALL.get(name, (100, 0, {}))
    return build_model(name, n_classes=2, seq_len=length, n_tracks=k, **options).eval(), length


def test_one_registry_behind_the_old_names():
    assert MODEL_NAMES == tuple(n for n, m in MODELS.items() if m.family == "koo_eddy")
    assert ALL_MODEL_NAMES == tuple(MODELS) == (*MODEL_NAMES, *ZOO)
    assert set(ZOO_SMALL) == set(ZOO) == {n for n, m in MODELS.items() if m.family == "zoo"}
    assert set(REGISTRY) == set(MODEL_NAMES) and all(REGISTRY[n] is MODELS[n].spec for n in MODEL_NAMES)
    assert all(zoo_options(n) == MODELS[n].options for n in ZOO)
    assert all(MODELS[n].name == n and model_inputs(n) == MODELS[n].inputs for n in MODELS)
    info = MODELS["cnn_1"]
    assert isinstance(info, ModelInfo) and info.annotatable_layers == (0, 1)
    assert MODELS["cnn_1_3"].annotatable_layers == (0, 1, 2) and MODELS["cnn_25"].annotatable_layers == (0,)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.n_conv_layers = 3
    with pytest.raises(
        InputError, match=r"model 'cnn_25' has no option\(s\) filters; expected some of: bn_eps"
    ):
        build_model("cnn_25", filters=60)


def _sequence_convs(model: torch.nn.Module) -> int:
    track_branch = getattr(model, "track_branch", None)
    skip = set() if track_branch is None else {id(m) for m in track_branch.modules()}
    return sum(isinstance(m, torch.nn.Conv1d) and id(m) not in skip for m in model.modules())


@pytest.mark.parametrize("name", list(MODELS))
def test_registry_entry_agrees_with_the_built_model(name):
    info = MODELS[name]
    model, length = small(name)
    assert model.inputs == info.inputs and model.paper_name == info.paper_name
    assert info.family == ("koo_eddy" if name in MODEL_NAMES else "zoo")
    assert model.n_conv_layers == info.n_conv_layers
    assert info.n_conv_layers == (_sequence_convs(model) if "sequence" in info.inputs else 0)
    if info.inputs != ("sequence",):
        assert info.annotatable_layers == ()
    assert set(info.annotatable_layers) <= set(range(info.n_conv_layers))

    torch.manual_seed(0)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (8, length)), 4).transpose(1, 2).float()
    for layer in info.annotatable_layers:
        act = model.conv_activations(x, layer)
        offset = model.conv_offset(layer)
        assert act.dim() == 3 and act.shape[0] == 8 and (act >= 0).all()
        assert act.shape[2] in (length - 2 * offset, length - 2 * offset - 1)
        # Activation p reads the input window centred on p + offset (the left centre for even widths).
        p = act.shape[2] // 2
        xg = x.clone().requires_grad_()
        model.conv_activations(xg, layer)[:, :, p].sum().backward()
        reached = torch.nonzero(xg.grad.abs().sum(dim=(0, 1))).flatten()
        assert (reached.min() + reached.max()).item() // 2 == p + offset
    for layer in set(range(info.n_conv_layers)) - set(info.annotatable_layers):
        if info.family == "koo_eddy":
            assert model.conv_offset(layer) is None  # follows a max-pool
        else:
            with pytest.raises(InputError, match=f"layer {layer}: "):
                model.conv_activations(x, layer)
    if not info.annotatable_layers and info.family == "zoo":
        with pytest.raises(InputError, match="cannot be annotated"):
            model.conv_offset(0)
