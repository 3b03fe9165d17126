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
# # 10. NVIDIA's official weights, in the book's model
#
# *Karras, Laine and Aila, "A Style-Based Generator Architecture for Generative Adversarial
# Networks", CVPR 2019 — the released networks.*
#
# The paper's figures were made with NVIDIA's FFHQ generator at 1024×1024, trained for a week on
# eight GPUs. NVIDIA released it, with its CelebA-HQ, LSUN bedroom, car and cat siblings, as
# Python pickles of TensorFlow 1 objects: `karras2019stylegan-ffhq-1024x1024.pkl` and so on.
# TensorFlow 1 no longer runs on current Python, NVIDIA's later PyTorch code refuses these v1
# files, and unpickling them the ordinary way would run whatever code the file names.
#
# This chapter reads such a file **without TensorFlow and without executing anything from it**,
# converts it into the book's own `Generator` (the same class every other chapter uses), checks
# that it computes what NVIDIA's code computes, and regenerates the paper's Figures 2, 3, 4, 5
# and 8 — and, with NVIDIA's metric detectors, FID and perceptual path length.
#
# **Where the file comes from.** The release files are not part of this book and are never
# downloaded by it. They are listed in the README of NVIDIA's StyleGAN repository
# (github.com/NVlabs/stylegan, "Pre-trained networks") and are licensed by NVIDIA for
# non-commercial use. Download `karras2019stylegan-ffhq-1024x1024.pkl` yourself and run
#
#     papermill 10_official_weights.ipynb out.ipynb -p official_pkl /path/to/karras2019stylegan-ffhq-1024x1024.pkl -p device auto
#
# Without it (the default, and in the book's tests) the chapter writes a small **stand-in** file
# in exactly the release format — same class path, same variable names and layouts, random
# weights, 64×64 with narrow layers — and runs the very same code on it. Its "images" are
# coloured noise, not faces: they show that the machinery works, not what StyleGAN learned.

# %% tags=["parameters"]
preset = "quick"          # "quick": fewer samples; "full": the paper's sample counts (GPU)
device = "cpu"            # "cpu", "cuda" or "auto"
seed = 0
checkpoint = ""           # a release .pkl here is used like official_pkl
figures_dir = "../figures"
official_pkl = ""         # path to karras2019stylegan-ffhq-1024x1024.pkl (empty: a stand-in)
detectors = ""            # folder with NVIDIA's inception-2015-12-05.pt and vgg16.pt (for FID/PPL)
real_data = ""            # FFHQ images (folder or zip) for FID; PPL needs none
metric_samples = 0        # 0: 50 000 for FID / 100 000 for PPL with preset "full", a few hundred otherwise

# %%
import inspect
import os
import pickle
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from stylegan_lib.layers import EqualizedLinear
from stylegan_lib.official import (OfficialFormatError, crop_letterbox, generator_plan, load_official,
                                   read_release_pickle, restricted_loads)
from stylegan_lib.official import convert, fake, unpickle
from stylegan_lib.viz import official as paper
from stylegan_lib.viz.book import chapter_header, check_preset, save_figure

check_preset(preset)
if not official_pkl and str(checkpoint).endswith(".pkl"):
    official_pkl = checkpoint
using_release = bool(official_pkl)
chapter_header("Chapter 10 – NVIDIA's official weights", device,
               expected_seconds=600 if using_release and preset == "full" else 60)
_ = torch.manual_seed(seed)

# %% [markdown]
# ## The file
#
# With no `official_pkl`, we write the stand-in now. `stylegan_lib.official.fake` builds the
# release's networks — `G_style` with its `G_mapping` and `G_synthesis` components, and `D_basic`
# — from the architecture in the paper's appendix, fills them with random values stored the way
# the release stores weights, and pickles them the way the release did: objects of class
# `dnnlib.tflib.network.Network`, arrays under numpy 1's module paths, pickle protocol 4.

# %%
if using_release:
    pkl_path = Path(official_pkl).expanduser()
    print(f"reading NVIDIA's release file {pkl_path} ({pkl_path.stat().st_size / 2**20:.0f} MiB)")
else:
    pkl_path = Path(tempfile.mkdtemp(prefix="stylegan-book-")) / "stand-in-ffhq-64x64.pkl"
    fake.write_release_pickle(pkl_path, 64, fmap_base=512, fmap_max=32, seed=seed)
    print("no official_pkl given: wrote a STAND-IN with random weights in the release format")
    print("(for the real thing: -p official_pkl karras2019stylegan-ffhq-1024x1024.pkl)")

