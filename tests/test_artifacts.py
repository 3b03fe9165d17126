"""Droplet and texture-sticking measures (chapter 12) on cases whose answer is known."""
import pytest
import torch

from stylegan_lib.artifacts import layer_spike_shares, sharpness, spike_share, sticking_ratio
from stylegan_lib.generations import build_generator


def test_spike_share_of_flat_spiky_and_empty_maps():
    x = torch.ones(2, 3, 4, 4)
    x[1, 0] = 0.0
    x[1, 0, 2, 1] = 5.0                       # one spike, nothing else
    x[1, 2] = 0.0                             # an empty map
    s = spike_share(x)
    assert s[0].tolist() == pytest.approx([1 / 16] * 3)
    assert s[1, 0] == pytest.approx(1.0) and s[1, 2] == 0.0
    with pytest.raises(ValueError, match="N, C, H, W"):
        spike_share(torch.ones(3, 4, 4))


@pytest.mark.parametrize("preset,suffixes", [("tiny-16", ("/act",)), ("sg2-tiny-16", ("/conv0", "/conv1"))])
def test_layer_spike_shares_reads_the_maps_the_normalisation_sees(preset, suffixes):
    torch.manual_seed(0)
    G = build_generator(preset).eval()
    ws = G.mapping(torch.randn(3, G.z_dim))
    shares = layer_spike_shares(G, ws)
    assert shares and all(name.endswith(suffixes) for name in shares)
    for s in shares.values():
        assert s.shape[0] == 3 and ((s >= 0) & (s <= 1)).all()


def test_layer_spike_shares_refuses_stylegan3():
    G = build_generator("sg3-tiny-16/config-T").eval()
    with pytest.raises(ValueError, match="StyleGAN1/StyleGAN2"):
        layer_spike_shares(G, G.mapping(torch.randn(1, G.z_dim)))


def test_sharpness_and_sticking():
    g = torch.Generator().manual_seed(0)
    texture = torch.rand(1, 3, 40, 40, generator=g)
    assert sharpness(torch.full((1, 3, 8, 8), 0.3)).item() == 0.0
    still = texture.repeat(6, 1, 1, 1)
    assert sticking_ratio(still) == pytest.approx(1.0)
    moving = torch.cat([torch.roll(texture, shifts=3 * t, dims=3) for t in range(6)])  # detail moves along
    assert sticking_ratio(moving) < 0.3
    with pytest.raises(ValueError, match="flat"):
        sticking_ratio(torch.zeros(3, 3, 8, 8))


def test_spike_profile_and_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from stylegan_lib.viz.beyond import plot_spike, plot_spike_profiles, spike_profile, strongest_spike

    shares = {"b8/conv0": torch.full((2, 3), 1 / 64), "b4/conv1": torch.tensor([[0.5, 0.1], [0.2, 0.3]])}
    prof = spike_profile(shares)
    assert list(prof) == ["b4/conv1", "b8/conv0"]                      # the order the layers run
    assert prof["b4/conv1"]["max"] == pytest.approx(0.5) and prof["b8/conv0"]["floor"] == 1 / 64
    fig = plot_spike_profiles({"a": prof, "b": prof})
    assert len(fig.axes[0].lines) == 4                                 # two lines, the flat and the Gaussian maps
    plt.close(fig)

    torch.manual_seed(0)
    G = build_generator("sg2-tiny-16").eval()
    ws = G.mapping(torch.randn(4, G.z_dim))
    spike = strongest_spike(G, ws, "b16/conv1")
    shares = layer_spike_shares(G, ws)["b16/conv1"]
    assert spike["share"] == pytest.approx(float(shares.max()))
    y, x = spike["yx"]
    assert spike["map"][y, x].abs() == spike["map"].abs().max()
    plt.close(plot_spike(spike))
    with pytest.raises(ValueError, match="b16/conv1"):
        strongest_spike(G, ws, "b16/nothing")


def test_gaussian_spike_share_is_the_structureless_reference():
    import math

    from stylegan_lib.artifacts import gaussian_spike_share

    assert gaussian_spike_share(1) == 1.0                      # one pixel holds all the energy
    for size in (16, 32):
        n = size * size
        med = gaussian_spike_share(size)
        # the median of max_p x_p² is about 2 ln n − ln ln n, the sum about n; far above 1/n
        assert med == pytest.approx((2 * math.log(n) - math.log(math.log(n))) / n, rel=0.1)
        assert 8 / n < med < gaussian_spike_share(size, 0.99)
    with pytest.raises(ValueError, match="quantile"):
        gaussian_spike_share(8, 1.5)


def test_top_channel_recurrence():
    from stylegan_lib.artifacts import top_channel_recurrence

    always = torch.full((5, 4), 0.1)
    always[:, 2] = 0.9                                         # channel 2 holds the spike in every image
    assert top_channel_recurrence(always) == (2, 1.0)
    turns = torch.eye(4)                                       # each channel once
    channel, fraction = top_channel_recurrence(turns)
    assert fraction == 0.25
    with pytest.raises(ValueError, match="N, C"):
        top_channel_recurrence(torch.ones(3))


