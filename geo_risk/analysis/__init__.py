"""Spatial analyses on GeoDataFrames (pure: no database, files or settings)."""
