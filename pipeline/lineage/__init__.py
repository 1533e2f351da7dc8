"""The architecture-lineage graph: which method builds on which (networkx), and its warehouse step."""
