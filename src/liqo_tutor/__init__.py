"""liqo-tutor: runs the Liqo tutorials end to end and verifies every claim they make."""

__version__ = "0.1.0"