# %% [markdown]
# ## Reading a pickle without running it
#
# A pickle is a small program for a stack machine. Most of its instructions build lists, dicts
# and strings, but two of them are dangerous: `GLOBAL` names any importable Python object
# (`os.system`, say) and `REDUCE` calls it with arguments from the file. `pickle.load` on a file
# from the internet is therefore `exec` on a file from the internet.
#
# The release's pickles need only a handful of globals: the network class, numpy's array, scalar
# and dtype rebuilders (under numpy 1's `numpy.core` paths — numpy 2 moved them to `numpy._core`),
# and the bytes decoder of protocol-2 pickles. The book's unpickler resolves those names, each
# to a guarded function, and **nothing else**; the network class becomes a stand-in that only
# keeps its state dict. The build module's Python source, which the release stores in the file
# and TensorFlow-era code would have executed, stays an inert string.

# %%
print(inspect.getsource(unpickle.RestrictedUnpickler.find_class))
print("allowed globals:")
for name in unpickle.allowed_globals():
    print("  ", name)

# %% [markdown]
# A pickle that calls `os.system` is refused before anything runs, with the refused name in the
# message:

# %%
# NBVAL_CHECK_OUTPUT
class Payload:
    def __reduce__(self):
        return (os.system, ("echo this would run under pickle.load",))


evil = pickle.dumps(Payload(), protocol=2)
try:
    restricted_loads(evil)
except OfficialFormatError as err:
    print(type(err).__name__ + ":", str(err)[:80], "…")

# %% [markdown]
# What the release file holds: the tuple `(G, D, Gs)` — the generator being trained, the
# discriminator, and `Gs`, the moving average of G's weights that the paper's images come from.
# Each network's state carries its build function, its keyword arguments and its variables in
# TensorFlow layout:

# %%
G_rel, D_rel, Gs_rel = read_release_pickle(pkl_path)
print(Gs_rel)
print("static kwargs:", Gs_rel.static_kwargs)
variables = Gs_rel.all_variables()
for name in ["dlatent_avg", "mapping/Dense0/weight", "synthesis/4x4/Const/const",
             "synthesis/4x4/Const/StyleMod/weight", "synthesis/8x8/Conv0_up/weight",
             "synthesis/ToRGB_lod0/weight", "synthesis/noise0"]:
    print(f"  {name:38s} {list(np.shape(variables[name]))}")

# %% [markdown]
# ## Converting: layouts and the equalised learning rate
#
# Two conventions decide whether the numbers land in the right place.
#
# **Layouts.** TensorFlow stores a dense weight as [in, out] and a convolution as
# [k, k, in, out]; PyTorch wants [out, in] and [out, in, k, k]. The fused up-sampling layers of
# 128² and above store the same 3×3 kernel as any convolution — both codes pad it into a 4×4
# transposed-convolution kernel at run time.
#
# **Equalised learning rate** (paper §4.1 of ProGAN, appendix C here). A weight is *stored* as
# ŵ ~ N(0, 1/λ) and *used* as
#
# $$w = \hat w \cdot \frac{g}{\sqrt{n_\text{in}}} \cdot \lambda, \qquad b = \hat b \cdot \lambda,$$
#
# with gain g = √2 (1 for the style affine "A", ToRGB and D's last layer) and learning-rate
# multiplier λ = 0.01 in the mapping network. The book's layers store the same ŵ and apply the
# same factor, so raw values copy across unchanged — after a check that every layer's factor
# is the release's:

# %%
print(inspect.getsource(EqualizedLinear.forward))
print(inspect.getsource(convert.to_torch_layout))

# %% [markdown]
# Which release variable goes where is one table per network; here are its first rows and the
# rows of one block. The stored noise maps `noise0 … noise{n}` become the layers' "const" noise,
# and `dlatent_avg`, the running average of w, becomes w̄:

# %%
G = load_official(pkl_path, device=device)
plan = generator_plan(G.config)
for ours, theirs, kind in plan[:5] + [p for p in plan if ".b8.epi0" in p[0]]:
    print(f"  {theirs:40s} → {ours:42s} ({kind})")
