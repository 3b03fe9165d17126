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
# # 9. Measuring a GAN: FID, perceptual path length, linear separability
#
# *Karras, Laine and Aila, "A Style-Based Generator Architecture for Generative Adversarial
# Networks", CVPR 2019, §4 and Tables 1–4.*
#
# Every claim of the paper is a number. Image **quality** is measured with the Fréchet
# Inception distance (FID, Heusel et al. 2017): Tables 1 and 2. For **disentanglement** the
# usual metrics need an encoder from images back to latents, which a GAN does not have, so the
# paper proposes two new ones: the **perceptual path length** (PPL) — how abruptly the image
# changes along an interpolation path — and the **linear separability** (LS) — how well a
# hyperplane in the latent space predicts each attribute. Tables 3 and 4 show both, for Z and W.
#
# The book computes all three the way the paper does, with nothing to download. The paper's
# detectors (Inception-v3 for FID, VGG16 LPIPS for PPL, 40 CelebA classifiers for LS) are
# replaced by one small offline network trained on the book's synthetic faces — and when you
# have NVIDIA's standard detector files, the same code uses them and the numbers become
# comparable with the literature. To stay honest, distances measured with the book's network
# are called **FD** and **KD**, never FID and KID.

# %% tags=["parameters"]
preset = "quick"          # "quick": the book's 32×32 model on the CPU; "full": paper sample counts
device = "cpu"            # "cpu", "cuda" or "auto"
seed = 0
checkpoint = ""           # empty: the shipped book model; or a .pt checkpoint / official .pkl
figures_dir = "../figures"
real_data = ""            # empty: the faces the model was trained on; or a folder / zip of real images
num_fd = 2000             # images per side for FD/KD (paper: 50 000)
num_ppl = 200             # pairs per PPL variant (paper: 100 000)
num_ls = 1000             # images for linear separability (paper: 200 000)
num_gt = 2000             # images for the ground-truth scores (the paper has none)
batch_size = 128

# %%
import inspect
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from stylegan_lib.data import SyntheticFaces
from stylegan_lib.metrics import (FULL_COUNTS, FacesClassifier, attribute_accuracy, classifier_provenance, dataset_features,
                                  generated_features, get_feature_detector, get_perceptual_distance,
                                  perceptual_path_length)
from stylegan_lib.metrics import frechet, ground_truth, kernel, ppl, separability
from stylegan_lib.metrics.evaluate import real_dataset
from stylegan_lib.pretrained import training_data
from stylegan_lib.viz import metrics as vm
from stylegan_lib.viz.book import book_generator, chapter_header, check_preset, save_figure

check_preset(preset)
if preset == "full":
    num_fd, num_ppl, num_ls, num_gt = FULL_COUNTS["fd"], FULL_COUNTS["ppl"], FULL_COUNTS["ls"], FULL_COUNTS["gt"]
chapter_header("Chapter 9 – metrics: FID, PPL, linear separability", device,
               expected_seconds=90 if preset == "quick" else 3 * 3600)
torch.manual_seed(seed)
G = book_generator(checkpoint, preset, device)
dev = G.device
print(f"generator: {G.img_resolution}², z_dim={G.z_dim}, w_dim={G.w_dim}; sample counts: "
      f"FD/KD {num_fd}, PPL {num_ppl} pairs, LS {num_ls}, ground truth {num_gt}")

# %% [markdown]
# ## The offline network
#
# A small CNN (`stylegan_lib.metrics.classifier.FacesClassifier`) learned to recognise ten
# attributes of the synthetic faces. It was trained once, by a function of the package, with a
# fixed seed on the CPU, and ships with the package (fp16, a few hundred kB) beside a JSON file
# saying how. Its held-out accuracy per attribute decides which attributes linear separability
# may use: below 90 % an attribute would add the classifier's noise to the score, so it is left
# out with a warning. The accuracies printed below are the provenance's, measured on held-out
# faces of the default ("subtle") detail the classifier was trained on. The book's model is
# trained on medium-detail faces; on 2 000 held-out medium faces the classifier reads every
# attribute as well (all ≥ 0.98; benchmarks/metrics.md), so all ten attributes stay in.

