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
# # 4. The learned constant input
#
# *Karras et al. 2019, §2 and Table 1 (configuration D).*
#
# Every generator before StyleGAN started from the latent code: a dense layer turned z into the
# first 4×4 feature maps. StyleGAN's configuration C still did that, and on top of it fed w to
# every AdaIN. The authors then noticed that the network *no longer benefited* from the latent
# entering the first layer, removed that input, and started the synthesis from a **learned
# 4×4×512 constant** — the same tensor for every image, trained like any other weight. All the
# information about the particular image then arrives through the styles (and the noise).
#
# This chapter looks at the constant: what it looks like, what the first layers make of it for
# different images, why dropping the latent input costs nothing, and what happens when we
# replace the constant with something else.

# %% tags=["parameters"]
preset = "quick"          # "quick": the book's 32×32 model on the CPU; "full": pass a checkpoint
device = "cpu"            # "cpu", "cuda" or "auto"
seed = 0
checkpoint = ""           # empty: the shipped book model; or a .pt checkpoint / official .pkl
figures_dir = "../figures"
num_seeds = 6             # images compared layer by layer
max_resolution = 32       # layers shown up to this resolution

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch

import stylegan_lib
from stylegan_lib import Generator
from stylegan_lib.viz import constant as K
from stylegan_lib.viz.book import book_generator, chapter_header, check_preset, save_figure

check_preset(preset)
chapter_header("Chapter 4 – the constant input", device, expected_seconds=20)
torch.manual_seed(seed)
G = book_generator(checkpoint, preset, device)
seeds = list(range(seed, seed + num_seeds))
print(f"generator: {G.img_resolution}×{G.img_resolution}; constant {tuple(K.constant_tensor(G).shape)}")

# %% [markdown]
# ## The code
#
# The 4×4 block holds either the learned constant (configurations D–F), initialised to ones,
# or — the traditional input of configurations A–C — a dense layer from w to C × 4 × 4 numbers.
# In both cases the input then goes through an epilogue (noise, bias, activation, AdaIN), a
# 3×3 convolution and a second epilogue:

# %%
print(inspect.getsource(stylegan_lib.synthesis.InputBlock))

# %% [markdown]
# In numbers: the constant is tiny next to the dense layer it replaces.

# %%
# NBVAL_CHECK_OUTPUT
for scale in ("book-32", "paper-1024"):
    block_c = stylegan_lib.synthesis.InputBlock(stylegan_lib.get_config(f"{scale}/config-C"), True, "instance")
    block_d = stylegan_lib.synthesis.InputBlock(stylegan_lib.get_config(f"{scale}/config-D"), True, "instance")
    dense = sum(p.numel() for p in block_c.dense.parameters())
    print(f"{scale:10s}: config C's input layer {dense:>9,d} parameters; config D's constant "
          f"{tuple(block_d.const.shape)} = {block_d.const.numel():,d}")

# %% [markdown]
# ## What the constant looks like
#
# Each of the C channels of the constant is a 4×4 map. Before training every map is flat (all
# ones); training gives them structure. Left: the most structured channels (each minus its own
# mean, since instance norm removes the mean anyway); middle: the constant's three principal
# components (over channels) as colours — each of the 16 positions gets its own "feature
# vector"; right: how structured each channel is. In the book's model no channel is flat
# (printed below) and nearly every position gets a colour of its own (only two of the sixteen,
# both teal, look alike): the constant is a *positional code*, sixteen different
# feature vectors from which the next layers can tell where they are and place a face.

# %%
summary = K.constant_summary(G)
print(f"mean {summary['mean']:.3f}, std {summary['std']:.3f}, moved {summary['change_from_init']:.0%} "
      f"from its initial value; {summary['flat_channels']} of {summary['shape'][0]} channels flat")
fig = K.draw_constant(G, num_channels=32)
save_figure(fig, "constant_tensor", figures_dir)
plt.show()

