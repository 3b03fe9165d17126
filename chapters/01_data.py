# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-papermill,-execution,-ExecuteTime,-trusted
#     notebook_metadata_filter: -papermill,-widgets,-language_info
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. The data: synthetic faces with known factors
#
# StyleGAN was trained on photographs: CelebA-HQ and the then-new FFHQ, 70,000 portraits at
# 1024×1024. We cannot train on those on a laptop, and — more importantly for a book about
# *why* the architecture works — a photograph does not come with the truth about what varies
# in it.
#
# Section 4 of the paper is about **disentanglement**: a latent space is disentangled when it
# "consists of linear subspaces, each of which controls one factor of variation". The paper
# argues that the intermediate latent space W of the mapping network is more disentangled than
# the input space Z, and since photographs have no ground-truth factors it has to invent two
# proxies — *perceptual path length* and *linear separability* (the latter with attribute
# classifiers trained on CelebA-HQ labels). Figure 6 gives the intuition: if some combination
# of factors never occurs in the training data (say, long-haired men), a fixed Gaussian Z must
# be warped to avoid it, while a learned W need not be.
#
# So this book trains on data where the factors are **known by construction**: cartoon faces
# drawn procedurally from a short list of named numbers. Every image has its exact factors,
# ten binary labels that threshold them, and one combination left out on purpose. Later
# chapters can then measure disentanglement against the truth, not only through proxies.
#
# This chapter shows the data: what the factors are, how a face is drawn, what the data set
# looks like, the hole we cut into its distribution, the stochastic detail that StyleGAN's
# noise inputs will have to model, and how images are stored on disk.

# %% tags=["parameters"]
seed = 0
resolution = 32
num_images = 2000
detail = ""               # empty: the detail level the book's model was trained on; or "subtle", "medium", "strong"
figures_dir = "../figures"
device = "cpu"
preset = "quick"          # accepted for the book runner; this chapter is the same in both presets

# %%
import inspect
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from stylegan_lib.data import faces
from stylegan_lib.data import (ATTRIBUTES, DETAIL_LEVELS, FACTOR_RANGES, FACTOR_SCALES, FACTORS,
                               FacesConfig, ImageFolderDataset, SyntheticFaces, detail_std,
                               is_faces_spec, labels_from_factors, parse_faces_spec, render,
                               sample_factors, write_faces_archive)
from stylegan_lib.pretrained import training_data
from stylegan_lib.viz.book import chapter_header, save_figure
from stylegan_lib.viz.faces import (face_from_sliders, face_widget, factor_sweep, labels_text,
                                    plot_factor_sweep, plot_fig6a, plot_samples, quadrant_counts)

chapter_header("Chapter 1 – the data", device, expected_seconds=20)
_ = torch.manual_seed(seed)
book_data = training_data("book-32")
book_detail = parse_faces_spec(book_data)[1].detail if is_faces_spec(book_data) else None
config = FacesConfig(detail=detail or book_detail or "subtle")
print(f"the book's model was trained on {book_data}; this chapter shows detail level {config.detail!r}")

# %% [markdown]
# ## The factors
#
# A face is fully described by eighteen numbers. They come in the three groups that the paper
# uses to describe what its styles control (Figure 3): **coarse** factors change the overall
# layout — pose, face shape, glasses; **middle** ones change facial features and hair style;
# **fine** ones change colours and lighting.

# %%
for scale in ("coarse", "middle", "fine"):
    names = [n for n in FACTORS if FACTOR_SCALES[n] == scale]
    print(f"{scale:7s} " + ", ".join(f"{n} {FACTOR_RANGES[n]}" for n in names))

# %% [markdown]
# Ten binary attributes — the kind of labels CelebA provides — are thresholds of those
# numbers. When the data set is *sampled*, each labelled factor keeps a margin from its
# threshold, so no training image is ambiguous; the renderer itself accepts any value.

# %%
for name, (factor, threshold, above) in faces.ATTRIBUTE_RULES.items():
    print(f"{name:16s} = {factor} {'>' if above else '<'} {threshold}")

