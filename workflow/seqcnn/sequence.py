"""DNA sequences at rest and on the device.

Sequences are stored as one byte per base (codes 0-3 for A, C, G, T; 4 for N or any other letter), shape
``(N, L)`` uint8. Models see one-hot ``(N, 4, L)`` float tensors in ACGT order, N positions all zero.
Encoding on the device (:func:`one_hot`) keeps the training loop from being input-bound: a dataset of
25,000 x 200 bp is 5 MB as codes and can stay resident on a GPU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported where it is used, so genome and label code can read codes without it
    import torch

ALPHABET = "ACGT"
N_CODE = 4

_ONE_HOT_TABLE = np.zeros((N_CODE + 1, 4), dtype=np.float32)
_ONE_HOT_TABLE[:4] = np.eye(4, dtype=np.float32)

_LUT = np.full(256, N_CODE, dtype=np.uint8)
for _i, _b in enumerate(ALPHABET):
    _LUT[ord(_b)] = _i
    _LUT[ord(_b.lower())] = _i


def encode(seq: str | bytes) -> np.ndarray:
    """Encode a DNA string as uint8 codes (A=0, C=1, G=2, T=3, other=4); case-insensitive.

    Returns
    -------
    numpy.ndarray
        Shape ``(L,)``, dtype uint8.
    """
    if isinstance(seq, str):
        seq = seq.encode("ascii", errors="replace")
    return _LUT[np.frombuffer(seq, dtype=np.uint8)]


def decode(codes: np.ndarray) -> str:
    """Decode uint8 codes back to an upper-case string (code 4 becomes N)."""
    return "".join("ACGTN"[c] for c in np.asarray(codes, dtype=np.int64))


def one_hot(codes: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
    """One-hot encode codes on whatever device they live on.

    Parameters
    ----------
    codes
        ``(N, L)`` integer tensor of codes 0-4.
    dtype
        Output dtype.

    Returns
    -------
    torch.Tensor
        ``(N, 4, L)``; code 4 (N) gives an all-zero column.
    """
    import torch

    dtype = dtype or torch.float32
    table = torch.zeros(N_CODE + 1, 4, dtype=dtype, device=codes.device)
    table[:4] = torch.eye(4, dtype=dtype, device=codes.device)
    return table[codes.long()].transpose(1, 2)


def one_hot_numpy(codes: np.ndarray, chunk: int = 512) -> np.ndarray:
    """NumPy twin of :func:`one_hot`: ``(N, L)`` codes -> ``(N, 4, L)`` float32.

    Filled ``chunk`` rows at a time, indexing with the uint8 codes directly, so no full-size temporary
    (an int64 copy of the codes would be 8 bytes per base) is made.
    """
    codes = np.asarray(codes, dtype=np.uint8)
    out = np.empty((len(codes), 4, codes.shape[1]), dtype=np.float32)
    for start in range(0, len(codes), chunk):
        out[start : start + chunk] = _ONE_HOT_TABLE[codes[start : start + chunk]].transpose(0, 2, 1)
    return out
