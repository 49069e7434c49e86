"""The demo behind ``make demo`` (``python -m demo.run``): a moto-served organisation, a bill and a
repository, audited end to end offline. It lives outside the installed package: it imports moto
and boto3 to *write* to moto, which the product never does."""
