"""Importers of data published by other systems."""
