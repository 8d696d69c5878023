"""Sequence codes and one-hot encoding."""

import numpy as np
import torch

from seqcnn.sequence import decode, encode, one_hot, one_hot_numpy


def test_encode_decode_round_trip_and_case():
    assert encode("ACGTNacgtX").tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    assert decode(encode("acgtn")) == "ACGTN"


def test_one_hot_numpy_matches_the_device_encoder():
    codes = np.stack([encode("ACGTNacgtn"), encode("TTTTAAAACC")])
    expected = one_hot(torch.as_tensor(codes)).numpy()
    got = one_hot_numpy(codes, chunk=1)
    assert got.shape == (2, 4, 10) and np.array_equal(got, expected)
    assert got[0, :, 4].sum() == 0 and got[0, 0, 5] == 1  # N is all zeros; lowercase is a base
