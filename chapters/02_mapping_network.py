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
# # 2. The mapping network: from Z to W
#
# *Karras et al. 2019, §2 "Style-based generator" and §4 "Disentanglement studies".*
#
# A traditional generator feeds the latent z straight into its first layer. z is drawn from a
# fixed distribution (a Gaussian), so the generator has no choice: every region of Z must turn
# into *some* image, in proportion to how often the training data shows it. The StyleGAN paper
# argues that this forces the map from Z to image features to bend: if a combination of
# features never occurs in the training data, the Gaussian still has mass everywhere, so the
# generator must squeeze the other combinations around the hole (the paper's Figure 6).
#
# StyleGAN first sends z through a **mapping network** f, an 8-layer MLP, and feeds the
# synthesis network with the **intermediate latent** w = f(z) ∈ W. W has no fixed
# distribution: f can stretch and fold space so that, in W, the factors of variation lie along
# straighter lines. The paper calls W *less entangled* than Z and measures it with perceptual
# path length and linear separability (chapter 9). This chapter looks at f itself, at walking
# through Z and W, at the paper's Figure 6 on our synthetic faces (whose training set leaves out
# long-haired men on purpose), and at w̄, the centre of W.

# %% tags=["parameters"]
preset = "quick"          # "quick": the book's 32×32 model on the CPU; "full": pass a checkpoint
device = "cpu"            # "cpu", "cuda" or "auto"
seed = 0
checkpoint = ""           # empty: the shipped book model; or a .pt checkpoint / official .pkl
figures_dir = "../figures"
classifier = ""           # empty: the book's faces classifier (stylegan_lib.metrics); or a path
interpolation_steps = 8   # images per interpolation strip
fig6_samples = 0          # images to pick Figure 6's three faces from; 0: 256 (quick) or 1000 (full)
fig6_grid = 0             # Figure 6 planes have fig6_grid² images; 0: 13 (quick) or 25 (full)

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch

import stylegan_lib
from stylegan_lib.data.faces import FacesConfig
from stylegan_lib.images import image_grid
from stylegan_lib.viz import mapping as M
from stylegan_lib.viz.book import book_generator, chapter_header, check_preset, save_animation, save_figure

check_preset(preset)
fig6_samples = fig6_samples or (1000 if preset == "full" else 256)
fig6_grid = fig6_grid or (25 if preset == "full" else 13)
chapter_header("Chapter 2 – the mapping network", device, expected_seconds=30)
torch.manual_seed(seed)
G = book_generator(checkpoint, preset, device)
print(f"generator: {G.img_resolution}×{G.img_resolution}, z_dim={G.z_dim}, w_dim={G.w_dim}, "
      f"mapping layers={len(G.mapping.layers)}")

# %% [markdown]
# ## The network f
#
# The paper's f normalises z and applies eight fully connected layers, each followed by a
# leaky ReLU (slope 0.2):
#
# $$ w = f(z) = \phi_8 \circ \dots \circ \phi_1\!\left(\frac{z}{\sqrt{\tfrac{1}{d}\sum_i z_i^2 + \epsilon}}\right),
# \qquad \phi_k(x) = \operatorname{lrelu}(\Theta_k x + b_k) $$
#
# Because of the normalisation only the *direction* of z matters: z lives, in effect, on a
# sphere. The same w is then handed to every style input of the synthesis network
# (`num_ws` copies), so style mixing and truncation can later treat the copies separately.

# %%
print(inspect.getsource(stylegan_lib.mapping.MappingNetwork.forward))

# %% [markdown]
# Each layer is an equalised-learning-rate dense layer with a learning-rate multiplier λ:

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'layer':>5} {'in':>5} {'out':>5} {'λ (lr_mul)':>11} {'weight gain g/√n·λ':>19}")
for row in M.mapping_layer_table(G):
    print(f"{row['layer']:>5} {row['in_features']:>5} {row['out_features']:>5} "
          f"{row['lr_mul']:>11g} {row['weight_gain']:>19.3e}")

