"""Funding instruments of funding agencies: publishing them, suggesting them for needs and
collaborations with the conditions checked, linking collaborations to them, and following."""
