"""How deliveries reach the listeners: HTTP and Socket Mode servers, the event queue and its
processes, apply-once claims, noise filtering, and the background pool."""
