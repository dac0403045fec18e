"""Sharing in the GUI: identity & contacts page, Share wizard, Open-bundle wizard."""
