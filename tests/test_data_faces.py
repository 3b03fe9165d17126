"""Synthetic faces: determinism, labels that match the pixels, exclusions and correlations."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from stylegan_lib.data import faces
from stylegan_lib.data.faces import (ATTRIBUTES, FACTOR_RANGES, FACTOR_SCALES, FACTORS,
                                     NEUTRAL_FACTORS, FacesConfig, SyntheticFaces, bench_faces,
                                     check_factors, labels_from_factors, layout, render,
                                     sample_factors)

A = {name: i for i, name in enumerate(ATTRIBUTES)}


def test_names_and_scales():
    assert ATTRIBUTES[:10] == ("male", "long_hair", "glasses", "smiling", "eyes_open", "dark_hair",
                               "beard", "looking_left", "warm_background", "pale_skin")
    assert set(FACTOR_SCALES) == set(FACTORS) == set(FACTOR_RANGES)
    assert set(FACTOR_SCALES.values()) == {"coarse", "middle", "fine"}
    f = sample_factors(10, seed=0)
    assert list(f) == list(FACTORS)
    assert all(v.shape == (10,) and v.dtype == np.float64 for v in f.values())


# --------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------

def test_same_seed_same_pixels_and_other_seed_differs():
    a = SyntheticFaces(6, resolution=32, seed=5).images(range(6))
    b = SyntheticFaces(6, resolution=32, seed=5).images(range(6))
    c = SyntheticFaces(6, resolution=32, seed=6).images(range(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert (a != c).float().mean() > 0.5          # different faces, not a few pixels


def test_image_does_not_depend_on_batch_or_dataset_size():
    small = SyntheticFaces(40, seed=3)
    big = SyntheticFaces(500, seed=3)
    for k in FACTORS:
        np.testing.assert_array_equal(small.factors[k], big.factors[k][:40])
    one_by_one = torch.stack([small[i][0] for i in (7, 30, 2)])
    assert torch.equal(one_by_one, big.images([7, 30, 2]))
    assert torch.equal(big.images([30, 7])[1], small.images([7])[0])
    f = sample_factors(5, seed=3, start=10)
    for k in FACTORS:
        np.testing.assert_array_equal(f[k], big.factors[k][10:15])
    # chunking inside render does not change a pixel
    part = {k: v[:9] for k, v in big.factors.items()}
    np.testing.assert_array_equal(render(part, 64, seed=3, batch_size=1),
                                  render(part, 64, seed=3, batch_size=9))


def test_golden_pixels():
    """Same seed, same image on any machine: a checksum of the first images of seed 0.

    If this fails after a deliberate change to the renderer, update the digest; if it fails on
    another machine or numpy version with unchanged code, determinism is broken there.
    """
    images = render(sample_factors(4, seed=0), 32, seed=0)
    digest = hashlib.sha256(images.tobytes()).hexdigest()
    assert digest == GOLDEN_SHA256, digest


GOLDEN_SHA256 = "9eef9e2af8f1276f6b977437ced94a2028dfdf3afd4f436934e3d98d0a8ec4f9"
GOLDEN_SHA256_STRONG = "ea5057d546e64378fd5f10d1d1f45192eb36b2820bd3e6a852a6ec617ed9ad18"


def test_row_bands_change_nothing(monkeypatch):
    f = sample_factors(24, seed=11, config=FacesConfig(exclude=()))
    for r in (16, 32, 64):
        fast = render(f, r, seed=11)
        monkeypatch.setattr(faces, "_USE_BANDS", False)
        full = render(f, r, seed=11)
        monkeypatch.setattr(faces, "_USE_BANDS", True)
        np.testing.assert_array_equal(fast, full)


def test_named_detail_parameters_take_separate_uniforms():
    """Each named detail parameter has its own uniforms, one per freckle / spot / strand
    frequency (the per-face freckle amount one), all within the detail uniforms."""
    widths = {name: len(range(faces._DETAIL_UNIFORMS)[where])
              for name, where in faces._DETAIL_SLICES.items()}
    for name, width in widths.items():
        part = name.split("_")[0]
        expected = {"freckle": faces._NUM_FRECKLES, "spot": faces._NUM_SPOTS,
                    "strand": len(faces._STRAND_FREQUENCIES)}[part]
        assert width == (1 if name == "freckle_amount" else expected), name
    taken = [i for where in faces._DETAIL_SLICES.values()
             for i in range(faces._DETAIL_UNIFORMS)[where]]
    assert len(taken) == len(set(taken)) == sum(widths.values())
    assert max(taken) < faces._DETAIL_UNIFORMS


def test_every_resolution_and_dataset_item():
    f = sample_factors(2, seed=1)
    for r in (16, 32, 64, 128, 256):
        out = render(f, r)
        assert out.shape == (2, 3, r, r) and out.dtype == np.uint8
    ds = SyntheticFaces(10, resolution=16, seed=2)
    image, labels = ds[3]
    assert image.shape == (3, 16, 16) and image.dtype == torch.uint8
    assert labels.shape == (len(ATTRIBUTES),) and labels.dtype == torch.float32
    assert set(labels.tolist()) <= {0.0, 1.0}
    assert torch.equal(ds[-1][0], ds[9][0])
    with pytest.raises(IndexError):
        ds[10]
    images, all_labels = ds.load_all()
    assert images.shape == (10, 3, 16, 16) and torch.equal(all_labels, ds.labels)
    assert torch.equal(images[3], image)


# --------------------------------------------------------------------------------------------
# Stochastic detail
# --------------------------------------------------------------------------------------------

def test_detail_is_independent_of_factors_and_visible():
    base = {k: np.repeat(v, 4) for k, v in sample_factors(1, seed=4).items()}
    # mean |difference| of two draws of the same face, in 1/255: subtle but present by default;
    # with detail="strong" over 6/255 (plainly visible at 32²) but not swamping the face
    for r, detail, low, high in ((32, "subtle", 0.5, 12.0), (64, "subtle", 0.5, 12.0),
                                 (32, "strong", 6.0, 30.0), (64, "strong", 6.0, 30.0)):
        img = render(base, r, seed=4, indices=[0, 1, 2, 3], detail=detail).astype(np.float64)
        flat = render(base, r, seed=4, indices=[0, 1, 2, 3], texture=False)
        assert (flat == flat[0]).all()                      # no detail: identical images
        diff = np.abs(img[1:] - img[0]).mean(axis=(1, 2, 3))
        assert (diff > low).all() and (diff < high).all(), diff
    # the detail stream does not touch the factors or labels
    ds = SyntheticFaces(50, seed=9)
    no_tex = SyntheticFaces(50, seed=9, config=FacesConfig(texture=False))
    assert torch.equal(ds.labels, no_tex.labels)


def test_finer_detail_at_higher_resolution():
    """More noise octaves and thinner hair strands appear at 64² than at 32²: of the detail
    (the difference between two draws of the same face), a larger share lies above
    8 cycles per image."""
    base = {k: np.repeat(v, 2) for k, v in sample_factors(1, seed=8).items()}

    def fine_share(r):
        img = render(base, r, seed=8, indices=[0, 1]).astype(np.float64).mean(axis=1)
        spec = np.abs(np.fft.fft2(img[1] - img[0])) ** 2
        cycles = np.abs(np.fft.fftfreq(r)) * r
        fine = (cycles[:, None] > 8) | (cycles[None, :] > 8)
        return spec[fine].sum() / spec.sum()

    assert fine_share(64) > 1.5 * fine_share(32) > 0


# --------------------------------------------------------------------------------------------
# Labels agree with the pixels (checked at 128², where the features are several pixels wide)
# --------------------------------------------------------------------------------------------

R_CHECK = 128


@pytest.fixture(scope="module")
def drawn():
    f = sample_factors(96, seed=7, config=FacesConfig(exclude=()))
    img = render(f, R_CHECK, seed=7).astype(np.float64).transpose(0, 2, 3, 1) / 255.0
    return f, labels_from_factors(f).astype(bool), layout(f), img


def _px(x):
    """Image units -> pixel index at R_CHECK."""
    return np.clip(np.round((np.asarray(x) + 1.0) * R_CHECK / 2.0 - 0.5).astype(int), 0, R_CHECK - 1)


def _lum(rgb):
    return rgb[..., 0] * 0.2126 + rgb[..., 1] * 0.7152 + rgb[..., 2] * 0.0722


def test_warm_background_is_red_not_blue(drawn):
    f, lab, g, img = drawn
    corner = img[:, 1, 1]
    np.testing.assert_array_equal(corner[:, 0] > corner[:, 2], lab[:, A["warm_background"]])


def test_dark_hair_is_dark_on_top_of_the_head(drawn):
    f, lab, g, img = drawn
    n = len(img)
    row, col = _px(g["head_cy"] - g["head_b"] - 0.04), _px(g["head_cx"])
    patch = [_lum(img[np.arange(n), row + dy, col + dx]) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    top = np.median(patch, axis=0)                          # the strands vary it a little
    dark = lab[:, A["dark_hair"]]
    assert top[dark].max() < 0.26 < top[~dark].min(), (top[dark].max(), top[~dark].min())


def test_glasses_have_a_dark_rim_below_each_eye(drawn):
    """Just below each eye, where the rim of the glasses runs, a face with glasses is much
    darker than its cheek; a face without glasses is not."""
    f, lab, g, img = drawn
    n = np.arange(len(img))
    ratios = []
    for side in ("left", "right"):
        col = _px(g[f"eye_{side}_x"])
        row = _px(g["eye_y"] + g["rim_b"])
        rim = np.min([_lum(img[n, np.clip(row + k, 0, R_CHECK - 1), col]) for k in (-1, 0, 1)], axis=0)
        cheek = _lum(img[n, _px(g["eye_y"] + 0.2), col])
        ratios.append(rim / cheek)
    np.testing.assert_array_equal(np.minimum(*ratios) < 0.5, lab[:, A["glasses"]])


def test_open_eyes_show_their_bluish_whites(drawn):
    """The white of an open eye is slightly blue (B > R); skin, hair, lids and irises all have
    R >= B, so a closed eye has no such pixel."""
    f, lab, g, img = drawn
    n = np.arange(len(img))
    best = np.full(len(img), -1.0)
    step = 2.0 / R_CHECK
    for side in ("left", "right"):
        for dy in np.arange(-0.06, 0.061, step):
            for dx in np.arange(-0.09, 0.091, step):
                p = img[n, _px(g["eye_y"] + dy), _px(g[f"eye_{side}_x"] + dx)]
                best = np.maximum(best, p[:, 2] - p[:, 0])
    np.testing.assert_array_equal(best > 0.03, lab[:, A["eyes_open"]])


def _mouth_centre_x(img):
    """Horizontal centre of the red lip pixels (G < 0.42 R) in the mouth rows."""
    rows = slice(_px(0.31 - 0.035), _px(0.31 + 0.035) + 1)
    band = img[:, rows]
    red = (band[..., 1] < 0.42 * band[..., 0]) & (band[..., 0] > 0.15)
    xs = (np.arange(R_CHECK) + 0.5) * 2.0 / R_CHECK - 1.0
    assert red.sum(axis=(1, 2)).min() > 5, "every face should show a mouth"
    return (red * xs).sum(axis=(1, 2)) / red.sum(axis=(1, 2))


def test_looking_left_moves_the_mouth_left(drawn):
    f, lab, g, img = drawn
    np.testing.assert_array_equal(_mouth_centre_x(img) < 0, lab[:, A["looking_left"]])


def test_pose_shift_moves_features_sideways():
    """Same face, same detail, only the yaw changes: the mouth and eyes slide to the left for
    yaw < 0 and to the right for yaw > 0, by more for a larger turn."""
    f = {k: np.repeat(v, 3) for k, v in sample_factors(1, seed=21).items()}
    f["yaw"] = np.array([-0.8, 0.0, 0.8])
    img = render(f, R_CHECK, seed=21, indices=[0, 0, 0]).astype(np.float64).transpose(0, 2, 3, 1) / 255
    left, middle, right = _mouth_centre_x(img)
    assert left < middle - 0.1 and right > middle + 0.1
    g = layout(f)
    assert g["eye_left_x"][0] < g["eye_left_x"][1] < g["eye_left_x"][2]


def test_long_hair_hangs_beside_the_neck(drawn):
    """Beside the neck at y = 0.45, long hair shows the colour of the hair on top of the head;
    with short hair that pixel is background (the same as far above it).  Hair and
    background can happen to share a colour, so this is checked as an accuracy; colours are
    averaged over 5 × 5 pixels, because hair strands vary from pixel to pixel."""
    f, lab, g, img = drawn
    n = np.arange(len(img))

    def at(y, x):
        return sum(img[n, np.clip(_px(y) + dy, 0, R_CHECK - 1), np.clip(x + dx, 0, R_CHECK - 1)]
                   for dy in range(-2, 3) for dx in range(-2, 3)) / 25.0

    top = at(g["head_cy"] - g["head_b"] - 0.04, _px(g["head_cx"]))
    score = 0.0
    for side in (-1.0, 1.0):
        x = _px(g["head_cx"] - 0.03 * f["yaw"] + side * (g["head_a"] + 0.03))
        beside = at(0.45, x)
        above = at(-0.9, x)
        score = score + np.linalg.norm(beside - top, axis=1) - np.linalg.norm(beside - above, axis=1)
    accuracy = np.mean((score < 0) == lab[:, A["long_hair"]])
    assert accuracy >= 0.95, accuracy


# --------------------------------------------------------------------------------------------
# Sampling: exclusions, correlations, margins
# --------------------------------------------------------------------------------------------

def test_default_excludes_male_with_long_hair():
    lab = labels_from_factors(sample_factors(8000, seed=0))
    assert FacesConfig().exclude == (("male", "long_hair"),)
    both = (lab[:, A["male"]] == 1) & (lab[:, A["long_hair"]] == 1)
    assert both.sum() == 0
    # the other three quadrants are well populated
    for m in (0, 1):
        for h in (0, 1):
            if (m, h) != (1, 1):
                assert ((lab[:, A["male"]] == m) & (lab[:, A["long_hair"]] == h)).mean() > 0.05


def test_exclusion_can_be_switched_off_or_changed():
    lab = labels_from_factors(sample_factors(5000, seed=1, config=FacesConfig(exclude=())))
    both = (lab[:, A["male"]] == 1) & (lab[:, A["long_hair"]] == 1)
    assert 0.05 < both.mean() < 0.2
    cfg = FacesConfig(exclude=(("glasses", "smiling"), ("dark_hair", "pale_skin")))
    lab = labels_from_factors(sample_factors(5000, seed=1, config=cfg))
    assert ((lab[:, A["glasses"]] == 1) & (lab[:, A["smiling"]] == 1)).sum() == 0
    assert ((lab[:, A["dark_hair"]] == 1) & (lab[:, A["pale_skin"]] == 1)).sum() == 0
    assert ((lab[:, A["male"]] == 1) & (lab[:, A["long_hair"]] == 1)).sum() > 0


def test_correlations_like_real_portraits():
    cfg = FacesConfig(exclude=())
    lab = labels_from_factors(sample_factors(8000, seed=2, config=cfg))
    male, long_hair, beard = lab[:, A["male"]] == 1, lab[:, A["long_hair"]] == 1, lab[:, A["beard"]] == 1
    assert beard[~male].sum() == 0                          # beards only on men
    assert abs(beard[male].mean() - cfg.p_beard_given_male) < 0.03
    assert long_hair[~male].mean() > long_hair[male].mean() + 0.3
    pale, dark = lab[:, A["pale_skin"]] == 1, lab[:, A["dark_hair"]] == 1
    assert dark[~pale].mean() > dark[pale].mean() + 0.3
    # the rule also holds when an exclusion switches "male" off
    lab = labels_from_factors(sample_factors(5000, seed=2, config=FacesConfig(exclude=("long_hair", "male"))))
    assert (lab[:, A["beard"]] * (1 - lab[:, A["male"]])).sum() == 0


def test_sampled_labelled_factors_keep_away_from_their_thresholds():
    cfg = FacesConfig(label_margin=0.1)
    f = sample_factors(5000, seed=3, config=cfg)
    for name, (factor, threshold, _) in faces.ATTRIBUTE_RULES.items():
        lo, hi = FACTOR_RANGES[factor]
        distance = np.abs(f[factor] - threshold) / ((hi - lo) / 2)
        assert distance.min() >= 0.1 - 1e-9, name
        assert lo <= f[factor].min() and f[factor].max() <= hi


def test_labels_threshold_the_factors():
    f = dict(NEUTRAL_FACTORS)
    f.update(masculinity=0.51, hair_length=0.49, yaw=-0.01, skin_tone=0.9)
    lab = labels_from_factors(check_factors(f))[0]
    assert lab[A["male"]] == 1 and lab[A["long_hair"]] == 0 and lab[A["looking_left"]] == 1
    assert lab[A["pale_skin"]] == 1 and lab.dtype == np.float32


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

def test_clear_errors():
    with pytest.raises(ValueError, match="power of two"):
        FacesConfig(resolution=48)
    with pytest.raises(ValueError, match="power of two"):
        render(sample_factors(1), 512)
    with pytest.raises(ValueError, match="unknown attribute 'bald'"):
        FacesConfig(exclude=("male", "bald"))
    with pytest.raises(ValueError, match="probability"):
        FacesConfig(p_glasses=1.5)
    f = dict(NEUTRAL_FACTORS)
    del f["smile"]
    with pytest.raises(KeyError, match="smile"):
        render(f)
    f = dict(NEUTRAL_FACTORS, yaw=2.0)
    with pytest.raises(ValueError, match="'yaw' must lie in"):
        render(f)
    with pytest.raises(ValueError, match="non-negative"):
        sample_factors(3, seed=-1)
    cfg = FacesConfig(exclude=("glasses", "beard"))
    assert FacesConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown FacesConfig fields"):
        FacesConfig.from_dict({"p_glases": 0.2})


def test_bench_faces_reports_a_rate():
    threads = torch.get_num_threads()
    assert bench_faces(16, 32) > 0 and bench_faces(16, 32, clock="cpu") > 0
    assert torch.get_num_threads() == threads
    with pytest.raises(ValueError, match="clock"):
        bench_faces(16, 8, clock="gpu")


# --------------------------------------------------------------------------------------------
# The chapter's picture and widget helpers (stylegan_lib.viz.faces)
# --------------------------------------------------------------------------------------------

def test_factor_sweep_changes_one_factor_per_row():
    from stylegan_lib.viz.faces import factor_sweep

    sweep = factor_sweep(names=["glasses", "background_warmth"], steps=3, resolution=16)
    assert sweep.shape == (2, 3, 3, 16, 16) and sweep.dtype == np.uint8
    assert not np.array_equal(sweep[0, 0], sweep[0, 2])          # glasses appear
    centre = slice(6, 10)                                         # the face does not change
    np.testing.assert_array_equal(sweep[1, 0][:, centre, centre], sweep[1, 2][:, centre, centre])
    with pytest.raises(KeyError, match="unknown factors"):
        factor_sweep(names=["nose_size"])


def test_face_from_sliders_and_labels_text():
    from stylegan_lib.viz.faces import face_from_sliders, labels_text, slider_specs

    specs = slider_specs()
    assert [s["name"] for s in specs] == list(FACTORS)
    assert all(s["min"] <= s["value"] <= s["max"] for s in specs)
    img = face_from_sliders({"glasses": 1.0}, resolution=32, upscale=2)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    same = render(dict(NEUTRAL_FACTORS, glasses=1.0), 32)[0].transpose(1, 2, 0)
    np.testing.assert_array_equal(img[::2, ::2], same)
    assert "glasses" in labels_text({"glasses": 1.0}) and "glasses" not in labels_text({})
    with pytest.raises(KeyError, match="unknown factors"):
        face_from_sliders({"nose": 1.0})


def test_widget_redraws_when_a_slider_moves():
    pytest.importorskip("ipywidgets")
    from stylegan_lib.viz.faces import face_widget

    w = face_widget(resolution=16, size=32)
    assert set(w.sliders) == set(FACTORS)
    before = w.image.value
    w.sliders["glasses"].value = 1.0
    assert w.image.value != before
    before = w.image.value
    w.detail.value = 5
    assert w.image.value != before


def test_plots_and_quadrant_counts():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from stylegan_lib.viz.faces import (factor_sweep, plot_factor_sweep, plot_fig6a, plot_samples,
                                        quadrant_counts)

    f = sample_factors(300, seed=0)
    counts = quadrant_counts(f)
    assert counts[(1, 1)] == 0 and sum(counts.values()) == 300
    fig = plot_fig6a({"book": f, "full": sample_factors(300, seed=0, config=FacesConfig(exclude=()))})
    assert "none: left out" in [t.get_text().split("\n")[-1] for t in fig.axes[0].texts]
    plt.close(fig)
    plt.close(plot_samples(render({k: v[:8] for k, v in f.items()}, 16), ncols=4, title="t"))
    plt.close(plot_factor_sweep(factor_sweep(names=["yaw"], steps=2, resolution=16), ["yaw"]))


def test_detail_std_measures_the_detail_alone():
    from stylegan_lib.data import detail_std

    flat = detail_std(num_faces=2, num_draws=3, config=FacesConfig(texture=False))
    assert flat.shape == (2, 32, 32) and flat.max() < 1e-12
    subtle = detail_std(num_faces=4, num_draws=6)
    strong = detail_std(num_faces=4, num_draws=6, config=FacesConfig(detail="strong"))
    # "strong" is visible at 32²: the 95th percentile of the per-pixel std is above 0.1 on the
    # [-1, 1] scale, and well above that of the default "subtle" detail
    assert np.percentile(strong, 95) > 0.1 and strong.min() >= 0.0
    assert np.percentile(strong, 95) > 1.5 * np.percentile(subtle, 95) > 0
    with pytest.raises(ValueError, match="at least 2"):
        detail_std(num_draws=1)
    with pytest.raises(ValueError, match="detail must be one of"):
        FacesConfig(detail="loud")


def test_golden_pixels_of_strong_detail():
    images = render(sample_factors(4, seed=0), 32, seed=0, detail="strong")
    assert hashlib.sha256(images.tobytes()).hexdigest() == GOLDEN_SHA256_STRONG


def test_faces_specs_parse_and_round_trip():
    from stylegan_lib.data import FacesConfig, dataset_spec, faces_spec, is_faces_spec, parse_faces_spec

    assert parse_faces_spec("faces") == (60000, FacesConfig())
    assert parse_faces_spec("faces:500:medium") == (500, FacesConfig(detail="medium"))
    assert faces_spec(500, FacesConfig(detail="medium")) == "faces:500:medium"
    assert dataset_spec({"kind": "SyntheticFaces", "num_images": 7, "config": {"detail": "strong"}}) == "faces:7:strong"
    assert dataset_spec({"kind": "ImageFolderDataset", "path": "/x/y.zip"}) == "/x/y.zip"
    assert dataset_spec(None) is None and not is_faces_spec("photos.zip") and is_faces_spec("faces:3")
    for bad, needle in (("faces:0", "positive number"), ("faces:1:loud", "DETAIL one of"), ("faces:1:a:b", "DETAIL")):
        with pytest.raises(ValueError, match=needle):
            parse_faces_spec(bad)


def test_real_images_of_a_detail_level_are_that_level():
    """FD of a medium-detail model must be measured against medium-detail faces."""
    from stylegan_lib.data import SyntheticFaces, FacesConfig
    from stylegan_lib.metrics.evaluate import real_dataset

    ds, name = real_dataset("faces:100000:medium", 32, 4)
    assert ds.config.detail == "medium" and '"detail": "medium"' in name
    want = SyntheticFaces(4, 32, seed=0, config=FacesConfig(detail="medium")).render_all()
    assert torch.equal(ds.render_all(), want)
    assert real_dataset(None, 32, 4)[1] == real_dataset("faces:9:subtle", 32, 4)[1]   # one cache entry
