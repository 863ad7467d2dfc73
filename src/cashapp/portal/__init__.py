"""The customer-facing pages: open items, payments, disputes."""
