"""The feedback loop: reactions and replies become principle changes, versioned and undoable."""
