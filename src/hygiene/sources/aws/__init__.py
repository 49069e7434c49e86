"""AWS sources: session and fan-out, inventory, billing, secrets, backups."""
