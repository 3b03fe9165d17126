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
# # 8. Training: losses, progressive growing and the book's model
#
# *Karras, Laine and Aila, "A Style-Based Generator Architecture for Generative Adversarial
# Networks", CVPR 2019, §2 and Appendix C; Karras et al., "Progressive Growing of GANs", ICLR 2018.*
#
# Every figure so far came from a trained generator. This chapter is about how it got trained.
# The paper changes the *generator* and keeps the training of its baseline, Progressive GAN,
# almost as it was: "our training is otherwise identical" apart from a few tuned choices. For
# FFHQ that means the **non-saturating logistic loss with R1 regularisation** (γ = 10),
# **Adam** with β1 = 0 and β2 = 0.99, the mapping network at a 100× lower learning rate,
# **progressive growing** from 8×8 upward, a running average of the generator's weights used for
# every image ("G smoothing"), mirror augmentation, and the paper's one new regulariser,
# **style mixing** on 90 % of the images (chapter 6).
#
# We write each of these down as an equation, show the code that implements it, watch a tiny
# model train live, and then read the full training log of the model the book ships.

# %% tags=["parameters"]
preset = "quick"          # "quick": a tiny live run (seconds); "full": retrain the book's model (see its wall time below)
device = "cpu"            # "cpu", "cuda" or "auto"
seed = 0
checkpoint = ""           # empty: the shipped book model "book-32"; or a .pt checkpoint
figures_dir = "../figures"
live_kimg = 1.0           # thousands of images of the quick live run
live_images = 2000        # synthetic faces rendered for the live run
run_dir = "../runs/chapter08"  # where the full preset writes its run

# %%
import inspect
import json
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from stylegan_lib.latent import random_z
from stylegan_lib.pretrained import load_pretrained, provenance, shipped_path
from stylegan_lib.train import ema as ema_mod
from stylegan_lib.train import loss as loss_mod
from stylegan_lib.train import loop as loop_mod
from stylegan_lib.train.schedule import Schedule
from stylegan_lib.viz import training as tviz
from stylegan_lib.viz.book import chapter_header, check_preset, save_figure
from stylegan_lib.viz.faces import plot_samples

check_preset(preset)
chapter_header("Chapter 8 – training", device, expected_seconds=60 if preset == "quick" else provenance("book-32")["wall_time_s"])
_ = torch.manual_seed(seed)

# %% [markdown]
# ## The losses
#
# The discriminator D outputs a logit, a real number that is high for images it takes to be
# real. With σ the logistic function and softplus(t) = log(1 + eᵗ) (so −log σ(t) =
# softplus(−t)), the generator minimises the **non-saturating** loss of Goodfellow et al.
#
# $$L_G = \mathbb E_z\big[\operatorname{softplus}(-D(G(z)))\big],$$
#
# which still gives G a strong gradient when D confidently rejects its images (the original
# minimax form log(1 − σ(D(G(z)))) flattens out exactly then). The discriminator minimises the
# **logistic** loss plus the **R1** penalty of Mescheder et al., which punishes a steep D on
# real images:
#
# $$L_D = \mathbb E_z\big[\operatorname{softplus}(D(G(z)))\big] + \mathbb E_x\big[\operatorname{softplus}(-D(x))\big]
#       + \frac{\gamma}{2}\,\mathbb E_x\big[\lVert\nabla_x D(x)\rVert^2\big].$$
#
# In the package each is a few lines, with the equation right above the line that computes it:

# %%
for fn in (loss_mod.g_nonsaturating, loss_mod.d_logistic, loss_mod.r1_penalty):
    print(inspect.getsource(fn))

# %% [markdown]
# A check by hand: when D cannot tell at all (every logit 0), both terms are log 2 per image, so
# L_G = log 2 ≈ 0.693 and L_D = 2 log 2 ≈ 1.386: the values of a perfectly balanced game. The
# book's model never gets there (its loss curves are further below): L_G falls from about 3 and
# L_D rises from about 0.5 until they cross at about 1.05 near 390 kimg, and they keep drifting
# apart slowly after that. Over the last ticks L_G is about 0.96 and L_D about 1.13, and D's
# mean logit is still about +0.35 on real and −0.36 on generated images (printed below the loss
# curves), so D can still tell them apart.

# %%
# NBVAL_CHECK_OUTPUT
zero = torch.zeros(8, 1)
print(f"L_G = {loss_mod.g_nonsaturating(zero).item():.3f}, L_D = {loss_mod.d_logistic(zero, zero).item():.3f}")

