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
# # 7. The truncation trick in W
#
# *Karras, Laine and Aila, "A Style-Based Generator Architecture for Generative Adversarial
# Networks", CVPR 2019, Appendix B ("Truncation trick in W"; §2.1 uses it for Figure 2).*
#
# A generator is trained on a finite data set, so the rare corners of the data — unusual poses,
# odd combinations of features — are seen rarely, and the generator draws them badly. Sampling
# latents from a **shrunk** distribution avoids those corners: the images get better on average
# and less varied. BigGAN (Brock et al. 2018) and Marchesi (2017) did this in Z. StyleGAN does it
# in the intermediate latent space W, where it works better because W is not forced to follow a
# fixed distribution: every w is pulled towards the centre of mass w̄ of W by a factor ψ.
#
# This chapter shows the equation and the code, the "average face" w̄, the paper's Figure 8
# (ψ from 1 through 0 to −1), a widget for ψ and for the layers it is applied to, and then
# **measures** the trade-off: distance to the real faces, precision and recall, and diversity,
# as functions of ψ.

# %% tags=["parameters"]
preset = "quick"          # "quick": the book's 32×32 model on the CPU; "full": pass a checkpoint
device = "cpu"            # "cpu", "cuda" or "auto"
seed = 0
checkpoint = ""           # empty: the shipped book model; or a .pt checkpoint / official .pkl
figures_dir = "../figures"
num_images = 128          # generated images per ψ for the trade-off measurement (full: 1000+)
num_real = 1000           # synthetic faces for the reference statistics
tradeoff_psis = [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]

# %%
import inspect

import matplotlib.pyplot as plt
import torch

from stylegan_lib.images import to_hwc
from stylegan_lib.latent import layer_groups
from stylegan_lib.mapping import MappingNetwork
from stylegan_lib.viz import truncation as trunc
from stylegan_lib.viz.book import book_generator, chapter_header, check_preset, save_animation, save_figure
from stylegan_lib.viz.noise import layers_label

check_preset(preset)
chapter_header("Chapter 7 – the truncation trick", device, expected_seconds=40)
torch.manual_seed(seed)
G = book_generator(checkpoint, preset, device)
groups = layer_groups(G.num_ws)
print(f"generator: {G.img_resolution}×{G.img_resolution}, {G.num_ws} style inputs; "
      f"w̄ tracked over {int(G.mapping.w_avg_updates)} updates")

# %% [markdown]
# ## The equation and the code
#
# During training the generator keeps a running average of the w it produces, the centre of mass
# of W:
#
# $$\bar w = \mathbb E_{z \sim P(z)}\,[f(z)], \qquad
#   \bar w \leftarrow \bar w_{\text{batch}} + \beta\,(\bar w - \bar w_{\text{batch}}),\ \beta = 0.995.$$
#
# At generation time each style input is moved towards it:
#
# $$w' = \bar w + \psi\,(w - \bar w).$$
#
# ψ = 1 changes nothing, ψ = 0 puts every image at w̄, and ψ < 0 goes *past* w̄ to the opposite
# side. The paper applies it to the low-resolution styles only (the first 8 of 18 style inputs,
# 4²–32², with ψ = 0.7 for its uncurated figures), which leaves the fine details untouched;
# `truncation_cutoff` is that number of style inputs. Metrics like FID are always computed
# *without* truncation.

# %%
print(inspect.getsource(MappingNetwork.truncate))
print(inspect.getsource(MappingNetwork.update_w_avg))

# %% [markdown]
# ## The average face
#
# w̄ is itself a point of W and has an image: the paper calls it the "mean" face of FFHQ. For the
# book's model it is a centred, front-facing head with short hair streaked grey, light and dark,
# mid-brown skin and a mauve background; its eyes are two dark spots in a checkered band under
# the fringe and it has no clear mouth, so even the centre of this model's W is not a clean face.

# %%
avg = trunc.average_image(G)
fig, ax = plt.subplots(figsize=(2.4, 2.4))
ax.imshow(to_hwc(avg)[0], interpolation="nearest")
ax.set_title("w̄: the average face", fontsize=10)
ax.set_axis_off()
save_figure(fig, "truncation_average_face", figures_dir)
plt.show()

