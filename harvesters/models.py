"""Harvest sources, jobs, records and stage errors arrive with the harvesters issue (see ROADMAP/issues)."""
