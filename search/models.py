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


class SearchIndexState(models.Model):
    """One row: the position of the last write to the documents, and a token that changes with every write.

    Every transaction that writes documents moves `position` on by one and draws a new random `token`, in the
    same transaction as the documents (search.backends.embedded). The update takes this row's lock until the
    commit, so positions are handed out in commit order. A rolled-back write gives its position back to the
    next writer; its token, random, is never drawn again, so a snapshot that saw the rolled-back write (from
    inside its transaction) is told apart from the committed state at the same position.
    """

    token = models.CharField(max_length=32)
    position = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)


class SearchChange(models.Model):
    """The change log: which identifiers the write at `position` touched (written in that write's transaction).

    A snapshot at position p reads the rows after p to learn which documents to read again. `token` is the
    write's token, so a reader can check that the write it last applied is the committed one. An empty
    identifier (`RESET`) means every document may have changed (the index was cleared). Old rows are pruned;
    a reader whose position is older than the log rebuilds in full.
    """

    RESET = ""

    position = models.BigIntegerField(db_index=True)
    identifier = models.CharField(max_length=64, blank=True)
    token = models.CharField(max_length=32)
