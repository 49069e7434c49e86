"""The plain records sources return and checks read: the only thing the two share.

``records/`` imports nothing of the project above it (findings, policy, sources, checks), so
``sources/`` and ``checks/`` never import each other. One module per family:
``cloud`` (resources, credentials — provider-neutral, AWS and GCP both produce them),
``billing`` (spend rows, provider budgets), ``backups``, ``gcp`` (billing links, GCP budgets),
``probes``.
"""
