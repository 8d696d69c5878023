"""Grad-CAM against captum's LayerGradCam, DECODE's core-enhancer calling on a hand-made example, and the
errors a user can cause."""

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from captum.attr import LayerAttribution, LayerGradCam
from torch import nn

from seqcnn.config import check_config
from seqcnn.errors import InputError
from seqcnn.gradcam import (
    call_core_enhancers,
    conv_layers,
    gradcam,
    interval_bp,
    overlap_bp,
    pick_layer,
)
from seqcnn.models import build_model


@pytest.fixture(scope="module")
def decode():
    torch.manual_seed(0)
    return build_model("decode", n_classes=1, seq_len=50, n_tracks=3).eval()


@pytest.fixture(scope="module")
def tracks():
    torch.manual_seed(1)
    return 3 * torch.rand(8, 3, 50)


def captum_cam(model, layer, X, probability, size):
    """The independent computation: captum's LayerGradCam resized as its docs show."""
    _, module, use_input = pick_layer(model, layer)
    forward = (lambda t: torch.sigmoid(model(t))) if probability else model
    a = LayerGradCam(forward, module).attribute(
        X, target=0, attribute_to_layer_input=use_input, relu_attributions=True
    )
    mode = "bilinear" if a.dim() == 4 else "linear"
    out = LayerAttribution.interpolate(a, (1, size) if a.dim() == 4 else (size,), mode)
    return out.reshape(len(X), size).detach().numpy()


def test_decode_layers_end_at_conv2d_7_before_squeeze_excite(decode):
    layers = conv_layers(decode)
    # 4 convs, pool, 3 convs: the last (conv2d_7) is read at its squeeze-excite block's input.
    assert [n for n, _, _ in layers] == [f"features.{i}.se" for i in (0, 1, 2, 3, 5, 6, 7)]
    assert all(use_input for _, _, use_input in layers)
    assert pick_layer(decode)[1] is decode.features[7].se


@pytest.mark.parametrize("layer", [None, 0, 3])
@pytest.mark.parametrize("probability", [False, True])
def test_gradcam_matches_captum(decode, tracks, layer, probability):
    target = "probability" if probability else "logit"
    ours = gradcam(decode, None, tracks, layer=layer, target=target, normalize="none", batch_size=3)
    ref = captum_cam(decode, layer, tracks, probability, 50)
    assert ours.shape == (8, 50)
    assert ref.max() > 0
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6 * ref.max())


def test_gradcam_1d_model_matches_captum():
    torch.manual_seed(2)
    model = build_model("deepbind", n_classes=1, seq_len=101).eval()
    X = torch.randint(0, 4, (5, 101), dtype=torch.uint8)
    ours = gradcam(model, X, target="logit", normalize="none")
    ref = captum_cam(model, None, nn.functional.one_hot(X.long(), 4).permute(0, 2, 1).float(), False, 101)
    assert ref.max() > 0
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6 * ref.max())


def test_normalisations_rescale_per_window_or_per_batch(decode, tracks):
    none = gradcam(decode, None, tracks, target="logit", normalize="none")
    per_window = gradcam(decode, None, tracks, target="logit", normalize="per_window", batch_size=2)
    batch8 = gradcam(decode, None, tracks, target="logit", normalize="decode_batch", batch_size=8)
    batch2 = gradcam(decode, None, tracks, target="logit", normalize="decode_batch", batch_size=2)
    # Both are positive rescalings of each window's map ...
    for other in (per_window, batch8):
        scale = other.sum(1) / none.sum(1)
        np.testing.assert_allclose(other, none * scale[:, None], rtol=1e-4, atol=1e-9)
    # ... per window independent of the batch, one scale per batch for DECODE's, so batch size matters.
    # (float32 convolutions of a batch of 1 and of 2 differ by up to ~2e-5 relative on some CPUs)
    alone = gradcam(decode, None, tracks[:1], target="logit", normalize="per_window")
    np.testing.assert_allclose(alone[0], per_window[0], rtol=1e-4)
    ratio = batch8.sum(1) / none.sum(1)
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-4)
    assert not np.allclose(batch2, batch8, rtol=1e-3)


def test_bad_layer_and_model_are_refused(decode, tracks):
    with pytest.raises(
        InputError, match=r"config key layer: 7 is past DECODE's conv layers; expected 0\.\.6"
    ):
        gradcam(decode, None, tracks, layer=7)
    rnn = build_model("rnn", n_classes=1, seq_len=50)
    with pytest.raises(InputError, match="config key models: SeedRNN has no conv layer over its input"):
        gradcam(rnn, torch.zeros(2, 50, dtype=torch.uint8))
    with pytest.raises(InputError, match="config key normalize: 'l2'; expected one of: none, per_window"):
        gradcam(decode, None, tracks, normalize="l2")
    with pytest.raises(InputError, match="config key target: 'softmax'"):
        gradcam(decode, None, tracks, target="softmax")


