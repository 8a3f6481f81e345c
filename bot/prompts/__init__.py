"""The prompt lifecycle: store, versions, runs, deletion, audit, their handlers, views and forms."""