print(f"{len(plan)} tensors; config: {G.img_resolution}², z {G.z_dim}, w {G.w_dim}, {G.num_ws} style inputs, "
      f"channels {[G.config.channels(r) for r in G.config.resolutions]}")
print("release defaults of Gs.run(z, None):", G.official.release_defaults)

# %% [markdown]
# ## Does it compute what NVIDIA's code computes?
#
# The book's tests answer this against an independent re-derivation of the release's forward pass
# in NumPy (`tests/official_reference.py`): written from the documented behaviour — the layouts,
# the run-time weight factors, the order noise → bias → leaky ReLU → instance norm → style
# modulation, nearest up-sampling below 128² and the padded, shift-summed transposed convolution
# from 128² on, the [1, 2, 1] blur, truncation on the style inputs below the cutoff — and fed with
# the very variables written into release-format files at 16² to 1024². For the same z, the same
# stored noise and the same ψ and cutoff, the two agree to about 10⁻⁵ (float32 against float64).
#
# Two checks you can see here. ψ = 0 puts w̄ into every style input, so every seed gives the same
# image; and the release's default truncation (ψ = 0.7 on the first 8 style inputs) is recorded
# in `G.official.release_defaults`:

# %%
z = paper.release_z([1, 2, 3], G.z_dim).to(G.device)
with torch.no_grad():
    mean_faces = G(z, truncation_psi=0.0, noise_mode="const")
    default = G(z, noise_mode="const", **G.official.release_defaults)
print("ψ = 0: largest difference between seeds =", float((mean_faces - mean_faces[:1]).abs().max()))
print("release default images:", tuple(default.shape), f"range [{float(default.min()):.2f}, {float(default.max()):.2f}]")

# %% [markdown]
# ## The paper's figures from the release
#
# All latents are drawn as the release drew them, `RandomState(seed).randn(512)`, with the seeds
# NVIDIA published for each figure (`stylegan_lib.viz.official`). With the FFHQ file these are
# the paper's people. With the stand-in (the default) they are coloured noise, and each title
# says STAND-IN: the descriptions below are of the paper's figures, and the stand-in shows only
# the mechanics (in Figure 8, for instance, both seeds reach the same image at ψ = 0).
#
# **Figure 2** — uncurated samples: a mosaic of 81 images, columns at full, half, quarter and
# eighth size, all with the release's default truncation ψ = 0.7 on the 4²–32² styles.

# %%
label = "FFHQ release" if using_release else "STAND-IN, random weights"
fig = paper.draw_figure2(paper.figure2_images(G), title=f"Figure 2: uncurated samples ({label})")
save_figure(fig, "official_fig2_uncurated", figures_dir)
plt.show()

# %% [markdown]
# **Figure 3** — style mixing. Each cell is the image of its row with the row's range of style
# inputs taken from the image of its column: the first three rows copy the coarse styles (4²–8²:
# pose, general hair style, face shape, eyeglasses), the next two the middle styles (16²–32²:
# finer facial features, eyes open or closed), the last the fine styles (64²–1024²: mainly the
# colour scheme and micro-structure). Stored noise, no truncation.

# %%
fig3 = paper.figure3_images(G)
fig = paper.draw_figure3(fig3, title=f"Figure 3: style mixing ({label})")
save_figure(fig, "official_fig3_style_mixing", figures_dir)
plt.show()

# %% [markdown]
# **Figure 4** — stochastic variation: one w with fresh noise each time, and the per-pixel
# standard deviation (of the grey value) over many draws. On FFHQ, hair, silhouette, background
# and eye reflections light up; identity and pose do not. The paper uses 100 draws.

# %%
num_noise = 100 if (preset == "full" or not using_release) else 20
fig4 = paper.figure4_images(G, num_realisations=num_noise)
fig = paper.draw_figure4(fig4, title=f"Figure 4: stochastic variation ({label})")
save_figure(fig, "official_fig4_stochastic", figures_dir)
plt.show()

# %% [markdown]
# **Figure 5** — the stored noise switched on in (a) all layers, (b) none ("painterly"),
# (c) the fine layers 64²–1024² only (fine curls, pores), (d) the coarse layers 4²–32² only
# (large-scale curls, bigger background features).

# %%
fig5 = paper.figure5_images(G)
fig = paper.draw_figure5(fig5, title=f"Figure 5: noise in all / no / fine / coarse layers ({label})")
save_figure(fig, "official_fig5_noise_layers", figures_dir)
plt.show()