# %% [markdown]
# ## What it encodes: the first layers, image by image
#
# Every image starts from the same constant, so at the first layer all images have the *same*
# feature maps up to each channel's statistics, which the first AdaIN sets from w. The
# differences between images can only grow from there. Below, each layer's normalised maps
# (after instance norm, before the style) for several seeds, shown as colours by their principal
# components — equal colours mean equal features at that position. Above each column: the
# **spatial agreement**, the correlation between the same channel of two images, averaged over
# channels and pairs (1: the same pattern in every image). The stored noise images are used
# (`noise_mode="const"`), which are the same for every seed, so only w makes the images differ.

# %%
fig = K.draw_layer_pca(G, seeds, max_resolution=max_resolution)
save_figure(fig, "constant_layers_pca", figures_dir)
plt.show()

# %% [markdown]
# The same number for every layer, as a curve. At layer 0 it is exactly 1 for any model of
# configurations D–F: the maps are the constant plus the same stored noise. The only thing that
# can make layer 0 differ between images is the noise, so the second curve gives every image
# its own random noise (`noise_mode="random"`). In configuration C, by contrast, the latent
# enters at layer 0 and the images differ from the very first layer. (With a randomly
# initialised model every channel of the constant is still flat, so layer 0 has no pattern at
# all and its agreement is undefined.)
#
# With the book's model the agreement (printed below the plot) falls from 1 to 0.75 at the
# second layer and then stays between 0.71 and 0.86 all the way up to 32²: the synthetic faces
# are centred and mostly frontal, so most of the spatial layout is shared by all images and
# what tells them apart are the statistics the styles set, channel by channel. In the figure
# above the same head outline shows in every seed from 16² on; the colours differ most at 32²,
# for the two blond seeds (2 and 4). Giving every image its own noise lowers the agreement of
# layer 0 only to 0.98, and from layer 1 on the two curves are the same to two decimals: in this
# model the noise hardly moves the layout.

# %%
agree = K.agreement_by_layer(G, seeds, max_resolution=max_resolution)
torch.manual_seed(seed)
agree_random = K.agreement_by_layer(G, seeds, noise_mode="random", max_resolution=max_resolution)
fig, ax = plt.subplots(figsize=(6.5, 3))
ax.plot(list(agree), list(agree.values()), marker="o", label="same stored noise for every image")
ax.plot(list(agree_random), list(agree_random.values()), marker="x", ls="--",
        label="random noise for every image")
ax.set_ylabel("spatial agreement")
ax.set_ylim(-0.1, 1.05)
ax.tick_params(axis="x", labelrotation=45)
ax.legend(fontsize=8)
save_figure(fig, "constant_agreement", figures_dir)
plt.show()
print("same noise:  ", "  ".join(f"{k}: {v:.2f}" for k, v in agree.items()))
print("random noise:", "  ".join(f"{k}: {v:.2f}" for k, v in agree_random.items()))

# %% [markdown]
# ## Why a constant is enough (Table 1, C → D)
#
# In the paper's Table 1, removing the traditional input changes FID from 5.34 to 5.07 on
# CelebA-HQ and from 4.85 to 4.88 on FFHQ (configuration C → D): no loss, and a simpler
# network. Reproducing this step on the synthetic faces is future work for the book: the
# library builds both configurations (`Generator("book-32/config-C")`, `"book-32/config-D"`),
# trains them with `python -m stylegan_lib train`, and chapter 9's metrics measure them, but the
# book ships no trained pair yet. Why does the latent input not help?
#
# * **It is redundant.** With styles, every layer already receives w. The first layer's own
#   AdaIN replaces each input channel's mean and variance with the style's, so what the latent
#   input could add is a per-image 4×4 pattern inside each channel — and the figures above show
#   how little per-image layout the trained network needs: the spatial pattern stays largely
#   shared, and what varies comes in later, through the styles and the noise.
# * **Position comes from the constant.** A convolution computes the same function at every
#   position (only the zero padding at the border tells it where it is); to draw eyes above a
#   mouth the network needs to know where it is. A learned constant is a fixed coordinate frame,
#   the same for every image, which is exactly what is needed.
# * **It is simpler.** The dense layer is the largest single layer of the traditional
#   generator (4.2 M parameters at 1024², above), and a second route for the latent that the
#   styles have to agree with.
#
# The striking part is the paper's remark that the network produces meaningful images at all
# when it receives its input *only* through the styles: the whole image is "steered" statistics
# on top of a fixed canvas.
#
# ## Try it: replace the constant
#
# The widget starts the synthesis from something else and blends between the learned constant
# (α = 0) and the replacement (α = 1): the constant mirrored left–right, shifted by one
# position, its 16 positions shuffled, made flat (each channel's mean: instance norm turns it
# into zeros), its value before training (ones), or random numbers with the same statistics.
# Its logic is `stylegan_lib.viz.constant.synthesize_with_constant` (a pre-hook on the first
# layer, removed afterwards). With the book's model (the static figure below) mirroring or
# shuffling the constant wrecks the image in every row — split or doubled heads, smears of
# hair: the layers after it have learned to read this exact positional code. Shifting it by
# one position (a quarter of the 4×4 grid) is milder: it moves the head to the right, against
# the border. In the first and last rows (seeds 0 and 3) the face survives almost intact,
# only moved; seed 2's face is distorted and seed 1's head turns into a smear of hair. A flat
# constant (or the initial ones) carries no layout at all — instance norm turns it into zeros,
# so the two columns are identical — and what is left is a blurry, squarish head without eyes
# or mouth, in the seed's colours, drawn from the styles and the zero padding at the borders
# alone. Random numbers with the same statistics give much the same, with a trace of seed 2's
# eyes and beard. (Two sources are flawed even with the learned constant: seed 1's face has no
# eyes and no mouth, and seed 2's eyes are a garbled band. These are failures of this model,
# not effects of the replacement.)

