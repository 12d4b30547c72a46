"""Cohort counts over the study facts (docs/privacy.md §0.4), published through catalogue.disclosure.

`criteria` parses and validates a question, `index` holds the study facts as integer-coded arrays loaded once
per version of the facts, `services` answers a question, `api` serves `GET /api/v1/cohorts/count`.
"""
