"""Map layers: the registry of what the map service shows, its styles and the web map page."""
