"""Model registry: the Koo & Eddy (2019) CNN family as plain ``nn.Module``s chosen by name.

Every model maps one-hot DNA ``(N, 4, L)`` to logits ``(N, T)``. Layer order inside each block follows the
authors' framework: convolution without bias (BatchNorm follows) -> BatchNorm -> ReLU -> max-pool ->
dropout. Convolutions use SAME padding; pools use TensorFlow SAME padding with -inf fill, which only
matters for CNN-50-2 (pool 50, stride 2). See ``shared/spec/koo_eddy.md`` section 2.

A model exposes ``conv_activations(x, layer)`` (post-ReLU, pre-pool output of conv layer ``layer``; the
activations Koo & Eddy turn into PWMs), ``penalized_parameters()`` (tensors under L2/L1) and ``l1``
(its own L1 coefficient; only CNN-50 has one in the released code).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .errors import InputError
from .zoo import ZOO, ZOO_INPUTS, build_zoo_model


def same_pool_padding(length: int, size: int, stride: int) -> tuple[int, int, int]:
    """TensorFlow SAME max-pool geometry: ``(pad_left, pad_right, out_length)``."""
    out = math.ceil(length / stride)
    total = max((out - 1) * stride + size - length, 0)
    return total // 2, total - total // 2, out


class SameMaxPool1d(nn.Module):
    """Max-pool with TensorFlow SAME padding (padding positions never win: they are -inf)."""

    def __init__(self, size: int, stride: int | None = None):
        super().__init__()
        self.size = size
        self.stride = stride or size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left, right, _ = same_pool_padding(x.shape[-1], self.size, self.stride)
        if left or right:
            x = F.pad(x, (left, right), value=float("-inf"))
        return F.max_pool1d(x, self.size, self.stride)


class ConvBlock(nn.Module):
    """Conv1d (no bias, SAME) -> BatchNorm -> ReLU -> max-pool -> dropout."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        width: int,
        pool: int,
        pool_stride: int | None,
        dropout: float,
        bn_eps: float,
        bn_momentum: float,
    ):
        super().__init__()
        self.conv = nn.Conv1d(in_ch, out_ch, width, padding="same", bias=False)
        self.bn = nn.BatchNorm1d(out_ch, eps=bn_eps, momentum=bn_momentum)
        self.act = nn.ReLU()
        self.pool = SameMaxPool1d(pool, pool_stride) if pool > 1 else nn.Identity()
        self.drop = nn.Dropout(dropout)

    def activate(self, x: torch.Tensor) -> torch.Tensor:
        """Conv -> BN -> ReLU: ``(N, C_in, L)`` -> ``(N, C_out, L)``."""
        return self.act(self.bn(self.conv(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.pool(self.activate(x)))


@dataclass(frozen=True)
class ConvSpec:
    """Architecture of a Koo & Eddy CNN (one entry per conv layer)."""

    filters: tuple[int, ...]
    widths: tuple[int, ...]
    pools: tuple[int, ...]
    pool_strides: tuple[int | None, ...] | None = None
    dense_units: int = 512
    conv_dropout: float = 0.1
    dense_dropout: float = 0.5
    l1: float = 0.0
    paper_name: str = ""


class KooEddyCNN(nn.Module):
    """Convolutional blocks -> flatten -> dense (no bias) -> BN -> ReLU -> dropout -> linear.

    Parameters
    ----------
    spec
        Layer sizes.
    n_classes
        Output units ``T``.
    seq_len
        Input length ``L`` (fixes the dense layer's input size).
    bn_eps, bn_momentum
        BatchNorm settings (TF: epsilon 1e-8, moving-average decay 0.99 -> momentum 0.01).
    """

    def __init__(
        self,
        spec: ConvSpec,
        n_classes: int = 12,
        seq_len: int = 200,
        bn_eps: float = 1e-8,
        bn_momentum: float = 0.01,
    ):
        super().__init__()
        self.spec = spec
        self.l1 = spec.l1
        self.inputs = ("sequence",)
        self.paper_name = spec.paper_name
        strides = spec.pool_strides or (None,) * len(spec.filters)
        blocks, in_ch, length = [], 4, seq_len
        for f, w, p, s in zip(spec.filters, spec.widths, spec.pools, strides, strict=True):
            blocks.append(ConvBlock(in_ch, f, w, p, s, spec.conv_dropout, bn_eps, bn_momentum))
            if p > 1:
                length = same_pool_padding(length, p, s or p)[2]
            in_ch = f
        self.convs = nn.ModuleList(blocks)
        self.flat_features = in_ch * length
        self.dense = nn.Linear(self.flat_features, spec.dense_units, bias=False)
        self.dense_bn = nn.BatchNorm1d(spec.dense_units, eps=bn_eps, momentum=bn_momentum)
        self.dense_act = nn.ReLU()
        self.dense_drop = nn.Dropout(spec.dense_dropout)
        self.out = nn.Linear(spec.dense_units, n_classes)
        self.reset_parameters()

    @property
    def n_conv_layers(self) -> int:
        return len(self.convs)

    def reset_parameters(self) -> None:
        """Glorot-uniform weights; output bias Glorot with TF's 1-D fan (sqrt of its length)."""
        for block in self.convs:
            nn.init.xavier_uniform_(block.conv.weight)
        nn.init.xavier_uniform_(self.dense.weight)
        nn.init.xavier_uniform_(self.out.weight)
        fan = math.sqrt(self.out.bias.numel())
        limit = math.sqrt(6.0 / (2 * fan))
        nn.init.uniform_(self.out.bias, -limit, limit)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 4, L)`` one-hot -> ``(N, T)`` logits."""
        for block in self.convs:
            x = block(x)
        x = self.dense_drop(self.dense_act(self.dense_bn(self.dense(x.flatten(1)))))
        return self.out(x)

    def conv_activations(self, x: torch.Tensor, layer: int = 0) -> torch.Tensor:
        """Post-BN, post-ReLU, pre-pool output of conv layer ``layer`` (0-based): ``(N, F, L)``."""
        if not 0 <= layer < len(self.convs):
            raise InputError(f"layer {layer}: model has conv layers 0..{len(self.convs) - 1}")
        for block in self.convs[:layer]:
            x = block(x)
        return self.convs[layer].activate(x)

    def penalized_parameters(self) -> list[torch.Tensor]:
        """Conv and dense weights plus the output bias (BatchNorm parameters are excluded)."""
        params = [b.conv.weight for b in self.convs]
        return [*params, self.dense.weight, self.out.weight, self.out.bias]


def _pool_model(pool1: int, width1: int = 19, filters1: int = 30, name: str = "") -> ConvSpec:
    # The second pool makes the product of the two pools 100, so every model reaches length 2.
    return ConvSpec(
        filters=(filters1, 128),
        widths=(width1, 5),
        pools=(pool1, 100 // pool1),
        paper_name=name,
    )


# Table 1 of Koo & Eddy (2019), keyed by the authors' code names.
REGISTRY: dict[str, ConvSpec] = {
    "cnn_1": _pool_model(1, name="CNN-1"),
    "cnn_2": _pool_model(2, name="CNN-2"),
    "cnn_4": _pool_model(4, name="CNN-4"),
    "cnn_10": _pool_model(10, name="CNN-10"),
    "cnn_25": _pool_model(25, name="CNN-25"),
    "cnn_50": ConvSpec((30, 128), (19, 5), (50, 2), l1=1e-6, paper_name="CNN-50"),
    "cnn_100": _pool_model(100, name="CNN-100"),
    "cnn9_4": _pool_model(4, width1=9, name="CNN9-4"),
    "cnn9_25": _pool_model(25, width1=9, name="CNN9-25"),
    "cnn3_50": _pool_model(50, width1=3, name="CNN3-50"),
    "cnn3_2": _pool_model(2, width1=3, name="CNN3-2"),
    "cnn_50_2": ConvSpec(
        (30, 64), (19, 5), (50, 50), pool_strides=(2, None), dense_units=96, paper_name="CNN-50-2"
    ),
    "cnn_2_1": ConvSpec((30, 128), (19, 1), (2, 50), paper_name="CNN(19-1)-2"),
    "cnn_25_60": _pool_model(25, filters1=60, name="CNN-25 (60 filters)"),
    "cnn_25_90": _pool_model(25, filters1=90, name="CNN-25 (90 filters)"),
    "cnn_25_120": _pool_model(25, filters1=120, name="CNN-25 (120 filters)"),
    "cnn_1_3": ConvSpec((30, 128, 128), (19, 5, 5), (1, 1, 100), paper_name="CNN-1-3"),
}

#: The Koo & Eddy models (the Table 1 study).
MODEL_NAMES = tuple(REGISTRY)
#: Every model a study may name: Koo & Eddy's and the zoo's (:mod:`seqcnn.zoo`).
ALL_MODEL_NAMES = (*MODEL_NAMES, *ZOO)


def build_model(name: str, n_classes: int = 12, seq_len: int = 200, n_tracks: int = 0, **kwargs) -> nn.Module:
    """Build a registered model by name.

    Parameters
    ----------
    name
        A name from :data:`ALL_MODEL_NAMES`.
    n_classes
        Outputs ``T``.
    seq_len
        Input length (bins for a model that reads binned tracks only).
    n_tracks
        Signal tracks the model reads beside (or instead of) the sequence.
    **kwargs
        Architecture options (zoo models) or BatchNorm settings (Koo & Eddy models).

    Raises
    ------
    InputError
        For an unknown name, listing the known ones.
    """
    if name in REGISTRY:
        return KooEddyCNN(REGISTRY[name], n_classes=n_classes, seq_len=seq_len, **kwargs)
    if name in ZOO:
        return build_zoo_model(name, n_outputs=n_classes, seq_len=seq_len, n_tracks=n_tracks, **kwargs)
    raise InputError(f"unknown model {name!r}; expected one of: {', '.join(ALL_MODEL_NAMES)}")


def model_inputs(name: str) -> tuple[str, ...]:
    """What a model reads: ``("sequence",)``, ``("tracks",)`` or ``("sequence", "tracks")``."""
    if name in REGISTRY:
        return ("sequence",)
    if name in ZOO:
        return ZOO_INPUTS[name]
    raise InputError(f"unknown model {name!r}; expected one of: {', '.join(ALL_MODEL_NAMES)}")


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (BatchNorm gamma/beta included, running stats not)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