# %% [markdown]
# **Figure 8** — the truncation trick w′ = w̄ + ψ(w − w̄) on every style input: ψ → 0 converges to
# the mean face, negative ψ gives the "anti-face" (flipped viewpoint, glasses, age, colouring,
# often gender).

# %%
fig8 = paper.figure8_images(G)
fig = paper.draw_figure8(fig8, title=f"Figure 8: truncation ({label})")
save_figure(fig, "official_fig8_truncation", figures_dir)
plt.show()

# %% [markdown]
# **The cars model** is 512×384, but its generator renders 512×512: the training images were
# letterboxed onto a square black canvas, so the top and bottom 64 rows are bars. The importer
# reads the size from the file name and `crop_letterbox` cuts the real picture out:

# %%
# NBVAL_CHECK_OUTPUT
square = torch.zeros(1, 3, 512, 512)
print("cars render", tuple(square.shape[-2:]), "→ cropped", tuple(crop_letterbox(square, 512, 384).shape[-2:]))
print(inspect.getsource(crop_letterbox).split('"""')[1].strip().splitlines()[0])

# %% [markdown]
# ## Try it: style mixing between any two release seeds
#
# Pick the seed of the image that receives the styles, the seed that gives them, and the group.
# The logic is `stylegan_lib.viz.official.style_mixing_image`.

# %% tags=["nbval-ignore-output"]
paper.style_mixing_widget(G)

# %% [markdown]
# Without a kernel, the same function for one pair of seeds and each group:

# %%
left_seed, top_seed = paper.FIGURE3["left_seeds"][0], paper.FIGURE3["top_seeds"][0]
cells = [paper.style_mixing_image(G, left_seed, top_seed, g)[0] for g in ("coarse", "middle", "fine")]
fig, axes = plt.subplots(1, 5, figsize=(9, 2.2))
sources = paper.figure3_images(G, [top_seed], [left_seed], ["coarse"])
for ax, img, title in zip(axes, [sources["left"][0], *cells, sources["top"][0]],
                          [f"seed {left_seed}", "+ coarse", "+ middle", "+ fine", f"seed {top_seed}"]):
    ax.imshow(paper.as_image(img)), ax.set_axis_off(), ax.set_title(title, fontsize=9)
save_figure(fig, "official_widget_mixing", figures_dir)
plt.show()

# %% [markdown]
# ## FID and perceptual path length with NVIDIA's detectors
#
# NVIDIA's README reports, for this FFHQ generator on one V100, **fid50k 4.4159** and
# **ppl_wend 197.23**. FID compares Inception-v3 features of 50 000 generated images (ψ = 1,
# random noise) with those of the real FFHQ images; PPL averages the LPIPS (VGG16) distance
# between images at w and at w + ε along interpolation paths, over 100 000 pairs, on the
# central face crop. Both need NVIDIA's detector files, `inception-2015-12-05.pt` and `vgg16.pt`
# (from the StyleGAN2-ADA PyTorch release), which the book never downloads: pass their folder as
# `-p detectors DIR` (and the FFHQ images as `-p real_data` for FID). This cell runs only then;
# on the stand-in the numbers would mean nothing, so it does not run there either.

# %%
RELEASE_METRICS = {"fid": 4.4159, "ppl_wend": 197.23}
if detectors and using_release:
    from stylegan_lib.metrics import compute_metrics

    det = Path(detectors).expanduser()
    wanted = (["fid"] if real_data else []) + ["ppl_wend"]
    if not real_data:
        print("no -p real_data: FID needs the real FFHQ images; computing PPL only")
    counts = {"fid": 50_000, "ppl": 100_000} if preset == "full" else {"fid": 1000, "ppl": 500}
    if metric_samples:
        counts = {"fid": int(metric_samples), "ppl": int(metric_samples)}
    out = compute_metrics(G, wanted, counts=counts, data=real_data or None, device=device,
                          inception=str(det / "inception-2015-12-05.pt"), vgg16=str(det / "vgg16.pt"),
                          ppl_distance="vgg16")   # NVIDIA's LPIPS, never the book's fallback
    print(f"{'metric':10s} {'this book':>12s} {'release':>10s}  samples")
    for m in wanted:
        r = out["results"][m]
        n = r.get("num_gen", r.get("num_samples", ""))
        print(f"{m:10s} {r['value']:12.4f} {RELEASE_METRICS[m]:10.4f}  {n}")
    if preset != "full":
        print("(few samples: FID is biased upwards at small counts; use -p preset full for fid50k)")
