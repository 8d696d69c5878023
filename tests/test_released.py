"""Released data files: each reader round-trips a fixture written in the paper's layout, bad files get one
message naming the file and what was expected, and the Table 2 / DeepSTARR configs plan their runs."""

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.io
from released_fixtures import write_basset_h5, write_deepsea_bundle, write_deepstarr, write_mat73
from test_workflow import ROOT, job_counts, snakemake

from seqcnn import released
from seqcnn.config import check_config
from seqcnn.datasets import load_meta, load_split
from seqcnn.errors import InputError
from seqcnn.released import build_released_dataset

KE_CLASSES = [592, 602, 344, 345, 635, 636, 349, 642, 359, 361, 661, 369]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"


def deepsea_entry(root, **extra):
    return {
        "kind": "deepsea",
        "dir": str(root),
        "window": 1000,
        "classes": None,
        "class_names": None,
        "keep": "all",
        **extra,
    }


def test_deepsea_bundle_round_trips_with_the_koo_eddy_selection(tmp_path):
    written = write_deepsea_bundle(tmp_path / "bundle", positives=0.03)
    # The fixture's files are what the bundle holds: v7.3 (HDF5, axes reversed) and v5.
    assert scipy.io.matlab.matfile_version(str(tmp_path / "bundle/train.mat"))[0] == 2
    assert scipy.io.matlab.matfile_version(str(tmp_path / "bundle/valid.mat"))[0] == 1
    with h5py.File(tmp_path / "bundle/train.mat") as h5:
        assert h5["trainxdata"].shape == (1000, 4, 300) and h5["traindata"].shape == (919, 300)
    names = [f"tf{i}" for i in range(12)]
    entry = deepsea_entry(tmp_path / "bundle", classes=KE_CLASSES, class_names=names, keep="any_positive")
    sizes = build_released_dataset(entry, tmp_path / "out")
    for split, (codes, labels) in written.items():
        keep = labels[:, KE_CLASSES].any(axis=1)
        X, y = load_split(tmp_path / "out", split)
        assert sizes[split] == keep.sum() > 0 and keep.sum() < len(keep)
        np.testing.assert_array_equal(X, codes[keep])  # channel order A, G, C, T -> codes A, C, G, T
        np.testing.assert_array_equal(y, labels[keep][:, KE_CLASSES])
    meta = load_meta(tmp_path / "out")
    assert meta["classes"] == names and meta["label_indices"] == KE_CLASSES and meta["seq_len"] == 1000


def test_deepsea_channel_order_is_agct():
    # One position per channel of DeepSEA's one-hot, then an all-zero (N) column.
    X = np.zeros((1, 4, 5), dtype=np.uint8)
    X[0, [0, 1, 2, 3], [0, 1, 2, 3]] = 1
    codes = released.onehot_to_codes(X, released.DEEPSEA_CHANNELS, "x.mat")
    assert "".join("ACGTN"[c] for c in codes[0]) == "AGCTN"


def test_deepstarr_split_round_trips(tmp_path):
    written = write_deepstarr(tmp_path / "starr")
    build_released_dataset(
        {"kind": "deepstarr_released", "dir": str(tmp_path / "starr"), "window": 249}, tmp_path / "out"
    )
    for split, (codes, activity) in written.items():
        X, y = load_split(tmp_path / "out", split)
        np.testing.assert_array_equal(X, codes)
        np.testing.assert_array_equal(y, activity)
    meta = load_meta(tmp_path / "out")
    assert meta["classes"] == ["dev", "hk"] and meta["task"] == "regression"


def test_basset_h5_round_trips(tmp_path):
    written, labels = write_basset_h5(tmp_path / "encode_roadmap.h5")
    build_released_dataset(
        {"kind": "basset_h5", "path": str(tmp_path / "encode_roadmap.h5"), "window": 600}, tmp_path / "out"
    )
    for split, (codes, targets) in written.items():
        X, y = load_split(tmp_path / "out", split)
        np.testing.assert_array_equal(X, codes)  # N written as 0.25 in every channel comes back as N
        np.testing.assert_array_equal(y, targets)
    assert load_meta(tmp_path / "out")["classes"] == labels