# %% [markdown]
# ## The learning-rate multiplier λ = 0.01
#
# The paper's appendix C: the mapping network is trained with a learning rate two orders of
# magnitude smaller than the rest. With equalised learning rates this is not a separate
# optimiser setting; it is built into the parametrisation. A layer stores the weights ŵ and
# multiplies them at run time:
#
# $$ \Theta = \hat w \cdot \frac{g}{\sqrt{n_\text{in}}} \cdot \lambda,
# \qquad \hat w \sim \mathrm{N}(0, 1/\lambda^2) \text{ at initialisation,} $$
#
# so the *used* weights start the same as without λ, but Adam — whose step is about lr per
# stored parameter whatever the gradient's size — moves them λ times more slowly relative to
# their size. We can watch it: one real Adam step (β₁ = 0, β₂ = 0.99, the paper's settings)
# on a random gradient, for every layer of f and every convolution of g.

# %%
print(inspect.getsource(stylegan_lib.layers.EqualizedLinear.forward))
steps = M.adam_step_sizes(G, lr=1e-3, seed=seed)
for part, values in steps.items():
    print(f"{part:9s}: relative change of the used weights after one Adam step (lr = 1e-3): "
          f"median {np.median(values):.1e}  (per layer: {', '.join(f'{v:.1e}' for v in values)})")

# %% [markdown]
# At initialisation the ratio is λ = 0.01 (up to the spread of the random weights); after
# training the stored weights have drifted a little, so expect the mapping network's steps to
# be within a small factor of 1e-5 and the synthesis network's near 1e-3. The trained model
# prints medians of 1.0e-05 and 9.6e-04, a ratio of about 100. A deep MLP whose every layer
# moves as fast as a convolution would shift all of W under the synthesis network's feet at
# each step; the slow mapping network keeps W a stable coordinate system while g learns to use
# it.
#
# ## Walking through Z and through W
#
# The paper measures how smoothly images change along paths in latent space (perceptual path
# length, §4.1, chapter 9). In Z the path is a great circle (z is normalised anyway), in W a
# straight line:
#
# $$ z(t) = \operatorname{slerp}(z_A, z_B; t), \qquad w(t) = \operatorname{lerp}(f(z_A), f(z_B); t) = (1-t)\,f(z_A) + t\,f(z_B). $$

# %%
print(inspect.getsource(stylegan_lib.latent.slerp))

# %% [markdown]
# The strips below walk from one seed to another in Z by slerp, in W by lerp, and — for
# comparison — along a straight line in Z. All three start and end at the same images; the
# plot on the right shows the size of each step. A path that changes the image evenly has
# flat step sizes; a path that crosses a region where the generator changes its mind quickly
# has a peak. The paper found paths in W perceptually shorter than paths in Z on average
# (its Table 3, reproduced in chapter 9); one pair of seeds proves nothing either way, but the
# plot shows where along each path the image changes most. Here seed 0 is a black-haired,
# brown-skinned face on a pink background and seed 1 one of the model's broken samples, a
# brown head with no eyes or mouth on a blue background (chapter 0). The W line fades from one
# to the other in small, even steps: the hair stays black, the eyes fade out and the
# background turns from pink through grey to blue. Both paths in Z detour through pale faces
# with light-brown and ginger hair on purple backgrounds, which neither end has, and take their
# largest step early (step 2, into the first of those faces) and another large one at the end.

# %%
strips = M.interpolation_strips(G, seed, seed + 1, steps=interpolation_steps, spaces=("z", "w", "z-lerp"))
fig = M.draw_interpolation(strips)
save_figure(fig, "mapping_interpolation", figures_dir)
plt.show()

# %% [markdown]
# ### Try it
#
# Pick two seeds and move t: the left image follows the slerp path in Z, the right one the
# lerp path in W. They agree at t = 0 and t = 1 and differ in between. The widget's picture is
# `stylegan_lib.viz.mapping.interpolate_image`.

# %% tags=["nbval-ignore-output"]
M.interpolation_widget(G, seed_a=seed, seed_b=seed + 1, t=0.5)

