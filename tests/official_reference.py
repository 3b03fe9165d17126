"""An independent NumPy re-derivation of what NVIDIA's StyleGAN v1 code computes, written from
the documented behaviour (paper appendix C and the facts in REFERENCE.md), NOT from the book's
model code: it never imports stylegan_lib's layers, and works on the variables in TensorFlow
layout, by their release names, in float64.

Documented behaviour implemented here:

* equalised learning rate: run-time weight = stored · gain/√fan_in · lrmul (fan_in = product of
  all but the last TF dimension), bias = stored · lrmul; gain √2, except 1 for StyleMod, ToRGB
  and the last D dense layer; lrmul 0.01 in the mapping network;
* TF layouts: dense [in, out] (x @ w), conv [k, k, in, out] cross-correlation with 'SAME' zero
  padding, images NCHW;
* mapping: z · rsqrt(mean(z²) + 1e-8), then Dense → +bias → lrelu(0.2) per layer, broadcast to
  every style input; truncation w' = lerp(dlatent_avg, w, ψ) for style index < cutoff;
* synthesis epilogue: + noise·weight → + bias → lrelu → instance norm (eps 1e-8) → style
  modulation x·(s + 1) + b, s and b = the two halves of StyleMod's dense output;
* upsampling: nearest-neighbour then conv below 128², from 128² on a stride-2 transposed conv
  whose 4×4 kernel is the 3×3 kernel zero-padded and summed over its four one-pixel shifts
  (TF conv2d_transpose with 'SAME' padding, written out as a scatter); then the [1,2,1]⊗[1,2,1]/16
  blur; output = ToRGB_lod0 (1×1 conv, gain 1) + bias;
* discriminator D_basic: FromRGB_lod0 (+bias, lrelu); per block conv → lrelu → blur → conv with
  downsampling (box 2×2 after the conv below 128², from 128² on a stride-2 conv with the padded,
  shift-summed kernel × 1/4) → lrelu; at 4×4 minibatch stddev (group 4, 1 feature), conv,
  Dense0 + lrelu, Dense1 (gain 1).
"""
from __future__ import annotations

import numpy as np

SQRT2 = np.sqrt(2.0)


def lrelu(x):
    return np.where(x >= 0, x, 0.2 * x)


def scaled(w, gain, lrmul=1.0):
    """Run-time weight of the release's equalised learning rate."""
    fan_in = np.prod(w.shape[:-1])
    return np.asarray(w, np.float64) * (gain / np.sqrt(fan_in) * lrmul)


def dense(x, w, gain, lrmul=1.0):
    x = x.reshape(x.shape[0], -1)
    return x @ scaled(w, gain, lrmul)


def conv_same(x, w_rt):
    """Cross-correlation, stride 1, 'SAME' zero padding; x NCHW, w_rt [k, k, in, out] (run-time)."""
    k = w_rt.shape[0]
    p = k // 2
    n, _, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.zeros((n, w_rt.shape[3], h, wd))
    for a in range(k):
        for b in range(k):
            out += np.einsum("nchw,co->nohw", xp[:, :, a:a + h, b:b + wd], w_rt[a, b], optimize=True)
    return out


def upscale_nearest(x):
    return x.repeat(2, axis=2).repeat(2, axis=3)


def pad_and_sum_shifts(w_rt):
    """[k, k, …] → [k+1, k+1, …]: zero-pad by one and add the four one-pixel shifts."""
    w = np.pad(w_rt, ((1, 1), (1, 1), (0, 0), (0, 0)))
    return w[1:, 1:] + w[:-1, 1:] + w[1:, :-1] + w[:-1, :-1]


