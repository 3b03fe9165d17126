"""Data parallelism with torch.distributed (gloo, CPU): one step on 2 processes × B/2 images
gives the same weights as one process on B."""
import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from stylegan_lib.train import Trainer, recipe_options

B = 8


def data():
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (32, 3, 16, 16), dtype=torch.uint8, generator=g)


def options():
    # The step is taken in the middle of the 8² → 16² fade-in (see run_steps), with R1 and mixing.
    # adam_eps = 1e-3: Adam's first step is lr · g / (|g| + ε). With the default ε = 1e-8 a
    # gradient that is analytically zero but holds rounding noise (e.g. the bias of a layer just
    # before instance norm, which subtracts any constant) becomes a full ±lr step whose sign
    # depends on the summation order. A larger ε makes such steps negligible; real gradients
    # (≫ ε) still move their weights by about lr.
    return recipe_options("quick", preset="tiny-16", device="cpu", kimg=0.016, r1_interval=2,
                          adam_eps=1e-3,
                          schedule=dict(start_res=8, lod_training_kimg=0.0, lod_transition_kimg=0.008,
                                        minibatch={}, minibatch_default=B, lr={}, lr_default=0.002))


def run_steps(trainer, n=int(os.environ.get("DDP_TEST_STEPS", "1"))):
    trainer.cur_nimg = 4  # start half-way through the fade-in: lod = 0.5
    # At initialisation the noise strengths are 0, so the first 4×4 layer sees the constant input
    # alone: constant over the image, instance norm turns it into rounding noise and the gradient
    # of its bias is noise too (in any implementation). Give the noise a strength so that every
    # parameter has a real gradient to compare.
    with torch.no_grad():
        for epi in trainer.G.synthesis.epilogues():
            epi.noise.weight.fill_(0.1)
    assert trainer.point().phase == "fade" and trainer.point().alpha == 0.5
    for _ in range(n):
        trainer.step()
    return {f"{m}.{k}": v.clone() for m in ("G", "D", "G_ema")
            for k, v in getattr(trainer, m).state_dict().items()}


def _worker(rank, world, port, out_path):
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        tr = Trainer(options(), data(), progress=False)
        assert tr.world_size == world and tr.rank == rank
        state = run_steps(tr)
        if rank == 0:
            torch.save(state, out_path)
    finally:
        dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_equal_one(tmp_path):
    out = tmp_path / "ddp.pt"
    mp.spawn(_worker, args=(2, free_port(), str(out)), nprocs=2, join=True)
    ddp = torch.load(out, weights_only=True)
    single = run_steps(Trainer(options(), data(), progress=False, rank=0, world_size=1))
    assert ddp.keys() == single.keys()
    changed = [k for k in single if "weight" in k and not k.startswith("G_ema")]
    assert changed
    worst = max((ddp[k].float() - single[k].float()).abs().max().item() for k in single)
    # Same numbers up to float summation order (B images summed in one or two parts).
    assert worst < 1e-5, worst
    # and the step really moved the weights (the comparison is not trivially true)
    fresh = Trainer(options(), data(), progress=False, rank=0, world_size=1)
    moved = (single["D.blocks.b4.out.weight"] - fresh.D.blocks.b4.out.weight).abs().max().item()
    assert moved > 1e-4
