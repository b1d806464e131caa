"""dicetm: threat modeling for AI systems with the DICE phases."""

__version__ = "0.1.0"
