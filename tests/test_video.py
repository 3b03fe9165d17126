"""Animations (python -m stylegan_lib video) on a tiny generator: the frames are the walks they
claim to be, and the GIF holds them all."""
import numpy as np
import pytest
import torch
from PIL import Image

from stylegan_lib import video
from stylegan_lib.generate import generate
from stylegan_lib.images import image_grid, write_gif


def test_interpolation_starts_at_each_seed_and_walks_both_spaces(textured_G):
    frames = video.interpolation_frames(textured_G, [3, 5], steps=4)
    assert len(frames) == 4
    first = generate(textured_G, [3, 5])
    assert np.array_equal(frames[0], image_grid(torch.cat([first, first]), ncols=2))   # t = 0: both rows at the seeds
    assert not np.array_equal(frames[1], frames[0])
    h = textured_G.img_resolution
    z_row, w_row = frames[2][1:1 + h], frames[2][2 + h:2 + 2 * h]
    assert not np.array_equal(z_row, w_row)                      # midway, the Z and W paths differ


def test_truncation_sweep_passes_the_average_face(textured_G):
    textured_G.mapping.compute_w_avg(256, generator=torch.Generator().manual_seed(0))
    frames = video.truncation_frames(textured_G, [0, 1, 2], steps=4)
    assert len(frames) == 8                                       # 1 → -1 in 4 steps, and back
    assert np.array_equal(frames[0], image_grid(generate(textured_G, [0, 1, 2]), ncols=3))
    h = textured_G.img_resolution
    middle = frames[2]                                            # ψ = 0: every seed draws w̄
    cells = [middle[1:1 + h, 1 + i * (h + 1):1 + i * (h + 1) + h] for i in range(3)]
    assert np.array_equal(cells[0], cells[1]) and np.array_equal(cells[1], cells[2])


def test_mixing_goes_from_all_a_to_all_b(textured_G):
    frames = video.mixing_frames(textured_G, [0, 1], seed_b=7)
    n = textured_G.num_ws
    assert len(frames) == 2 * n
    assert np.array_equal(frames[0], image_grid(generate(textured_G, [0, 1]), ncols=2))
    assert np.array_equal(frames[n], image_grid(generate(textured_G, [7, 7]), ncols=2))


def test_gif_holds_every_frame_and_keeps_an_existing_file(textured_G, tmp_path):
    frames = video.interpolation_frames(textured_G, [0, 1], steps=3)
    out = write_gif(frames, tmp_path / "walk.gif", scale=2)
    with Image.open(out) as gif:
        assert gif.n_frames == 3 and gif.size == (frames[0].shape[1] * 2, frames[0].shape[0] * 2)
    with pytest.raises(FileExistsError, match="--force"):
        write_gif(frames, out)
    write_gif(frames[:2], out, force=True)
    with Image.open(out) as gif:
        assert gif.n_frames == 2


def test_command_line_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "mine.gif"
    out.write_bytes(b"a reader's file")
    with pytest.raises(SystemExit) as err:
        video.main(["mixing", "--out", str(out)])
    assert err.value.code == 2 and "--force" in capsys.readouterr().err
    assert out.read_bytes() == b"a reader's file"