# %% [markdown]
# ## Figure 8: ψ from 1 to −1
#
# The paper's Figure 8 shows two seeds at ψ = 1, 0.7, 0.5, 0, −0.5, −1, truncating all style
# inputs. As ψ goes to 0 all faces converge to the average face; the negative values give the
# "anti-face": the paper notes that viewpoint, glasses, age, colouring and hair length flip, and
# often the gender. The stored noise images are used, so only ψ changes along a row.
#
# The book's model follows the paper only in part. At ψ = 1 seed 0 is a legible face (black
# hair, brown skin, eyes and a red mouth, pink background), seed 1 is a broken one (a blank brown
# face under black hair, with no eyes or mouth) and seed 2 a garbled one (blond hair, a bright
# band across the eyes, a hair-textured lower face). ψ = 0.7 and 0.5 do not repair them: all
# three rows change little (seed 0's mouth fades, seed 1's background turns from light blue to
# lavender and its face gains at most two faint eye dots) until ψ = 0, where they reach the
# average face. Past w̄ the colouring flips, as in the paper: the black-haired seeds 0 and 1 get
# light, streaked hair and lighter skin, and their backgrounds turn from pink to blue and from
# blue to red; the blond seed 2 gets black hair and darker skin. The anti-faces are no cleaner
# than the faces: seed 0's eyes sit in a checkered patch, and seed 1's at ψ = −1 is a blotchy
# face with blue eyes and a red mouth.

# %%
grid = trunc.truncation_figure(G, [seed, seed + 1, seed + 2], psis=trunc.FIGURE8_PSIS)
fig = trunc.draw_truncation_figure(grid)
fig.suptitle("Figure 8: truncation w' = w̄ + ψ(w − w̄) in every style input", fontsize=10)
save_figure(fig, "truncation_fig8", figures_dir)
plt.show()

# %% [markdown]
# At ψ = 0 every row shows the same image, w̄'s:

# %%
# NBVAL_CHECK_OUTPUT
col = grid.psis.index(0.0)
spread = float((grid.images[:, col] - grid.images[:1, col]).abs().max())
print(f"largest difference between seeds at ψ = 0: {spread:.3f}")
print(f"same as the average face: {torch.allclose(grid.images[0, col], avg[0], atol=1e-3)}")

# %% [markdown]
# ### ψ in motion
#
# Figure 8 as an animation (`stylegan_lib.video.truncation_frames`): four seeds, ψ swept from 1
# down to −1 and back up in steps of 0.25, truncating every style input. Seed 3 (long black hair
# and a pale face with a mouth at ψ = 1) darkens to brown skin by ψ = 0.5; at ψ = 0.25 seeds 0,
# 1 and 3 look much alike (black hair, brown skin, a mauve background) while seed 2 keeps its
# blond hair, and at ψ = 0 all four are the average face. Below 0 they move to the other side of
# w̄ and every seed's hair colour flips: seeds 0, 1 and 3 turn blond or light brown, seed 2
# black. The backgrounds change hue too (seed 0's to blue, seed 1's to red), and at ψ = −1 seed 1
# is a blotchy face on a red background.

# %%
from IPython.display import Image

from stylegan_lib.video import truncation_frames

frames = truncation_frames(G, [seed + k for k in range(4)], steps=8)
Image(filename=save_animation(frames, "truncation_psi_sweep", figures_dir, fps=3, scale=3))

# %% [markdown]
# ## Try it
#
# Move ψ, and the **cutoff**: how many style inputs, from the coarsest, are truncated. In the
# paper's model the coarse styles carry pose, hair style, face shape and glasses and the fine
# styles the colour scheme (the paper's Figure 3), so there a cutoff at the end of the coarse
# group should keep the seed's colours. The book's model splits them differently: in the figure
# below (ψ = 0), truncating the coarse styles (4²–8²) keeps seed 0's colours, but its black hair
# takes the average face's grey streaks as soon as the middle styles (16²) are truncated too,
# and only the fine styles (32²) bring the average face's background. So at ψ = 0 a cutoff at
# the end of the middle group (the widget's starting cutoff) keeps this seed's background but
# not its hair colour. The logic is `stylegan_lib.viz.truncation.truncated_image`.

# %% tags=["nbval-ignore-output"]
trunc.truncation_widget(G, seed=seed, truncation_psi=0.5, truncation_cutoff=groups["middle"].stop)

# %% [markdown]
# The same function, without a kernel: one seed at ψ = 0 with the cutoff moved from 0 (no
# truncation) to all style inputs. Left of the cutoff the styles are w̄'s, right of it the seed's:
# the picture goes from the seed's image to the average face (last panel) one group of features
# at a time. The 4² styles alone change the lower face (the red mouth becomes a dark band) and
# turn the eyes into the average face's checkered band; adding the 8² styles removes the dark
# band again; the 16² styles turn the black hair into the average face's grey streaks; the 32²
# styles bring its mauve background in place of the pink one.

# %%
cutoffs = list(range(0, G.num_ws + 1, 2))
fig, axes = plt.subplots(1, len(cutoffs), figsize=(1.7 * len(cutoffs), 2.1))
for ax, k in zip(axes, cutoffs):
    ax.imshow(trunc.truncated_image(G, seed, 0.0, k))
    ax.set_title(layers_label(G, range(k)), fontsize=9)
    ax.set_axis_off()
fig.suptitle(f"seed {seed}, ψ = 0 applied to the styles of the named resolutions", fontsize=10)
save_figure(fig, "truncation_cutoff", figures_dir)
plt.show()

