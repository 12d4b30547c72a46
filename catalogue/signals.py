"""Signals the catalogue sends inside its write transactions (search listens; catalogue imports nothing back)."""

from django.dispatch import Signal

# Sent with `dataset` and `outcome` (an UpsertOutcome) inside the transaction that changed the dataset.
dataset_changed = Signal()