# %%
prov = classifier_provenance()
acc = attribute_accuracy()
print(f"trained by: {prov['command']}\ncommit {prov['commit'][:10]}, seed {prov['seed']}, "
      f"{prov['num_parameters']:,d} parameters, {prov['training']['wall_seconds']:.0f} s on {prov['training']['device']}")
for name, a in acc.items():
    print(f"  {name:16s} {a:6.1%}  {'' if a >= separability.MIN_ACCURACY else '← left out of LS'}")

# %% [markdown]
# ## FID: two Gaussians in feature space
#
# FID embeds real and generated images with a fixed network, fits a Gaussian to each cloud of
# feature vectors and measures the Fréchet distance between the two Gaussians:
#
# $$ \mathrm{FD}^2 = \lVert \mu_r - \mu_g \rVert^2 + \operatorname{Tr}\!\big(\Sigma_r + \Sigma_g
#    - 2 (\Sigma_r \Sigma_g)^{1/2}\big). $$
#
# The paper uses 50 000 generated images, Inception-v3's 2048-d pool features, no truncation.
# The matrix square root is the delicate part: with few samples the covariances are singular and
# round-off gives the root tiny imaginary parts. The implementation handles and reports both:

# %%
print(inspect.getsource(frechet.frechet_distance))

# %% [markdown]
# Features of real and generated images. The detector is NVIDIA's Inception network when its
# file is found (then the result is FID), else the book's classifier (FD).

# %%
detector = get_feature_detector("auto", device=dev)
name = "FID" if detector.metric_prefix == "FID" else "FD"
kname = "KID" if name == "FID" else "KD"
# The real images: the data the model was trained on (the shipped model's provenance says which).
real_data = real_data or (training_data("book-32") if not checkpoint else None)
real_ds, real_name = real_dataset(real_data, G.img_resolution, 2 * num_fd)
(real,) = dataset_features(real_ds, [detector], num_fd, progress=False)
# a second, disjoint set of real images: real-vs-real shows what "no difference" looks like
real_b_imgs = real_ds.images(range(num_fd, 2 * num_fd)) if hasattr(real_ds, "images") else \
    torch.stack([real_ds[i][0] for i in range(num_fd, 2 * num_fd)])
real_b = frechet.FeatureStats.from_features(detector(real_b_imgs))
(gen,) = generated_features(G, [detector], num_fd, batch_size, seed=seed, device=dev, progress=False)
fd = frechet.frechet_distance_from_stats(real, gen, return_info=True)
kd, kd_std = kernel.kernel_distance(real.features, gen.features, num_subsets=100,
                                    max_subset_size=1000, seed=seed, return_std=True)
fd_rr = frechet.frechet_distance_from_stats(real, real_b)
kd_rr = kernel.kernel_distance(real.features, real_b.features, num_subsets=100, max_subset_size=1000, seed=seed)
print(f"detector: {detector.identity} ({detector.feature_dim}-d features)")
print(f"{name} generated vs real: {fd.value:7.1f}   (mean term {fd.mean_term:.1f}, trace term {fd.trace_term:.1f})")
print(f"{name} real vs real:      {fd_rr:7.1f}")
print(f"{kname} generated vs real: {kd:7,.1f} ± {kd_std:.1f}")
print(f"{kname} real vs real:      {kd_rr:7,.1f}")

# %% [markdown]
# What the distance compares: the two clouds on their two main axes, with the 2σ ellipses of the
# fitted Gaussians (the real distance uses all the feature dimensions, not just these two). For
# the book's model most of the distance is in the trace term (printed above: 180 of 214): the
# generated cloud is shaped differently from the real one more than it is shifted.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
vm.plot_feature_scatter(real.features, gen.features, ax=axes[0],
                        title=f"generated vs real: {name} = {fd.value:.3g}")
