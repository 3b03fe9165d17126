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
# # 5. Noise inputs: stochastic variation
#
# *Karras, Laine and Aila, "A Style-Based Generator Architecture for Generative Adversarial
# Networks", CVPR 2019, §3.2.*
#
# Two photographs of the same person differ in a thousand small ways that do not change who the
# person is: where exactly each strand of hair lies, a freckle, a stray reflection in the eye.
# The paper calls these details **stochastic**: any random placement is fine as long as it
# follows the right distribution. A traditional generator has only one source of randomness,
# the latent at its input, so it must spend network capacity inventing pseudo-random patterns
# from it, and those patterns tend to repeat. StyleGAN gives the synthesis network a direct
# source instead: after **every** convolution it adds a fresh image of Gaussian noise, scaled
# per feature map by learned strengths (the boxes "B" of Figure 1b).
#
# Because the styles (chapter 3) act on whole feature maps and the noise differs from pixel to
# pixel, the two have separate jobs: the styles decide the global, meaningful attributes (pose,
# identity), the noise only the local arrangement of detail. This chapter makes that visible:
# the paper's Figure 4 (one identity, many noise draws, and the per-pixel standard deviation over
# 100 of them) and Figure 5 (noise in all layers, in none, in the fine layers only, in the coarse
# layers only), then a widget to switch the noise of the coarse and the fine layers and scale it.

# %% tags=["parameters"]
preset = "quick"          # "quick": the book's 32×32 model on the CPU; "full": pass a checkpoint
device = "cpu"            # "cpu", "cuda" or "auto"
seed = 0
checkpoint = ""           # empty: the shipped book model; or a .pt checkpoint / official .pkl
figures_dir = "../figures"
num_realisations = 100    # noise draws behind Figure 4's standard deviation (the paper: 100)
noise_seed = 0            # seed of the noise images
truncation_psi = 0.7      # ψ of the paper's figures, applied to the coarse and middle styles

# %%
import inspect

import matplotlib.pyplot as plt
import torch

from stylegan_lib.latent import layer_groups, noise_groups
from stylegan_lib.layers import NoiseInjection
from stylegan_lib.synthesis import Epilogue
from stylegan_lib.viz import noise as noise_viz
from stylegan_lib.viz.book import book_generator, chapter_header, check_preset, save_figure

check_preset(preset)
chapter_header("Chapter 5 – noise inputs", device, expected_seconds=30)
torch.manual_seed(seed)
G = book_generator(checkpoint, preset, device)
# The paper's figures truncate the coarse and middle styles only (4²–32² of 1024²).
cutoff = layer_groups(G.num_ws)["middle"].stop
print(f"generator: {G.img_resolution}×{G.img_resolution}, {G.synthesis.num_layers} layers; "
      f"figures use ψ = {truncation_psi} on style inputs 0–{cutoff - 1}")

# %% [markdown]
# ## The equation and the code
#
# Layer l of the synthesis network has C feature maps x_1 … x_C of size H×W. Its noise input
# is **one** single-channel image n ~ N(0, 1)^{1×H×W}, fresh for every image, and each feature
# map gets its own learned multiple of it:
#
# $$x_i \leftarrow x_i + B_i \cdot n, \qquad i = 1, \dots, C.$$
#
# The strengths B_i start at zero: a freshly initialised StyleGAN ignores its noise, and training
# turns it up only where random detail helps. In the package the noise is added right after the
# convolution, before the bias, the activation and the AdaIN of that layer:

# %%
print(inspect.getsource(NoiseInjection))
print(inspect.getsource(Epilogue.make_noise))

