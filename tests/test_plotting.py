"""Logo heights and the figures' files."""

import numpy as np
import pandas as pd
import pytest

from seqcnn.plotting import information_matrix, plot_pool_size


def test_information_matrix_bits():
    pwm = np.array([[1.0, 0.25, 0.5], [0.0, 0.25, 0.5], [0.0, 0.25, 0.0], [0.0, 0.25, 0.0]])
    h = information_matrix(pwm)
    assert h.shape == (3, 4)
    assert h[0] == pytest.approx([2, 0, 0, 0], abs=1e-6)  # a certain base: 2 bits
    assert h[1] == pytest.approx([0, 0, 0, 0], abs=1e-6)  # uniform: no information
    assert h[2] == pytest.approx([0.5, 0.5, 0, 0], abs=1e-6)  # two bases: 1 bit shared


def test_pool_size_figure_is_written(tmp_path):
    table = pd.DataFrame(
        {
            "model": ["cnn_2", "cnn_25", "not_published"],
            "auroc_mean": [0.96, 0.97, 0.5],
            "auroc_std": [0.0, 0.01, 0.0],
            "relevant_match_mean": [0.0, 0.95, 0.1],
            "relevant_match_std": [0.0, 0.02, 0.0],
        }
    )
    table.to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    plot_pool_size(tmp_path / "t.tsv", tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


def test_discovered_motifs_figure_is_written(tmp_path):
    import numpy as np
    import pandas as pd

    from seqcnn.motifs import write_meme
    from seqcnn.plotting import plot_discovered_motifs

    pwm = np.array([[0.9, 0.05, 0.05, 0.0], [0.0, 0.9, 0.05, 0.05], [0.05, 0.0, 0.9, 0.05]]).T
    write_meme([("t/pos_0", pwm)], tmp_path / "p.meme")
    write_meme([("MA0001.1", pwm[::-1, ::-1], "X")], tmp_path / "j.meme")
    table = pd.DataFrame(
        {"model": ["m"], "pattern": ["t/pos_0"], "seqlets": [30], "best_match": ["MA0001.1"],
         "best_evalue": ["1e-5"], "best_orientation": ["-"], "planted": ["X"]}
    )  # fmt: skip
    out = tmp_path / "f.png"
    plot_discovered_motifs(table, [tmp_path / "p.meme"], tmp_path / "j.meme", out)
    assert out.read_bytes()[:4] == b"\x89PNG"
