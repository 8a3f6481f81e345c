"""Saved examples of a prompt: inputs (and ideal answers) that comparisons run both versions on."""