def test_deepsea_streams_in_blocks_of_rows(tmp_path, monkeypatch):
    # Blocks of a few rows give the same dataset as one block: the conversion never needs the whole split.
    written = write_deepsea_bundle(tmp_path / "bundle", rows={"train": 50, "valid": 9, "test": 11})
    monkeypatch.setattr(released, "CHUNK_BYTES", 3 * 4919)
    build_released_dataset(deepsea_entry(tmp_path / "bundle", classes=[5, 918]), tmp_path / "out")
    for split, (codes, labels) in written.items():
        X, y = load_split(tmp_path / "out", split)
        np.testing.assert_array_equal(X, codes)
        np.testing.assert_array_equal(y, labels[:, [5, 918]])


def error_of(entry, out):
    with pytest.raises(InputError) as info:
        build_released_dataset(entry, out)
    assert not Path(out).exists() and not list(Path(out).parent.glob(f".{Path(out).name}.*"))
    return str(info.value)


def test_mat_with_wrong_array_names_or_shapes(tmp_path):
    write_deepsea_bundle(tmp_path / "b", rows={"train": 5, "valid": 4, "test": 4})
    scipy.io.savemat(
        tmp_path / "b/valid.mat",
        {"validx": np.zeros((4, 4, 1000), np.uint8), "validdata": np.zeros((4, 919), np.uint8)},
    )
    msg = error_of(deepsea_entry(tmp_path / "b"), tmp_path / "out")
    assert msg == (
        f"{tmp_path}/b/valid.mat: no array 'validxdata' in this MATLAB v5 file (it holds validx, validdata); "
        "expected validxdata and validdata"
    )
    write_mat73(
        tmp_path / "b/train.mat",
        {"trainxdata": np.zeros((5, 1000, 4), np.uint8), "traindata": np.zeros((5, 919), np.uint8)},
    )
    msg = error_of(deepsea_entry(tmp_path / "b"), tmp_path / "out")
    assert msg == (
        f"{tmp_path}/b/train.mat: trainxdata has shape (4, 1000, 5); expected (1000, 4, N): N sequences x 4 "
        "channels (A, G, C, T) x 1000 bp (h5py shows a MATLAB v7.3 array's axes reversed)"
    )


def test_label_index_past_918(tmp_path):
    write_deepsea_bundle(tmp_path / "b", rows={"train": 5, "valid": 4, "test": 4})
    msg = error_of(deepsea_entry(tmp_path / "b", classes=[3, 919]), tmp_path / "out")
    assert msg == (
        f"{tmp_path}/b/train.mat: label index 919 (classes[1]) is past the last of its 919 labels; expected "
        "0-based column indices 0-918"
    )
    config = {
        "run": ["invivo"],
        "datasets": {"d": {"kind": "deepsea", "dir": str(tmp_path / "b"), "classes": [3, 919]}},
        "studies": {"invivo": {"dataset": "d", "models": ["cnn_25"]}},
    }
    expected = (
        r"^config key datasets\.d\.classes\[1\]: label index 919 is past the last of the DeepSEA bundle's "
        r"919 labels \(train\.mat traindata"
    )
    with pytest.raises(InputError, match=expected):
        check_config(config, SCHEMA)


def test_activity_rows_not_matching_the_fasta(tmp_path):
    write_deepstarr(tmp_path / "s", rows={"train": 6, "valid": 3, "test": 3})
    table = tmp_path / "s/Sequences_activity_Val.txt"
    table.write_text("".join(table.read_text().splitlines(keepends=True)[:-1]))
    msg = error_of({"kind": "deepstarr_released", "dir": str(tmp_path / "s"), "window": 249}, tmp_path / "o")
    assert msg == (
        f"{table}: 2 activity rows, but {tmp_path}/s/Sequences_Val.fa holds 3 sequences; expected one row "
        "per FASTA record, in the same order"
    )
    pd.DataFrame({"Dev_log2_enrichment": [1.0] * 3, "Hk": [0.0] * 3}).to_csv(table, sep="\t", index=False)
    msg = error_of({"kind": "deepstarr_released", "dir": str(tmp_path / "s"), "window": 249}, tmp_path / "o")
    assert msg.startswith(f"{table}: no column 'Hk_log2_enrichment' (columns: Dev_log2_enrichment, Hk);")