# %% [markdown]
# **Lazy R1.** The penalty needs the gradient of D with respect to its input and then the
# gradient of that (a double backward), which makes a D step about half as expensive again.
# Computing it only every k-th step and multiplying it by k keeps its average strength and
# saves most of that cost (the trick of StyleGAN2; the book's model uses k = 4). The paper also
# offers **WGAN-GP** (used for CelebA-HQ): `stylegan_lib.train.loss.d_wgan_gp`.
#
# **How strong should γ be?** The penalty sums squared gradients over every pixel, so the same γ
# is much stronger on a 32² image than on a 1024² one. During the paper's own progressive
# growing the low-resolution images are upsampled to 1024² before D sees them, which weakens
# the penalty on them by the upsampling factor squared. The book's 32² model therefore trains
# with γ = 1 instead of 10 (`r1_gamma` in the model's provenance below).
#
# ## G smoothing: the EMA generator
#
# The images of the paper are not made by the generator being trained but by a running average
# of its weights, updated after every step. With minibatch B and a half-life of h images:
#
# $$\beta = 0.5^{B/h}, \qquad \theta_\text{ema} \leftarrow \theta + \beta\,(\theta_\text{ema} - \theta).$$

# %%
print(inspect.getsource(ema_mod.ema_beta))
print(inspect.getsource(ema_mod.update_ema))

# %%
# NBVAL_CHECK_OUTPUT
b = ema_mod.ema_beta(32, 10_000)
print(f"batch 32, half-life 10k images: beta = {b:.6f}; weight of the old average after 10k images: "
      f"{b ** (10_000 / 32):.3f}")

# %% [markdown]
# The book's model keeps the paper's half-life of 10 k images: at its minibatch of 32 that is
# β ≈ 0.9978 per step (the paper's minibatch at 32² was 64: same half-life, fewer steps).
#
# ## Progressive growing
#
# Training starts with the 8×8 part of both networks. Each resolution gets a **stable** phase,
# then the next resolution **fades in**: its new layers' output is blended with the upsampled
# output of the previous resolution, with a weight α going from 0 to 1. The position is one
# number, the level of detail (lod): lod = log₂(R/R_start) at the start, 0 at full resolution,
# fractional during a fade-in:
#
# $$\text{lod} = \log_2\frac{R}{R_\text{start}} - p - \frac{\max(k - T_\text{stable}, 0)}{T_\text{fade}},
#   \quad p = \Big\lfloor\frac{\text{kimg}}{T_\text{stable}+T_\text{fade}}\Big\rfloor,
#   \quad k = \text{kimg} - p\,(T_\text{stable}+T_\text{fade}),
#   \qquad \alpha = 1 - (\text{lod} - \lfloor\text{lod}\rfloor).$$
#
# The paper spends 600 k images on each stable phase and 600 k on each fade-in, with a
# minibatch that shrinks as the resolution grows; the book's 32² model uses the shorter phases
# printed below the timeline. The optimiser state is reset whenever a fade-in starts or ends.

# %%
print(inspect.getsource(Schedule.lod_at))
print(inspect.getsource(loop_mod.reals_at_lod))

# %%
paper = Schedule(resolution=1024)
book = loop_mod.recipe_options("book").make_schedule()
stable_k, fade_k = book.lod_training_kimg, book.lod_transition_kimg
fig, axes = plt.subplots(2, 1, figsize=(8, 5.2))
tviz.plot_timeline(paper, 12_000, ax=axes[0])
axes[0].set_title("the paper: FFHQ 1024² (8² → 1024², 600 k + 600 k images per resolution)", fontsize=9)
tviz.plot_timeline(book, loop_mod.RECIPES["book"]["kimg"], ax=axes[1])
axes[1].set_title(f"the book's 32² model (8² → 32², {stable_k:g} k + {fade_k:g} k)", fontsize=9)
fig.tight_layout()
save_figure(fig, "training_timeline", figures_dir)
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
print(f"book recipe: {stable_k:g} k images per stable phase + {fade_k:g} k per fade-in")
for k in (0, 30, 100, 300):
    print(tviz.schedule_summary(book, k))

# %% [markdown]
# ### Widget: where is training at a given kimg?
#
# Drag the slider along the book's schedule; the line under the plot is
# `stylegan_lib.viz.training.schedule_summary`. The static figure below shows 30 kimg: the end
# of the 8² stable phase, where the 16² fade-in (30–60 kimg) begins.

