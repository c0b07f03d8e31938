"""Content rules: slugs, image credits and Markdown rendering, independent of any web code."""
