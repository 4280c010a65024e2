"""Domain services: each owns one area and is the only code that touches its collections."""
