"""The SynCode domain: models, services, storage, the event bus and errors."""
