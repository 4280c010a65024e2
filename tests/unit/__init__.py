"""Fast tests of pure modules: no server, no database, no sandbox."""
