"""Chapter 12's figures (stylegan_lib.viz.beyond) on inputs whose pictures are known."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from stylegan_lib.artifacts import gaussian_spike_share, input_translation_sticking  # noqa: E402
from stylegan_lib.generations import build_generator  # noqa: E402
from stylegan_lib.viz import beyond  # noqa: E402


def test_layer_position_lines_up_the_generations():
    # StyleGAN1 normalises twice at 4² (constant, conv); StyleGAN2 convolves once there, in slot 1
    assert beyond.layer_position("b4/layer0/act") == 0 and beyond.layer_position("b4/layer1/act") == 1
    assert beyond.layer_position("b4/conv1") == 1
    assert beyond.layer_position("b16/conv0") == beyond.layer_position("b16/layer0/act") == 4
    assert beyond.layer_position("b32/layer1/act") == 7
    with pytest.raises(ValueError, match="cannot place"):
        beyond.layer_position("L3")


def test_spike_profile_references_and_aligned_plot():
    shares = {"b4/conv1": torch.tensor([[0.5, 0.1], [0.2, 0.3]]), "b8/conv0": torch.full((2, 3), 1 / 64)}
    prof = beyond.spike_profile(shares)
    assert prof["b8/conv0"]["gauss_q50"] == gaussian_spike_share(8, 0.5)
    assert prof["b8/conv0"]["floor"] < prof["b8/conv0"]["gauss_q50"] < prof["b8/conv0"]["gauss_q99"]
    sg1 = beyond.spike_profile({"b4/layer0/act": torch.full((1, 2), 0.4), "b4/layer1/act": torch.full((1, 2), 0.3),
                                "b8/layer0/act": torch.full((1, 2), 0.1)})
    fig = beyond.plot_spike_profiles({"sg1": sg1, "sg2": prof})
    lines = fig.axes[0].lines
    assert len(lines) == 4                                     # two generators, the flat and the Gaussian references
    sg2_x = list(lines[1].get_xdata())
    assert sg2_x == [1.0, 2.0]                                 # b4/conv1 beside StyleGAN1's second 4² layer
    assert list(lines[2].get_xdata()) == [0.0, 1.0, 2.0]       # references at every position
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["4²", "4²", "8²"]
    plt.close(fig)


def test_plot_spikes_one_column_per_generator():
    torch.manual_seed(0)
    G = build_generator("sg2-tiny-16").eval()
    ws = G.mapping(torch.randn(3, G.z_dim))
    spike = beyond.strongest_spike(G, ws, "b16/conv1")
    fig = beyond.plot_spikes({"a": spike, "b": spike})
    assert len(fig.axes) == 4 and fig.axes[0].get_title().startswith("a\n")
    plt.close(fig)


def test_plot_sampling_plan_marks_the_layer_plan():
    G = build_generator("sg3-tiny-16/config-T").eval()
    specs = G.synthesis.specs
    fig = beyond.plot_sampling_plan(G, layers=[0, len(specs) - 2])   # the first and the last (critical) layer
    left, first, right = fig.axes
    assert "non-critical" in first.get_title() and "(critical)" in right.get_title()
    cutoff = [line for line in left.lines if line.get_label() == "cutoff f_c"][0]
    assert list(cutoff.get_ydata()) == pytest.approx([s["cutoff"] for s in specs])
    crit = [line for line in left.lines if line.get_label() == "critically sampled"][0]
    assert len(crit.get_xdata()) == sum(s["critical"] for s in specs)
    # the down filter passes DC (0 dB) and the marked lines are the output's f_c, f_t and s/2
    down = [line for line in right.lines if line.get_label().startswith("downsampling")][0]
    assert down.get_ydata()[0] == pytest.approx(0.0, abs=1e-3)
    out = specs[-1]
    marked = sorted(line.get_xdata()[0] for line in right.lines if line.get_label().startswith(("f_", "s/2")))
    assert marked == pytest.approx(sorted([out["cutoff"], out["cutoff"] + out["half_width"], out["rate"] / 2]))
    plt.close(fig)
    with pytest.raises(ValueError, match="layer must be"):
        beyond.plot_sampling_plan(G, layers=[len(specs)])


def test_path_pictures_frames_and_running_means():
    frames = torch.stack([torch.full((3, 2, 2), v) for v in (-1.0, 0.0, 1.0)])   # black, grey, white
    paths = {"a": frames, "short": frames[:2]}
    pics = beyond.path_pictures(paths, 2, upscale=3)
    assert pics[0].shape == (6, 6, 3) and (pics[0] == 255).all()
    assert (pics[1] == 128).all()                              # a shorter path shows its last frame
    means = beyond.path_pictures(paths, 1, average=True)
    assert (means[0] == 64).all()                              # mean of -1 and 0 = -0.5 → 63.75 → 64


def test_column_stack_draws_moving_detail_slanted():
    frames = torch.full((4, 3, 5, 5), -1.0)
    for t in range(4):
        frames[t, :, t, 2] = 1.0                               # a bright dot moving down column 2
    stack = beyond.column_stack(frames, 2)
    assert stack.shape == (5, 4, 3)
    assert [int(np.argmax(stack[:, t, 0])) for t in range(4)] == [0, 1, 2, 3]   # a diagonal
    with pytest.raises(ValueError, match="column"):
        beyond.column_stack(frames, 5)


def test_plot_path_averages_reports_ratio_and_change():
    g = torch.Generator().manual_seed(0)
    texture = torch.rand(1, 3, 12, 12, generator=g) * 2 - 1
    still = texture.repeat(4, 1, 1, 1)
    moving = torch.cat([torch.roll(texture, 2 * t, 3) for t in range(4)])
    fig = beyond.plot_path_averages({"still": still, "moving": moving})
    titles = [ax.get_title() for ax in fig.axes]
    assert "mean of 4: ρ = 1.00" in titles
    assert fig.axes[0].get_ylabel() == "still\nΔ = 0.00"
    plt.close(fig)


def test_path_widget_draws_through_the_shell(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv("STYLEGAN_BOOK_BATCH", "0")
    frames = torch.rand(5, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    box = beyond.path_widget({"a": frames, "flat": torch.zeros(3, 3, 4, 4)}, size=16)
    assert box.image.value[:4] == b"\x89PNG"
    slider, mode = box.children[0].children
    first = box.image.value
    mode.value = "mean so far"
    slider.value = 4                                           # past the flat path's end: its last frame, no ρ
    assert box.image.value[:4] == b"\x89PNG" and box.image.value != first


def test_plot_input_translation():
    torch.manual_seed(0)
    G = build_generator("sg3-tiny-16/config-T").eval()
    st = input_translation_sticking(G, G.mapping(torch.randn(1, G.z_dim)), [0.0, 0.5, 1.0])
    fig = beyond.plot_input_translation({"T": st})
    assert f"ρ = {st['ratio']:.2f}" in fig.axes[1].get_title()
    plt.close(fig)