def test_basset_wrong_shape(tmp_path):
    path = tmp_path / "encode_roadmap.h5"
    write_basset_h5(path, rows={"train": 4, "valid": 2, "test": 2})
    with h5py.File(path, "r+") as h5:
        del h5["valid_in"]
        h5["valid_in"] = np.zeros((2, 600, 4), np.float16)
    msg = error_of({"kind": "basset_h5", "path": str(path), "window": 600}, tmp_path / "out")
    assert msg == f"{path}: valid_in has shape (2, 600, 4); expected (N, 4, 1, 600), one-hot A, C, G, T"


def test_not_one_hot_names_the_row(tmp_path):
    written = write_deepsea_bundle(tmp_path / "b", rows={"train": 5, "valid": 4, "test": 4})
    x = np.zeros((4, 4, 1000), np.uint8)
    x[:, 0, :] = 1
    x[2, 1, 7] = 1  # two channels set
    scipy.io.savemat(tmp_path / "b/test.mat", {"testxdata": x, "testdata": written["test"][1]})
    msg = error_of(deepsea_entry(tmp_path / "b"), tmp_path / "out")
    assert msg.startswith(
        f"{tmp_path}/b/test.mat: row 2, position 7 is [1, 1, 0, 0]; expected one-hot columns"
    )


# --- configs ----------------------------------------------------------------------------------------------


def invivo(tmp_path, *extra):
    return snakemake(
        "-n", "--directory", str(tmp_path), "--configfile", str(ROOT / "config/koo_eddy_invivo.yaml"), *extra
    )


def test_invivo_config_without_the_bundle_names_the_missing_file(tmp_path):
    out = invivo(tmp_path)
    assert out.returncode != 0
    assert (
        "Config error: config key datasets.ke_invivo.dir: resources/deepsea/train.mat not found; download "
        "deepsea_train_bundle.v0.9.tar.gz from the DeepSEA site"
    ) in out.stderr
    assert "results/" not in "".join(p.name for p in tmp_path.iterdir())


