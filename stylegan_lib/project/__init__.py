"""Bringing an image into the generator and moving it: projection into W / W+ (:mod:`.projection`)
and edit directions in W (:mod:`.editing`)."""
from .editing import edit, edit_directions, fit_direction
from .projection import ProjectionResult, TargetImageError, load_projection, project

__all__ = ["ProjectionResult", "TargetImageError", "edit", "edit_directions", "fit_direction",
           "load_projection", "project"]