# %% [markdown]
# `noise_mode="random"` draws a new n for every call; `"const"` uses one image stored per layer
# (so a seed always gives the same picture); `"none"` leaves the noise out. For the figures below
# we pass the noise images ourselves (`G.synthesis(ws, noise=[…])`, one per layer), drawn from a
# seeded generator by `G.synthesis.make_noise_inputs(batch, seed=…)`, so every figure is the same
# on every run.
#
# There is one noise input per layer, two per resolution, in the same order as the style inputs.
# Figure 5 of the paper splits them in two: the **coarse** layers 4²–32² and the **fine** layers
# 64²–1024² (not the three style groups of Figure 3, whose "coarse" is 4²–8² only). Our 32²
# model has no 64² layers, so the book keeps the paper's rule — fine = the fine style group of
# Figure 3, coarse = everything below it (`latent.noise_groups`): at 32², coarse = 4²–16²
# (layers 0–5) and fine = 32² (layers 6–7). Figure 5, the noise-strength chart and the widget
# below all use this one split.

# %%
print(inspect.getsource(noise_groups))

# %%
# NBVAL_CHECK_OUTPUT
groups = noise_groups(G.synthesis.num_layers)
print("layer resolutions:", G.synthesis.layer_resolutions())
for name, layers in groups.items():
    print(f"{name:6s} layers {list(layers)}  ({noise_viz.layers_label(G, list(layers))})")

# %% [markdown]
# ## How much noise did the model learn to use?
#
# The size of B per layer tells where the trained generator relies on noise. The synthetic faces
# of this book carry their stochastic detail (freckles, hair strands, textured background) at
# the finer scales, independent of every labelled factor, so you should expect the largest bar
# at the highest resolution. In the book's model that holds for only one of the two 32²
# layers (printed below the chart): layer 6 has by far the largest bar (0.15), while layer 7,
# also at 32², has the smallest (0.008), and the second largest is a coarse 4² layer (layer 1,
# 0.08). (An untrained generator has B = 0 everywhere: then every bar is zero and the noise
# figures below show no variation at all.)

# %%
fig, ax = plt.subplots(figsize=(6.5, 2.6))
noise_viz.draw_noise_strengths(G, ax)
ax.set_title("Learned noise strengths B, per layer")
save_figure(fig, "noise_strengths", figures_dir)
plt.show()
print("layer  resolution  RMS of B")
for i, (res, b) in enumerate(noise_viz.noise_strengths(G)):
    print(f"{i:5d} {res:7d}²  {b:9.4f}")

# %% [markdown]
# ## Figure 4: stochastic variation
#
# Keep w fixed — the same identity — and draw the noise again and again. The paper shows (a) two
# generated images, (b) the same images with different noise and (c) the per-pixel standard
# deviation over 100 noise draws:
#
# $$\sigma_p = \tfrac13\sum_{c \in \{R,G,B\}} \operatorname{std}_{k=1\ldots K}\, x_{k,c,p}.$$
#
# On faces it lights up the hair, the silhouette, parts of the background and the reflections in
# the eyes, while the face itself — identity, pose — stays dark. The standard deviation is an
# honest detector: where it is zero, no noise reaches the pixel.

# %%
fig4 = noise_viz.stochastic_variation(G, [seed, seed + 1], num_realisations=num_realisations, num_shown=4,
                                      noise_seed=noise_seed, truncation_psi=truncation_psi,
                                      truncation_cutoff=cutoff, progress=True)
fig = noise_viz.draw_stochastic_variation(fig4)
fig.suptitle(f"Figure 4: one w, different noise; per-pixel std over {fig4.num_realisations} draws", fontsize=10)
save_figure(fig, "noise_fig4_stochastic_variation", figures_dir)
plt.show()
for s, std in zip(fig4.seeds, fig4.std):
    print(f"seed {s}: mean σ = {float(std.mean()):.4f}, max σ = {float(std.max()):.4f} "
          f"(images range over about [-1, 1])")

