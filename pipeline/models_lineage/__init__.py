"""Foundation-model lineage: aliases, families, the model graph and its indicators."""