def test_core_enhancers_hand_made():
    # Three 40-bp windows of 4 bins: two predicted (one pair book-ended), one not.
    windows = pd.DataFrame({"chrom": ["c1", "c1", "c2"], "start": [0, 40, 100], "end": [40, 80, 140]})
    p = np.array([0.9, 0.6, 0.2])
    cams = np.array([[0, 1, 3, 4], [4, 0, 2, 2], [9, 9, 9, 9]], dtype=float)
    got = call_core_enhancers(windows, p, cams)
    # Threshold: mean of the predicted windows' 8 bins = 16 / 8 = 2 (the unpredicted window is left out).
    assert got["cam_threshold"] == pytest.approx(2.0)
    assert got["original"].values.tolist() == [["c1", 0, 80]]
    # Kept (> 2): bins 20-30 (3), 30-40 (4), 40-50 (4) merge; bins of value 2 are not kept.
    assert got["refined"][["chrom", "start", "end"]].values.tolist() == [["c1", 20, 50]]
    assert got["refined"]["score"].tolist() == [pytest.approx(11 / 3)]
    assert got["original_bp"] == 80
    assert got["refined_bp"] == 30
    assert got["compression"] == pytest.approx(30 / 80)


def test_core_enhancers_none_predicted_and_mismatch():
    windows = pd.DataFrame({"chrom": ["c1"], "start": [0], "end": [40]})
    got = call_core_enhancers(windows, np.array([0.1]), np.ones((1, 4)))
    assert len(got["original"]) == 0 and len(got["refined"]) == 0 and np.isnan(got["compression"])
    with pytest.raises(InputError, match="do not divide into 3 bins"):
        call_core_enhancers(windows, np.array([0.9]), np.ones((1, 3)))
    with pytest.raises(InputError, match="1 windows, 2 probabilities"):
        call_core_enhancers(windows, np.array([0.9, 0.1]), np.ones((1, 4)))


def test_overlap_counts_each_base_once():
    regions = pd.DataFrame({"chrom": ["a", "a", "b"], "start": [0, 5, 0], "end": [10, 20, 10]})
    elements = pd.DataFrame({"chrom": ["a", "a"], "start": [8, 12], "end": [15, 30]})
    assert interval_bp(regions) == 30
    assert overlap_bp(regions, elements) == 12  # a:8-20


# --- config checks ---------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"


