"""Filling prompt templates safely, and asking a model for JSON that can be used."""
