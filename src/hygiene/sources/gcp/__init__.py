"""GCP sources: scope and clients (``scope``), labels (``assets``), billing links and budgets
(``billing``), budgets' spend (``budget_spend``), the billing export (``billing_export``), keys and
secrets (``credentials``). Records without a provider-neutral twin live in ``models``."""