vm.plot_feature_scatter(real.features, real_b.features, ax=axes[1], labels=("real A", "real B"),
                        title=f"real vs real: {name} = {fd_rr:.3g}")
fig.tight_layout()
save_figure(fig, "metrics_feature_scatter", figures_dir)
plt.show()

# %% [markdown]
# ## Why KID beside FID: the sample count biases FID
#
# FID plugs *estimated* means and covariances into a non-linear formula. With N samples the
# estimated covariances are noisy, the noise never cancels inside the square root, and FID comes
# out **too large, by an amount that shrinks roughly like 1/N** and depends on the generator.
# That is why the paper always uses 50 000 images, and why FIDs at different N must never be
# compared. The kernel distance (KID, Bińkowski et al. 2018) is the squared maximum mean
# discrepancy with the kernel $k(x, y) = (x^\top y / d + 1)^3$, estimated without bias —
# the diagonal terms, which make the plain estimate too large, are left out:

# %%
print(inspect.getsource(kernel.mmd2_unbiased))

# %% [markdown]
# Measured on subsets of the features above: FD against N for generated-vs-real and for
# real-vs-real (whose true distance is 0), and the same for KD. (The cubic kernel is not
# scale-free: KD's size follows the size of the features, so the book's KD values are not on
# the scale of published KIDs — another reason not to call them KID.)

# %%
counts = [c for c in (50, 100, 200, 500, 1000, 2000, 5000, 20000, 50000) if c <= num_fd]
study = vm.sample_count_study(real.features, gen.features, counts, repeats=3, seed=seed, kid_subsets=10)
reference = vm.sample_count_study(real.features, real_b.features, counts, repeats=3, seed=seed, kid_subsets=10)
fig = vm.plot_sample_count(study, reference, name=name)
save_figure(fig, "metrics_fd_sample_count", figures_dir)
plt.show()
print(f"real vs real: {name} falls from {reference['fd_mean'][0]:.1f} (N={counts[0]:,}) to "
      f"{reference['fd_mean'][-1]:.1f} (N={counts[-1]:,}); {kname} stays near 0: "
      f"{reference['kd_mean'][0]:,.1f} (N={counts[0]:,}) and {reference['kd_mean'][-1]:,.1f} "
      f"(N={counts[-1]:,}), against {kd:,.1f} for generated vs real")

# %% [markdown]
# ### Try it
#
# Drag the sample count: the clouds, the fitted ellipses and both numbers at that N. Its logic
# is `stylegan_lib.viz.metrics.sample_count_view` (tested); a static copy is drawn below.

# %% tags=["nbval-ignore-output"]
vm.sample_count_widget(real.features, gen.features, num_fd, seed=seed, names=(name, kname))

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, n in zip(axes, (50, num_fd)):
    vm.sample_count_view(real.features, gen.features, n, seed=seed, ax=ax, names=(name, kname))
fig.tight_layout()
save_figure(fig, "metrics_widget_static", figures_dir)
plt.show()

