"""Storage of the embedded search backend: one row per public dataset, written in the catalogue's transaction."""

from django.db import models


class SearchDocument(models.Model):
    identifier = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=500, db_index=True)
    text = models.TextField(blank=True)
    body = models.JSONField()
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "identifier"]
