"""Model registry: published parameter counts, layer geometry, activations."""

import pytest
import torch

from seqcnn.errors import InputError
from seqcnn.models import MODEL_NAMES, SameMaxPool1d, build_model, count_parameters, same_pool_padding

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