# %% [markdown]
# ## How a face is drawn
#
# Each part of the face is a shape given by a **signed distance**: negative inside, positive
# outside, roughly the distance to the edge. Evaluated at every pixel centre, the distance
# becomes a coverage with a one-pixel ramp at the edge — anti-aliasing at any resolution,
# without supersampling. Shapes are painted back to front, one small painter per part
# (background, shoulders, neck, long hair, ears, head, beard, nose, eyes and brows, glasses,
# mouth, fringe), and everything works on a whole batch at once: a per-image number has shape
# `[N, 1, 1]`, the pixel grid `[1, R, R]`. Here are the ellipse, the edge and the paint brush:

# %%
for fn in (faces._ellipse_sd, faces._coverage, faces._paint):
    print(inspect.getsource(fn))

# %% [markdown]
# The face layout is plain geometry from the factors. For example, turning the head (`yaw`)
# slides the features sideways, foreshortens the far eye and moves the ears the other way:

# %%
print(inspect.getsource(faces.layout).split('    g["eye_a"]')[0])

# %% [markdown]
# The renderer itself is the back-to-front list of painters, each reading the layout, the
# colours and the stochastic detail `d`; a final factor scales the whole picture's brightness:

# %%
print(inspect.getsource(faces._render_chunk))

# %% [markdown]
# Every image `i` of data set `seed` has its own random generator,
# `PCG64(SeedSequence([seed, i, stream]))`, one stream for the factors and one for the
# stochastic detail. So image `i` is the same however many images are drawn and in what
# batches, and drawing is vectorised over the batch. On one CPU core it is fast enough that
# the data never holds training up:

# %%
t0 = time.perf_counter()
ds = SyntheticFaces(num_images, resolution=resolution, seed=seed, config=config)
images = ds.render_all()
seconds = time.perf_counter() - t0
print(f"{num_images} faces at {resolution}×{resolution}: {seconds:.2f} s "
      f"({num_images / seconds:.0f} images/s, {torch.get_num_threads()} torch threads)")
print("images", tuple(images.shape), images.dtype, " labels", tuple(ds.labels.shape), ds.labels.dtype)

# %% [markdown]
# ## An uncurated sample
#
# The paper's Figure 7 is a montage of FFHQ, chosen to show its variety in age, ethnicity,
# viewpoint, lighting and background. Ours is the plain counterpart: the first 64 images of
# the data set, in order, at the training resolution and the detail level printed above:

# %%
fig = plot_samples(images[:64], ncols=16, scale=0.75,
                   title=f"SyntheticFaces, seed {seed}, {resolution}×{resolution}, detail {config.detail!r}, uncurated")
save_figure(fig, "data_samples", figures_dir)
plt.show()

# %% [markdown]
# ## One factor at a time
#
# A photograph cannot be changed in one factor alone; a drawn face can. Each row below starts
# from the same face and sweeps one factor from the low to the high end of its range, with
# everything else — including the random detail — held fixed. The paper has no such figure:
# this is the ground truth that a disentangled W should recover.

# %%
sweep = factor_sweep(resolution=resolution, steps=9, seed=seed)
fig = plot_factor_sweep(sweep, FACTORS, title="Each factor varied alone (low → high)")
save_figure(fig, "data_factors", figures_dir)
plt.show()

# %% [markdown]
# ## Correlations, and the quadrant we leave out
#
# Real portraits are not a product of independent factors, and neither is our data: beards
# appear only on men, long hair is more common on women, dark hair more common with darker
# skin. On top of that, the book's default configuration **leaves one combination out
# entirely**: no image is both `male` and `long_hair`. This is the situation of the paper's
# Figure 6: (a) shows a training distribution with a missing combination; (b) shows that a
# mapping from a fixed Gaussian Z must curve to avoid the hole; (c) that a learned W can stay
# flat. Chapter 2 looks at (b) and (c) in a trained generator; here is (a) in our data:

# %%
factors_book = ds.factors
factors_full = sample_factors(num_images, seed=seed, config=FacesConfig(exclude=()))
fig = plot_fig6a({f"book data: FacesConfig(detail={config.detail!r})": factors_book,
                  "FacesConfig(exclude=()) for comparison": factors_full})
save_figure(fig, "data_fig6a", figures_dir)
plt.show()
print("default exclude:", FacesConfig().exclude)
print("quadrants (male, long_hair) -> count:", quadrant_counts(factors_book))

