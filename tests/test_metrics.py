"""Metrics against hand-computed cases."""

import numpy as np
import pytest

from seqcnn.metrics import classification_metrics, macro_average, mean_std, recall_at_fdr

# Scores sorted high to low: 0.8 (pos), 0.4 (neg), 0.35 (pos), 0.1 (neg).
Y = np.array([0, 0, 1, 1])
S = np.array([0.1, 0.4, 0.35, 0.8])


def test_hand_computed_binary_case():
    m = classification_metrics(Y[:, None], S[:, None], ["tf"]).iloc[0]
    # AU-ROC: 3 of the 4 (pos, neg) pairs are ordered correctly.
    assert m["auroc"] == pytest.approx(0.75)
    # Average precision: precision 1 at recall 0.5, 2/3 at recall 1.
    assert m["average_precision"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # Trapezoid over (recall, precision) points (0,1) (0.5,1) (0.5,0.5) (1,2/3) (1,0.5):
    # 0.5 * 1 + 0.5 * (0.5 + 2/3) / 2.
    assert m["aupr"] == pytest.approx(0.5 + 0.5 * (0.5 + 2 / 3) / 2)
    # Precision >= 0.9 only at the top score: recall 0.5.
    assert m["recall_at_10fdr"] == pytest.approx(0.5)
    assert m["n_pos"] == 2


def test_trapezoid_overestimates_average_precision_across_a_tie():
    # One positive on top, then a tie of 1 positive and 8 negatives: PR points (0.5, 1) and (1, 0.2).
    # Average precision credits the tie at its precision 0.2; the trapezoid interpolates 1 -> 0.2.
    y = np.array([1, 1] + [0] * 8)
    s = np.array([0.9] + [0.5] * 9)
    m = classification_metrics(y[:, None], s[:, None]).iloc[0]
    assert m["average_precision"] == pytest.approx(0.5 * 1 + 0.5 * 0.2)
    assert m["aupr"] == pytest.approx(0.5 * 1 + 0.5 * (1 + 0.2) / 2)


def test_recall_at_fdr_perfect_and_hopeless():
    y = np.array([1, 1, 0, 0])
    assert recall_at_fdr(y, np.array([0.9, 0.8, 0.2, 0.1])) == 1.0
    assert recall_at_fdr(y, np.array([0.1, 0.2, 0.8, 0.9])) == 0.0


def test_single_label_class_is_nan_and_macro_skips_it():
    y = np.stack([Y, np.zeros(4, int)], axis=1)
    s = np.stack([S, S], axis=1)
    table = classification_metrics(y, s, ["a", "b"])
    assert np.isnan(table.loc[1, "auroc"])
    assert macro_average(table)["auroc"] == pytest.approx(0.75)


def test_mean_std_is_population_std():
    mean, std = mean_std([0.96, 0.97, 0.98])
    assert mean == pytest.approx(0.97)
    assert std == pytest.approx(np.sqrt(2 / 3) * 0.01)


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match=r"must both be \(N, T\)"):
        classification_metrics(np.zeros((4, 2)), np.zeros((4, 3)))


def test_regression_metrics_by_hand():
    from seqcnn.metrics import regression_metrics

    y = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]])
    y_hat = np.array([[1.0, 1.0], [3.0, 2.0], [2.0, 3.0], [5.0, 4.0]])
    table = regression_metrics(y, y_hat, ["dev", "flat"]).set_index("class")
    # r = cov / (sd sd): deviations (-1.5, -.5, .5, 1.5) and (-1.75, .25, -.75, 2.25) -> 5.5 / sqrt(5 * 8.75)
    assert table.loc["dev", "pearson"] == pytest.approx(5.5 / np.sqrt(5 * 8.75))
    assert table.loc["dev", "spearman"] == pytest.approx(0.8)  # ranks 1,3,2,4
    assert table.loc["dev", "mse"] == pytest.approx(0.75)
    assert np.isnan(table.loc["flat", "pearson"]) and table.loc["flat", "mse"] == pytest.approx(7.5)
    assert macro_average(table.reset_index())["pearson"] == pytest.approx(table.loc["dev", "pearson"])