# %% [markdown]
# The four realisations of each seed agree on everything that matters — the same face, the
# same pose, the same colours — and at this size they are hardly distinguishable; enlarged, a
# few pixels in the eyes change from draw to draw. Seed 0 reads as a dark-haired face with
# glasses; seed 1 is a flawed sample, a face with no eyes and no mouth. Seed 0's σ map is
# bright in the two lenses (where its printed maximum of 0.17 lies), faint at the mouth, and
# traces a thin line along the outline of the hair, the face and the neck; seed 1's is bright
# in one patch at the left of the face, at eye height. That much resembles the paper: the eyes
# and the outline light up, the face itself stays dark. But the hair strands and the grain of
# the background, which the training faces carry (chapter 1) and which light up in the paper's
# figure, stay nearly dark, and the printed mean σ is below 0.01 on the [-1, 1] scale. So the
# book's model still differs from the paper here: its noise is visible only enlarged and only
# in a few pixels, at the eyes and the edges rather than in the hair and background texture.
# (The model's quality record, `stylegan_lib/pretrained/book-32.json`, measures the same σ
# without truncation, over 64 latents and 16 draws each: a mean of 0.014, and 0.066 at the
# 95th percentile of the pixels.) What does carry over is that the noise leaves the identity
# alone. Compare the spread of a pixel *within* an identity with the difference *between* the
# two identities (the first comes out about 35 times smaller):

# %%
within = float(fig4.std.mean())
between = float((fig4.mean[0] - fig4.mean[1]).abs().mean())
print(f"mean per-pixel σ over noise draws: {within:.4f}; "
      f"mean |difference| between the two identities: {between:.4f}")

# %% [markdown]
# ## Figure 5: which layers the noise goes into
#
# The paper's Figure 5 renders one image four times with the same noise draw but switched on in
# different layers: (a) all layers, (b) no layers, (c) the fine layers only (64²–1024²), (d) the
# coarse layers only (4²–32²). Without noise the result looks "painterly": the model fills in
# smooth, featureless texture. Fine noise gives fine curls and pores; coarse noise gives
# large-scale curls and bigger background features. In the book's 32² model, with the split
# above, "fine" is 32² and "coarse" is 4²–16².
#
# The second row of each seed shows what the noise changed: |image − image without noise|.
# Compare it with the strengths B above.
#
# The book's model reproduces only a small part of the paper's figure. At this size the four
# images of each seed look almost the same. Enlarged, seed 2's blond hair has light and dark
# strands with noise in all layers or in the fine ones, and is smoother and more even with no
# noise or coarse noise only: the paper's "painterly" effect in miniature. Seed 3's black hair
# shows no such difference; its images differ in a few pixels at the eyes. Nearly all of the
# change comes from the fine (32²) layers — the fine |Δ| map is almost the same as the "all"
# map, and so are the printed means — and for seed 2 it is scattered over the hair and
# brightest in its garbled eye band. The coarse layers change almost nothing, although layer 1
# among them has the second-largest B: their map is nearly black (a faint trace along seed 3's
# jaw) and their mean |Δ| is about a quarter of the fine one, so there is no large-scale
# variation from coarse noise to see.

# %%
fig5 = noise_viz.noise_panels(G, [seed + 2, seed + 3], noise_seed=noise_seed,
                              truncation_psi=truncation_psi, truncation_cutoff=cutoff)
fig = noise_viz.draw_noise_panels(fig5)
fig.suptitle("Figure 5: noise in all / no / fine / coarse layers", fontsize=10)
save_figure(fig, "noise_fig5_noise_layers", figures_dir)
plt.show()
diff = fig5.difference()
for p, label in enumerate(fig5.labels):
    print(f"{label:22s} mean |Δ| vs no noise = {float(diff[:, p].mean()):.4f}")

# %% [markdown]
# ## Try it
#
# Switch the noise of the coarse and the fine layers (the split above) on and off, scale it
# (strength 0 = no noise, 1 = as trained, larger = exaggerated), or draw another noise image.
# Its logic is `stylegan_lib.viz.noise.noise_image`; the noise of a layer stays the same when
# you switch other layers, so you see exactly what each group adds.

# %% tags=["nbval-ignore-output"]
noise_viz.noise_widget(G, seed=seed, truncation_psi=truncation_psi, truncation_cutoff=cutoff)

