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
# # 3. AdaIN: styles as per-channel statistics
#
# *Karras et al. 2019, §2 (Equation 1) and §3 "Properties of the style-based generator".*
#
# Chapter 2 turned z into w. How does w steer the synthesis network? Through **styles**: after
# every convolution, a learned affine map "A" turns w into two numbers per feature map, a
# scale y_s and a bias y_b, and **adaptive instance normalisation** (AdaIN) imposes them.
# AdaIN comes from style transfer (Huang and Belongie, 2017), where the scales and biases were
# the channel statistics of a *style image*; StyleGAN computes them from w instead — hence the
# name of the architecture.
#
# The key property: AdaIN first *normalises* each feature map to zero mean and unit variance,
# throwing away the statistics the previous layers produced, and then sets new ones. A style
# therefore acts on one convolution only, until the next AdaIN overrides it, and it acts on
# *statistics* — the same for every position in the map — never on where things are. Where
# things are comes from the previous layers and from the noise inputs (chapter 5).

# %% tags=["parameters"]
preset = "quick"          # "quick": the book's 32×32 model on the CPU; "full": pass a checkpoint
device = "cpu"            # "cpu", "cuda" or "auto"
seed = 0
checkpoint = ""           # empty: the shipped book model; or a .pt checkpoint / official .pkl
figures_dir = "../figures"
layer = ""                # the layer to look at, e.g. "b16/layer0"; empty: the first middle layer
num_channels = 6          # feature maps shown per figure

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch

import stylegan_lib
from stylegan_lib.latent import layer_groups, ws_from_seeds
from stylegan_lib.viz import adain as A
from stylegan_lib.viz.book import book_generator, chapter_header, check_preset, save_figure

check_preset(preset)
chapter_header("Chapter 3 – AdaIN and styles", device, expected_seconds=20)
torch.manual_seed(seed)
G = book_generator(checkpoint, preset, device)
names = A.layer_names(G)
layer = layer or names[layer_groups(G.num_ws)["middle"].start]
print(f"generator: {G.img_resolution}×{G.img_resolution}, {len(names)} layers with a style each; "
      f"looking at layer {layer}")

# %% [markdown]
# ## The equation and the code
#
# The paper's Equation 1, for feature map x_i and style y = (y_s, y_b) = A(w):
#
# $$ \operatorname{AdaIN}(x_i, y) = y_{s,i}\,\frac{x_i - \mu(x_i)}{\sigma(x_i)} + y_{b,i} $$
#
# μ and σ are the mean and standard deviation of one map of one image over its H × W
# positions — instance normalisation. The official code writes the scale as (y_s + 1) so that
# a freshly initialised A (output ≈ 0) starts as the identity; this book does the same.
# After AdaIN, map i has mean y_b,i and standard deviation |y_s,i + 1|, whatever it had before.

# %%
print(inspect.getsource(stylegan_lib.layers.instance_norm))
print(inspect.getsource(stylegan_lib.layers.StyleModulation))

# %% [markdown]
# In the network, AdaIN is the last step of the "epilogue" that follows every convolution:
# add the noise, add the bias, leaky ReLU, instance norm, style. Step by step, keeping each
# stage (this is how the feature maps of this chapter are recorded):

# %%
print(inspect.getsource(stylegan_lib.synthesis.Epilogue._staged))

# %% [markdown]
# When nothing is recorded, the same function runs with instance norm and style folded into one
# scale and one shift per map, in fewer passes over the feature maps (on a CPU at 1024², such
# passes took about as long as the convolutions before this change; `make bench` times both
# ways):

# %%
print(inspect.getsource(stylegan_lib.synthesis.Epilogue._fused))

# %% [markdown]
# Every layer has its own A, so one w of `w_dim` numbers becomes many more style numbers:

# %%
# NBVAL_CHECK_OUTPUT
epis = G.synthesis.epilogues()
for name, epi in zip(names, epis):
    print(f"{name:12s} {epi.channels:4d} channels → {2 * epi.channels:4d} style numbers (y_s, y_b)")
print(f"total: {sum(2 * e.channels for e in epis)} style numbers per image from w of {G.w_dim}")

# %% [markdown]
# ## What instance normalisation does to the statistics
#
# We run one image through the network and read layer `layer`'s maps at three stages:
# before the normalisation (after the activation), after it, and after the style. One point per
# channel: its spatial mean and standard deviation.

# %%
ws = ws_from_seeds(G, [seed])
feats = A.layer_stages(G, ws, layer)
fig = A.draw_channel_statistics(feats)
save_figure(fig, "adain_statistics", figures_dir)
plt.show()