# %% [markdown]
# ## Perceptual path length
#
# The paper's observation: walking along a straight line between two latents can change the
# image in surprisingly non-linear ways — features that neither endpoint has may show up half-way.
# That happens when the latent space is entangled. The paper measures that by cutting interpolation paths into tiny segments
# of length ε = 10⁻⁴ and summing the perceptual (LPIPS) distance between the images at their
# ends. Z is a sphere (z is normalised), so its paths are slerps; W is not, so its paths are
# straight lines:
#
# $$ l_Z = \mathbb E\Big[\tfrac{1}{\epsilon^2} d\big(G(\mathrm{slerp}(z_1, z_2; t)),
#      G(\mathrm{slerp}(z_1, z_2; t + \epsilon))\big)\Big] \qquad
#    l_W = \mathbb E\Big[\tfrac{1}{\epsilon^2} d\big(g(\mathrm{lerp}(f(z_1), f(z_2); t)),
#      g(\mathrm{lerp}(f(z_1), f(z_2); t + \epsilon))\big)\Big] $$
#
# with $t \sim U(0, 1)$ ("full") or $t = 0$ ("end": only path endpoints). The paper's reason for
# "end": a linear interpolation between two w can pass through regions of W that the mapping
# network never produces and the generator never learned, while the endpoints are real w's. In
# Z the two variants have the same expectation for any generator (a slerp point of two random
# z is uniform on the sphere, at every t; the release reports 664.9 and 666.1), but single
# pairs are heavy-tailed (the histogram below spans four decades), so at a few hundred pairs they
# can differ widely by chance. Below, at 200 pairs, Z's "end" comes out well above its "full"
# (printed: 259 against 179). On the book's first model (380 kimg on subtle-detail faces;
# benchmarks/metrics.md), blocks of 200 pairs ranged from 131 to 274 (full) and 127 to 247
# (end), while 2000 pairs gave 174.5 ± 10.9 and 158.6 ± 9.2. Both images of a pair share their
# noise inputs; faces are cropped to the face region; values below the 1st and above the 99th
# percentile are dropped before averaging.

# %%
print(inspect.getsource(ppl.path_endpoints))

# %% [markdown]
# The distance $d$ is LPIPS on VGG16 when `vgg16.pt` is found, else the same construction on the
# book's classifier: unit-normalise the feature maps of four layers along channels, and average
# the squared differences over pixels, summed over layers.

# %%
print(inspect.getsource(FacesClassifier.lpips_features))

# %% [markdown]
# What the two paths look like: left, slerp vs lerp on a toy 2-D sphere; middle, the two real
# paths between the same pair of latents seen in W (the Z path is bent by the mapping f); right,
# how fast the image changes along each. For this pair the image changes along the Z path in
# bursts (the spikes near t = 0.25 and t = 1), while along the W path it stays low throughout.

# %%
paths = vm.interpolation_paths(G, seed=seed)
fig = vm.plot_interpolation_paths(paths)
save_figure(fig, "metrics_ppl_paths", figures_dir)
plt.show()

# %%
distance = get_perceptual_distance("auto", device=dev)
ppl_results = {}
for space in ("z", "w"):
    for sampling in ("full", "end"):
        r = perceptual_path_length(G, distance, num_ppl, space=space, sampling=sampling, crop=True,
                                   batch_size=batch_size, seed=seed, device=dev, progress=False)
        ppl_results[r.name] = r
        print(f"{r.name:10s} {r.value:7.1f}   (unfiltered mean {r.mean_unfiltered:.1f}, {r.num_samples} pairs, "
              f"{distance.name}, {r.seconds:.1f} s)")

# %%
fig = vm.plot_ppl_histogram([ppl_results["ppl_zfull"], ppl_results["ppl_wfull"]])
save_figure(fig, "metrics_ppl_histogram", figures_dir)
plt.show()

# %% [markdown]
# ## Linear separability
#
# The idea: in a disentangled latent space each factor of variation should have its own
# direction, so a single hyperplane should split, say, smiling from non-smiling faces. The paper generates
# images, labels each with attribute classifiers, keeps the half of the samples the classifier is
# most sure about, fits a linear SVM per attribute that predicts the label from z (or w), and
# computes the conditional entropy H(Y|X) of the label Y given the SVM's side X. The score is
#
# $$ \exp\Big(\sum_i H(Y_i \mid X_i)\Big) $$
#
# — 1 when every attribute is separable by a hyperplane, 2 for each attribute the SVM cannot
# predict at all.

# %%
print(inspect.getsource(separability.separability_score))

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ls = separability.linear_separability(G, num_samples=num_ls, batch_size=batch_size, seed=seed, device=dev,
                                          progress=False, return_data=True)