# %%
pairs = [(seed + 2 * k, seed + 2 * k + 1) for k in range(4)]
fig, axes = plt.subplots(2, len(pairs), figsize=(2.0 * len(pairs), 4.3))
for j, (a, b) in enumerate(pairs):
    for i, space in enumerate(("z", "w")):
        axes[i, j].imshow(M.interpolate_image(G, a, b, 0.5, space, upscale=1), interpolation="nearest")
        axes[i, j].set_xticks([])
        axes[i, j].set_yticks([])
    axes[0, j].set_title(f"seeds {a} & {b}", fontsize=9)
axes[0, 0].set_ylabel("midpoint in Z")
axes[1, 0].set_ylabel("midpoint in W")
save_figure(fig, "mapping_midpoints", figures_dir)
plt.show()

# %% [markdown]
# ### The walk in motion
#
# The same two paths as an animation (`stylegan_lib.video.interpolation_frames`, saved with
# `save_animation`): four seeds side by side, each walking to the next seed (the last one to the
# first) in 16 steps of t; the top row walks Z by slerp, the bottom row W by lerp, and both rows
# start on the same four faces. Both rows end on the next seed's faces, but between the ends
# they differ. The first column is the walk of the strips above (seed 0 to the faceless seed
# 1): mid-walk the Z row shows pale faces with light-brown and ginger hair on purple, which look
# like neither end, while the W row stays a black-haired brown face whose eyes fade as the
# background turns blue. In the last column (seed 3, a pale face with a black bob, back to seed
# 0) the W row keeps the black hair and darkens the skin gradually; the Z row first passes
# through a dark smear over the lower face and keeps the face pale until the last few steps.
# Not every column tells the spaces apart: from seed 2 to seed 3 (third column) both rows pass
# through a black-haired face with a dark, beard-like band over the lower face. Detours like
# these are what the perceptual path length of chapter 9 measures; four walks illustrate it,
# they do not measure it.

# %%
from IPython.display import Image

from stylegan_lib.video import interpolation_frames

walk = interpolation_frames(G, [seed + k for k in range(4)], steps=16)
Image(filename=save_animation(walk, "mapping_walk_z_vs_w", figures_dir, fps=8, scale=2))

# %% [markdown]
# ## Figure 6: the missing long-haired men
#
# The paper's Figure 6 is a thought experiment with two factors of variation, say masculinity
# and hair length: (a) the training set lacks one combination (long-haired men); (b) Z is a
# Gaussian, so the map from Z to features must curve to give the missing combination no mass;
# (c) the learned map from Z to W can undo much of that warping. Our synthetic faces make the
# experiment real: the book's training set leaves out exactly that combination
# (`FacesConfig.exclude = (("male", "long_hair"),)`).
#
# **(a)** The training set's two factors: every image on one side of each threshold, and one
# quadrant empty.

# %%
factors = M.training_factors(2000, seed=seed)
print("training images per combination (male, long_hair):", factors["counts"])

# %% [markdown]
# **(b, c)** How do Z and W arrange what the generator draws? We let the book's faces
# classifier (chapter 9) read `male` and `long_hair` off generated images and look at them over a
# plane in each space:
#
# 1. draw `fig6_samples` images and pick three that the classifier is surest about: **C**, a
#    woman with short hair; **B**, a man with short hair; **A**, a woman with long hair;
# 2. span the plane x(u, v) = x_C + u (x_B − x_C) + v (x_A − x_C) through their latents, once
#    in Z (x = z) and once in W (x = w = f(z)), and generate a `fig6_grid` × `fig6_grid` grid
#    of images on it, from −0.25 to 1.25 in u and v. The corners are C (0, 0), B (1, 0),
#    A (0, 1) — the same three images in both spaces — and, at (1, 1), **A + B − C**: by vector
#    arithmetic, a man with long hair, the combination the training set leaves out;
# 3. colour each grid point by the combination of attributes the classifier sees (unsure points
#    get a blend of the colours, weighted by the classifier's probabilities), and draw the 0.5
#    contour of each attribute (solid: male, dashed: long hair).
#
# If the plane's directions carry the two attributes independently, the contours are straight
# lines, male changing with u only and long hair with v only; in an entangled space they bend.
# The title of each plane gives the share of grid points that one straight line classifies
# correctly for each attribute, male / long hair (100 %: a straight boundary; "–": the
# attribute does not change on the plane). The paper's argument predicts straighter
# boundaries in W, whose map from Z can undo the warping the missing combination forces on Z.

