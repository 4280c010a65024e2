"""The languages SynCode supports (the judge holds how each one compiles and runs)."""

SUPPORTED_LANGUAGES: tuple[str, ...] = ("python", "javascript", "typescript", "java", "cpp", "c", "go", "rust")