for w in caught:
    print("warning:", w.message)
print(f"attributes used: {', '.join(ls['attributes'])}")
for space in ("z", "w"):
    ent = ", ".join(f"{a} {h:.3f}" for a, h in ls[space]["entropies"].items())
    print(f"LS in {space.upper()}: {ls[space]['value']:.2f}   H(Y|X): {ent}")

# %% [markdown]
# The SVM at work for one attribute: every kept sample placed by its signed distance to the
# hyperplane (x) and the main direction within it (y), in Z and in W. Mistakes are the points
# on the wrong side of the line.

# %%
data = ls["data"]
attribute = "male" if "male" in ls["attributes"] else ls["attributes"][0]
col = data["attributes"].index(attribute)
proj = {"Z": vm.svm_projection(data["z"], data["probs"][:, col], seed=seed),
        "W": vm.svm_projection(data["w"], data["probs"][:, col], seed=seed)}
fig = vm.plot_svm_boundary(proj, attribute)
save_figure(fig, "metrics_ls_svm", figures_dir)
plt.show()

# %% [markdown]
# ## A ground truth the paper did not have
#
# PPL and LS are *proxies*: FFHQ's factors of variation are unknown, so the paper infers
# disentanglement from how smooth paths are and how well classifiers' labels split. The
# synthetic faces are drawn from eighteen known numbers (pose, face width, hair length, smile,
# skin tone, background, …), so here the question can be asked directly: **how is each factor
# laid out in Z and in W?**
#
# 1. A *factor reader* — a second network with the classifier's architecture, trained to
#    regress the eighteen factors instead of ten labels — reads the factors of every generated
#    image.
# 2. A linear (ridge) regressor predicts each factor from the latent. Its held-out R² is
#    the factor's **informativeness**: how *linearly* the code carries it — the ground-truth
#    version of linear separability. Its weights form an importance matrix $R_{dk}$ (code
#    dimension d, factor k), from which DCI (Eastwood & Williams 2018) computes
#    **disentanglement** (each dimension is about one factor) and **completeness** (each factor
#    sits in one dimension); **MIG** (Chen et al. 2018) is the gap in mutual information
#    between the two dimensions most informative about a factor.
#
# The reader's held-out R² per factor, on rendered faces (factors below 0.5 would be left out).
# It is itself a learned instrument: on generated faces it reads what looks like a factor.

# %%
reader_r2 = ground_truth.reader_r2()
print("  ".join(f"{k} {v:.2f}" for k, v in reader_r2.items()))
print(inspect.getsource(ground_truth.dci_scores))

# %% [markdown]
# Before trusting these scores on a GAN, calibrate them on codes whose answer is known
# (`ground_truth.constructed_codes`): each factor in its own dimension; the same factors
# rotated; the factors passed through sines and cosines; and noise.

# %%
factors_c, codes = ground_truth.constructed_codes(seed=seed)
code_scores = {name: ground_truth.disentanglement_scores(c, factors_c, seed=seed) for name, c in codes.items()}
fig = vm.plot_code_scores(code_scores)
save_figure(fig, "metrics_gt_constructed", figures_dir)
plt.show()

# %% [markdown]
# D, C and MIG reward *axis alignment*: the rotated code carries every factor linearly
# (informativeness 1) yet scores low on all three. The nonlinear code is the opposite case:
# each of its dimensions depends on one factor (D and C far above the rotated code's), but no
# linear map recovers the factors fully (informativeness well below 1); its MIG is near 0
# because each factor is split evenly between its sine and its cosine, so the best and
# second-best dimensions tie. Neither StyleGAN space has a reason to be
# axis-aligned — Z is an isotropic Gaussian, and W feeds learned affine maps that may mix its
# coordinates freely — so on a ground truth the paper's claim, "W is less entangled than Z", is
# best read off **informativeness**: factors that are linear in W but curved in Z.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    gt = ground_truth.ground_truth(G, num_samples=num_gt, batch_size=batch_size, seed=seed, device=dev,
                                   progress=False)
