"""Reference data: ISO 4217 currencies, list-price ratios and the FinOps toolkit's open data."""
