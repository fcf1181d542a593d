"""Transaction categorization: merchant normalization, user rules and corrections, a trained
model with calibrated confidence, and a review list for what stays uncertain."""
