"""chemomech: chemo-mechanics of sulfide all-solid-state lithium-sulfur cells."""

__version__ = "0.1.0"