def upscale_conv_fused(x, w_rt):
    """TF conv2d_transpose(x, K, stride 2, 'SAME') with K[a, b, out, in] = pad-and-sum of the
    transposed 3×3 kernel, written as the scatter that defines a transposed convolution:
    out[o, 2i + a - 1, 2j + b - 1] += x[c, i, j] · K[a, b, o, c]."""
    K = pad_and_sum_shifts(w_rt.transpose(0, 1, 3, 2))  # [4, 4, out, in]
    n, _, h, wd = x.shape
    kk = K.shape[0]
    full = np.zeros((n, K.shape[2], 2 * h + kk - 2, 2 * wd + kk - 2))
    for a in range(kk):
        for b in range(kk):
            contrib = np.einsum("nchw,oc->nohw", x, K[a, b], optimize=True)
            full[:, :, a:a + 2 * h:2, b:b + 2 * wd:2] += contrib
    pad = 1  # 'SAME': total padding kk - 2 = 2, one on each side
    return full[:, :, pad:pad + 2 * h, pad:pad + 2 * wd]


def conv_down_fused(x, w_rt):
    """TF conv2d(x, K·1/4, stride 2, 'SAME') with K the padded, shift-summed 3×3 kernel."""
    K = pad_and_sum_shifts(w_rt) * 0.25  # [4, 4, in, out]
    n, _, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, K.shape[3], h // 2, wd // 2))
    for a in range(4):
        for b in range(4):
            out += np.einsum("nchw,co->nohw", xp[:, :, a:a + h:2, b:b + wd:2], K[a, b], optimize=True)
    return out


def blur(x):
    f = np.array([1.0, 2.0, 1.0])
    f = np.outer(f, f)
    f /= f.sum()
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros_like(x)
    for a in range(3):
        for b in range(3):
            out += f[a, b] * xp[:, :, a:a + h, b:b + w]
    return out


def instance_norm(x, eps=1e-8):
    x = x - x.mean(axis=(2, 3), keepdims=True)
    return x / np.sqrt((x ** 2).mean(axis=(2, 3), keepdims=True) + eps)


# ------------------------------------------------------------------------------------------
def mapping(mv: dict, z, lrmul=0.01):
    x = np.asarray(z, np.float64)
    x = x / np.sqrt((x ** 2).mean(axis=1, keepdims=True) + 1e-8)
    i = 0
    while f"Dense{i}/weight" in mv:
        x = lrelu(dense(x, mv[f"Dense{i}/weight"], SQRT2, lrmul) + mv[f"Dense{i}/bias"] * lrmul)
        i += 1
    return x


def truncate(dlatents, dlatent_avg, psi, cutoff):
    layer_idx = np.arange(dlatents.shape[1])[None, :, None]
    coefs = np.where(layer_idx < (cutoff if cutoff is not None else dlatents.shape[1]), psi, 1.0)
    avg = np.asarray(dlatent_avg, np.float64)
    return avg + (dlatents - avg) * coefs


def synthesis(sv: dict, dlatents, noise="const"):
    """dlatents [N, num_layers, w_dim]; noise: "const" (the stored noise{i}), "zero", or a list of
    arrays [1 or N, 1, H, W]."""
    resolution = max(int(k.split("x")[0]) for k in sv if k.endswith("/Conv1/weight")) \
        if any(k.endswith("/Conv1/weight") for k in sv) else 4
    log2 = int(np.log2(resolution))
    n = dlatents.shape[0]

    def noise_for(i, x):
        if isinstance(noise, str):
            return np.asarray(sv[f"noise{i}"], np.float64) if noise == "const" else np.zeros((1, 1) + x.shape[2:])
        return np.asarray(noise[i], np.float64)

    def epilogue(x, i, scope):
        x = x + noise_for(i, x) * np.asarray(sv[f"{scope}/Noise/weight"], np.float64).reshape(1, -1, 1, 1)
        x = x + np.asarray(sv[f"{scope}/bias"], np.float64).reshape(1, -1, 1, 1)
        x = lrelu(x)
        x = instance_norm(x)
        style = dense(dlatents[:, i], sv[f"{scope}/StyleMod/weight"], 1.0) + sv[f"{scope}/StyleMod/bias"]
        style = style.reshape(n, 2, x.shape[1], 1, 1)
        return x * (style[:, 0] + 1) + style[:, 1]

    x = np.tile(np.asarray(sv["4x4/Const/const"], np.float64), (n, 1, 1, 1))
    x = epilogue(x, 0, "4x4/Const")
    x = epilogue(conv_same(x, scaled(sv["4x4/Conv/weight"], SQRT2)), 1, "4x4/Conv")
    for res in range(3, log2 + 1):
        s = f"{2 ** res}x{2 ** res}"
        w = scaled(sv[f"{s}/Conv0_up/weight"], SQRT2)
        if 2 ** res >= 128:
            x = upscale_conv_fused(x, w)
        else:
            x = conv_same(upscale_nearest(x), w)
        x = epilogue(blur(x), 2 * res - 4, f"{s}/Conv0_up")
        x = epilogue(conv_same(x, scaled(sv[f"{s}/Conv1/weight"], SQRT2)), 2 * res - 3, f"{s}/Conv1")
    rgb = conv_same(x, scaled(sv["ToRGB_lod0/weight"], 1.0))
    return rgb + np.asarray(sv["ToRGB_lod0/bias"], np.float64).reshape(1, -1, 1, 1)