# %% [markdown]
# The same function, without a kernel: one seed with its noise scaled by 0, 1, 3 and 6, in all
# layers (top) and in the fine layers only (bottom). Exaggerated noise shows where each layer's
# noise lands. In the book's model ×1 looks like ×0; at ×3 the eyes turn into a checkerboard of
# light and dark pixels, and at ×6 grain covers the face, the neck and the background too. The
# fine-only row looks almost the same as the all-layers row.

# %%
strengths = [0.0, 1.0, 3.0, 6.0]
fig, axes = plt.subplots(2, len(strengths), figsize=(1.9 * len(strengths), 4.1))
for row, groups_on in enumerate([noise_viz.GROUPS, ("fine",)]):
    for ax, strength in zip(axes[row], strengths):
        ax.imshow(noise_viz.noise_image(G, seed, groups_on, strength, noise_seed, truncation_psi, cutoff))
        ax.set_title(f"{'all' if row == 0 else 'fine'}, ×{strength:g}", fontsize=9)
        ax.set_axis_off()
save_figure(fig, "noise_widget_strength", figures_dir)
plt.show()

# %% [markdown]
# ## Why it matters
#
# Noise inputs are step E of the paper's Table 1: FID on FFHQ improves from 4.88 to 4.42 when
# they are added to the style-based generator with a constant input. They also help
# disentanglement: in Table 3 the perceptual path length in W drops from 446.2 (full) / 376.6
# (end) to 200.5 / 160.6 with noise. Freed from inventing random detail, the latent space only has
# to encode what matters. (Chapter 9 measures FD and the path length of the book's model on the
# synthetic faces; the same measurement on a model trained without noise, `book-32/config-D`,
# to compare with is future work.)
#
# ## Summary
#
# * Every layer adds B_i · n: one N(0, 1) image per layer, a learned strength per feature map,
#   initialised to zero.
# * Styles act on whole feature maps (global attributes); noise differs from pixel to pixel
#   (local, stochastic detail). With w fixed, the noise changes detail, not identity — in the
#   book's model little detail, visible only enlarged: mostly the eyes and the outlines, a few
#   hair strands.
# * Figure 4's σ map shows where the noise reaches. In the paper, Figure 5 shows that coarse
#   noise makes large-scale variation and fine noise fine-scale variation; in the book's model
#   almost all of the noise's small effect comes from the fine 32² layers.
# * `G.synthesis(ws, noise=[…])` takes one noise image per layer; `noise_mode` picks random,
#   stored ("const") or no noise.
#
# ## Exercises
#
# 1. How many noise inputs and how many learned strengths B does the 1024² FFHQ generator have?
#    *(Answer: 18 noise inputs, one per layer; 5088 strengths = 2 × (4·512 + 256 + 128 + 64 + 32
#    + 16), one per feature map.)*
# 2. Why is Figure 4's standard deviation exactly zero for a freshly initialised generator, for
#    any noise? *(Answer: B is initialised to 0, so B·n = 0 whatever n is.)*
# 3. If every noise image is multiplied by 2, what happens to what `NoiseInjection` adds to the
#    feature maps? *(Answer: it doubles: the layer is linear in n, x + B·(2n) = x + 2·(B·n).)*
#
# The cell below checks all three answers.

# %%
# NBVAL_CHECK_OUTPUT
from stylegan_lib import Generator

big = Generator("paper-1024")
inputs = [epi.noise for epi in big.synthesis.epilogues()]
assert len(inputs) == 18 == big.synthesis.num_layers
assert sum(m.weight.numel() for m in inputs) == 5088 == 2 * (4 * 512 + 256 + 128 + 64 + 32 + 16)
del big
fresh = Generator("book-32")
assert all(b == 0.0 for _, b in noise_viz.noise_strengths(fresh))
inj = NoiseInjection(4)
with torch.no_grad():
    inj.weight.copy_(torch.tensor([0.5, -1.0, 2.0, 0.0]))
x, n = torch.randn(1, 4, 8, 8), torch.randn(1, 1, 8, 8)
torch.testing.assert_close(inj(x, 2 * n) - x, 2 * (inj(x, n) - x))
print("all three answers check out")
