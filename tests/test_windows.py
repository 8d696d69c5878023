"""Tests for :mod:`seqcnn.windows`: the shared filter, extraction and background draws on a tiny genome."""

from __future__ import annotations

import numpy as np
import pytest

from seqcnn.genome import Blacklist
from seqcnn.windows import (
    DROP_REASONS,
    centred_starts,
    extract,
    filter_windows,
    genome_order,
    sample_windows,
    tile_windows,
)

WINDOW = 20


@pytest.fixture
def genome():
    rng = np.random.default_rng(0)
    chr_a = rng.integers(0, 4, size=100).astype(np.uint8)
    chr_b = rng.integers(0, 4, size=60).astype(np.uint8)
    chr_b[10:25] = 4  # an N run: 15 of the 20 bases of [10, 30)
    chr_b[40:42] = 4  # two Ns: 2 of the 20 bases of [35, 55)
    return {"chrA": chr_a, "chrB": chr_b}


@pytest.fixture
def sizes(genome):
    return {name: int(codes.size) for name, codes in genome.items()}


@pytest.fixture
def blacklist():
    # [95, 100) also covers the window past the end of chrA: it must count once, as past the end.
    return Blacklist(regions={"chrA": (np.array([45, 95], np.int64), np.array([50, 100], np.int64))})


# past the end, on the blacklist, N-rich, fine, fine
CHROMS = np.array(["chrA", "chrA", "chrB", "chrA", "chrB"], dtype=object)
STARTS = np.array([90, 40, 10, 0, 35], dtype=np.int64)


def test_filter_keeps_the_right_windows_and_counts_each_drop_once(genome, sizes, blacklist, caplog):
    caplog.set_level("WARNING", logger="seqcnn.windows")
    kept = filter_windows(
        CHROMS, STARTS, WINDOW, sizes, genome, blacklist=blacklist, max_n_fraction=0.25, what="test"
    )
    assert kept.keep.tolist() == [False, False, False, True, True]
    assert kept.rows.tolist() == [3, 4]
    assert kept.dropped == {"past_chrom_end": 1, "blacklist": 1, "too_many_n": 1}
    assert tuple(kept.dropped) == DROP_REASONS
    assert kept.X.dtype == np.uint8 and kept.X.shape == (2, WINDOW)
    np.testing.assert_array_equal(kept.X[0], genome["chrA"][0:20])
    np.testing.assert_array_equal(kept.X[1], genome["chrB"][35:55])
    for reason in DROP_REASONS:
        assert f"1 test window(s) dropped: {reason}" in caplog.text


def test_filter_thresholds_and_empty_blacklist(genome, sizes):
    # At 0.1 the window with 2 Ns in 20 stays (the limit is inclusive); at 0.05 it goes.
    loose = filter_windows(CHROMS, STARTS, WINDOW, sizes, genome, max_n_fraction=0.1)
    assert loose.keep.tolist() == [False, True, False, True, True]
    assert loose.dropped == {"past_chrom_end": 1, "blacklist": 0, "too_many_n": 1}
    strict = filter_windows(CHROMS, STARTS, WINDOW, sizes, genome, max_n_fraction=0.05)
    assert strict.keep.tolist() == [False, True, False, True, False]
    assert strict.dropped["too_many_n"] == 2
    # A window starting before position 0 is past the end too.
    before = filter_windows(["chrA"], [-1], WINDOW, sizes, genome, max_n_fraction=1.0)
    assert before.dropped["past_chrom_end"] == 1 and before.X.shape == (0, WINDOW)


def test_extract_reads_a_fasta_like_the_codes(genome, tmp_path):
    fasta = tmp_path / "tiny.fa"
    fasta.write_text("".join(f">{c}\n{''.join('ACGTN'[b] for b in codes)}\n" for c, codes in genome.items()))
    chroms, starts = ["chrB", "chrA", "chrB"], centred_starts(np.array([30, 50, 45]), WINDOW)
    assert starts.tolist() == [20, 40, 35]
    from_codes = extract(genome, chroms, starts, WINDOW)
    np.testing.assert_array_equal(from_codes, extract(fasta, chroms, starts, WINDOW))
    np.testing.assert_array_equal(from_codes[1], genome["chrA"][40:60])


def test_tiles_avoid_excluded_regions_and_draws_skip_n_rich_ones(genome, sizes, blacklist, caplog):
    chroms, starts = tile_windows(sizes, ["chrA", "chrB"], WINDOW, [blacklist])
    assert list(zip(chroms, starts.tolist(), strict=True)) == [
        ("chrA", 0), ("chrA", 20), ("chrA", 60), ("chrB", 0), ("chrB", 20), ("chrB", 40),
    ]  # fmt: skip
    caplog.set_level("WARNING", logger="seqcnn.windows")
    c, s, X = sample_windows(np.random.default_rng(1), genome, chroms, starts, 10, WINDOW, 0.25)
    # chrB:0 holds 10 Ns in 20; chrB:20 holds 5 (exactly the limit). Only five qualify.
    assert sorted(zip(c, s.tolist(), strict=True)) == [
        ("chrA", 0), ("chrA", 20), ("chrA", 60), ("chrB", 20), ("chrB", 40),
    ]  # fmt: skip
    for chrom, start, row in zip(c, s, X, strict=True):
        np.testing.assert_array_equal(row, genome[chrom][start : start + WINDOW])
    assert "only 5 of 10 wanted random windows" in caplog.text
    order = genome_order(np.array(["chrB", "chrA", "chrA"], dtype=object), np.array([5, 9, 1]), sizes)
    assert order.tolist() == [2, 1, 0]
