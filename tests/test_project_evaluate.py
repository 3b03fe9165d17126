"""Measurements of projection and editing (stylegan_lib.project.evaluate): held-out faces,
reconstruction errors, flip rate and entanglement of editing, edit sweeps."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from stylegan_lib.data.faces import SyntheticFaces
from stylegan_lib.project import ProjectionResult
from stylegan_lib.project import evaluate as ev


class ColourClassifier(nn.Module):
    """A stand-in classifier: the logit of attribute k is 20 × the mean of colour channel k."""
    attributes = ("red", "green", "blue")

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, images):
        return self.scale * images.mean(dim=(2, 3))


def test_held_out_faces_are_new_faces_of_the_same_kind():
    images, labels, names = ev.held_out_faces(6)
    assert images.shape == (6, 3, 32, 32) and images.dtype == torch.uint8 and labels.shape == (6, len(names))
    again, _, _ = ev.held_out_faces(6)
    assert torch.equal(images, again)                                   # deterministic
    train = SyntheticFaces(6, seed=ev.TRAINING_DATA_SEED)
    assert not torch.equal(images, train.images(range(6)))
    with pytest.raises(ValueError, match="training data's seed"):
        ev.held_out_faces(2, seed=ev.TRAINING_DATA_SEED)
    # the default configuration leaves out men with long hair, as in training
    _, many, names = ev.held_out_faces(400)
    both = (many[:, names.index("male")] == 1) & (many[:, names.index("long_hair")] == 1)
    assert not both.any()


def test_reconstruction_errors_hand_values():
    target = torch.zeros(2, 3, 32, 32)
    image = target.clone()
    image[1] += 0.1
    result = ProjectionResult("w", torch.zeros(2, 8, 4), [], image, target, "test")
    errors = ev.reconstruction_errors(result, "classifier")
    assert errors["pixel"][0].item() == 0.0 and errors["pixel"][1].item() == pytest.approx(0.01)
    assert errors["perceptual"][0].item() == pytest.approx(0.0, abs=1e-6) and errors["perceptual"][1] > 0


def test_edit_score_formulas_by_hand():
    before = torch.tensor([[0.9, 0.2, 0.5], [0.1, 0.6, 0.5]])
    after = torch.tensor([[[0.3, 0.4, 0.5], [0.2, 0.6, 0.9]],       # direction "red"
                          [[0.9, 0.2, 0.5], [0.1, 0.7, 0.5]]])      # direction "green"
    sc = ev.EditScores(["red", "green"], ["red", "green", "blue"], 1.0, before, after)
    # red: image 0 goes 0.9 → 0.3 (flips), image 1 0.1 → 0.2 (not): F = ½
    assert sc.flip_rate() == {"red": 0.5, "green": 0.0}
    assert sc.attribute_change()["red"] == pytest.approx((0.6 + 0.1) / 2)
    # E_red = mean over n of mean over {green, blue} of |Δp| = ((0.2 + 0) / 2 + (0 + 0.4) / 2) / 2
    assert sc.entanglement()["red"] == pytest.approx(0.15)
    assert sc.entanglement()["green"] == pytest.approx(0.0)
    assert "flip rate" in sc.table() and sc.table().count("\n") == 2


def red_direction(G, C, n: int):
    """n latents, their noise, and a unit direction that raises red: the gradient of the mean red
    logit with respect to w."""
    gen = torch.Generator().manual_seed(0)
    ws = G.mapping(torch.randn(n, G.z_dim, generator=gen))
    noise = G.synthesis.make_noise_inputs(n, seed=1)
    w = ws[:, :1].clone().requires_grad_(True)
    C(G.synthesis(w.expand(-1, G.num_ws, -1), noise=noise))[:, 0].sum().backward()
    d = w.grad.sum((0, 1))
    return ws.detach(), noise, d / d.norm()


def test_edit_scores_move_towards_the_other_label(textured_G):
    G, C = textured_G, ColourClassifier()
    ws, noise, d = red_direction(G, C, 6)
    sc = ev.edit_scores(G, ws, noise, {"red": d}, 0.5, C)
    assert sc.before.shape == (6, 3) and sc.after.shape == (1, 6, 3)
    torch.testing.assert_close(sc.before, ev.attribute_probabilities(G, ws, noise, C))
    # each image moves towards the other label: down if it was red, up if not
    was_red = sc.before[:, 0] > 0.5
    moved = sc.after[0, :, 0] - sc.before[:, 0]
    assert torch.all(moved[was_red] < 0) and torch.all(moved[~was_red] > 0)
    with pytest.raises(ValueError, match="amount must be > 0"):
        ev.edit_scores(G, ws, noise, {"red": d}, 0.0, C)
    with pytest.raises(ValueError, match="not attributes of the classifier"):
        ev.edit_scores(G, ws, noise, {"smiling": d}, 1.0, C)
    with pytest.raises(ValueError, match="num_ws, w_dim"):
        ev.edit_scores(G, ws[:, 0], noise, {"red": d}, 1.0, C)


def test_edit_sweep_amount_zero_is_the_projection(textured_G):
    G, C = textured_G, ColourClassifier()
    ws = G.mapping(torch.randn(2, G.z_dim, generator=torch.Generator().manual_seed(3)))
    noise = G.synthesis.make_noise_inputs(2, seed=4)
    d = torch.zeros(G.w_dim)
    d[0] = 1.0
    images, probs = ev.edit_sweep(G, ws, noise, d, [0.0, 2.0], C)
    assert images.shape == (2, 2, 3, 16, 16) and probs.shape == (2, 2, 3)
    torch.testing.assert_close(images[:, 0], ev.draw(G, ws, noise))
    assert not torch.allclose(images[:, 1], images[:, 0])
    torch.testing.assert_close(probs[:, 1], ev.probabilities(C, images[:, 1]))


def test_bisect_amount_finds_the_flip_rate_by_hand():
    assert ev.bisect_amount(lambda a: min(1.0, a / 4), 0.5) == pytest.approx(2.0, abs=8 / 2 ** 10)
    assert ev.bisect_amount(lambda a: min(1.0, a / 40), 0.5) == pytest.approx(20.0, abs=64 / 2 ** 10)  # high doubled
    with pytest.raises(ValueError, match="does not control"):
        ev.bisect_amount(lambda a: 0.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ev.bisect_amount(lambda a: 1.0, target=1.0)


def test_matched_edits_reach_the_flip_rate(textured_G):
    G, C = textured_G, ColourClassifier()
    ws, noise, d = red_direction(G, C, 8)
    scores = ev.matched_edit_scores(G, ws, noise, {"red": d}, flip_rate=0.5, classifier=C)
    red = scores["red"]
    assert red.flip_rate()["red"] >= 0.5 and red.amount > 0
    # one bisection step below the amount found, fewer than half flip: the bracket is tight
    below = ev.edit_scores(G, ws, noise, {"red": d}, red.amount - 8 / 2 ** 8, C)
    assert below.flip_rate()["red"] < 0.5
