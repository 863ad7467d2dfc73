"""The use cases of cash application: import open items, ingest files, run the lettrage,
apply and reverse, review, export, and the ERP outbox.
"""
