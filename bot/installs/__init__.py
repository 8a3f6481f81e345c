"""Installing into many workspaces: Slack's OAuth flow, the installations and OAuth states it
keeps in Redis, the one resolver that gives every listener and job its workspace's token, and
what an uninstall removes (at once: the token; after a grace period: the data).

Only in OAuth mode (``SLACK_CLIENT_ID``, ``SLACK_CLIENT_SECRET``, ``SLACK_STATE_SECRET``); with
``SLACK_BOT_TOKEN`` the resolver hands out that one token and nothing here is installed.

Nothing is imported here: ``bot.services`` imports the modules it needs, and this package's
listeners import ``bot.services``, so a package-level import would make a cycle.
"""
