"""Bytes in, domain records out: bank statements, remittance advices and the text extractor.

Each format is one module with ``identify()`` and ``extract()``; a registry picks by content.
"""