else:
    why = "no -p detectors DIR" if not detectors else "the stand-in has random weights"
    print(f"metrics skipped ({why}); the release reports fid50k {RELEASE_METRICS['fid']} "
          f"and ppl_wend {RELEASE_METRICS['ppl_wend']}")

# %% [markdown]
# ## Keeping the converted model
#
# `python -m stylegan_lib import-official SRC.pkl DEST.pt` writes a book checkpoint — G_ema (= Gs),
# G and D, with the source file's SHA-256 and the release defaults as provenance — that every
# chapter's `checkpoint` parameter, `load_generator` and `load_pretrained` read with
# `torch.load(weights_only=True)`. Every chapter also accepts the `.pkl` itself as `checkpoint`.

# %%
from stylegan_lib.checkpoint import load_generator
from stylegan_lib.official.cli import main as import_official

dest = Path(tempfile.mkdtemp(prefix="stylegan-book-")) / "converted.pt"
import_official([str(pkl_path), str(dest), "--gs-only"])
G2 = load_generator(dest, device=device)
with torch.no_grad():
    same = torch.equal(G2(z, noise_mode="const"), G(z, noise_mode="const"))
print("checkpoint gives identical images:", same)

# %% [markdown]
# ## Summary
#
# * NVIDIA's v1 release files are pickles of `(G, D, Gs)`; each network's state holds its
#   variables in TensorFlow layout. Reading them needs numpy only, if the unpickler refuses every
#   global but numpy's rebuilders and a stand-in for the network class.
# * Conversion = transposing layouts (dense [in, out] → [out, in]; conv [k, k, in, out] →
#   [out, in, k, k]) and copying raw weights, because the book's layers apply the same
#   equalised-learning-rate factor g/√n_in·λ at run time.
# * The stored noise maps are the "const" noise, `dlatent_avg` is w̄; the release's `Gs.run`
#   truncates by default (ψ = 0.7, cutoff 8), the book's `G` only when asked.
# * The cars generator renders 512×512 with letterbox bars: crop to 512×384.
#
# ## Exercises
#
# 1. How many variables named `noise…` does the 1024² FFHQ synthesis network have, and what is
#    the shape of the last? *(Answer: 18; [1, 1, 1024, 1024].)*
# 2. What run-time factor multiplies the stored weight of the mapping network's `Dense3`
#    (512 → 512, gain √2, λ = 0.01)? *(Answer: √2/√512 · 0.01 = 0.000625.)*
# 3. The release stores the style affine `StyleMod/weight` of a 512-channel layer as [512, 1024].
#    Which half of the 1024 outputs is the scale y_s and which the bias y_b? *(Answer: the first
#    512 are y_s (used as y_s + 1), the last 512 are y_b.)*
#
# The cell below checks the answers.

# %%
# NBVAL_CHECK_OUTPUT
shapes = dict(fake.synthesis_shapes(1024))
noises = [n for n in shapes if n.startswith("noise")]
assert len(noises) == 18 and shapes["noise17"] == [1, 1, 1024, 1024]
from stylegan_lib import Generator

with torch.device("meta"):
    big = Generator("paper-1024")
assert abs(big.mapping.layers[3].weight_gain - 2 ** 0.5 / 512 ** 0.5 * 0.01) < 1e-12
print(f"Dense3 factor = {big.mapping.layers[3].weight_gain:.6f}")
from stylegan_lib.layers import StyleModulation

mod = StyleModulation(8, 4)              # "A" for 4 channels: w (8-d) → 8 outputs
with torch.no_grad():
    mod.affine.weight.zero_()
    mod.affine.bias.copy_(torch.tensor([1.0, 2, 3, 4, 10, 20, 30, 40]))
out = mod(torch.ones(1, 4, 2, 2), torch.zeros(1, 8))
assert out[0, :, 0, 0].tolist() == [12.0, 23.0, 34.0, 45.0]   # 1·(y_s + 1) + y_b, y_s = first half
print("18 noise maps, last [1, 1, 1024, 1024]; StyleMod output = [y_s (first half), y_b (second half)]")
