"""Small shared utilities."""
from __future__ import annotations

import numpy as np
import torch


def stream_seed(seed: int, stream: int) -> int:
    """A seed for random stream ``stream`` of a run seeded with ``seed``: a hash of the two
    (``numpy.random.SeedSequence``), so that two streams of one seed, or one stream of two seeds,
    never share their numbers. Any integer seed works, negative ones too (taken mod 2⁶⁴)."""
    return int(np.random.SeedSequence([int(seed) % 2**64, int(stream)]).generate_state(1, np.uint64)[0])


def get_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" → CUDA when available, else CPU; "cuda" without a GPU is a clear error."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} was asked for, but PyTorch sees no CUDA GPU here; "
                           "use device='cpu' or device='auto'")
    return dev


def progress_bar(iterable, show: bool = True, **tqdm_kwargs):
    """``iterable`` with a text tqdm bar (on stderr) when ``show``, else as it is. Text, not a
    notebook widget: widget bars can stall papermill/nbval kernels and crowd the chapters'
    widgets."""
    if not show:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, **tqdm_kwargs)


def cpu_supports_bf16() -> bool:
    """Whether this CPU has native bfloat16 arithmetic (AVX512-BF16 or AMX) for oneDNN.

    Without it PyTorch emulates bf16 and autocast is many times *slower* than fp32
    (benchmarks/training.md measures both on an AVX2 machine)."""
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def arg_number(kind: type = float, low: float | None = None, high: float | None = None,
               above: float | None = None):
    """An argparse ``type``: an int or a finite float, at least ``low`` / greater than ``above``
    and at most ``high``; anything else is an argparse error that says what is expected."""
    import argparse
    import math

    noun = "an integer" if kind is int else "a number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        if above is not None and not value > above:
            raise argparse.ArgumentTypeError(f"must be greater than {above:g}, got {text}")
        if low is not None and value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low:g}, got {text}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:g}, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse
