"""Architecture-family classification: the taxonomy, the text classifier and its warehouse steps.

``classify_text(title, abstract, categories=None)`` is the public entry point (family, confidence,
domain, domain_source); ``classify_texts`` is its column-wise batch form; ``classify(title,
abstract)`` gives the family verdict alone; ``classify_records`` maps it over JSON-like records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pipeline.classify.taxonomy import FAMILIES, Taxonomy, load_taxonomy_file
from pipeline.classify.text import (Classification, PaperClassification, TextClassifier, classify_text,
                                    classify_texts, get_classifier)

__all__ = ["FAMILIES", "Classification", "PaperClassification", "Taxonomy", "TextClassifier", "classify",
           "classify_records", "classify_text", "classify_texts", "get_classifier", "load_taxonomy_file"]


def classify(title: str | None, abstract: str | None) -> Classification:
    """Classify one paper into architecture families from its title and abstract (provenance 'text')."""
    return get_classifier().classify(title, abstract)


def classify_records(records: Iterable[dict], classifier: TextClassifier | None = None) -> Iterator[dict]:
    """Yield ``{"id","primary_family","families","confidence","provenance"}`` for each input record."""
    clf = classifier or get_classifier()
    for record in records:
        yield clf.classify(record.get("title"), record.get("abstract")).to_record(record.get("id"))
