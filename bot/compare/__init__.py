"""Comparing two versions of a prompt on its saved examples, in the background, judged by its
principles; and making a compared version current only when someone says so."""