def test_invivo_config_with_the_bundle_lists_the_table2_trainings(tmp_path):
    write_deepsea_bundle(tmp_path / "resources/deepsea", rows={"train": 20, "valid": 8, "test": 8})
    out = invivo(tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    counts = job_counts(out.stdout)
    assert counts["train_model"] == 8 * 5 and counts["evaluate_model"] == 40
    assert counts["match_filters_to_jaspar"] == 40 and counts["convert_released_dataset"] == 1
    assert counts["summarize_table1"] == counts["plot_pool_size"] == 1
    assert "results/koo_eddy_invivo/table2.md" in out.stdout and "table1.md" not in out.stdout
    assert "build_toy_genome" not in counts and "download_genome" not in counts


def test_default_run_needs_no_released_files(tmp_path):
    import yaml

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config = released_config(config, tmp_path)
    assert check_config(config, SCHEMA)["run"] == ["koo_eddy"]


def released_config(config, tmp_path):
    """config.yaml with both released-data configs merged over it, their files absent, run unchanged."""
    import yaml

    from seqcnn.config import merge_config

    for name in ("koo_eddy_invivo.yaml", "deepstarr_released.yaml"):
        extra = yaml.safe_load((ROOT / "config" / name).read_text())
        extra.pop("run")
        merge_config(config, extra)
    config["jaspar"] = {}
    return config


def test_deepstarr_config_plans_pearson_beside_published(tmp_path):
    write_deepstarr(tmp_path / "resources/deepstarr", rows={"train": 4, "valid": 2, "test": 2})
    out = snakemake(
        "-n", "--directory", str(tmp_path), "--configfile", str(ROOT / "config/deepstarr_released.yaml")
    )
    assert out.returncode == 0, out.stderr[-3000:]
    counts = job_counts(out.stdout)
    assert counts["summarize_pearson"] == 1 and counts["train_model"] == 1
    assert "results/deepstarr_released/pearson.md" in out.stdout


def test_pearson_table_sits_beside_the_published_values(tmp_path):
    from seqcnn.tables import summarize_pearson

    paths = []
    for trial, (dev, hk) in enumerate([(0.60, 0.70), (0.70, 0.80)]):
        p = tmp_path / f"m{trial}.tsv"
        pd.DataFrame(
            {
                "model": "deepstarr",
                "trial": trial,
                "split": "test",
                "class": ["dev", "hk"],
                "n": 10,
                "pearson": [dev, hk],
                "spearman": 0.0,
                "mse": 1.0,
            }
        ).to_csv(p, sep="\t", index=False)
        paths.append(p)
    table = summarize_pearson(paths, tmp_path / "p.tsv", tmp_path / "p.md")
    assert table["pearson_mean"].tolist() == pytest.approx([0.65, 0.75])
    assert table["published"].tolist() == [0.68, 0.74]
    assert "| deepstarr | dev | 2 | 0.650 ± 0.050 | 0.68 | -0.030 |" in (tmp_path / "p.md").read_text()


def test_table2_markdown_sets_each_row_beside_table2(tmp_path):
    from seqcnn.tables import summarize_table1

    metrics, stats = [], []
    for trial in range(2):
        m = tmp_path / f"m{trial}.tsv"
        pd.DataFrame(
            {
                "model": "cnn_4",
                "trial": trial,
                "split": "test",
                "class": ["__macro__"],
                "auroc": 0.9,
                "aupr": 0.6,
            }
        ).to_csv(m, sep="\t", index=False)
        s = tmp_path / f"s{trial}.json"
        s.write_text(
            json.dumps(
                {
                    "model": "cnn_4",
                    "trial": trial,
                    "layer": 0,
                    "n_filters": 30,
                    "jaspar_match": 0.7,
                    "relevant_match": 0.5,
                }
            )
        )
        metrics.append(m)
        stats.append(s)
    summarize_table1(
        metrics, stats, ["cnn_4"], tmp_path / "t.tsv", tmp_path / "t.md", published="koo_eddy_table2"
    )
    md = (tmp_path / "t.md").read_text()
    assert md.startswith("# Koo & Eddy (2019) Table 2 (in vivo")
    # AU-ROC 0.907 ± 0.002, AU-PR 0.601 ± 0.005, relevant 0.507 ± 0.039 published for CNN-4.
    assert (
        "| cnn_4 | CNN-4 | 2 | 0.900 ± 0.000 | 0.907 ± 0.002 | -0.007 | 0.600 ± 0.000 | 0.601 ± 0.005 |" in md
    )
    assert "| 0.500 ± 0.000 | 0.507 ± 0.039 | -0.007 |" in md


@pytest.mark.slow
def test_released_datasets_round_trip_through_the_dag(tmp_path):
    # The conversion rule builds each kind from its fixture as a target: same arrays, same channel order.
    deepsea = write_deepsea_bundle(
        tmp_path / "resources/deepsea", rows={"train": 40, "valid": 10, "test": 10}, positives=0.05
    )
    starr = write_deepstarr(tmp_path / "resources/deepstarr", rows={"train": 20, "valid": 5, "test": 5})
    basset, _ = write_basset_h5(tmp_path / "resources/basset/encode_roadmap.h5")
    extra = tmp_path / "basset.yaml"
    extra.write_text(
        "datasets: {basset_released: {kind: basset_h5, path: resources/basset/encode_roadmap.h5}}\n"
    )
    targets = [
        f"results/datasets/{d}/dataset" for d in ("ke_invivo", "deepstarr_released", "basset_released")
    ]
    out = snakemake(
        "--cores",
        "1",
        "--directory",
        str(tmp_path),
        *targets,
        "--configfile",
        str(ROOT / "config/config.yaml"),
        str(ROOT / "config/koo_eddy_invivo.yaml"),
        str(ROOT / "config/deepstarr_released.yaml"),
        str(extra),
        "--config",
        "run=[koo_eddy]",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    res = tmp_path / "results/datasets"
    for split, (codes, labels) in deepsea.items():
        keep = labels[:, KE_CLASSES].any(axis=1)
        X, y = load_split(res / "ke_invivo/dataset", split)
        np.testing.assert_array_equal(X, codes[keep])
        np.testing.assert_array_equal(y, labels[keep][:, KE_CLASSES])
    for name, written in (("deepstarr_released", starr), ("basset_released", basset)):
        for split, (codes, targets) in written.items():
            X, y = load_split(res / name / "dataset", split)
            np.testing.assert_array_equal(X, codes)
            np.testing.assert_array_equal(y, targets)
