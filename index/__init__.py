"""Whoosh lives here and nowhere else: analyzers, schemas, build, search."""
