"""Warranty policies on purchased goods and the claims against them."""
