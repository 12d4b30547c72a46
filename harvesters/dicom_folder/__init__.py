"""The `dicom_folder` harvester kind: node-local folders of de-identified DICOM datasets (see SIDECAR.md).

Modules: `gate` (docs/privacy.md §1, pure), `pool` (worker processes with limits), `walker` (P3), `sidecar`
(dataset.json schema), `detectors` (R12), `deid_tables` (PS3.15 Table E.1-1 data), `harvester` (the Harvester),
`demo` (synthetic data). Importing this package must not import Django: gate workers import only the gate.
"""