# %% tags=["nbval-ignore-output"]
tviz.timeline_widget(book, loop_mod.RECIPES["book"]["kimg"], kimg=30)

# %%
fig = tviz.plot_timeline(book, loop_mod.RECIPES["book"]["kimg"], marker_kimg=30)
save_figure(fig, "training_widget_timeline", figures_dir)
plt.show()

# %% [markdown]
# ## One training step
#
# Everything comes together in `Trainer.step`, an outline of three parts, each a method printed
# below it: `_discriminator_step` (D on one minibatch of real and generated images: the
# logistic loss plus, every `r1_interval` steps, the lazy R1 penalty; or WGAN-GP),
# `_generator_step` (G with style mixing — a second latent takes over the styles from a random
# layer on, for 90 % of the images — and w̄ tracking), then `_update_ema`. All random numbers
# are drawn from seeded generators for the whole minibatch, which is what makes a resumed run
# bit-identical to an uninterrupted one and lets `torchrun` split a minibatch over processes
# without changing the result.

# %%
for method in (loop_mod.Trainer.step, loop_mod.Trainer._discriminator_step,
               loop_mod.Trainer._generator_step, loop_mod.Trainer._update_ema):
    print(inspect.getsource(method))

# %% [markdown]
# ## A live run
#
# The quick preset trains the tiny 16² network (`tiny-16`) on freshly rendered synthetic faces
# for about sixty steps: long enough to see the losses move and the schedule grow the network
# from 8² to 16², far too short for faces (its samples are still coloured noise; compare the
# book model's sample progression in the next section). The full preset
# retrains the book's model instead, with the `book` recipe (its wall time on the shipped
# model's machine is printed from the provenance in the next section); its samples and log
# land in `run_dir`.

# %%
from stylegan_lib.data import SyntheticFaces, parse_faces_spec
from stylegan_lib.pretrained import training_data
from stylegan_lib.train import Trainer, TrainOptions, recipe_options

if preset == "quick":
    opts = recipe_options("quick", preset="tiny-16", kimg=live_kimg, seed=seed, device=device)
    faces = SyntheticFaces(live_images, resolution=16, seed=seed).render_all()
    live_dir = None
else:
    # The shipped model's own options and data, read from its provenance (only the seed and the
    # device are this chapter's): the same recipe, though not the same weights bit for bit.
    shipped = provenance("book-32")
    opts = TrainOptions.from_dict({**shipped["training_options"], "seed": seed, "device": device,
                                   "kimg": shipped["kimg"]})
    n_faces, faces_config = parse_faces_spec(training_data("book-32"))
    faces = SyntheticFaces(n_faces, resolution=32, seed=shipped["dataset"]["seed"],
                           config=faces_config).render_all(progress=True)
    live_dir = run_dir
t0 = time.time()
trainer = Trainer(opts, faces, run_dir=live_dir, progress=True)
live_log = trainer.train()
print(f"{trainer.cur_nimg} images shown in {time.time() - t0:.0f} s")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw=dict(width_ratios=[3, 2]))
tviz.plot_losses(live_log, window=1, ax=axes[0], title="live run: losses")
grid = trainer.sample_grid()
axes[1].imshow(grid.numpy(), interpolation="nearest")
axes[1].set_title(f"G_ema samples after {trainer.cur_nimg / 1000:g} kimg")
axes[1].axis("off")
fig.tight_layout()
save_figure(fig, "training_live_run", figures_dir)
plt.show()

# %% [markdown]
# ## The book's model: its whole training
#
# The model every chapter loads with `load_pretrained("book-32")` was trained with the `book`
# recipe on medium-detail synthetic faces (`faces:100000:medium`). Its provenance and its
# training log ship with it; the numbers below are read from them, not typed in. The run was
# stopped and resumed from its checkpoint several times (the `restarts`), and part of its wall
# time was shared with other work on the machine: alone, its 600 kimg take about 6.5 h at
# 26 images/s (`benchmarks/training.md`, section 7).

# %%
prov = provenance("book-32")
print(json.dumps({k: prov[k] for k in ("command", "restarts", "kimg", "wall_time_min", "device", "cpu",
                                       "torch_threads", "seed", "git_commit", "date") if k in prov}, indent=1))
opts = prov["training_options"]
print(f"r1_gamma = {opts['r1_gamma']:g}, lazy R1 every {opts['r1_interval']} steps, "
      f"EMA half-life {opts['ema_half_life_kimg']:g} kimg")