# %% [markdown]
# ## The trade-off, measured
#
# Truncation buys quality with diversity. To see both, we generate the same `num_images` seeds at
# each ψ and compare them with synthetic faces of the model's own training data, in the feature
# space of the book's offline faces classifier (chapter 9; the numbers are **FD** and **KD**,
# not FID/KID, because the features are not Inception's):
#
# * **FD** (Fréchet distance) and **KD** (kernel distance): how far the generated distribution is
#   from the real one — both quality and diversity count;
# * **precision** (Kynkäänniemi et al. 2019): the fraction of generated images that fall inside
#   the real images' manifold (each real feature vector with a ball out to its 3rd nearest
#   neighbour) — quality;
# * **recall**: the fraction of real images inside the generated manifold — coverage;
# * **diversity**: the mean distance between two generated images, relative to that between two
#   real ones.
#
# As ψ goes to 0, diversity falls steadily (from 0.899 to 0.085 in the table printed below);
# recall falls overall, from 0.48 at ψ = 1 to 0 at ψ = 0, but not step by step: with 128 images
# per ψ it first rises to 0.52 at ψ = 0.8. Precision has almost no room to rise: it is already
# 0.97 at ψ = 1 and stays between 0.97 and 1.00 at every ψ, with a dip at ψ = 0.6 (one image of
# 128 moves it by 0.008). A high precision does not mean that every sample is good: chapter 8's
# uncurated grid has, by eye, 3 clearly broken faces of 32 and 5 borderline ones (seed 1 above is
# broken too). Precision alone would flatter this model; its recall and FD (about 97 times the
# floor of its data, chapter 8) show how far it is from the real faces.
# FD and KD count the lost diversity as much as the gained quality: they grow as ψ shrinks,
# slowly near ψ = 1 (FD 252 at ψ = 1, 290 at ψ = 0.8) and steeply when the images become too
# alike (1,920 at ψ = 0) — which is why truncation is never used when a generator is evaluated.
# (With a few hundred images the FD is biased upwards; compare values within one plot only.)

# %%
from stylegan_lib.metrics import get_feature_detector, real_features
from stylegan_lib.pretrained import training_data

detector = get_feature_detector("classifier", device=device)
real_data = None if checkpoint else training_data("book-32")  # the faces the model was trained on
real = real_features(detector, num_real, data=real_data)
result = trunc.truncation_tradeoff(G, tradeoff_psis, num_images=num_images, detector=detector, real=real,
                                   seed=seed + 1000, progress=True)
print(f"features: {result.detector}; {num_images} generated images per ψ, {num_real} real faces ({real_data or 'the default faces'})")
print(result.table())
fig = trunc.draw_tradeoff(result)
save_figure(fig, "truncation_tradeoff", figures_dir)
plt.show()

# %% [markdown]
# The paper uses ψ = 0.7 on the coarse and middle styles (4²–32²) for its uncurated figures, a
# compromise between the two ends of these curves; its FID numbers (4.40 for the final FFHQ
# model) are measured without truncation, at ψ = 1.
#
# ## Summary
#
# * w̄ is a running average of w kept during training (β = 0.995); its image is the average face.
# * Truncation: w' = w̄ + ψ(w − w̄), on the first `truncation_cutoff` style inputs.
#   ψ = 1: no change; ψ = 0: w̄; ψ < 0: the "anti-face" on the other side of w̄.
# * Smaller ψ: higher precision, lower recall and diversity (for the book's model overall, not at
#   every step; and ψ = 0.5–0.7 does not repair seed 1's blank face). FD/KD tell when the loss of
#   diversity outweighs the gain in quality.
#
# ## Exercises
#
# 1. By which factor does truncation change the distance of w to w̄? *(Answer: |ψ|:
#    ‖w' − w̄‖ = |ψ|·‖w − w̄‖.)*
# 2. Which ψ mirrors w through w̄? *(Answer: ψ = −1, w' = 2w̄ − w.)*
# 3. The paper truncates the first 8 of the 18 style inputs of the 1024² model. Which
#    resolutions are they? *(Answer: 4², 8², 16² and 32², two layers each.)*
#
# The cell below checks the three answers.

# %%
# NBVAL_CHECK_OUTPUT
from stylegan_lib import get_config
from stylegan_lib.latent import z_from_seeds

ws = G.mapping(z_from_seeds([seed], G.z_dim, G.device))
w_bar = G.mapping.w_avg
for psi in (0.7, -0.5):
    ratio = (G.mapping.truncate(ws, psi) - w_bar).norm() / (ws - w_bar).norm()
    assert abs(float(ratio) - abs(psi)) < 1e-4
torch.testing.assert_close(G.mapping.truncate(ws, -1.0), 2 * w_bar - ws)
cfg = get_config("paper-1024")
first8 = [r for r in cfg.resolutions for _ in range(2)][:8]
assert sorted(set(first8)) == [4, 8, 16, 32]
print("all three answers check out")
