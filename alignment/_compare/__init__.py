"""Comparing two versions of a prompt on saved examples (internals of ``alignment.compare``)."""
