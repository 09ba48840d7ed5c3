"""Everything Whoosh: the schema, building and updating the index, searching and facets."""
