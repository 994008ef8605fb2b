"""Evaluation of paperradar components against shared reference data."""