print(f"book-32: {prov['kimg']:g} kimg ({prov['images_shown']:,} images of {prov['dataset']['num_images']:,} "
      f"faces) in {prov['wall_time_min']:.1f} min on {prov['device']} ({prov.get('cpu', '?')}, "
      f"{prov['torch_threads']} threads)")
log = loop_mod.read_log(shipped_path("book-32").with_name("book-32-log.jsonl"))
print(f"{len(log)} log ticks, {log[-1]['kimg']:g} kimg")

# %% [markdown]
# How close is the model to its data? The shipping script measured it the same way for every
# shipped model (`stylegan_lib.metrics.quality`): the FD between 5,000 generated and 5,000
# training faces, divided by the FD between two disjoint sets of 5,000 training faces (the
# floor a perfect model would reach at this count); how much the noise inputs move the pixels
# (for a fixed w, the per-pixel standard deviation over noise draws, [-1, 1] scale); and PPL.
#
# The answer, printed below, is plain: this model is far from its data. Its FD is about 97
# times the floor (213.6 against 2.21); the goal the book set for its model, at most 10 times,
# is not met. Its noise inputs move the pixels little: the per-pixel standard deviation is 0.014
# on average and 0.066 at the 95th percentile, on a range of 2. The goal for that 95th percentile
# was at least 0.10, so it is not met either, although it is 1.4 times the 0.046 of the first
# book model (380 kimg on subtle-detail faces). The paper's noise, by contrast, visibly varies
# hair, silhouette and background (its Figure 4, chapter 5). Training longer is unlikely to close
# the gap: the FD in the log below stopped improving after about 440 kimg. This model is itself
# the medium-detail retraining (`benchmarks/training.md`, section 7), after an attempt on faces
# with strong stochastic detail (and a narrower 32² stage) had not learned faces by 160 kimg and
# was not shipped (section 6).

# %%
q = prov["quality"]
print(f"FD generated vs real: {q['fd']:.1f}; real vs real: {q['fd_real_real']:.2f}; "
      f"ratio {q['fd_ratio']:.1f}x the floor ({q['fd_num']:,} images each)")
print(f"noise: per-pixel std over noise draws, mean {q['noise_std_mean']:.3f}, "
      f"95th percentile {q['noise_std_p95']:.3f}")
print(f"PPL (W, end points, {q['ppl_num']:,} pairs): {q['ppl_wend']:.1f}")

# %%
fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
tviz.plot_losses(log, keys=("loss_G", "loss_D", "r1"), ax=axes[0], title="book-32: losses")
tviz.plot_losses(log, keys=("real_score", "fake_score"), ax=axes[1])
axes[1].set_ylabel("mean D logit")
fig.tight_layout()
save_figure(fig, "training_book_losses", figures_dir)
plt.show()
last = log[-5:]
print(f"last {len(last)} ticks ({last[0]['kimg']:g}–{last[-1]['kimg']:g} kimg), mean: " + ", ".join(
    f"{k} {np.mean([e[k] for e in last]):+.2f}" for k in ("loss_G", "loss_D", "real_score", "fake_score")))

# %% [markdown]
# The log also holds FD and PPL of G_ema, measured every 20 kimg from the moment the network
# reaches 32² on (2,000 generated against 2,000 training faces, 200 PPL pairs: small counts, so
# these numbers are noisier than the quality record's, and the FD is biased upwards; the last
# tick reads 221.0 against the record's 213.6). These are the data of the paper's Figure 9, for
# one model. FD falls from 625.7 at 120 kimg to about 227 at 400 kimg and has stayed within
# 211–229 since 440 kimg: by this measure the model stopped improving there. PPL (lower is
# smoother) moves the other way, from about 16 at 120 kimg to about 37 by 280 kimg, and to 40–52
# from 500 kimg on.

# %%
fig = tviz.plot_metrics(log, title="book-32: FD and PPL of G_ema during training")
save_figure(fig, "training_book_metrics", figures_dir)
plt.show()
print("kimg     FD   PPL(W, end)")
for e in (e for e in log if "fd" in e):
    print(f"{e['kimg']:4g} {e['fd']:7.1f} {e['ppl_wend']:8.1f}")

