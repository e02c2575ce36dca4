"""SQUIM (Kumar et al., 2023): speech quality and intelligibility measures predicted by
networks, as torchaudio builds them."""

from .objective import SquimObjective, squim_objective_base, squim_objective_model
from .subjective import SquimSubjective, squim_subjective_base, squim_subjective_model

__all__ = [
    "squim_objective_base",
    "squim_objective_model",
    "squim_subjective_base",
    "squim_subjective_model",
    "SquimObjective",
    "SquimSubjective",
]
