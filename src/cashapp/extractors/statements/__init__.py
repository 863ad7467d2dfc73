"""Bank statement readers: ISO 20022 camt.05x, SWIFT MT940/MT942, OFX, CFONB120, CODA, BAI2."""
