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
# # 6. Style mixing
#
# *Karras, Laine and Aila, "A Style-Based Generator Architecture for Generative Adversarial
# Networks", CVPR 2019, §3.1.*
#
# The synthesis network does not take one latent: it takes one **style input per layer**
# (`num_ws` of them, two per resolution), all copies of the same w in an ordinary sample. Nothing
# forces them to be copies. Give the first layers the w of one image and the remaining layers the
# w of another, and the generator draws an image that takes its *coarse* features from the
# first and its *fine* features from the second. The paper's Figure 3 is built this way and shows
# that each resolution's styles control a recognisable group of features: pose, face shape and
# glasses at 4²–8², facial features and hair style at 16²–32², colours and micro-structure from
# 64² on.
#
# The same trick is a **regulariser** during training ("mixing regularisation"): a fraction of
# the training images is generated from two latents with a random switch point, so the network
# cannot rely on neighbouring styles being the same and has to keep their effects apart.
#
# This chapter reproduces Figure 3, moves the switch point through the network, offers a widget
# for choosing the sources and the styles to mix, shows the training code, and measures the cost
# of mixing several latents at test time (the paper's Table 2).

# %% tags=["parameters"]
preset = "quick"          # "quick": the book's 32×32 model on the CPU; "full": pass a checkpoint
device = "cpu"            # "cpu", "cuda" or "auto"
seed = 0
checkpoint = ""           # empty: the shipped book model; or a .pt checkpoint / official .pkl
figures_dir = "../figures"
num_sources_a = 5         # columns of Figure 3
truncation_psi = 0.7      # ψ of the paper's figures, applied to the coarse and middle styles
num_pairs = 64            # source pairs for the attribute count of Figure 3
num_images = 64           # generated images per row of the Table 2 measurement (full: 1000+)
num_real = 1000           # synthetic faces for the reference statistics

# %%
import inspect

import matplotlib.pyplot as plt
import torch

from stylegan_lib import latent
from stylegan_lib.images import to_hwc
from stylegan_lib.viz import mixing
from stylegan_lib.viz.book import book_generator, chapter_header, check_preset, save_animation, save_figure
from stylegan_lib.viz.noise import layers_label

check_preset(preset)
chapter_header("Chapter 6 – style mixing", device, expected_seconds=35)
torch.manual_seed(seed)
G = book_generator(checkpoint, preset, device)
groups = latent.layer_groups(G.num_ws)
cutoff = groups["middle"].stop   # the paper's figures truncate the coarse and middle styles only
print(f"generator: {G.img_resolution}×{G.img_resolution}, {G.num_ws} style inputs; figures use "
      f"ψ = {truncation_psi} on style inputs 0–{cutoff - 1}")

# %% [markdown]
# ## The equation and the code
#
# Let w_A = f(z_A) and w_B = f(z_B). An ordinary image feeds w_A to all style inputs
# i = 0 … num_ws − 1. Mixing with **crossover** k feeds
#
# $$w_i = \begin{cases} w_A, & i < k \\ w_B, & i \ge k \end{cases}$$
#
# and Figure 3 uses the more general form "w_B in the style inputs of one group, w_A elsewhere".
# Both are plain indexing on the `[N, num_ws, w_dim]` tensor that `G.mapping` returns:

# %%
print(inspect.getsource(latent.mix_styles))
print(inspect.getsource(latent.copy_styles))

# %% [markdown]
# The groups of Figure 3 at 1024² are coarse = 4²–8² (style inputs 0–3), middle = 16²–32²
# (4–7) and fine = 64²–1024² (8–17). A 32² model has only four resolutions, so its groups are
# shifted down by one octave, keeping three groups:

# %%
# NBVAL_CHECK_OUTPUT
for name, layers in groups.items():
    print(f"{name:6s} style inputs {list(layers)}  ({layers_label(G, list(layers))})")
print("paper-1024:", {k: (v.start, v.stop - 1) for k, v in latent.layer_groups(18).items()})

