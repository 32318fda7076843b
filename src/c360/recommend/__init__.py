"""Next-best-product recommendations: features, propensity model, eligibility, arbitration."""
