"""The prompt API client's insides: the prompt it hands out, and reading the server's answers."""
