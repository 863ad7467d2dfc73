"""Remittance advice readers: emails, PDFs, CSV/XLSX tables, ISO 20022 remt.001, X12 820."""
