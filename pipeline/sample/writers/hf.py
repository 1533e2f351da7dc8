"""The Hugging Face model-tree export format: a small foundation-model tree with planted fan-out.

The trees are independent of the paper world (they draw from their own stream of the sample
seed), so they are written once the paper pass is over.
"""

from __future__ import annotations

from pipeline.sample.hf_tree import TREE_FILES, write_hf_tree
from pipeline.sample.writers import Writer


class HfTreeWriter(Writer):
    """``hf/trees/*.json.gz`` (the shared trees' export layout) and ``hf/truth.json`` (planted fan-out)."""

    name = "hf"
    files = ("hf/truth.json", *(f"hf/trees/{name}" for name in TREE_FILES))

    def finish(self) -> None:
        """Write the trees and their truth."""
        write_hf_tree(self.out / "hf", int(self.c.seed))