# %%
labels = ds.labels.numpy()
A = {a: i for i, a in enumerate(ATTRIBUTES)}
print("attribute frequencies:")
for a in ATTRIBUTES:
    print(f"  {a:16s} {labels[:, A[a]].mean():.2f}")
male = labels[:, A["male"]] == 1
print(f"P(beard | male) = {labels[male, A['beard']].mean():.2f}   "
      f"P(beard | not male) = {labels[~male, A['beard']].mean():.2f}")
pale = labels[:, A["pale_skin"]] == 1
print(f"P(dark hair | pale) = {labels[pale, A['dark_hair']].mean():.2f}   "
      f"P(dark hair | not pale) = {labels[~pale, A['dark_hair']].mean():.2f}")

# %% [markdown]
# ## Stochastic detail
#
# Section 3.2 of the paper points out that many aspects of a portrait are *stochastic*: the
# exact placement of hairs, freckles, pores. They can vary without changing who the person
# is, and StyleGAN adds per-pixel noise so that the network does not have to invent them
# from the latent code. Our faces have such detail too, drawn from a second random stream
# that is independent of every factor and label: freckle positions, hair strands, skin and
# background texture, soft spots of light. Its strength is a setting of the data,
# `FacesConfig.detail`, with three levels. Below, one set of factors with six different detail
# draws at each level (32², the training resolution), and beside each row the per-pixel standard
# deviation over 32 draws (like the paper's Figure 4c, one colour scale for all three). The
# detail lives in the hair and the background, hardly in the face (its σ map stays dark, the
# eyes and the mouth black), and it never moves the face's layout. At "subtle" and "medium" the
# hair varies about as much as the background, with faint strand lines in the σ map; at
# "strong" the hair outshines everything else. The printed numbers are the same statistic over
# 16 random faces, the one chapter 5 measures for a generator's noise: "medium" moves the pixels
# about 1.5 times as much as "subtle" (mean 0.054 against 0.037), "strong" more than three times
# as much at the 95th percentile (0.232 against 0.069).
#
# The book's first model was trained on "subtle" detail and its noise inputs learned to move
# the pixels hardly at all (benchmarks/training.md, section 7); the shipped one was trained on
# "medium" (the level printed at the top of this chapter and marked in the figure), where the
# strands and the grain are visible at 32² and the face still dominates. "strong" buried the
# faces of a small model under its texture (benchmarks/training.md, section 6).

# %%
one = {k: np.full(32, v) for k, v in dict(faces.NEUTRAL_FACTORS, skin_tone=0.85, hair_length=0.8).items()}
fig = plt.figure(figsize=(11, 1.9 * len(DETAIL_LEVELS)))
grid = fig.add_gridspec(len(DETAIL_LEVELS), 2, width_ratios=[6, 1])
for row, level in enumerate(DETAIL_LEVELS):
    draws = render(one, 32, seed=seed, indices=np.arange(32), detail=level)
    strip = np.concatenate(list(draws[:6].transpose(0, 2, 3, 1)), axis=1)
    ax = fig.add_subplot(grid[row, 0])
    ax.imshow(strip, interpolation="nearest")
    ax.set_title(f"detail {level!r}{' (the book model’s data)' if level == book_detail else ''}: "
                 "same factors, six draws", fontsize=9)
    ax.set_axis_off()
    ax = fig.add_subplot(grid[row, 1])
    ax.imshow((draws.astype(np.float32) / 127.5).std(axis=0).mean(axis=0), cmap="magma", vmin=0, vmax=0.25)
    ax.set_title("std over 32 draws", fontsize=9)
    ax.set_axis_off()
save_figure(fig, "data_detail_levels", figures_dir)
plt.show()
print("per-pixel std of the detail alone, 16 faces × 16 draws, [-1, 1] scale:")
for level in DETAIL_LEVELS:
    sigma = detail_std(32, seed=seed, config=FacesConfig(detail=level))
    print(f"  {level:7s} mean {sigma.mean():.3f}   95th percentile {np.percentile(sigma, 95):.3f}")