# %%
clf = M.attribute_classifier(classifier, device=G.device)
anchors = M.fig6_anchors(G, clf, num_samples=fig6_samples, seed=seed)
planes = [M.label_plane(G, clf, anchors, space, grid=fig6_grid) for space in ("z", "w")]
fig = M.draw_figure6(factors, planes)
save_figure(fig, "mapping_fig6", figures_dir)
plt.show()

# %% [markdown]
# How often does the generator draw the combination it never saw? Compare its
# `fig6_samples` random images with the training set (none) and with the full distribution of
# the synthetic faces (about 12 %: half of the faces are men, a quarter of those with long hair),
# and look at what the classifier makes of A + B − C in each plane. (The classifier was trained
# on all four combinations, so it knows what a long-haired man looks like.)

# %%
gen = M.combination_fractions(anchors["probs"])
full = M.training_factors(2000, seed=seed, config=FacesConfig(exclude=()))
print(f"long-haired men: generated {gen[(1, 1)]:.1%}, training set "
      f"{factors['counts'][(1, 1)] / 2000:.1%}, full distribution {full['counts'][(1, 1)] / 2000:.1%}")
for s in planes:
    lin = M.straightness(s["probs"], s["coords"])
    p_male, p_long = M.corner_probabilities(s)
    print(f"plane in {s['space'].upper()}: straight-line fit male {M.percent_or_dash(lin[0])}, "
          f"long hair {M.percent_or_dash(lin[1])}; at A + B − C p(male) = {p_male:.2f}, "
          f"p(long hair) = {p_long:.2f}")

# %% [markdown]
# Which generated images does the classifier read as long-haired men? With the book's model
# most of them look like the data's women with chin-length hair, light or black. Three have a
# band of hair colour over the lower face, like a beard: the two ginger-haired faces in the top
# row (first and sixth) and the blond one second in the bottom row. None is a clear long-haired
# man: they are hybrids between what the generator learned to draw, or drawings near the
# long-hair threshold that the classifier, trained on clean faces, reads one way. Either way,
# read the percentage above (5.5 % of the generated images, against none in the training set
# and 12.4 % in the full distribution) together with these pictures.

# %%
examples = M.combination_examples(anchors, (1, 1), n=16)
fig, ax = plt.subplots(figsize=(8, 2.3))
if len(examples):
    ax.imshow(image_grid(examples, ncols=8), interpolation="nearest")
ax.set_title(f"generated images read as long-haired men: {len(examples)} shown, most confident first",
             fontsize=9)
ax.set_axis_off()
save_figure(fig, "mapping_left_out_examples", figures_dir)
plt.show()

# %% [markdown]
# The images behind the two planes (every second grid point; C, B, A and A + B − C sit one row
# and one column in from the edges, since the planes reach 0.25 beyond them):

