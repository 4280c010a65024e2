"""Pydantic models of the API: request bodies (strict, camelCase) and response shapes."""
