"""Model registry: every model a study may name, the Koo & Eddy (2019) CNN family and the zoo, by name.

:data:`MODELS` maps each name to a :class:`ModelInfo`: its family (``"koo_eddy"`` or ``"zoo"``), what it
reads, its architecture options and which conv layers can be annotated with activation PWMs, all known
without building it. :func:`build_model` builds one as a plain ``nn.Module`` mapping one-hot DNA
``(N, 4, L)`` (and/or signal tracks, see :mod:`seqcnn.zoo`) to logits ``(N, T)``.

The Koo & Eddy models are defined here. Layer order inside each block follows the authors' framework:
convolution without bias (BatchNorm follows) -> BatchNorm -> ReLU -> max-pool -> dropout. Convolutions use
SAME padding; pools use TensorFlow SAME padding with -inf fill, which only matters for CNN-50-2 (pool 50,
stride 2). See ``shared/spec/koo_eddy.md`` section 2.

A model whose conv layers can be annotated exposes ``conv_activations(x, layer)`` (post-activation,
pre-pool output of conv layer ``layer``; the activations Koo & Eddy turn into PWMs) and
``conv_offset(layer)`` (how activation positions map to input positions, see
:func:`seqcnn.motifs.activation_pwms`). Every model has ``penalized_parameters()`` (tensors under L2/L1)
and ``l1`` (its own L1 coefficient; only CNN-50 has one in the released code).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .errors import InputError
from .zoo import ZOO, build_zoo_model, zoo_options


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
        # A module, not F.max_pool1d: attribution methods (DeepLIFT) apply their max-pool rule to modules.
        self.pool = nn.MaxPool1d(self.size, self.stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left, right, _ = same_pool_padding(x.shape[-1], self.size, self.stride)
        if left or right:
            x = F.pad(x, (left, right), value=float("-inf"))
        return self.pool(x)


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

    @property
    def annotatable_layers(self) -> tuple[int, ...]:
        """Conv layers preceded only by unpooled layers: their positions are sequence positions."""
        return koo_eddy_annotatable(self.spec)

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

    def conv_offset(self, layer: int = 0) -> int | None:
        """0 for a layer at sequence resolution (SAME convs: activation ``p`` is centred on input ``p``);
        None for a layer after a max-pool, whose positions are not sequence positions."""
        if not 0 <= layer < len(self.convs):
            raise InputError(f"layer {layer}: model has conv layers 0..{len(self.convs) - 1}")
        return 0 if layer in self.annotatable_layers else None

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


def koo_eddy_annotatable(spec: ConvSpec) -> tuple[int, ...]:
    """Conv layers of ``spec`` preceded only by unpooled layers (CNN-1: 0, 1; CNN-1-3: 0, 1, 2; CNN-25: 0)."""
    return tuple(i for i in range(len(spec.filters)) if all(p == 1 for p in spec.pools[:i]))


# Table 1 of Koo & Eddy (2019), keyed by the authors' code names.
_TABLE1: dict[str, ConvSpec] = {
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


@dataclass(frozen=True)
class ModelInfo:
    """What the pipeline knows about a registered model without building it.

    Attributes
    ----------
    name
        Registry name (the ``{model}`` wildcard).
    family
        ``"koo_eddy"`` (Table 1 of Koo & Eddy 2019, and CNN-1-3) or ``"zoo"`` (:mod:`seqcnn.zoo`).
    paper_name
        Name of the architecture in its paper or seed.
    inputs
        What ``forward`` reads, in order: ``("sequence",)``, ``("tracks",)`` or ``("sequence", "tracks")``.
    options
        Architecture options :func:`build_model` accepts, with their defaults.
    n_conv_layers
        Conv layers the sequence passes through at the default options (0 for recurrent and track-only
        models).
    annotatable_layers
        0-based conv layers whose post-activation output maps back to input sequence windows, so that
        :func:`seqcnn.motifs.activation_pwms` can turn them into PWMs: for Koo & Eddy models the layers
        preceded only by unpooled layers; for zoo models ``(0,)`` when the first layer is a Conv1d over
        the one-hot sequence alone, else ``()``.
    build
        ``build(n_classes, seq_len, n_tracks, **options)``; use :func:`build_model`, which checks the options.
    spec
        Layer sizes of a Koo & Eddy model (None for zoo models).
    """

    name: str
    family: str
    paper_name: str
    inputs: tuple[str, ...]
    options: dict[str, Any] = field(hash=False)
    n_conv_layers: int
    annotatable_layers: tuple[int, ...]
    build: Callable[..., nn.Module] = field(repr=False, compare=False)
    spec: ConvSpec | None = None


def _build_koo_eddy(spec: ConvSpec, n_classes: int, seq_len: int, n_tracks: int = 0, **options) -> nn.Module:
    # Koo & Eddy models read sequence only; n_tracks is accepted so a study can pass one value to all.
    return KooEddyCNN(spec, n_classes=n_classes, seq_len=seq_len, **options)


def _build_zoo(name: str, n_classes: int, seq_len: int, n_tracks: int = 0, **options) -> nn.Module:
    return build_zoo_model(name, n_outputs=n_classes, seq_len=seq_len, n_tracks=n_tracks, **options)


_KOO_EDDY_OPTIONS = {
    p.name: p.default
    for p in inspect.signature(KooEddyCNN).parameters.values()
    if p.name not in ("spec", "n_classes", "seq_len")
}


def _registry() -> dict[str, ModelInfo]:
    models = {
        name: ModelInfo(
            name=name,
            family="koo_eddy",
            paper_name=spec.paper_name,
            inputs=("sequence",),
            options=dict(_KOO_EDDY_OPTIONS),
            n_conv_layers=len(spec.filters),
            annotatable_layers=koo_eddy_annotatable(spec),
            spec=spec,
            build=partial(_build_koo_eddy, spec),
        )
        for name, spec in _TABLE1.items()
    }
    for name, cls in ZOO.items():
        models[name] = ModelInfo(
            name=name,
            family="zoo",
            paper_name=cls.paper_name,
            inputs=tuple(cls.inputs),
            options=zoo_options(name),
            n_conv_layers=cls.n_conv_layers,
            annotatable_layers=tuple(cls.annotatable_layers),
            build=partial(_build_zoo, name),
        )
    return models


#: Every model a study may name: the Koo & Eddy family first (Table 1 order), then the zoo.
MODELS: dict[str, ModelInfo] = _registry()

#: The Koo & Eddy models (the Table 1 study), in Table 1 order.
MODEL_NAMES = tuple(n for n, m in MODELS.items() if m.family == "koo_eddy")
#: Every registered name (``tuple(MODELS)``); kept for callers of the earlier API.
ALL_MODEL_NAMES = tuple(MODELS)
#: Koo & Eddy layer sizes by name, derived from :data:`MODELS`; kept for callers of the earlier API.
REGISTRY: dict[str, ConvSpec] = {n: m.spec for n, m in MODELS.items() if m.family == "koo_eddy"}


def model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a registered model.

    Raises
    ------
    InputError
        For an unknown name, listing the known ones.
    """
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; expected one of: {', '.join(MODELS)}")
    return MODELS[name]


