"""Maintainer tools that are not installed with the package (docs generation, demo recordings)."""