# %% [markdown]
# Before the norm, each channel has statistics of its own (left). Instance norm puts every
# channel at mean 0 and standard deviation 1 (middle, all points on top of each other). The
# style then moves each channel exactly to the point A(w) asked for (right: the measured dots
# sit inside the crosses). Checked to four decimals, for every channel whose map is not flat
# (a flat map has no pattern to normalise: it leaves AdaIN as y_b everywhere):

# %%
# NBVAL_CHECK_OUTPUT
stats = A.channel_statistics(feats)
mean, std = stats["style"]
live = stats["act"][1] > 1e-3
print("after AdaIN, mean = y_b:       ", bool(np.allclose(mean, feats["y_b"].numpy(), atol=1e-4)))
print("after AdaIN, std  = |y_s + 1|: ",
      bool(np.allclose(std[live], (feats["y_s"] + 1).abs().numpy()[live], atol=1e-3)))

# %% [markdown]
# ## The feature maps before and after
#
# The same layer, a few of its channels (the ones whose style changes the image most, see
# below). Each row shares one colour scale. The normalised maps (middle) have the same
# *pattern* as before (top) with new contrast; the style (bottom) gives each channel its own
# contrast and offset. These channels, the ones that matter most, are all turned up: their σ
# under the bottom row is two to four times the 1 of the normalised maps (2.20 to 4.03), and
# channel 30's map is also flipped in sign (its y_s + 1 is negative: its two red spots turn
# blue). The channels that the style turns almost off (σ near 0) are in the right panel of the
# figure above, not here.

# %%
influence = A.channel_influence(G, ws, layer, scale=0.0)
top = [int(c) for c in np.argsort(influence)[::-1][:num_channels]]
print(f"most influential channels of {layer}: {top}")
fig = A.draw_feature_maps(feats, top)
save_figure(fig, "adain_feature_maps", figures_dir)
plt.show()

# %% [markdown]
# ## Styles are spatially invariant; noise is not
#
# The paper's §3.3 ("Separation of global effects from stochasticity") explains why AdaIN
# suits the job: in style transfer, *spatially invariant* statistics — the means and variances
# of the channels, their Gram matrix — capture the style of an image, while *spatially varying*
# features capture the particular instance. StyleGAN uses both: styles for the first kind,
# noise inputs for the second.
#
# We can test it on one layer — the one where the trained model's noise strengths B are
# largest, so that the noise has something to show. Change the layer's input in two ways and
# compare its output with the original:
#
# * a **new style**: from this layer on, the style inputs take the w of another seed — the
#   seed among the next 16 whose w is farthest from ours (`A.distant_seed`). The layers before
#   keep theirs, so this layer's input is the same and only its styles (y_s, y_b) change;
# * **new noise**: this layer gets a fresh noise image.
#
# The new style can only rescale and shift each normalised map, so every channel's new map is
# perfectly correlated (or anti-correlated) with the old one: 1 − |correlation| is zero up to
# float rounding. The new noise enters *before* the normalisation and changes the map pixel by
# pixel — in the book's model only a little: 1 − |correlation| is far above rounding but small
# (the red histogram, and the median and largest value printed below it: 6e-04 and 0.03,
# against at most 5e-13 for the new style). The figure shows the four channels with the
# strongest noise (printed above it, with their |B|); even among them the change (bottom row,
# one colour scale for all four) is plain in channels 6 and 47, a speckle over the whole map
# that is strongest where the map has features of its own (the bottom edge in 6, the eyes in
# 47), faint in channel 59 (inside the head's outline only) and invisible in channel 20. Channel
# 59 has a larger |B| than 47 (0.501 against 0.421) but a smaller change, so a channel's noise
# strength alone does not say how much its map moves.

# %%
noise_layer = A.strongest_noise_layer(G)
strengths = G.synthesis.epilogues()[A.layer_index(G, noise_layer)].noise.weight.detach().abs().cpu()
noisy_channels = [int(c) for c in torch.argsort(strengths, descending=True)[:4]]
print(f"{noise_layer}: the four channels with the largest noise strength |B|:",
      ", ".join(f"{c} ({strengths[c]:.3f})" for c in noisy_channels))
result = A.style_vs_noise(G, seed, noise_layer, noise_seed=seed)
fig = A.draw_style_vs_noise(result, noisy_channels)
save_figure(fig, "adain_style_vs_noise", figures_dir)
plt.show()
d_style, d_noise = A.decorrelation(result["corr_style"]), A.decorrelation(result["corr_noise"])
print(f"{noise_layer}, new style (w of seed {result['other_seed']} from this layer on): "
      f"1 − |correlation| at most {d_style.max():.0e} over {len(d_style)} channels")
