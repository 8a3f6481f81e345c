"""The labeler's internals: rules, prompts, scoring, one concurrent training step, caching."""
