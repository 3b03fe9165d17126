"""Data-parallel training with PyTorch's own engine, ``torch.distributed``.

Run ``torchrun --nproc_per_node N -m stylegan_lib train …``: every process holds full copies of
G, D and G_ema, computes the losses on its share of each minibatch (images ``rank::N``), and the
gradients are averaged over processes before each optimiser step, so all copies stay identical
and one step on N × B/N equals one step on B. Only process 0 writes logs, samples and
checkpoints.

The gradients are averaged with one ``all_reduce`` per network on a flattened buffer, the same
reduction ``DistributedDataParallel`` performs. We call it ourselves instead of wrapping the
networks in DDP because a training step calls G's two halves separately (mapping twice for
style mixing, then synthesis), differentiates D twice for R1 (``create_graph``), and freezes
one network while the other learns; DDP's hooks assume one ``forward`` per ``backward`` and do
not support double backward. NVIDIA's later StyleGAN releases make the same choice.
"""
from __future__ import annotations

import datetime
import os

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def get_rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def get_world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def launched_by_torchrun() -> bool:
    """True inside ``torchrun`` (it sets WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR/PORT)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_from_env(device: str = "auto", timeout_s: float = 600.0) -> tuple[int, int, str]:
    """Join the process group that torchrun describes in the environment.

    Backend: NCCL when CUDA is used, gloo on CPU. Each process takes GPU ``LOCAL_RANK``.
    Returns (rank, world_size, device string for this process).
    """
    if not launched_by_torchrun():
        return 0, 1, device
    use_cuda = torch.cuda.is_available() and device in ("auto", "cuda") or str(device).startswith("cuda")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = f"cuda:{local_rank}"
    elif device == "auto":
        device = "cpu"
    if not is_distributed():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo",
                                timeout=datetime.timedelta(seconds=timeout_s))
    return dist.get_rank(), dist.get_world_size(), device


def all_reduce_mean(t: torch.Tensor) -> torch.Tensor:
    """The mean of ``t`` over processes (``t`` itself when not distributed)."""
    if not is_distributed() or get_world_size() == 1:
        return t
    t = t.clone()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t / get_world_size()


def all_reduce_grads(module: torch.nn.Module) -> None:
    """Average the gradients of ``module``'s parameters over processes (in place)."""
    if not is_distributed() or get_world_size() == 1:
        return
    params = [p for p in module.parameters() if p.grad is not None]
    if not params:
        return
    flat = torch.cat([p.grad.flatten() for p in params])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    flat /= get_world_size()
    offset = 0
    for p in params:
        n = p.numel()
        p.grad.copy_(flat[offset:offset + n].view_as(p.grad))
        offset += n


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def cleanup() -> None:
    if is_distributed():
        dist.destroy_process_group()


__all__ = ["is_distributed", "get_rank", "get_world_size", "init_from_env", "launched_by_torchrun",
           "all_reduce_mean", "all_reduce_grads", "barrier", "cleanup"]
