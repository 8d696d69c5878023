"""The seeds' model zoo: classic regulatory-genomics networks as plain ``nn.Module``s chosen by name.

Each class re-implements one architecture of ``shared/spec/architectures.md`` (DeepBind seed, Basset, DanQ and
the seed mini-DanQ, DeepSTARR, DECODE v8 and its 2 kb SE-CNN, the seed-style pre-activation ResCNN, the seed
RNN/LSTM, and FactorNet-style early fusion and two-branch late fusion of sequence and chromatin
accessibility). They share one interface so the training loop can treat them alike: the constructor takes
``n_outputs``, ``seq_len`` (sequence length ``L``, or bins ``B`` for a model that reads tracks only) and
``n_tracks`` plus architecture options whose defaults are the spec's; ``inputs`` names what ``forward`` reads,
in order (one-hot ``(N, 4, L)`` ACGT sequence and/or float tracks, ``(N, K, L)`` beside a sequence or
``(N, K, B)`` for DECODE); ``forward`` returns raw logits or values ``(N, T)`` (any sigmoid belongs to the
loss or to inference); ``penalized_parameters()`` lists the conv, linear and LSTM weight matrices for an L2
penalty. Models whose first layer is a Conv1d over the one-hot sequence alone expose its post-activation
output, ``conv_activations(x, 0)``, and where activation positions sit in the input, ``conv_offset(0)``, so
their first-layer filters can be annotated with activation PWMs like Koo & Eddy's
(:func:`seqcnn.motifs.activation_pwms`). Shapes a model cannot take raise :class:`~seqcnn.errors.InputError`
when it is built, and a tensor of the wrong shape raises it in ``forward``, before any layer sees it. Ports of
Keras models (DanQ, DeepSTARR, DECODE, FactorNet) start from Keras's default initialisation
(:func:`keras_init`); the Torch7 and PyTorch originals keep PyTorch's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .errors import InputError

SEQUENCE = ("sequence",)
TRACKS = ("tracks",)
SEQUENCE_AND_TRACKS = ("sequence", "tracks")


# ----------------------------------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------------------------------


class ZooModel(nn.Module):
    """Base class: the attributes, input checks and penalty list every zoo model shares.

    Parameters
    ----------
    n_outputs
        Outputs ``T``.
    seq_len
        Sequence length ``L`` (bins ``B`` for a model that reads tracks only).
    n_tracks
        Signal tracks ``K``. Ignored (stored as 0) by a model that reads sequence only, so a study can pass
        one value to every model it compares.

    Attributes
    ----------
    inputs
        What ``forward`` reads, in argument order.
    input_length
        ``seq_len`` as built.
    in_channels
        Input rows over all inputs: 4 for sequence, ``K`` for tracks, ``4 + K`` for both.
    n_outputs, n_tracks, paper_name
        As built; ``paper_name`` names the architecture in its paper or seed.
    l1
        The model's own L1 coefficient (0 for every zoo model).
    n_conv_layers
        Conv layers the sequence passes through (0 for recurrent and track-only models).
    annotatable_layers
        Conv layers :meth:`conv_activations` serves: ``(0,)`` when the first layer is a Conv1d over the
        one-hot sequence alone, else ``()``.
    """

    #: What ``forward`` reads, in argument order.
    inputs: tuple[str, ...] = SEQUENCE
    #: Name of the architecture in its paper or seed.
    paper_name: str = ""
    #: Conv layers the sequence passes through, at the default options (instances count their own).
    n_conv_layers: int = 0
    #: Conv layers whose activations map back to input sequence windows.
    annotatable_layers: tuple[int, ...] = ()

    def __init__(self, n_outputs: int, seq_len: int, n_tracks: int = 0):
        super().__init__()
        name = type(self).__name__
        if n_outputs < 1:
            raise InputError(f"{name}: n_outputs must be at least 1, got {n_outputs}")
        if seq_len < 1:
            raise InputError(f"{name}: seq_len must be at least 1, got {seq_len}")
        if "tracks" in self.inputs and n_tracks < 1:
            raise InputError(
                f"{name} reads signal tracks, so n_tracks must be at least 1, got {n_tracks} "
                "(build it on a dataset with tracks)"
            )
        self.n_outputs = n_outputs
        self.input_length = seq_len
        self.n_tracks = n_tracks if "tracks" in self.inputs else 0
        self.in_channels = 4 * ("sequence" in self.inputs) + self.n_tracks
        self.l1 = 0.0
        # Models whose dense layers are sized from the length accept only that length; the others
        # (global pooling, last RNN step) accept any length from ``min_length`` up.
        self.fixed_length = True
        self.min_length = 1

    def _require(self, length: int, minimum: int, why: str) -> None:
        """Raise if a computed length along the way is below ``minimum``."""
        if length < minimum:
            raise InputError(
                f"{type(self).__name__}: seq_len={self.input_length} is too short: {why} leaves "
                f"{max(length, 0)} position(s), needs at least {minimum}"
            )

    def _check(self, *tensors: torch.Tensor) -> None:
        """Check ``forward``'s tensors against ``inputs``, channel counts and (when fixed) length."""
        name = type(self).__name__
        if len(tensors) != len(self.inputs):
            raise InputError(f"{name} takes {len(self.inputs)} input(s) {self.inputs}, got {len(tensors)}")
        if len(tensors) == 2 and tensors[0].shape[-1] != tensors[1].shape[-1]:
            # Per-base tracks beside a sequence must line up with it base by base.
            raise InputError(
                f"{name}: sequence length {tensors[0].shape[-1]} and tracks length "
                f"{tensors[1].shape[-1]} differ (tracks must be per-base)"
            )
        for what, x in zip(self.inputs, tensors, strict=True):
            channels = 4 if what == "sequence" else self.n_tracks
            if x.dim() != 3 or x.shape[1] != channels:
                raise InputError(
                    f"{name}: {what} must have shape (N, {channels}, length), got {tuple(x.shape)}"
                )
            if self.fixed_length and x.shape[2] != self.input_length:
                raise InputError(
                    f"{name} was built for length {self.input_length}, got {what} of length {x.shape[2]}"
                )
            if x.shape[2] < self.min_length:
                raise InputError(
                    f"{name}: {what} of length {x.shape[2]} is shorter than the {self.min_length} "
                    "positions its convolutions and pools need"
                )

    def penalized_parameters(self) -> list[torch.Tensor]:
        """Conv, linear and LSTM weight matrices (every parameter with more than one dimension).

        Biases and BatchNorm scales are 1-D, so they stay out of the penalty as in the original
        frameworks' default kernel regularisers.
        """
        return [p for p in self.parameters() if p.dim() > 1]

    def _annotatable(self, layer: int) -> None:
        if layer not in self.annotatable_layers:
            name = type(self).__name__
            if not self.annotatable_layers:
                raise InputError(
                    f"layer {layer}: {name} has no conv layer over the sequence alone whose activations "
                    "map back to sequence windows, so its filters cannot be annotated"
                )
            raise InputError(
                f"layer {layer}: {name} serves activations of conv layer(s) "
                f"{', '.join(map(str, self.annotatable_layers))} only"
            )

    def conv_activations(self, x: torch.Tensor, layer: int = 0) -> torch.Tensor:
        """Post-activation, pre-pool output of the first conv: ``(N, 4, L)`` -> ``(N, F, L_act)``.

        After BatchNorm and ReLU where the architecture has them, before any pool or dropout.
        ``L_act = L - w + 1`` for a valid conv of width ``w``, ``L`` for a "same" one; activation ``p``
        covers the input window centred on ``p + conv_offset(layer)``.

        Raises
        ------
        InputError
            For a layer not in :attr:`annotatable_layers`, or a tensor of the wrong shape.
        """
        self._annotatable(layer)
        self._check(x)
        return self._first_activations(x)

    def conv_offset(self, layer: int = 0) -> int:
        """Input position of the centre of activation 0 of conv layer ``layer``: ``(w - 1) // 2`` for a
        valid conv of width ``w``, 0 for a "same" one (activation ``p`` is centred on ``p + offset``)."""
        self._annotatable(layer)
        return _window_offset(self._first_conv())

    def _first_conv(self) -> nn.Conv1d:
        raise NotImplementedError

    def _first_activations(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def _window_offset(conv: nn.Conv1d) -> int:
    """Input position of the centre of output 0 of a stride-1 Conv1d (0 for "same" padding).

    A conv of (dilated) width ``w`` and padding ``q`` makes output ``p`` cover inputs ``p - q`` to
    ``p - q + w - 1``, centred on ``p - q + (w - 1) // 2`` (the left of the two centres for even ``w``).
    """
    if conv.padding == "same":
        return 0
    width = conv.dilation[0] * (conv.kernel_size[0] - 1) + 1
    return (width - 1) // 2 - conv.padding[0]


def _conv_out(length: int, width: int) -> int:
    """Length after a valid convolution."""
    return length - width + 1


def global_max(pool: nn.MaxPool1d, x: torch.Tensor) -> torch.Tensor:
    """Max over positions, ``(N, C, L)`` -> ``(N, C)``, through a pooling module sized to ``L`` at call time.

    Attribution methods (DeepLIFT) apply their max-pool rule to ``nn.MaxPool1d`` modules; a bare ``amax``
    would be treated as linear and its attributions would not sum to the output difference.
    """
    pool.kernel_size = pool.stride = x.shape[-1]
    return pool(x).squeeze(-1)


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow "same" padding (the extra position of an even kernel goes right/bottom).

    PyTorch's ``padding="same"`` gives the same output but warns that an even kernel makes it copy the
    input internally; padding explicitly states the geometry once and raises no warning.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: tuple[int, int]):
        super().__init__(in_ch, out_ch, kernel)
        pads: list[int] = []
        for k in reversed(kernel):  # F.pad lists the last dimension first
            pads += [(k - 1) // 2, k - 1 - (k - 1) // 2]
        self.pads = tuple(pads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.pads))


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation: global average pool -> Linear(C->C/r) -> ReLU -> Linear -> sigmoid -> scale.

    Parameters
    ----------
    channels
        Channels ``C`` of the ``(N, C, H, W)`` input.
    reduction
        ``r``; the bottleneck keeps at least one unit so small test models still work.
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.down = nn.Linear(channels, hidden)
        self.up = nn.Linear(hidden, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.sigmoid(self.up(F.relu(self.down(x.mean(dim=(2, 3))))))
        return x * w[:, :, None, None]


class Conv2dSE(nn.Module):
    """DECODE layer: Conv2d -> ReLU -> squeeze-excite (no skip connection, despite "ResNet" names)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: tuple[int, int], same: bool, reduction: int):
        super().__init__()
        self.conv = SameConv2d(in_ch, out_ch, kernel) if same else nn.Conv2d(in_ch, out_ch, kernel)
        self.se = SqueezeExcite(out_ch, reduction)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.se(F.relu(self.conv(x)))


def keras_init(model: nn.Module) -> None:
    """Re-initialise ``model`` as Keras does by default, for ports of Keras models.

    Conv and dense kernels are Glorot-uniform with zero biases; LSTMs get Glorot input kernels, orthogonal
    recurrent kernels and zero biases except a forget-gate bias of 1 (``unit_forget_bias``). PyTorch's
    default (uniform with bound ``1/sqrt(fan_in)`` and non-zero biases) lets the across-sample signal of a
    deep plain stack such as DECODE fade to about 1e-6 of its input by the flatten, and the network then
    fits only the base rate. BatchNorm keeps gamma 1, beta 0 in both frameworks.
    """
    for module in model.modules():
        if isinstance(module, nn.Conv1d | nn.Conv2d | nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LSTM):
            for name, param in module.named_parameters():
                if name.startswith("weight_ih"):
                    nn.init.xavier_uniform_(param)
                elif name.startswith("weight_hh"):
                    nn.init.orthogonal_(param)
                else:
                    nn.init.zeros_(param)
                    if name.startswith("bias_ih"):
                        # PyTorch gate order i, f, g, o: the second quarter is the forget gate.
                        with torch.no_grad():
                            param[module.hidden_size : 2 * module.hidden_size] = 1.0


def _dense_stack(in_features: int, units: Sequence[int], dropout: float, bn: dict | None) -> nn.Sequential:
    """Linear -> [BatchNorm] -> ReLU -> Dropout for each width in ``units``."""
    layers: list[nn.Module] = []
    for u in units:
        layers.append(nn.Linear(in_features, u))
        if bn is not None:
            layers.append(nn.BatchNorm1d(u, **bn))
        layers += [nn.ReLU(), nn.Dropout(dropout)]
        in_features = u
    return nn.Sequential(*layers)


# ----------------------------------------------------------------------------------------------------
# Sequence models
# ----------------------------------------------------------------------------------------------------


class DeepBindSeed(ZooModel):
    """DeepBind as in lecture seed 004 (spec section 1a): one conv, global max, one linear unit per output.

    ``(N, 4, L)`` -> Conv1d(4->F, k, valid) -> ReLU -> max over positions -> Linear(F->T). 801 parameters
    at the defaults with ``T = 1``. Global pooling makes it length-agnostic; ``seq_len`` is only checked
    against the kernel.

    Parameters
    ----------
    n_outputs, seq_len, n_tracks
        See :class:`ZooModel` (``n_tracks`` is ignored).
    filters
        Motif detectors ``F``.
    width
        Detector length ``k``.
    """

    paper_name = "DeepBind (seed)"
    n_conv_layers = 1
    annotatable_layers = (0,)

    def __init__(self, n_outputs: int, seq_len: int, n_tracks: int = 0, filters: int = 16, width: int = 12):
        super().__init__(n_outputs, seq_len, n_tracks)
        self._require(_conv_out(seq_len, width), 1, f"a valid conv of width {width}")
        self.fixed_length, self.min_length = False, width
        self.conv = nn.Conv1d(4, filters, width)
        self.act = nn.ReLU()
        self.gmax = nn.MaxPool1d(1)
        self.out = nn.Linear(filters, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 4, L)`` one-hot -> ``(N, T)`` logits."""
        self._check(x)
        return self.out(global_max(self.gmax, self.act(self.conv(x))))

    def _first_conv(self) -> nn.Conv1d:
        return self.conv

    def _first_activations(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


class Basset(ZooModel):
    """Basset in the released pretrained layout (spec section 2).

    Three blocks of valid Conv1d (with bias) -> BatchNorm -> ReLU -> MaxPool (floor), flatten, two blocks of
    Linear -> BatchNorm -> ReLU -> Dropout, and Linear to ``T``. The flatten size follows from ``seq_len``
    (2000 at L = 600); 4,135,064 parameters at L = 600, T = 164.

    Parameters
    ----------
    n_outputs, seq_len, n_tracks
        See :class:`ZooModel` (``n_tracks`` is ignored).
    filters, widths, pools
        Per conv block: output channels, kernel width, pool size (= stride).
    hidden
        Widths of the hidden dense layers.
    dropout
        Dropout after each hidden dense layer.
    """

    paper_name = "Basset"
    n_conv_layers = 3
    annotatable_layers = (0,)

    def __init__(
        self,
        n_outputs: int,
        seq_len: int,
        n_tracks: int = 0,
        filters: Sequence[int] = (300, 200, 200),
        widths: Sequence[int] = (19, 11, 7),
        pools: Sequence[int] = (3, 4, 4),
        hidden: Sequence[int] = (1000, 1000),
        dropout: float = 0.3,
    ):
        super().__init__(n_outputs, seq_len, n_tracks)
        layers: list[nn.Module] = []
        in_ch, length = 4, seq_len
        for i, (f, w, p) in enumerate(zip(filters, widths, pools, strict=True), start=1):
            length = _conv_out(length, w)
            self._require(length, p, f"conv {i} (width {w}) before pool {p}")
            length //= p
            layers += [nn.Conv1d(in_ch, f, w), nn.BatchNorm1d(f), nn.ReLU(), nn.MaxPool1d(p)]
            in_ch = f
        self.convs = nn.Sequential(*layers)
        self.n_conv_layers = len(filters)
        self.flat_features = in_ch * length
        self.dense = _dense_stack(self.flat_features, hidden, dropout, bn={})
        self.out = nn.Linear(hidden[-1] if hidden else self.flat_features, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 4, L)`` one-hot -> ``(N, T)`` logits."""
        self._check(x)
        return self.out(self.dense(self.convs(x).flatten(1)))

    def _first_conv(self) -> nn.Conv1d:
        return self.convs[0]

    def _first_activations(self, x: torch.Tensor) -> torch.Tensor:
        return self.convs[:3](x)  # conv 1 -> BatchNorm -> ReLU


class DanQ(ZooModel):
    """DanQ (spec section 3): conv motif scanner, BiLSTM over the pooled positions, dense classifier.

    Conv1d(4->320, k=26, valid) -> ReLU -> MaxPool 13 -> Dropout 0.2 -> BiLSTM(320, every step) ->
    Dropout 0.5 -> flatten -> Linear(->925) -> ReLU -> Linear(->T). 46,929,039 parameters at L = 1000,
    T = 919 (PyTorch LSTMs carry two bias vectors, hence 2,560 more than Keras). Keras initialisation.

    Parameters
    ----------
    n_outputs, seq_len, n_tracks
        See :class:`ZooModel` (``n_tracks`` is ignored).
    filters, width, pool
        Conv channels, kernel width and pool size (= stride).
    lstm_units
        Hidden units per LSTM direction.
    hidden
        Width of the dense layer.
    conv_dropout, dropout
        Dropout after the pool and after the LSTM.
    """

    paper_name = "DanQ"
    n_conv_layers = 1
    annotatable_layers = (0,)

    def __init__(
        self,
        n_outputs: int,
        seq_len: int,
        n_tracks: int = 0,
        filters: int = 320,
        width: int = 26,
        pool: int = 13,
        lstm_units: int = 320,
        hidden: int = 925,
        conv_dropout: float = 0.2,
        dropout: float = 0.5,
    ):
        super().__init__(n_outputs, seq_len, n_tracks)
        length = _conv_out(seq_len, width)
        self._require(length, pool, f"a valid conv of width {width} before pool {pool}")
        self.steps = length // pool
        self.conv = nn.Conv1d(4, filters, width)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool1d(pool)
        self.conv_drop = nn.Dropout(conv_dropout)
        self.lstm = nn.LSTM(filters, lstm_units, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(dropout)
        self.dense = nn.Linear(self.steps * 2 * lstm_units, hidden)
        self.dense_act = nn.ReLU()
        self.out = nn.Linear(hidden, n_outputs)
        keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 4, L)`` one-hot -> ``(N, T)`` logits."""
        self._check(x)
        h = self.conv_drop(self.pool(self.act(self.conv(x))))
        h, _ = self.lstm(h.transpose(1, 2))  # (N, steps, 2 * units)
        return self.out(self.dense_act(self.dense(self.drop(h).flatten(1))))

    def _first_conv(self) -> nn.Conv1d:
        return self.conv

    def _first_activations(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


class MiniDanQ(ZooModel):
    """Seed mini-DanQ (spec section 3b): a small conv + BiLSTM that keeps the max over time.

    Conv1d(4->4, k=20, valid) -> ReLU -> MaxPool 2 -> BiLSTM(20) -> max over time -> Dropout 0.5 ->
    Linear(40->25) -> ReLU -> Linear(25->T). 5,535 parameters at L = 200, T = 1 (5,821 at T = 12). The max
    over time makes it length-agnostic; ``seq_len`` is only checked against the conv and pool.

    Parameters
    ----------
    n_outputs, seq_len, n_tracks
        See :class:`ZooModel` (``n_tracks`` is ignored).
    filters, width, pool
        Conv channels, kernel width and pool size (= stride).
    lstm_units
        Hidden units per LSTM direction.
    hidden
        Width of the dense layer.
    dropout
        Dropout after the max over time.
    """

    paper_name = "mini-DanQ (seed)"
    n_conv_layers = 1
    annotatable_layers = (0,)

    def __init__(
        self,
        n_outputs: int,
        seq_len: int,
        n_tracks: int = 0,
        filters: int = 4,
        width: int = 20,
        pool: int = 2,
        lstm_units: int = 20,
        hidden: int = 25,
        dropout: float = 0.5,
    ):
        super().__init__(n_outputs, seq_len, n_tracks)
        self._require(_conv_out(seq_len, width), pool, f"a valid conv of width {width} before pool {pool}")
        self.fixed_length, self.min_length = False, width + pool - 1
        self.conv = nn.Conv1d(4, filters, width)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool1d(pool)
        self.lstm = nn.LSTM(filters, lstm_units, batch_first=True, bidirectional=True)
        self.gmax = nn.MaxPool1d(1)
        self.drop = nn.Dropout(dropout)
        self.dense = nn.Linear(2 * lstm_units, hidden)
        self.dense_act = nn.ReLU()
        self.out = nn.Linear(hidden, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 4, L)`` one-hot -> ``(N, T)`` logits."""
        self._check(x)
        h, _ = self.lstm(self.pool(self.act(self.conv(x))).transpose(1, 2))
        h = global_max(self.gmax, h.transpose(1, 2))
        return self.out(self.dense_act(self.dense(self.drop(h))))

    def _first_conv(self) -> nn.Conv1d:
        return self.conv

    def _first_activations(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


class DeepSTARR(ZooModel):
    """DeepSTARR (spec section 4): four "same" conv blocks, two dense blocks, one linear output per task.

    Each conv block is Conv1d (with bias) -> BatchNorm -> ReLU -> MaxPool 2 (floor); each dense block is
    Linear -> BatchNorm -> ReLU -> Dropout 0.4. The paper's separate Dev and Hk heads are one
    Linear(256->T), which has the same weights as T heads of 257 parameters. 622,722 parameters at
    L = 249, T = 2. BatchNorm uses Keras's settings (epsilon 1e-3, momentum 0.99 = PyTorch 0.01), and the
    weights Keras's initialisation.

    Parameters
    ----------
    n_outputs, seq_len, n_tracks
        See :class:`ZooModel` (``n_tracks`` is ignored).
    filters, widths
        Per conv block: output channels and kernel width.
    pool
        Pool size (= stride) after every conv block.
    hidden
        Widths of the dense blocks.
    dropout
        Dropout after each dense block.
    bn_eps, bn_momentum
        BatchNorm settings (PyTorch convention for the momentum).
    """

    paper_name = "DeepSTARR"
    n_conv_layers = 4
    annotatable_layers = (0,)

    def __init__(
        self,
        n_outputs: int,
        seq_len: int,
        n_tracks: int = 0,
        filters: Sequence[int] = (256, 60, 60, 120),
        widths: Sequence[int] = (7, 3, 5, 3),
        pool: int = 2,
        hidden: Sequence[int] = (256, 256),
        dropout: float = 0.4,
        bn_eps: float = 1e-3,
        bn_momentum: float = 0.01,
    ):
        super().__init__(n_outputs, seq_len, n_tracks)
        bn = {"eps": bn_eps, "momentum": bn_momentum}
        # Floor after floor equals one floor division by the product of the pools.
        length = seq_len // pool ** len(filters)
        self._require(length, 1, f"{len(filters)} pools of size {pool}")
        layers: list[nn.Module] = []
        in_ch = 4
        for f, w in zip(filters, widths, strict=True):
            layers += [
                nn.Conv1d(in_ch, f, w, padding="same"),
                nn.BatchNorm1d(f, **bn),
                nn.ReLU(),
                nn.MaxPool1d(pool),
            ]
            in_ch = f
        self.convs = nn.Sequential(*layers)
        self.n_conv_layers = len(filters)
        self.flat_features = in_ch * length
        self.dense = _dense_stack(self.flat_features, hidden, dropout, bn=bn)
        self.out = nn.Linear(hidden[-1] if hidden else self.flat_features, n_outputs)
        keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 4, L)`` one-hot -> ``(N, T)`` values (one per task)."""
        self._check(x)
        return self.out(self.dense(self.convs(x).flatten(1)))

    def _first_conv(self) -> nn.Conv1d:
        return self.convs[0]

    def _first_activations(self, x: torch.Tensor) -> torch.Tensor:
        return self.convs[:3](x)  # "same" conv 1 -> BatchNorm -> ReLU


class PreActBlock(nn.Module):
    """``h <- h + conv(ReLU(BN(h)))``: the identity path carries ``h`` unchanged, so the block can also
    lower activations (the seed's argument against ``x + ReLU(h)``)."""

    def __init__(self, channels: int, width: int, dilation: int):
        super().__init__()
        self.bn = nn.BatchNorm1d(channels)
        self.act = nn.ReLU()
        self.conv = nn.Conv1d(channels, channels, width, padding="same", dilation=dilation)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.conv(self.act(self.bn(h)))


class ResCNN(ZooModel):
    """Seed-style pre-activation residual 1-D CNN (spec section 6; a project design).

    Stem Conv1d(4->C, k=19, same) without activation -> pre-activation blocks (k=5, same, one per
    dilation) -> BN -> ReLU -> concat(global max, global mean) -> Linear(2C->T). 339,585 parameters at
    C = 128, T = 1. Length-agnostic.

    Parameters
    ----------
    n_outputs, seq_len, n_tracks
        See :class:`ZooModel` (``n_tracks`` is ignored).
    channels
        Width ``C`` of the stem and the blocks.
    stem_width, width
        Kernel widths of the stem and of each block's conv.
    dilations
        One block per entry; ``(1, 2, 4, 8)`` widens the receptive field from 35 to 79 bp.
    """

    paper_name = "ResCNN1D (seed style)"
    n_conv_layers = 5
    annotatable_layers = (0,)

    def __init__(
        self,
        n_outputs: int,
        seq_len: int,
        n_tracks: int = 0,
        channels: int = 128,
        stem_width: int = 19,
        width: int = 5,
        dilations: Sequence[int] = (1, 1, 1, 1),
    ):
        super().__init__(n_outputs, seq_len, n_tracks)
        self.fixed_length = False
        self.stem = nn.Conv1d(4, channels, stem_width, padding="same")
        self.blocks = nn.Sequential(*(PreActBlock(channels, width, d) for d in dilations))
        self.n_conv_layers = 1 + len(dilations)
        self.bn = nn.BatchNorm1d(channels)
        self.act = nn.ReLU()
        self.gmax = nn.MaxPool1d(1)
        self.out = nn.Linear(2 * channels, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 4, L)`` one-hot -> ``(N, T)`` logits."""
        self._check(x)
        h = self.act(self.bn(self.blocks(self.stem(x))))
        return self.out(torch.cat([global_max(self.gmax, h), h.mean(dim=2)], dim=1))

    def _first_conv(self) -> nn.Conv1d:
        return self.stem

    def _first_activations(self, x: torch.Tensor) -> torch.Tensor:
        # The stem has no activation of its own: in a pre-activation network the stem's output is
        # activated by the first block's BN -> ReLU (the final BN -> ReLU when there are no blocks).
        bn = self.blocks[0].bn if len(self.blocks) else self.bn
        return torch.relu(bn(self.stem(x)))


class _SeedRecurrent(ZooModel):
    """Seed RNN classifier (spec section 7): recurrent layer over ``(N, L, 4)`` -> last step -> Linear."""

    recurrent: type[nn.RNNBase] = nn.RNN

    def __init__(self, n_outputs: int, seq_len: int, n_tracks: int = 0, hidden: int = 18):
        super().__init__(n_outputs, seq_len, n_tracks)
        self.fixed_length = False
        self.rnn = self.recurrent(4, hidden, batch_first=True)
        self.out = nn.Linear(hidden, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 4, L)`` one-hot -> ``(N, T)`` logits (transposed to the seed's ``(N, L, 4)`` inside)."""
        self._check(x)
        h, _ = self.rnn(x.transpose(1, 2))
        # Only the last step: the seed's design, whose 5' memory problem the comparison is about.
        return self.out(h[:, -1])


class SeedRNN(_SeedRecurrent):
    """Seed SimpleRNN: ``nn.RNN(4, 18)`` -> last step -> Linear(18->T); 470 parameters at T = 2.

    Parameters
    ----------
    n_outputs, seq_len, n_tracks
        See :class:`ZooModel` (``n_tracks`` is ignored).
    hidden
        Hidden units.
    """

    paper_name = "SimpleRNN (seed)"
    recurrent = nn.RNN


class SeedLSTM(_SeedRecurrent):
    """Seed SimpleLSTM: ``nn.LSTM(4, 18)`` -> last step -> Linear(18->T); 1,766 parameters at T = 2.

    Parameters
    ----------
    n_outputs, seq_len, n_tracks
        See :class:`ZooModel` (``n_tracks`` is ignored).
    hidden
        Hidden units.
    """

    paper_name = "SimpleLSTM (seed)"
    recurrent = nn.LSTM


# ----------------------------------------------------------------------------------------------------
# Track models
# ----------------------------------------------------------------------------------------------------


class DECODE(ZooModel):
    """DECODE v8, the 4 kb enhancer classifier over binned epigenomic tracks (spec section 5b).

    Tracks ``(N, K, B)`` become a one-channel image ``(N, 1, K, B)``. Layers 1-3 are "same" Conv2d of
    kernel (K, 10), layer 4 the same kernel "valid", which collapses the track axis to one row; each conv
    is followed by ReLU and a squeeze-excite block. MaxPool (1, 2), three "same" (1, 4) convs with SE,
    MaxPool (1, 2), flatten, Dense 256 -> ReLU -> Dropout 0.4 -> Linear(->T). The published kernel height
    is 5 for its 5 tracks; using K keeps the collapse for any K and is exactly the spec at K = 5
    (4,300,841 parameters at K = 5, B = 400, T = 1). The dense layer's ReLU is assumed (the spec lists no
    activation there). Keras initialisation: under PyTorch's default the 8-conv plain stack passes almost
    no sample-to-sample signal to the flatten and fits only the base rate.

    Parameters
    ----------
    n_outputs
        Outputs ``T``.
    seq_len
        Bins ``B``.
    n_tracks
        Track rows ``K`` (at least 1). Fix one track order and keep it (the spec warns the releases differ).
    filters, width
        Channels of layers 1-4 and their kernel width along bins.
    late_filters, late_width
        Channels of layers 6-8 and their kernel width.
    pool
        Pool size (= stride) along bins.
    hidden
        Width of the dense layer.
    dropout
        Dropout after the dense layer.
    se_reduction
        Squeeze-excite bottleneck ratio.
    """

    inputs = TRACKS
    paper_name = "DECODE v8"

    def __init__(
        self,
        n_outputs: int,
        seq_len: int,
        n_tracks: int = 0,
        filters: Sequence[int] = (128, 64, 64, 128),
        width: int = 10,
        late_filters: Sequence[int] = (64, 64, 128),
        late_width: int = 4,
        pool: int = 2,
        hidden: int = 256,
        dropout: float = 0.4,
        se_reduction: int = 16,
    ):
        super().__init__(n_outputs, seq_len, n_tracks)
        k = n_tracks
        length = _conv_out(seq_len, width)
        self._require(length, pool, f"the valid conv of width {width} before pool {pool}")
        length //= pool
        self._require(length, pool, f"pool 1 of size {pool} before pool 2")
        length //= pool
        layers: list[nn.Module] = []
        in_ch = 1
        for i, f in enumerate(filters):
            layers.append(Conv2dSE(in_ch, f, (k, width), same=i < len(filters) - 1, reduction=se_reduction))
            in_ch = f
        layers.append(nn.MaxPool2d((1, pool)))
        for f in late_filters:
            layers.append(Conv2dSE(in_ch, f, (1, late_width), same=True, reduction=se_reduction))
            in_ch = f
        layers.append(nn.MaxPool2d((1, pool)))
        self.features = nn.Sequential(*layers)
        self.flat_features = in_ch * length
        self.dense = _dense_stack(self.flat_features, (hidden,), dropout, bn=None)
        self.out = nn.Linear(hidden, n_outputs)
        keras_init(self)

    def forward(self, tracks: torch.Tensor) -> torch.Tensor:
        """``(N, K, B)`` binned signal -> ``(N, T)`` logits."""
        self._check(tracks)
        return self.out(self.dense(self.features(tracks.unsqueeze(1)).flatten(1)))


class DECODESE2kb(ZooModel):
    """DECODE SE-CNN for 2 kb windows (spec section 5a).

    On the ``(N, 1, K, B)`` image: "same" Conv2d 128 (3,10), 64 (3,1), 64 (3,3), 128 (3,1), MaxPool (2,2),
    Conv2d 64 (3,3), 64 (3,3), 128 (3,1) (Grad-CAM's ``conv2d_7``), MaxPool (2,2), each conv followed by
    ReLU and squeeze-excite; then Dense 256 -> Dropout 0.4 -> Dense 128 -> Dropout 0.4 -> Dense 32 ->
    Linear(->T), hidden dense layers with ReLU. 1,910,249 parameters at K = 5, B = 200, T = 1. The two
    (2, 2) pools need K >= 4 track rows and B >= 4 bins. The hidden ReLUs are assumed (the spec lists no
    activation there). Keras initialisation.

    Parameters
    ----------
    n_outputs
        Outputs ``T``.
    seq_len
        Bins ``B``.
    n_tracks
        Track rows ``K`` (at least 4).
    filters
        Channels of the seven convs (kernels are fixed by the spec).
    hidden
        Widths of the hidden dense layers.
    dropout
        Dropout after each hidden dense layer except the last (as published).
    se_reduction
        Squeeze-excite bottleneck ratio.
    """

    inputs = TRACKS
    paper_name = "DECODE SE-CNN (2 kb)"
    kernels = ((3, 10), (3, 1), (3, 3), (3, 1), (3, 3), (3, 3), (3, 1))

    def __init__(
        self,
        n_outputs: int,
        seq_len: int,
        n_tracks: int = 0,
        filters: Sequence[int] = (128, 64, 64, 128, 64, 64, 128),
        hidden: Sequence[int] = (256, 128, 32),
        dropout: float = 0.4,
        se_reduction: int = 16,
    ):
        super().__init__(n_outputs, seq_len, n_tracks)
        if n_tracks < 4:
            raise InputError(
                f"DECODESE2kb needs at least 4 track rows for its two (2, 2) pools, got n_tracks={n_tracks}"
            )
        self._require(seq_len // 2, 2, "pool 1 of size 2 before pool 2")
        if len(filters) != len(self.kernels):
            raise InputError(f"DECODESE2kb: filters needs {len(self.kernels)} entries, got {len(filters)}")
        layers: list[nn.Module] = []
        in_ch = 1
        for i, (f, kernel) in enumerate(zip(filters, self.kernels, strict=True)):
            layers.append(Conv2dSE(in_ch, f, kernel, same=True, reduction=se_reduction))
            in_ch = f
            if i in (3, 6):
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.flat_features = in_ch * (n_tracks // 4) * (seq_len // 4)
        dense: list[nn.Module] = []
        in_features = self.flat_features
        for i, u in enumerate(hidden):
            dense += [nn.Linear(in_features, u), nn.ReLU()]
            if i < len(hidden) - 1:
                dense.append(nn.Dropout(dropout))
            in_features = u
        self.dense = nn.Sequential(*dense)
        self.out = nn.Linear(in_features, n_outputs)
        keras_init(self)

    def forward(self, tracks: torch.Tensor) -> torch.Tensor:
        """``(N, K, B)`` binned signal -> ``(N, T)`` logits."""
        self._check(tracks)
        return self.out(self.dense(self.features(tracks.unsqueeze(1)).flatten(1)))


class FactorNet(ZooModel):
    """Early fusion of sequence and per-base signal, FactorNet defaults (spec section 8a).

    One-hot (4) and K track channels are concatenated, then Conv1d(4+K->32, k=26, valid) -> ReLU ->
    Dropout 0.1 -> per-position Linear(32->32) (a k=1 conv) -> ReLU -> MaxPool 13 -> BiLSTM(32, every
    step) -> Dropout 0.5 -> flatten -> Linear(->128) -> ReLU -> Dropout 0.5 -> Linear(->T). 636,801
    parameters at L = 1000, K = 1, T = 1. Keras's LSTM input dropout is a dropout on the LSTM input here;
    PyTorch has no recurrent dropout, so that one is left out. The siamese reverse-complement averaging is
    the training/inference code's job (it owns the strand flip of the tracks). Keras initialisation.

    Parameters
    ----------
    n_outputs
        Outputs ``T``.
    seq_len
        Length ``L`` of the sequence and of the tracks.
    n_tracks
        Signal channels ``K`` (at least 1).
    filters, width, pool
        Conv channels, kernel width and pool size (= stride).
    position_units
        Width of the per-position dense layer.
    lstm_units
        Hidden units per LSTM direction.
    hidden
        Width of the dense layer.
    conv_dropout, lstm_dropout, dropout
        Dropout after the conv, on the LSTM input, and after the LSTM and the dense layer.
    """

    inputs = SEQUENCE_AND_TRACKS
    paper_name = "FactorNet (early fusion)"
    # The conv over sequence and tracks, and the per-position dense layer (a k=1 conv).
    n_conv_layers = 2

    def __init__(
        self,
        n_outputs: int,
        seq_len: int,
        n_tracks: int = 0,
        filters: int = 32,
        width: int = 26,
        pool: int = 13,
        position_units: int = 32,
        lstm_units: int = 32,
        hidden: int = 128,
        conv_dropout: float = 0.1,
        lstm_dropout: float = 0.1,
        dropout: float = 0.5,
    ):
        super().__init__(n_outputs, seq_len, n_tracks)
        length = _conv_out(seq_len, width)
        self._require(length, pool, f"a valid conv of width {width} before pool {pool}")
        self.steps = length // pool
        self.conv = nn.Conv1d(4 + n_tracks, filters, width)
        self.act = nn.ReLU()
        self.conv_drop = nn.Dropout(conv_dropout)
        self.position = nn.Conv1d(filters, position_units, 1)
        self.position_act = nn.ReLU()
        self.pool = nn.MaxPool1d(pool)
        self.lstm_drop = nn.Dropout(lstm_dropout)
        self.lstm = nn.LSTM(position_units, lstm_units, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(dropout)
        self.dense = nn.Linear(self.steps * 2 * lstm_units, hidden)
        self.dense_act = nn.ReLU()
        self.out = nn.Linear(hidden, n_outputs)
        keras_init(self)

    def forward(self, x: torch.Tensor, tracks: torch.Tensor) -> torch.Tensor:
        """``(N, 4, L)`` one-hot and ``(N, K, L)`` signal -> ``(N, T)`` logits."""
        self._check(x, tracks)
        h = self.conv_drop(self.act(self.conv(torch.cat([x, tracks], dim=1))))
        h = self.pool(self.position_act(self.position(h)))
        h, _ = self.lstm(self.lstm_drop(h.transpose(1, 2)))
        return self.out(self.drop(self.dense_act(self.dense(self.drop(h).flatten(1)))))


class MultiModal(ZooModel):
    """Late fusion of a sequence branch and an accessibility branch (spec section 8b; project design).

    Sequence: Conv1d(4->64, k=26, valid) -> ReLU -> MaxPool 13. Accessibility: Conv1d(K->16, k=26, valid)
    -> ReLU -> MaxPool 13. The branches are concatenated along channels -> Conv1d(80->64, k=5, valid) ->
    ReLU -> global max -> Linear(64->64) -> ReLU -> Dropout 0.5 -> Linear(64->T). 37,041 parameters at
    K = 1, T = 1. :class:`MultiModalSeq` and :class:`MultiModalTrack` keep one branch each, the two
    ablations the seed's claim needs (sequence says who binds, accessibility says whether something does).

    Parameters
    ----------
    n_outputs
        Outputs ``T``.
    seq_len
        Length ``L`` of the sequence and of the per-base tracks.
    n_tracks
        Signal channels ``K`` (at least 1 when the accessibility branch is used).
    seq_filters, track_filters
        Channels of the sequence and accessibility convs.
    width, pool
        Kernel width and pool size (= stride) of both branch convs.
    fusion_filters, fusion_width
        Channels and kernel width of the conv over the concatenated branches.
    hidden
        Width of the dense layer.
    dropout
        Dropout after the dense layer.
    """

    inputs = SEQUENCE_AND_TRACKS
    paper_name = "Multi-modal (late fusion)"
    # The sequence-branch conv and the fusion conv; annotation needs sequence-only inputs.
    n_conv_layers = 2

    def __init__(
        self,
        n_outputs: int,
        seq_len: int,
        n_tracks: int = 0,
        seq_filters: int = 64,
        track_filters: int = 16,
        width: int = 26,
        pool: int = 13,
        fusion_filters: int = 64,
        fusion_width: int = 5,
        hidden: int = 64,
        dropout: float = 0.5,
    ):
        super().__init__(n_outputs, seq_len, n_tracks)
        length = _conv_out(seq_len, width)
        self._require(length, pool, f"a valid conv of width {width} before pool {pool}")
        self._require(length // pool, fusion_width, f"a valid conv of width {width} and pool {pool}")
        # The global max makes the head length-agnostic; both branches pool to the same length because
        # the forward check requires equal sequence and track lengths.
        self.fixed_length, self.min_length = False, fusion_width * pool + width - 1
        use_seq, use_tracks = "sequence" in self.inputs, "tracks" in self.inputs

        def branch(in_ch: int, out_ch: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv1d(in_ch, out_ch, width), nn.ReLU(), nn.MaxPool1d(pool))

        self.seq_branch = branch(4, seq_filters) if use_seq else None
        self.track_branch = branch(n_tracks, track_filters) if use_tracks else None
        fused = seq_filters * use_seq + track_filters * use_tracks
        self.fusion = nn.Conv1d(fused, fusion_filters, fusion_width)
        self.fusion_act = nn.ReLU()
        self.gmax = nn.MaxPool1d(1)
        self.dense = _dense_stack(fusion_filters, (hidden,), dropout, bn=None)
        self.out = nn.Linear(hidden, n_outputs)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        """Sequence ``(N, 4, L)`` and/or tracks ``(N, K, L)`` (as ``inputs`` says) -> ``(N, T)`` logits."""
        self._check(*inputs)
        branches = dict(zip(self.inputs, inputs, strict=True))
        parts = []
        if self.seq_branch is not None:
            parts.append(self.seq_branch(branches["sequence"]))
        if self.track_branch is not None:
            parts.append(self.track_branch(branches["tracks"]))
        h = global_max(self.gmax, self.fusion_act(self.fusion(torch.cat(parts, dim=1))))
        return self.out(self.dense(h))

    def _first_conv(self) -> nn.Conv1d:
        return self.seq_branch[0]

    def _first_activations(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq_branch[:2](x)  # sequence conv -> ReLU


class MultiModalSeq(MultiModal):
    """:class:`MultiModal` with the sequence branch only (ablation; fusion conv reads 64 channels)."""

    inputs = SEQUENCE
    paper_name = "Multi-modal, sequence only"
    annotatable_layers = (0,)


class MultiModalTrack(MultiModal):
    """:class:`MultiModal` with the accessibility branch only (ablation; fusion conv reads 16 channels)."""

    inputs = TRACKS
    paper_name = "Multi-modal, accessibility only"
    n_conv_layers = 0


# ----------------------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------------------

#: Zoo model classes by registry name (what each one is, without building it:
#: :data:`seqcnn.models.MODELS`).
ZOO: dict[str, type[ZooModel]] = {
    "deepbind": DeepBindSeed,
    "basset": Basset,
    "danq": DanQ,
    "danq_mini": MiniDanQ,
    "deepstarr": DeepSTARR,
    "decode": DECODE,
    "decode_se2kb": DECODESE2kb,
    "rescnn": ResCNN,
    "rnn": SeedRNN,
    "lstm": SeedLSTM,
    "factornet": FactorNet,
    "multimodal": MultiModal,
    "multimodal_seq": MultiModalSeq,
    "multimodal_track": MultiModalTrack,
}


def zoo_options(name: str) -> dict[str, object]:
    """Architecture options of a zoo model and their defaults (the spec's values).

    Raises
    ------
    InputError
        For an unknown name.
    """
    factory = _factory(name)
    common = {"self", "n_outputs", "seq_len", "n_tracks"}
    return {p.name: p.default for p in inspect.signature(factory).parameters.values() if p.name not in common}


def _factory(name: str) -> Callable[..., nn.Module]:
    if name not in ZOO:
        raise InputError(f"unknown zoo model {name!r}; expected one of: {', '.join(ZOO)}")
    return ZOO[name]


def build_zoo_model(name: str, n_outputs: int, seq_len: int, n_tracks: int = 0, **options) -> nn.Module:
    """Build a zoo model by name.

    Parameters
    ----------
    name
        A key of :data:`ZOO`.
    n_outputs
        Outputs ``T``.
    seq_len
        Sequence length ``L`` (bins ``B`` for a model that reads tracks only).
    n_tracks
        Signal tracks ``K``; ignored by sequence-only models.
    **options
        Architecture options (see :func:`zoo_options`).

    Raises
    ------
    InputError
        For an unknown name, an option the model does not have, or shapes the model cannot take.
    """
    factory = _factory(name)
    unknown = sorted(set(options) - set(zoo_options(name)))
    if unknown:
        raise InputError(
            f"model {name!r} has no option(s) {', '.join(unknown)}; "
            f"expected some of: {', '.join(zoo_options(name)) or '(none)'}"
        )
    return factory(n_outputs=n_outputs, seq_len=seq_len, n_tracks=n_tracks, **options)
