from config.languages import SUPPORTED_LANGUAGES
from config.settings import SandboxKind, Settings, SettingsError, load_settings

__all__ = ["SUPPORTED_LANGUAGES", "SandboxKind", "Settings", "SettingsError", "load_settings"]
