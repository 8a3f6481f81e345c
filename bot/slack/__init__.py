"""Slack plumbing every feature shares: Block Kit basics, chunking, origins, files, manifest."""