for w in caught:
    print("warning:", w.message)
for space in ("z", "w"):
    r = gt[space]
    print(f"{space.upper()}: informativeness {r['informativeness']:.3f}   disentanglement {r['disentanglement']:.3f}"
          f"   completeness {r['completeness']:.3f}   MIG {r['mig']:.3f}")
fig = vm.plot_factor_r2(gt)
save_figure(fig, "metrics_gt_factors", figures_dir)
plt.show()
gaps = sorted(((gt["w"]["r2"][k] - gt["z"]["r2"][k], k) for k in gt["factors"]), reverse=True)
print("R² from W minus R² from Z, largest first:\n" + "\n".join(f"  {k:22s} {g:+.2f}" for g, k in gaps))

# %% [markdown]
# On the book's model, with the counts above, every one of the eighteen factors is more
# linearly encoded in W than in Z, and W's mean informativeness is about three times Z's (0.47
# against 0.15): the paper's claim, measured against a reading of the known factors rather
# than through a proxy of them. The gain is broad, not concentrated: from +0.13 (brightness) to
# +0.59 (hair length), and the factors that Z does not carry linearly at all (no blue bar: hair
# length, hair style, smile, eyebrow raise, brightness) reach R² of about 0.1 to 0.6 from W.
# Hair length — half of the combination the training set leaves out (no long-haired men,
# chapter 1: the setting of the paper's Figure 6) — gains the most (+0.59), but background
# lightness and shirt hue, which no rule of the data ties to another factor, are close behind
# (+0.56, +0.51), while masculinity, the other half, gains among the least (+0.23); the figure
# does not single out the missing combination. D and MIG are low in both spaces, as the
# calibration leads one to expect of codes that need not be axis-aligned (and MIGs this small
# are below what the histogram estimate resolves at this count). Z's D is the higher (0.25
# against 0.11), which is no evidence that Z is the more disentangled: D only looks at how each
# dimension's importance is shared among the factors the code predicts (a factor it does not
# predict gets no importance), and Z predicts fewer of them, so its dimensions can look more
# specific without being so.

# %% [markdown]
# ## The book's model beside the paper
#
# The paper's numbers are for 1024² FFHQ with Inception/VGG16/CelebA classifiers at 50 k/100 k/
# 200 k samples; ours are for the 32² book model on synthetic faces with the offline network at
# the sample counts above. Only the *direction* of the Z-against-W comparisons can carry over —
# the scales do not. In the table below it does: W is below Z in all three comparisons, as in
# the paper's release (PPL full 75.9 against 179.3, PPL end 66.5 against 259.2, LS 1.73 against
# 4.88). The PPL ratios (about 2.4 and 3.9) are of the same order as the release's (2.9 and
# 3.4); the LS ratio (2.8) is far below the release's 44: the book's score has ten attributes
# instead of forty, and six of them are separated essentially perfectly even from Z (H(Y|X)
# printed as 0.000). That Z's "end" is above its "full" here, while the release's two are
# equal, is sampling noise at 200 pairs (see above), not a property of the model: the two
# should be compared at 2000 pairs or more, or with a bootstrap error (benchmarks/metrics.md).

# %%
paper = {"fid": "4.40 (Table 1, F)", "ppl_zfull": "664.89 (release, Z full)", "ppl_wfull": "233.31",
         "ppl_zend": "666.11", "ppl_wend": "197.23 (Table 3: 195.9)", "ls_z": "165.01 (release)",
         "ls_w": "3.74 (Table 3: 3.79)"}
rows = [(f"{name} ({num_fd:,} images)", f"{fd.value:.1f}", paper["fid"]),
        (f"{kname} ({num_fd:,} images)", f"{kd:,.1f} ± {kd_std:.1f}", "—")]