def generator(variables: dict, z, truncation_psi=1.0, truncation_cutoff=None, noise="const",
              lrmul=0.01):
    """The release's ``Gs.run(z, None, truncation_psi, truncation_cutoff, randomize_noise=False)``
    from a flat variable dict (``dlatent_avg``, ``mapping/…``, ``synthesis/…``)."""
    mv = {k[len("mapping/"):]: v for k, v in variables.items() if k.startswith("mapping/")}
    sv = {k[len("synthesis/"):]: v for k, v in variables.items() if k.startswith("synthesis/")}
    num_layers = sum(1 for k in sv if k.endswith("StyleMod/weight"))
    w = mapping(mv, z, lrmul)
    dl = np.repeat(w[:, None], num_layers, axis=1)
    if truncation_psi is not None and truncation_psi != 1:
        dl = truncate(dl, variables["dlatent_avg"], truncation_psi, truncation_cutoff)
    return synthesis(sv, dl, noise)


def minibatch_stddev(x, group_size=4, num_new_features=1):
    n, c, h, w = x.shape
    g = min(group_size, n)
    y = x.reshape(g, -1, num_new_features, c // num_new_features, h, w)
    y = y - y.mean(axis=0, keepdims=True)
    y = np.sqrt((y ** 2).mean(axis=0) + 1e-8)
    y = y.mean(axis=(2, 3, 4))                  # [M, F]
    y = np.tile(y[:, :, None, None], (g, 1, h, w))
    return np.concatenate([x, y], axis=1)


def discriminator(dv: dict, images):
    """D_basic's score [N, 1] for NCHW images (lod 0)."""
    x = np.asarray(images, np.float64)
    resolution = x.shape[2]
    log2 = int(np.log2(resolution))

    def conv_act(x, scope, w_fn=conv_same):
        return lrelu(w_fn(x, scaled(dv[f"{scope}/weight"], SQRT2))
                     + np.asarray(dv[f"{scope}/bias"], np.float64).reshape(1, -1, 1, 1))

    x = conv_act(x, "FromRGB_lod0")
    for res in range(log2, 2, -1):
        s = f"{2 ** res}x{2 ** res}"
        x = conv_act(x, f"{s}/Conv0")
        x = blur(x)
        if 2 ** res >= 128:
            x = conv_act(x, f"{s}/Conv1_down", conv_down_fused)
        else:
            def conv_pool(x, w):
                y = conv_same(x, w)
                n, c, h, ww = y.shape
                return y.reshape(n, c, h // 2, 2, ww // 2, 2).mean(axis=(3, 5))
            x = conv_act(x, f"{s}/Conv1_down", conv_pool)
    x = minibatch_stddev(x)
    x = conv_act(x, "4x4/Conv")
    x = lrelu(dense(x, dv["4x4/Dense0/weight"], SQRT2) + dv["4x4/Dense0/bias"])
    return dense(x, dv["4x4/Dense1/weight"], 1.0) + dv["4x4/Dense1/bias"]
