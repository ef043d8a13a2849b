"""Places: cities, airports, points of interest; lexical, geo and semantic search."""
