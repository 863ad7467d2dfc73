"""Disputes (litiges) opened from deductions or by customers, and their resolution."""
