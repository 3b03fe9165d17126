"""Data for the book.

* :mod:`.faces` — synthetic cartoon faces drawn from named factors with known ground truth
  (``SyntheticFaces``, ``sample_factors``, ``render``, ``labels_from_factors``).
* :mod:`.folder` — the on-disk format (a zip or folder of PNGs + ``dataset.json``), the strict
  loader ``ImageFolderDataset`` and ``write_faces_archive``.
* :mod:`.prepare` — ``python -m stylegan_lib prepare SRC DEST --resolution R`` for photos.
"""
from .faces import (ATTRIBUTE_RULES, ATTRIBUTES, FACTOR_RANGES, FACTOR_SCALES, FACTORS,
                    DETAIL_LEVELS, NEUTRAL_FACTORS, RENDERER_VERSION, FacesConfig, SyntheticFaces, bench_faces, check_factors, detail_std,
                    labels_from_factors, layout, render, sample_factors, is_faces_spec, parse_faces_spec, faces_spec, dataset_spec)
from .folder import (DatasetError, DatasetWarning, ImageFolderDataset, decode_image, random_xflip,
                     to_float, to_uint8, write_faces_archive)

__all__ = [
    "ATTRIBUTES", "ATTRIBUTE_RULES", "FACTORS", "FACTOR_RANGES", "FACTOR_SCALES", "NEUTRAL_FACTORS",
    "DETAIL_LEVELS", "RENDERER_VERSION",
    "FacesConfig", "SyntheticFaces", "bench_faces", "check_factors", "detail_std", "labels_from_factors",
    "layout", "render", "sample_factors", "is_faces_spec", "parse_faces_spec", "faces_spec", "dataset_spec",
    "DatasetError", "DatasetWarning", "ImageFolderDataset", "decode_image", "random_xflip",
    "to_float", "to_uint8", "write_faces_archive",
]
