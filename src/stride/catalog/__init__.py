"""A tenant's learning structure as code: programs > courses > modules > items, and skills."""

from stride.catalog.document import catalog_document
from stride.catalog.model import (
    Catalog,
    CatalogActivity,
    Dimension,
    Readiness,
    Skill,
    SkillBkt,
)
from stride.catalog.text import load_catalog_text
from stride.catalog.validation import parse_catalog

__all__ = [
    "Catalog",
    "CatalogActivity",
    "Dimension",
    "Readiness",
    "Skill",
    "SkillBkt",
    "catalog_document",
    "load_catalog_text",
    "parse_catalog",
]
