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
    assert len(fig.axes[0].lines) == 3
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
