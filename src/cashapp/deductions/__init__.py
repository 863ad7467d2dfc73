"""Short payments kept for follow-up: validation, write-off policy and settlement."""
