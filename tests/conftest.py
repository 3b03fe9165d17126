"""Shared test fixtures."""
from __future__ import annotations

import pytest
import torch

from stylegan_lib import Generator


def textured_generator(bias_std: float = 0.3, seed: int = 0) -> Generator:
    """A tiny-16 generator that is less degenerate than a fresh one: random biases and noise
    strengths (all start at 0) and a random constant (starts at 1), as a trained model has."""
    torch.manual_seed(seed)
    G = Generator("tiny-16").eval().requires_grad_(False)
    for p in G.synthesis.parameters():
        if p.ndim == 1:
            p.normal_(0, bias_std)
    G.synthesis.blocks.b4.const.normal_()
    return G


@pytest.fixture(scope="module")
def textured_G() -> Generator:
    return textured_generator()
