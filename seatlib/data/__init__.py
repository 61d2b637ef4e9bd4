"""Datasets: download (or mirror), raw readers, tokenisation, vocabulary and prepared splits."""