def merge(base, over):
    """Snakemake's --configfile merge: mappings recursively, everything else replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = (
            merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


@pytest.fixture(scope="module")
def toy_config():
    base, over = (yaml.safe_load((ROOT / f"config/{f}.yaml").read_text()) for f in ("config", "toy"))
    return merge(base, over)


def _gradcam_config(config, study, part, models=None):
    cfg = copy.deepcopy(config)
    cfg["studies"][study]["interpret"] = {"gradcam": part}
    if models is not None:
        cfg["studies"][study]["models"] = models
    return cfg


def test_toy_decode_study_gets_gradcam_defaults_and_targets(toy_config):
    from seqcnn.layout import interpretation_targets

    cfg = check_config(copy.deepcopy(toy_config), SCHEMA)
    part = cfg["studies"]["decode"]["interpret"]["gradcam"]
    assert part["layer"] is None and part["normalize"] == "per_window" and part["target"] == "probability"
    targets = interpretation_targets(cfg, "decode")
    assert "results/decode/interpret/decode/trial0/gradcam/refined.bed" in targets
    assert "results/decode/figures/gradcam/decode.png" in targets
    assert interpretation_targets(cfg, "deepbind") == []


@pytest.mark.parametrize(
    "study, part, models, message",
    [
        ("decode", {"layer": 7}, None,
         r"config key studies\.decode\.interpret\.gradcam\.layer: 7 is past model 'decode''s conv layers; "
         r"expected 0\.\.6"),
        ("danq", {"models": ["rnn"]}, None,
         r"config key studies\.danq\.interpret\.gradcam\.models\[0\]: model 'rnn' has no conv layer over its "
         "input"),
        ("danq", {"models": ["decode"]}, None,
         r"config key studies\.danq\.interpret\.gradcam\.models\[0\]: 'decode' is not one of this study's"),
        ("danq", {}, None,
         r"config key studies\.danq\.interpret\.gradcam\.models: study 'danq' has no track"),
        ("danq", {"models": ["danq"], "split": "scan"}, None,
         r"config key studies\.danq\.interpret\.gradcam\.split: 'scan' needs a scan of the test "
         r"chromosomes, and dataset 'toy_peaks_1000' has none; expected "
         r"datasets\.toy_peaks_1000\.scan_stride"),
    ],
)  # fmt: skip
def test_bad_gradcam_settings_are_refused_before_any_job(toy_config, study, part, models, message):
    with pytest.raises(InputError, match=message):
        check_config(_gradcam_config(toy_config, study, part, models), SCHEMA)


# --- one run end to end -----------------------------------------------------------------------------------


def _tiny_run(tmp_path, task="binary"):
    """A DECODE run (random weights) and a 6-window dataset whose test windows hold one planted element."""
    from seqcnn.datasets import write_dataset

    torch.manual_seed(3)
    settings = {"model": "decode", "classes": ["e"], "seq_len": 50, "n_tracks": 3, "model_options": {},
                "inputs": ["tracks"], "task": task, "task_index": None, "trial": 0}  # fmt: skip
    run = tmp_path / "run"
    run.mkdir()
    (run / "settings.json").write_text(json.dumps(settings))
    torch.save(build_model("decode", n_classes=1, seq_len=50, n_tracks=3).state_dict(), run / "model.pt")
    rng = np.random.default_rng(0)
    parts, arrays, rows = {}, {}, []
    for split in ("train", "valid", "test"):
        parts[split] = (np.zeros((2, 500), np.uint8), np.array([[1.0], [0.0]], np.float32))
        arrays[f"{split}.tracks.npy"] = rng.random((2, 3, 50)).astype(np.float32)
        for i in range(2):
            start = 1000 * (len(rows) + 1)
            rows.append({"chrom": "chr1", "start": start, "end": start + 500, "name": f"w{len(rows)}",
                         "split": split, "index": i, "label": 1 - i})  # fmt: skip
    meta = {"classes": ["e"], "seq_len": 500, "tracks": {"bin_size": 10}}
    write_dataset(tmp_path / "data", parts, meta, pd.DataFrame(rows), pd.DataFrame({"metric": []}), arrays)
    toy = tmp_path / "toy"
    (toy / "truth").mkdir(parents=True)
    (toy / "truth.json").write_text("{}")
    pd.DataFrame(
        {"element": ["e1"], "chrom": ["chr1"], "start": [5100], "end": [5300], "kind": ["starr"]}
    ).to_csv(toy / "truth/elements.tsv", sep="\t", index=False)
    return run, tmp_path / "data", toy / "truth.json"


def test_run_core_enhancers_writes_every_output(tmp_path):
    from seqcnn.gradcam import call_run_core_enhancers

    run, data, truth = _tiny_run(tmp_path)
    outs = [tmp_path / f for f in ("maps.npz", "original.bed", "refined.bed", "summary.tsv")]
    summary = call_run_core_enhancers(run, data, *outs, truth=[truth], threshold=0.0, normalize="none")
    s = summary.set_index("metric")["value"]
    # threshold 0: both test windows (chr1:5000-5500 and 6000-6500) are predicted and merged apart.
    assert s["windows"] == 2 and s["predicted_windows"] == 2 and s["original_bp"] == 1000
    assert s["planted_fraction_original"] == pytest.approx(200 / 1000)
    assert 0 < s["refined_bp"] <= 1000 and s["compression"] == pytest.approx(s["refined_bp"] / 1000)
    maps = np.load(outs[0])
    assert maps["cam"].shape == (2, 50) and list(maps["start"]) == [5000, 6000]
    assert (maps["cam"] >= 0).all() and maps["cam_random"].shape == (2, 50)
    original = pd.read_csv(outs[1], sep="\t", header=None)
    assert original.values.tolist() == [["chr1", 5000, 5500], ["chr1", 6000, 6500]]
    refined = pd.read_csv(outs[2], sep="\t", header=None)
    assert (refined[1] % 10 == 0).all() and (refined[3] > s["cam_threshold"]).all()


def test_run_core_enhancers_refuses_regression_and_bad_layer(tmp_path):
    from seqcnn.gradcam import call_run_core_enhancers

    run, data, _ = _tiny_run(tmp_path, task="regression")
    outs = [tmp_path / f for f in ("m.npz", "o.bed", "r.bed", "s.tsv")]
    with pytest.raises(InputError, match="regression run; DECODE's core-enhancer calling needs a binary"):
        call_run_core_enhancers(run, data, *outs)
    settings = json.loads((run / "settings.json").read_text())
    (run / "settings.json").write_text(json.dumps({**settings, "task": "binary"}))
    with pytest.raises(InputError, match="config key layer: 9 is past 'decode''s conv layers"):
        call_run_core_enhancers(run, data, *outs, layer=9)
    assert not any(p.exists() for p in outs)
