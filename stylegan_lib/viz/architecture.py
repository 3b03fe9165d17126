"""Figure 1 drawn from a model's own structure: (a) traditional, (b) style-based generator.

``architecture_summary(G)`` walks the modules of a Generator and lists what each part does;
``draw_architecture(G, ax)`` draws that list as boxes and arrows. Nothing is hard-coded per
configuration: a config-C model shows its latent entering the first layer *and* its AdaINs.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..synthesis import Epilogue


@dataclass
class Box:
    label: str
    kind: str  # "input", "fc", "norm", "conv", "resample", "noise", "style", "rgb", "latent"


def _epilogue_boxes(epi: Epilogue) -> list[Box]:
    boxes = []
    if epi.noise is not None:
        boxes.append(Box("+ noise · B", "noise"))
    if epi.style is not None:
        boxes.append(Box("AdaIN ← A(w)", "style"))
    else:
        boxes.append(Box("PixelNorm", "norm"))
    return boxes


def architecture_summary(G, max_resolutions: int | None = None) -> dict[str, list]:
    """{"mapping": [Box…], "synthesis": [[Box…] per resolution], "style_based": bool}."""
    cfg = G.config
    mapping = [Box(f"latent z ∈ Z ({cfg.z_dim})", "latent"), Box("Normalize", "norm")]
    mapping += [Box(f"FC {layer.in_features}→{layer.out_features}", "fc") for layer in G.mapping.layers]
    style_based = cfg.architecture == "style"
    mapping.append(Box(f"w ∈ W ({cfg.w_dim})" if cfg.mapping_layers else "w = normalised z", "latent"))
    blocks = []
    for i, (name, block) in enumerate(G.synthesis.blocks.items()):
        if max_resolutions is not None and i >= max_resolutions:
            break
        r = int(name[1:])
        c = block.epi1.channels
        boxes = []
        if r == 4:
            if block.const is not None:
                boxes.append(Box(f"Const 4×4×{c}", "input"))
            else:
                boxes.append(Box(f"FC latent→4×4×{c}", "input"))
            boxes += _epilogue_boxes(block.epi0)
            boxes.append(Box("Conv 3×3", "conv"))
            boxes += _epilogue_boxes(block.epi1)
        else:
            boxes.append(Box("Upsample (fused)" if block.conv0.fused else "Upsample", "resample"))
            boxes.append(Box("Conv 3×3", "conv"))
            if block.blur is not None:
                boxes.append(Box("Blur", "resample"))
            boxes += _epilogue_boxes(block.epi0)
            boxes.append(Box("Conv 3×3", "conv"))
            boxes += _epilogue_boxes(block.epi1)
        blocks.append((r, boxes))
    return {"mapping": mapping, "synthesis": blocks, "style_based": style_based}


_COLORS = {"input": "#f6d6a8", "fc": "#cfe2f3", "norm": "#e6e6e6", "conv": "#d9ead3",
           "resample": "#f4f4f4", "noise": "#f4cccc", "style": "#d9d2e9", "rgb": "#fff2cc",
           "latent": "#ffffff"}


def draw_architecture(G, ax, max_resolutions: int = 2, title: str | None = None):
    """Draw the generator's structure as a column of boxes (plus the mapping network for (b))."""
    s = architecture_summary(G, max_resolutions)
    ax.set_axis_off()
    h, gap = 0.8, 0.25

    def column(x, boxes, y0, width=2.6):
        y = y0
        centers = []
        for b in boxes:
            ax.add_patch(_rect(x - width / 2, y - h, width, h, _COLORS[b.kind]))
            ax.text(x, y - h / 2, b.label, ha="center", va="center", fontsize=7.5)
            centers.append(y - h / 2)
            y -= h + gap
        for a, b in zip(centers, centers[1:]):
            ax.annotate("", (x, b + h / 2), (x, a - h / 2), arrowprops=dict(arrowstyle="->", lw=0.8))
        return y

    y = 0.0
    if s["style_based"]:
        column(0.0, s["mapping"], 0.0, width=2.4)
        ax.text(0.0, 0.5, "Mapping network f", ha="center", fontsize=9, weight="bold")
        x_syn = 3.6
        ax.text(x_syn, 0.5, "Synthesis network g", ha="center", fontsize=9, weight="bold")
    else:  # the latent (or w, with a mapping network) flows straight into the first layer
        x_syn = 1.6
        ax.text(x_syn, 0.5, "Generator", ha="center", fontsize=9, weight="bold")
        y = column(x_syn, s["mapping"][:2] if G.config.mapping_layers == 0 else s["mapping"], 0.0)
    for r, boxes in s["synthesis"]:
        ax.text(x_syn + 1.55, y - h / 2, f"{r}×{r}", ha="left", va="center", fontsize=8, style="italic")
        y = column(x_syn, boxes, y)
    ax.text(x_syn, y - 0.1, "⋮", ha="center", va="top", fontsize=14)
    ax.set_xlim(-1.5, x_syn + 2.3)
    ax.set_ylim(y - 1.0, 1.0)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def _rect(x, y, w, h, color):
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                          facecolor=color, edgecolor="#555555", lw=0.8)


def parameter_table(G) -> list[tuple[str, int]]:
    """Parameters per part: mapping, each synthesis block, the ToRGB layers, total.

    Every parameter counts, frozen or not: a loaded model has ``requires_grad`` off."""
    def count(m):
        return sum(p.numel() for p in m.parameters())

    rows = [("mapping network f", count(G.mapping))]
    for name, block in G.synthesis.blocks.items():
        r = name[1:]
        rows.append((f"synthesis {r}×{r}", count(block)))
    rows.append(("ToRGB layers", count(G.synthesis.torgb)))
    rows.append(("total", count(G)))
    return rows
