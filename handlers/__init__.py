"""Thin Tornado handlers: parse and validate, call one service, shape the response."""
