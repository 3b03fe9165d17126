"""Projection into W / W+ and edit directions (stylegan_lib.project.projection, stylegan_lib.project.editing).

The numbers behind the thresholds were measured on the shipped book-32 model, CPU, one thread
(targets drawn by the model itself with fixed noise maps, classifier distance, pixel weight 1):

* the fixture's targets (seeds 100–101 from one w; 102–103 below style 4 mixed with 200–201
  from it): w̄'s image has pixel MSE 0.099 and 0.158 on the single-w targets; after 80 steps in
  W the reconstructions have 0.0020–0.0036 (projection seeds 0, 1, 2: ratio to w̄ ≤ 0.036;
  at 300 steps 0.0011–0.0016);
* on the style-mixed targets, which W cannot express and W+ can, the mean MSE after 80 steps is
  0.0093 / 0.0053 / 0.0058 in W and 0.0034 / 0.0023 / 0.0026 in W+ (ratio 0.37–0.45), the final
  perceptual distance 0.21–0.26 in W and 0.11–0.14 in W+;
* directions from 400 samples: moving 64 held-out latents by +2 along "male", "glasses",
  "smiling" raises the own logit by +3.0, +1.8, +3.4 on average, for 70–86 % of the latents.
"""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from stylegan_lib.project.editing import edit, edit_directions, fit_direction
from stylegan_lib.images import to_hwc
from stylegan_lib.latent import mix_styles, z_from_seeds
from stylegan_lib.project.projection import (TargetImageError, learning_rate, load_projection, main, noise_regularization,
                                     normalize_noise_, project, read_target, w_noise_scale)

STEPS = 80


@pytest.fixture(scope="module")
def book_G():
    from stylegan_lib.pretrained import load_pretrained

    torch.set_num_threads(1)
    return load_pretrained("book-32", device="cpu")


@pytest.fixture(scope="module")
def targets(book_G):
    """Four images the model draws: 0–1 from one w each, 2–3 style-mixed (two ws)."""
    G = book_G
    wa = G.mapping(z_from_seeds(range(100, 104), G.z_dim))
    wb = G.mapping(z_from_seeds(range(200, 204), G.z_dim))
    ws = torch.cat([wa[:2], mix_styles([wa[2:], wb[2:]], [4])])
    noise = G.synthesis.make_noise_inputs(4, seed=7)
    return {"ws": ws, "noise": noise, "images": G.synthesis(ws, noise=noise)}


@pytest.fixture(scope="module")
def projections(book_G, targets):
    kw = dict(num_steps=STEPS, distance="classifier", progress=False, seed=0)
    return {"w": project(book_G, targets["images"], "w", frame_every=20, **kw),
            "w+": project(book_G, targets["images"], "w+", **kw)}


# -- the schedule -----------------------------------------------------------------------------
def test_learning_rate_ramps_up_holds_and_ramps_down():
    n = 1000
    lr = np.array([learning_rate(s, n) for s in range(n + 1)])
    assert lr[0] == 0.0 and lr[25] == pytest.approx(0.05)            # linear ramp-up over 5 %
    assert np.all(np.diff(lr[:51]) > 0) and lr[50] == pytest.approx(0.1)
    assert np.allclose(lr[50:751], 0.1)                               # flat until the last 25 %
    assert np.all(np.diff(lr[750:]) < 0) and lr[n] == pytest.approx(0.0, abs=1e-12)
    assert lr[875] == pytest.approx(0.05)                             # cosine: half way down = ½
    assert learning_rate(10, 100, initial_learning_rate=0.3) == pytest.approx(0.3)


def test_w_noise_decays_to_zero_over_three_quarters():
    assert w_noise_scale(0, 100, w_std=4.0) == pytest.approx(0.05 * 4.0)
    # (1 − t/0.75)² at t = 0.375 is ¼
    assert w_noise_scale(375, 1000, w_std=4.0) == pytest.approx(0.05 * 4.0 / 4)
    assert w_noise_scale(750, 1000, w_std=4.0) == 0.0 and w_noise_scale(900, 1000, w_std=4.0) == 0.0


