"""The prompt API: applications read a workspace's prompts over HTTP with a per-workspace key."""
