"""Model providers: one base class, the service layer (retries, usage, caps), one module per
backend, and the registry that maps a model spec to its provider."""
