"""Training pictures: sample grids, loss curves, the growing timeline, sample progression."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from stylegan_lib.images import image_grid  # noqa: E402
from stylegan_lib.train.schedule import Schedule  # noqa: E402
from stylegan_lib.viz.training import (plot_losses, plot_timeline, progression_strip,  # noqa: E402
                                       read_sample_grids, schedule_summary, show_progression, smooth)


def test_sample_grid_layout_and_range():
    imgs = torch.stack([torch.full((3, 2, 2), v) for v in (-1.0, 0.0, 1.0)])
    g = image_grid(imgs, 2, pad=0, pad_value=0)
    assert g.shape == (4, 4, 3) and g.dtype == np.uint8
    assert g[0, 0, 0] == 0 and g[0, 2, 0] == 128 and g[2, 0, 0] == 255
    assert (g[2, 2:, :] == 0).all()  # the missing fourth cell stays black
    with pytest.raises(ValueError):
        image_grid(imgs[0], 2, pad=0)


def fake_log():
    log = []
    for i in range(1, 31):
        res, phase = (8, "stable") if i <= 10 else ((16, "fade") if i <= 20 else (16, "stable"))
        log.append({"kimg": i * 4.0, "resolution": res, "phase": phase, "loss_G": 2 + np.sin(i),
                    "loss_D": 1.0, "r1": 0.1, "real_score": 1.0, "fake_score": -1.0})
    return log


def test_plot_losses_draws_each_curve_and_phase():
    fig = plot_losses(fake_log(), title="t")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["loss_G", "loss_D", "r1"]
    assert [t.get_text() for t in ax.texts] == ["8²", "16² fade", "16²"]
    plt.close(fig)
    with pytest.raises(ValueError, match="empty"):
        plot_losses([])


def test_smooth_is_a_moving_average():
    assert np.allclose(smooth([0, 3, 0, 3, 0], window=3), [1.5, 1, 2, 1, 1.5])
    assert np.allclose(smooth([1, 2], window=1), [1, 2])


def test_timeline_and_summary():
    s = Schedule(resolution=32, start_res=8, lod_training_kimg=30, lod_transition_kimg=30)
    fig = plot_timeline(s, 200, marker_kimg=45)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["8²", "16²", "32²"]
    assert "16² fade" in ax.get_title() and "α = 0.50" in ax.get_title()
    plt.close(fig)
    assert schedule_summary(s, 45) == ("45 kimg: lod 1.500, fading in 16² (α = 0.50), minibatch 128, "
                                       "learning rate 0.001")
    assert "stable at 32²" in schedule_summary(s, 150)


def test_progression_from_a_run_folder(tmp_path):
    for k, v in ((0, 10), (20, 200), (40, 90)):
        Image.fromarray(np.full((8, 16, 3), v, np.uint8)).save(tmp_path / f"samples-{k:06d}kimg.png")
    (tmp_path / "samples-junk.png").write_bytes(b"")
    grids = read_sample_grids(tmp_path)
    assert [k for k, _ in grids] == [0, 20, 40]
    assert [k for k, _ in read_sample_grids(tmp_path, every_kimg=40)] == [0, 40]
    strip, kimgs = progression_strip(grids, cell=4, count=3)
    assert strip.shape == (12, 12, 3) and kimgs == [0, 20, 40]
    assert strip[4, 0, 0] == 200 and strip[8, 0, 0] == 90
    fig = show_progression(strip, kimgs, cell=4)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["0 kimg", "20 kimg", "40 kimg"]
    plt.close(fig)
    with pytest.raises(ValueError, match="need at least"):
        progression_strip(grids, cell=4, count=5)


def test_plot_metrics_draws_fd_and_ppl_over_kimg():
    import matplotlib

    matplotlib.use("Agg")
    from stylegan_lib.viz.training import plot_metrics

    log = [{"kimg": 4.0, "loss_G": 1.0}, {"kimg": 20.0, "fd": 50.0, "ppl_wend": 9.0, "metrics_num": 100},
           {"kimg": 40.0, "fd": 20.0, "ppl_wend": 12.0, "metrics_num": 100}]
    fig = plot_metrics(log)
    ax = fig.axes[0]
    assert list(ax.lines[0].get_xdata()) == [20.0, 40.0] and list(ax.lines[0].get_ydata()) == [50.0, 20.0]
    assert list(fig.axes[1].lines[0].get_ydata()) == [9.0, 12.0]
    with pytest.raises(ValueError, match="no metrics"):
        plot_metrics(log[:1])