# %%
fig, axs = plt.subplots(1, 2, figsize=(10, 5.2))
for ax, s in zip(axs, planes):
    ax.imshow(M.plane_thumbnails(s, every=max(1, (fig6_grid - 1) // 6)), interpolation="nearest")
    ax.set_title(f"plane in {s['space'].upper()}")
    ax.set_axis_off()
save_figure(fig, "mapping_fig6_planes", figures_dir)
plt.show()

# %% [markdown]
# With the book's model both planes avoid the left-out combination in the same way: going up
# from B towards A + B − C, the hair grows and the beard and the male reading go with it, so
# the classifier reads the corner as a woman with long hair in both spaces (printed: p(male)
# 0.00, p(long hair) 1.00). Neither plane leaves the kind of faces the model draws elsewhere,
# and the red of long-haired men appears only in small patches. Where the spaces differ is the
# shape of the boundaries, and there this plane agrees with the paper: W's are straighter (by
# the titles and the printed fits, male 82 % against 72 % in Z, long hair 100 % against 87 %).
# In W the long-hair boundary is one nearly level line, changing with v only, as in the
# paper's Figure 6c; in Z both boundaries wander, and Z has a second long-hair region along its
# bottom edge (v < 0), where it draws light-brown and ginger hair down the sides of the face
# and the classifier reads part of it as long-haired men (red). Neither space puts "male" along
# u alone: in both, long hair switches it off. The generator learned from its data that long
# hair goes with women, and both planes show it; W only draws the boundaries more simply.
#
# One plane is one picture of a high-dimensional space, spanned by three images out of a few
# hundred: take the numbers as an illustration (the straight-line scores in particular can go
# either way for one plane). The paper's measurements of the same claim over the whole space
# (path length and linear separability, its Tables 3 and 4) are reproduced in chapter 9.
#
# ## w̄, the average face
#
# During training the generator keeps a running average of w,
#
# $$ \bar w \leftarrow \beta\,\bar w + (1-\beta)\,\overline{f(z)}_\text{batch}, \qquad \beta = 0.995, $$
#
# the centre of mass of W. It is the anchor of the truncation trick (chapter 7). Its image
# g(w̄) is "the average face" — and, unlike the pixel average of many images (a blur, with a
# ghost of long hair), it has sharp edges, one hair style and one head outline: averaging
# happens in W, where the generator still turns the result into a sharp image. With the
# book's model the face inside the outline is poor, though: the hair is a mottled grey-blond,
# the eyes sit in a checkered grey band and the mouth is at most a faint smudge.

# %%
print(inspect.getsource(stylegan_lib.mapping.MappingNetwork.update_w_avg))

# %%
avg = M.average_face(G, images=anchors["images"], num_samples=fig6_samples, seed=seed)
fig = M.draw_average_face(avg)
save_figure(fig, "mapping_average_face", figures_dir)
plt.show()

# %% [markdown]
# ## Summary
#
# * f: Z → W is an 8-layer MLP on the normalised z; w is copied to every style input.
# * The mapping network learns 100× more slowly (λ = 0.01), built into its equalised-lr
#   parametrisation.
# * Paths: slerp in Z, lerp in W. W is not tied to a fixed distribution, so f can straighten
#   what a Gaussian Z has to bend (Figure 6); on the synthetic faces, whose training set has no
#   long-haired men, we can look at how each space arranges the attributes around the hole.
# * w̄, the average of W, generates a sharp-edged "average face" (a poor one with the book's
#   model), the anchor of truncation.
#
# ## Exercises
#
# 1. At initialisation, by what factor is the first Adam step of the mapping network's weights
#    smaller, relative to their size, than the synthesis network's? *(Answer: 100, i.e. 1/λ.)*
# 2. Why can you scale z by 3 without changing the image? *(Answer: f normalises z first:
#    f(3z) = f(z).)*
# 3. How many of 10 000 training faces are long-haired men, and about how many would there be
#    without the exclusion? *(Answer: 0; about 1 250 — p(male) · p(long hair | male) = 0.5 · 0.25.)*
#
# The cell below checks all three.

# %%
# NBVAL_CHECK_OUTPUT
fresh = stylegan_lib.Generator("book-32")
s = M.adam_step_sizes(fresh, lr=1e-3)
ratio = np.median(s["synthesis"]) / np.median(s["mapping"])
assert 90 < ratio < 110, ratio
z = torch.randn(4, fresh.z_dim)
with torch.no_grad():
    torch.testing.assert_close(fresh.mapping(3 * z), fresh.mapping(z), rtol=1e-5, atol=1e-5)
n_excl = M.training_factors(10_000, seed=1)["counts"][(1, 1)]
n_full = M.training_factors(10_000, seed=1, config=FacesConfig(exclude=()))["counts"][(1, 1)]
assert n_excl == 0 and 1100 < n_full < 1400, (n_excl, n_full)
print(f"step ratio ≈ {10 * round(ratio / 10)}; f(3z) = f(z); long-haired men: {n_excl} with the exclusion, "
      f"about {round(n_full, -2):.0f} without")