# %% [markdown]
# The sample progression below shows the same eight latents (G_ema, stored noise) at the kimg
# values printed with it: random colours at 0 kimg, blurry 8² blobs (20 kimg), blurry 16² heads
# (40–80 kimg), a noisy, speckled and then smeared stretch while 32² fades in (100–120 kimg), and
# sharp 32² faces from 160 kimg on. Each column's background keeps roughly its hue from the 16²
# rows on (the third and sixth columns stay blue, the eighth violet), but the faces keep changing
# long after 32² had fully faded in (120 kimg), some even after the FD above had gone flat: the
# short black hair and beard of the second and fifth columns become a long black bob (by 400 and
# 500 kimg), the eighth column's brown hair is black, with a beard, at 500 and 600 kimg, and the
# first column has dark hair over a very pale face at 500 kimg and light hair again at 600.
#
# The last figure, 32 uncurated samples of the final model at ψ = 1, shows where training
# ended (they are the first 32 of the shipped sample grid, `book-32-samples.png`). Counted by
# eye (rows and columns from the top left): 3 are clearly broken, with no legible face: row 2,
# column 2 (a checkered mosaic under blond hair), column 5 (a blank brown face under black hair,
# no eyes or mouth) and column 8 (ginger hair and a mosaic where the face should be). 5 are
# borderline, a face but garbled or washed out: row 1, columns 2 (faint eyes, no mouth) and 5
# (faint eyes under the fringe); row 3, columns 1 (a smeared face) and 8 (a checkered face under
# blond hair); row 4, column 1 (a dark face with barely visible eyes). The other 24 read as
# faces, many of them with a checkered, mosaic-like texture where glasses would be or a blurred
# lower face, and a few with a beard (a pale band with the eyes over a hair-coloured lower face,
# as bearded faces look in the data). The same judgement over all 64 samples of the shipped
# grid, and over the first model's, is in `benchmarks/training.md` (section 7): the two models
# are alike by this count.

# %%
from PIL import Image

strip = torch.from_numpy(np.array(Image.open(shipped_path("book-32").with_name("book-32-progress.png"))))
print("progression rows at kimg:", ", ".join(f"{k:g}" for k in prov["progress_kimg"]))
fig = tviz.show_progression(strip, prov["progress_kimg"], cell=32)
save_figure(fig, "training_book_progression", figures_dir)
plt.show()

# %%
G = load_pretrained(checkpoint or "book-32", device=device)
with torch.no_grad():
    imgs = G(random_z(32, G.z_dim, seed, G.device), noise_mode="const")
fig = plot_samples(imgs, ncols=8, scale=1.0, title="book-32 (G_ema), uncurated, ψ = 1")
save_figure(fig, "training_book_samples", figures_dir)
plt.show()

# %% [markdown]
# ## Summary
#
# * G minimises softplus(−D(G(z))), D minimises softplus(D(G(z))) + softplus(−D(x)) plus
#   R1 = γ/2 ‖∇ₓD(x)‖² on real images (lazily, every k steps, multiplied by k).
# * Adam with β1 = 0, β2 = 0.99; the mapping network's 100× lower learning rate lives in its
#   equalised-learning-rate layers (chapter 2).
# * Progressive growing is one number, the lod; during a fade-in α = 1 − frac(lod) blends the new
#   resolution in; the optimiser state is reset at each fade-in's start and end.
# * Samples and metrics use the EMA of G's weights, β = 0.5^{B/h}.
# * `python -m stylegan_lib train` writes a JSON-lines log, sample grids and atomic, exactly
#   resumable checkpoints; `torchrun` splits each minibatch over processes.
#
# ## Exercises
#
# 1. With the paper's half-life of 10 k images, what is β at minibatch 64, and after how many
#    steps has the old average's weight halved? *(Answer: 0.5^{64/10000} ≈ 0.99557; after
#    10000/64 = 156.25 steps.)*
# 2. In the paper's FFHQ schedule (start 8², 600 k + 600 k per resolution), at which kimg is
#    1024² fully faded in? *(Answer: 7 resolution steps × 1200 kimg = 8400 kimg.)*
# 3. If D outputs the logit log 3 on a real image, what does that image add to L_D (without
#    R1)? *(Answer: softplus(−log 3) = log(4/3) ≈ 0.288.)*
#
# The cell below checks the three answers.

# %%
# NBVAL_CHECK_OUTPUT
import math

assert abs(ema_mod.ema_beta(64, 10_000) - 0.99557) < 1e-5 and 10_000 / 64 == 156.25
assert Schedule(resolution=1024).growth_kimg() == 8400
assert Schedule(resolution=1024).at(8400).lod == 0 and Schedule(resolution=1024).at(8399).lod > 0
assert abs(loss_mod.d_logistic(torch.tensor([[math.log(3)]]), torch.full((1, 1), -1e4)).item()
           - math.log(4 / 3)) < 1e-6
print("all three answers check out")