print(f"{noise_layer}, new noise: 1 − |correlation| median {np.median(d_noise):.0e}, largest {d_noise.max():.2f}")

# %% [markdown]
# The images on the right show the consequence further down: the new styles change this
# layer's statistics (and those of the layers after it), which changes the image at this scale
# and finer — at the book's resolution mostly its colours: the background turns from pink to
# blue, the skin darkens and the shirt turns yellow-green, while the head's layout stays. The
# new noise changes nothing you can see: by eye the bottom image cannot be told from the
# original. This is one layer's noise with the others held fixed, and the book's model makes
# modest use of its noise overall (chapter 5 measures how much). Only the layer's maps show
# where it acted (the bottom row on the left).
#
# ## Try it: scale one style channel
#
# The widget multiplies one channel's (y_s + 1) by a factor and adds a shift to its y_b, at any
# layer — exactly what A(w) could do if w changed — and shows the image and the channel's map.
# Scale 0 switches the channel's contrast off, negative scales flip it. Its logic is
# `stylegan_lib.viz.adain.scale_style_channel` (a hook on that layer's A, removed afterwards).

# %% tags=["nbval-ignore-output"]
A.style_channel_widget(G, seed=seed, layer=layer, channel=top[0])

# %% [markdown]
# The same function, static: the most influential channel of `layer` at a few scales (top:
# the image; middle: how much each pixel changed from the model's own style, scale 1; bottom:
# the channel's map after AdaIN — its pattern stays, its contrast follows the scale).

# %%
sweep = A.style_channel_sweep(G, seed, layer, top[0], scales=(-1.0, 0.0, 1.0, 2.0, 4.0))
fig = A.draw_style_channel_sweep(sweep)
save_figure(fig, "adain_channel_sweep", figures_dir)
plt.show()

# %% [markdown]
# And each of the top channels switched off in turn (scale 0), with where the image changed.
# One channel of one layer is a small part of the picture, so expect subtle, local changes —
# each channel in a different place or aspect of the image. With the book's model the six
# images look alike by eye; the change maps below them show where each channel acted: 58 on
# the lower face and the neck, 30 at the shoulders, 38 around the eyes and in the background
# left of the head, 22 along the top of the hair, 54 along the edge of the fringe, 24 around
# the eyes and on the neck.

# %%
off = A.channels_off(G, seed, layer, top, scale=0.0)
fig = A.draw_channels_off(off)
save_figure(fig, "adain_channels_off", figures_dir)
plt.show()

# %% [markdown]
# ## Summary
#
# * A(w) gives each layer a scale y_s and a bias y_b per channel; AdaIN normalises every map
#   and then imposes them: mean y_b, standard deviation |y_s + 1| (Equation 1, release form).
# * Normalising first makes each style local to one convolution: the next AdaIN overrides it.
# * Styles act on statistics that are the same at every position; spatial detail comes from
#   the previous layers and the noise.
#
# ## Exercises
#
# 1. A channel goes through AdaIN with y_s = 0.5 and y_b = −1. What are its mean and standard
#    deviation afterwards? *(Answer: −1 and 1.5.)*
# 2. What does AdaIN output for a feature map that is the same at every position?
#    *(Answer: y_b everywhere — the normalised map is 0.)*
# 3. How many style numbers does the 1024² paper model compute from its 512-d w?
#    *(Answer: 10 176 — 5 088 feature maps over its 18 layers, two numbers each.)*
#
# The cell below checks all three.

# %%
# NBVAL_CHECK_OUTPUT
x = torch.randn(1, 1, 8, 8) * 3 + 2
y = stylegan_lib.layers.adain(x, torch.tensor([[0.5]]), torch.tensor([[-1.0]]))
assert abs(float(y.mean()) + 1) < 1e-5 and abs(float(y.std(unbiased=False)) - 1.5) < 1e-4
flat = stylegan_lib.layers.adain(torch.full((1, 1, 4, 4), 7.0), torch.tensor([[0.3]]), torch.tensor([[0.2]]))
assert torch.allclose(flat, torch.full_like(flat, 0.2))
with torch.device("meta"):  # the architecture only: no memory, no random numbers
    big = stylegan_lib.Generator("paper-1024")
n_styles = sum(2 * e.channels for e in big.synthesis.epilogues())
assert n_styles == 10176, n_styles
print(f"mean −1, std 1.5; flat map → y_b; paper-1024: {n_styles} style numbers from w of {big.w_dim}")
