"""Models shipped with the package, and one loader for every kind of generator file.

``load_pretrained(name_or_path, device="auto")`` accepts

* the name of a shipped model (see ``REGISTRY``; files live next to this module),
* a path to a stylegan_lib checkpoint (``.pt``) of any generation (StyleGAN1, 2 or 3: the
  checkpoint's config says which, :mod:`stylegan_lib.generations`), or
* a path to one of NVIDIA's official StyleGAN v1 pickles (``.pkl``), read without executing it.
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: name -> file name of the shipped checkpoint (its provenance is in <name>.json beside it).
REGISTRY: dict[str, str] = {
    "book-32": "book-32.pt",
}


def shipped_path(name: str) -> Path:
    if name not in REGISTRY:
        raise ValueError(f"unknown shipped model {name!r}; shipped: {', '.join(REGISTRY)}")
    return HERE / REGISTRY[name]


def provenance(name: str) -> dict:
    """How a shipped model was made: command, commit, device, seed, images shown, wall time."""
    path = shipped_path(name).with_suffix(".json")
    if not path.is_file():
        raise FileNotFoundError(f"no provenance file {path}")
    return json.loads(path.read_text())


def training_data(name: str) -> str | None:
    """The data spec a shipped model was trained on (``faces:N:DETAIL``, or a path): what its FD
    is measured against. None when its provenance does not say."""
    from ..data import dataset_spec

    return dataset_spec(provenance(name).get("dataset"))


def is_available(name: str) -> bool:
    return name in REGISTRY and shipped_path(name).is_file()


def load_pretrained(name_or_path: str, device="auto"):
    """A ready generator (eval mode, on ``device``) from a shipped name or a file."""
    from ..checkpoint import load_generator

    if name_or_path in REGISTRY:
        path = shipped_path(name_or_path)
        if not path.is_file():
            raise FileNotFoundError(
                f"the shipped model {name_or_path!r} is missing ({path}); retrain it with "
                "`make book-model` or pass a checkpoint path")
        return load_generator(path, device=device)
    path = Path(name_or_path)
    if path.suffix == ".pkl":
        from ..official import load_official  # NVIDIA's v1 release pickles

        return load_official(path, device=device)
    return load_generator(path, device=device)