def build_model(
    name: str, n_classes: int = 12, seq_len: int = 200, n_tracks: int = 0, **options
) -> nn.Module:
    """Build a registered model by name.

    Parameters
    ----------
    name
        A key of :data:`MODELS`.
    n_classes
        Outputs ``T``.
    seq_len
        Input length (bins for a model that reads binned tracks only).
    n_tracks
        Signal tracks the model reads beside (or instead of) the sequence; ignored by sequence-only models.
    **options
        Architecture options (``MODELS[name].options``: layer sizes of zoo models, BatchNorm settings of
        Koo & Eddy models).

    Raises
    ------
    InputError
        For an unknown name (listing the known ones), an option the model does not have, or shapes the
        model cannot take.
    """
    info = model_info(name)
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        raise InputError(
            f"model {name!r} has no option(s) {', '.join(unknown)}; "
            f"expected some of: {', '.join(info.options) or '(none)'}"
        )
    return info.build(n_classes=n_classes, seq_len=seq_len, n_tracks=n_tracks, **options)


def model_inputs(name: str) -> tuple[str, ...]:
    """What a model reads: ``("sequence",)``, ``("tracks",)`` or ``("sequence", "tracks")``."""
    return model_info(name).inputs


class _ReachedRecurrent(Exception):
    """Raised by a hook at a model's first recurrent layer, which takes any length."""


def _stop_at_recurrent(module: nn.Module, args: Any) -> None:
    raise _ReachedRecurrent


def _meta_forward(
    name: str,
    length: int,
    n_tracks: int,
    track_length: int | None,
    options: dict[str, Any] | None,
    on_output: Callable[[torch.Tensor], None] | None = None,
) -> None:
    """Build model ``name`` on the ``meta`` device (shapes only: no memory, no arithmetic) and run one
    input through it, up to its first recurrent layer; ``on_output`` sees every leaf module's output."""
    info = model_info(name)
    with torch.device("meta"):
        model = build_model(name, n_classes=1, seq_len=length, n_tracks=n_tracks, **(options or {}))
        for module in model.modules():
            if isinstance(module, nn.RNNBase):
                module.register_forward_pre_hook(_stop_at_recurrent)
            elif on_output is not None and not any(module.children()):
                module.register_forward_hook(lambda m, args, out: on_output(out))
        inputs = {
            "sequence": torch.empty(1, 4, length),
            "tracks": torch.empty(1, max(n_tracks, 1), track_length or length),
        }
        try:
            model.eval()(*(inputs[k] for k in info.inputs))
        except _ReachedRecurrent:
            pass


def length_problem(
    name: str,
    length: int,
    n_tracks: int = 0,
    track_length: int | None = None,
    options: dict[str, Any] | None = None,
) -> str | None:
    """Why model ``name`` cannot take inputs of ``length`` positions, or None when it can.

    Checked on the ``meta`` device, so that a config can be checked before any job.

    Parameters
    ----------
    length
        Sequence positions the model sees (bins for a model that reads binned tracks only).
    n_tracks, track_length
        Signal tracks beside the sequence and their positions (default: ``length``).
    options
        Architecture options.
    """
    try:
        _meta_forward(name, length, n_tracks, track_length, options)
    except (InputError, RuntimeError, ValueError) as exc:
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        return lines[-1] if lines else type(exc).__name__
    return None


def activation_elements(
    name: str, length: int, n_tracks: int = 0, options: dict[str, Any] | None = None
) -> int:
    """Values the layers of model ``name`` produce for one input of ``length`` positions (up to its first
    recurrent layer): what a training step holds per sequence, before gradients."""
    total = 0

    def count(out: Any) -> None:
        nonlocal total
        total += sum(t.numel() for t in (out if isinstance(out, tuple) else (out,)) if torch.is_tensor(t))

    _meta_forward(name, length, n_tracks, None, options, on_output=count)
    return total


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (BatchNorm gamma/beta included, running stats not)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