# %% tags=["nbval-ignore-output"]
K.constant_widget(G, seed=seed, variant="mirrored", alpha=1.0)

# %% [markdown]
# The same function, static: rows are seeds, columns the replacements (α = 1).

# %%
variants = list(K.VARIANTS)
fig, ax = plt.subplots(figsize=(1.3 * len(variants), 1.35 * 4 + 0.3))
ax.imshow(K.variants_grid(G, seeds[:4], variants), interpolation="nearest")
R = G.img_resolution
ax.set_xticks([1 + (R + 1) * k + R / 2 for k in range(len(variants))])
ax.set_xticklabels(variants, rotation=30, fontsize=8)
ax.set_yticks([])
ax.set_title("starting the synthesis from other constants")
save_figure(fig, "constant_variants", figures_dir)
plt.show()

# %% [markdown]
# ## Summary
#
# * Configurations D–F start from a learned constant (1 × C × 4 × 4, initialised to ones);
#   all per-image information enters through the styles and the noise.
# * The constant gives every image the same starting layout, a coordinate frame for the
#   convolutions; images keep much of that layout (spatial agreement 0.71–0.86 in every later
#   layer of the book's model) and differ mainly in the channel statistics the styles set.
# * Dropping the latent input (C → D) costs nothing in FID (Table 1) and removes the largest
#   layer of the traditional generator.
#
# ## Exercises
#
# 1. How many numbers does the paper's constant hold, and the book model's?
#    *(Answer: 512 · 16 = 8 192 and 128 · 16 = 2 048.)*
# 2. Why can the constant not stay at its initial value (all ones)? *(Answer: a flat map is
#    turned into zeros by instance norm, so layer 0 would output just y_b — no spatial
#    information at all.)*
# 3. How many parameters does removing the traditional input save at 1024²?
#    *(Answer: 4 194 304 — the dense layer's 512 · 8 192 weights and 8 192 biases, minus the
#    constant's 8 192 numbers.)*
#
# The cell below checks all three.

# %%
# NBVAL_CHECK_OUTPUT
with torch.device("meta"):  # the architecture only: no memory, no random numbers
    big = {v: Generator(f"paper-1024/{v}") for v in ("config-C", "config-D")}
assert big["config-D"].synthesis.blocks.b4.const.numel() == 8192
assert Generator("book-32").synthesis.blocks.b4.const.numel() == 2048
flat = stylegan_lib.layers.instance_norm(torch.ones(1, 4, 4, 4))
assert flat.abs().max() == 0
saved = big["config-C"].num_parameters()["total"] - big["config-D"].num_parameters()["total"]
assert saved == 512 * 8192 + 8192 - 8192 == 4_194_304, saved
print(f"constants: 8192 and 2048 numbers; instance norm of a flat map = 0; C → D saves {saved:,d} parameters")
