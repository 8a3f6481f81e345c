"""Models as the bot runs them: built from settings, paced across processes, metered."""
