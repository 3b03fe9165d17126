"""The farm: named runs of the paper's tables — or of StyleGAN3's configuration ladder —
trained one after the other (or side by side on a GPU), evaluated into one results file and
shipped with the package (``python -m stylegan_lib farm``).

* :mod:`.runs` — the registry: Tables 1–4 row by row, the runs behind them (rows with equal
  configurations share one), the ladder's rungs, their seeds and training options per scale;
* :mod:`.parallel` — worker processes side by side, and the sprint (a lent GPU's one run);
* :mod:`.runner` — train missing runs, resume partial ones, skip done ones; status and time left;
* :mod:`.results` — FD, KD, PPL, LS (and mixed-latent FD for Table 2) at fixed counts into
  ``results.json``; the tables beside the paper's numbers; Figure 9 from the training logs;
* :mod:`.budget` — measured images/s and the farm's wall time; :mod:`.ship` — shipped models;
  :mod:`.cli` — the command line.
"""
from .runner import DEFAULT_OUT, FarmError, run_state, status_rows, train_farm
from .runs import FARM_SCALES, ROWS, TABLES, FarmRun, Row, farm_runs, select_runs

__all__ = ["ROWS", "TABLES", "Row", "FarmRun", "FARM_SCALES", "farm_runs", "select_runs", "train_farm",
           "run_state", "status_rows", "FarmError", "DEFAULT_OUT"]