# %% [markdown]
# ## On disk
#
# Training reads images from an archive: a zip of PNGs with a `dataset.json` holding the
# labels, the continuous factors and the provenance (generator, seed, configuration), so the
# archive can always be recreated and checked. Photographs get into the same format with
# `python -m stylegan_lib prepare SRC DEST --resolution R`, which crops, resizes, converts
# odd image modes and reports what it skipped. The loader, `ImageFolderDataset`, is strict:
# a corrupt file, a wrong size or a label for a missing file is an error naming the file.

# %%
with tempfile.TemporaryDirectory() as tmp:
    path = write_faces_archive(Path(tmp) / "faces.zip", 200, resolution, seed=seed, config=config,
                               progress=False)
    loaded = ImageFolderDataset(path)
    x, y = loaded.load_all(progress=False)
    print(f"{path.name}: {path.stat().st_size / 1e3:.0f} kB, {len(loaded)} images of "
          f"{loaded.resolution}², attributes {loaded.attributes[:3]}…")
    print("identical to drawing them again:", torch.equal(x, images[:200]) and torch.equal(y, ds.labels[:200]))

# %% [markdown]
# ## Try it: one slider per factor
#
# With a running kernel, the widget below redraws the face as you move a slider; the caption
# lists the binary labels of the current setting. Try sliding `yaw` and watch the ears, or
# set `masculinity` and `hair_length` both high: the renderer draws it happily, but the
# training set never contains it. Each slider spans only the values that change the picture:
# the renderer fades glasses and beard in between 0.4 and 0.6 and opens the eyes between 0.45
# and 0.75, so those three sliders stop there. The static picture shows the widget's starting
# face, so the page reads without a kernel.

# %% tags=["nbval-ignore-output"]
start = {"yaw": -0.4, "glasses": 0.6, "hair_length": 0.3, "masculinity": 0.8, "beard": 0.6}
plt.figure(figsize=(2.2, 2.2))
plt.imshow(face_from_sliders(start, resolution=64, seed=seed))
plt.title(labels_text(start), fontsize=7)
plt.axis("off")
plt.show()
widget = face_widget(resolution=64, seed=seed)
for name, value in start.items():
    widget.sliders[name].value = value
widget

# %% [markdown]
# ## Summary
#
# * The book's data are cartoon faces drawn from **18 named factors** at three scales
#   (coarse: pose, face shape, glasses; middle: hair, eyes, mouth, brows, beard; fine:
#   colours and light), with **10 binary labels** that threshold them.
# * Faces are painted with anti-aliased signed-distance shapes, vectorised over a batch;
#   image `i` of a seed is the same on any machine and in any batch.
# * The data have **realistic correlations** and, by default, a **missing combination** —
#   no long-haired men — the setting of the paper's Figure 6.
# * **Stochastic detail** (freckles, strands, texture) comes from a separate random stream,
#   independent of every factor: what StyleGAN's noise inputs are for.
# * Archives (zip + `dataset.json`) store images with labels, factors and provenance;
#   `prepare` turns photos into the same format; the loader refuses bad data loudly.
#
# ## Exercises
#
# 1. What fraction of the men in `ds` have a beard? Compare with `FacesConfig().p_beard_given_male`.
# 2. Build a configuration in which nobody with glasses smiles, sample 5,000 images and check
#    that the combination never occurs.
# 3. `background_warmth` is a *fine* factor that should touch nothing but the background.
#    Render one face with `background_warmth` 0.1 and 0.9 and check that the pixels at the
#    centre of the face are identical.
#
# Answers (run the cell; it passes silently when they are right):

# %%
beard_rate = labels[male, A["beard"]].mean()
assert abs(beard_rate - FacesConfig().p_beard_given_male) < 0.05, beard_rate

cfg = FacesConfig(exclude=(("male", "long_hair"), ("glasses", "smiling")))
lab = labels_from_factors(sample_factors(5000, seed=1, config=cfg))
assert ((lab[:, A["glasses"]] == 1) & (lab[:, A["smiling"]] == 1)).sum() == 0

pair = {k: np.repeat(v[:1], 2) for k, v in ds.factors.items()}
pair["background_warmth"] = np.array([0.1, 0.9])
cool, warm = render(pair, 64, seed=seed, indices=[0, 0])
assert (cool[:, 24:40, 24:40] == warm[:, 24:40, 24:40]).all()
assert (cool[:, :4, :4] != warm[:, :4, :4]).any()
print("all answers check out")
