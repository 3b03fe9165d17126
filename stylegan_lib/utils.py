"""Small shared utilities."""
from __future__ import annotations

import torch


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


def cpu_supports_bf16() -> bool:
    """Whether this CPU has native bfloat16 arithmetic (AVX512-BF16 or AMX) for oneDNN.

    Without it PyTorch emulates bf16 and autocast is many times *slower* than fp32
    (benchmarks/training.md measures both on an AVX2 machine)."""
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False