# %% [markdown]
# ## Figure 3: coarse, middle and fine styles from source B
#
# Top row: the sources A. Left column: the sources B. Every other image is a source A whose
# styles of one group were replaced by source B's: three rows take B's **coarse** styles, two
# rows its **middle** styles, one row its **fine** styles, as in the paper. Reading the paper's
# figure: from coarse styles B brings pose, the general hair style, the face shape and
# eyeglasses, while colours (eyes, hair, lighting) and finer facial features stay A's; middle
# styles bring smaller facial features, hair style, open or closed eyes; fine styles mainly the
# colour scheme and micro-structure.
#
# The synthetic faces were designed with the same three scales (coarse: pose, face width,
# masculinity, glasses; middle: hair length and style, eyes, smile, beard; fine: skin and hair
# colour, background, lighting), so a model that learned the data's split would show it here:
# in a coarse row B's pose and glasses with A's colours, in the fine row A's face with B's
# colours. The book's model gets part of that. The coarse rows bring B's glasses and the layout of
# the face and the hair: B 101 and B 102 put their round, glasses-like eyes on nearly every source
# and B 100 takes seed 4's away, all three remove seed 2's beard and garbled eyes, and B 102's long
# hair falls to the shoulders in all five columns. The background and mostly the skin stay A's, the
# hair colour only in part: B 101 lightens seed 0's black hair to brown but leaves seed 3's black,
# and B 100 turns seed 4's dark skin pale. The middle rows bring B's hair colour: B 103 turns the
# hair of seeds 0–3 ginger to light brown, B 104 turns the black hair of seeds 0, 1 and 3 light
# brown, while seed 2's beard and garbled eye band and seed 4's glasses stay. The fine row (B 105)
# brings B's pink background to every source and B's brown skin to seed 2, and darkens the blond
# hair of seeds 2 and 4. Seed 1 is a flawed source, a face without eyes or mouth; it gets eyes and a
# mouth from every coarse and middle row, not from the fine one. All faces here look frontal, so no
# pose transfer can be seen.

# %%
seeds_a = list(range(seed, seed + num_sources_a))
seeds_b = list(range(seed + 100, seed + 100 + len(mixing.FIGURE3_ROWS)))
fig3 = mixing.style_mixing_figure(G, seeds_a, seeds_b, truncation_psi=truncation_psi,
                                  truncation_cutoff=cutoff)
fig = mixing.draw_style_mixing_figure(fig3)
fig.suptitle("Figure 3: styles of source B copied into source A", fontsize=10)
save_figure(fig, "mixing_fig3", figures_dir)
plt.show()

# %% [markdown]
# ### Figure 3 in numbers
#
# Pictures at 32² are small, so let the book's faces classifier (chapter 9) read them. For
# `num_pairs` random pairs, copy B's styles of one group into A and ask, for every attribute on
# which A and B disagree, whether the mixture has B's value. A group that carries an attribute
# scores near 1 for it, a group that does not near 0. The columns are labelled with the scale of
# the factor behind each attribute in the synthetic faces. With well-separated styles each
# attribute is carried mainly by one group, and the data's construction would have the fine row
# take the colours (background, skin, hair colour) and the coarse row the pose and the sex.
# Where an attribute follows a different group than its label, the model has put it at another
# scale than the data's construction: at 32² the groups sit one octave lower than the paper's,
# so the coarse group (4²–8²) can take on some of the "middle" attributes. The book's model
# gets a good part of the expected split (the table printed below the chart). The coarse row
# takes the pose (looking_left 0.95), the sex (male 0.81) and, less clearly, glasses (0.62),
# but also most of the middle attributes: long hair 0.90, beard 0.86, open eyes 0.77, smile
# 0.66. The middle row carries none of its own attributes above 0.31; it takes the hair colour
# instead (dark_hair 0.65, against 0.46 in the coarse row and 0.11 in the fine row), as
# Figure 3's middle rows show. The fine row takes the background (warm_background 0.97) and
# the skin colour (pale_skin 0.72), as the data's construction would have it, and part of the
# smile (0.41, on top of the coarse row's 0.66, which no clean split would give). The last
# column counts the pairs on which A and B disagree; for eyes_open only 13 of the 64, so its
# scores are rough. (For a model not trained on the synthetic faces, e.g. an official FFHQ
# pickle, these attributes mean nothing.)

# %%
from stylegan_lib.data import ATTRIBUTE_RULES, FACTOR_SCALES
from stylegan_lib.metrics import load_classifier

classifier = load_classifier(device=device)
scales = {a: FACTOR_SCALES[ATTRIBUTE_RULES[a][0]] for a in classifier.attributes if a in ATTRIBUTE_RULES}
transfer = mixing.attribute_transfer(G, classifier, num_pairs=num_pairs, seed=seed + 200,
                                     truncation_psi=truncation_psi, truncation_cutoff=cutoff)
by_scale = sorted(transfer.attributes, key=lambda a: ["coarse", "middle", "fine"].index(scales.get(a, "fine")))
transfer = transfer.select(by_scale)
fig, ax = plt.subplots(figsize=(10, 2.6))
mixing.draw_attribute_transfer(transfer, ax, scales)
ax.set_title(f"which attributes each group of B's styles brings ({num_pairs} pairs)", fontsize=10)
save_figure(fig, "mixing_attribute_transfer", figures_dir)
plt.show()
print(f"{'attribute':18s}" + "".join(f"{g:>8s}" for g in transfer.groups) + "   pairs that disagree")
for j, a in enumerate(transfer.attributes):
    print(f"{a:18s}" + "".join(f"{transfer.follows_b[i, j]:8.2f}" for i in range(len(transfer.groups)))
          + f"   {int(transfer.disagree[0, j])}")

# %% [markdown]
# ## Moving the crossover
#
# One pair of sources, with the crossover k swept from 0 (every style from B) to num_ws (every
# style from A): image k takes style inputs 0 … k−1 from A and the rest from B. Reading from
# left to right, B's styles are replaced by A's from the coarsest up; by the paper's Figure 3
# you would expect first the pose and shape to switch, last the colours. In this pair A and B
# happen to be much alike — both frontal, black-haired, brown-skinned faces — so the sweep
# shows little: k = 1–7 differ from B and from each other only in small details around the
# eyes and the mouth. Most of the difference between A and B appears at the last step, k = 8
# (the panel labelled A), when the last 32² style input comes from A: the background turns to
# A's brighter pink and the skin lightens a little, as colours should with the fine styles.
# The animation below shows sources that differ more.

# %%
sweep = mixing.crossover_sweep(G, seed, seed + 100, truncation_psi=truncation_psi, truncation_cutoff=cutoff)
fig, axes = plt.subplots(1, len(sweep), figsize=(1.35 * len(sweep), 1.9))
for k, (ax, img) in enumerate(zip(axes, to_hwc(sweep))):
    ax.imshow(img, interpolation="nearest")
    ax.set_title("B" if k == 0 else "A" if k == G.num_ws else f"k = {k}", fontsize=9)
    ax.set_axis_off()
fig.suptitle(f"crossover sweep: styles < k from A (seed {seed}), ≥ k from B (seed {seed + 100})", fontsize=10)
save_figure(fig, "mixing_crossover", figures_dir)
plt.show()

# %% [markdown]
# ### The crossover in motion
#
# The sweep for four sources A at once (seeds 0–3 with the default `seed`), all mixed with the
# same source B (seed 100), without truncation (`stylegan_lib.video.mixing_frames`): the
# crossover runs from 8 (every style from A) down to 0 (every style from B) and back, one
# crossover a frame. In the first frame every face is its seed's own. With only the last style
# input (32²) from B, every background turns B's dusky pink, and seed 2's blond hair and pale
# skin turn tan; with both 32² inputs from B, seed 3's pale skin darkens too. With the middle
# inputs (16²) from B as well, at crossover 4, seed 2's hair turns black. The coarse inputs
# keep much of each source's own face: seed 1 keeps its face without eyes or mouth, and
# seed 2 its garbled eye band, down to crossover 3. Only at crossover 2 (style inputs 2–7 from
# B) does seed 1 get eyes and seed 0 B's longer hair, and only at crossover 1 do all four look
# like B's black-haired, brown-skinned face. As in Figure 3, the layout of the face and the
# hair rides on the coarse inputs (4²–8²).