rows += [(f"{k} ({num_ppl:,} pairs)", f"{r.value:.1f}", paper[k]) for k, r in ppl_results.items()]
rows += [(f"LS in Z ({num_ls:,} images, {len(ls['attributes'])} attributes)", f"{ls['z']['value']:.2f}", paper["ls_z"]),
         (f"LS in W ({num_ls:,} images, {len(ls['attributes'])} attributes)", f"{ls['w']['value']:.2f}", paper["ls_w"])]
rows += [(f"ground truth: informativeness in {s.upper()} ({num_gt:,} images, {len(gt['factors'])} factors)",
          f"{gt[s]['informativeness']:.2f}", "— (FFHQ's factors are unknown)") for s in ("z", "w")]
model_name = checkpoint or "book-32 (shipped)"
display(Markdown(f"**model: {model_name}**\n\n" + vm.comparison_table(rows)))

# %% [markdown]
# The same from the command line, with JSON output (detector, sample count, seed and time in
# every entry):
#
# ```
# python -m stylegan_lib metrics --checkpoint book-32 --metrics fd,kd,ppl_zfull,ppl_wend,ls --quick --out m.json
# python -m stylegan_lib metrics --checkpoint ffhq.pkl --data ffhq.zip --metrics fid,kid,ppl_wend \
#     --inception inception-2015-12-05.pt --vgg16 vgg16.pt --device cuda
# ```

# %% [markdown]
# ## Summary
#
# * **FID** = Fréchet distance between Gaussians fitted to detector features of real and
#   generated images. It is biased upwards at small N: compare FIDs only at one N (the paper: 50 k).
# * **KID** is an unbiased MMD² with a cubic kernel: ~0 for two samples of one distribution at any N.
# * **PPL** averages LPIPS(d)/ε² over tiny steps along slerps in Z or lerps in W; the paper finds
#   W's paths far shorter than Z's, i.e. W is perceptually smoother. So does the book's model:
#   W's value is well under half of Z's in full sampling (76 against 179) and about a quarter at
#   the end points (67 against 259; at 200 pairs these values are rough).
# * **LS** = exp Σ H(Y|X) of linear SVMs predicting classifier labels from the latent; lower is
#   more disentangled; W beats Z by a factor of about 44 in NVIDIA's release of the FFHQ model
#   (3.74 against 165.01), and by about 2.8 in the book's model (1.73 against 4.88).
# * Offline, the book's faces classifier stands in for all three networks; its results are
#   called FD/KD, and attributes it cannot tell reliably are left out of LS.
# * With known factors, disentanglement can be measured directly: **informativeness** (held-out
#   R² of a linear map from the latent to each factor) is the ground-truth counterpart of LS;
#   DCI's disentanglement / completeness and MIG score axis alignment, which neither Z nor W
#   has to have.
#
# ## Exercises
#
# 1. Two 1-D Gaussians N(0, 1) and N(1, 4): what is their Fréchet distance? *(Answer:
#    (0 − 1)² + 1 + 4 − 2·√(1·4) = 2.)* Check it in the cell below.
# 2. A linear generator $G(w) = Aw$ with $w \sim N(0, I)$ and the squared L2 distance: what is
#    $l_W$? *(Answer: $\lVert A(w_2 - w_1)\rVert^2$ per pair, so $2\lVert A\rVert_F^2$ in
#    expectation, for "full" and "end" alike — `tests/test_metrics_ppl.py` checks it.)*
# 3. If the SVM predicts an attribute perfectly for 4 attributes and not at all (balanced labels)
#    for 2 others, what is the separability score? *(Answer: exp(4·0 + 2·ln 2) = 4.)*

# %%
# NBVAL_CHECK_OUTPUT
print(round(frechet.frechet_distance(np.array([0.0]), np.array([[1.0]]), np.array([1.0]), np.array([[4.0]])), 6))
print(round(float(np.exp(2 * separability.conditional_entropy(np.array([0, 1, 0, 1]), np.zeros(4)))), 6))
