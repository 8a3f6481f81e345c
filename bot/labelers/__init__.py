"""Labelers trained from CSVs: intake, forms, store, labelling, views, reports and listeners."""
