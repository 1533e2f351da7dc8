"""Source clients: one package per upstream source (arXiv, Papers With Code, Semantic Scholar)."""