def test_endpoint_change():
    from stylegan_lib.artifacts import endpoint_change

    frames = torch.zeros(3, 3, 4, 4)
    frames[-1] = 0.5                                           # the last frame differs by 0.5 everywhere
    assert endpoint_change(frames) == pytest.approx(0.5)
    assert endpoint_change(frames[:2]) == 0.0
    with pytest.raises(ValueError, match="T ≥ 2"):
        endpoint_change(frames[:1])


class _ShiftedPattern(torch.nn.Module):
    """A stand-in generator whose image is a band-limited pattern, either moved exactly with the
    input transform (equivariant) or ignoring it (every detail stuck to the pixels)."""

    img_resolution = 16

    def __init__(self, equivariant: bool):
        super().__init__()
        self.equivariant = equivariant
        self.synthesis = self
        self.supports_input_transform = True

    @property
    def device(self):
        return torch.device("cpu")

    def forward(self, ws, noise_mode="const", input_transform=None):
        r = self.img_resolution
        x = (torch.arange(r) + 0.5) / r - 0.5                 # canvas coordinates of the columns
        t = 0.0 if input_transform is None or not self.equivariant else float(input_transform[0, 2])
        row = torch.cos(2 * torch.pi * 5 * (x - t)) + 0.5 * torch.sin(2 * torch.pi * 3 * (x - t))
        return row.expand(1, 3, r, r).clone()


def test_input_translation_sticking_tells_moving_from_stuck_detail():
    from stylegan_lib.artifacts import input_translation_sticking

    ws = torch.zeros(1, 2, 4)
    shifts = torch.linspace(0, 2, 9).tolist()
    moving = input_translation_sticking(_ShiftedPattern(True), ws, shifts)
    stuck = input_translation_sticking(_ShiftedPattern(False), ws, shifts)
    assert stuck["ratio"] == pytest.approx(1.0)                # frames all alike: the average is as sharp
    assert moving["ratio"] < 0.5 and stuck["ideal_ratio"] < 0.5
    # an exactly equivariant generator matches its ideal up to the interpolator's error, which
    # shrinks with more taps (the default at 16² is 2 per side)
    assert moving["ratio"] == pytest.approx(moving["ideal_ratio"], abs=0.05)
    wide = input_translation_sticking(_ShiftedPattern(True), ws, shifts, radius=4)
    assert wide["ratio"] == pytest.approx(wide["ideal_ratio"], abs=0.01)
    top, bottom, left, right = wide["box"]                     # and frame by frame: the same direction of motion
    inside = (..., slice(top, bottom), slice(left, right))
    torch.testing.assert_close(wide["ideal"][inside], wide["frames"][inside], atol=0.1, rtol=0)  # wrong way: 2.7
    top, bottom, left, right = moving["box"]
    assert 0 < left < right < 16 and right - left < bottom - top  # x shifts cut more columns than rows
    assert moving["frames"].shape == moving["ideal"].shape == (9, 3, 16, 16)


def test_input_translation_sticking_refuses_a_learned_constant():
    from stylegan_lib.artifacts import input_translation_sticking

    G = build_generator("sg2-tiny-16").eval()
    with pytest.raises(ValueError, match="learned constant"):
        input_translation_sticking(G, G.mapping(torch.randn(1, G.z_dim)), [0.0, 0.5])


def test_input_translation_sticking_on_a_stylegan3_generator():
    from stylegan_lib.artifacts import input_translation_sticking

    torch.manual_seed(0)
    G = build_generator("sg3-tiny-16/config-T").eval()
    ws = G.mapping(torch.randn(1, G.z_dim))
    out = input_translation_sticking(G, ws, [0.0, 0.5, 1.0])
    torch.testing.assert_close(out["frames"][:1], G.synthesis(ws, noise_mode="const"))
    assert out["ratio"] > 0 and out["ideal_ratio"] > 0


def test_input_translation_sticking_without_the_noise_that_sticks_by_construction():
    from stylegan_lib.artifacts import input_translation_sticking

    torch.manual_seed(0)
    G = build_generator("sg3-tiny-16/config-B").eval()           # B still has noise inputs
    with torch.no_grad():
        for name, p in G.synthesis.named_parameters():
            if name.endswith("noise.weight"):
                p.fill_(0.5)                                     # make the noise visible
    ws = G.mapping(torch.randn(1, G.z_dim))
    quiet = input_translation_sticking(G, ws, [0.0, 0.5], noise_mode="none")
    fixed = input_translation_sticking(G, ws, [0.0, 0.5])
    torch.testing.assert_close(quiet["frames"][:1], G.synthesis(ws, noise_mode="none"))
    assert (quiet["frames"] - fixed["frames"]).abs().max() > 1e-3