# -- the noise maps -----------------------------------------------------------------------------
def test_noise_regularization_hand_values():
    checker = (torch.arange(16)[:, None] + torch.arange(16)[None]) % 2 * 2.0 - 1   # ±1 checkerboard
    # 16²: shifted product −1 across and down → 1 + 1; its 8² average is 0 → 0.
    assert noise_regularization([checker.view(1, 1, 16, 16)]).item() == pytest.approx(2.0)
    # a constant map correlates fully at 16² and at 8²: 2 + 2
    assert noise_regularization([torch.ones(1, 1, 16, 16)]).item() == pytest.approx(4.0)
    # a 4² map is only measured at its own size; one value per image
    reg = noise_regularization([torch.ones(2, 1, 4, 4), torch.ones(2, 1, 8, 8)])
    assert reg.shape == (2,) and torch.allclose(reg, torch.full((2,), 4.0))
    white = torch.randn(1, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    assert noise_regularization([white]).item() < 0.01


def test_normalize_noise_per_image():
    maps = [torch.randn(3, 1, 8, 8) * 5 + 2, torch.rand(3, 1, 4, 4)]
    normalize_noise_(maps)
    for m in maps:
        assert torch.allclose(m.mean(dim=(1, 2, 3)), torch.zeros(3), atol=1e-5)
        assert torch.allclose(m.square().mean(dim=(1, 2, 3)), torch.ones(3), atol=1e-4)


def test_projected_noise_maps_stay_normalised(projections):
    for result in projections.values():
        assert all(m is not None for m in result.noise)
        for m in result.noise:
            assert torch.allclose(m.mean(dim=(1, 2, 3)), torch.zeros(len(m)), atol=1e-4)
            assert torch.allclose(m.std(dim=(1, 2, 3), unbiased=False), torch.ones(len(m)), atol=1e-3)


# -- projection -----------------------------------------------------------------------------------
def test_projection_recovers_an_image_of_the_generator(book_G, targets, projections):
    G, result = book_G, projections["w"]
    w_avg = G.mapping.w_avg.reshape(1, 1, -1).expand(4, G.num_ws, -1)
    avg_error = (G.synthesis(w_avg, noise=targets["noise"]) - targets["images"]).square().mean(dim=(1, 2, 3))
    error = result.pixel_error()
    # measured: w̄ 0.099 and 0.158, projection 0.0020–0.0036 (single-w targets, 80 steps)
    assert torch.all(error[:2] < 0.15 * avg_error[:2]), (error, avg_error)
    assert torch.all(error[:2] < 0.02), error
    assert result.ws.shape == (4, G.num_ws, G.w_dim) and result.w.shape == (4, G.w_dim)
    assert torch.equal(result.ws[:, 0], result.ws[:, -1])          # W: one w for every style input
    # the reconstruction is what the latent and noise found draw
    assert torch.allclose(G.synthesis(result.ws, noise=result.noise), result.image, atol=1e-5)
    assert len(result.loss) == STEPS and len(result.learning_rate) == STEPS
    assert np.mean(result.loss[-5:]) < 0.2 * np.mean(result.loss[:5])


def test_w_plus_reconstructs_at_least_as_well_as_w(projections):
    w, w_plus = projections["w"], projections["w+"]
    assert w_plus.ws.shape == w.ws.shape and w_plus.w.shape == w.ws.shape
    assert not torch.equal(w_plus.ws[:, 0], w_plus.ws[:, -1])
    # style-mixed targets: W cannot express them, W+ can (measured ratio of mean MSEs 0.37–0.45)
    mixed_w, mixed_wp = w.pixel_error()[2:].mean(), w_plus.pixel_error()[2:].mean()
    assert mixed_wp < 0.8 * mixed_w, (mixed_wp, mixed_w)
    assert w_plus.pixel_error().mean() <= w.pixel_error().mean()
    assert w_plus.distance[-1] < w.distance[-1]


def test_progress_frames(projections, book_G):
    frames = projections["w"].frames
    assert len(frames) == 5                                         # steps 0, 20, 40, 60, 79
    r = book_G.img_resolution
    assert frames[0].shape == (4 * (r + 1) + 1, 2 * (r + 1) + 1, 3) and frames[0].dtype == np.uint8
    assert not np.array_equal(frames[0], frames[-1])


def test_project_refuses_a_target_of_the_wrong_size(textured_G):
    with pytest.raises(ValueError, match=r"\[N, 3, 16, 16\].*resize or crop"):
        project(textured_G, torch.zeros(1, 3, 32, 32), num_steps=1, distance="classifier", progress=False)
    with pytest.raises(ValueError, match="space must be one of"):
        project(textured_G, torch.zeros(1, 3, 16, 16), space="z", num_steps=1, distance="classifier",
                progress=False)


def test_project_runs_on_a_tiny_generator_with_uint8_targets(textured_G):
    target = torch.randint(0, 256, (1, 3, 16, 16), dtype=torch.uint8)
    result = project(textured_G, target, "w+", num_steps=3, distance="classifier", progress=False,
                     w_avg_samples=500)
    assert result.image.shape == (1, 3, 16, 16) and result.target.dtype == torch.float32
    assert len(result.noise) == textured_G.synthesis.num_layers


class PixelDistance:
    """A stand-in perceptual distance: the image itself is the embedding."""
    name = "pixels"

    def embed(self, images):
        return images.flatten(1)


def test_project_takes_any_perceptual_distance(textured_G):
    target = textured_G(torch.randn(1, textured_G.z_dim), noise_mode="const")
    result = project(textured_G, target, num_steps=5, distance=PixelDistance(), pixel_weight=0, progress=False,
                     w_avg_samples=500)
    assert result.distance_name == "pixels"
    # the distance of pixel embeddings is the summed squared error: the MSE × 3·16·16
    assert np.allclose(result.distance, np.array(result.pixel) * 3 * 16 * 16, rtol=1e-4)
    with pytest.raises(TypeError, match="PerceptualDistance"):
        project(textured_G, target, num_steps=1, distance=3, progress=False)


# -- edit directions ----------------------------------------------------------------------------------
def test_fit_direction_sign_and_length():
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(400, 8, generator=gen)
    truth = torch.tensor([0.0, -3.0, 1.0, 0, 0, 0, 0, 0])
    probs = torch.sigmoid(w @ truth)
    d, acc = fit_direction(w, probs)
    assert d.norm().item() == pytest.approx(1.0, abs=1e-6)
    assert torch.dot(d, truth / truth.norm()).item() > 0.95 and acc > 0.95
    with pytest.raises(ValueError, match="same label"):
        fit_direction(w, torch.full((400,), 0.9))


def test_edit_moves_w_and_chosen_layers():
    d = torch.tensor([1.0, 0.0, 0.0])
    w = torch.zeros(2, 3)
    assert torch.equal(edit(w, d, 2.0), torch.tensor([[2.0, 0, 0], [2.0, 0, 0]]))
    assert torch.equal(edit(w, d, torch.tensor([1.0, -1.0]))[:, 0], torch.tensor([1.0, -1.0]))
    ws = torch.zeros(2, 4, 3)
    out = edit(ws, d, 1.5, layers=range(0, 2))
    assert torch.equal(out[:, :2, 0], torch.full((2, 2), 1.5)) and torch.equal(out[:, 2:], ws[:, 2:])
    assert torch.equal(edit(ws, d, torch.tensor([1.0, 2.0]))[:, :, 0], torch.tensor([[1.0] * 4, [2.0] * 4]))
    with pytest.raises(ValueError, match="same w_dim"):
        edit(w, torch.ones(4), 1.0)


def test_directions_raise_their_attribute_on_the_book_model(book_G):
    from stylegan_lib.metrics.classifier import load_classifier

    G, classifier = book_G, load_classifier()
    # "male" is left out: on the shipped model its direction does not raise p(male) (−0.37 on
    # average at +2, −0.57 at −2: any large step lowers it), which chapter 14 shows and discusses.
    names = ["long_hair", "glasses", "smiling"]
    directions = edit_directions(G, names, num=400, progress=False)
    assert list(directions) == names
    w = G.mapping(z_from_seeds(range(5000, 5064), G.z_dim))
    noise = G.synthesis.make_noise_inputs(64, seed=1)
    base = classifier(G.synthesis(w, noise=noise))
    for name, d in directions.items():
        assert d.shape == (G.w_dim,) and d.norm().item() == pytest.approx(1.0, abs=1e-5)
        col = classifier.attributes.index(name)
        up = classifier(G.synthesis(edit(w, d, 2.0), noise=noise))[:, col] - base[:, col]
        down = classifier(G.synthesis(edit(w, d, -2.0), noise=noise))[:, col] - base[:, col]
        # measured on the shipped model: +1.3 … +3.6 on average, for 77–84 % of the latents
        assert up.mean() > 0.5 and (up > 0).float().mean() > 0.55, (name, up.mean())
        assert down.mean() < 0, (name, down.mean())


def test_edit_directions_refuses_unknown_attributes(book_G):
    with pytest.raises(ValueError, match="unknown attributes.*classifier knows"):
        edit_directions(book_G, ["moustache"], num=10, progress=False)


# -- reading a target file ----------------------------------------------------------------------------
def test_read_target_converts_and_refuses(tmp_path):
    Image.new("L", (8, 8), 100).save(tmp_path / "gray.png")
    x, notes = read_target(tmp_path / "gray.png", 8)
    assert x.shape == (1, 3, 8, 8) and x.dtype == torch.uint8 and torch.all(x == 100)
    assert "grayscale" in notes[0]
    Image.new("RGBA", (8, 8), (10, 20, 30, 255)).save(tmp_path / "opaque.png")
    x, notes = read_target(tmp_path / "opaque.png", 8)
    assert x[0, :, 0, 0].tolist() == [10, 20, 30] and "RGBA" in notes[0]
    Image.new("RGBA", (8, 8), (10, 20, 30, 128)).save(tmp_path / "glass.png")
    with pytest.raises(TargetImageError, match="transparent pixels.*Flatten"):
        read_target(tmp_path / "glass.png", 8)
    Image.new("CMYK", (8, 8)).save(tmp_path / "print.jpg")
    with pytest.raises(TargetImageError, match="mode 'CMYK'.*8-bit RGB"):
        read_target(tmp_path / "print.jpg", 8)
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(TargetImageError, match="cannot be read as an image"):
        read_target(tmp_path / "junk.png", 8)


# -- command line --------------------------------------------------------------------------------------
def test_cli_writes_its_files_and_refuses_to_overwrite(book_G, targets, tmp_path, capsys):
    image = tmp_path / "face.png"
    Image.fromarray(to_hwc(targets["images"][:1])[0]).save(image)
    out = tmp_path / "proj"
    assert main([str(image), "--out", str(out), "--steps", "4", "--distance", "classifier", "--video",
                 "--device", "cpu"]) == 0
    for name in ("projected_w.pt", "reconstruction.png", "target.png", "loss.json", "progress.gif"):
        assert (out / name).is_file(), name
    saved = load_projection(out / "projected_w.pt")
    assert saved["space"] == "w" and saved["w"].shape == (1, book_G.w_dim)
    redrawn = to_hwc(book_G.synthesis(saved["ws"], noise=saved["noise"]))[0]
    assert np.abs(redrawn.astype(int) - np.asarray(Image.open(out / "reconstruction.png")).astype(int)).max() <= 1
    assert np.array_equal(np.asarray(Image.open(out / "target.png")), np.asarray(Image.open(image)))
    assert len(json.loads((out / "loss.json").read_text())["loss"]) == 4
    with Image.open(out / "progress.gif") as gif:
        assert gif.n_frames == 4                                    # a frame every step of 4
    capsys.readouterr()

    with pytest.raises(SystemExit) as e:
        main([str(image), "--out", str(out), "--steps", "2", "--distance", "classifier"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "projected_w.pt" in err and "already exist" in err and "--force" in err
    assert main([str(image), "--out", str(out), "--steps", "2", "--distance", "classifier", "--force",
                 "--device", "cpu"]) == 0


def test_cli_refuses_an_image_of_the_wrong_size(tmp_path, capsys):
    Image.new("RGB", (20, 24)).save(tmp_path / "small.png")
    assert main([str(tmp_path / "small.png"), "--out", str(tmp_path / "o"), "--steps", "2", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "is 20×24 pixels" in err and "makes 32×32 images" in err and "stylegan_lib prepare" in err
    assert not (tmp_path / "o").exists()
