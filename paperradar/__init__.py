"""paperradar: a self-hosted research-paper radar for arXiv.

The version is written here only; pyproject.toml reads it from this file.
"""

__version__ = "0.1.0"
