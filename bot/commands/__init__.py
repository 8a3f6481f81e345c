"""The `/align` text grammar, help, and the router from a parsed command to its feature handler."""
