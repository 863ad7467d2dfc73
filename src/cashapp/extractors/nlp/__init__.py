"""Reads what the payer meant: references (check-digit validated or shaped like the
seller's own numbering), amounts and deduction reasons in short, noisy, multilingual text.
"""
