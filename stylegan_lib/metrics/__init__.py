"""The paper's metrics: FID (and KID), perceptual path length, linear separability; and
StyleGAN3's EQ-T / EQ-R (equivariance to translation and rotation, in dB).

Offline by default — the book's faces classifier gives "FD"/"KD", an LPIPS-style distance for PPL
and the attribute labels for LS — and exact with NVIDIA's standard detectors
(``inception-2015-12-05.pt``, ``vgg16.pt``) when the reader has them: only then are the numbers
called FID and KID.

    from stylegan_lib.metrics import compute_metrics
    out = compute_metrics(G, ["fd", "kd", "ppl_wend", "ls"], counts=QUICK_COUNTS)
"""
from .classifier import FacesClassifier, attribute_accuracy, classifier_provenance, load_classifier, train_classifier
from .detectors import (ClassifierDetector, ClassifierLPIPS, DetectorError, InceptionDetector, VGG16LPIPS,
                        find_detector_file, get_feature_detector, get_perceptual_distance, to_uint8)
from .equivariance import EQ_METRICS, compute_equivariance, eq_r, eq_t, eq_t_frac, reference_ceiling, supports_equivariance
from .evaluate import (FULL_COUNTS, METRICS, QUICK_COUNTS, compute_metrics, dataset_features,
                       distribution_scores, equivariance_result, generated_features, real_features, real_stats,
                       seed_features)
from .frechet import FeatureStats, FrechetResult, StatsAccumulator, StatsCache, frechet_distance, frechet_distance_from_stats
from .kernel import kernel_distance, mmd2_unbiased
from .precision_recall import mean_pairwise_distance, precision_recall
from .ppl import PPLResult, crop_face, path_endpoints, perceptual_path_length
from .separability import conditional_entropy, linear_separability, separability_score

__all__ = [
    "FacesClassifier", "attribute_accuracy", "classifier_provenance", "load_classifier", "train_classifier",
    "ClassifierDetector", "ClassifierLPIPS", "DetectorError", "InceptionDetector", "VGG16LPIPS",
    "find_detector_file", "get_feature_detector", "get_perceptual_distance", "to_uint8",
    "EQ_METRICS", "compute_equivariance", "eq_r", "eq_t", "eq_t_frac", "reference_ceiling", "supports_equivariance", "equivariance_result",
    "FULL_COUNTS", "METRICS", "QUICK_COUNTS", "compute_metrics", "dataset_features", "distribution_scores",
    "generated_features", "seed_features", "real_features", "real_stats", "FeatureStats", "FrechetResult", "StatsAccumulator",
    "StatsCache", "frechet_distance", "frechet_distance_from_stats", "kernel_distance", "mmd2_unbiased",
    "mean_pairwise_distance", "precision_recall", "PPLResult", "crop_face", "path_endpoints",
    "perceptual_path_length", "conditional_entropy", "linear_separability", "separability_score",
]
