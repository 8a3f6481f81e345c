"""The App Home tab: the workspace's prompts and labelers at a glance."""