# %%
from IPython.display import Image

from stylegan_lib.video import mixing_frames

frames = mixing_frames(G, [seed + k for k in range(4)], seed_b=seed + 100)
Image(filename=save_animation(frames, "mixing_crossover_sweep", figures_dir, fps=2, scale=3))

# %% [markdown]
# ## Try it
#
# Pick the two sources and the range of style inputs taken from B. A range that runs to the last
# input is a crossover; a range in the middle copies just that group. The logic is
# `stylegan_lib.viz.mixing.mix_pair`.

# %% tags=["nbval-ignore-output"]
mixing.mixing_widget(G, seed_a=seed, seed_b=seed + 100, truncation_psi=truncation_psi, truncation_cutoff=cutoff)

# %% [markdown]
# The same function, without a kernel: one pair of sources, and A with each group of B's styles.

# %%
fig, axes = plt.subplots(1, 5, figsize=(8.5, 2.1))
a, _, b = to_hwc(mixing.mix_pair(G, seed, seed + 100, [], truncation_psi, cutoff))
panels = [("A", a)]
for g, layers in groups.items():
    panels.append((f"A + B's {g}", to_hwc(mixing.mix_pair(G, seed, seed + 100, layers, truncation_psi, cutoff))[1]))
panels.append(("B", b))
for ax, (title, img) in zip(axes, panels):
    ax.imshow(img, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
save_figure(fig, "mixing_pair", figures_dir)
plt.show()

# %% [markdown]
# ## Mixing regularisation
#
# During training, with probability 0.9 (configuration F of Table 1) an image is generated from
# two latents z_1, z_2 with a crossover drawn uniformly from 1 … num_ws − 1 (always at least one
# style input from each). Only the layers already in use count while the network is still
# growing. This is the book's training code:

# %%
from stylegan_lib.train.loop import Trainer

print("\n".join(inspect.getsource(step) for step in (Trainer._latents, Trainer._generate)))

# %% [markdown]
# Why it helps: without it, the generator can let one layer's style depend on the style of the
# layer before, since in training they are always equal. Mixing breaks that correlation, so the
# styles localise. The paper shows it in Table 2: FID on FFHQ when 1, 2, 3 or 4 latents are mixed
# at test time, for models trained with different mixing probabilities:
#
# | mixing in training | 1 latent | 2 | 3 | 4 |
# |---|---|---|---|---|
# | 0 % | 4.42 | 8.22 | 12.88 | 17.41 |
# | 50 % | 4.41 | 6.10 | 8.71 | 11.61 |
# | 90 % | 4.40 | 5.11 | 6.88 | 9.03 |
# | 100 % | 4.83 | 5.17 | 6.63 | 8.40 |
#
# Images mixed from several latents are a little worse in every row, but much less so with mixing
# regularisation; the FID of ordinary images (1 latent) is unchanged up to 90 %.
#
# The same measurement on the book's model (trained with 90 % mixing): FD and KD of images whose
# styles come from 1, 2, 3 or 4 latents, in the feature space of the book's faces classifier,
# against faces of the model's own training data (named in the printed output). In the paper's
# table the distance grows steadily with the number of latents. Here neither measure does:
# ordinary images (1 latent) get the worst FD and the second-worst KD, 2 latents the best of
# both, and from 2 to 4 latents the KD rises again while the FD stays about level. The recall
# rises from about 0.47 for ordinary images to 0.64–0.75 for mixed ones: mixed images cover more
# of the real faces' variety. Taken at face value, mixing latents at test time hardly makes
# this model's images worse; see the note below on how far to trust numbers from 64 images.

# %%
from stylegan_lib.metrics import get_feature_detector, real_features
from stylegan_lib.pretrained import training_data

detector = get_feature_detector("classifier", device=device)
real_data = None if checkpoint else training_data("book-32")  # the faces the model was trained on
real = real_features(detector, num_real, data=real_data)
counts = [k for k in (1, 2, 3, 4) if k <= G.num_ws]
scores = mixing.mixing_scores(G, counts, num_images=num_images, detector=detector, real=real,
                              seed=seed + 1000, progress=True)
print(f"features: {detector.name}; {num_images} images per row, {num_real} real faces ({real_data or 'the default faces'})")
print("latents      FD      KD  precision  recall")
for k, s in scores.items():
    print(f"{k:7d} {s['fd']:7.1f} {s['kd']:7,.0f} {s['precision']:10.3f} {s['recall']:7.3f}")
fig, axes = plt.subplots(1, 2, figsize=(7, 2.6))
axes[0].plot(counts, [scores[k]["fd"] for k in counts], "o-")
axes[0].set_title("FD", fontsize=9)
axes[1].plot(counts, [scores[k]["kd"] for k in counts], "s-", color="#ee6677")
axes[1].set_title("KD", fontsize=9)
for ax in axes:
    ax.set_xlabel("latents mixed at test time")
    ax.set_xticks(counts)
fig.tight_layout()
save_figure(fig, "mixing_table2", figures_dir)
plt.show()

# %% [markdown]
# (The paper's numbers come from four models trained with different mixing probabilities; the
# book's trains only the 90 % one, so compare the trend down the column, not across rows. With
# 64 images per row the FD is noisy and biased; the KD, unbiased at any sample size, is the more
# reliable of the two here. Use `-p num_images 1000` for steadier numbers.)
#
# ## Summary
#
# * The synthesis network has one style input per layer; style mixing feeds different w to
#   different layers: crossover k, or a group of layers.
# * In the paper's Figure 3, coarse styles (lowest resolutions) carry pose, shape and glasses;
#   middle styles facial features and hair style; fine styles colours and micro-structure. In
#   the book's 32² model the coarse styles carry pose, sex and glasses but also most of the
#   middle attributes (hair length, beard, open eyes, smile), the middle styles mostly the hair
#   colour, and the fine styles the background and the skin colour.
# * Mixing regularisation (90 % of training images from two latents, random crossover) keeps the
#   styles of neighbouring layers independent; mixed images then stay good (the paper's
#   Table 2). In the book's model, measured on 64 images per row, images mixed from 2–4
#   latents score about as well as ordinary ones or better (only the KD of 4 latents is a
#   little higher).
#
# ## Exercises
#
# 1. With crossover k, how many style inputs come from the second latent? *(Answer: num_ws − k.)*
# 2. Which style inputs of the 1024² model are the "middle" styles of Figure 3, and which
#    resolutions do they drive? *(Answer: inputs 4–7, the two layers each of 16² and 32².)*
# 3. Why does the training crossover come from 1 … num_ws − 1 and not 0 … num_ws? *(Answer: k = 0
#    or k = num_ws would give every style input to a single latent: no mixing at all.)*
#
# The cell below checks the three answers.

# %%
# NBVAL_CHECK_OUTPUT
wa, wb = torch.zeros(1, G.num_ws, 3), torch.ones(1, G.num_ws, 3)
for k in range(G.num_ws + 1):
    assert int(latent.mix_styles([wa, wb], [k])[0, :, 0].sum()) == G.num_ws - k
middle = latent.layer_groups(18)["middle"]
res_1024 = [r for r in (4, 8, 16, 32, 64, 128, 256, 512, 1024) for _ in range(2)]
assert list(middle) == [4, 5, 6, 7] and sorted({res_1024[i] for i in middle}) == [16, 32]
draws = {latent.random_crossover(G.num_ws, torch.Generator().manual_seed(s)) for s in range(200)}
assert draws == set(range(1, G.num_ws))
for k in draws:
    mixed = latent.mix_styles([wa, wb], [k])[0, :, 0]
    assert 0 < int(mixed.sum()) < G.num_ws
print("all three answers check out")
