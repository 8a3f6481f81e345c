"""Single-run prompts' internals: the alignment model's instructions and the steps built on them."""
