"""Data: synthetic faces with known factors, and image folders/archives."""
from .faces import (ATTRIBUTES, FACTORS, FacesConfig, SyntheticFaces, labels_from_factors, render,
                    sample_factors)
