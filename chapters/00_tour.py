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
# # 0. A tour of StyleGAN
#
# *Karras, Laine and Aila, "A Style-Based Generator Architecture for Generative Adversarial
# Networks", CVPR 2019.*
#
# A GAN generator turns a random vector into an image. Before StyleGAN, the vector went in at
# the bottom of the network and every later layer had to carry it along. StyleGAN changes only
# the **generator**, and in one sentence: *"we start from a learned constant input and adjust
# the 'style' of the image at each convolution layer based on the latent code, therefore
# directly controlling the strength of image features at different scales"*. Three ideas make
# that work, and each has a chapter of this book:
#
# 1. a **mapping network** f turns the latent z ∈ Z into an intermediate latent w ∈ W
#    (chapter 2);
# 2. learned affine maps "A" turn w into **styles** that steer each layer through **AdaIN**
#    (chapter 3), starting from a **learned constant** instead of the latent (chapter 4);
# 3. per-pixel **noise inputs** "B" add the stochastic detail — hair strands, freckles — that
#    is not part of identity (chapter 5).
#
# On top of that: **style mixing** (chapter 6) and the **truncation trick** (chapter 7). This
# chapter walks through the whole model once, on the book's small generator.

# %% tags=["parameters"]
preset = "quick"          # "quick": the book's 32×32 model on the CPU; "full": pass a checkpoint
device = "cpu"            # "cpu", "cuda" or "auto"
seed = 0
checkpoint = ""           # empty: the shipped book model; or a .pt checkpoint / official .pkl
figures_dir = "../figures"
num_samples = 32          # images in the uncurated grid

# %%
import inspect

import matplotlib.pyplot as plt
import torch

import stylegan_lib
from stylegan_lib import Generator
from stylegan_lib.generate import generate
from stylegan_lib.viz.architecture import draw_architecture, parameter_table
from stylegan_lib.viz.book import book_generator, chapter_header, check_preset, save_figure
from stylegan_lib.viz.grids import show_images

check_preset(preset)
chapter_header("Chapter 0 – a tour of StyleGAN", device, expected_seconds=15)
torch.manual_seed(seed)
G = book_generator(checkpoint, preset, device)
print(f"generator: {G.img_resolution}×{G.img_resolution}, z_dim={G.z_dim}, w_dim={G.w_dim}, "
      f"num_ws={G.num_ws}")

# %% [markdown]
# ## Figure 1: traditional vs style-based generator
#
# The paper's Figure 1 contrasts (a) the traditional generator of Progressive GAN, where the
# normalised latent feeds the first layer and every convolution is followed by pixel norm, with
# (b) the style-based generator. Both diagrams below are **drawn from the models themselves**:
# `architecture_summary` walks the modules of a `Generator` and reports what each layer does.
# The left one is the paper's baseline configuration B (`book-32/config-B`), the right one
# the final configuration F.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 9), gridspec_kw=dict(width_ratios=[1, 1.6]))
draw_architecture(Generator("book-32/config-B"), axes[0], title="(a) Traditional (config B)")
draw_architecture(G, axes[1], title="(b) Style-based generator (config F)")
save_figure(fig, "tour_fig1_architecture", figures_dir)
plt.show()

# %% [markdown]
# In (b) the latent never enters the synthesis network directly. Every box marked
# "AdaIN ← A(w)" receives its own copy of w through a learned affine map — that is why the
# model has `num_ws` style inputs (two per resolution) — and every "+ noise · B" adds a fresh
# single-channel Gaussian image, scaled per channel by learned weights.
#
# The whole generator is composed of two modules, just like NVIDIA's releases:

# %%
print(inspect.getsource(stylegan_lib.Generator.forward))

# %% [markdown]
# ## Where the parameters are
#
# The mapping network is small next to the synthesis network, but it is deep: 8 layers. At
# full scale (`paper-1024`) the same code builds exactly the architecture of the official FFHQ
# model: 26.2 M parameters in G and 23.1 M in D.

# %%
table = parameter_table(G)
for name, count in table:
    print(f"{name:20s} {count:>10,d}")
assert dict(table)["total"] == sum(p.numel() for p in G.parameters()) > 0

# %%
# NBVAL_CHECK_OUTPUT
big = Generator("paper-1024")
print(f"paper-1024: G {big.num_parameters()['total']:,d} parameters, "
      f"D {stylegan_lib.Discriminator('paper-1024').num_parameters()['total']:,d}")
del big

# %% [markdown]
# ## Uncurated samples
#
# One image per seed, seeds 0, 1, 2, …, no truncation (ψ = 1) and the stored noise images
# (`noise_mode="const"`), so the grid is the same on every run.
#
# The book's model is small and weak, and the grid shows it. Most samples read as cartoon heads
# with eyes and a mouth, and the blond and ginger hair shows strands; but several are broken or
# garbled: seed 1 is a brown head with no eyes or mouth, seed 5's face is almost as dark as its
# hair, and seeds 2, 9 and 22 have blocky pale bands across the eyes and the lower face instead
# of clear features. This is far from the paper's FFHQ quality (chapter 8 prints the model's
# quality record: its FD is about 97 times that of real faces against real faces); keep it in
# mind when reading the later chapters' figures.

# %%
images = generate(G, list(range(seed, seed + num_samples)), truncation_psi=1.0, noise_mode="const")
fig, ax = plt.subplots(figsize=(8, 4.2))
show_images(images, ax, ncols=8, title=f"Uncurated samples, seeds {seed}–{seed + num_samples - 1}, ψ = 1")
save_figure(fig, "tour_samples", figures_dir)
plt.show()

# %% [markdown]
# ## Try it
#
# The widget draws one image per seed; ψ is the truncation of chapter 7 (ψ = 1: no truncation,
# ψ = 0: the average face w̄). Its logic is `stylegan_lib.viz.widgets.sample_image`.

# %% tags=["nbval-ignore-output"]
from stylegan_lib.viz.widgets import sample_image, seed_psi_widget

seed_psi_widget(G, seed=seed, truncation_psi=0.7)

# %%
fig, axes = plt.subplots(1, 4, figsize=(8, 2.2))
for ax, psi in zip(axes, [1.0, 0.7, 0.3, 0.0]):
    ax.imshow(sample_image(G, seed, truncation_psi=psi))
    ax.set_title(f"ψ = {psi}")
    ax.set_axis_off()
save_figure(fig, "tour_truncation_preview", figures_dir)
plt.show()

# %% [markdown]
# ## Summary
#
# * StyleGAN = mapping network f (Z → W) + synthesis network g driven by styles and noise.
# * The synthesis network starts from a learned 4×4 constant; the latent only acts through
#   AdaIN, once per convolution (`num_ws` = 2 per resolution).
# * The API follows NVIDIA's releases: `G.mapping(z)`, `G.synthesis(ws)`, `G(z, truncation_psi=…)`.
#
# ## Exercises
#
# 1. How many style inputs does a 1024² StyleGAN have, and why? *(Answer: 18 — two layers for
#    each of the 9 resolutions 4², 8², …, 1024².)*
# 2. Which fraction of the paper-1024 generator's parameters is in the mapping network?
#    *(Answer: 2.1 M of 26.2 M, about 8 %.)* Check both answers by running the cell below.

# %%
# NBVAL_CHECK_OUTPUT
cfg = stylegan_lib.get_config("paper-1024")
assert cfg.num_ws == 18 == 2 * len(cfg.resolutions)
counts = Generator(cfg).num_parameters()
print(f"mapping share: {counts['mapping'] / counts['total']:.1%}")
