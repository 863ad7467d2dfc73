"""The business vocabulary: money, customers, open items, bank lines, remittances,
proposals, allocations and deduction reasons. Standard library only, no I/O.
"""
