"""DCAT-AP 3 / HealthDCAT-AP / EUCAIM / schema.org: one mapping table per profile for export and harvest.

Modules: `namespaces` (every IRI), `profiles` (the tables and their kinds), `writers` (streaming N-Triples,
Turtle, RDF/XML, JSON-LD), `serializer` (the export, per-dataset profile choice, the report), `parser` (RDF ->
descriptors, never fetching), `validation` (the official SHACL shapes via pySHACL).
"""
