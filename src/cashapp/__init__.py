"""cashapp: self-hosted cash application. Bank statements and remittance advices in, lettrage out."""
