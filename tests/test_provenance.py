"""The one place for a result's provenance: the git commit and the CPU's model name."""
from __future__ import annotations

import re

from stylegan_lib.provenance import cpu_model, git_commit


def test_git_commit_is_a_hash_or_none():
    full = git_commit()
    if full is None:  # an installed copy outside a git checkout
        assert git_commit(short=True) is None
        return
    assert re.fullmatch(r"[0-9a-f]{40}", full)
    assert full.startswith(git_commit(short=True))


def test_cpu_model_is_a_name():
    name = cpu_model()
    assert isinstance(name, str) and name.strip() == name and name
